"""What indicator.record answers and publishes follows every change of its
indicator's action and region, though what it reads of them is kept
between records (core/engine/row_cache.h): renumbered, the action's new
number; deleted, none; the region archived, the record refused and nothing
stored; restored, accepted again. The events subscriber sees the same
indicator as the replies, and each record's latest measurement is the
newest by date whatever order they came in; those of one day are kept in
the order recorded, and an undo takes the newest of that day and value."""
import unittest

import msgpack
import zmq

from harness import Daemon, seed_plan


class RecordFollows(unittest.TestCase):
    def setUp(self):
        self.d = Daemon().start()
        self.addCleanup(self.d.cleanup)
        self.addCleanup(lambda: self.assertEqual(self.d.stop(), 0, "clean exit (and no valgrind error)"))
        self.c = self.d.client()
        self.addCleanup(self.c.close)
        seed_plan(self.c)
        (ind,) = self.c.ok("indicator.list", region="lanaudiere")
        self.ind = ind["id"]
        self.sub = zmq.Context.instance().socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"lanaudiere/indicator.recorded")
        self.sub.connect(self.d.events)
        self.addCleanup(self.sub.close)
        # The subscription is in place once a record's event arrives.
        self.primed = 0
        while True:
            self.c.ok("indicator.record", id=self.ind, value=1, date="2019-01-01", note="amorce")
            self.primed += 1
            if self.sub.poll(200):
                break
        while self.sub.poll(200):
            self.sub.recv_multipart()

    def record(self, value, date, note="Suivi — été"):
        """The reply's indicator, after checking the event says the same."""
        got = self.c.ok("indicator.record", id=self.ind, value=value, date=date, note=note)
        topic, payload = self.sub.recv_multipart()
        event = msgpack.unpackb(payload, raw=False)
        self.assertEqual(event["data"]["indicator"], got, "the event carries the indicator as the reply says")
        self.assertEqual((event["data"]["value"], event["data"]["date"], event["data"]["note"]), (value, date, note))
        return got

    def test_the_indicator_as_it_is_at_each_record(self):
        got = self.record(10, "2019-02-01")
        self.assertEqual((got["name"], got["action"], got["region"]), ("Nombre de membres", "1.2", "lanaudiere"))
        self.assertEqual((got["latest"], got["latest_date"]), (10, "2019-02-01"))
        got = self.record(11, "2019-03-01")
        self.assertEqual((got["latest"], got["latest_date"]), (11, "2019-03-01"))
        got = self.record(9, "2019-01-15")  # dated before the latest: the latest stays
        self.assertEqual((got["latest"], got["latest_date"]), (11, "2019-03-01"))
        got = self.record(12, "2019-03-01")  # the same day as the latest: the newer one
        self.assertEqual((got["latest"], got["latest_date"]), (12, "2019-03-01"))

        self.c.ok("action.update", region="lanaudiere", number="1.2", new_number="1.5")
        self.assertEqual(self.record(13, "2019-04-01")["action"], "1.5")
        self.c.ok("action.delete", region="lanaudiere", number="1.5")
        got = self.record(14, "2019-05-01")
        self.assertIsNone(got["action"])
        self.assertEqual(got["name"], "Nombre de membres")

        self.c.ok("region.delete", id="lanaudiere")
        err = self.c.error("indicator.record", id=self.ind, value=99, date="2019-06-01", note="refusée")
        self.assertEqual(err["code"], "forbidden")
        self.assertIn("archiv", err["message"])
        self.c.ok("region.restore", id="lanaudiere")
        got = self.record(15, "2019-07-01")
        self.assertEqual((got["latest"], got["latest_date"]), (15, "2019-07-01"))

        values = [m["value"] for m in self.c.ok("indicator.history", id=self.ind)["measurements"]]
        self.assertEqual(sorted(values), [1] * self.primed + [9, 10, 11, 12, 13, 14, 15],
                         "the refused record left nothing")

    def test_the_measurements_of_one_day_in_the_order_recorded(self):
        for value, note in ((5, "d'abord"), (6, "ensuite"), (5, "corrigé")):
            got = self.record(value, "2020-01-01", note)
        self.assertEqual((got["latest"], got["latest_date"]), (5, "2020-01-01"), "the last one recorded that day")
        self.record(4, "2019-12-31", "la veille")

        def that_day():
            history = self.c.ok("indicator.history", id=self.ind)
            return [(m["value"], m["note"]) for m in history["measurements"] if m["date"] == "2020-01-01"], history

        day, history = that_day()
        self.assertEqual(day, [(5, "d'abord"), (6, "ensuite"), (5, "corrigé")])
        self.assertEqual([m["date"] for m in history["measurements"]], sorted(m["date"] for m in history["measurements"]))
        # Undone: the newest of that day and value, not the first.
        got = self.c.ok("indicator.unrecord", id=self.ind, date="2020-01-01", value=5)
        self.assertEqual((got["latest"], got["latest_date"]), (6, "2020-01-01"))
        self.assertEqual(that_day()[0], [(5, "d'abord"), (6, "ensuite")])
        self.c.ok("indicator.unrecord", id=self.ind, date="2020-01-01", value=5)
        self.assertEqual(that_day()[0], [(6, "ensuite")])
        self.assertEqual(self.c.error("indicator.unrecord", id=self.ind, date="2020-01-01", value=5)["code"],
                         "not_found")
        # Recorded again after removals: after what is left of that day.
        self.assertEqual(self.record(7, "2020-01-01", "de nouveau")["latest"], 7)
        self.assertEqual(that_day()[0], [(6, "ensuite"), (7, "de nouveau")])


if __name__ == "__main__":
    unittest.main()
