"""A region named by its name reaches every plugin as its slug (adversary
F2, F6): calendar.add by name answered internal, and notify, adhesion and
the veille stored the raw name, so a subscription never matched and the
data could not be found by slug. The host resolves the region argument of
every plugin op once, before the plugin sees it."""
import unittest

from harness import PLUGINS, Daemon, free_port

CONFIG = ("[node]\ntimezone = America/Toronto\n[plugins]\npath = %s\nload = notify, calendar, adhesion, veille\n"
          "[plugin.notify]\nsmtp_url = smtp://127.0.0.1:%d\ntls = none\nfrom = Table <table@example.org>\n"
          "pump_ms = 600000\n")


class RegionNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config=CONFIG % (PLUGINS, free_port())).start()
        cls.c = cls.d.client()
        c = cls.c
        c.ok("region.create", id="rbn", name="Région Repro Nommée")
        c.ok("plan.create", region="rbn", title="P")
        c.ok("objective.create", region="rbn", number="1", text="o")
        c.ok("action.create", region="rbn", objective="1", number="1.1", text="a")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        assert cls.d.stop() == 0
        cls.d.cleanup()

    def test_calendar_add_by_name(self):
        added = self.c.ok("calendar.add", region="Région Repro Nommée", title="Rencontre", start="2027-01-19")
        self.assertEqual(added["region"], "rbn")
        self.assertIn("Rencontre", [a["title"] for a in self.c.ok("calendar.list", region="rbn", **{"from": "2027-01-01", "to": "2027-12-31"})])

    def test_a_subscription_by_name_gets_the_regions_events(self):
        by_name = self.c.ok("notify.subscribe", address="nom@example.org", region="RÉGION repro nommée",
                            events=["action.*"])
        self.assertEqual(by_name["region"], "rbn")
        self.c.ok("notify.subscribe", address="slug@example.org", region="rbn", events=["action.*"])
        self.c.ok("action.note", region="rbn", number="1.1", text="déclencheur")
        addressed = {m["address"] for m in self.c.ok("notify.outbox", limit=100)}
        self.assertIn("nom@example.org", addressed)
        self.assertIn("slug@example.org", addressed)

    def test_adhesion_policy_by_name_is_found_by_slug(self):
        self.c.ok("adhesion.policy_set", region="RÉGION REPRO NOMMÉE", charter="2024",
                  categories=[{"id": "o", "name": "Organisme", "decision": "auto"}])
        self.assertEqual(self.c.ok("adhesion.policy", region="rbn")["charter"], "2024")

    def test_veille_rule_by_name_is_found_by_slug(self):
        self.c.ok("veille.rule_add", region="Région Repro Nommée", name="R1", any_of="financement")
        self.assertEqual([r["name"] for r in self.c.ok("veille.rules", region="rbn")], ["R1"])


if __name__ == "__main__":
    unittest.main()
