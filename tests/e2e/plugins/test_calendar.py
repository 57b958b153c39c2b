"""The calendar plugin, end to end: activities through the protocol, the
published .ics files read back by an independent reader (Debian's
python3-icalendar) and checked by libical; recurrences against dates
computed by hand (and by Python's own time zone data) across the
daylight-saving change; a partner's file imported by UID; bad input
refused with nothing stored."""
import datetime
import json
import functools
import http.server
import os
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrulestr

from harness import CONCERTCTL, PLUGINS, Daemon, FakeClock

TORONTO = ZoneInfo("America/Toronto")


class Calendar(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        # The daemon's clock after the sessions these tests record as held.
        self.clock = FakeClock(self.folder, "@2027-06-01 12:00:00")
        config = "[plugins]\npath = %s\nload = calendar\n[plugin.calendar]\nexport_dir = ics\n" % PLUGINS
        self.d = Daemon(folder=self.folder, config=config, env=self.clock.env()).start()
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
        self.assertEqual((a["sequence"], a["status"]), (0, "confirmed"))  # a meeting is on unless said provisional
        cal = self.published("estrie.ics", a["uid"])
        ev = self.events(cal)[a["uid"]]
        self.assertEqual(str(ev["SUMMARY"]), "Forum régional des élus — édition 2026")
        self.assertEqual(ev.decoded("DTSTART"), datetime.datetime(2026, 10, 3, 9, 0, tzinfo=TORONTO))
        self.assertEqual(ev["DTSTART"].params["TZID"], "America/Toronto")
        self.assertEqual((str(ev["STATUS"]), int(ev["SEQUENCE"])), ("CONFIRMED", 0))
        self.assertEqual(str(ev["LOCATION"]), "Centre culturel, Sherbrooke")
        self.assertIn("Table estrienne", str(ev["DESCRIPTION"]))
        # Changed, then cancelled: same UID, SEQUENCE grows, STATUS:CANCELLED.
        self.c.ok("calendar.update", id=a["id"], start="2026-10-03T09:30", status="planned")
        ev = self.events(self.published("all.ics", "STATUS:TENTATIVE"))[a["uid"]]  # provisional, said so
        self.assertEqual(int(ev["SEQUENCE"]), 1)
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
        self.assertRegex(self.d.log_text(), r"calendrier non publié dans .*all\.ics : c.est un dossier")
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

    def test_the_list_shows_the_coming_90_days_in_date_order_across_regions(self):
        # The clock is 2027-06-01 12:00. Two regions, a monthly meeting and one-time events between.
        self.add(title="Comité Estrie", kind="comite", start="2027-06-10T13:30", rrule="FREQ=MONTHLY;COUNT=6")
        self.add(region="mauricie", title="Forum Mauricie", kind="forum", start="2027-07-01")
        self.add(region="mauricie", title="Atelier Mauricie", kind="atelier", start="2027-06-10T09:00")
        self.add(title="Passé", start="2027-05-31T10:00")
        self.add(title="Trop loin", start="2027-09-15T10:00")
        rows = self.c.ok("calendar.list")
        self.assertEqual([(r["occurrence"], r["title"]) for r in rows],
                         [("2027-06-10T09:00", "Atelier Mauricie"), ("2027-06-10T13:30", "Comité Estrie"),
                          ("2027-07-01", "Forum Mauricie"), ("2027-07-10T13:30", "Comité Estrie"),
                          ("2027-08-10T13:30", "Comité Estrie")])  # 90 days: to 2027-08-30
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "calendar", "list"], capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        lines = r.stdout.decode().splitlines()[2:]
        self.assertEqual(len(lines), 5, lines)
        self.assertIn("Atelier Mauricie", lines[0])
        self.assertIn("Comité Estrie", lines[4])

    def test_a_recurrence_said_in_words(self):
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--json", "calendar", "add", "estrie", "--title",
                            "Conseil d'administration", "--start", "2027-01-12T18:30", "--repeat",
                            "le 2e mardi du mois, sauf juillet et août, 10 fois"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        a = json.loads(r.stdout)
        self.assertEqual(a["rrule"], "FREQ=MONTHLY;COUNT=10;BYDAY=2TU;BYMONTH=1,2,3,4,5,6,9,10,11,12")
        sessions = self.c.ok("calendar.list", **{"from": "2027-01-01", "to": "2027-12-31"})
        # The second Tuesdays worked out on a calendar, July and August left out.
        self.assertEqual([s["occurrence"][:10] for s in sessions],
                         ["2027-01-12", "2027-02-09", "2027-03-09", "2027-04-13", "2027-05-11", "2027-06-08",
                          "2027-09-14", "2027-10-12", "2027-11-09", "2027-12-14"])
        self.assertEqual(sessions[0]["repeat"], "le 2e mardi du mois, sauf juillet et août, 10 fois")
        # Without an end: a year of sessions. Not understood: said, nothing stored.
        b = self.add(title="Comité", start="2027-01-18T13:30", repeat="chaque lundi")
        self.assertEqual(b["rrule"], "FREQ=WEEKLY;BYDAY=MO;UNTIL=20280118")
        err = self.c.error("calendar.add", region="estrie", title="X", start="2027-01-18T13:30", repeat="de temps en temps")
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "repeat"))
        err = self.c.error("calendar.add", region="estrie", title="X", start="2027-01-18T13:30", repeat="chaque lundi",
                           rrule="FREQ=WEEKLY;COUNT=2")
        self.assertEqual(err["field"], "repeat")

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

    def test_calendar_changes_are_undone(self):
        a = self.c.call("calendar.add", {"region": "estrie", "title": "Comité de coordination", "kind": "comite",
                                         "start": "2027-09-14T13:30", "end": "2027-09-14T16:00",
                                         "place": "Salle 2"}, actor="julie")["result"]
        self.c.call("calendar.update", {"id": a["id"], "start": "2027-09-21T13:30", "end": "2027-09-21T16:00",
                                        "place": ""}, actor="julie")
        self.c.call("calendar.cancel", {"id": a["id"]}, actor="julie")
        # The cancellation, then the move: back as it was added, SEQUENCE still growing.
        for _ in range(2):
            r = self.c.call("events.undo", {}, actor="julie")
            self.assertTrue(r["ok"], r)
        now = self.c.ok("calendar.show", id=a["id"])
        self.assertEqual((now["start"], now["end"], now["place"], now["status"]),
                         ("2027-09-14T13:30", "2027-09-14T16:00", "Salle 2", "confirmed"))
        self.assertEqual(now["sequence"], 4)
        cal = self.events(self.published("estrie.ics", "SEQUENCE:4"))
        self.assertEqual(cal[a["uid"]]["DTSTART"].dt.replace(tzinfo=None), datetime.datetime(2027, 9, 14, 13, 30))
        # The addition itself: cancelled, so calendar apps drop it.
        r = self.c.call("events.undo", {}, actor="julie")
        self.assertTrue(r["ok"], r)
        self.assertEqual(self.c.ok("calendar.show", id=a["id"])["status"], "cancelled")
        cal = self.events(self.published("estrie.ics", "STATUS:CANCELLED"))
        self.assertEqual(str(cal[a["uid"]]["STATUS"]), "CANCELLED")
        # Each undo is a change of its own, by julie, in the log.
        actors = [e["actor"] for e in self.c.ok("events.since", since=0)["events"] if e["type"].startswith("activity.")]
        self.assertEqual(actors[:3], ["julie"] * 3)
        self.assertTrue(all(x.startswith("julie (annule le n° ") for x in actors[3:]), actors)
        self.assertEqual(len(actors), 6)
        # Held sessions are not undone this way: said in words.
        err = self.c.error("events.undo", seq=1)
        self.assertIn("activité du calendrier", err["message"])

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
        # Participation only for a session that exists: not an excepted date of a
        # recurrence, not a day between two, not another start than a one-time one's.
        comite = self.add(title="Comité", kind="comite", start="2026-09-15T13:30",
                          rrule="FREQ=MONTHLY;INTERVAL=3;COUNT=4", exdates="2026-12-15T13:30")
        atelier = self.add(title="Atelier", kind="atelier", start="2026-10-20T09:00")
        before = self.d.snapshot()
        for id, occurrence in ((comite["id"], "2026-12-15T13:30"), (comite["id"], "2026-10-15T13:30"),
                               (comite["id"], "2026-09-15T14:30"), (atelier["id"], "2026-10-21T09:00")):
            err = self.c.error("calendar.held", id=id, occurrence=occurrence, participants=10)
            self.assertEqual((err["code"], err["field"]), ("invalid_argument", "occurrence"), occurrence)
            self.assertIn(occurrence, err["message"])
        self.assertEqual(self.d.snapshot(), before)
        self.c.ok("calendar.held", id=comite["id"], occurrence="2027-03-15T13:30", participants=10)


    def test_days_and_times_that_do_not_exist_are_refused_everywhere(self):
        # Each was stored and published before, and the .ics then no longer
        # parsed in a calendar app (python3-icalendar here).
        before = self.d.snapshot()
        for args, field in (({"start": "2024-02-30T10:00"}, "start"),
                            ({"start": "2027-02-28T24:00"}, "start"),
                            ({"start": "2027-02-28T10:00", "end": "2027-02-29T10:00"}, "end"),
                            ({"start": "2027-02-28T10:00", "rrule": "FREQ=MONTHLY;UNTIL=20270231"}, "rrule"),
                            ({"start": "2027-02-28T10:00", "rrule": "FREQ=MONTHLY;UNTIL=20270331T250000Z"}, "rrule"),
                            ({"start": "2027-02-28T10:00", "rrule": "FREQ=MONTHLY;COUNT=3",
                              "exdates": ["2027-02-30T10:00"]}, "exdates"),
                            ({"start": "2027-02-28", "rrule": "FREQ=YEARLY;COUNT=3", "exdates": "2028-02-30"},
                             "exdates")):
            err = self.c.error("calendar.add", region="estrie", title="Comité", **args)
            self.assertEqual((err["code"], err["field"]), ("invalid_argument", field), args)
        a = self.add(title="Comité", start="2027-01-31T10:00", rrule="FREQ=MONTHLY;COUNT=3")
        for args, field in (({"exdates": "2027-02-31T10:00"}, "exdates"), ({"start": "2027-04-31T10:00"}, "start")):
            err = self.c.error("calendar.update", id=a["id"], **args)
            self.assertEqual((err["code"], err["field"]), ("invalid_argument", field), args)
        err = self.c.error("calendar.held", id=a["id"], occurrence="2027-02-31T10:00")
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "occurrence"))
        for args in ({"from": "2027-02-30", "to": "2027-03-01"}, {"from": "2027-02-01", "to": "2027-13-01"}):
            self.assertEqual(self.c.error("calendar.list", **args)["code"], "invalid_argument", args)
        self.assertEqual(self.c.ok("calendar.list", **{"from": "2027-01-01", "to": "2027-12-31"})[0]["id"], a["id"])
        export = self.c.ok("calendar.export", region="estrie")
        self.assertEqual(export["problems"], 0, export["first_problem"])
        icalendar.Calendar.from_ical(export["text"])

    def test_the_export_check_finds_what_a_calendar_app_refuses(self):
        # An activity written before dates were checked (an older version's
        # database): libical reads 2027-02-31 without a word, the check must not.
        a = self.add(title="Comité", start="2027-01-31T10:00", rrule="FREQ=MONTHLY;COUNT=3")
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        db = sqlite3.connect(os.path.join(self.d.data, "concertd.db"))
        db.execute("UPDATE calendar_activities SET rrule = 'FREQ=MONTHLY;UNTIL=20270231', exdates = '2027-04-31T10:00'"
                   " WHERE id = ?", (a["id"],))
        db.commit()
        db.close()
        self.d.start()
        self.c = self.d.client()
        export = self.c.ok("calendar.export", region="estrie")
        self.assertEqual(export["problems"], 2, export["text"])
        self.assertIn("2027-02-31", export["first_problem"])
        with self.assertRaises(Exception):  # what a subscriber's app would do with it
            [e.decoded("EXDATE") for e in icalendar.Calendar.from_ical(export["text"]).walk("VEVENT")]

    def test_a_session_is_marked_held_once_it_has_begun(self):
        a = self.add(title="Atelier", kind="atelier", start="2027-06-15T13:30", end="2027-06-15T16:00")
        day = self.add(title="Forum", kind="forum", start="2027-06-02")
        before = self.d.snapshot()
        for activity, occurrence in ((a, "2027-06-15T13:30"), (day, "2027-06-02")):
            err = self.c.error("calendar.held", id=activity["id"], participants=14)
            self.assertEqual((err["code"], err["field"]), ("invalid_argument", "occurrence"))
            self.assertIn("n'a pas encore eu lieu", err["message"])
            self.assertIn(occurrence, err["message"])
        self.assertEqual(self.d.snapshot(), before)
        # Said on purpose: recorded.
        self.assertEqual(self.c.ok("calendar.held", id=day["id"], participants=120, force=True)["status"], "held")
        # Once the session has begun, no need to say it.
        self.clock.set("@2027-06-15 13:31:00")
        self.assertEqual(self.c.ok("calendar.held", id=a["id"], participants=14)["held"][0]["participants"], 14)
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "calendar", "held", "--help"],
                           capture_output=True, timeout=30)
        self.assertIn("--force", r.stdout.decode())


