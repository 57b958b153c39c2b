"""Every change has an author and stays in the history; undo applies the
inverse change as a new event (the log is never rewritten). On the demo
plan, with concertctl as two people would use it."""
import json
import os
import pty
import subprocess
import unittest

from harness import CONCERTCTL, SOURCE, Daemon

DEMO = os.path.join(SOURCE, "config", "demo", "lanaudiere.json")


class History(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(extra=["--demo", DEMO]).start()
        self.c = self.d.client()

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def ctl(self, *args, who="marie", ok=True):
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--as", who] + list(args), capture_output=True,
                           timeout=30)
        if ok:
            self.assertEqual(r.returncode, 0, "%s\n%s" % (args, r.stderr.decode()))
        return r

    def action(self):
        return self.c.ok("action.get", region="lanaudiere", number="2.3")

    def test_who_changed_what_from_what_to_what(self):
        self.ctl("action", "status", "lanaudiere", "2.3", "en cours", "--note", "Première capsule tournée")
        self.ctl("action", "update", "lanaudiere", "2.3", "--responsible", "CA", who="paul")
        rows = self.c.ok("events.history", region="lanaudiere", number="2.3")
        self.assertEqual([(r["type"], r["actor"]) for r in rows[:2]],
                         [("action.updated", "paul"), ("action.status_changed", "marie")])
        self.assertEqual(rows[0]["changes"], [{"field": "responsible", "from": None, "to": "CA"}])
        self.assertEqual(rows[1]["changes"], [{"field": "status", "from": "planned", "to": "in_progress"}])
        self.assertEqual(rows[-1]["type"], "action.created")  # the demo's import, first of all
        out = self.ctl("history", "lanaudiere", "2.3").stdout.decode()
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^\d{4}-\d\d-\d\d \d\d:\d\d  n° \d+ +lanaudiere · action 2\.3 « Réaliser et "
                                   r"diffuser .* » modifiée \(par paul\)$")
        self.assertEqual(lines[1].strip(), "responsable : «  » → « CA »")
        self.assertIn("prévue → en cours — note : Première capsule tournée (par marie)", lines[2])
        # Another action's changes are not 2.3's.
        self.ctl("action", "status", "lanaudiere", "2.1", "réalisée")
        self.assertNotIn("2.1", self.ctl("history", "lanaudiere", "2.3").stdout.decode())
        self.assertIn("action 2.1", self.ctl("history", "lanaudiere").stdout.decode())

    def test_undo_applies_the_inverse_as_a_new_change(self):
        before = self.action()
        self.ctl("action", "status", "lanaudiere", "2.3", "en cours")
        self.ctl("action", "update", "lanaudiere", "2.3", "--responsible", "CA", "--schedule", "An 2")
        measure = self.c.ok("indicator.list", region="lanaudiere")[0]
        self.ctl("indicator", "record", str(measure["id"]), "57", "--date", "2019-06-30")
        last = self.c.ok("node.info")["last_seq"]
        # marie's last change first: the measurement, then the fields, then the status.
        out = self.ctl("undo").stdout.decode()
        self.assertIn("Changement n° %d annulé" % last, out)
        self.assertIsNone(self.c.ok("indicator.history", id=measure["id"])["latest"])
        self.ctl("undo")
        now = self.action()
        self.assertEqual((now["responsible"], now["schedule"], now["windows"]),
                         (before["responsible"], before["schedule"], before["windows"]))
        self.ctl("undo")
        self.assertEqual(self.action()["status"], "planned")
        self.assertEqual(self.action()["notes"][-1]["text"][:24], "Annulation du changement")
        # Nothing was rewritten: every change and every undo is in the log, by marie.
        events = self.c.ok("events.since", since=last - 3)["events"]
        self.assertEqual([e["type"] for e in events],
                         ["action.status_changed", "action.updated", "indicator.recorded", "indicator.unrecorded",
                          "action.updated", "action.status_changed"])
        self.assertEqual([e["actor"] for e in events],
                         ["marie"] * 3 + ["marie (annule le n° %d)" % n for n in (last, last - 1, last - 2)])
        # Undone once: not twice.
        r = self.ctl("undo", str(last), ok=False)
        self.assertIn("conflict: le changement n° %d est déjà annulé (par le n° %d)" % (last, last + 1),
                      r.stderr.decode())

    def test_a_note_is_undone(self):
        self.ctl("action", "note", "lanaudiere", "2.3", "Rencontre avec le CISSS reportée", "--date", "2026-11-20")
        self.ctl("action", "note", "lanaudiere", "2.3", "Deuxième capsule en montage", who="paul")
        self.ctl("undo")  # marie's note, not paul's later one
        texts = [n["text"] for n in self.action()["notes"]]
        self.assertNotIn("Rencontre avec le CISSS reportée", texts)
        self.assertIn("Deuxième capsule en montage", texts)
        last = self.c.ok("events.since", since=self.c.ok("node.info")["last_seq"] - 1)["events"][-1]
        self.assertEqual((last["type"], last["data"]["text"], last["data"]["date"]),
                         ("action.unnoted", "Rencontre avec le CISSS reportée", "2026-11-20"))
        # Once gone, not twice.
        r = self.ctl("undo", str(last["seq"] - 2), ok=False)
        self.assertIn("déjà annulé", r.stderr.decode())

    def test_a_deleted_action_comes_back_with_its_notes_and_measurements(self):
        self.ctl("action", "status", "lanaudiere", "2.3", "en cours", "--note", "Première capsule tournée")
        indicator = self.c.ok("indicator.create", region="lanaudiere", action="2.3", name="Capsules diffusées",
                              target=6)
        self.ctl("indicator", "record", str(indicator["id"]), "2", "--date", "2026-10-31")
        before = self.action()
        self.ctl("action", "delete", "lanaudiere", "2.3", "--yes")
        self.assertFalse(self.c.call("action.get", {"region": "lanaudiere", "number": "2.3"})["ok"])
        out = self.ctl("undo").stdout.decode()
        self.assertIn("annulé", out)
        now = self.action()
        for key in ("number", "objective", "text", "targets", "schedule", "expected_result", "responsible", "status",
                    "windows"):
            self.assertEqual(now[key], before[key], key)
        self.assertEqual([(n["date"], n["text"], n["author"]) for n in now["notes"]],
                         [(n["date"], n["text"], n["author"]) for n in before["notes"]])
        self.assertEqual([(i["id"], i["latest"]) for i in now["indicators"]],
                         [(i["id"], i["latest"]) for i in before["indicators"]])
        self.assertIn((indicator["id"], 2.0), [(i["id"], i["latest"]) for i in now["indicators"]])
        history = self.c.ok("indicator.history", id=indicator["id"])
        self.assertEqual([(m["date"], m["value"]) for m in history["measurements"]], [("2026-10-31", 2.0)])
        self.assertEqual(history["action"], "2.3")
        # The history of 2.3 tells the whole story, the undo by marie included.
        rows = self.c.ok("events.history", region="lanaudiere", number="2.3")
        self.assertEqual([(r["type"], r["actor"]) for r in rows[:2]],
                         [("action.created", "marie (annule le n° %d)" % rows[1]["seq"]), ("action.deleted", "marie")])

    def test_undo_walks_back_through_changes_of_the_same_thing(self):
        # A later change undone and its undo cancel out: the earlier one can go next.
        self.ctl("action", "status", "lanaudiere", "2.3", "en cours")
        self.ctl("action", "status", "lanaudiere", "2.3", "réalisée")
        self.ctl("undo")
        self.assertEqual(self.action()["status"], "in_progress")
        self.ctl("undo")
        self.assertEqual(self.action()["status"], "planned")

    def test_a_regions_change_is_undone_too(self):
        self.ctl("region", "update", "lanaudiere", "--organisation", "TPDSL")
        self.assertEqual(self.c.ok("region.get", id="lanaudiere")["organisation"], "TPDSL")
        self.ctl("undo")
        self.assertEqual(self.c.ok("region.get", id="lanaudiere")["organisation"],
                         "Table des partenaires du développement social de Lanaudière (TPDSL)")

    def test_an_undo_that_would_lose_a_later_change_is_refused(self):
        self.ctl("action", "status", "lanaudiere", "2.3", "en cours")
        first = self.c.ok("node.info")["last_seq"]
        self.ctl("action", "status", "lanaudiere", "2.3", "réalisée", who="paul")
        r = self.ctl("undo", str(first), ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("conflict: cette action a changé depuis (événement n° %d" % (first + 1), r.stderr.decode())
        self.assertEqual(self.action()["status"], "done")
        # By its number, paul's; then marie's is the latest and can go.
        self.ctl("undo", str(first + 1), who="marie")
        self.assertEqual(self.action()["status"], "in_progress")
        err = self.c.error("events.undo", seq=1)  # region.created: not something undo reverses
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "seq"))
        err = self.c.error("events.undo", seq=999999)
        self.assertEqual(err["code"], "not_found")
        self.assertIn("ce nœud", err["message"])


