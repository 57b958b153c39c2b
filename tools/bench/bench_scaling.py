#!/usr/bin/python3
"""How concertd's costs grow, for tools/PERFORMANCE.md's scaling table.
Three axes, each on fresh daemons, in one run:

- events in the log (10^4 ... 10^7): the log is filled directly in the
  database file of a stopped daemon (rows as the daemon writes them:
  indicator.recorded events of one region), then measured: the start (until
  node.info answers), the file's size, an events.since page of 1000 from
  the beginning, the middle and the end, events.origins (what followers
  ask every 30 s), echeance.list and region.overview (whose answers do not
  depend on the log), RSS;
- regions on a national node (20 ... 2000), each with a plan of 10 actions
  whose échéances end in 2031: region.overview, echeance.list across
  regions, the reminder check (echeance.remind, nothing due), region.list,
  the start, RSS;
- actions in one plan (200 ... 5000): plan.import of the plan as a
  document, action.list, plan.export, echeance.list of the region.

Each figure is the median of several calls from one Python client (one
request at a time: the time of the request itself, not a throughput).
Not a test.

  /usr/bin/python3 tools/bench/bench_scaling.py [BUILD_DIR]      (default: build)
  BENCH_SCALE_EVENTS=10000,100000  BENCH_SCALE_REGIONS=20,200  BENCH_SCALE_ACTIONS=200,1000
"""
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
CTX = zmq.Context.instance()


def sizes(name, default):
    return [int(x) for x in os.environ.get(name, default).split(",") if x]


EVENTS = sizes("BENCH_SCALE_EVENTS", "10000,100000,1000000,10000000")
REGIONS = sizes("BENCH_SCALE_REGIONS", "20,200,2000")
ACTIONS = sizes("BENCH_SCALE_ACTIONS", "200,1000,5000")


class Node:
    """A concertd on ipc endpoints in folder, with a DEALER to call it."""

    def __init__(self, folder, name="n"):
        self.folder, self.name = folder, name
        self.data = os.path.join(folder, "data-" + name)
        self.cmd = "ipc://%s/cmd-%s" % (folder, name)
        self.proc = self.sock = None
        self.ids = iter(range(1, 10**9))

    def start(self):
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([os.path.join(BUILD, "core", "concertd"), "--data-dir", self.data,
                                      "--command-endpoint", self.cmd, "--event-endpoint",
                                      "ipc://%s/ev-%s" % (self.folder, self.name), "--node-id", "scale",
                                      "--log-level", "warn", "--no-demo"])
        self.sock = CTX.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(self.cmd)
        while True:  # the first answer to node.info: started
            self.sock.send(msgpack.packb({"v": 1, "id": 0, "op": "node.info"}))
            if self.sock.poll(50):
                self.sock.recv()
                break
            if self.proc.poll() is not None:
                raise RuntimeError("concertd ended at start")
        return (time.perf_counter() - t0) * 1000

    def call(self, op, **args):
        rid = next(self.ids)
        self.sock.send(msgpack.packb({"v": 1, "id": rid, "op": op, "args": args}))
        while True:
            reply = msgpack.unpackb(self.sock.recv(), raw=False)
            if reply.get("id") == rid:
                break
        if not reply["ok"]:
            raise RuntimeError("%s: %s" % (op, reply["error"]))
        return reply["result"]

    def timed(self, op, repeat=9, **args):
        """Median milliseconds of op, and its last result."""
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = self.call(op, **args)
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times), result

    def rss_mib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return -1

    def db_mib(self):
        total = 0
        for suffix in ("", "-wal"):
            path = os.path.join(self.data, "concertd.db" + suffix)
            if os.path.exists(path):
                total += os.path.getsize(path)
        return total / 2**20

    def stop(self):
        self.sock.close()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)


