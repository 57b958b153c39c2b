#!/usr/bin/python3
"""The veille under load: does the loop keep answering while feeds are
fetched and read? Starts a real concertd with the veille plugin and local
feed servers (10 hosts on loopback, 200 feeds of 50 items, each answer
taking 50 ms), then measures, in the same run, the latency of a command
(node.info) with the daemon idle (the baseline) and while all 200 feeds
are fetched, parsed and stored, and how long that takes. Not a test: it
prints figures for tools/PERFORMANCE.md.

  /usr/bin/python3 tools/bench/bench_veille.py [BUILD_DIR]      (default: build)
"""
import http.server
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import msgpack
import zmq

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
HOSTS, FEEDS, ITEMS, DELAY = 10, 200, 50, 0.05
CTX = zmq.Context.instance()


class Feeds(http.server.ThreadingHTTPServer):
    daemon_threads = True
    served = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        time.sleep(DELAY)  # a server that takes its time (not a wait in a test)
        n = int(self.path.strip("/").split(".")[0])
        items = "".join(
            "<item><title>Appel de projets nº %d-%d : sécurité alimentaire et financement régional</title>"
            "<link>https://programmes.example/%d/%d</link><guid>feed-%d-item-%d</guid>"
            "<pubDate>Thu, 19 Nov 2026 10:00:00 -0500</pubDate>"
            "<description><![CDATA[<p>Un <b>programme</b> pour les tables régionales de concertation, "
            "avec un financement sur trois ans.</p>]]></description></item>" % (n, i, n, i, n, i)
            for i in range(ITEMS))
        body = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Flux %d</title>'
                '<link>https://programmes.example/</link>%s</channel></rss>' % (n, items)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.served += 1


def call(sock, op, **args):
    sock.send(msgpack.packb({"v": 1, "id": 1, "op": op, "args": args}))
    reply = msgpack.unpackb(sock.recv(), raw=False)
    if not reply.get("ok"):
        raise RuntimeError("%s: %r" % (op, reply))
    return reply["result"]


def latencies(sock, until, at_least=200):
    """node.info round trips (ms) until until() holds, and at least at_least of them."""
    out = []
    while len(out) < at_least or not until():
        t = time.perf_counter()
        call(sock, "node.info")
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms):
    ms = sorted(ms)
    return statistics.median(ms), ms[int(len(ms) * 0.99) - 1], ms[-1]


def main():
    folder = tempfile.mkdtemp(prefix="concertd-bench-veille-")
    servers = []
    try:
        for h in range(HOSTS):
            s = Feeds(("127.0.0.%d" % (h + 2), 0), Handler)
            threading.Thread(target=s.serve_forever, daemon=True).start()
            servers.append(s)
        conf = os.path.join(folder, "concertd.conf")
        with open(conf, "w") as f:
            f.write("[plugins]\npath = %s\nload = veille\n[plugin.veille]\npump_ms = 100\n"
                    % os.path.abspath(os.path.join(BUILD, "plugins")))
        cmd = "ipc://%s/cmd" % folder
        daemon = subprocess.Popen([os.path.join(BUILD, "core", "concertd"), "--config", conf, "--data-dir",
                                   folder + "/data", "--command-endpoint", cmd, "--event-endpoint",
                                   "ipc://%s/ev" % folder, "--no-demo", "--log-level", "warn"])
        sock = CTX.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(cmd)
        call(sock, "region.create", id="bench", name="Bénchmark")
        call(sock, "veille.rule_add", region="bench", name="Financement", any_of="financement")
        idle = latencies(sock, lambda: True, at_least=1000)
        t0 = time.perf_counter()
        for n in range(FEEDS):
            call(sock, "veille.add", region="bench", url="http://127.0.0.%d:%d/%d.xml"
                 % (n % HOSTS + 2, servers[n % HOSTS].server_address[1], n))
        stored = lambda: all(f["last_ok"] for f in call(sock, "veille.feeds"))  # noqa: E731
        busy = latencies(sock, lambda: sum(s.served for s in servers) == FEEDS and stored())
        elapsed = time.perf_counter() - t0
        items = sum(f["items"] for f in call(sock, "veille.feeds"))
        sock.close()
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
        shutil.rmtree(folder, ignore_errors=True)
    print("machine: %s, %d cores, %s" % (platform.processor() or platform.machine(), os.cpu_count(),
                                         platform.platform()))
    print("node.info while idle (baseline): p50 %.3f ms, p99 %.3f ms, max %.3f ms (%d calls)"
          % (summary(idle) + (len(idle),)))
    print("node.info while fetching %d feeds on %d hosts: p50 %.3f ms, p99 %.3f ms, max %.3f ms (%d calls)"
          % ((FEEDS, HOSTS) + summary(busy) + (len(busy),)))
    print("%d feeds x %d items fetched, parsed, matched and stored in %.2f s (%d items, %.0f items/s;"
          " one request per host at a time, %d ms per answer: at least %.1f s)"
          % (FEEDS, ITEMS, elapsed, items, items / elapsed, DELAY * 1000, FEEDS / HOSTS * DELAY))


if __name__ == "__main__":
    main()
