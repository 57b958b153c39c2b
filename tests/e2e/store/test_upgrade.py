"""Upgrades keep every byte: a database made by each earlier schema opens with
today's concertd, is migrated in place, and reads back as it did.

Each folder of tests/fixtures/schemas was made by an earlier commit's own
concertd and plugins (tests/fixtures/schemas/make.sh, fill.py): the data
folder it left and what it answered then (expected.json). Here today's
concertd opens a copy of it with every plugin, and every answer of then must
still be given: the same plans, events, measurements, subscriptions,
activities, feeds, applications and accounts. Today's answers may carry
more (fields added since); nothing of then may differ or be missing.
"""
import glob
import json
import os
import shutil
import sqlite3
import tempfile
import unittest

from harness import PLUGINS, Daemon, FakeClock, free_port

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "schemas")
ALL_PLUGINS = "progress, notify, calendar, veille, adhesion, web"


def config(folder):
    return ("[node]\ntimezone = America/Toronto\n[plugins]\npath = %s\nload = %s\n"
            "[plugin.notify]\nsmtp_url = smtp://127.0.0.1:9\n"
            "[plugin.calendar]\nexport_dir = %s/calendrier\n[plugin.veille]\nexport_dir = %s/veille\n"
            "[plugin.web]\nlisten = 127.0.0.1:%d\n" % (PLUGINS, ALL_PLUGINS, folder, folder, free_port()))


def differences(then, now, path="", out=None):
    """Where `now` does not hold `then`: a value changed, a key or an item missing."""
    out = [] if out is None else out
    if isinstance(then, dict):
        if not isinstance(now, dict):
            out.append("%s: %r is now %r" % (path, then, now))
        else:
            for key, value in then.items():
                if key not in now:
                    out.append("%s.%s: missing (was %r)" % (path, key, value))
                else:
                    differences(value, now[key], "%s.%s" % (path, key), out)
    elif isinstance(then, list):
        if not isinstance(now, list) or len(now) != len(then):
            out.append("%s: %d items then, now %r" % (path, len(then), now if not isinstance(now, list) else len(now)))
        else:
            for i, (a, b) in enumerate(zip(then, now)):
                differences(a, b, "%s[%d]" % (path, i), out)
    elif then != now and not (isinstance(then, (int, float)) and isinstance(now, (int, float)) and then == now):
        out.append("%s: %r is now %r" % (path, then, now))
    return out


# What a running daemon changes by itself (a feed read at start): not data of then.
VOLATILE = {"veille.feeds": ("failures", "last_error", "last_fetch", "next_fetch", "last_status", "last_ok")}


def comparable(op, then, now):
    """A plugin's read, then and now, without what changes by itself; lists in
    one order (the order among equals, or a sort fixed since, is presentation)."""
    def clean(rows):
        if isinstance(rows, list):
            rows = [{k: v for k, v in r.items() if k not in VOLATILE.get(op, ())} if isinstance(r, dict) else r
                    for r in rows]
            keys = sorted(set().union(*(r.keys() for r in then if isinstance(r, dict)))) if then else []
            rows.sort(key=lambda r: json.dumps({k: r.get(k) for k in keys} if isinstance(r, dict) else r,
                                               sort_keys=True, ensure_ascii=False))
        return rows
    return clean(then), clean(now)


def fixtures():
    return sorted(os.path.dirname(p) for p in glob.glob(os.path.join(FIXTURES, "*", "expected.json")))


