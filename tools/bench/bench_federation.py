#!/usr/bin/python3
"""Federation speed: a regional node and a national node following it, on
loopback with CURVE. Measures, in the same run:
  - catch-up: the regional node holds N events; a national node started
    from an empty database replays them from the regional node's sync
    endpoint and stores them (events/s), against the baseline of a plain
    client paging the same events with events.since (no CURVE, nothing
    stored);
  - steady-state lag: from a change acknowledged on the regional node to
    the event published on the national node's own bus (p50/p99 ms), and
    the same through a relay (a local node → the regional node → the
    national node);
  - copy lag: from an action's status changed on the regional node (its
    real plan, Lanaudière's, imported from the seed) to the national
    node's read-only copy showing it (the event applied to the copy, no
    new region.snapshot), and how many snapshots each copy took;
  - a backlog's catch-up: a regional node whose log holds BENCH_FED_BACKLOG
    events (default 10^6 indicator.recorded, written into its stopped
    database as it writes them), followed by a national node started from
    an empty database: events/s from its first event stored to the last.
Not a test: it prints figures for tools/PERFORMANCE.md.

  /usr/bin/python3 tools/bench/bench_federation.py [BUILD_DIR]      (default: build)
"""
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
EVENTS = 5000
BACKLOG = int(os.environ.get("BENCH_FED_BACKLOG", "1000000"))
CTX = zmq.Context.instance()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, folder, node_id, config):
        self.folder = folder
        with open(os.path.join(folder, "concertd.conf"), "w") as f:
            f.write(config)
        self.cmd = "ipc://%s/cmd" % folder
        self.ev = "ipc://%s/ev" % folder
        self.proc = subprocess.Popen([os.path.join(BUILD, "core", "concertd"), "--config",
                                      os.path.join(folder, "concertd.conf"), "--data-dir", folder + "/data",
                                      "--command-endpoint", self.cmd, "--event-endpoint", self.ev, "--node-id",
                                      node_id, "--no-demo", "--log-level", "warn"])
        self.sock = CTX.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.connect(self.cmd)
        for _ in range(100):
            self.sock.send(msgpack.packb({"v": 1, "id": 0, "op": "node.info"}))
            if self.sock.poll(100):
                self.sock.recv()
                break

    next_id = 1

    def call(self, op, **args):
        Node.next_id += 1
        self.sock.send(msgpack.packb({"v": 1, "id": Node.next_id, "op": op, "args": args}))
        reply = msgpack.unpackb(self.sock.recv(), raw=False)
        while reply.get("id") != Node.next_id:  # late answers to the start-up probes
            reply = msgpack.unpackb(self.sock.recv(), raw=False)
        if not reply["ok"]:
            raise RuntimeError("%s: %r" % (op, reply))
        return reply["result"]

    def stop(self):
        self.sock.close()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def keygen(folder):
    r = subprocess.run([os.path.join(BUILD, "tools", "concertctl"), "keygen", os.path.join(folder, "noeud.key")],
                       capture_output=True, check=True)
    return r.stdout.decode().strip()


def lag_on_bus(sub, change, count):
    """ms from change() acknowledged to its event on sub (p50, p99)."""
    for _ in range(200):  # the subscription takes effect asynchronously
        change("warm-up")
        if sub.poll(50):
            break
    while sub.poll(200):
        sub.recv_multipart()
    lags = []
    for i in range(count):
        t = time.perf_counter()
        change("état %d" % i)
        if not sub.poll(5000):
            raise RuntimeError("an event never arrived")
        sub.recv_multipart()
        lags.append((time.perf_counter() - t) * 1000)
    lags.sort()
    return statistics.median(lags), lags[int(len(lags) * 0.99) - 1]


