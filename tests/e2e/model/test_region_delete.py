"""A table that stops: its region is archived (kept, read-only, out of the
lists and reminders, reopened by region restore or undo), or erased for
good with --purge (the region, its plans, every plugin's rows about it and
the data of its events), each asked for on a terminal."""
import os
import pty
import sqlite3
import subprocess
import time
import unittest

from harness import CONCERTCTL, PLUGINS, SOURCE, Daemon, free_port

DEMO = os.path.join(SOURCE, "config", "demo", "lanaudiere.json")


class RegionDelete(unittest.TestCase):
    def setUp(self):
        config = ("[plugins]\npath = %s\nload = calendar, adhesion, notify, veille\n[plugin.calendar]\nexport_dir = ics\n"
                  "[plugin.notify]\nsmtp_url = smtp://127.0.0.1:%d\ntls = none\nfrom = tpdsl@example.org\n"
                  % (PLUGINS, free_port()))
        self.d = Daemon(config=config, extra=["--demo", DEMO]).start()
        self.c = self.d.client()
        self.c.ok("region.create", id="mauricie", name="Mauricie")
        for region in ("lanaudiere", "mauricie"):
            self.c.ok("calendar.add", region=region, title="Comité de coordination de " + region,
                      start="2027-03-09T13:30")
            self.c.ok("adhesion.policy_set", region=region, charter="2024",
                      categories=[{"id": "membre", "name": "Membre", "decision": "board"}])
            self.c.ok("notify.subscribe", address="coordination@example.org", region=region)

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def ctl(self, *args, stdin=subprocess.DEVNULL):
        return subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--as", "marie"] + list(args),
                              capture_output=True, timeout=30, stdin=stdin)

    def on_a_terminal(self, answer, *args):
        leader, follower = pty.openpty()
        try:
            os.write(leader, answer.encode())
            return self.ctl(*args, stdin=follower)
        finally:
            os.close(leader)
            os.close(follower)

    def rows_about(self, region):
        """{table: rows} of every table whose `region` column names region."""
        db = sqlite3.connect(self.d.copy_db())  # the daemon holds the file: its copy
        try:
            found = {}
            for (table,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'"
                                       " AND name NOT IN ('own_events', 'peer_events')"):
                if "region" in [c[1] for c in db.execute('PRAGMA table_info("%s")' % table)]:
                    n = db.execute('SELECT count(*) FROM "%s" WHERE region = ?' % table, (region,)).fetchone()[0]
                    if n:
                        found[table] = n
            events = db.execute("SELECT type, data, actor FROM events WHERE region = ? ORDER BY seq",
                                (region,)).fetchall()
            plans = db.execute("SELECT count(*) FROM plans WHERE region = ?", (region,)).fetchone()[0]
            actions = db.execute("SELECT count(*) FROM actions").fetchone()[0]
            return found, events, plans, actions
        finally:
            db.close()

    def pending(self):
        return len(self.c.ok("echeance.reminders", region="lanaudiere"))

    def test_archived_is_kept_read_only_and_out_of_lists_until_restored(self):
        self.c.ok("action.create", region="lanaudiere", objective="2", number="2.9", text="Forum des élus",
                  windows=[{"kind": "dated", "start": "2030-01-01", "end": "2030-06-30"}])
        self.assertEqual(self.pending(), 4)  # 30, 7 and 1 days before, and the day after
        r = self.on_a_terminal("n\n", "region", "delete", "lanaudiere")
        self.assertEqual(r.returncode, 1)
        self.assertIn("Archiver la région Lanaudière (lanaudiere, 1 plan(s))", r.stdout.decode())
        self.assertIn("Rien n'a été archivé.", r.stdout.decode())
        r = self.ctl("region", "delete", "lanaudiere")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--yes", r.stderr.decode())
        self.assertEqual(len(self.c.ok("region.list")), 2)
        r = self.ctl("region", "delete", "lanaudiere", "--yes")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Région Lanaudière (lanaudiere) archivée", r.stdout.decode())
        self.assertEqual([x["id"] for x in self.c.ok("region.list")], ["mauricie"])
        listed = {x["id"]: x["archived"] for x in self.c.ok("region.list", archived=True)}
        self.assertIsNotNone(listed["lanaudiere"])
        self.assertIsNone(listed["mauricie"])
        self.assertEqual([x["region"] for x in self.c.ok("region.overview")], ["mauricie"])
        self.assertNotIn("lanaudiere", {e["region"] for e in self.c.ok("echeance.list", overdue=True)})
        # Kept whole, but nothing in it changes: the core's ops nor the plugins'.
        self.assertEqual(self.c.ok("action.get", region="lanaudiere", number="2.3")["number"], "2.3")
        for op, args in (("action.set_status", {"region": "lanaudiere", "number": "2.3", "status": "done"}),
                         ("calendar.add", {"region": "lanaudiere", "title": "CA", "start": "2027-04-01"})):
            err = self.c.error(op, **args)
            self.assertEqual(err["code"], "forbidden", op)
            self.assertIn("la région lanaudiere est archivée", err["message"])
            self.assertIn("region restore lanaudiere", err["message"])
        self.assertEqual(self.c.error("region.delete", id="lanaudiere")["code"], "conflict")  # archived already
        # Its reminders stop, and come back when it reopens.
        self.assertEqual(self.pending(), 0)
        r = self.ctl("region", "restore", "lanaudiere")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.c.ok("region.list")), 2)
        self.assertEqual(self.c.ok("action.set_status", region="lanaudiere", number="2.3", status="done")["status"],
                         "done")
        self.assertEqual(self.pending(), 4)
        history = self.ctl("history", "lanaudiere", "--limit", "3").stdout.decode()
        self.assertIn("lanaudiere · région « Lanaudière » rouverte (par marie)", history)
        self.assertIn("lanaudiere · région « Lanaudière » archivée (par marie)", history)
        # Undo reopens it too.
        self.c.ok("region.delete", id="lanaudiere")
        self.assertTrue(self.c.call("events.undo", {})["ok"])
        self.assertEqual(len(self.c.ok("region.list")), 2)

    def published(self, name, names_lanaudiere):
        """The file's text (None: no file) once it does or does not name
        lanaudiere, as asked (files are written off the loop)."""
        path = os.path.join(self.d.folder, "ics", name)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.c.ok("node.info")  # a round trip lets the loop finish a write
            text = None
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            if (text is not None and "de lanaudiere" in text) == names_lanaudiere:
                return text
        self.fail("%s: lanaudiere %s" % (name, "never there" if names_lanaudiere else "still there"))

    def test_purge_erases_everything_about_the_region_and_nothing_else(self):
        found, events, plans, actions = self.rows_about("lanaudiere")
        self.assertGreaterEqual(set(found), {"calendar_activities", "adhesion_policies", "notify_subscriptions",
                                             "territories"})
        self.assertEqual(plans, 1)
        others, _, _, _ = self.rows_about("mauricie")
        self.published("lanaudiere.ics", True)
        r = self.on_a_terminal("oui\n", "region", "delete", "lanaudiere", "--purge")
        self.assertEqual(r.returncode, 1)
        self.assertIn("Tapez son identifiant (lanaudiere) pour confirmer", r.stdout.decode())
        self.assertIn("Rien n'a été effacé.", r.stdout.decode())
        self.assertTrue(self.c.call("region.get", {"id": "lanaudiere"})["ok"])
        r = self.on_a_terminal("lanaudiere\n", "region", "delete", "lanaudiere", "--purge")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Région Lanaudière (lanaudiere) effacée pour de bon.", r.stdout.decode())
        found, events, plans, left = self.rows_about("lanaudiere")
        self.assertEqual(found, {})
        self.assertEqual((plans, left), (0, actions - 12))  # the demo plan's 12 actions, no other
        # The log keeps each event's place, not what it said nor who said it.
        self.assertGreater(len(events), 30)
        self.assertEqual({(d, a) for t, d, a in events[:-1]}, {(b"\x80", None)})
        self.assertEqual(events[-1][0], "region.purged")
        self.assertEqual(self.rows_about("mauricie")[0], others)
        self.assertEqual(self.c.error("region.get", id="lanaudiere")["code"], "not_found")
        # Its published calendar goes too; the others' stay.
        self.assertIsNone(self.published("lanaudiere.ics", False))
        self.assertIn("de mauricie", self.published("all.ics", False))
        self.assertIn("de mauricie", self.published("mauricie.ics", False))
        self.assertEqual(self.c.error("events.undo", seq=self.c.ok("node.info")["last_seq"])["code"],
                         "invalid_argument")
        # The id is free for a table that starts again.
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")


if __name__ == "__main__":
    unittest.main()
