"""What an operator watches: node.status (concertctl status) and the same
figures at /metrics in Prometheus's format: commands and their latency, the
commits, the database, today's reminders, each plugin's state and figures
(notify's outbox waiting for an SMTP server that does not answer, the
veille's feeds, adhesion's applications). /metrics is parsed by Debian's
python3-prometheus-client; who may read it follows [plugin.web] metrics."""
import http.client
import json
import os
import re
import socket
import subprocess
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

from harness import CONCERTCTL, PATIENCE, PLUGINS, SOURCE, Daemon, free_port, seed_plan


def config(web_port, smtp_port, metrics="local"):
    return ("[plugins]\npath = %s\nload = notify, veille, adhesion, web\n"
            "[plugin.notify]\nsmtp_url = smtp://127.0.0.1:%d\ntls = none\nfrom = tpdsl@example.org\n"
            "[plugin.web]\nlisten = 127.0.0.1:%d\nmetrics = %s\n" % (PLUGINS, smtp_port, web_port, metrics))


def get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, r.getheader("Content-Type"), body


class Status(unittest.TestCase):
    def setUp(self):
        self.port = free_port()
        self.d = Daemon(config=config(self.port, free_port())).start()
        self.c = self.d.client()
        seed_plan(self.c)

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def test_node_status_counts_commands_and_their_latency(self):
        for i in range(30):
            self.c.ok("region.update", id="lanaudiere", name="Lanaudière %d" % i)
        self.c.error("region.get", id="nulle-part")
        s = self.c.ok("node.status")
        c = s["commands"]
        self.assertGreaterEqual(c["total"], 30 + 7)  # seed_plan's too
        self.assertGreaterEqual(c["errors"], 1)
        lat = c["latency"]
        self.assertEqual(lat["count"], c["total"])
        self.assertGreater(lat["p50_ms"], 0)
        self.assertLessEqual(lat["p50_ms"], lat["p90_ms"])
        self.assertLessEqual(lat["p90_ms"], lat["p99_ms"])
        self.assertLessEqual(lat["p99_ms"], lat["max_ms"])
        counts = [n for _, n in lat["buckets"]]
        self.assertEqual(counts, sorted(counts))
        self.assertLessEqual(counts[-1], lat["count"])
        self.assertEqual(s["commits"]["count"], c["batches"])
        self.assertGreater(s["db"]["size_bytes"] + s["db"]["wal_bytes"], 0)
        self.assertEqual(s["db"]["last_seq"], self.c.ok("node.info")["last_seq"])
        self.assertGreater(s["uptime_s"], 0)
        self.assertEqual(s["federation"], [])
        self.assertEqual({p["name"]: p["state"] for p in s["plugins"]},
                         {"notify": "running", "veille": "running", "adhesion": "running", "web": "running"})

    def test_plugins_give_their_figures(self):
        # A message for an SMTP server that does not answer waits in the outbox.
        self.c.ok("notify.send", address="marie@example.org", region="lanaudiere", template="default", key="k1",
                  data={"title": "Essai"})
        # Counted waiting from the start, while an attempt is out too (not delivered yet).
        figures = {p["name"]: p["figures"] for p in self.c.ok("node.status")["plugins"]}
        self.assertEqual(figures["notify"]["outbox_waiting"], 1)
        self.assertGreaterEqual(figures["notify"]["outbox_oldest_seconds"], 0)
        self.assertEqual(figures["veille"]["feeds"], 0)
        self.assertEqual(figures["adhesion"]["applications_waiting"], 0)
        self.assertEqual(figures["web"], {})
        # concertctl status says it in a few lines.
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "status"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        for words in ("Nœud test", "Commandes :", "latence p50", "Écritures :", "Rappels", "notify",
                      "outbox_waiting 1", "en marche"):
            self.assertIn(words, out)
        self.assertRegex(out, r"latence p50 \d+,\d\d ms")  # decimals as a French reader writes them
        self.assertNotRegex(out, r"\d\.\d\d (ms|Mo)")
        r = subprocess.run([CONCERTCTL, "--lang", "en", "--endpoint", self.d.command, "status"], capture_output=True,
                           timeout=30)
        self.assertRegex(r.stdout.decode(), r"latency p50 \d+\.\d\d ms")

    def test_metrics_in_prometheus_format(self):
        self.c.ok("notify.send", address="marie@example.org", region="lanaudiere", template="default", key="k2",
                  data={"title": "Essai"})
        status, ctype, body = get(self.port, "/metrics")
        self.assertEqual(status, 200, body)
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
        families = {f.name: f for f in text_string_to_metric_families(body)}
        total = self.c.ok("node.status")["commands"]["total"]
        commands = families["concertd_commands"]
        self.assertEqual(commands.type, "counter")
        self.assertLessEqual(commands.samples[0].value, total)
        self.assertEqual(families["concertd_command_batches_redone"].samples[0].value,
                         self.c.ok("node.status")["commands"]["batches_redone"])
        hist = families["concertd_command_duration_seconds"]
        self.assertEqual(hist.type, "histogram")
        buckets = [s for s in hist.samples if s.name.endswith("_bucket")]
        self.assertEqual(buckets[-1].labels["le"], "+Inf")
        count = [s for s in hist.samples if s.name.endswith("_count")][0].value
        self.assertEqual(buckets[-1].value, count)
        self.assertEqual(families["concertd_notify_outbox_waiting"].samples[0].value, 1)
        up = {s.labels["plugin"]: s.value for s in families["concertd_plugin_up"].samples}
        self.assertEqual(up, {"notify": 1, "veille": 1, "adhesion": 1, "web": 1})
        self.assertEqual(families["concertd_info"].samples[0].labels["node"], "test")
        # Every metric the Grafana dashboard reads is served (the federation's, with peers only).
        served = {sample.name for f in families.values() for sample in f.samples}
        with open(os.path.join(SOURCE, "tools", "grafana", "concertd.json"), encoding="utf-8") as f:
            dashboard = json.load(f)
        exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
        named = {m for e in exprs for m in re.findall(r"concertd_[a-z_]+", e)}
        with open(os.path.join(SOURCE, "proto", "PROTOCOL.md"), encoding="utf-8") as f:
            protocol = f.read()
        for m in sorted(named):
            if m.startswith("concertd_federation_"):
                self.assertTrue(m in protocol, "%s is not in PROTOCOL.md" % m)
            else:
                self.assertIn(m, served, "the dashboard reads %s, /metrics does not serve it" % m)
        # The regions for a spreadsheet.
        status, ctype, body = get(self.port, "/regions.csv")
        self.assertEqual(status, 200, body)
        self.assertTrue(ctype.startswith("text/csv"), ctype)
        self.assertIn("lanaudiere", body)
        self.assertIn("Prochaine échéance", body)
        # Through a reverse proxy, by default: refused.
        status, _, body = get(self.port, "/metrics", {"X-Forwarded-For": "203.0.113.9"})
        self.assertEqual(status, 403)
        self.assertIn("metrics = open", body)


