"""A full disk: the daemon's file-size limit (RLIMIT_FSIZE) makes SQLite's
writes fail as they would on a full disk. Commands then get `unavailable`
with a message a person can act on, nothing half-applied is kept, the
daemon stays up, and once space is back the same command succeeds."""
import resource
import subprocess
import unittest

from harness import Daemon

LIMIT = 3 * 1024 * 1024


class DiskFull(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(node_id="full")

    def tearDown(self):
        self.d.cleanup()

    def start_limited(self):
        self.d.log = open(self.d.log_path, "ab")
        self.d.proc = subprocess.Popen(
            self.d.argv(), stdout=self.d.log, stderr=self.d.log,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY)))
        self.d.wait_ready()

    def test_full_disk_refuses_cleanly_and_recovers(self):
        self.start_limited()
        c = self.d.client()
        c.ok("region.create", id="estrie", name="Estrie")
        acked = []
        failure = None
        for i in range(200):
            reply = c.call("region.update", {"id": "estrie", "organisation": "%d:" % i + "é" * 100000})
            if not reply["ok"]:
                failure = reply["error"]
                break
            acked.append(reply["result"]["organisation"])
        self.assertIsNotNone(failure, "the file-size limit was never reached")
        self.assertEqual(failure["code"], "unavailable")
        self.assertIn("rien n'a été enregistré", failure["message"])
        # Still up; the refused change is not there; the last acknowledged one is.
        self.assertTrue(c.call("node.info")["ok"])
        self.assertEqual(c.ok("region.get", id="estrie")["organisation"], acked[-1])
        seq = c.ok("node.info")["last_seq"]
        self.assertEqual(seq, 1 + len(acked), "one event per acknowledged change, none for the refused one")
        # Space comes back: the same command now succeeds.
        resource.prlimit(self.d.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        self.assertTrue(c.call("region.update", {"id": "estrie", "organisation": "TDS Estrie"})["ok"])
        self.assertEqual(c.ok("region.get", id="estrie")["organisation"], "TDS Estrie")
        c.close()
        self.assertEqual(self.d.stop(), 0)
        # And all of it survives a restart.
        self.d.start()
        c = self.d.client()
        self.assertEqual(c.ok("region.get", id="estrie")["organisation"], "TDS Estrie")
        self.assertEqual(c.ok("node.info")["last_seq"], seq + 1)
        c.close()
        self.assertEqual(self.d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
