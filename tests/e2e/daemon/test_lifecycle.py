"""The daemon's life: one daemon per data directory, a clean SIGTERM that
answers what was already received, data and event numbering kept across
restarts, configuration errors in words a person can act on."""
import os
import socket
import subprocess
import tempfile
import unittest

from harness import CONCERTD, SOURCE, Daemon


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(node_id="n1").start()

    def tearDown(self):
        self.d.cleanup()

    def test_second_daemon_on_same_data_is_refused(self):
        other = Daemon(node_id="n1", folder=self.d.folder)
        other.command = "ipc://%s/cmd2.sock" % self.d.folder
        other.events = "ipc://%s/ev2.sock" % self.d.folder
        other.log_path = os.path.join(self.d.folder, "second.log")
        result = subprocess.run(other.argv(), capture_output=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        err = result.stderr.decode()
        self.assertIn("utilise déjà le dossier de données", err)
        self.assertIn("pid %d" % self.d.proc.pid, err)
        self.assertTrue(self.d.client().call("node.info")["ok"], "the first daemon is unaffected")

    def test_sigterm_answers_queued_requests_and_closes_cleanly(self):
        c = self.d.client()
        c.ok("region.create", id="laurentides", name="Laurentides")
        ids = [c.send("region.update", {"id": "laurentides", "organisation": "DDS %d" % i}) for i in range(50)]
        self.assertEqual(self.d.stop(), 0)
        replies = []
        while len(replies) < len(ids):
            try:
                replies.append(c.recv(timeout=2000))
            except TimeoutError:
                break
        c.close()
        self.assertIn("arrêté proprement", self.d.log_text())
        # Whatever was answered ok is on disk; the last one answered is what the region says.
        answered = [r for r in replies if r["ok"]]
        self.d.start()
        c = self.d.client()
        region = c.ok("region.get", id="laurentides")
        if answered:
            self.assertEqual(region["organisation"], answered[-1]["result"]["organisation"])
        c.close()
        self.assertEqual(self.d.stop(), 0)

    def test_restart_keeps_data_and_continues_the_sequence(self):
        c = self.d.client()
        c.ok("region.create", id="rqds", name="Réseau québécois de développement social", kind="national")
        last = c.ok("node.info")["last_seq"]
        c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        c = self.d.client()
        self.assertEqual(c.ok("region.get", id="rqds")["name"], "Réseau québécois de développement social")
        self.assertEqual(c.ok("node.info")["last_seq"], last)
        ev = c.ok("region.update", id="rqds", organisation="RQDS")
        self.assertEqual(c.ok("events.since", since=last)["events"][0]["seq"], last + 1)
        c.close()
        self.assertEqual(self.d.stop(), 0)


class Configuration(unittest.TestCase):
    def run_daemon(self, *args):
        return subprocess.run([CONCERTD, *args], capture_output=True, timeout=30)

    def test_shipped_config_is_valid(self):
        r = self.run_daemon("--config", os.path.join(SOURCE, "config", "concertd.conf"), "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("tcp://127.0.0.1:7410", r.stdout.decode())

    def test_errors_name_file_line_and_key(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("[node]\nid = x\n\n[bus]\nmax_mesage_size = 10\n")
        try:
            r = self.run_daemon("--config", f.name, "--check-config")
            self.assertEqual(r.returncode, 1)
            err = r.stderr.decode()
            self.assertIn("%s:5" % f.name, err)
            self.assertIn("max_mesage_size", err)
        finally:
            os.unlink(f.name)
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("[node]\ntimezone = Mars/Olympus\n")
        try:
            r = self.run_daemon("--config", f.name, "--check-config")
            self.assertEqual(r.returncode, 1)
            self.assertIn("%s:2: [node] timezone = Mars/Olympus: fuseau inconnu" % f.name, r.stderr.decode())
        finally:
            os.unlink(f.name)
        r = self.run_daemon("--config", "/nonexistent/concertd.conf")
        self.assertEqual(r.returncode, 1)
        self.assertIn("impossible d'ouvrir", r.stderr.decode())

    def test_busy_port_is_explained(self):
        # TCP: libzmq re-binds an ipc:// path that is in use instead of failing.
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        d = Daemon()
        d.command = "tcp://127.0.0.1:%d" % port
        d.start()
        try:
            other = Daemon()
            other.command = d.command  # the same endpoint, already bound
            r = subprocess.run(other.argv(), capture_output=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("impossible d'écouter sur", r.stderr.decode())
            other.cleanup()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
