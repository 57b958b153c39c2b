"""Every plugin op declares its arguments (cd_param: type, limits, help in
French and English, required or not); the host checks each request against
the declaration before the handler runs, node.info shows the declarations,
and concertctl reads a plugin op's command line by them. The test plugin's
probe.types declares one argument of each type (tests/plugins/probe.c) and
answers the arguments exactly as its handler received them."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import CONCERTCTL, TEST_PLUGINS, Daemon

CONFIG = "[plugins]\nload = probe\n"

# What probe.types declares, written here from tests/plugins/probe.c (not read back from the daemon).
DECLARED = {
    "region": {"type": "region", "required": True},
    "title": {"type": "text", "required": False, "min": 1, "max": 8},
    "count": {"type": "int", "required": False, "min": -2, "max": 5},
    "ratio": {"type": "number", "required": False, "min": 0, "max": 1},
    "flag": {"type": "bool", "required": False},
    "day": {"type": "date", "required": False},
    "at": {"type": "datetime", "required": False},
    "when": {"type": "when", "required": False},
    "kind": {"type": "enum", "required": False, "values": ["rencontre", "forum"]},
    "file": {"type": "file", "required": False, "max": 16},
    "tags": {"type": "list", "required": False, "max": 3, "item": "text", "item_max": 4},
    "days": {"type": "list", "required": False, "max": 2, "item": "date"},
    "extra": {"type": "map", "required": False, "max": 2},
}


class PluginParams(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config=CONFIG, extra=["--plugin-dir", TEST_PLUGINS]).start()
        cls.c = cls.d.client()
        cls.c.ok("region.create", id="estrie", name="Estrie")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        assert cls.d.stop() == 0
        cls.d.cleanup()

    def refused(self, code, field, **args):
        args.setdefault("region", "estrie")
        err = self.c.error("probe.types", **args)
        self.assertEqual((err["code"], err["field"]), (code, field), args)
        return err["message"]

    def test_what_is_declared_reaches_the_handler_as_given_with_the_region_resolved(self):
        args = {"title": "éééé", "count": -2, "ratio": 0.5, "flag": False, "day": "2028-02-29",
                "at": "2027-03-01T23:59:59", "when": "2027-03-01", "kind": "forum", "file": b"\x00\x01bin",
                "tags": ["abcd", "é"], "days": ["2027-01-01"], "extra": {"a": 1, "b": [2]}}
        got = self.c.ok("probe.types", region="ESTRIE", **args)
        self.assertEqual(got, dict(args, region="estrie"))
        self.assertEqual(self.c.ok("probe.types", region="estrie", when="2027-03-01T10:00", count=None),
                         {"region": "estrie", "when": "2027-03-01T10:00", "count": None})

    def test_one_over_each_limit_is_refused_naming_the_argument(self):
        self.assertIn("8", self.refused("invalid_argument", "title", title="éééé!"))  # 9 bytes
        self.assertIn("vide", self.refused("invalid_argument", "title", title=""))
        for n in (6, -3):
            self.assertIn("-2 et 5", self.refused("invalid_argument", "count", count=n))
        self.refused("invalid_argument", "ratio", ratio=1.01)
        self.refused("invalid_argument", "file", file="x" * 17)
        self.refused("invalid_argument", "file", file=b"x" * 17)
        self.refused("invalid_argument", "tags", tags=["a", "b", "c", "d"])
        self.refused("invalid_argument", "tags[1]", tags=["a", "abcde"])
        self.refused("invalid_argument", "days", days=["2027-01-01"] * 3)
        self.refused("invalid_argument", "extra", extra={"a": 1, "b": 2, "c": 3})

    def test_wrong_types_and_dates_that_do_not_exist(self):
        for field, value in (("title", 12), ("count", "3"), ("count", 1.5), ("ratio", "0.5"), ("flag", "oui"),
                             ("day", 20270101), ("file", 3), ("tags", "a,b"), ("tags", {"a": 1}),
                             ("extra", [1]), ("region", 7), ("kind", 1)):
            self.refused("bad_request", field, **{field: value})
        for field, value in (("day", "2027-02-29"), ("day", "2027-2-1"), ("day", "2027-01-01T10:00"),
                             ("at", "2027-03-01"), ("at", "2027-03-01T24:00"), ("at", "2027-03-01T10:60"),
                             ("at", "2027-03-01T10:00:60"), ("when", "2027-13-01"), ("when", "demain"),
                             ("days", ["2027-02-30"])):
            self.refused("invalid_argument", field if field != "days" else "days[0]", **{field: value})
        words = self.refused("invalid_argument", "kind", kind="atelier")
        self.assertIn("rencontre, forum", words)

    def test_required_missing_or_nil_and_unknown_arguments(self):
        err = self.c.error("probe.types", title="t")
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "region"))
        self.assertIn("obligatoire", err["message"])
        self.assertEqual(self.c.error("probe.types", region=None)["field"], "region")
        self.assertEqual(self.c.error("probe.types", region="nulle-part")["code"], "not_found")
        err = self.c.error("probe.types", region="estrie", titel="t")
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "titel"))
        self.assertEqual(self.c.call("probe.types", {"count": 9}, lang="en")["error"]["message"],
                         "missing required argument: region (the region)")

    def test_node_info_shows_the_declarations(self):
        ops = {op["name"]: op for op in self.c.ok("node.info")["ops"]}
        params = {p["name"]: p for p in ops["probe.types"]["params"]}
        self.assertEqual(list(params), list(DECLARED))
        for name, want in DECLARED.items():
            got = {k: v for k, v in params[name].items() if k not in ("name", "help")}
            self.assertEqual(got, want, name)
        self.assertEqual(params["region"]["help"], "la région")
        en = self.c.call("node.info", {}, lang="en")["result"]["ops"]
        self.assertEqual([p["help"] for op in en if op["name"] == "probe.echo" for p in op["params"]], ["the text"])
        self.assertNotIn("params", ops["region.create"])  # core ops give their names only


class CommandLine(unittest.TestCase):
    """concertctl reads a plugin op's arguments by their declared types."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config=CONFIG, extra=["--plugin-dir", TEST_PLUGINS]).start()
        c = cls.d.client()
        c.ok("region.create", id="estrie", name="Estrie")
        c.close()
        cls.folder = tempfile.mkdtemp(prefix="concertd-params-")

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0
        cls.d.cleanup()

    def ctl(self, *args):
        return subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--json"] + list(args), capture_output=True,
                              timeout=60)

    def test_values_are_read_by_their_type(self):
        path = os.path.join(self.folder, "f.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("Été\n")
        r = self.ctl("probe", "types", "Estrie", "--title", "2024", "--count", "-1", "--flag", "oui", "--ratio", "0.25",
                     "--tags", "a, b", "--tags", "c", "--extra", '{"k": [1]}', "--file", "@" + path, "--kind", "forum")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(json.loads(r.stdout), {"region": "estrie", "title": "2024", "count": -1, "flag": True,
                                                "ratio": 0.25, "tags": ["a", "b", "c"], "extra": {"k": [1]},
                                                "file": "Été\n", "kind": "forum"})

    def test_what_cannot_be_read_so_is_said_before_anything_is_sent(self):
        for args, words in ((["--count", "trois"], "--count attend un nombre entier"),
                            (["--flag", "peut-être"], "--flag attend oui ou non"),
                            (["--extra", "[1]"], "--extra attend un objet JSON"),
                            (["--titre", "x"], "argument inconnu : --titre"),
                            (["--title", "a", "--title", "b"], "--title est donné deux fois"),
                            (["--title"], "--title attend une valeur")):
            r = self.ctl("probe", "types", "estrie", *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(words, r.stderr.decode(), args)
        r = self.ctl("probe", "types", "estrie", "--count", "9")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("count doit être entre -2 et 5", r.stderr.decode())  # the daemon's own check

    def test_help_explains_each_argument(self):
        r = self.ctl("probe", "types", "--help")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        text = r.stdout.decode()
        self.assertIn("--region", text)
        self.assertRegex(text, r"--region +la région \(obligatoire\) \[région\]")
        self.assertRegex(text, r"--title +un titre \[texte, 8 octets au plus\]")
        self.assertRegex(text, r"--count +un compte \[entier, de -2 à 5\]")
        self.assertRegex(text, r"--kind +un genre \[l'un de rencontre, forum\]")
        self.assertRegex(text, r"--tags +des étiquettes \[liste de textes \(virgules entre eux\), 3 au plus\]")


if __name__ == "__main__":
    unittest.main()