class MetricsSetting(unittest.TestCase):
    def check(self, setting, proxied_status):
        port = free_port()
        d = Daemon(config=config(port, free_port(), setting)).start()
        try:
            self.assertEqual(get(port, "/metrics", {"X-Forwarded-For": "203.0.113.9"})[0], proxied_status)
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()

    def test_open_and_off(self):
        self.check("open", 200)
        self.check("off", 403)

    def test_a_wrong_value_stops_the_start_in_words(self):
        d = Daemon(config=config(free_port(), free_port(), "peut-être"))
        code, log = d.start_refused()
        d.cleanup()
        self.assertNotEqual(code, 0)
        self.assertIn("[plugin.web] metrics = peut-être : local, open ou off", log)




class MetricsWithoutTheWebPlugin(unittest.TestCase):
    """A node without the web plugin: the metrics plugin's own small listener."""

    def test_metrics_on_their_own_listener(self):
        port = free_port()
        d = Daemon(config="[plugins]\npath = %s\nload = metrics\n[plugin.metrics]\nlisten = 127.0.0.1:%d\n"
                   % (PLUGINS, port)).start()
        try:
            c = d.client()
            seed_plan(c)
            c.ok("region.update", id="lanaudiere", name="Lanaudière (TPDSL)")
            status, ctype, body = get(port, "/metrics")
            self.assertEqual(status, 200, body)
            self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
            families = {f.name: f for f in text_string_to_metric_families(body)}
            self.assertGreaterEqual(families["concertd_commands"].samples[0].value, 2)
            self.assertEqual(families["concertd_command_duration_seconds"].type, "histogram")
            status, _, body = get(port, "/")
            self.assertEqual(status, 404)
            self.assertIn("/metrics", body)
            self.assertIn("mesures Prometheus sur http://127.0.0.1:%d/metrics" % port, d.log_text())
            # 40 clients that send part of a request and hang up at once (more
            # than its 32 connections): closed within two seconds, not held
            # until their 10 s idle timeout (lib/mhd_hangup.c).
            for _ in range(40):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1")
                s.close()
            scrape = http.client.HTTPConnection("127.0.0.1", port, timeout=6)
            scrape.request("GET", "/metrics")
            self.assertEqual(scrape.getresponse().status, 200)
            scrape.close()
            c.close()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()

    def test_a_listen_address_that_is_not_one_is_refused_in_words(self):
        d = Daemon(config="[plugins]\npath = %s\nload = metrics\n[plugin.metrics]\nlisten = partout\n" % PLUGINS)
        try:
            code, log = d.start_refused()
            self.assertNotEqual(code, 0)
            self.assertIn("[plugin.metrics] listen = partout : une adresse et un port", log)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
