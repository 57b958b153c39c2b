"""Reminders before échéances, end to end, on a clock the test sets
(libfaketime): each (action, window, horizon) fires once, as the days come;
a daemon down over the moment catches up once; a clock that jumps back and
forth fires nothing twice; an edited échéance is reminded again; done
actions and old plans get none."""
import os
import subprocess
import tempfile
import unittest

from harness import CONCERTCTL, SOURCE, Daemon, FakeClock, recv_event, subscriber, sync_subscriber

CONFIG = "[node]\ntimezone = America/Toronto\n[reminders]\ncheck_every = %s\n"


class Reminders(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        self.clock = FakeClock(self.folder, "2026-09-01 12:00:00")
        self.d = None

    def start(self, check_every="3600"):
        self.d = Daemon(folder=self.folder, config=CONFIG % check_every, env=self.clock.env()).start()
        self.c = self.d.client()
        return self.c

    def stop(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)

    def tearDown(self):
        if self.d and self.d.proc:
            self.stop()
        if self.d:
            self.d.cleanup()

    def seed(self, schedule="3 octobre 2026", number="1.1"):
        c = self.c
        if not c.call("region.get", {"id": "estrie"})["ok"]:
            c.ok("region.create", id="estrie", name="Estrie")
        if not c.call("plan.get", {"region": "estrie"})["ok"]:
            c.ok("plan.create", region="estrie", title="Plan d'action 2026-2028", start_date="2026-04-01")
            c.ok("objective.create", region="estrie", number="1", text="Mieux se connaître")
        c.ok("action.create", region="estrie", objective="1", number=number, text="Tenir le forum régional",
             responsible="Coordination", schedule=schedule)

    def remind(self):
        """Runs the check now; returns what was sent as (type, number, due_on)."""
        return [(s["type"], s["number"], s["due_on"]) for s in self.c.ok("echeance.remind")["sent"]]

    def reminder_events(self):
        events = self.c.ok("events.since", since=0, limit=10000)["events"]
        return [(e["type"], e["data"]["action"]["number"], e["data"]["horizon_days"], e["data"]["window"]["end"],
                 e["data"]["days_left"]) for e in events if e["type"].startswith("echeance.")]

    def test_each_horizon_fires_once_as_the_days_come(self):
        self.start()
        self.seed()
        self.assertEqual(self.remind(), [])
        for day, expected in (("2026-09-02", []), ("2026-09-03", [("echeance.upcoming", "1.1", "2026-09-03")]),
                              ("2026-09-20", []), ("2026-09-26", [("echeance.upcoming", "1.1", "2026-09-26")]),
                              ("2026-10-02", [("echeance.upcoming", "1.1", "2026-10-02")]), ("2026-10-03", []),
                              ("2026-10-04", [("echeance.overdue", "1.1", "2026-10-04")]), ("2026-12-01", [])):
            self.clock.set(day + " 12:00:00")
            self.assertEqual(self.remind(), expected, day)
        self.assertEqual(self.reminder_events(),
                         [("echeance.upcoming", "1.1", 30, "2026-10-03", 30),
                          ("echeance.upcoming", "1.1", 7, "2026-10-03", 7),
                          ("echeance.upcoming", "1.1", 1, "2026-10-03", 1),
                          ("echeance.overdue", "1.1", None, "2026-10-03", -1)])
        event = self.c.ok("events.since", since=0)["events"][-1]["data"]
        self.assertEqual((event["action"]["text"], event["action"]["responsible"], event["plan"]["title"]),
                         ("Tenir le forum régional", "Coordination", "Plan d'action 2026-2028"))

    def test_the_daemon_reminds_by_itself(self):
        self.start(check_every="0.05")
        sub = subscriber(self.d.events, "estrie/")
        try:
            self.c.ok("region.create", id="estrie", name="Estrie")
            sync_subscriber(sub, self.c, "estrie")
            self.seed(schedule="8 septembre 2026")  # 7 days from the clock's today
            topic, event = recv_event(sub)
            while not topic.startswith("estrie/echeance."):
                topic, event = recv_event(sub)
            self.assertEqual((topic, event["data"]["horizon_days"], event["data"]["days_left"]),
                             ("estrie/echeance.upcoming", 7, 7))
        finally:
            sub.close()

    def test_down_over_the_moment_catches_up_once(self):
        self.start()
        self.seed()
        self.stop()
        # Down from September 1st to October 2nd: the 30- and 7-day moments
        # passed; on start only the latest, 1 day, is sent.
        self.clock.set("2026-10-02 12:00:00")
        self.start()
        self.assertEqual(self.reminder_events(), [("echeance.upcoming", "1.1", 1, "2026-10-03", 1)])
        skipped = self.c.ok("echeance.reminders", region="estrie", state="skipped")
        self.assertEqual(sorted(r["horizon_days"] for r in skipped), [7, 30])
        self.stop()
        self.start()
        self.assertEqual(len(self.reminder_events()), 1)
        self.assertEqual(self.remind(), [])

    def test_a_clock_that_jumps_fires_nothing_twice(self):
        self.start()
        self.seed()
        self.clock.set("2026-09-05 12:00:00")
        self.assertEqual(len(self.remind()), 1)
        self.clock.set("2026-08-01 12:00:00")
        self.assertEqual(self.remind(), [])
        self.clock.set("2026-09-05 12:00:00")
        self.assertEqual(self.remind(), [])
        self.clock.set("2027-01-01 12:00:00")  # far ahead: only the overdue one
        self.assertEqual(self.remind(), [("echeance.overdue", "1.1", "2026-10-04")])
        self.assertEqual(len(self.reminder_events()), 2)

    def test_an_edited_echeance_is_reminded_again(self):
        self.start()
        self.seed()
        self.clock.set("2026-09-26 12:00:00")
        self.assertEqual(self.remind(), [("echeance.upcoming", "1.1", "2026-09-26")])
        self.c.ok("action.update", region="estrie", number="1.1", schedule="17 octobre 2026")
        self.assertEqual(self.remind(), [])  # the new 30-day moment passed before it was known
        self.clock.set("2026-10-10 12:00:00")
        self.assertEqual(self.remind(), [("echeance.upcoming", "1.1", "2026-10-10")])
        self.assertEqual(self.reminder_events()[-1], ("echeance.upcoming", "1.1", 7, "2026-10-17", 7))

    def test_done_and_cancelled_actions_get_none(self):
        self.start()
        self.seed()
        self.seed(number="1.2")
        self.c.ok("action.set_status", region="estrie", number="1.1", status="done")
        self.c.ok("action.set_status", region="estrie", number="1.2", status="cancelled")
        self.clock.set("2026-09-26 12:00:00")
        self.assertEqual(self.remind(), [])
        # Back to work: the reminders still ahead come back.
        self.c.ok("action.set_status", region="estrie", number="1.1", status="in_progress")
        self.clock.set("2026-10-02 12:00:00")
        self.assertEqual(self.remind(), [("echeance.upcoming", "1.1", "2026-10-02")])

    def test_a_region_chooses_its_horizons(self):
        self.start()
        self.seed()
        region = self.c.ok("region.update", id="estrie", reminders={"days": [7, 14], "overdue": False})
        self.assertEqual(region["reminders"], {"days": [14, 7], "overdue": False, "undated_every_days": 0})
        pending = self.c.ok("echeance.reminders", region="estrie")
        self.assertEqual([(r["type"], r["horizon_days"], r["due_on"]) for r in pending],
                         [("upcoming", 14, "2026-09-19"), ("upcoming", 7, "2026-09-26")])
        err = self.c.error("region.update", id="estrie", reminders={"days": [400]})
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "reminders.days"))

    def test_concertctl_sets_horizons_and_lists_reminders(self):
        self.start()
        self.seed()
        base = [CONCERTCTL, "--endpoint", self.d.command, "--events", self.d.events]
        r = subprocess.run(base + ["region", "update", "estrie", "--remind-days", "10", "--remind-overdue", "false"],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Rappels      : 10 jours avant chaque échéance\n", r.stdout.decode())
        r = subprocess.run(base + ["echeances", "reminders", "--region", "estrie"], capture_output=True, timeout=30)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 3)  # header, rule, one reminder
        self.assertIn("2026-09-23  à venir", lines[2])
        self.assertIn("Tenir le forum régional", lines[2])
        r = subprocess.run(base + ["region", "update", "estrie", "--remind-overdue", "peut-être"], capture_output=True,
                           timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--remind-overdue: true ou false", r.stderr.decode())

    def test_undated_windows_only_when_asked(self):
        self.start()
        self.seed(schedule="En continu")
        self.clock.set("2026-12-31 12:00:00")
        self.assertEqual(self.remind(), [])
        self.c.ok("region.update", id="estrie", reminders={"undated_every_days": 30})
        self.clock.set("2027-01-30 12:00:00")
        self.assertEqual(self.remind(), [("echeance.follow_up", "1.1", "2027-01-30")])
        self.clock.set("2027-03-01 12:00:00")
        self.assertEqual(self.remind(), [("echeance.follow_up", "1.1", "2027-03-01")])

    def test_an_old_plan_imported_today_sends_no_flood(self):
        self.clock.set("2026-11-22 12:00:00")
        self.start()
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        source = os.path.join(SOURCE, "tests", "fixtures", "seeds", "001_1e99cf7335cf62a6.txt")
        with open(source, encoding="utf-8") as f:
            self.c.ok("plan.import", region="lanaudiere", format="table", text=f.read())
        self.assertEqual(self.remind(), [])
        self.assertEqual(self.c.ok("echeance.reminders", region="lanaudiere"), [])
        self.assertGreater(len(self.c.ok("echeance.reminders", region="lanaudiere", state="skipped", limit=1000)), 100)


if __name__ == "__main__":
    unittest.main()
