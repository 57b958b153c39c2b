"""The event log's retention ([storage] keep_events_days, node.compact): old
events go, the model stays whole, and nothing a declared peer has yet to get
goes; a follower that arrives after them copies the regions from their state."""
import os
import subprocess
import tempfile
import time
import unittest

from harness import CONCERTCTL, PATIENCE, Daemon, FakeClock, free_port


def keygen(folder):
    r = subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, "noeud.key")], capture_output=True, timeout=30,
                       check=True)
    return r.stdout.decode().strip()


def wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
    raise AssertionError("pas arrivé : " + what)


class Retention(unittest.TestCase):

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        self.clock = FakeClock(self.folder, "2024-01-15 12:00:00")
        self.d = Daemon(folder=self.folder, config="[storage]\nkeep_events_days = 365\n", env=self.clock.env()).start()
        self.c = self.d.client()

    def tearDown(self):
        self.c.close()
        self.d.stop()
        self.d.cleanup()

    def test_old_events_go_and_the_model_stays_whole(self):
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        for i in range(20):
            self.c.ok("region.update", id="lanaudiere", name="Lanaudière %d" % i)
        self.c.ok("region.create", id="mauricie", name="Mauricie")
        self.c.ok("region.update", id="mauricie", name="Mauricie (consortium)")  # n° 23: its region's newest
        self.clock.set("2026-01-15 12:00:00")
        for i in range(3):
            self.c.ok("region.update", id="lanaudiere", name="Lanaudière — %d" % i)
        dry = self.c.ok("node.compact", dry_run=True)
        self.assertEqual((dry["removable"], dry["days"]), (22, 365))
        self.assertEqual(len(self.c.ok("events.since", since=0, limit=100)["events"]), 26)  # nothing gone yet
        out = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "db", "compact", "--dry-run"],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("22 événement(s) de plus de 365 jours à retirer (--dry-run : rien n'est retiré)",
                      out.stdout.decode())
        self.assertEqual(len(self.c.ok("events.since", since=0, limit=100)["events"]), 26)
        done = self.c.ok("node.compact")
        self.assertEqual((done["removed"], done["more"]), (22, False))
        page = self.c.ok("events.since", since=0, limit=100)
        self.assertEqual([e["seq"] for e in page["events"]], [23, 24, 25, 26])
        self.assertEqual(page["compacted_through"], 22)
        self.assertEqual(self.c.ok("region.get", id="lanaudiere")["name"], "Lanaudière — 2")
        self.assertEqual(self.c.ok("region.get", id="mauricie")["name"], "Mauricie (consortium)")
        self.assertEqual(self.c.ok("node.compact")["removed"], 0)
        self.assertIn("22 événement(s) de plus de 365 jours retiré(s)", self.d.log_text())
        # The numbering goes on, after a restart too.
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        self.c.close()
        self.c = self.d.client()
        self.c.ok("region.update", id="mauricie", name="Mauricie")
        self.assertEqual([e["seq"] for e in self.c.ok("events.since", since=26)["events"]], [27])

    def test_without_a_number_of_days_it_says_which(self):
        d = Daemon()
        d.start()
        try:
            c = d.client()
            error = c.error("node.compact")
            self.assertEqual((error["code"], error["field"]), ("invalid_argument", "days"))
            self.assertIn("keep_events_days", error["message"])
            c.close()
        finally:
            d.stop()
            d.cleanup()


