#!/usr/bin/python3
"""Slow and hostile clients: 1 000 DEALER clients that pipeline 1 200
requests each and never read a reply (more than ZeroMQ queues for one
client: the daemon keeps replies and holds requests for them), then 10 000
connections to the federation's port that stop the CURVE handshake half-way
(the ZMTP greeting cut after ten bytes), 1 000 at a time, on each of its two
ports (sync, events). Measured: the daemon's resident memory (VmRSS) and its
heap (the anonymous part of it; the rest is the libraries' code), and the
bus's round trip (node.info, one at a time, from a client that reads), idle,
under each load, and after. Not a test: figures for tools/PERFORMANCE.md
(the suite checks the bus keeps answering).

  /usr/bin/python3 tools/bench/bench_hostile.py [BUILD_DIR]     (default: build)
"""
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "tests", "support"))
os.environ.setdefault("CONCERTD", os.path.join(SOURCE, BUILD, "core", "concertd"))
os.environ.setdefault("CONCERTCTL", os.path.join(SOURCE, BUILD, "tools", "concertctl"))
import harness  # noqa: E402

CTX = zmq.Context.instance()
CTX.setsockopt(zmq.MAX_SOCKETS, 4096)


def memory_mb(pid):
    """Resident memory, and the part of it that is the heap (anonymous):
    the rest is the libraries' code, mapped from their files."""
    found = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Rss", "Anonymous"):
                found[key] = int(value.split()[0]) / 1024
    return found["Rss"], found["Anonymous"]


def latency_ms(client, n=50):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        assert client.call("node.info")["ok"]
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    folder = tempfile.mkdtemp(prefix="concertd-bench-")
    key = subprocess.run([os.environ["CONCERTCTL"], "keygen", os.path.join(folder, "noeud.key")],
                         capture_output=True, check=True).stdout.decode().strip()
    sync, events = harness.free_port(), harness.free_port()
    d = harness.Daemon(node_id="bench", folder=folder, config=(
        "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
        "[peer.autre]\npublic_key = %s\n" % (events, sync, key))).start()
    pid = d.proc.pid
    probe = d.client()
    rows = []

    def row(what):
        med, p99 = latency_ms(probe)
        rows.append((what,) + memory_mb(pid) + (med, p99))
        print("%-62s %8.1f MB (heap %.1f)  node.info %.2f ms (p99 %.2f)" % rows[-1], flush=True)

    row("idle")
    # 1. 1 000 clients pipelining 1 200 requests each, reading nothing.
    deaf = []
    for _ in range(1000):
        s = CTX.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVHWM, 1)
        s.setsockopt(zmq.SNDHWM, 0)
        s.connect(d.command)
        deaf.append(s)
    frame = msgpack.packb({"v": 1, "id": 1, "op": "bus.status"})
    for s in deaf:
        for _ in range(1200):
            s.send(frame)

    def settled():
        """The daemon has read everything: the commands it ran (but for
        these polls) and the requests it held or dropped stop growing, and
        the probe's round trip is short."""
        deadline, still, last = time.monotonic() + 180, 0, None
        while time.monotonic() < deadline and still < 5:
            t = time.perf_counter()
            ran = probe.ok("node.status")["commands"]["total"]
            bus = probe.ok("bus.status")
            quick = time.perf_counter() - t < 0.004
            now = (bus["requests_held"], bus["requests_dropped"], bus["replies_kept"])
            still = still + 1 if quick and last and ran - last[0] <= 4 and now == last[1] else 0
            last = (ran, now)
            time.sleep(0.05)
    settled()
    st = probe.ok("bus.status")
    row("1 000 clients x 1 200 requests, never reading (%d waiting, %d held, %d kept)"
        % (st["clients_waiting"], st["requests_held"], st["replies_kept"]))
    for s in deaf:
        s.close(0)
    settled()
    row("after they left (bus.status: %d waiting)" % probe.ok("bus.status")["clients_waiting"])
    # 2. 10 000 CURVE handshakes cut half-way on each of the federation's ports
    # (sync, a ROUTER; events, the PUB its peers subscribe to).
    greeting = b"\xff" + b"\x00" * 8 + b"\x7f"  # ZMTP 3 signature, then nothing
    for name, port in (("sync", sync), ("events", events)):
        for wave in range(10):
            half = []
            for _ in range(1000):
                c = socket.create_connection(("127.0.0.1", port))
                c.sendall(greeting)
                half.append(c)
            if wave == 9:
                row("1 000 half handshakes open on %s (10 000 made)" % name)
            for c in half:
                c.close()
        row("after 10 000 half handshakes on %s" % name)
    probe.close()
    print("stop:", d.stop())
    d.cleanup()
    print("\n| load | RSS (MB) | of which heap (MB) | node.info median (ms) | p99 (ms) |\n|---|---|---|---|---|")
    for what, rss, heap, med, p99 in rows:
        print("| %s | %.1f | %.1f | %.2f | %.2f |" % (what, rss, heap, med, p99))


if __name__ == "__main__":
    main()
