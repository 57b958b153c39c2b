#!/usr/bin/python3
"""The web plugin under load: Lanaudière's real plan (imported from its
text) served to 50 concurrent clients by wrk (a C client, not the
bottleneck), for the region page from the cache, the same page rendered
for every request (a filter that matches every action bypasses the
cache), the JSON API, and the échéances page; and, in the same run, the
bus's command latency (node.info round trips, one at a time) idle and
while the web is loaded: the web must not starve the bus. Not a test:
figures for tools/PERFORMANCE.md.

  /usr/bin/python3 tools/bench/bench_web.py [BUILD_DIR]     (default: build; needs Debian's wrk)
"""
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import msgpack
import zmq

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECONDS = 10
CONNECTIONS = 50


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(sock, op, **args):
    sock.send(msgpack.packb({"v": 1, "id": 1, "op": op, "args": args}))
    reply = msgpack.unpackb(sock.recv(), raw=False)
    if not reply.get("ok"):
        raise RuntimeError("%s: %r" % (op, reply))
    return reply["result"]


def bus_latency(sock, seconds):
    """node.info round trips (ms) for `seconds`."""
    out, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        call(sock, "node.info")
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(ms, p):
    ms = sorted(ms)
    return ms[min(len(ms) - 1, int(len(ms) * p))]


def wrk(url, seconds=SECONDS, gzip=False):
    headers = ["-H", "Accept-Encoding: gzip"] if gzip else []
    out = subprocess.run(["wrk", "-t2", "-c%d" % CONNECTIONS, "-d%ds" % seconds, "--latency"] + headers + [url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(r"\s%s\s+([\d.]+)(us|ms|s)" % label, out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, ms("50%"), ms("99%"), int(errors.group(1)) if errors else 0


def main():
    if not shutil.which("wrk"):
        sys.exit("bench_web: wrk is needed (apt-get install wrk)")
    folder = tempfile.mkdtemp(prefix="concertd-bench-web-")
    port = free_port()
    conf = os.path.join(folder, "concertd.conf")
    with open(conf, "w") as f:
        f.write("[plugins]\npath = %s\nload = web\n[plugin.web]\nlisten = 127.0.0.1:%d\n"
                % (os.path.abspath(os.path.join(BUILD, "plugins")), port))
    cmd = "ipc://%s/cmd" % folder
    daemon = subprocess.Popen([os.path.join(BUILD, "core", "concertd"), "--config", conf, "--data-dir",
                               os.path.join(folder, "data"), "--command-endpoint", cmd, "--event-endpoint",
                               "ipc://%s/ev" % folder, "--no-demo", "--log-level", "warn"])
    try:
        s = zmq.Context.instance().socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(cmd)
        for _ in range(100):
            s.send(msgpack.packb({"v": 1, "id": 0, "op": "node.info"}))
            if s.poll(200):
                s.recv()
                break
        with open(os.path.join(SOURCE, "tests", "fixtures", "seeds", "001_1e99cf7335cf62a6.txt"), encoding="utf-8") as f:
            text = f.read()
        call(s, "region.create", id="lanaudiere", name="Lanaudière")
        call(s, "plan.import", region="lanaudiere", format="table", text=text)
        base = "http://127.0.0.1:%d" % port
        idle = bus_latency(s, 5)
        results = {}
        for label, path, gz in (("region page (cache)", "/r/lanaudiere", False),
                                ("region page (cache, gzip as browsers ask)", "/r/lanaudiere", True),
                                ("region page (rendered each time)", "/r/lanaudiere?responsible=", False),
                                ("JSON API, plan (cache)", "/api/r/lanaudiere/plan", False),
                                ("échéances page (cache, gzip)", "/r/lanaudiere/echeances", True)):
            results[label] = wrk(base + path, gzip=gz)
        loaded = []
        t = threading.Thread(target=lambda: results.__setitem__("during", wrk(base + "/r/lanaudiere", SECONDS, True)))
        t.start()
        time.sleep(1)  # wrk's connections are open: measure the bus while they are busy
        loaded = bus_latency(s, SECONDS - 2)
        t.join()
        print("machine: %d cores" % os.cpu_count())
        print("%-44s %10s %8s %8s %8s" % ("", "req/s", "p50 ms", "p99 ms", "errors"))
        for label, (rate, p50, p99, errors) in results.items():
            if label != "during":
                print("%-44s %10.0f %8.2f %8.2f %8d" % (label, rate, p50, p99, errors))
        rate, p50, p99, errors = results["during"]
        print("%-44s %10.0f %8.2f %8.2f %8d" % ("region page (gzip), while the bus is measured", rate, p50, p99, errors))
        print("bus node.info idle:        n=%d p50 %.3f ms p99 %.3f ms" % (len(idle), pct(idle, .5), pct(idle, .99)))
        print("bus node.info, web loaded: n=%d p50 %.3f ms p99 %.3f ms (p99 ratio %.2f)"
              % (len(loaded), pct(loaded, .5), pct(loaded, .99), pct(loaded, .99) / pct(idle, .99)))
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