class Deleting(unittest.TestCase):
    """Deleting an action asks first on a terminal; a script says --yes."""

    def setUp(self):
        self.d = Daemon(extra=["--demo", DEMO]).start()
        self.c = self.d.client()
        self.base = [CONCERTCTL, "--endpoint", self.d.command, "action", "delete", "lanaudiere"]

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def on_a_terminal(self, number, answer):
        leader, follower = pty.openpty()
        try:
            os.write(leader, answer.encode())
            r = subprocess.run(self.base + [number], stdin=follower, capture_output=True, timeout=30)
        finally:
            os.close(leader)
            os.close(follower)
        return r

    def exists(self, number):
        return self.c.call("action.get", {"region": "lanaudiere", "number": number})["ok"]

    def test_asked_on_a_terminal_refused_without_one_unless_yes(self):
        r = self.on_a_terminal("2.3", "n\n")
        self.assertEqual(r.returncode, 1)
        out = r.stdout.decode()
        self.assertIn("Supprimer l'action 2.3 « Réaliser et diffuser des capsules vidéo", out)
        self.assertIn("Rien n'a été supprimé.", out)
        self.assertTrue(self.exists("2.3"))
        r = self.on_a_terminal("2.3", "o\n")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertFalse(self.exists("2.3"))
        r = subprocess.run(self.base + ["2.7"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--yes", r.stderr.decode())
        self.assertTrue(self.exists("2.7"))
        r = subprocess.run(self.base + ["2.7", "--yes"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertFalse(self.exists("2.7"))


if __name__ == "__main__":
    unittest.main()
