"""concertd under systemd (Type=notify): READY=1 once it answers, the
watchdog pinged from the loop at half the unit's period, STOPPING=1 on
SIGTERM; and its log lines filed under their priority when stderr is the
journal. systemd is played by the test: a notify socket of its own and
the variables systemd sets ($NOTIFY_SOCKET, $WATCHDOG_USEC, $JOURNAL_STREAM)."""
import os
import re
import shutil
import socket
import time
import unittest

from harness import PATIENCE, Daemon


class Systemd(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(node_id="n1")
        self.path = os.path.join(self.d.folder, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def tearDown(self):
        self.sock.close()
        self.d.cleanup()

    def messages_until(self, wanted, timeout=15 * PATIENCE):
        """Notify datagrams, as lists of lines, until one has the line wanted."""
        got = []
        self.sock.settimeout(timeout)
        while True:
            try:
                lines = self.sock.recv(4096).decode().split("\n")
            except socket.timeout:
                self.fail("no %s from concertd; it sent %r\n%s" % (wanted, got, self.d.log_text()))
            got.append(lines)
            if wanted in lines:
                return got

    def test_ready_watchdog_and_stopping(self):
        self.d.env.update(NOTIFY_SOCKET=self.path, WATCHDOG_USEC="300000")
        self.d.env.pop("WATCHDOG_PID", None)
        self.d.start(wait=False)
        ready = self.messages_until("READY=1")[-1]
        # Ready means it answers: the sockets are bound and the plugins started.
        client = self.d.client()
        self.assertEqual(client.call("node.info", timeout=2000 * PATIENCE)["ok"], True)
        client.close()
        self.assertIn("MAINPID=%d" % self.d.proc.pid, ready)
        status = [l for l in ready if l.startswith("STATUS=")]
        self.assertEqual(len(status), 1, ready)
        self.assertIn("nœud n1", status[0])
        # The loop pings, again and again.
        pings = 0
        while pings < 3:
            pings += 1 if ["WATCHDOG=1"] in self.messages_until("WATCHDOG=1")[-1:] else 0
        self.d.proc.send_signal(15)
        self.messages_until("STOPPING=1")
        self.assertEqual(self.d.stop(), 0)

    def test_no_watchdog_unless_the_unit_asks(self):
        self.d.env.update(NOTIFY_SOCKET=self.path)
        self.d.env.pop("WATCHDOG_USEC", None)
        self.d.start(wait=False)
        before_ready = self.messages_until("READY=1")
        self.assertEqual(len(before_ready), 1, before_ready)
        self.d.proc.send_signal(15)
        after = self.messages_until("STOPPING=1")
        self.assertNotIn(["WATCHDOG=1"], after)
        self.assertEqual(self.d.stop(), 0)

    def test_a_long_start_asks_systemd_for_more_time(self):
        # A database of schema 11 (tests/fixtures/schemas): its upgrade, then
        # its own events moved apart, each said before it starts, with more
        # time asked (systemd's start limit, 90 s by default, would otherwise
        # stop the upgrade of a large log, rolled back, again and again).
        fixture = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "schemas", "core11", "data")
        shutil.copytree(fixture, self.d.data)
        self.d.node_id = "tpdsl"
        self.d.env.update(NOTIFY_SOCKET=self.path)
        self.d.start(wait=False)
        before_ready = self.messages_until("READY=1")[:-1]
        self.assertEqual(before_ready, [
            ["EXTEND_TIMEOUT_USEC=60000000", "STATUS=mise à niveau de la base, du schéma 11 au schéma 12…"],
            ["EXTEND_TIMEOUT_USEC=60000000", "STATUS=rangement à part des événements de ce nœud…"]])
        self.assertIn("démarrage : mise à niveau de la base, du schéma 11 au schéma 12…", self.d.log_text())
        self.assertEqual(self.d.stop(), 0)

    def test_log_lines_carry_their_priority_in_the_journal(self):
        open(self.d.log_path, "ab").close()
        st = os.stat(self.d.log_path)
        self.d.env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        self.d.extra += ["--demo", os.path.join(self.d.folder, "absente.json")]
        self.d.start()
        self.assertEqual(self.d.stop(), 0)
        lines = [l for l in self.d.log_text().splitlines() if l and not l.startswith("==")]  # not valgrind's
        self.assertTrue(any(re.match(r"<6>concertd .* prêt", l) for l in lines), lines)
        self.assertTrue(any(l.startswith("<4>") and "démo" in l for l in lines), lines)
        self.assertTrue(any(l.startswith("<3>") and "absente.json" in l for l in lines), lines)
        # Each line is one message with its priority, without a time stamp of ours.
        for l in lines:
            self.assertRegex(l, r"^<[3467]>\S")
            self.assertNotRegex(l, r"^<\d>\d{4}-\d\d-\d\dT")

    def test_not_the_journal_when_stderr_is_elsewhere(self):
        self.d.env["JOURNAL_STREAM"] = "1:1"
        self.d.start()
        self.assertEqual(self.d.stop(), 0)
        self.assertRegex(self.d.log_text(), r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  concertd .* prêt")


if __name__ == "__main__":
    unittest.main()
