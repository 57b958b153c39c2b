#!/usr/bin/python3
"""What the plugins cost the hot path: indicator.record with 100 in flight
(BENCH_IN_FLIGHT) on a concertd without plugins, with each plugin of the
default configuration's list (config/concertd.conf, [plugins] load) alone,
and with all of them, in alternating rounds in one run: medians and ratios
to the daemon without plugins. The plugins run as configured by default
(no subscription, no feed, no live stream open): what a table pays for
having them loaded. Not a test: figures for tools/PERFORMANCE.md.

  /usr/bin/python3 tools/bench/bench_plugins.py [BUILD_DIR]     (default: build)
"""
import configparser
import os
import socket
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its BUILD comes from the same argv)

IN_FLIGHT = int(os.environ.get("BENCH_IN_FLIGHT", "100"))
COUNT = 60000 if IN_FLIGHT > 1 else 3000
CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config", "concertd.conf")


def default_plugins():
    """The default configuration's [plugins] load list."""
    cfg = configparser.ConfigParser(inline_comment_prefixes=("#",), strict=False, interpolation=None)
    cfg.read(CONF, encoding="utf-8")
    return [p.strip() for p in cfg.get("plugins", "load").split(",") if p.strip()]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plugin_args(folder, label, plugins):
    """concertd's arguments loading plugins (the web plugin on a free port)."""
    args = ["--plugin-dir", os.path.join(bench.BUILD, "plugins")]
    for p in plugins:
        args += ["--plugin", p]
    if "web" in plugins:
        conf = os.path.join(folder, "%s.conf" % label)
        with open(conf, "w", encoding="utf-8") as f:
            f.write("[plugin.web]\nlisten = 127.0.0.1:%d\n" % free_port())
        args += ["--config", conf]
    return args


def main():
    plugins = default_plugins()
    sets = {"(none)": []}
    sets.update({p: [p] for p in plugins})
    sets["all: " + ", ".join(plugins)] = plugins
    folder = tempfile.mkdtemp(prefix="concertd-bench-")
    procs, servers = [], {}
    try:
        for k, (label, loaded) in enumerate(sets.items()):
            daemon, endpoint, ind, s = bench.start_concertd(folder, "p%d" % k, plugin_args(folder, "p%d" % k, loaded))
            s.close()
            procs.append(daemon)
            servers[label] = (endpoint, ind)
        runs = bench.alternating_records(servers, COUNT, IN_FLIGHT)
    finally:
        bench.stop_all(procs, folder)
    print("indicator.record, %d in flight, %d alternating rounds (medians)" % (IN_FLIGHT, bench.ROUNDS))
    print("%-60s %12s %22s" % ("plugins loaded", "mutations/s", "ratio to none"))
    for label, rates in runs.items():
        ratio = [a / b for a, b in zip(rates, runs["(none)"])]
        print("%-60s %12.0f %7.2f (%.2f-%.2f)" % (label, statistics.median(rates), statistics.median(ratio),
                                                  min(ratio), max(ratio)))


if __name__ == "__main__":
    main()
