"""Another program holds the database's write lock (an sqlite3 shell left
in a transaction, a careless backup script): concertd cannot begin its
batches. Each request is answered "unavailable" by its own id — a client
that pipelines knows which ones to send again — nothing is half done, and
once the lock is let go the same requests succeed."""
import sqlite3
import unittest

from harness import Daemon, seed_plan


class Locked(unittest.TestCase):
    def test_each_request_is_answered_unavailable_by_its_id(self):
        d = Daemon().start()
        self.addCleanup(d.cleanup)
        self.addCleanup(lambda: self.assertEqual(d.stop(), 0, "clean exit (and no valgrind error)"))
        c = d.client()
        self.addCleanup(c.close)
        seed_plan(c)
        (ind,) = c.ok("indicator.list", region="lanaudiere")
        head = c.ok("node.info")["last_seq"]

        other = sqlite3.connect(c.ok("node.status")["db"]["file"], isolation_level=None)
        self.addCleanup(other.close)
        other.execute("BEGIN IMMEDIATE")  # the write lock, held
        ids = [c.send("indicator.record", {"id": ind["id"], "value": i}) for i in range(20)]
        ids.append(c.send("node.info"))
        replies = {}
        while len(replies) < len(ids):
            r = c.recv()
            self.assertIn(r["id"], ids, "a reply to one of the requests sent, by its id")
            replies[r["id"]] = r
        for rid in ids:
            self.assertFalse(replies[rid]["ok"], replies[rid])
            self.assertEqual(replies[rid]["error"]["code"], "unavailable")
            self.assertIn("réessayez", replies[rid]["error"]["message"])

        other.execute("ROLLBACK")  # let go: the same requests now succeed
        for i in range(20):
            c.ok("indicator.record", id=ind["id"], value=i)
        self.assertEqual(c.ok("node.info")["last_seq"], head + 20, "nothing of the refused ones stored")
        self.assertEqual(len(c.ok("indicator.history", id=ind["id"])["measurements"]), 20)
        self.assertIn("transaction", d.log_text())


if __name__ == "__main__":
    unittest.main()
