"""The calendar plugin, end to end: activities through the protocol, the
published .ics files read back by an independent reader (Debian's
python3-icalendar) and checked by libical; recurrences against dates
computed by hand (and by Python's own time zone data) across the
daylight-saving change; a partner's file imported by UID; bad input
refused with nothing stored."""
import datetime
import os
import subprocess
import tempfile
import time
import unittest
from zoneinfo import ZoneInfo

import icalendar

from harness import CONCERTCTL, PLUGINS, Daemon

TORONTO = ZoneInfo("America/Toronto")


class Calendar(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        config = "[plugins]\npath = %s\nload = calendar\n[plugin.calendar]\nexport_dir = ics\n" % PLUGINS
        self.d = Daemon(folder=self.folder, config=config).start()
        self.c = self.d.client()
        for slug, name in (("estrie", "Estrie"), ("mauricie", "Mauricie")):
            self.c.ok("region.create", id=slug, name=name)

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def add(self, **args):
        args.setdefault("region", "estrie")
        return self.c.ok("calendar.add", **args)

    def published(self, name, contains):
        """The published file once it holds `contains` (files are rewritten off the loop)."""
        path = os.path.join(self.folder, "ics", name)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
                if contains.encode() in data:
                    return icalendar.Calendar.from_ical(data)
            self.c.ok("node.info")  # a round trip lets the loop finish the write
        self.fail("%s never held %r" % (name, contains))

    @staticmethod
    def events(cal):
        return {str(e["UID"]): e for e in cal.walk("VEVENT")}

    def test_activities_are_published_and_updated_not_duplicated(self):
        a = self.add(title="Forum régional des élus — édition 2026", kind="forum", start="2026-10-03T09:00",
                     end="2026-10-03T16:30", place="Centre culturel, Sherbrooke", organisation="Table estrienne",
                     description="Inscription obligatoire.")
        self.assertEqual((a["sequence"], a["status"]), (0, "planned"))
        cal = self.published("estrie.ics", a["uid"])
        ev = self.events(cal)[a["uid"]]
        self.assertEqual(str(ev["SUMMARY"]), "Forum régional des élus — édition 2026")
        self.assertEqual(ev.decoded("DTSTART"), datetime.datetime(2026, 10, 3, 9, 0, tzinfo=TORONTO))
        self.assertEqual(ev["DTSTART"].params["TZID"], "America/Toronto")
        self.assertEqual((str(ev["STATUS"]), int(ev["SEQUENCE"])), ("TENTATIVE", 0))
        self.assertEqual(str(ev["LOCATION"]), "Centre culturel, Sherbrooke")
        self.assertIn("Table estrienne", str(ev["DESCRIPTION"]))
        # Changed, then cancelled: same UID, SEQUENCE grows, STATUS:CANCELLED.
        self.c.ok("calendar.update", id=a["id"], start="2026-10-03T09:30", status="confirmed")
        self.c.ok("calendar.cancel", id=a["id"])
        ev = self.events(self.published("all.ics", "STATUS:CANCELLED"))[a["uid"]]
        self.assertEqual((str(ev["STATUS"]), int(ev["SEQUENCE"])), ("CANCELLED", 2))
        self.assertEqual(ev.decoded("DTSTART"), datetime.datetime(2026, 10, 3, 9, 30, tzinfo=TORONTO))
        self.assertEqual(len(self.events(self.published("kind-forum.ics", a["uid"]))), 1)
        # libical finds nothing wrong with what was written.
        self.assertEqual(self.c.ok("calendar.export", region="estrie")["problems"], 0)
        self.assertEqual(self.c.ok("calendar.export")["problems"], 0)

    def test_the_files_always_end_with_the_last_change(self):
        a = self.add(title="Comité directeur v0", kind="comite", start="2026-12-01T13:30", end="2026-12-01T16:00")
        for n in range(1, 31):  # changes faster than the files are written
            self.c.ok("calendar.update", id=a["id"], title="Comité directeur v%d" % n)
        ev = self.events(self.published("all.ics", "Comité directeur v30"))[a["uid"]]
        self.assertEqual(int(ev["SEQUENCE"]), 30)
        # Killed right after a change, files gone: the next start writes them again.
        self.c.ok("calendar.update", id=a["id"], title="Comité directeur v31")
        self.d.kill()
        for name in os.listdir(os.path.join(self.folder, "ics")):
            os.unlink(os.path.join(self.folder, "ics", name))
        self.d.start()
        self.c.close()
        self.c = self.d.client()
        ev = self.events(self.published("all.ics", "Comité directeur v31"))[a["uid"]]
        self.assertEqual(int(ev["SEQUENCE"]), 31)
        self.published("estrie.ics", a["uid"])
        self.published("kind-comite.ics", a["uid"])

    def test_a_file_that_cannot_be_written_is_logged_and_the_old_one_stays(self):
        a = self.add(title="Atelier A", kind="atelier", start="2026-12-02")
        self.published("all.ics", a["uid"])
        os.mkdir(os.path.join(self.folder, "ics", "all.ics.tmp"))  # in the way of the next rewrite
        b = self.add(title="Atelier B", kind="atelier", start="2026-12-03")
        self.published("estrie.ics", b["uid"])  # the other files are written
        deadline = time.monotonic() + 20
        while "calendrier non publié" not in self.d.log_text() and time.monotonic() < deadline:
            self.c.ok("node.info")
        self.assertRegex(self.d.log_text(), r"calendrier non publié dans .*all\.ics : Is a directory")
        with open(os.path.join(self.folder, "ics", "all.ics"), "rb") as f:
            self.assertEqual(list(self.events(icalendar.Calendar.from_ical(f.read()))), [a["uid"]])
        self.assertEqual(self.c.ok("calendar.show", id=b["id"])["title"], "Atelier B")  # the change itself stands

    def test_recurrences_keep_their_hour_across_daylight_saving(self):
        # The steering committee "4 fois par année", and a weekly workshop
        # over the change to standard time (Sunday November 1st, 2026).
        comite = self.add(title="Comité directeur", kind="comite", start="2026-09-15T13:30", end="2026-09-15T16:00",
                          rrule="FREQ=MONTHLY;INTERVAL=3;COUNT=4")
        atelier = self.add(title="Atelier", kind="atelier", start="2026-10-25T19:00", end="2026-10-25T21:00",
                           rrule="FREQ=WEEKLY;COUNT=4", exdates=["2026-11-08T19:00"])
        listed = self.c.ok("calendar.list", **{"region": "estrie", "from": "2026-01-01", "to": "2027-12-31"})
        occurrences = [(o["id"], o["occurrence"]) for o in listed]
        self.assertEqual(sorted(o for i, o in occurrences if i == comite["id"]),
                         ["2026-09-15T13:30", "2026-12-15T13:30", "2027-03-15T13:30", "2027-06-15T13:30"])
        self.assertEqual(sorted(o for i, o in occurrences if i == atelier["id"]),
                         ["2026-10-25T19:00", "2026-11-01T19:00", "2026-11-15T19:00"])
        # The independent reader agrees, in absolute time: 19:00 is 23:00 UTC
        # before the change, midnight UTC after.
        ev = self.events(self.published("estrie.ics", atelier["uid"]))[atelier["uid"]]
        start = ev.decoded("DTSTART")
        self.assertEqual(start.astimezone(datetime.timezone.utc), datetime.datetime(2026, 10, 25, 23, 0,
                                                                                    tzinfo=datetime.timezone.utc))
        self.assertEqual(str(ev["RRULE"].to_ical().decode()), "FREQ=WEEKLY;COUNT=4")
        after = datetime.datetime(2026, 11, 1, 19, 0, tzinfo=TORONTO)
        self.assertEqual(after.astimezone(datetime.timezone.utc).hour, 0)
        # A window shows only what falls in it.
        window = self.c.ok("calendar.list", **{"from": "2026-11-01", "to": "2026-11-30"})
        self.assertEqual([o["occurrence"] for o in window], ["2026-11-01T19:00", "2026-11-15T19:00"])

    def test_a_partners_file_is_imported_by_uid(self):
        self.add(title="AGA", kind="aga", start="2026-06-10", end="2026-06-10")
        a = self.add(title="Rendez-vous du développement social", kind="forum", start="2026-11-05T08:30",
                     end="2026-11-05T12:00", rrule="FREQ=YEARLY;COUNT=3")
        text = self.c.ok("calendar.export", region="estrie")["text"]
        # Into another daemon's region it round-trips; twice, nothing doubles.
        first = self.c.ok("calendar.import", region="mauricie", text=text)
        self.assertEqual(first, {"created": 0, "updated": 0, "unchanged": 2})  # same UIDs: same activities
        partner = text.replace("@concertd", "@partenaire.example.org")
        self.assertEqual(self.c.ok("calendar.import", region="mauricie", text=partner),
                         {"created": 2, "updated": 0, "unchanged": 0})
        self.assertEqual(self.c.ok("calendar.import", region="mauricie", text=partner)["unchanged"], 2)
        back = self.events(icalendar.Calendar.from_ical(self.c.ok("calendar.export", region="mauricie")["text"]))
        twin = back[a["uid"].replace("@concertd", "@partenaire.example.org")]
        self.assertEqual(str(twin["SUMMARY"]), "Rendez-vous du développement social")
        self.assertEqual(twin.decoded("DTSTART"), datetime.datetime(2026, 11, 5, 8, 30, tzinfo=TORONTO))
        self.assertEqual(twin["RRULE"].to_ical().decode(), "FREQ=YEARLY;COUNT=3")
        aga = [e for e in back.values() if str(e["SUMMARY"]) == "AGA"][0]
        self.assertEqual(aga.decoded("DTSTART"), datetime.date(2026, 6, 10))
        # A newer version of an event (higher SEQUENCE) updates it.
        newer = partner.replace("SUMMARY:AGA", "SUMMARY:AGA annuelle").replace("SEQUENCE:0", "SEQUENCE:1")
        self.assertEqual(self.c.ok("calendar.import", region="mauricie", text=newer)["updated"], 2)

    def test_concertctl_imports_a_file_and_lists(self):
        a = self.add(title="Atelier « Évaluer ensemble »", kind="atelier", start="2026-11-12T13:00",
                     end="2026-11-12T15:00", place="Trois-Rivières")
        text = self.c.ok("calendar.export")["text"].replace("@concertd", "@partenaire.example.org")
        path = os.path.join(self.folder, "partenaire.ics")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        base = [CONCERTCTL, "--endpoint", self.d.command, "--events", self.d.events]
        r = subprocess.run(base + ["calendar", "import", "--region", "mauricie", "--text", "@" + path],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run(base + ["calendar", "list", "--region", "mauricie", "--from", "2026-11-01", "--to",
                                   "2026-11-30"], capture_output=True, timeout=30)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 3, lines)  # header, rule, the atelier
        self.assertIn("2026-11-12T13:00", lines[2])
        self.assertIn("Atelier « Évaluer ensemble »", lines[2])
        imported = self.c.ok("calendar.list", **{"region": "mauricie", "from": "2026-11-01", "to": "2026-11-30"})[0]
        self.assertEqual(self.c.ok("calendar.show", id=imported["id"])["uid"],
                         a["uid"].replace("@concertd", "@partenaire.example.org"))

    def test_the_plans_participation_indicators_fill_themselves(self):
        # Lanaudière's "Nombre de rencontres" and "Nombre de participants"
        # fed by the meetings of the year.
        c = self.c
        c.ok("plan.create", region="estrie", title="Plan d'action 2026-2028", start_date="2026-04-01")
        c.ok("objective.create", region="estrie", number="3", text="Échanger")
        c.ok("action.create", region="estrie", objective="3", number="3.3", text="Organiser des rencontres d'échange")
        meetings = c.ok("indicator.create", region="estrie", action="3.3", name="Nombre de rencontres", target=4)
        people = c.ok("indicator.create", region="estrie", action="3.3", name="Nombre de participants")
        comite = self.add(title="Rencontre d'échange", kind="rencontre", start="2026-09-15T13:30",
                          end="2026-09-15T16:00", rrule="FREQ=MONTHLY;INTERVAL=3;COUNT=4", action="3.3",
                          indicator=meetings["id"], measure="sessions")
        forum = self.add(title="Forum", kind="forum", start="2026-11-20T09:00", end="2026-11-20T16:00",
                         indicator=people["id"], measure="participants")
        c.ok("calendar.held", id=comite["id"], occurrence="2026-09-15T13:30", participants=14)
        c.ok("calendar.held", id=comite["id"], occurrence="2026-12-15T13:30", participants=11)
        c.ok("calendar.held", id=comite["id"], occurrence="2027-03-15T13:30", participants=9)
        c.ok("calendar.held", id=forum["id"], participants=85)
        history = c.ok("indicator.history", id=meetings["id"])["measurements"]
        self.assertEqual([(m["date"], m["value"]) for m in history],
                         [("2026-09-15", 1.0), ("2026-12-15", 2.0), ("2027-03-15", 1.0)])  # per calendar year
        self.assertEqual(c.ok("indicator.history", id=people["id"])["latest"], 85.0)
        types = [e["type"] for e in c.ok("events.since", since=0, limit=1000)["events"]]
        self.assertEqual(types.count("indicator.recorded"), 4)
        err = c.error("calendar.add", region="estrie", title="X", start="2026-10-01T10:00", indicator=9999)
        self.assertEqual((err["code"], err["field"]), ("not_found", "indicator"))

    def test_participation_is_recorded(self):
        a = self.add(title="Formation en évaluation", kind="formation", start="2026-10-20T09:00",
                     end="2026-10-20T12:00")
        held = self.c.ok("calendar.held", id=a["id"], participants=23, notes="Salle comble")
        self.assertEqual((held["status"], held["held"]), ("held", [{"occurrence": "2026-10-20T09:00",
                                                                   "participants": 23, "notes": "Salle comble"}]))
        events = [e["type"] for e in self.c.ok("events.since", since=0)["events"]]
        self.assertEqual(events[-1], "activity.held")

    def test_bad_input_is_refused_and_nothing_is_stored(self):
        before = self.d.snapshot()
        for args, field in (({"title": "X", "start": "2026-10-03T13:00", "end": "2026-10-03T12:00"}, "end"),
                            ({"title": "X", "start": "2026-10-03T13:00", "rrule": "FREQ=WEEKLY"}, "rrule"),
                            ({"title": "X", "start": "2026-10-03T13:00", "rrule": "FREQ=SOMETIMES"}, "rrule"),
                            ({"title": "X", "start": "3 octobre"}, "start"),
                            ({"title": "", "start": "2026-10-03T13:00"}, "title"),
                            ({"title": "X", "start": "2026-10-03T13:00", "kind": "party"}, "kind")):
            err = self.c.error("calendar.add", region="estrie", **args)
            self.assertEqual((err["code"], err["field"]), ("invalid_argument", field), args)
        err = self.c.error("calendar.add", region="nulle-part", title="X", start="2026-10-03T13:00")
        self.assertEqual(err["code"], "not_found")
        for text in ("BEGIN:VCALENDAR\nnimporte quoi", "pas du tout un calendrier",
                     "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
                     "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:sans UID\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"):
            err = self.c.error("calendar.import", region="estrie", text=text)
            self.assertEqual((err["code"], err["field"]), ("invalid_argument", "text"), text)
        self.assertEqual(self.d.snapshot(), before)


if __name__ == "__main__":
    unittest.main()