def plan_document(actions, title="Plan d'action 2024-2029"):
    """A plan of `actions` actions, 20 per objective, each with an échéance in 2031."""
    objectives = (actions + 19) // 20
    return {"format": "concertd.plan", "version": 1, "plan": {"title": title},
            "objectives": [{"number": str(o), "text": "Objectif %d" % o} for o in range(1, objectives + 1)],
            "actions": [{"number": "%d.%d" % (a // 20 + 1, a % 20 + 1), "objective": str(a // 20 + 1),
                         "text": "Moyen d'action %d : organiser les rencontres régionales de concertation" % a,
                         "targets": ["CLDS", "MRC"], "responsible": "Équipe",
                         "schedule": "%d %s 2031" % (a % 28 + 1, ("mars", "juin", "octobre")[a % 3])}
                        for a in range(actions)]}


def fill_log(db_path, count, origin="scale", region="bench"):
    """count indicator.recorded events of region, as the node origin's own
    (its own table since schema 12: the node, stopped, was started once)."""
    db = sqlite3.connect(db_path)
    (node,) = db.execute("SELECT value FROM meta WHERE key = 'node'").fetchone()
    assert node == origin, "the log's own events are %s's, not %s's" % (node, origin)
    (last,) = db.execute("SELECT coalesce(max(seq), 0) FROM own_events").fetchone()
    ts0 = 1735689600000  # 2025-01-01
    chunk = 100000
    for start in range(0, count, chunk):
        rows = []
        for i in range(start, min(count, start + chunk)):
            data = msgpack.packb({"indicator": {"id": 1, "name": "Nombre de participants", "latest": i % 97},
                                  "date": "2025-06-15", "value": i % 97, "note": "Rencontre nº %d" % i})
            rows.append((last + 1 + i, ts0 + i * 1000, region, "indicator.recorded", data))
        db.executemany("INSERT INTO own_events(seq, ts_ms, region, type, data) VALUES (?,?,?,?,?)", rows)
        db.commit()
    db.close()


def finished(node, rows, row, axis):
    """The node's measures done: it is stopped and removed, its row kept."""
    node.stop()
    shutil.rmtree(node.data, ignore_errors=True)
    rows.append(row)
    print("%s: %r" % (axis, row), file=sys.stderr)


def events_axis(folder):
    rows = []
    for count in EVENTS:
        node = Node(folder, "ev%d" % count)
        node.start()
        node.call("region.create", id="bench", name="Bénchmark")
        node.call("plan.import", region="bench", document=plan_document(200))
        node.stop()
        fill_log(os.path.join(node.data, "concertd.db"), count)
        start_ms = node.start()
        head = node.call("events.since", since=0, limit=1)["head"]
        row = {"events": count, "start_ms": start_ms, "db_mib": node.db_mib()}
        for where, since in (("first", 0), ("middle", head // 2), ("last", max(0, head - 1000))):
            row["since_" + where], _ = node.timed("events.since", since=since, limit=1000)
        row["since_region"], _ = node.timed("events.since", since=head // 2, limit=1000, region="bench")
        row["echeances"], _ = node.timed("echeance.list", to="2031-12-31")
        row["overview"], _ = node.timed("region.overview")
        row["origins"], _ = node.timed("events.origins")
        row["rss"] = node.rss_mib()
        finished(node, rows, row, "events")
    return rows


def regions_axis(folder):
    rows = []
    for count in REGIONS:
        node = Node(folder, "rg%d" % count)
        node.start()
        doc = plan_document(10)
        t0 = time.perf_counter()
        for r in range(count):
            node.call("region.create", id="region-%d" % r, name="Région %d" % r)
            node.call("plan.import", region="region-%d" % r, document=doc)
        fill_s = time.perf_counter() - t0
        row = {"regions": count, "fill_s": fill_s}
        row["overview"], _ = node.timed("region.overview", repeat=5)
        row["list"], _ = node.timed("region.list", repeat=5)
        row["echeances"], result = node.timed("echeance.list", repeat=5, to="2031-12-31")
        assert len(result) == count * 10, len(result)
        row["remind"], result = node.timed("echeance.remind", repeat=5)
        assert not result["sent"]
        row["rss"] = node.rss_mib()
        node.stop()
        row["start_ms"] = node.start()
        row["db_mib"] = node.db_mib()
        finished(node, rows, row, "regions")
    return rows


def actions_axis(folder):
    rows = []
    for count in ACTIONS:
        node = Node(folder, "ac%d" % count)
        node.start()
        node.call("region.create", id="bench", name="Bénchmark")
        doc = plan_document(count)
        row = {"actions": count}
        row["import_dry"], result = node.timed("plan.import", repeat=5, region="bench", document=doc, dry_run=True)
        t0 = time.perf_counter()
        node.call("plan.import", region="bench", document=doc)
        row["import"] = (time.perf_counter() - t0) * 1000
        row["list"], result = node.timed("action.list", region="bench")
        assert len(result) == count
        row["export"], _ = node.timed("plan.export", region="bench")
        row["echeances"], result = node.timed("echeance.list", region="bench", to="2031-12-31")
        assert len(result) == count
        row["rss"] = node.rss_mib()
        finished(node, rows, row, "actions")
    return rows


def main():
    folder = tempfile.mkdtemp(prefix="concertd-scale-")
    try:
        events, regions, actions = events_axis(folder), regions_axis(folder), actions_axis(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("machine: %s, %d cores, %s" % (platform.processor() or platform.machine(), os.cpu_count(),
                                         platform.platform()))
    print("\n| events in the log | start (ms) | database (MiB) | events.since 1000, first / middle / last "
          "/ one region (ms) | echeance.list (ms) | region.overview (ms) | events.origins (ms) | RSS (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in events:
        print("| %d | %.0f | %.0f | %.1f / %.1f / %.1f / %.1f | %.2f | %.2f | %.2f | %.1f |"
              % (r["events"], r["start_ms"], r["db_mib"], r["since_first"], r["since_middle"], r["since_last"],
                 r["since_region"], r["echeances"], r["overview"], r["origins"], r["rss"]))
    print("\n| regions × 10 actions | region.overview (ms) | region.list (ms) | echeance.list, all (ms) "
          "| reminder check (ms) | start (ms) | database (MiB) | RSS (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in regions:
        print("| %d | %.2f | %.2f | %.1f | %.2f | %.0f | %.1f | %.1f |"
              % (r["regions"], r["overview"], r["list"], r["echeances"], r["remind"], r["start_ms"], r["db_mib"],
                 r["rss"]))
    print("\n| actions in the plan | plan.import, dry run (ms) | plan.import (ms) | action.list (ms) "
          "| plan.export (ms) | echeance.list (ms) | RSS (MiB) |")
    print("|---|---|---|---|---|---|---|")
    for r in actions:
        print("| %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.1f |"
              % (r["actions"], r["import_dry"], r["import"], r["list"], r["export"], r["echeances"], r["rss"]))


if __name__ == "__main__":
    main()