class Upgrade(unittest.TestCase):
    maxDiff = None

    def test_there_is_a_fixture_for_each_earlier_schema(self):
        seen = set()
        for fixture in fixtures():
            db = sqlite3.connect("file:%s?mode=ro&immutable=1" % os.path.join(fixture, "data", "concertd.db"), uri=True)
            seen.add(("core", db.execute("PRAGMA user_version").fetchone()[0]))
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'plugin_state'").fetchone():
                seen |= set(db.execute("SELECT plugin, schema_version FROM plugin_state WHERE schema_version > 0"))
            db.close()
        folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        d = Daemon(folder=folder, config=config(folder)).start()
        try:
            self.assertEqual(d.stop(), 0)  # it holds its file while it runs
            now = sqlite3.connect("file:%s/concertd.db?mode=ro" % d.data, uri=True)
            latest = {"core": now.execute("PRAGMA user_version").fetchone()[0]}
            latest.update(now.execute("SELECT plugin, schema_version FROM plugin_state"))
            now.close()
        finally:
            d.stop()
            d.cleanup()
        # Every version before today's, from the first one released (core: 2).
        wanted = {(name, v) for name, last in latest.items() for v in range(2 if name == "core" else 1, last)}
        self.assertEqual(sorted(wanted - seen), [], "schemas without a fixture database (make.sh makes one)")

    def test_each_earlier_database_upgrades_and_reads_back_as_it_did(self):
        self.assertGreaterEqual(len(fixtures()), 10)
        for fixture in fixtures():
            with self.subTest(fixture=os.path.basename(fixture)):
                self.upgrade(fixture)

    def upgrade(self, fixture):
        folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        shutil.copytree(os.path.join(fixture, "data"), os.path.join(folder, "data"))
        expected = json.load(open(os.path.join(fixture, "expected.json"), encoding="utf-8"))
        # Opened on the day it was made (fill.py's clock): a member's renewal or
        # an échéance's days left are then what they were, not a year later.
        clock = FakeClock(folder, "@" + expected["made_by"]["clock"])
        d = Daemon(node_id="tpdsl", folder=folder, config=config(folder), env=dict(clock.env(), TZ="America/Toronto"))
        d.start()
        try:
            c = d.client()
            self.assertIn("base de données migrée du schéma", d.log_text())
            now = {"regions": c.ok("region.list"), "plans": {}, "plugins": {}}
            for region in expected["regions"]:
                key = "region." + region["id"]
                now[key] = c.ok("region.get", id=region["id"])
            for plan in expected["plans"]:
                now["plans"][plan] = c.ok("plan.export", plan=int(plan))
            for key in expected:
                if key.startswith("indicator."):
                    now[key] = c.ok("indicator.history", id=int(key.split(".")[1]))
            # The events of then (the daemon may have added its own since it started).
            now["events"] = c.ok("events.since", since=0, limit=len(expected["events"]))["events"]
            then = {k: v for k, v in expected.items() if k not in ("made_by", "plugins")}
            then["plugins"] = {}
            for op, read in expected["plugins"].items():
                then["plugins"][op], now["plugins"][op] = comparable(op, read["result"], c.ok(op, **read["args"]))
            self.assertEqual(differences(then, now), [])
            # And it goes on: a change after the upgrade is kept and numbered after the old ones.
            c.ok("region.update", id="lanaudiere", name="Lanaudière (après la mise à jour)")
            events = c.ok("events.since", since=expected["events"][-1]["seq"])["events"]
            self.assertEqual([e["type"] for e in events if e["region"] == "lanaudiere" and e["type"].startswith("region.")],
                             ["region.updated"])  # beside what the daemon did by itself (a calendar reminder)
            c.close()
            self.assertEqual(d.stop(), 0)
            # Opened again: nothing left to migrate.
            d.start()
            self.assertEqual(d.log_text().count("base de données migrée du schéma"), 1)
            c = d.client()
            self.assertEqual(c.ok("region.get", id="lanaudiere")["name"], "Lanaudière (après la mise à jour)")
            c.close()
        finally:
            d.stop()
            d.cleanup()

    def test_a_database_of_a_newer_concertd_is_refused_in_words(self):
        folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        d = Daemon(folder=folder, config=config(folder)).start()
        self.assertEqual(d.stop(), 0)
        db = sqlite3.connect(os.path.join(d.data, "concertd.db"))
        latest = db.execute("PRAGMA user_version").fetchone()[0]
        db.execute("PRAGMA user_version = %d" % (latest + 1))
        db.close()
        before = open(os.path.join(d.data, "concertd.db"), "rb").read()
        try:
            code, log = d.start_refused()
            self.assertNotEqual(code, 0)
            self.assertIn("la base est au schéma %d, plus récent que celui de ce concertd (%d)" % (latest + 1, latest),
                          log)
            self.assertIn("utilisez une version plus récente de concertd", log)
            self.assertEqual(open(os.path.join(d.data, "concertd.db"), "rb").read(), before)  # untouched
            # Its plugins' schemas the same way: one written by a newer calendar plugin.
            db = sqlite3.connect(os.path.join(d.data, "concertd.db"))
            db.execute("PRAGMA user_version = %d" % latest)
            calendar = db.execute("SELECT schema_version FROM plugin_state WHERE plugin = 'calendar'").fetchone()[0]
            db.execute("UPDATE plugin_state SET schema_version = schema_version + 1 WHERE plugin = 'calendar'")
            db.commit()
            db.close()
            code, log = d.start_refused()
            self.assertNotEqual(code, 0)
            self.assertIn("la base est au schéma %d du greffon, plus récent que celui de ce greffon (%d)"
                          % (calendar + 1, calendar), log)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