def main():
    rf, nf, lf = (tempfile.mkdtemp(prefix="bench-fed-%s-" % k) for k in "rnl")
    try:
        rkey, nkey, lkey = keygen(rf), keygen(nf), keygen(lf)
        ports = [free_port() for _ in range(6)]
        local = Node(lf, "clds", "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\n"
                     "sync = tcp://127.0.0.1:%d\n[peer.tpdsl]\npublic_key = %s\n" % (ports[4], ports[5], rkey))
        local.call("region.create", id="joliette", name="CLDS de Joliette", kind="local")
        regional = Node(rf, "tpdsl", "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\n"
                        "sync = tcp://127.0.0.1:%d\n[peer.rqds]\npublic_key = %s\n"
                        "[peer.clds]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                        % (ports[0], ports[1], nkey, lkey, ports[4], ports[5]))
        regional.call("region.create", id="lanaudiere", name="Lanaudière")
        seeds = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "seeds")
        subprocess.run([os.path.join(BUILD, "tools", "concertctl"), "--endpoint", regional.cmd, "import", "--region",
                        "lanaudiere", "--plan-start", "2026-09-01", os.path.join(seeds, "001_1e99cf7335cf62a6.txt")],
                       check=True, capture_output=True)
        before = regional.call("events.since", since=0, limit=1)["head"]
        for i in range(EVENTS - before):
            regional.call("region.update", id="lanaudiere", name="Lanaudière %d" % i)
        # Baseline: the same events paged by a plain client, nothing stored.
        t = time.perf_counter()
        since, got = 0, 0
        while True:
            page = regional.call("events.since", since=since, limit=500)
            got += len(page["events"])
            since = page["last_seq"]
            if not page["more"]:
                break
        baseline = got / (time.perf_counter() - t)
        # Catch-up: a national node from an empty database.
        t = time.perf_counter()
        national = Node(nf, "rqds", "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\n"
                        "sync = tcp://127.0.0.1:%d\n[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\n"
                        "sync = tcp://127.0.0.1:%d\nregions = lanaudiere, joliette\n" % (ports[2], ports[3], rkey,
                                                                                          ports[0], ports[1]))
        while national.call("federation.status")[0]["last_seq"] < EVENTS:
            pass
        catch_up = EVENTS / (time.perf_counter() - t)
        while True:
            copies = national.call("federation.status")[0]["copies"]
            if any(c["region"] == "lanaudiere" and c["as_of_seq"] >= EVENTS for c in copies):
                break
        copy_ready = time.perf_counter() - t
        # Steady state: a change on the regional node until it is on the national node's bus.
        sub = CTX.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"lanaudiere/")
        sub.connect(national.ev)
        direct = lag_on_bus(sub, lambda n: regional.call("region.update", id="lanaudiere", name="Lanaudière " + n), 300)
        sub.close()
        sub = CTX.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"joliette/")
        sub.connect(national.ev)
        relayed = lag_on_bus(sub, lambda n: local.call("region.update", id="joliette", name="CLDS " + n), 300)
        # Copy lag: an action's new status, until the national node's copy shows it.
        number = regional.call("action.list", region="lanaudiere")[0]["number"]
        copy_lags = []
        for i in range(60):
            status = ("in_progress", "planned")[i % 2]
            t = time.perf_counter()
            regional.call("action.set_status", region="lanaudiere", number=number, status=status)
            while national.call("action.get", region="lanaudiere", number=number)["status"] != status:
                pass
            copy_lags.append((time.perf_counter() - t) * 1000)
        copy_lags.sort()
        actions = len(regional.call("action.list", region="lanaudiere"))
        # How the national node's copies were kept up to date: snapshots, or the owner's events applied.
        copies = {c["region"]: (c.get("snapshots", -1), c.get("events_applied", -1))  # -1: a build before them
                  for c in national.call("federation.status")[0]["copies"]}
        sub.close()
        national.stop()
        regional.stop()
        local.stop()
    finally:
        for folder in (rf, nf, lf):
            shutil.rmtree(folder, ignore_errors=True)
    backlog_rate, backlog_s = backlog_catch_up(BACKLOG)
    print("machine: %s, %d cores, %s" % (platform.processor() or platform.machine(), os.cpu_count(),
                                         platform.platform()))
    print("baseline: events.since paged by a plain client: %.0f events/s" % baseline)
    print("catch-up from zero over CURVE, stored on the follower: %.0f events/s (%d events)" % (catch_up, EVENTS))
    print("copy of the region (its plan: %d actions) up to date: %.2f s after the start" % (actions, copy_ready))
    print("steady-state lag, change acknowledged -> on the follower's bus: p50 %.2f ms, p99 %.2f ms (300 changes)"
          % direct)
    print("the same through a relay (local -> regional -> national): p50 %.2f ms, p99 %.2f ms (300 changes)"
          % relayed)
    print("copy lag, action status changed -> shown by the follower's copy: p50 %.2f ms, p99 %.2f ms (%d changes)"
          % (statistics.median(copy_lags), copy_lags[int(len(copy_lags) * 0.99) - 1], len(copy_lags)))
    for region, (snapshots, applied) in sorted(copies.items()):
        print("the follower's copy of %s: %d snapshots, %d of the owner's events applied to it" % (region, snapshots,
                                                                                                 applied))
    print("backlog of %d events caught up from zero over CURVE: %.0f events/s stored (%.1f s)"
          % (BACKLOG, backlog_rate, backlog_s))


def backlog_catch_up(count):
    """(events/s, seconds) of a national node taking a regional node's log of count events."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_scaling import fill_log
    rf, nf = (tempfile.mkdtemp(prefix="bench-backlog-%s-" % k) for k in "rn")
    try:
        rkey, nkey = keygen(rf), keygen(nf)
        ports = [free_port() for _ in range(4)]
        config = ("[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                  "[peer.rqds]\npublic_key = %s\n" % (ports[0], ports[1], nkey))
        regional = Node(rf, "tpdsl", config)
        regional.call("region.create", id="lanaudiere", name="Lanaudière")
        regional.stop()
        fill_log(os.path.join(rf, "data", "concertd.db"), count, origin="tpdsl", region="lanaudiere")
        regional = Node(rf, "tpdsl", config)
        head = regional.call("events.since", since=0, limit=1)["head"]
        national = Node(nf, "rqds", "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\n"
                        "sync = tcp://127.0.0.1:%d\n[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\n"
                        "sync = tcp://127.0.0.1:%d\nregions = lanaudiere\n" % (ports[2], ports[3], rkey,
                                                                              ports[0], ports[1]))
        first = None
        while True:
            seq = national.call("federation.status")[0]["last_seq"]
            if seq and first is None:
                first, t = seq, time.perf_counter()
            if seq >= head:
                break
            time.sleep(0.01)  # polling the follower's position, not waiting for an event
        seconds = time.perf_counter() - t
        national.stop()
        regional.stop()
        return (head - first) / seconds, seconds
    finally:
        for folder in (rf, nf):
            shutil.rmtree(folder, ignore_errors=True)

if __name__ == "__main__":
    main()
