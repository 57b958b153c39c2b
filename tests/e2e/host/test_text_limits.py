"""Text is never cut mid-character, and what is accepted is stored whole
(adversary F4): error messages quoting a long value, and plugin fields
longer than their limit, once gave replies, events and a published .ics
that were not valid UTF-8, and URLs silently cut into other URLs. The
harness decodes every reply strictly (raw=False): invalid UTF-8 fails."""
import unittest

from harness import PLUGINS, Daemon

CONFIG = "[node]\ntimezone = America/Toronto\n[plugins]\npath = %s\nload = calendar, adhesion\n"


class TextLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config=CONFIG % PLUGINS).start()
        cls.c = cls.d.client()
        cls.c.ok("region.create", id="u8", name="Utf huit")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        assert cls.d.stop() == 0
        cls.d.cleanup()

    def test_error_messages_quoting_long_values_stay_utf8(self):
        for op, args in (("region.get", {"id": "é" * 300}), ("a" + "é" * 300, {}), ("region.get", {"é" * 300: 1}),
                         ("plan.get", {"region": "é" * 400})):
            reply = self.c.call(op, args)  # decoded strictly by the harness
            self.assertFalse(reply["ok"])
            self.assertTrue(reply["error"]["message"])

    def test_calendar_refuses_what_it_cannot_store_whole(self):
        url = "https://example.org/" + "é" * 600
        reply = self.c.call("calendar.add", {"region": "u8", "title": "Forum", "start": "2027-02-01", "url": url})
        self.assertFalse(reply["ok"])
        self.assertEqual((reply["error"]["code"], reply["error"]["field"]), ("invalid_argument", "url"))
        self.assertIn("1023", reply["error"]["message"])
        # Up to the limit it is kept byte for byte, accents included.
        title = "é" * 255  # 510 bytes, the limit being 511
        added = self.c.ok("calendar.add", region="u8", title=title, start="2027-02-01")
        self.assertEqual(added["title"], title)
        self.assertIn("é" * 10, self.c.ok("calendar.export", region="u8")["text"])
        over = self.c.call("calendar.update", {"id": added["id"], "title": title + "éé"})
        self.assertEqual(over["error"]["field"], "title")
        listed = self.c.ok("calendar.list", region="u8", **{"from": "2027-01-01", "to": "2027-12-31"})
        self.assertEqual([a["title"] for a in listed], [title], "unchanged")

    def test_adhesion_refuses_an_overlong_charter_and_motivation(self):
        policy = {"region": "u8", "categories": [{"id": "o", "name": "Organisme", "decision": "board"}]}
        self.assertEqual(self.c.call("adhesion.policy_set", dict(policy, charter="é" * 300))["error"]["field"],
                         "charter")
        self.c.ok("adhesion.policy_set", **dict(policy, charter="2024"))
        form = {"region": "u8", "organisation": "Centre", "category": "o", "contact_name": "Julie",
                "contact_email": "julie@example.org", "charter": "2024"}
        reply = self.c.call("adhesion.submit", dict(form, motivation="é" * 2100))
        self.assertEqual((reply["error"]["code"], reply["error"]["field"]), ("invalid_argument", "motivation"))
        kept = self.c.ok("adhesion.submit", **dict(form, motivation="é" * 2000))
        self.assertEqual(self.c.ok("adhesion.show", id=kept["id"])["motivation"], "é" * 2000)

    def test_adhesion_refuses_an_unknown_key_in_a_category(self):
        # Adversary F11, in a plugin: a misspelt key of a nested map is refused.
        reply = self.c.call("adhesion.policy_set", {"region": "u8", "charter": "2024", "categories": [
            {"id": "o", "name": "Organisme", "decision": "board", "decison": "auto"}]})
        self.assertEqual((reply["error"]["code"], reply["error"]["field"]), ("invalid_argument", "categories"))
        self.assertIn("decison", reply["error"]["message"])


if __name__ == "__main__":
    unittest.main()
