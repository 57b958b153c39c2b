"""The plugin host end to end: which plugins are refused and why, a
plugin's op running in the command's transaction, its own tables (and no
one else's), exactly-once event delivery across restarts, its events on
the bus, timers and work off the loop, and failures that change nothing."""
import os
import time
import unittest

from harness import PATIENCE, PLUGINS, TEST_PLUGINS, WRAP, Daemon, recv_event, subscriber, sync_subscriber

CONFIG = """
[plugins]
load = probe, badabi, noentry, failinit, misnamed, senseless, nosuch
optional = badabi, noentry, failinit, misnamed, senseless, nosuch

[plugin.probe]
greeting = Bonjour
tick_region = lanaudiere
"""


class Plugins(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(config=CONFIG, extra=["--plugin-dir", TEST_PLUGINS])
        # The tick timer needs its region from the first second: create it, then restart.
        self.d.extra.append("--plugin")
        self.d.extra.append("probe")
        self.d.start()
        self.c = self.d.client()

    def tearDown(self):
        self.c.close()
        if self.d.proc:
            self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def plugins(self):
        return {p["name"]: p for p in self.c.ok("node.info")["plugins"]}

    def test_refused_plugins_are_named_with_their_reason(self):
        p = self.plugins()
        self.assertEqual(p["probe"]["state"], "running")
        self.assertIn("probe.echo", p["probe"]["ops"])
        expected = {"badabi": "ABI 999", "noentry": "concertd_plugin_entry", "failinit": "init a échoué",
                    "misnamed": "another-name", "senseless": "init a échoué", "nosuch": "aucun fichier nosuch.so"}
        for name, words in expected.items():
            self.assertEqual(p[name]["state"], "refused", name)
            self.assertIn(words, p[name]["reason"], name)
        log = self.d.log_text()
        for name in expected:
            self.assertIn("greffon %s refusé" % name, log)
        self.assertIn("[failinit] la clé obligatoire « token » manque", log)
        # An argument declared without its limit: the reason, in the log.
        self.assertIn("[senseless] register_op senseless.add : argument title : max (> 0)", log)
        # Ops of the running plugin are listed with the core's.
        ops = {op["name"] for op in self.c.ok("node.info")["ops"]}
        self.assertIn("probe.echo", ops)
        self.assertNotIn("failinit.ping", ops)

    def test_op_config_and_language(self):
        self.assertEqual(self.c.ok("probe.echo", text="Été"), {"text": "Été", "lang": "fr", "greeting": "Bonjour"})
        self.assertEqual(self.c.call("probe.echo", {"text": "x"}, lang="en")["result"]["lang"], "en")
        err = self.c.error("probe.echo", txt="typo")
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "txt"))

    def test_failures_fail_only_their_command_and_change_nothing(self):
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        # Plugins get a batch's events right after its replies: the next request
        # is answered only once that delivery is done.
        self.c.ok("node.info")
        before = self.d.snapshot()
        err = self.c.error("probe.fail", mode="silent")
        self.assertEqual(err["code"], "internal")
        self.assertIn("probe", err["message"])
        self.assertEqual(self.c.error("probe.fail", mode="reason")["code"], "invalid_argument")
        self.assertEqual(self.c.error("probe.fail", mode="write_then_fail")["code"], "internal")
        # Its own table and its event were undone with it.
        self.assertEqual(self.c.ok("probe.count", table="log"), 0)
        err = self.c.error("probe.fail", mode="core_write")
        self.assertEqual(err["code"], "forbidden")
        self.assertIn("authorization denied", err["message"])
        self.assertIn("authorization denied", self.c.error("probe.fail", mode="commit")["message"])
        self.assertEqual(self.c.ok("region.get", id="lanaudiere")["name"], "Lanaudière")
        self.assertEqual(self.plugins()["probe"]["op_errors"], 2)  # silent and write_then_fail
        after = self.d.snapshot()
        self.assertEqual(before, after)

    def test_reads_the_model_through_ops(self):
        self.c.ok("region.create", id="mauricie", name="Mauricie")
        self.assertEqual(self.c.ok("probe.read", region="MAURICIE"), "Mauricie")
        self.assertEqual(self.c.error("probe.read", region="nowhere")["code"], "not_found")

    def test_events_delivered_once_even_across_restarts(self):
        sub = subscriber(self.d.events, "")
        try:
            self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
            sync_subscriber(sub, self.c, "lanaudiere")
            self.c.ok("region.create", id="estrie", name="Estrie")
            topic, created = recv_event(sub)
            self.assertEqual(topic, "estrie/region.created")
            topic, seen = recv_event(sub)
            self.assertEqual(topic, "estrie/probe.seen")
            self.assertEqual(seen["seq"], created["seq"] + 1)
            self.assertEqual(seen["data"], {"seq": created["seq"]})
        finally:
            sub.close(0)
        delivered = self.c.ok("probe.count", table="events")
        self.assertGreaterEqual(delivered, 2)
        self.c.close()
        self.assertEqual(self.d.stop(), 0)

        # Changes made while the plugin is not loaded reach it when it returns.
        self.d.extra = []
        self.d.config = None
        self.d.start()
        self.c = self.d.client()
        for i in range(5):
            self.c.ok("region.update", id="estrie", organisation="TDS %d" % i)
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.extra = ["--plugin-dir", TEST_PLUGINS, "--plugin", "probe"]
        self.d.start()
        self.c = self.d.client()
        self.assertEqual(self.c.ok("probe.count", table="events"), delivered + 5)
        # And a restart with nothing new delivers nothing twice.
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        self.c = self.d.client()
        self.assertEqual(self.c.ok("probe.count", table="events"), delivered + 5)

    def test_events_delivered_once_under_pipelined_load(self):
        """Batches of many commands, their flushes taken in the middle of the
        next batch: the plugin is still handed every event, once, after the
        batch's transaction (each handler's write is its own)."""
        self.c.ok("region.create", id="estrie", name="Estrie")
        other = self.d.client()
        self.addCleanup(other.close)
        n = 300 if WRAP else 1500
        sent = {self.c: [], other: []}
        for i in range(n):
            c = self.c if i % 2 else other
            sent[c].append(c.send("region.update", {"id": "estrie", "organisation": "TDS %d" % i}))
        for c, ids in sent.items():
            replies = [c.recv(timeout=20000 * PATIENCE) for _ in ids]
            self.assertEqual([r["id"] for r in replies], ids)
            self.assertTrue(all(r["ok"] for r in replies), [r for r in replies if not r["ok"]][:1])
        # region.created and the n region.updated, each recorded once by its
        # handler (a second delivery would break its table's key and be
        # counted as a handler's failure).
        deadline = time.monotonic() + 20 * PATIENCE
        while self.c.ok("probe.count", table="events") < n + 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for the plugin's delivery, which follows the replies
        self.assertEqual(self.c.ok("probe.count", table="events"), n + 1)
        self.assertEqual(self.plugins()["probe"]["event_errors"], 0)

    def test_failing_event_handler_is_counted_and_undone(self):
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        n = self.c.ok("probe.count", table="events")
        self.c.ok("region.create", id="boom", name="Région boom")  # the handler fails on it
        self.c.ok("region.create", id="estrie", name="Estrie")
        info = self.plugins()["probe"]
        self.assertEqual(info["event_errors"], 1)
        self.assertEqual(self.c.ok("probe.count", table="events"), n + 1)  # estrie only
        self.assertTrue(self.c.call("node.info")["ok"])

    def test_timer_and_work_off_the_loop(self):
        # The timer fired at start, before the region existed: its emit was refused
        # and counted, and the daemon went on.
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        sub = subscriber(self.d.events, "lanaudiere/")
        try:
            sync_subscriber(sub, self.c, "lanaudiere")
            self.assertTrue(self.c.ok("probe.work", region="lanaudiere", n=100000))
            topic, ev = recv_event(sub)
            while topic != "lanaudiere/probe.worked":
                topic, ev = recv_event(sub)
            self.assertEqual(ev["data"], {"sum": 100000 * 100001 // 2})
            self.assertEqual(self.c.ok("probe.count", table="work"), 1)
        finally:
            sub.close(0)
        self.assertIn("probe.tick", self.d.log_text())
        self.assertEqual(self.plugins()["probe"]["callback_errors"], 1)


class RegionLimits(unittest.TestCase):
    def test_plugin_enabled_for_some_regions_only(self):
        d = Daemon(config="[plugins]\nload = probe\n[plugin.probe]\nregions = lanaudiere, mauricie\n",
                   extra=["--plugin-dir", TEST_PLUGINS]).start()
        try:
            c = d.client()
            for slug, name in (("lanaudiere", "Lanaudière"), ("estrie", "Estrie")):
                c.ok("region.create", id=slug, name=name)
            self.assertEqual(c.ok("probe.read", region="LANAUDIÈRE"), "Lanaudière")
            err = c.error("probe.read", region="estrie")
            self.assertEqual((err["code"], err["field"]), ("forbidden", "region"))
            self.assertIn("pas activé pour la région estrie", err["message"])
            # Events of regions it is not enabled for are not delivered to it.
            c.ok("region.update", id="estrie", organisation="TDS")
            c.ok("region.update", id="lanaudiere", organisation="TPDSL")
            c.ok("node.info")
            topics = c.ok("probe.count", table="events")
            self.assertEqual(topics, 2)  # lanaudiere's created and updated, nothing of estrie
            c.close()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()


class PluginsAtDifferentPlaces(unittest.TestCase):
    """Plugins in step share one read of the log; one behind or ahead of
    another (it was not loaded for a while, or wants fewer events and so
    stores its place less often) is still handed each of its events once:
    the probe (region.* events) beside notify (every event)."""

    def setUp(self):
        self.d = Daemon()
        self.addCleanup(self.d.cleanup)
        self.c = None
        self.addCleanup(self.stop)

    def stop(self):
        if self.c:
            self.c.close()
            self.c = None
            self.assertEqual(self.d.stop(), 0, "clean exit (and no valgrind error)")

    def run_with(self, plugins):
        self.stop()
        with open(os.path.join(self.d.folder, "concertd.conf"), "w", encoding="utf-8") as f:
            f.write("[plugins]\npath = %s:%s\nload = %s\n[plugin.notify]\nsmtp_url = smtp://127.0.0.1:9\n"
                    % (TEST_PLUGINS, PLUGINS, ", ".join(plugins)))
        self.d.config = os.path.join(self.d.folder, "concertd.conf")
        self.d.start()
        self.c = self.d.client()

    def handed(self, expected):
        """The probe's count once it reaches expected (delivery follows the reply)."""
        deadline = time.monotonic() + 20 * PATIENCE
        while self.c.ok("probe.count", table="events") < expected and time.monotonic() < deadline:
            self.c.ok("node.info")
        self.assertEqual(self.c.ok("probe.count", table="events"), expected)
        probe = [p for p in self.c.ok("node.info")["plugins"] if p["name"] == "probe"][0]
        self.assertEqual(probe["event_errors"], 0, "an event handed twice breaks the probe's key")

    def test_each_plugin_is_handed_its_events_once_wherever_it_stands(self):
        self.run_with(["probe", "notify"])
        self.c.ok("region.create", id="estrie", name="Estrie")
        self.handed(1)
        # The probe ahead of notify (notify not loaded meanwhile): one read
        # from notify's place, the probe skipping what it was handed.
        self.run_with(["probe"])
        for i in range(5):
            self.c.ok("region.update", id="estrie", organisation="TDS %d" % i)
        self.handed(6)
        self.run_with(["probe", "notify"])
        self.c.ok("region.update", id="estrie", organisation="CDC")
        self.handed(7)
        # The probe far behind (more than a read apart): notify stored its
        # place after each of 300 events the probe does not take.
        self.c.ok("plan.create", region="estrie", title="Plan")
        self.c.ok("objective.create", region="estrie", number="1", text="Objectif")
        for i in range(300):
            self.c.ok("action.create", region="estrie", objective="1", number="1.%d" % (i + 1), text="Action %d" % i)
        self.run_with(["probe", "notify"])
        self.c.ok("region.update", id="estrie", organisation="CDC de l'Estrie")
        self.handed(8)


if __name__ == "__main__":
    unittest.main()
