"""Backups that restore: concertctl backup FILE while commands keep arriving
gives a consistent copy (the model and the event log agree, every table,
the plugins' too); concertd --restore FILE brings a data folder back to it,
keeping the current database aside, and is refused while a daemon runs; a
damaged database stops the start in words, and concertctl db check /
concertd --check-db say whether it is sound; a national node restored from
an older backup catches up from the table it follows."""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from harness import CONCERTCTL, CONCERTD, PATIENCE, PLUGINS, Daemon, free_port, seed_plan


def ctl(daemon, *args):
    return subprocess.run([CONCERTCTL, "--endpoint", daemon.command] + list(args), capture_output=True,
                          timeout=120 * PATIENCE)


def rows(path):
    """Every row of every table of the SQLite file at path (as Daemon.snapshot)."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: sorted(map(repr, db.execute("SELECT * FROM %s" % t))) for t in tables}
    finally:
        db.close()


def restore(data_dir, file):
    return subprocess.run([CONCERTD, "--data-dir", data_dir, "--restore", file], capture_output=True, timeout=60)


class Backup(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(config="[plugins]\npath = %s\nload = calendar, adhesion, notify\n" % PLUGINS).start()
        self.c = self.d.client()
        seed_plan(self.c)
        self.c.ok("calendar.add", region="lanaudiere", title="Assemblée générale", start="2027-06-10T18:30")
        self.work = tempfile.mkdtemp(prefix="concertd-backup-")

    def tearDown(self):
        self.c.close()
        if self.d.proc:
            self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)

    def test_a_backup_under_load_is_consistent_and_restores_every_row(self):
        stop = threading.Event()
        written = []

        def writer():
            w = self.d.client()
            i = 0
            while not stop.is_set():
                i += 1
                w.ok("region.update", id="lanaudiere", name="Lanaudière %d" % i)
                w.ok("action.note", region="lanaudiere", number="1.2", text="Suivi n° %d" % i)
                written.append(i)
            w.close()

        t = threading.Thread(target=writer)
        t.start()
        try:
            while len(written) < 20:  # the load is on before the copy starts
                self.c.ok("node.info")
            first = os.path.join(self.work, "sous-charge.db")
            r = ctl(self.d, "backup", first)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            self.assertIn("vérifiée", r.stdout.decode())
            during = len(written)
        finally:
            stop.set()
            t.join()
        self.assertGreater(len(written), during - 1)
        copy = rows(first)
        # One moment of the database: the model says what the last event of the log says.
        db = sqlite3.connect("file:%s?mode=ro" % first, uri=True)
        seqs = [s for (s,) in db.execute("SELECT seq FROM events WHERE origin = 'test' ORDER BY seq")]
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
        last_update = db.execute("SELECT data FROM events WHERE type = 'region.updated' ORDER BY seq DESC LIMIT 1").fetchone()
        name = db.execute("SELECT name FROM regions WHERE id = 'lanaudiere'").fetchone()[0]
        self.assertIn(name.encode(), last_update[0])
        notes = db.execute("SELECT count(*) FROM events WHERE type = 'action.noted'").fetchone()[0]
        self.assertEqual(db.execute("SELECT count(*) FROM action_notes").fetchone()[0], notes)
        self.assertGreaterEqual(notes, 20)
        db.close()
        # The plugins' tables are in it: the calendar's activity.
        self.assertEqual(len(copy["calendar_activities"]), 1)
        self.assertIn("Assemblée générale", copy["calendar_activities"][0])

        # Restored into a fresh data folder: the file is the copy, and a daemon starts on it
        # with every row and the same log (the plugins' cursors move on as they catch up with it).
        fresh = os.path.join(self.work, "data")
        r = restore(fresh, first)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn("restaurée depuis", r.stdout.decode())
        self.assertEqual(rows(os.path.join(fresh, "concertd.db")), copy)
        back = Daemon(folder=tempfile.mkdtemp(prefix="concertd-e2e-"),
                      config="[plugins]\npath = %s\nload = calendar, adhesion, notify\n" % PLUGINS)
        back.data = fresh
        back.start()
        try:
            b = back.client()
            self.assertEqual(b.ok("region.get", id="lanaudiere")["name"], name)
            self.assertEqual(len(b.ok("events.since", since=0, limit=10000)["events"]), len(seqs))
            b.close()
        finally:
            self.assertEqual(back.stop(), 0)
            back.cleanup()
        after_start = rows(os.path.join(fresh, "concertd.db"))
        self.assertEqual({t: v for t, v in after_start.items() if t != "plugin_state"},
                         {t: v for t, v in copy.items() if t != "plugin_state"})

        # Without load, the copy is the live database row for row.
        quiet = os.path.join(self.work, "au-calme.db")
        r = ctl(self.d, "backup", quiet)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(rows(quiet), self.d.snapshot())
        # A backup is never written over.
        r = ctl(self.d, "backup", quiet)
        self.assertEqual(r.returncode, 2)
        self.assertIn("existe déjà", r.stderr.decode())

    def test_restore_is_refused_while_the_daemon_runs_and_keeps_the_current_database_aside(self):
        file = os.path.join(self.work, "a.db")
        self.assertEqual(ctl(self.d, "backup", file).returncode, 0)
        before = self.d.snapshot()
        r = restore(self.d.data, file)
        self.assertEqual(r.returncode, 1)
        self.assertIn("un autre concertd (pid", r.stderr.decode())
        self.c.ok("region.update", id="lanaudiere", name="Après la sauvegarde")
        self.assertNotEqual(self.d.snapshot(), before)
        self.assertEqual(self.d.stop(), 0)
        after = self.d.snapshot()
        r = restore(self.d.data, file)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        aside = [f for f in os.listdir(self.d.data) if f.startswith("concertd.db.avant-restauration-") and
                 not f.endswith("-wal")]
        self.assertEqual(len(aside), 1, os.listdir(self.d.data))
        self.assertEqual(rows(os.path.join(self.d.data, aside[0])), after)
        self.assertEqual(rows(os.path.join(self.d.data, "concertd.db")), before)
        # Not a backup: refused in words, nothing touched.
        junk = os.path.join(self.work, "pas-une-base.db")
        with open(junk, "wb") as f:
            f.write(b"bonjour" * 1000)
        r = restore(self.d.data, junk)
        self.assertEqual(r.returncode, 1)
        self.assertIn("pas une base SQLite", r.stderr.decode())
        self.assertEqual(rows(os.path.join(self.d.data, "concertd.db")), before)

    def test_a_damaged_database_is_said_and_stops_the_start(self):
        r = ctl(self.d, "db", "check")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn("base saine", r.stdout.decode())
        self.assertEqual(self.d.stop(), 0)
        path = os.path.join(self.d.data, "concertd.db")
        size = os.path.getsize(path)
        with open(path, "r+b") as f:  # every page after the first two: garbage
            f.seek(8192)
            f.write(b"\xa5" * (size - 8192))
        r = subprocess.run([CONCERTD, "--data-dir", self.d.data, "--check-db"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("base abîmée", r.stdout.decode())
        code, log = self.d.start_refused()
        self.assertNotEqual(code, 0)
        self.assertIn("base abîmée", log)
        self.assertIn("concertd --restore", log)


class RestoredNodeCatchesUp(unittest.TestCase):
    def test_a_national_node_restored_from_an_older_backup_catches_up(self):
        rf, nf = tempfile.mkdtemp(prefix="concertd-e2e-"), tempfile.mkdtemp(prefix="concertd-e2e-")
        keys = []
        for folder in (rf, nf):
            r = subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, "noeud.key")], capture_output=True)
            keys.append(r.stdout.decode().strip())
        ports = [free_port() for _ in range(4)]
        regional = Daemon(node_id="tpdsl", folder=rf, config=(
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "[peer.rqds]\npublic_key = %s\n" % (ports[0], ports[1], keys[1]))).start()
        config = ("[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                  "[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                  "regions = lanaudiere\n" % (ports[2], ports[3], keys[0], ports[0], ports[1]))
        national = Daemon(node_id="rqds", folder=nf, config=config).start()
        backup = os.path.join(nf, "rqds.db")
        try:
            r, n = regional.client(), national.client()

            def mirrored(count):
                deadline = time.monotonic() + 30 * PATIENCE
                while len(n.ok("events.since", origin="tpdsl", since=0)["events"]) < count:
                    self.assertLess(time.monotonic(), deadline, national.log_text())

            r.ok("region.create", id="lanaudiere", name="Lanaudière")
            for i in range(4):
                r.ok("region.update", id="lanaudiere", name="Lanaudière %d" % i)
            mirrored(5)
            self.assertEqual(ctl(national, "backup", backup).returncode, 0)
            table_backup = os.path.join(rf, "tpdsl.db")
            self.assertEqual(ctl(regional, "backup", table_backup).returncode, 0)
            for i in range(10):
                r.ok("region.update", id="lanaudiere", name="Lanaudière après %d" % i)
            mirrored(15)
            n.close()
            self.assertEqual(national.stop(), 0)
            res = restore(national.data, backup)
            self.assertEqual(res.returncode, 0, res.stderr.decode())
            self.assertIn("5 événements", res.stdout.decode())
            national.start()
            n = national.client()
            mirrored(15)
            deadline = time.monotonic() + 30 * PATIENCE
            while (n.call("region.get", {"id": "lanaudiere"}).get("result") or {}).get("name") != "Lanaudière après 9":
                self.assertLess(time.monotonic(), deadline, national.log_text())
            # The table itself restored from an older backup counts its events again from
            # there: its follower does not take them as if nothing happened, and says why.
            r.close()
            self.assertEqual(regional.stop(), 0)
            res = restore(regional.data, table_backup)
            self.assertEqual(res.returncode, 0, res.stderr.decode())
            regional.start()
            r = regional.client()
            self.assertLess(r.ok("node.info")["last_seq"], 15)
            deadline = time.monotonic() + 30 * PATIENCE
            while "numérote de nouveau ses événements" not in national.log_text():
                self.assertLess(time.monotonic(), deadline, national.log_text())
                n.ok("node.info")
            line = [l for l in national.log_text().splitlines() if "numérote de nouveau" in l][0]
            self.assertIn(" ERROR ", line)
            self.assertIn("restauré d'une sauvegarde", line)
            self.assertIn("numérote de nouveau", n.ok("federation.status")[0]["last_error"])
            # Its new changes reuse numbers the national node has: not taken as if they followed.
            for i in range(12):
                r.ok("region.update", id="lanaudiere", name="Lanaudière restaurée %d" % i)
            self.assertEqual(r.ok("node.info")["last_seq"], 17)
            mine = n.ok("events.since", origin="tpdsl", since=0)["events"]
            self.assertEqual(len(mine), 15)
            self.assertEqual(mine[-1]["data"]["name"], "Lanaudière après 9")
            n.close()
            r.close()
        finally:
            for d in (national, regional):
                if d.proc:
                    self.assertEqual(d.stop(), 0)
                d.cleanup()


if __name__ == "__main__":
    unittest.main()
