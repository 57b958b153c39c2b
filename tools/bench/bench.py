#!/usr/bin/python3
"""concertd benchmark, against the best a bare program does on the same
work, in the same run. The load comes from tools/bench/load.c (C: not
what limits the figures), one DEALER with 1 or 100 requests in flight:

- durable mutations (indicator.record: a row and an event, acknowledged once
  on disk) against tools/bench/baseline.c, a bare ROUTER + SQLite loop that
  drains up to 256 queued requests, stores each with an event row in one
  transaction (WAL, synchronous=FULL: group commit, as concertd) and replies;
  and the same loop writing what concertd writes ("schema": a measurement
  and an event of the same size in concertd's tables and indexes), which
  tells SQLite's cost of those rows from what concertd adds;
- the same with a plugin loaded that subscribes to other events;
- reads: node.info (no SQL), action.list of Lanaudière's real plan (the
  seed tests/fixtures/seeds/001, imported; the demo's has 12 actions),
  each in BENCH_ROUNDS rounds too;
- concertd's memory holding 20 regions x 200 actions, then region.overview
  over those regions (a national node's home page), the reminder check
  and a plan import. Not a test: it prints figures for tools/PERFORMANCE.md.

The mutations are measured in alternating rounds (BENCH_ROUNDS, default 5;
three times as many with 1 in flight, each a second long), every
configuration running at once and measured in turn: medians, and the ratios
per round.

  /usr/bin/python3 tools/bench/bench.py [BUILD_DIR]      (default: build)
"""
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
CTX = zmq.Context.instance()
# The demo's region (Lanaudière, 12 actions), loaded as the README's start does; the
# reads are measured on the seed plan, imported (measure_reads_and_memory).
DEMO = ["--demo", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config", "demo",
                               "lanaudiere.json")]


def wait_answer(sock, frame, tries=200):
    for _ in range(tries):
        sock.send(frame)
        if sock.poll(100):
            return sock.recv()
    raise RuntimeError("no answer")