class RetentionInAFederation(unittest.TestCase):
    """A table's node (tpdsl) keeps a year; the national node (rqds) follows it."""

    def setUp(self):
        self.folders = {n: tempfile.mkdtemp(prefix="concertd-e2e-") for n in ("tpdsl", "rqds", "nouveau")}
        keys = {n: keygen(f) for n, f in self.folders.items()}
        ports = {n: (free_port(), free_port()) for n in self.folders}
        self.clocks = {n: FakeClock(f, "2024-01-15 12:00:00") for n, f in self.folders.items()}

        def config(name, extra):
            return ("[storage]\nkeep_events_days = 365\n[federation]\nkey_file = noeud.key\n"
                    "events = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n" % ports[name]) + extra
        follow_tpdsl = ("[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                        "regions = lanaudiere\n" % ((keys["tpdsl"],) + ports["tpdsl"]))
        self.daemons = {
            "tpdsl": Daemon(node_id="tpdsl", folder=self.folders["tpdsl"], env=self.clocks["tpdsl"].env(),
                            config=config("tpdsl", "[peer.rqds]\npublic_key = %s\n[peer.nouveau]\npublic_key = %s\n"
                                          % (keys["rqds"], keys["nouveau"]))),
            "rqds": Daemon(node_id="rqds", folder=self.folders["rqds"], env=self.clocks["rqds"].env(),
                           config=config("rqds", follow_tpdsl)),
            "nouveau": Daemon(node_id="nouveau", folder=self.folders["nouveau"], env=self.clocks["nouveau"].env(),
                              config=config("nouveau", follow_tpdsl)),
        }
        self.daemons["tpdsl"].start()
        self.daemons["rqds"].start()
        self.t = self.daemons["tpdsl"].client()

    def tearDown(self):
        self.t.close()
        for d in self.daemons.values():
            d.stop()
            d.cleanup()

    def mirrored(self, name, count):
        c = self.daemons[name].client()
        try:
            return wait_for("%d événements de tpdsl sur %s" % (count, name),
                            lambda: len(c.ok("events.since", origin="tpdsl", limit=1000)["events"]) >= count,
                            30 * PATIENCE)
        finally:
            c.close()

    def test_nothing_a_declared_peer_lacks_goes_and_a_new_follower_copies_the_state(self):
        self.t.ok("region.create", id="lanaudiere", name="Lanaudière")
        for i in range(10):
            self.t.ok("region.update", id="lanaudiere", name="Lanaudière %d" % i)
        self.mirrored("rqds", 11)
        # rqds says what it holds (events.origins' `have`, every 30 s): until then nothing it may lack goes.
        self.clocks["tpdsl"].set("2026-01-15 12:00:00")
        wait_for("rqds dit avoir les n° 1 à 11",
                 lambda: self.t.ok("node.compact", dry_run=True)["removable"] == 10, 40 * PATIENCE)
        # rqds down; five more changes of 2024 it does not have.
        self.assertEqual(self.daemons["rqds"].stop(), 0)
        self.clocks["tpdsl"].set("2024-02-15 12:00:00")
        for i in range(5):
            self.t.ok("region.update", id="lanaudiere", name="Lanaudière (février) %d" % i)
        self.clocks["tpdsl"].set("2026-01-15 12:00:00")
        out = subprocess.run([CONCERTCTL, "--endpoint", self.daemons["tpdsl"].command, "db", "compact"],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("4 gardé(s) pour le pair rqds (il a jusqu'au n° 11)", out.stdout.decode())
        self.assertIn("11 événement(s) de plus de 365 jours retiré(s) du journal", out.stdout.decode())
        done = self.t.ok("node.compact", dry_run=True)  # what is left: held back for rqds
        self.assertEqual(done["removable"], 0)  # n° 1 to 11, not the ones rqds lacks (the newest stays anyway)
        [held] = done["origins"]
        self.assertEqual((held["origin"], held["held_back"]), ("tpdsl", 4))
        self.assertIn("rqds", held["held_by"])
        self.assertEqual([e["seq"] for e in self.t.ok("events.since", since=0)["events"]], [12, 13, 14, 15, 16])
        # rqds back: it gets what it lacked.
        self.daemons["rqds"].start()
        self.mirrored("rqds", 16)
        n = self.daemons["rqds"].client()
        wait_for("la copie de rqds à jour",
                 lambda: n.ok("region.get", id="lanaudiere")["name"] == "Lanaudière (février) 4", 30 * PATIENCE)
        n.close()
        # A node that never followed tpdsl: the events it can no longer get are no gap to ask
        # for again; the region comes whole from its state (region.snapshot).
        self.daemons["nouveau"].start()
        self.mirrored("nouveau", 5)
        c = self.daemons["nouveau"].client()
        wait_for("la copie du nouveau nœud",
                 lambda: c.call("region.get", {"id": "lanaudiere"}).get("result", {}).get("name")
                 == "Lanaudière (février) 4", 30 * PATIENCE)
        self.assertEqual([e["seq"] for e in c.ok("events.since", origin="tpdsl")["events"]], [12, 13, 14, 15, 16])
        status = c.ok("federation.status")[0]
        self.assertEqual(status["last_seq"], 16)
        self.assertIsNone(status["last_error"])
        c.close()
        self.assertIn("ne garde plus les événements de tpdsl jusqu'au n° 11", self.daemons["nouveau"].log_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
