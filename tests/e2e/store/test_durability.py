"""Durability: mutations are sent with many in flight, concertd is killed
with SIGKILL at a random point, restarted, and then every mutation that got
ok:true must be there, and nothing may be half-applied (an action without
its windows or its event, a gap in the event log), and a plugin got every
event once (its cursor moves with its own writes: none skipped, none twice).

The suite kills 12 times; tools/kill-run kills 200 times (CONCERTD_KILL_ROUNDS).

And the flush of the WAL, which the bus does apart from its COMMIT (on a
thread of its own when more requests wait): no reply and no event before
it, through a disk made slow on purpose; a flush that fails stops the
daemon without a word to the clients (tests/support/flush_gate.c)."""
import os
import random
import sqlite3
import tempfile
import unittest

from harness import PATIENCE, TEST_PLUGINS, Daemon, recv_event, subscriber, sync_subscriber

IN_FLIGHT = 64
ROUNDS = int(os.environ.get("CONCERTD_KILL_ROUNDS", "12"))
# The probe plugin records every region.* event it is handed (seq as primary key).
CONFIG = "[plugins]\npath = %s\nload = probe\n" % TEST_PLUGINS


class Durability(unittest.TestCase):
    def setUp(self):
        seed = int(os.environ.get("CONCERTD_TEST_SEED", random.randrange(1 << 30)))
        print("seed", seed)
        self.rng = random.Random(seed)
        self.d = Daemon(node_id="durable", config=CONFIG).start()
        c = self.d.client()
        c.ok("region.create", id="mauricie", name="Mauricie")
        c.ok("plan.create", region="mauricie", title="Plan d'action 2017-2020")
        c.ok("objective.create", region="mauricie", number="1", text="Maintenir et développer la concertation")
        c.close()

    def tearDown(self):
        self.d.cleanup()

    def run_until_killed(self, first, kill_after):
        """Pipelines action.create for numbers first, first+1, …; kills the
        daemon after kill_after acks, with requests still in flight.
        Returns the set of acknowledged numbers."""
        c = self.d.client()
        acked, pending, n = set(), {}, first
        try:
            while len(acked) < kill_after:
                while len(pending) < IN_FLIGHT:
                    number = "1.%d" % n
                    rid = c.send("action.create", {
                        "region": "mauricie", "objective": "1", "number": number,
                        "text": "Planifier et organiser la rencontre nº %d du comité directeur" % n,
                        "schedule": "Automne 2018",
                        "windows": [{"kind": "dated", "start": "2018-09-23", "end": "2018-12-20"},
                                    {"kind": "ongoing"}]})
                    pending[rid] = number
                    if n % 4 == 0:  # a region.* event for the plugin too
                        pending[c.send("region.update", {"id": "mauricie", "organisation": "CDS %d" % n})] = None
                    n += 1
                reply = c.recv()
                number = pending.pop(reply["id"])
                self.assertTrue(reply["ok"], reply)
                if number:
                    acked.add(number)
            self.d.kill()
        finally:
            c.close()
        return acked, n

    def check_consistent(self, acked_all):
        db = sqlite3.connect("file:%s?mode=ro" % self.d.copy_db(), uri=True)  # the restarted daemon holds the file
        try:
            numbers = {r[0] for r in db.execute("SELECT number FROM actions WHERE number LIKE '1.%'")}
            self.assertTrue(acked_all <= numbers, "acknowledged but lost: %s" % sorted(acked_all - numbers)[:10])
            # Every action has both its windows and its creation event.
            bad = db.execute("SELECT a.number FROM actions a WHERE (SELECT count(*) FROM action_windows w"
                             " WHERE w.action = a.id) <> 2").fetchall()
            self.assertEqual(bad, [])
            created = db.execute("SELECT count(*) FROM events WHERE type = 'action.created'").fetchone()[0]
            self.assertEqual(created, len(numbers))
            seqs = [r[0] for r in db.execute("SELECT seq FROM events WHERE origin = 'durable' ORDER BY seq")]
            self.assertEqual(seqs, list(range(1, len(seqs) + 1)), "the event log has a gap")
            # The plugin was handed every region.* event exactly once (its
            # table's seq is a primary key: a second delivery fails and counts).
            region_events = [r[0] for r in db.execute("SELECT seq FROM events WHERE type LIKE 'region.%' ORDER BY seq")]
            handed = [r[0] for r in db.execute("SELECT seq FROM probe_events ORDER BY seq")]
            self.assertEqual(handed, region_events, "the plugin missed or doubled an event")
            return numbers
        finally:
            db.close()

    def test_sigkill_loses_nothing_acknowledged(self):
        acked_all, first = set(), 1
        for _ in range(ROUNDS):
            acked, first = self.run_until_killed(first, self.rng.randint(20, 400))
            acked_all |= acked
            self.d.start()
            numbers = self.check_consistent(acked_all)
            # The restarted daemon serves what is on disk and continues the log.
            c = self.d.client()
            try:
                listed = {a["number"] for a in c.ok("action.list", region="mauricie")}
                self.assertEqual(listed, numbers)
                info = c.ok("node.info")
                events = c.ok("events.since", since=info["last_seq"] - 1)["events"]
                self.assertEqual(len(events), 1)
                probe = [p for p in info["plugins"] if p["name"] == "probe"][0]
                self.assertEqual((probe["state"], probe["event_errors"]), ("running", 0))
            finally:
                c.close()
        self.assertEqual(self.d.stop(), 0)