def measure(endpoint, op, args, count, in_flight):
    """tools/bench/load.c's run: (rate, p50_ms, p99_ms); no request may fail."""
    with tempfile.NamedTemporaryFile(suffix=".msgpack") as f:
        f.write(msgpack.packb(args))
        f.flush()
        out = subprocess.run([os.path.join(BUILD, "tools", "bench_load"), endpoint, str(count), str(in_flight), op,
                              f.name], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError("%s: %s %s" % (op, out.stdout, out.stderr))
    figures = dict(kv.split("=") for kv in out.stdout.split())
    return float(figures["ops_per_s"]), float(figures["p50_ms"]), float(figures["p99_ms"])


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


CALL_IDS = iter(range(10**6, 10**9))


def call(sock, op, **args):
    """One request and its reply (replies to earlier frames, such as the
    warm-up's node.info retries, are skipped by id)."""
    rid = next(CALL_IDS)
    sock.send(msgpack.packb({"v": 1, "id": rid, "op": op, "args": args}))
    reply = msgpack.unpackb(sock.recv(), raw=False)
    while reply.get("id") != rid:
        reply = msgpack.unpackb(sock.recv(), raw=False)
    if not reply["ok"]:
        raise RuntimeError("%s: %s" % (op, reply["error"]))
    return reply["result"]


REMIND_ACTIONS = int(os.environ.get("BENCH_REMIND_ACTIONS", "100000"))


def plan_text(objectives, actions_each):
    """A plan table as copied out of Word: An 1…An 5 grid, a page break
    (headers again) every 12 rows, cut cells, HTML and an acronyms list."""
    header = ("OBJECTIFS\tMOYENS D'ACTION (<i>priorisés</i>)\tCIBLES\tÉCHÉANCE\t\t\t\t\tRÉSULTATS ATTENDUS\t"
              "RESPONSABLE\tINDICATEURS DE SUIVI\n\t\t\tAn 1\tAn 2\tAn 3\tAn 4\tAn 5\t\t\t\n")
    out = ["Plan d'action 2024-2029\n\nadopté en CA le 2 octobre 2024\n\n", header]
    rows = 0
    for o in range(1, objectives + 1):
        if o % 5 == 1:
            out.append("Orientation %d : En 2029, les acteurs du développement social agissent ensemble.%s\n"
                       % (o // 5 + 1, "\t" * 10))
        for a in range(1, actions_each + 1):
            first = "%d. Consolider la concertation régionale (référence aux mandats 2 et 4)" % o if a == 1 else ""
            years = "\t".join("X" if (a + y) % 3 else "" for y in range(5))
            out.append("%s\t%d.%d Organiser des rencontres d'échange sur les enjeux <u>régionaux</u>\tCLDS et MRC\t%s\t"
                       "Adhésion de %d membres à la charte\tÉquipe\tNombre de membres\n" % (first, o, a, years, a * 10))
            rows += 1
            if rows % 12 == 0:
                out.append("\nPlan d'action 2024-2029\n\n" + header)
    out.append("\nListe d'acronymes\n\nCLDS\tComité local de développement social\nMRC\tMunicipalité régionale de comté\n")
    return "".join(out)


def measure_import(sock, text, repeat=7):
    """Median milliseconds of plan.import (dry run) of text as a table, and
    of the same plan as an already-built document (the baseline: same
    transport, same packing, no text to read)."""
    def timed(**args):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = call(sock, "plan.import", region="bench", dry_run=True, **args)
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times), result
    table_ms, result = timed(format="table", text=text)
    document_ms, _ = timed(document=result["document"])
    return table_ms, document_ms, len(result["document"]["actions"]), len(text.encode())


def measure_remind(sock, total_actions, step=1000, repeat=50):
    """Median milliseconds of echeance.remind (nothing due today) with 1000
    actions armed (the baseline, measured first) and with total_actions:
    each action has a window ending in 2031 and so four pending reminders."""
    def timed():
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            sent = call(sock, "echeance.remind")["sent"]
            times.append((time.perf_counter() - t0) * 1000)
            assert not sent
        return statistics.median(times)
    call(sock, "region.create", id="rappels", name="Rappels")
    loaded, small = 0, None
    while loaded < total_actions:
        doc = {"format": "concertd.plan", "version": 1, "plan": {"title": "Plan %d" % loaded},
               "objectives": [{"number": "1", "text": "Objectif"}],
               "actions": [{"number": "1.%d" % a, "objective": "1", "text": "Action %d" % a,
                            "schedule": "%d %s 2031" % (a % 28 + 1, ("mars", "juin", "octobre")[a % 3])}
                           for a in range(1, step + 1)]}
        call(sock, "plan.import", region="rappels", document=doc)
        loaded += step
        if small is None:
            small = timed()
    return small, timed(), loaded


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
RECORD = {"value": 7, "note": "Rencontre nº 7"}


def start_concertd(folder, label, extra=()):
    """A concertd with a region, a plan, an action and its indicator:
    (process, command endpoint, indicator id, socket)."""
    cmd = "ipc://%s/cmd-%s" % (folder, label)
    data = "%s/data-%s" % (folder, label)
    daemon = subprocess.Popen([os.path.join(BUILD, "core", "concertd"), "--data-dir", data,
                               "--command-endpoint", cmd, "--event-endpoint", "ipc://%s/ev-%s" % (folder, label),
                               "--log-level", "warn"] + list(extra) + DEMO)
    s = CTX.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(cmd)
    wait_answer(s, msgpack.packb({"v": 1, "id": 0, "op": "node.info"}))
    call(s, "region.create", id="bench", name="Bénchmark")
    call(s, "plan.create", region="bench", title="Plan")
    call(s, "objective.create", region="bench", number="1", text="Objectif")
    call(s, "action.create", region="bench", objective="1", number="1.1", text="Action")
    ind = call(s, "indicator.create", region="bench", action="1.1", name="Nombre de participants")["id"]
    return daemon, cmd, ind, s


def start_baseline(folder, label, extra):
    """tools/bench/baseline.c (bare, or writing concertd's rows): (process, endpoint, id)."""
    bcmd = "ipc://%s/%s" % (folder, label)
    base = subprocess.Popen([os.path.join(BUILD, "tools", "bench_baseline"), bcmd,
                             "%s/%s.db" % (folder, label)] + extra)
    b = CTX.socket(zmq.DEALER)
    b.setsockopt(zmq.LINGER, 0)
    b.connect(bcmd)
    wait_answer(b, msgpack.packb({"v": 1, "id": 1, "op": "warm-up"}))
    b.close()
    return base, bcmd, 1


def alternating_records(servers, count, in_flight, rounds=None, warm=(20000, 100), figures=False):
    """indicator.record on each server (label -> (endpoint, indicator id)),
    after a warm-up (count, in flight), in rounds (default ROUNDS) in
    alternating order: label -> rates (or (rate, p50, p99) with figures)."""
    for endpoint, rid in servers.values():  # the disk's first writes, not counted
        measure(endpoint, "indicator.record", dict(RECORD, id=rid), warm[0], warm[1])
    runs = {label: [] for label in servers}
    for r in range(rounds or ROUNDS):
        order = list(servers) if r % 2 == 0 else list(reversed(list(servers)))
        for label in order:
            endpoint, rid = servers[label]
            got = measure(endpoint, "indicator.record", dict(RECORD, id=rid), count, in_flight)
            runs[label].append(got if figures else got[0])
    return runs


def stop_all(procs, folder):
    """Stops the servers a run started, and removes their folder."""
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(30)
    shutil.rmtree(folder, ignore_errors=True)


SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "seeds",
                    "001_1e99cf7335cf62a6.txt")


def read_figures(figures):
    """Rounds of measure(): the medians of rate, p50 and p99, then the
    lowest and highest rate."""
    return tuple(statistics.median(f[i] for f in figures) for i in range(3)) + (
        min(f[0] for f in figures), max(f[0] for f in figures))


def measure_reads_and_memory(s, cmd, pid, results):
    """Reads (action.list of Lanaudière's real plan, imported from the seed
    as a coordinator would), then RSS holding 20 regions x 200 actions, the
    reminder check and a plan import, on concertd."""
    call(s, "region.create", id="tpdsl", name="Lanaudière (TPDSL)")
    subprocess.run([os.path.join(BUILD, "tools", "concertctl"), "--endpoint", cmd, "import", "--region", "tpdsl",
                    "--plan-start", "2026-09-01", SEED], check=True, capture_output=True)
    results["actions"] = len(call(s, "action.list", region="tpdsl"))
    # Each read measured ROUNDS times, in turn (the machine moves from one
    # minute to the next): the medians, and the rates' range.
    runs = {(what, n): [] for what in ("node.info", "action.list") for n in (1, 100)}
    for _ in range(ROUNDS):
        for n, count in ((1, 2000), (100, 20000)):
            runs["node.info", n].append(measure(cmd, "node.info", {}, count * 5, n))
            runs["action.list", n].append(measure(cmd, "action.list", {"region": "tpdsl"}, count, n))
    for key, figures in runs.items():
        results[key] = read_figures(figures)
    results["rss_start"] = rss_kib(pid)
    for r in range(20):
        doc = {"format": "concertd.plan", "version": 1, "plan": {"title": "Plan d'action 2024-2029"},
               "objectives": [{"number": str(o), "text": "Objectif %d" % o} for o in range(1, 11)],
               "actions": [{"number": "%d.%d" % (a // 20 + 1, a % 20 + 1), "objective": str(a // 20 + 1),
                            "text": "Moyen d'action %d: organiser les rencontres régionales de concertation" % a,
                            "targets": ["CLDS", "MRC"], "schedule": "Automne 2025",
                            "windows": [{"kind": "dated", "start": "2025-09-23", "end": "2025-12-20"}],
                            "responsible": "Équipe"} for a in range(200)]}
        call(s, "region.create", id="region-%d" % r, name="Région %d" % r)
        call(s, "plan.import", region="region-%d" % r, document=doc)
    call(s, "action.list", region="region-0")
    results["import"] = measure_import(s, plan_text(50, 20))
    results["remind"] = measure_remind(s, REMIND_ACTIONS)
    results["rss_loaded"] = rss_kib(pid)
    # The national node's home page: region.overview over its regions (the
    # 20, the demo's, the seed's, the benchmark's), as the page polls it.
    results["regions"] = len(call(s, "region.list"))
    runs = {n: [] for n in (1, 100)}
    for _ in range(ROUNDS):
        for n, count in ((1, 2000), (100, 20000)):
            runs[n].append(measure(cmd, "region.overview", {}, count, n))
    for n, figures in runs.items():
        results["region.overview", n] = read_figures(figures)


def main():
    folder = tempfile.mkdtemp(prefix="concertd-bench-")
    results, procs = {}, []
    try:
        # Every configuration runs at once, idle but for its turn, and each
        # round measures them one after the other: this machine's disk and
        # CPU move from minute to minute, and a comparison measured minutes
        # apart would measure that. The ratios are per round, then their median.
        servers = {}
        daemon, cmd, ind, s = start_concertd(folder, "concertd")
        procs.append(daemon)
        servers["concertd"] = (cmd, ind)
        # The same with a plugin loaded that subscribes to action.* only: the
        # benchmarked events are not for it (the hot path must not notice).
        plugged, pcmd, pind, ps = start_concertd(folder, "+plugin", ["--plugin-dir", os.path.join(BUILD, "plugins"),
                                                                     "--plugin", "progress"])
        ps.close()
        procs.append(plugged)
        servers["+plugin"] = (pcmd, pind)
        # The baselines: bare, and the same loop writing concertd's tables.
        for label, extra in (("baseline", []), ("schema", ["schema"])):
            base, bcmd, bid = start_baseline(folder, label, extra)
            procs.append(base)
            servers[label] = (bcmd, bid)
        # With 100 in flight, then with 1: each server's 1-in-flight rounds
        # not right after its own burst of 60 000 (whose WAL its checkpointer
        # would still be copying: the bare loop copies its own inside its
        # commits, before it answers); those rounds last a second, the disk
        # moves more than that from one to the next: three times as many.
        runs = {}
        for n, count, rounds, warm in ((100, 60000, ROUNDS, (20000, 100)), (1, 3000, 3 * ROUNDS, (1000, 1))):
            for who, figures in alternating_records(servers, count, n, rounds, warm, figures=True).items():
                runs[who, n] = figures
        for key, figures in runs.items():
            results[key] = tuple(statistics.median(f[i] for f in figures) for i in range(3))
        for n in (1, 100):
            for other in ("baseline", "schema", "+plugin"):
                per_round = [c[0] / o[0] for c, o in zip(runs["concertd", n], runs[other, n])]
                results["ratio", other, n] = (statistics.median(per_round), min(per_round), max(per_round))
        measure_reads_and_memory(s, cmd, daemon.pid, results)
        s.close()
    finally:
        stop_all(procs, folder)

    print("machine: %s, %d cores, %s" % (platform.processor() or platform.machine(), os.cpu_count(),
                                         platform.platform()))
    print("indicator.record, %d alternating rounds with 100 in flight, %d with 1 (medians)" % (ROUNDS, 3 * ROUNDS))
    print("%-10s %9s %12s %9s %9s" % ("", "in flight", "mutations/s", "p50 ms", "p99 ms"))
    for who in ("baseline", "schema", "concertd", "+plugin"):
        for n in (1, 100):
            rate, p50, p99 = results[who, n]
            print("%-10s %9d %12.0f %9.2f %9.2f" % (who, n, rate, p50, p99))
    for other, what in (("baseline", "concertd/baseline"),
                        ("schema", "concertd/schema (the same loop writing concertd's rows and indexes)"),
                        ("+plugin", "with/without an unrelated subscriber plugin")):
        for n in (1, 100):
            med, low, high = results["ratio", other, n]
            if other == "+plugin":
                med, low, high = 1 / med, 1 / high, 1 / low
            print("ratio %s, %d in flight: %.2f (rounds %.2f-%.2f)" % (what, n, med, low, high))
    print("%-40s %9s %12s %9s %9s   %s" % ("reads, %d rounds (medians)" % ROUNDS, "in flight", "requests/s",
                                             "p50 ms", "p99 ms", "rounds"))
    for what in ("node.info", "action.list", "region.overview"):
        for n in (1, 100):
            rate, p50, p99, low, high = results[what, n]
            label = {"node.info": what, "action.list": "action.list (seed plan, %d actions)" % results["actions"],
                     "region.overview": "region.overview (%d regions)" % results["regions"]}[what]
            print("%-40s %9d %12.0f %9.2f %9.2f   %.0f-%.0f" % (label, n, rate, p50, p99, low, high))
    print("concertd RSS: %.1f MiB at start, %.1f MiB holding 20 regions x 200 actions"
          % (results["rss_start"] / 1024, results["rss_loaded"] / 1024))
    small, large, actions = results["remind"]
    print("echeance.remind, nothing due: %.3f ms with 1000 actions armed, %.3f ms with %d (ratio %.2f)"
          % (small, large, actions, large / small))
    table_ms, document_ms, actions, size = results["import"]
    print("plan.import dry run, %d actions (%d KiB of table text): %.1f ms; the same as a document: %.1f ms"
          % (actions, size // 1024, table_ms, document_ms))


if __name__ == "__main__":
    main()
