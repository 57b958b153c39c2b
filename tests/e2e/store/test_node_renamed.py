"""A node renamed keeps its log: the node's own events are a table apart from
its peers' (schema 12), so when the data folder is opened under another
--node-id the old name's events stay, under the old name, with the peers';
the new name numbers its own from 1; and renamed back, the node takes up its
old events again and numbers after them. Nothing is lost or renumbered, and
every read of the log (events.since, events.origins, the region's history)
sees both names' events."""
import unittest

from harness import Daemon


class NodeRenamed(unittest.TestCase):
    def setUp(self):
        self.d = None

    def tearDown(self):
        if self.d:
            self.d.cleanup()

    def start(self, node_id):
        folder = self.d.folder if self.d else None
        if self.d:
            self.assertEqual(self.d.stop(), 0)
        self.d = Daemon(node_id=node_id, folder=folder).start()
        return self.d.client()

    def test_a_renamed_node_keeps_its_old_events_under_the_old_name_and_takes_them_back(self):
        c = self.start("tpdsl")
        c.ok("region.create", id="lanaudiere", name="Lanaudière")
        c.ok("region.update", id="lanaudiere", name="Lanaudière (TPDSL)")
        c.ok("region.update", id="lanaudiere", organisation="Table des partenaires du développement social")
        first = c.ok("events.since", since=0)["events"]
        self.assertEqual([(e["origin"], e["seq"]) for e in first], [("tpdsl", 1), ("tpdsl", 2), ("tpdsl", 3)])
        c.close()

        c = self.start("lanaudiere-nord")
        self.assertIn("le nœud s'appelait « tpdsl », il s'appelle « lanaudiere-nord »", self.d.log_text())
        # The old name's events, as they were, under the old name.
        self.assertEqual(c.ok("events.since", since=0, origin="tpdsl")["events"], first)
        self.assertEqual(c.ok("events.since", since=0)["events"], [])
        c.ok("region.create", id="mauricie", name="Mauricie")
        mine = c.ok("events.since", since=0)["events"]
        self.assertEqual([(e["origin"], e["seq"], e["type"]) for e in mine],
                         [("lanaudiere-nord", 1, "region.created")])
        heads = {o["origin"]: o["head"] for o in c.ok("events.origins")}
        self.assertEqual(heads, {"tpdsl": 3, "lanaudiere-nord": 1})
        # The region's history reads the old name's events, and what each change changed.
        history = c.ok("events.history", region="lanaudiere")
        self.assertEqual([(e["origin"], e["seq"]) for e in history], [("tpdsl", 3), ("tpdsl", 2), ("tpdsl", 1)])
        self.assertEqual(history[1]["changes"], [{"field": "name", "from": "Lanaudière", "to": "Lanaudière (TPDSL)"}])
        c.close()

        c = self.start("tpdsl")
        self.assertIn("ceux qui étaient déjà sous le nouveau nom lui reviennent", self.d.log_text())
        self.assertEqual(c.ok("events.since", since=0)["events"], first)
        c.ok("region.update", id="lanaudiere", name="Lanaudière")
        after = c.ok("events.since", since=3)["events"]
        self.assertEqual([(e["origin"], e["seq"]) for e in after], [("tpdsl", 4)])
        self.assertEqual(c.ok("events.since", since=0, origin="lanaudiere-nord")["events"], mine)
        heads = {o["origin"]: o["head"] for o in c.ok("events.origins")}
        self.assertEqual(heads, {"tpdsl": 4, "lanaudiere-nord": 1})
        history = c.ok("events.history", region="lanaudiere")
        self.assertEqual(history[0]["changes"], [{"field": "name", "from": "Lanaudière (TPDSL)", "to": "Lanaudière"}])
        c.close()
        self.assertEqual(self.d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