class Flush(unittest.TestCase):
    """The WAL's flush, through a disk made slow, or failing, on purpose."""

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-flush-")
        self.gate, self.fail = os.path.join(self.folder, "gate"), os.path.join(self.folder, "fail")
        self.pass_one = os.path.join(self.folder, "pass")
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = {"LD_PRELOAD": os.environ["CONCERTD_FLUSH_GATE"], "FLUSH_GATE": self.gate, "FLUSH_PASS": self.pass_one,
               "FLUSH_FAIL": self.fail,
               "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
        self.d = Daemon(node_id="flush", folder=self.folder, env=env).start()
        self.c = self.d.client()
        self.c.ok("region.create", id="mauricie", name="Mauricie")
        self.sub = subscriber(self.d.events, "mauricie/")

    def tearDown(self):
        self.sub.close(0)
        self.c.close()
        self.d.cleanup()

    def test_no_reply_and_no_event_before_the_wal_is_on_disk(self):
        sync_subscriber(self.sub, self.c, "mauricie")  # live, nothing left to come
        # The loop held in a first request's flush (SQLite's, at its COMMIT) while
        # 49 more queue up: they make a batch, whose WAL is flushed apart. That first
        # flush alone is then let through; every later one stays held, however the
        # 49 were batched.
        open(self.gate, "w").close()
        ids = [self.c.send("region.update", {"id": "mauricie", "organisation": "CDSM 0"})]
        self.assertFalse(self.c.sock.poll(300), "a reply went out before its flush")
        self.assertFalse(self.sub.poll(0), "an event went out before its flush")
        ids += [self.c.send("region.update", {"id": "mauricie", "organisation": "CDSM %d" % i}) for i in range(1, 50)]
        open(self.pass_one, "w").close()
        self.assertEqual(self.c.recv(10000 * PATIENCE)["id"], ids[0])
        self.assertEqual(recv_event(self.sub, 10000 * PATIENCE)[1]["data"]["organisation"], "CDSM 0")
        # Committed, maybe, but not on disk: nothing may say it happened.
        self.assertFalse(self.c.sock.poll(500), "a reply went out before the WAL was flushed")
        self.assertFalse(self.sub.poll(0), "an event went out before the WAL was flushed")
        os.unlink(self.gate)
        replies = [self.c.recv(10000 * PATIENCE) for _ in ids[1:]]
        self.assertEqual(sorted(r["id"] for r in replies), ids[1:])
        self.assertTrue(all(r["ok"] for r in replies), replies)
        events = [recv_event(self.sub, 10000 * PATIENCE)[1] for _ in ids[1:]]
        self.assertEqual([e["data"]["organisation"] for e in events], ["CDSM %d" % i for i in range(1, 50)])
        self.assertEqual([e["seq"] for e in events], list(range(events[0]["seq"], events[0]["seq"] + 49)))

    def test_a_flush_that_fails_stops_the_daemon_without_answering(self):
        # The loop held in a first request's flush while twenty more queue up: they then
        # make a batch, whose WAL is flushed apart (a lone request is flushed by SQLite
        # at its COMMIT, which fails and says so: "unavailable", nothing saved — the
        # first one, and any of the twenty that came alone).
        open(self.gate, "w").close()
        self.c.send("region.update", {"id": "mauricie", "organisation": "CDSM"})
        self.assertFalse(self.c.sock.poll(300), "answered before its flush")
        for i in range(20):
            self.c.send("region.update", {"id": "mauricie", "organisation": "CDSM %d" % i})
        open(self.fail, "w").close()  # the disk now says the WAL may not be there
        os.unlink(self.gate)
        self.assertEqual(self.d.proc.wait(20 * PATIENCE), 74)  # EX_IOERR
        replies = []
        while self.c.sock.poll(0):
            replies.append(self.c.recv(0))
        self.assertTrue(all(not r["ok"] for r in replies), "a change the disk did not confirm was acknowledged")
        self.assertTrue(all(r["error"]["code"] == "unavailable" for r in replies), replies)  # may be lost at the exit
        self.assertFalse(self.sub.poll(0), "a change the disk did not confirm was published")
        self.assertIn("le disque n'a pas confirmé l'écriture du journal", self.d.log_text())
        self.d.log.close()
        os.unlink(self.fail)
        self.d.proc = None
        self.d.start()  # restarted, SQLite takes what is on disk: the log without a gap
        info = self.c.ok("node.info")
        events = self.c.ok("events.since", since=0)["events"]
        self.assertEqual([e["seq"] for e in events], list(range(1, info["last_seq"] + 1)))


class FlushOfPlugins(unittest.TestCase):
    """What a plugin writes and emits when handed the bus's events is committed
    without waiting for the disk (the bus flushes it next, on its flusher's
    thread): its events are held until that flush, as the bus's are."""

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-flush-")
        self.gate, self.pass_one = os.path.join(self.folder, "gate"), os.path.join(self.folder, "pass")
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = {"LD_PRELOAD": os.environ["CONCERTD_FLUSH_GATE"], "FLUSH_GATE": self.gate, "FLUSH_PASS": self.pass_one,
               "FLUSH_FAIL": os.path.join(self.folder, "fail"),
               "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
        self.d = Daemon(node_id="flush", folder=self.folder, env=env, config=CONFIG).start()
        self.c = self.d.client()
        self.sub = subscriber(self.d.events, "")
        self.c.ok("region.create", id="mauricie", name="Mauricie")
        sync_subscriber(self.sub, self.c, "mauricie")  # live
        while self.sub.poll(1000):  # the probe's probe.seen for mauricie, if it came after
            self.sub.recv_multipart()

    def tearDown(self):
        self.sub.close(0)
        self.c.close()
        self.d.cleanup()

    def test_a_plugins_event_waits_for_its_flush(self):
        # The region's creation flushed alone (SQLite's, at its COMMIT, let through
        # once); the probe, handed region.created, emits probe.seen: its commit's
        # flush stays held, and so does its event.
        open(self.gate, "w").close()
        rid = self.c.send("region.create", {"id": "laval", "name": "Laval"})
        open(self.pass_one, "w").close()
        self.assertEqual(self.c.recv(10000 * PATIENCE)["id"], rid)
        topic, event = recv_event(self.sub, 10000 * PATIENCE)
        self.assertEqual((topic, event["type"]), ("laval/region.created", "region.created"))
        self.assertFalse(self.sub.poll(700), "the plugin's event went out before its flush")
        os.unlink(self.gate)
        topic, event = recv_event(self.sub, 10000 * PATIENCE)
        self.assertEqual(topic, "laval/probe.seen")
        self.assertEqual(event["data"]["seq"], event["seq"] - 1, "seen: the region's creation, just before")
        db = sqlite3.connect("file:%s?mode=ro" % self.d.copy_db(), uri=True)  # the daemon holds the file
        try:
            handed = [r[0] for r in db.execute("SELECT seq FROM probe_events ORDER BY seq")]
        finally:
            db.close()
        self.assertEqual(handed[-1], event["seq"] - 1, "its cursor and rows committed with its event")


if __name__ == "__main__":
    unittest.main()
