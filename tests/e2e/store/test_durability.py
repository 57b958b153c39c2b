"""Durability: mutations are sent with many in flight, concertd is killed
with SIGKILL at a random point, restarted, and then every mutation that got
ok:true must be there, and nothing may be half-applied (an action without
its windows or its event, a gap in the event log), and a plugin got every
event once (its cursor moves with its own writes: none skipped, none twice).

The suite kills 12 times; tools/kill-run kills 200 times (CONCERTD_KILL_ROUNDS)."""
import os
import random
import sqlite3
import unittest

from harness import TEST_PLUGINS, Daemon

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
        db = sqlite3.connect("file:%s/concertd.db?mode=ro" % self.d.data, uri=True)
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


if __name__ == "__main__":
    unittest.main()
