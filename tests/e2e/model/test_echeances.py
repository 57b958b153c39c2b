"""Échéances end to end: a schedule written as the plan words it becomes
dated windows (plan years counted from the plan's start), what comes due
is listed soonest first, and what could not be read is listed apart."""
import datetime
import json
import subprocess
import unittest
from zoneinfo import ZoneInfo

from harness import CONCERTCTL, Daemon


class Echeances(unittest.TestCase):
    def setUp(self):
        self.d = Daemon().start()
        self.c = self.d.client()
        c = self.c
        c.ok("region.create", id="mauricie", name="Mauricie")
        c.ok("plan.create", region="mauricie", title="Plan d'action du Consortium 2017-2020", start_date="2017-04-01")
        c.ok("objective.create", region="mauricie", number="1.2", text="Convenir des bases")
        for number, schedule in (("1.2.1", "Faire un état des lieux régional; an 1."), ("1.2.2", "Aut.13 - Hiver 14"),
                                 ("1.2.3", "an 1-2"), ("1.2.4", "Sur invitation"), ("1.2.5", "À déterminer"),
                                 ("1.2.6", "Novembre 2013 Mai 2014")):
            c.ok("action.create", region="mauricie", objective="1.2", number=number, text="Action " + number,
                 schedule=schedule)

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def windows(self, number):
        return [(w["kind"], w["start"], w["end"]) for w in
                self.c.ok("action.get", region="mauricie", number=number)["windows"]]

    def test_schedules_become_windows(self):
        self.assertEqual(self.windows("1.2.1"), [("dated", "2017-04-01", "2018-03-31")])
        self.assertEqual(self.windows("1.2.2"), [("dated", "2013-09-23", "2014-03-20")])
        self.assertEqual(self.windows("1.2.3"), [("dated", "2017-04-01", "2019-03-31")])
        self.assertEqual(self.windows("1.2.4"), [("on_demand", None, None)])
        self.assertEqual(self.windows("1.2.5"), [("unknown", None, None)])
        self.assertEqual(self.windows("1.2.6"), [("dated", "2013-11-01", "2013-11-30"),
                                                 ("dated", "2014-05-01", "2014-05-31")])
        # Editing the text reads it again; explicit windows win over the text.
        self.c.ok("action.update", region="mauricie", number="1.2.5", schedule="Printemps 2018")
        self.assertEqual(self.windows("1.2.5"), [("dated", "2018-03-21", "2018-06-20")])
        self.c.ok("action.update", region="mauricie", number="1.2.5", schedule="Printemps 2018",
                  windows=[{"kind": "ongoing"}])
        self.assertEqual(self.windows("1.2.5"), [("ongoing", None, None)])

    def test_plan_years_follow_the_plan_start(self):
        self.c.ok("action.update", region="mauricie", number="1.2.3", windows=[{"kind": "dated", "start": "2017-05-01",
                                                                               "end": "2017-06-30"}])
        self.c.ok("plan.update", region="mauricie", start_date="2018-01-01")
        self.assertEqual(self.windows("1.2.1"), [("dated", "2018-01-01", "2018-12-31")])
        self.assertEqual(self.windows("1.2.2"), [("dated", "2013-09-23", "2014-03-20")])  # no plan year in it
        self.assertEqual(self.windows("1.2.3"), [("dated", "2017-05-01", "2017-06-30")])  # explicit: kept

    def test_list_soonest_first_and_unparsed(self):
        listed = self.c.ok("echeance.list", region="mauricie", **{"from": "2013-01-01", "to": "2018-12-31"})
        self.assertEqual([(e["number"], e["end"]) for e in listed],
                         [("1.2.6", "2013-11-30"), ("1.2.2", "2014-03-20"), ("1.2.6", "2014-05-31"),
                          ("1.2.1", "2018-03-31")])
        today = datetime.datetime.now(ZoneInfo("America/Toronto")).date()  # the node's "today", not the machine's
        self.assertEqual(listed[0]["days_left"], (datetime.date(2013, 11, 30) - today).days)
        self.c.ok("action.set_status", region="mauricie", number="1.2.6", status="done")
        listed = self.c.ok("echeance.list", region="mauricie", **{"from": "2013-01-01", "to": "2018-12-31"})
        self.assertNotIn("1.2.6", [e["number"] for e in listed])
        unparsed = self.c.ok("echeance.list", unparsed=True)
        self.assertEqual([(e["number"], e["schedule"]) for e in unparsed], [("1.2.5", "À déterminer")])
        self.assertEqual(self.c.error("echeance.list", **{"from": "2020-01-01", "to": "2019-01-01"})["code"],
                         "invalid_argument")

    def test_overdue_first_then_the_next_90_days(self):
        today = datetime.datetime.now(ZoneInfo("America/Toronto")).date()
        soon, far = today + datetime.timedelta(days=30), today + datetime.timedelta(days=200)
        for number, day in (("1.2.7", soon), ("1.2.8", far)):
            self.c.ok("action.create", region="mauricie", objective="1.2", number=number, text="Action " + number,
                      schedule=day.isoformat())
        # Late: each open action once, by the window that ended last, oldest first.
        late = self.c.ok("echeance.list", overdue=True)
        self.assertEqual([(e["number"], e["end"]) for e in late],
                         [("1.2.2", "2014-03-20"), ("1.2.6", "2014-05-31"), ("1.2.1", "2018-03-31"),
                          ("1.2.3", "2019-03-31")])
        self.c.ok("action.set_status", region="mauricie", number="1.2.6", status="done")
        self.assertNotIn("1.2.6", [e["number"] for e in self.c.ok("echeance.list", overdue=True)])
        # concertctl echeances: late first, then the next 90 days (not 1.2.8, 200 days away).
        base = [CONCERTCTL, "--endpoint", self.d.command]
        out = subprocess.run(base + ["echeances"], capture_output=True, check=True, timeout=30).stdout.decode()
        late_part, coming = out.split("À venir d'ici 90 jours")
        self.assertTrue(late_part.startswith("En retard (3)"), out)
        self.assertLess(late_part.index("2014-03-20"), late_part.index("2019-03-31"))
        self.assertIn(soon.isoformat(), coming)
        self.assertNotIn(far.isoformat(), out)
        # A period with nothing in it says what is late instead of looking all clear.
        out = subprocess.run(base + ["echeances", "--from", (today + datetime.timedelta(days=40)).isoformat(), "--to",
                                     (today + datetime.timedelta(days=60)).isoformat()],
                             capture_output=True, check=True, timeout=30).stdout.decode()
        self.assertIn("rien dans cette période ; mais 3 échéance(s) en retard", out)

    def test_cli(self):
        base = [CONCERTCTL, "--endpoint", self.d.command]
        out = subprocess.run(base + ["--json", "echeances", "parse", "--plan-start", "2018-10-02", "An 1-2"],
                             capture_output=True, check=True, timeout=30).stdout
        self.assertEqual(json.loads(out)["windows"], [{"kind": "dated", "start": "2018-10-02", "end": "2020-10-01"}])
        out = subprocess.run(base + ["echeances", "--region", "mauricie", "--from", "2013-01-01"],
                             capture_output=True, check=True, timeout=30).stdout.decode()
        self.assertLess(out.index("2013-11-30"), out.index("2018-03-31"))
        out = subprocess.run(base + ["echeances", "--unparsed"], capture_output=True, check=True,
                             timeout=30).stdout.decode()
        self.assertIn("À déterminer", out)


if __name__ == "__main__":
    unittest.main()
