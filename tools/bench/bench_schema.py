#!/usr/bin/python3
"""What SQLite's work on concertd's rows costs, part by part: the bare
group-commit loop (tools/bench/baseline.c), the same loop writing concertd's
rows (schema), and that loop with one part left out or laid out otherwise
(the log's index by region, the measurements' index, the log keyed by
(origin, seq) as before schema 12, that log's data apart, that log a rowid
table with a unique key, the measurements kept in their index's order;
BENCH_VARIANTS=schema,… picks some: baseline.c names them),
with concertd, all measured in alternating rounds in one run:
indicator.record with 100 in flight (BENCH_IN_FLIGHT), medians and ratios
to the bare loop. Not a test: figures for tools/PERFORMANCE.md.

  /usr/bin/python3 tools/bench/bench_schema.py [BUILD_DIR]     (default: build)
"""
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its BUILD comes from the same argv)

IN_FLIGHT = int(os.environ.get("BENCH_IN_FLIGHT", "100"))
COUNT = 60000 if IN_FLIGHT > 1 else 3000
VARIANTS = os.environ.get("BENCH_VARIANTS", "schema,schema-no-event-index,schema-no-measurement-index,"
                          "schema-keyed-log,schema-data-apart,schema-unique-key,"
                          "schema-clustered-measurements").split(",")


def main():
    folder = tempfile.mkdtemp(prefix="concertd-bench-")
    procs, servers = [], {}
    try:
        for label in ["bare"] + VARIANTS:
            proc, endpoint, rid = bench.start_baseline(folder, label, [] if label == "bare" else [label])
            procs.append(proc)
            servers[label] = (endpoint, rid)
        daemon, endpoint, ind, s = bench.start_concertd(folder, "concertd")
        s.close()
        procs.append(daemon)
        servers["concertd"] = (endpoint, ind)
        runs = bench.alternating_records(servers, COUNT, IN_FLIGHT)
    finally:
        bench.stop_all(procs, folder)
    print("indicator.record, %d in flight, %d alternating rounds (medians)" % (IN_FLIGHT, bench.ROUNDS))
    print("%-30s %12s %18s %22s" % ("", "mutations/s", "ratio to bare", "ratio to schema"))
    for label, rates in runs.items():
        to_bare = [a / b for a, b in zip(rates, runs["bare"])]
        to_schema = [a / b for a, b in zip(rates, runs["schema"])]
        print("%-30s %12.0f %7.2f (%.2f-%.2f) %11.2f (%.2f-%.2f)" % (
            label, statistics.median(rates), statistics.median(to_bare), min(to_bare), max(to_bare),
            statistics.median(to_schema), min(to_schema), max(to_schema)))


if __name__ == "__main__":
    main()