class AYearOfActivities(unittest.TestCase):
    """The issue's "done when": a table enters its year of meetings and events
    once (with concertctl), every member subscribes to one URL from their
    calendar app (here: an HTTP server publishing the export folder, read
    with python3-icalendar and expanded with python3-dateutil), and the
    plan's participation indicators fill themselves."""

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        self.clock = FakeClock(self.folder, "@2026-12-01 12:00:00")
        config = "[plugins]\npath = %s\nload = notify, calendar\n[plugin.calendar]\nexport_dir = calendrier\n" % PLUGINS
        self.d = Daemon(folder=self.folder, config=config, env=self.clock.env()).start()
        self.c = self.d.client()
        handler = functools.partial(QuietHandler, directory=os.path.join(self.folder, "calendrier"))
        self.web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.web.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/lanaudiere.ics" % self.web.server_address[1]

    def tearDown(self):
        self.web.shutdown()
        self.web.server_close()
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def ctl(self, *args):
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--events", self.d.events, "--json"] + list(args),
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return json.loads(r.stdout)

    def subscribed(self, contains):
        """What a member's calendar app gets from the URL, once it holds `contains`."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=5) as r:
                    self.assertEqual(r.headers.get_content_type(), "text/calendar")
                    data = r.read()
                if contains.encode() in data:
                    return icalendar.Calendar.from_ical(data)
            except urllib.error.HTTPError as e:
                self.assertEqual(e.code, 404)  # not written yet
            self.c.ok("node.info")
        self.fail("%s never held %r" % (self.url, contains))

    @staticmethod
    def sessions(cal):
        """Every session the app shows: (title, local start), recurrences expanded."""
        def zoned(value):  # the wall-clock time in Python's own zone data (not pytz's fixed offsets)
            return value.replace(tzinfo=ZoneInfo(str(value.tzinfo))) if isinstance(value, datetime.datetime) else value

        out = []
        for ev in cal.walk("VEVENT"):
            start = zoned(ev.decoded("DTSTART"))
            if "RRULE" in ev:
                exdates = ev.get("EXDATE", [])
                excluded = {zoned(d.dt) for x in (exdates if isinstance(exdates, list) else [exdates]) for d in x.dts}
                days = [d for d in rrulestr(ev["RRULE"].to_ical().decode(), dtstart=start) if d not in excluded]
            else:
                days = [start]
            out += [(str(ev["SUMMARY"]), d) for d in days]
        return sorted(out, key=lambda s: (str(s[1]), s[0]))

    def test_entered_once_subscribed_once_indicators_fill_themselves(self):
        c = self.c
        c.ok("region.create", id="lanaudiere", name="Lanaudière")
        c.ok("plan.create", region="lanaudiere", title="Plan d'action 2026-2030", start_date="2026-04-01")
        c.ok("objective.create", region="lanaudiere", number="1", text="Mobiliser les partenaires")
        c.ok("action.create", region="lanaudiere", objective="1", number="1.1",
             text="Tenir les rencontres du comité directeur")
        c.ok("action.create", region="lanaudiere", objective="1", number="1.2", text="Organiser un forum régional")
        rencontres = c.ok("indicator.create", region="lanaudiere", action="1.1", name="Nombre de rencontres",
                          target=4, unit="rencontres")
        participants = c.ok("indicator.create", region="lanaudiere", action="1.2", name="Nombre de participants",
                            target=150)
        # The year, entered once.
        comite = self.ctl("calendar", "add", "lanaudiere", "--title", "Comité directeur", "--kind", "comite",
                          "--start", "2027-01-19T13:30", "--end", "2027-01-19T16:00", "--rrule",
                          "FREQ=MONTHLY;INTERVAL=3;COUNT=4", "--action", "1.1", "--indicator", str(rencontres["id"]),
                          "--measure", "sessions", "--place", "Joliette")
        ca = self.ctl("calendar", "add", "lanaudiere", "--title", "Conseil d'administration", "--kind", "comite",
                      "--start", "2027-01-19T18:30", "--end", "2027-01-19T20:30", "--rrule",
                      "FREQ=MONTHLY;BYMONTH=1,2,3,4,5,6,9,10,11,12;BYDAY=3TU;COUNT=10",
                      "--exdates", "2027-12-21T18:30", "--url", "https://visio.example.org/ca")
        aga = self.ctl("calendar", "add", "lanaudiere", "--title", "Assemblée générale annuelle", "--kind", "aga",
                       "--start", "2027-06-10", "--status", "planned")  # provisional until the board confirms
        forum = self.ctl("calendar", "add", "lanaudiere", "--title", "Forum régional « Agir ensemble »", "--kind",
                         "forum", "--start", "2027-10-14T09:00", "--end", "2027-10-14T16:00", "--indicator",
                         str(participants["id"]), "--measure", "participants", "--action", "1.2")

        # A member subscribes to one URL: every session of the year is there,
        # at the hours computed by hand (13:30 stays 13:30 after the March
        # change to daylight time).
        cal = self.subscribed(forum["uid"])
        t = lambda *a: datetime.datetime(*a, tzinfo=TORONTO)
        third_tuesdays = [(1, 19), (2, 16), (3, 16), (4, 20), (5, 18), (6, 15), (9, 21), (10, 19), (11, 16)]
        expected = [("Comité directeur", t(2027, m, 19, 13, 30)) for m in (1, 4, 7, 10)]
        expected += [("Conseil d'administration", t(2027, m, d, 18, 30)) for m, d in third_tuesdays]
        expected += [("Assemblée générale annuelle", datetime.date(2027, 6, 10)),
                     ("Forum régional « Agir ensemble »", t(2027, 10, 14, 9, 0))]
        self.assertEqual(self.sessions(cal), sorted(expected, key=lambda s: (str(s[1]), s[0])))
        self.assertEqual(cal.walk("VEVENT")[0]["DTSTART"].params["TZID"], "America/Toronto")
        self.assertEqual(t(2027, 4, 19, 13, 30).utcoffset(), datetime.timedelta(hours=-4))

        # The forum moves: the same URL, the same event (UID), a higher
        # SEQUENCE, so the app moves it instead of showing two.
        self.ctl("calendar", "update", "--id", str(forum["id"]), "--start", "2027-10-21T09:00", "--end",
                 "2027-10-21T16:00")
        cal = self.subscribed("20271021T090000")
        moved = [e for e in cal.walk("VEVENT") if str(e["UID"]) == forum["uid"]]
        self.assertEqual(len(moved), 1)
        self.assertEqual((int(moved[0]["SEQUENCE"]), moved[0].decoded("DTSTART")), (1, t(2027, 10, 21, 9, 0)))
        self.assertEqual(len(cal.walk("VEVENT")), 4)

        # The year goes by; sessions are held; the plan's indicators follow without anyone counting.
        self.clock.set("@2027-11-01 12:00:00")
        self.ctl("calendar", "held", "--id", str(comite["id"]), "--occurrence", "2027-01-19T13:30",
                 "--participants", "12")
        self.ctl("calendar", "held", "--id", str(comite["id"]), "--occurrence", "2027-04-19T13:30",
                 "--participants", "10")
        self.ctl("calendar", "held", "--id", str(forum["id"]), "--occurrence", "2027-10-21T09:00",
                 "--participants", "87")
        history = c.ok("indicator.history", id=rencontres["id"])
        self.assertEqual([(m["date"], m["value"]) for m in history["measurements"]],
                         [("2027-01-19", 1.0), ("2027-04-19", 2.0)])
        self.assertEqual(c.ok("indicator.history", id=participants["id"])["latest"], 87.0)
        # And the plan shows it where the table looks.
        shown = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "plan", "show", "lanaudiere"],
                               capture_output=True, timeout=30).stdout.decode()
        self.assertIn("Indicateur : Nombre de rencontres (cible 4 rencontres) : 2 au 2027-04-19", shown)
        # Held, the forum stays in the subscribers' calendars as it took place
        # (its third version); the AGA said provisional shows so.
        cal = self.subscribed("SEQUENCE:2")
        status = {str(e["UID"]): str(e["STATUS"]) for e in cal.walk("VEVENT")}
        self.assertEqual((status[forum["uid"]], status[aga["uid"]], status[ca["uid"]]),
                         ("CONFIRMED", "TENTATIVE", "CONFIRMED"))

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


if __name__ == "__main__":
    unittest.main()
