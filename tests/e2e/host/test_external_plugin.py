"""tools/external_plugin.py, the example of a plugin out of process: it
keeps the plan's "Actions réalisées" indicator right, and running it again
counts nothing twice."""
import os
import subprocess
import sys
import tempfile
import unittest

from harness import SOURCE, Daemon, seed_plan

SCRIPT = os.path.join(SOURCE, "tools", "external_plugin.py")


class ExternalPlugin(unittest.TestCase):
    def test_keeps_the_indicator_and_counts_once(self):
        d = Daemon().start()
        state = tempfile.mktemp(prefix="external-plugin-")
        try:
            c = d.client()
            seed_plan(c)
            run = [sys.executable, SCRIPT, "--endpoint", d.command, "--events", d.events, "--state", state, "--once"]
            # Run after each change, as it would live.
            for number, status, date in (("1.1", "done", "2019-03-01"), ("1.2", "in_progress", "2019-04-01"),
                                         ("1.2", "done", "2019-09-01")):
                c.ok("action.set_status", region="lanaudiere", number=number, status=status, date=date)
                subprocess.run(run, check=True, timeout=60)
            ind = [i for i in c.ok("indicator.list", region="lanaudiere") if i["name"] == "Actions réalisées"]
            self.assertEqual(len(ind), 1)
            history = c.ok("indicator.history", id=ind[0]["id"])["measurements"]
            self.assertEqual([(m["date"], m["value"]) for m in history], [("2019-03-01", 1), ("2019-09-01", 2)])
            subprocess.run(run, check=True, timeout=60)  # nothing new: nothing recorded twice
            self.assertEqual(len(c.ok("indicator.history", id=ind[0]["id"])["measurements"]), 2)
            # Down while two changes happen: one measurement, the count and date of the latest.
            c.ok("action.set_status", region="lanaudiere", number="1.1", status="in_progress", date="2020-01-15")
            c.ok("action.set_status", region="lanaudiere", number="1.2", status="postponed", date="2020-02-20")
            subprocess.run(run, check=True, timeout=60)
            history = c.ok("indicator.history", id=ind[0]["id"])["measurements"]
            self.assertEqual([(m["date"], m["value"]) for m in history[2:]], [("2020-02-20", 0)])
            c.close()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()
            if os.path.exists(state):
                os.unlink(state)


if __name__ == "__main__":
    unittest.main()
