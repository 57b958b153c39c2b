"""concertctl's bash completion (tools/completion/concertctl.bash), in a real
bash with Debian's bash-completion: nouns and verbs as concertctl --help lists
them, the plugins' operations of the running daemon among them, a command's
options, and region ids asked of the daemon."""
import os
import subprocess
import unittest

from harness import CONCERTCTL, PLUGINS, SOURCE, Daemon

SCRIPT = os.path.join(SOURCE, "tools", "completion", "concertctl.bash")


class Completion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config="[plugins]\npath = %s\nload = calendar, notify\n" % PLUGINS).start()
        c = cls.d.client()
        c.ok("region.create", id="lanaudiere", name="Lanaudière")
        c.ok("region.create", id="mauricie", name="Mauricie")
        c.close()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def complete(self, line):
        """What bash offers for the last word of line (as typed, TAB at the end)."""
        words = line.split(" ")
        program = (". /usr/share/bash-completion/bash_completion\n. %s\n"
                   "COMP_LINE=%s\nCOMP_POINT=${#COMP_LINE}\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n"
                   "_concertctl concertctl '%s' '%s'\nprintf '%%s\\n' \"${COMPREPLY[@]}\"\n") % (
            SCRIPT, repr(line), " ".join("'%s'" % w for w in words), len(words) - 1, words[-1],
            words[-2] if len(words) > 1 else "")
        env = dict(os.environ, PATH=os.path.dirname(CONCERTCTL) + ":" + os.environ["PATH"],
                   CONCERTD_ENDPOINT=self.d.command, CONCERTD_EVENTS=self.d.events,
                   XDG_CACHE_HOME=os.path.join(self.d.folder, "cache"))
        r = subprocess.run(["bash", "--norc", "-c", program], capture_output=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return sorted(set(r.stdout.decode().split()))

    def test_nouns(self):
        self.assertEqual(self.complete("concertctl reg"), ["region"])
        self.assertIn("action", self.complete("concertctl "))

    def test_verbs_of_the_core_and_of_the_plugins(self):
        self.assertTrue({"list", "create", "show"} <= set(self.complete("concertctl region ")))
        # The daemon's plugins: notify's and calendar's operations.
        self.assertIn("subscribe", self.complete("concertctl notify "))
        self.assertIn("calendar", self.complete("concertctl cal"))

    def test_options_of_a_command(self):
        self.assertIn("--name", self.complete("concertctl region create lanaudiere --"))
        self.assertEqual(self.complete("concertctl --js"), ["--json"])

    def test_region_ids_from_the_daemon(self):
        self.assertEqual(self.complete("concertctl action show "), ["lanaudiere", "mauricie"])
        self.assertEqual(self.complete("concertctl region show mau"), ["mauricie"])


if __name__ == "__main__":
    unittest.main()
