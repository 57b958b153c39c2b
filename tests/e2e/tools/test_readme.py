"""The README's "Using it" commands, run as written against a daemon with
the demo plan (as tools/dev start runs it): each one works, typed as a
coordinator would (French words), and the échéances show the demo's
overdue work. A README that drifts from the commands fails here."""
import os
import pty
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import CONCERTCTL, PLUGINS, SOURCE, Daemon, free_port

DEMO = os.path.join(SOURCE, "config", "demo", "lanaudiere.json")


def readme_commands():
    """The README's `$C …` lines, in order (a line continued by the next comment kept whole)."""
    with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.startswith("$C ")]


class Readme(unittest.TestCase):
    def setUp(self):
        config = ("[node]\ntimezone = America/Toronto\n[plugins]\npath = %s\nload = progress, notify, calendar, "
                  "veille, adhesion, web\n[plugin.notify]\nsmtp_url = smtp://127.0.0.1:%d\ntls = none\n"
                  "from = tpdsl@example.org\n[plugin.web]\nlisten = 127.0.0.1:%d\n"
                  % (PLUGINS, free_port(), free_port()))
        self.d = Daemon(config=config, extra=["--demo", DEMO]).start()
        # The commands' own folder: what they write stays there; the fixtures they read are the tree's.
        self.cwd = tempfile.mkdtemp(prefix="concertd-readme-")
        os.symlink(os.path.join(SOURCE, "tests"), os.path.join(self.cwd, "tests"))

    def tearDown(self):
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()
        shutil.rmtree(self.cwd)

    def run_line(self, line):
        """Runs one README line in bash, $C being concertctl for this daemon, on a terminal that answers
        « o » to a question (as a coordinator confirming a deletion)."""
        leader, follower = pty.openpty()
        try:
            os.write(leader, b"o\n")
            env = dict(os.environ, C="%s --endpoint %s --events %s --as marie" % (CONCERTCTL, self.d.command,
                                                                                  self.d.events))
            return subprocess.run(["bash", "-c", line], cwd=self.cwd, env=env, stdin=follower, capture_output=True,
                                  timeout=60)
        finally:
            os.close(leader)
            os.close(follower)

    def test_every_command_of_the_readme_works_as_written(self):
        lines = readme_commands()
        self.assertGreater(len(lines), 20)
        outputs = {}
        for line in lines:
            if line.startswith("$C tail "):
                continue  # follows the events until Ctrl-C: tools tests cover it
            r = self.run_line(line)
            try:  # the output is text, UTF-8 throughout
                out = r.stdout.decode()
            except UnicodeDecodeError as e:
                self.fail("%s\nnot UTF-8 at byte %d: %r" % (line, e.start, r.stdout[max(0, e.start - 120):e.start + 20]))
            self.assertEqual(r.returncode, 0, "%s\n%s%s" % (line, out, r.stderr.decode("utf-8", "replace")))
            outputs[line] = out
        # The Word document's dry run says what would change, a change of the plan itself without a number
        # (its buffer was printed uninitialised: garbage in a debug build).
        dry = next(out for line, out in outputs.items() if "--dry-run tests/fixtures/documents/001.docx" in line)
        self.assertIn("\nCe qui changerait :\n  mandats : « ", dry)
        # The demo's overdue work comes first in the échéances.
        echeances = next(out for line, out in outputs.items() if re.match(r"\$C echeances +#", line))
        self.assertRegex(echeances, r"^En retard \(\d+\)")
        self.assertIn("Effectuer la refonte et la mise à jour du site", echeances)
        # French words did what they say.
        c = self.d.client()
        try:
            self.assertEqual(c.ok("action.get", region="lanaudiere", number="2.3")["status"], "in_progress")
        finally:
            c.close()


if __name__ == "__main__":
    unittest.main()
