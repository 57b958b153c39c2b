"""The issue's "done when", with concertctl alone: create a region, a plan
with orientations, objectives and actions, change a status with a note,
record an indicator value, export the plan and import it into another
region, and watch all of it in `concertctl tail`."""
import json
import re
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import CONCERTCTL, PLUGINS, Daemon


class FrenchWords(unittest.TestCase):
    """A coordinator types the words people say, not the protocol's values."""

    def setUp(self):
        config = "[plugins]\npath = %s\nload = calendar, adhesion, notify\n" % PLUGINS
        self.d = Daemon(config=config).start()
        self.base = [CONCERTCTL, "--endpoint", self.d.command, "--json"]
        self.c = self.d.client()

    def tearDown(self):
        self.c.close()
        self.d.stop()
        self.d.cleanup()

    def ctl(self, *args):
        r = subprocess.run(self.base + list(args), capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, "%s\n%s" % (args, r.stderr.decode()))
        return json.loads(r.stdout)

    def test_every_enumerated_value_in_french_or_english_with_or_without_accents(self):
        self.assertEqual(self.ctl("region", "create", "lanaudiere", "--name", "Lanaudière", "--kind",
                                  "Régionale")["kind"], "regional")
        self.ctl("plan", "create", "lanaudiere", "--title", "Plan d'action 2026-2030")
        self.ctl("objective", "create", "lanaudiere", "2", "--text", "Mobiliser")
        for number, typed, status in (("2.1", "en cours", "in_progress"), ("2.2", "Réalisée", "done"),
                                      ("2.3", "realisee", "done"), ("2.4", "terminé", "done"),
                                      ("2.5", "reportée", "postponed"), ("2.6", "annulée", "cancelled"),
                                      ("2.7", "en continu", "ongoing"), ("2.8", "prévue", "planned")):
            self.ctl("action", "create", "lanaudiere", number, "--objective", "2", "--text", "Action " + number)
            self.assertEqual(self.ctl("action", "status", "lanaudiere", number, typed)["status"], status, typed)
        r = subprocess.run(self.base + ["action", "status", "lanaudiere", "2.1", "bientôt"], capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("« bientôt » n'est pas une valeur permise", r.stderr.decode())
        # Plugins' values the same way: the calendar, membership, notifications.
        a = self.ctl("calendar", "add", "lanaudiere", "--title", "Comité directeur", "--kind", "Comité", "--start",
                     "2027-01-19T13:30", "--status", "provisoire")
        self.assertEqual((a["kind"], a["status"]), ("comite", "planned"))
        self.assertEqual(self.ctl("calendar", "update", "--id", str(a["id"]), "--status", "confirmée")["status"],
                         "confirmed")
        self.assertEqual(self.ctl("calendar", "add", "lanaudiere", "--title", "AGA", "--kind",
                                  "assemblée générale annuelle", "--start", "2027-06-10")["kind"], "aga")
        # A plugin's required arguments go without their names, in order, as a core command's do.
        b = self.ctl("calendar", "add", "lanaudiere", "Forum régional", "2027-03-04", "--kind", "forum")
        self.assertEqual((b["title"], b["start"], b["kind"]), ("Forum régional", "2027-03-04", "forum"))
        self.assertEqual(self.ctl("calendar", "cancel", str(b["id"]))["status"], "cancelled")
        usage = subprocess.run(self.base + ["calendar", "add", "--help"], capture_output=True, timeout=30)
        self.assertIn("Usage : concertctl calendar add RÉGION TITLE START [--CLÉ VALEUR]…", usage.stdout.decode())
        r = subprocess.run(self.base + ["calendar", "cancel", str(b["id"]), "de trop"], capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 2)  # a usage error, as for a core command
        self.assertIn("argument inattendu : de trop", r.stderr.decode())
        p = self.ctl("adhesion", "policy_set", "lanaudiere", "--charter", "2024", "--categories",
                     '[{"id": "membre", "name": "Membre", "decision": "CA"}]', "--required", "territoire")
        self.assertEqual((p["categories"][0]["decision"], p["required"]), ("board", ["territory"]))
        app = self.ctl("adhesion", "submit", "lanaudiere", "--organisation", "CDC de Joliette", "--category",
                       "membre", "--contact-name", "Hélène Roy", "--contact-email", "helene@cdc.example",
                       "--charter", "2024", "--territory", "Joliette")
        self.assertEqual(self.ctl("adhesion", "decide", "--id", str(app["id"]), "--decision", "Acceptée")["state"],
                         "member")
        s = self.ctl("notify", "subscribe", "--address", "coordination@tpdsl.org", "--region", "lanaudiere",
                     "--cadence", "quotidien", "--lang", "français")
        self.assertEqual((s["cadence"], s["lang"]), ("daily", "fr"))
        # And French out: a plugin's answer as lines and tables with its values in words, not JSON.
        r = subprocess.run(self.base[:-1] + ["adhesion", "show", "--id", str(app["id"])], capture_output=True,
                           timeout=30)
        out = r.stdout.decode()
        self.assertRegex(out, r"État\s+: membre")
        self.assertRegex(out, r"Membre depuis\s+: \d{4}-\d\d-\d\d \d\d:\d\d")
        self.assertNotIn("{", out)
        r = subprocess.run(self.base[:-1] + ["adhesion", "list", "lanaudiere"], capture_output=True, timeout=30)
        self.assertIn("membre", r.stdout.decode())
        r = subprocess.run(self.base[:-1] + ["calendar", "list", "--from", "2027-01-01", "--to", "2027-12-31"],
                           capture_output=True, timeout=30)
        self.assertIn("comité", r.stdout.decode())
        self.assertIn("confirmée", r.stdout.decode())
        # The log as sentences (what tail prints as it happens).
        r = subprocess.run(self.base[:-1] + ["events", "--since", "0"], capture_output=True, timeout=30)
        out = r.stdout.decode()
        self.assertIn("lanaudiere · action 2.1 « Action 2.1 » : prévue → en cours", out)
        self.assertIn("lanaudiere · comité « Comité directeur » (2027-01-19 à 13 h 30) au calendrier", out)
        self.assertIn("lanaudiere · adhésion de « CDC de Joliette » (Membre) : membre — 1 membre(s)", out)


class Cli(unittest.TestCase):
    def setUp(self):
        self.d = Daemon().start()
        self.base = [CONCERTCTL, "--endpoint", self.d.command, "--events", self.d.events]

    def tearDown(self):
        self.d.stop()
        self.d.cleanup()

    def ctl(self, *args, ok=True):
        r = subprocess.run(self.base + list(args), capture_output=True, timeout=30)
        out, err = r.stdout.decode(), r.stderr.decode()
        if ok:
            self.assertEqual(r.returncode, 0, "%s\n%s" % (args, err))
        return r.returncode, out, err

    def start_tail(self):
        tail = subprocess.Popen(self.base + ["tail", "lanaudiere"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # Subscriptions connect asynchronously: update the region until tail shows it.
        os.set_blocking(tail.stdout.fileno(), False)
        for _ in range(500):
            self.ctl("region", "update", "lanaudiere", "--organisation", "TPDSL")
            line = tail.stdout.readline()
            if line:
                os.set_blocking(tail.stdout.fileno(), True)
                return tail
        self.fail("tail never received an event")

    def test_a_table_runs_its_plan_from_the_command_line(self):
        self.ctl("region", "create", "lanaudiere", "--name", "Lanaudière", "--organisation", "TPDSL",
                 "--territory", "Joliette", "--territory", "Matawinie")
        tail = self.start_tail()
        try:
            self.ctl("plan", "create", "lanaudiere", "--title", "Plan d'action 2018-2023", "--period", "2018-2023",
                     "--start", "2018-10-02", "--adopted", "2018-10-02", "--mandate", "Veiller et analyser")
            self.ctl("orientation", "create", "lanaudiere", "1", "--statement",
                     "En 2023, des acteurs ont adhéré à une compréhension commune")
            self.ctl("objective", "create", "lanaudiere", "1", "--orientation", "1", "--text",
                     "S'entendre sur une définition commune du développement social", "--mandate", "2")
            self.ctl("action", "create", "lanaudiere", "1.2", "--objective", "1", "--text",
                     "Inviter les acteurs à adhérer à la charte des valeurs", "--target", "CLDS",
                     "--target", "Comité de citoyens", "--schedule", "An 1", "--window", "2018-10-02..2019-10-01",
                     "--responsible", "Équipe")
            self.ctl("action", "status", "lanaudiere", "1.2", "in_progress", "--note", "Lancement au forum",
                     "--date", "2018-11-15")
            self.ctl("indicator", "create", "lanaudiere", "--action", "1.2", "--name", "Nombre de membres",
                     "--target", "200")
            _, out, _ = self.ctl("--json", "indicator", "list", "lanaudiere")
            ind = json.loads(out)[0]["id"]
            self.ctl("indicator", "record", str(ind), "57", "--date", "2019-06-30")

            # People read tables with French words and accents intact.
            _, out, _ = self.ctl("action", "show", "lanaudiere", "1.2")
            self.assertIn("en cours", out)
            self.assertIn("Lancement au forum", out)
            self.assertIn("Comité de citoyens", out)
            self.assertIn("Nombre de membres", out)
            _, out, _ = self.ctl("--json", "action", "show", "lanaudiere", "1.2")
            action_id = json.loads(out)["id"]
            _, out, _ = self.ctl("--json", "action", "show", "--id", str(action_id))
            self.assertEqual(json.loads(out)["number"], "1.2")
            _, out, _ = self.ctl("--lang", "en", "action", "list", "lanaudiere")
            self.assertIn("in progress", out)

            # Export, then import into another region: the same plan.
            _, exported, _ = self.ctl("plan", "export", "lanaudiere")
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                f.write(exported)
            self.ctl("region", "create", "rqds", "--name", "Réseau québécois de développement social",
                     "--kind", "national")
            _, out, _ = self.ctl("plan", "import", "rqds", f.name)
            self.assertIn("Actions", out)
            _, again, _ = self.ctl("plan", "export", "rqds")
            self.assertEqual(json.loads(again), json.loads(exported))
            os.unlink(f.name)

            # tail saw every change, in order, with accents, each as a sentence.
            want = [r"lanaudiere · plan « .+ » créé", r"lanaudiere · orientation 1 « .+ » ajoutée",
                    r"lanaudiere · objectif 1 « .+ » ajouté", r"lanaudiere · action 1\.2 « .+ » ajoutée",
                    r"lanaudiere · action 1\.2 « .+ » : prévue → en cours — note : .+",
                    r"lanaudiere · indicateur « Nombre de membres » \(action 1\.2\) ajouté",
                    r"lanaudiere · indicateur « Nombre de membres » : \d+ au \d{4}-\d\d-\d\d"]
            seen = []
            while len(seen) < len(want):
                line = tail.stdout.readline().decode("utf-8")
                self.assertTrue(line, "tail ended early")
                self.assertRegex(line, r"^\d{4}-\d\d-\d\d \d\d:\d\d  ")
                if " · région « " not in line:
                    seen.append(line.rstrip("\n"))
            for line, pattern in zip(seen, want):
                self.assertRegex(line, pattern)
        finally:
            tail.terminate()
            tail.wait(10)
            tail.stdout.close()

    def test_a_plugins_commands_have_help_even_with_the_daemon_stopped(self):
        cache = tempfile.mkdtemp(prefix="concertctl-cache-")
        env = dict(os.environ, XDG_CACHE_HOME=cache)
        run = lambda *a: subprocess.run(self.base + list(a), capture_output=True, timeout=30, env=env)
        try:
            self.d.stop()
            self.d.extra = ["--plugin-dir", PLUGINS, "--plugin", "progress", "--plugin", "adhesion"]
            self.d.start()
            r = run("adhesion", "--help")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout.decode(), r"policy_set +la politique d'adhésion d'une région")
            self.assertIn("progress get", run("--help").stdout.decode())
            self.d.stop()
            # Stopped: what was learnt the last time is still there, and said to be so.
            out = run("--help").stdout.decode()
            self.assertIn("le démon ne répond pas : liste retenue le", out)
            self.assertIn("adhesion policy_set", out)
            r = run("adhesion", "policy_set", "--help")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("--required", r.stdout.decode())
            self.assertRegex(run("adhesion", "--help").stdout.decode(), r"submit +")
            r = run("adhesion", "policy_set", "lanaudiere", "--charter", "2024")
            self.assertEqual(r.returncode, 1)  # the command itself needs the daemon
            self.assertIn("unavailable", r.stderr.decode())
        finally:
            shutil.rmtree(cache)

    def test_plugin_ops_from_the_command_line(self):
        self.d.stop()
        self.d.extra = ["--plugin-dir", PLUGINS, "--plugin", "progress"]
        self.d.start()
        self.ctl("region", "create", "mauricie", "--name", "Mauricie")
        self.ctl("plan", "create", "mauricie", "--title", "Plan d'action du Consortium 2017-2020")
        self.ctl("objective", "create", "mauricie", "1.1", "--text", "Maintenir et développer la concertation")
        for n in ("1.1.1", "1.1.2"):
            self.ctl("action", "create", "mauricie", n, "--objective", "1.1", "--text", "Rencontres " + n)
        self.ctl("action", "status", "mauricie", "1.1.1", "done")
        _, out, _ = self.ctl("--help")
        self.assertIn("progress get", out)
        _, out, _ = self.ctl("progress", "get", "mauricie")
        self.assertRegex(out, r"%\s+: 50")  # read as lines, not JSON
        self.assertRegex(out, r"en cours\s+: 0")  # by_status's keys in words
        _, out, _ = self.ctl("--json", "progress", "get", "mauricie")
        progress = json.loads(out)
        self.assertEqual((progress["actions"], progress["done"], progress["percent"]), (2, 1, 50))
        self.assertEqual(progress["last_milestone"], 50)
        _, out, _ = self.ctl("info")
        self.assertIn("progress", out)
        self.assertIn("en service", out)

    def test_errors_are_one_line_with_code(self):
        code, out, err = self.ctl("action", "show", "nowhere", "1.1", ok=False)
        self.assertEqual(code, 1)
        self.assertRegex(err, r"^concertctl: not_found: région inconnue: nowhere")
        self.assertEqual(err.count("\n"), 1)
        code, _, err = self.ctl("plan", "create", "x", "--start", "2023-02-30", "--title", "T", ok=False)
        self.assertNotEqual(code, 0)
        self.assertTrue(err.startswith("concertctl: "))
        code, _, err = self.ctl("frobnicate", ok=False)
        self.assertEqual(code, 2)
        self.assertIn("commande inconnue", err)
        r = subprocess.run([CONCERTCTL, "--endpoint", "ipc:///nonexistent/x.sock", "--timeout", "300",
                            "region", "list"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("concertctl: unavailable:", r.stderr.decode())

    def test_import_says_why_a_file_goes_unanswered_and_reads_a_json_with_a_bom(self):
        # Adversary D17: a file over concertd's 1 MiB limit got "is concertd
        # running?"; a JSON document starting with a BOM was refused.
        self.ctl("region", "create", "estrie", "--name", "Estrie")
        folder = tempfile.mkdtemp(prefix="concertd-cli-")
        self.addCleanup(shutil.rmtree, folder)
        big = os.path.join(folder, "gros.txt")
        with open(big, "w", encoding="utf-8") as f:
            f.write("Plan d'action 2020-2025\nOBJECTIFS\tMOYENS D'ACTION\n")
            f.write("".join("1. Objectif\t1.%d Action numéro %d, assez longue pour peser\n" % (i + 1, i)
                            for i in range(30000)))
        code, _, err = self.ctl("--timeout", "1500", "import", "--region", "estrie", big, ok=False)
        self.assertEqual(code, 1)
        self.assertIn("max_message_size", err)
        doc = os.path.join(folder, "plan.json")
        plan = {"format": "concertd.plan", "version": 1, "plan": {"title": "Plan BOM"},
                "objectives": [{"number": "1", "text": "Objectif"}],
                "actions": [{"number": "1.1", "objective": "1", "text": "Action"}]}
        with open(doc, "wb") as f:
            f.write(b"\xef\xbb\xbf" + json.dumps(plan, ensure_ascii=False).encode("utf-8"))
        self.ctl("import", "--region", "estrie", doc)

    def test_help_on_every_subcommand(self):
        _, out, _ = self.ctl("--help")
        # Command lines are "  noun verb args…  description", the first column 40 wide.
        commands = [[w for w in line[2:42].split()[:2] if re.fullmatch("[a-z]+", w)]
                    for line in out.splitlines() if line.startswith("  ") and not line.strip().startswith("--")
                    and not line.startswith("   ") and not line.startswith("  concertctl")]
        self.assertGreater(len(commands), 30)
        for words in commands:
            r = subprocess.run(self.base + words + ["--help"], capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, words)
            self.assertIn("Usage", r.stdout.decode(), words)


if __name__ == "__main__":
    unittest.main()
