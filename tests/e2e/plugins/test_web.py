"""The web plugin, over HTTP (Python's http.client), against a real
concertd holding Lanaudière's plan imported from its text: every page and
its headers, the plan page showing what the ops show, the filters, the
échéances overdue first, hostile texts rendered inert, errors in words,
French and English, the JSON API equal to the ops' answers, a port that
is taken."""
import datetime
import functools
import gzip
import html.parser
import http.client
import http.server
import io
import json
import os
import re
import resource
import urllib.parse
import socket
import ssl
import tempfile
import threading
import time
import unittest
import zipfile
import xml.etree.ElementTree as ElementTree
from zoneinfo import ZoneInfo

import icalendar

import subprocess

from harness import CONCERTCTL, PATIENCE, PLUGINS, Daemon, free_port, make_certificates, seed_text

TORONTO = ZoneInfo("America/Toronto")
STATES_FR = {"planned": "prévue", "in_progress": "en cours", "done": "réalisée", "ongoing": "en continu",
             "postponed": "reportée", "cancelled": "annulée"}


class Page(html.parser.HTMLParser):
    """What a test needs of a page: rows by id, the state shown in each, every
    element and attribute (for the hostile-text checks), the text of h1/h2."""

    def __init__(self, text):
        super().__init__()
        self.rows, self.elements, self.attributes, self.headings = {}, [], [], []
        self.scripts, self.script_text = [], ""  # the page's own script only: /app.js, nothing inline
        self._row, self._in_state, self._in_heading, self._in_script = None, False, None, False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.attributes.extend(attrs)
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs.get("src"))
            self._in_script = True
        else:
            self.elements.append(tag)
        if tag == "tr" and attrs.get("id", "").startswith("action-"):
            self._row = attrs["id"][len("action-"):]
            self.rows[self._row] = {"state": ""}
        if tag == "span" and "state" in attrs.get("class", "").split() and self._row:
            self._in_state = True
        if tag in ("h1", "h2"):
            self._in_heading = ""

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if tag == "tr":
            self._row = None
        if tag == "span":
            self._in_state = False
        if tag in ("h1", "h2") and self._in_heading is not None:
            self.headings.append(self._in_heading.strip())
            self._in_heading = None

    def handle_data(self, data):
        if self._in_script:
            self.script_text += data
        if self._in_state:
            self.rows[self._row]["state"] += data
        if self._in_heading is not None:
            self._in_heading += data


class Web(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        config = "[plugins]\npath = %s\nload = web\n[plugin.web]\nlisten = 127.0.0.1:%d\n" % (PLUGINS, cls.port)
        cls.d = Daemon(config=config).start()
        cls.c = cls.d.client()
        cls.c.ok("region.create", id="lanaudiere", name="Lanaudière", organisation="TPDSL")
        cls.c.ok("plan.import", region="lanaudiere", format="table", text=seed_text())

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        assert cls.d.stop() == 0, cls.d.log_text()
        cls.d.cleanup()

    def get(self, path, method="GET", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read().decode("utf-8")
        conn.close()
        return r, body

    def test_home_lists_the_regions_with_their_progress(self):
        r, body = self.get("/")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/html; charset=utf-8")
        self.assertIn('<html lang="fr">', body)
        self.assertIn('href="/r/lanaudiere"', body)
        self.assertIn("Lanaudière", body)
        overview = self.c.ok("region.overview")[0]
        self.assertIn(">%d %%</meter>" % overview["percent_done"], body)
        self.assertIn("<td data-label=\"Plan\">Plan d&#39;action 2018-2023</td>", body)

    def test_the_plan_page_shows_what_the_ops_show(self):
        self.c.ok("action.set_status", region="lanaudiere", number="1.2", status="in_progress",
                  note="Première rencontre tenue")
        actions = self.c.ok("action.list", region="lanaudiere")
        self.assertGreater(len(actions), 30)
        r, body = self.get("/r/lanaudiere")
        self.assertEqual(r.status, 200)
        page = Page(body)
        self.assertEqual(sorted(page.rows), sorted(a["number"] for a in actions))
        for a in actions:
            self.assertEqual(page.rows[a["number"]]["state"].strip(), STATES_FR[a["status"]], a["number"])
        self.assertIn("Première rencontre tenue", body)
        # Each orientation and objective as the plan numbers them.
        for o in self.c.ok("orientation.list", region="lanaudiere"):
            self.assertTrue(any(h.startswith("Orientation %s — " % o["number"]) for h in page.headings), o)
        # Indicators with their target, drawn once measured.
        ind = self.c.ok("indicator.list", region="lanaudiere")[0]
        self.c.ok("indicator.record", id=ind["id"], value=12, date="2019-06-30")
        self.c.ok("indicator.record", id=ind["id"], value=40, date="2020-06-30")
        r, body = self.get("/r/lanaudiere")
        self.assertIn("<polyline", body)
        self.assertIn("Indicateurs de suivi", body)

    def test_the_bilan_as_a_page_and_as_files(self):
        r, body = self.get("/r/lanaudiere")
        self.assertIn('<a href="/r/lanaudiere/bilan">Bilan de l&#39;année</a>', body)
        r, html = self.get("/r/lanaudiere/bilan?from=2019-01-01&to=2019-12-31")
        self.assertEqual((r.status, r.getheader("Content-Type")), (200, "text/html; charset=utf-8"))
        self.assertIn("<h1>Bilan — Plan d'action 2018-2023</h1>", html)
        self.assertIn("Période du bilan : du 1er janvier 2019 au 31 décembre 2019.", html)
        self.assertIn('href="/r/lanaudiere/bilan.docx?from=2019-01-01&amp;to=2019-12-31"', html)  # the same period
        # its own style sheet allowed, no script
        self.assertIn("style-src 'self' 'unsafe-inline'; img-src", r.getheader("Content-Security-Policy"))
        self.assertIn("script-src 'self'; style-src 'self'; img-src", self.get("/r/lanaudiere")[0].getheader(
            "Content-Security-Policy"))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", "/r/lanaudiere/bilan.docx?from=2019-01-01&to=2019-12-31")
        r = conn.getresponse()
        data = r.read()
        conn.close()
        self.assertEqual((r.status, r.getheader("Content-Type")),
                         (200, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
        self.assertEqual(r.getheader("Content-Disposition"), 'attachment; filename="bilan-lanaudiere-2019-12-31.docx"')
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.assertIn("Bilan — Plan d'action 2018-2023", z.read("word/document.xml").decode())
        r, body = self.get("/r/lanaudiere/bilan?from=2019-07-01&to=2019-06-30")
        self.assertEqual(r.status, 400)
        self.assertIn("from vient après to", body)

    def test_filters_by_state_responsible_and_lateness(self):
        self.c.ok("action.set_status", region="lanaudiere", number="2.1", status="done")
        r, body = self.get("/r/lanaudiere?state=done")
        done = [a["number"] for a in self.c.ok("action.list", region="lanaudiere") if a["status"] == "done"]
        self.assertEqual(sorted(Page(body).rows), sorted(done))
        self.assertIn('<option value="done" selected>', body)
        actions = self.c.ok("action.list", region="lanaudiere")
        who = next(a["responsible"] for a in actions if a["responsible"])
        word = who.split()[0]
        r, body = self.get("/r/lanaudiere?responsible=" + urlquote(word))
        expected = [a["number"] for a in actions if word.lower() in (a["responsible"] or "").lower()]
        self.assertEqual(sorted(Page(body).rows), sorted(expected))
        today = datetime.datetime.now(TORONTO).date().isoformat()
        late = [a["number"] for a in actions
                if a["status"] not in ("done", "cancelled") and
                any(w.get("end") for w in a["windows"]) and max(w["end"] for w in a["windows"] if w.get("end")) < today]
        r, body = self.get("/r/lanaudiere?late=1")
        self.assertEqual(sorted(Page(body).rows), sorted(late))

    def test_echeances_overdue_first_then_ninety_days(self):
        c = self.c
        c.ok("region.create", id="estrie", name="Estrie")
        c.ok("plan.create", region="estrie", title="Plan 2026")
        c.ok("objective.create", region="estrie", number="1", text="Objectif")
        today = datetime.datetime.now(TORONTO).date()
        past, soon = (today - datetime.timedelta(days=10)).isoformat(), (today + datetime.timedelta(days=20)).isoformat()
        older = (today - datetime.timedelta(days=400)).isoformat()
        c.ok("action.create", region="estrie", objective="1", number="1.1", text="Action en retard",
             windows=[{"kind": "dated", "start": older, "end": older}, {"kind": "dated", "start": past, "end": past}])
        c.ok("action.create", region="estrie", objective="1", number="1.2", text="Action à venir",
             windows=[{"kind": "dated", "start": soon, "end": soon}])
        c.ok("action.create", region="estrie", objective="1", number="1.3", text="Action lointaine",
             windows=[{"kind": "dated", "start": "2099-01-01", "end": "2099-01-01"}])
        r, body = self.get("/r/estrie/echeances")
        self.assertEqual(r.status, 200)
        late_at, coming_at = body.index('id="retard"'), body.index('id="avenir"')
        self.assertLess(late_at, body.index("Action en retard"))
        self.assertLess(body.index("Action en retard"), coming_at)
        self.assertLess(coming_at, body.index("Action à venir"))
        self.assertNotIn("Action lointaine", body)
        self.assertEqual(body.count("Action en retard"), 1)  # once, with the window that ended last
        self.assertIn(">10 j<", body)
        self.assertNotIn(">400 j<", body)

    def test_an_address_that_is_not_text_is_refused_not_echoed(self):
        # Found by the web fuzzer: "%C3" without its second byte, decoded, was
        # written back into the page (body.decode("utf-8") below would fail).
        for path in ("/r/%C3%A9t%C3/", "/r/lanaudiere?etat=%FF", "/r/lanaudiere?%C3=1"):
            r, body = self.get(path)
            self.assertEqual(r.status, 400, path)
            self.assertIn("Adresse illisible", body)
            self.assertNotIn("\ufffd", body)
        self.assertEqual(self.get("/r/%C3%A9t%C3%A9/")[0].status, 404)  # "été", text: an unknown region
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)  # a Host pages would write links with
        s.sendall(b"GET /r/lanaudiere/calendrier HTTP/1.1\r\nHost: h\xd7W\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        s.close()
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:40])
        answer.decode("utf-8")

    def test_clients_that_hang_up_mid_request_do_not_keep_others_out(self):
        # Found by the web fuzzer: a client that sends part of a request and
        # hangs up at once was never read again by libmicrohttpd (its FIN
        # came with its bytes) and held its connection 30 s; 600 of them took
        # all 512 and the next reader waited until they timed out.
        for _ in range(600):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
            s.sendall(b"POST /r/lanaudiere/adhesion HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-"
                      b"form-urlencoded\r\nname=Julie&contact_email=julie")
            s.close()
        r, body = self.get("/")  # within the client's 20 s, the server's idle timeout being 30 s
        self.assertEqual(r.status, 200)
        self.assertIn("Lanaudière", body)

    def test_logins_checked_at_once_are_bounded(self):
        # Each check of a password takes a worker thread and 64 MiB for tens
        # of milliseconds: tries sent together past two get "busy" at once,
        # not a queue that grows with whoever sends the most.
        socks = [socket.create_connection(("127.0.0.1", self.port), timeout=20) for _ in range(6)]
        form = b"email=x%40y.org&password=z"
        for s in socks:
            s.sendall(b"POST /r/lanaudiere/connexion HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type:"
                      b" application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" % (len(form), form))
        answers = []
        for s in socks:
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
            s.close()
            answers.append(answer.decode("utf-8"))
        statuses = sorted(int(a.split(" ", 2)[1]) for a in answers)
        self.assertLessEqual(set(statuses), {401, 503}, statuses)  # 401: checked, the password is wrong
        self.assertIn(503, statuses)
        self.assertIn(401, statuses)
        self.assertIn("vérifie déjà d'autres connexions", next(a for a in answers if " 503 " in a).replace("&#39;", "'"))

    def test_a_form_part_without_a_name_is_ignored(self):
        # Found by the web fuzzer: a multipart part whose Content-Disposition
        # cannot be read has no name, and reached strdup(NULL): the daemon's end.
        folder = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                              "fuzz", "regressions", "web")
        with open(os.path.join(folder, "multipart-part-without-name"), "rb") as f:
            raw = f.read()
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        s.sendall(raw)
        self.assertTrue(s.recv(64).startswith(b"HTTP/1.1 "))  # answered (not signed in: refused, in words)
        s.close()
        self.assertEqual(self.get("/")[0].status, 200)  # and the daemon is there

    def test_hostile_texts_render_inert(self):
        c = self.c
        c.ok("region.create", id="hostile", name="<script>alert('nom')</script>")
        c.ok("plan.create", region="hostile", title="\"><img src=x onerror=alert(1)>",
             mission="<a href=\"javascript:alert(2)\">clic</a>")
        c.ok("objective.create", region="hostile", number="1", text="<iframe src=//evil>")
        c.ok("action.create", region="hostile", objective="1", number="1.1", text="<script>alert(3)</script>",
             responsible="\" onmouseover=\"alert(4)", targets=["<b onclick=alert(5)>"])
        for path in ("/", "/r/hostile", "/r/hostile/echeances", "/r/hostile?responsible=%22%3E%3Cscript%3E"):
            r, body = self.get(path)
            self.assertEqual(r.status, 200, path)
            page = Page(body)
            self.assertNotIn("script", page.elements, path)
            self.assertIn(page.scripts, ([], ["/app.js"]), path)
            self.assertEqual(page.script_text.strip(), "", path)
            self.assertNotIn("iframe", page.elements, path)
            self.assertNotIn("img", page.elements, path)
            self.assertFalse([a for a, v in page.attributes if a.startswith("on")], path)
            self.assertFalse([v for a, v in page.attributes if v and "javascript:" in v], path)
        r, body = self.get("/r/hostile")
        self.assertIn("&lt;script&gt;alert(3)&lt;/script&gt;", body)
        self.assertIn("&quot; onmouseover=&quot;alert(4)", body)

    def test_errors_in_words_with_a_way_back(self):
        r, body = self.get("/nulle/part")
        self.assertEqual(r.status, 404)
        self.assertIn("Page introuvable", body)
        self.assertIn('href="/"', body)
        r, body = self.get("/r/atlantide")
        self.assertEqual(r.status, 404)
        self.assertIn("atlantide", body)
        self.assertIn('href="/"', body)
        r, body = self.get("/", method="POST")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.getheader("Allow"), "GET, HEAD")
        self.assertIn("Méthode non permise", body)
        r, body = self.get("/api/nulle/part")
        self.assertEqual(r.status, 404)
        self.assertEqual(json.loads(body)["error"]["code"], "not_found")
        r, body = self.get("/api/r/atlantide/plan")
        self.assertEqual(r.status, 404)
        self.assertIn("atlantide", json.loads(body)["error"]["message"])

    def test_headers_and_the_stylesheet(self):
        r, body = self.get("/r/lanaudiere")
        csp = r.getheader("Content-Security-Policy")
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(r.getheader("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.getheader("Content-Language"), "fr")
        self.assertIn('<link rel="stylesheet" href="/style.css">', body)
        self.assertNotIn("<style", body)
        self.assertNotIn(" style=", body)
        r, css = self.get("/style.css")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/css; charset=utf-8")
        self.assertIn("--band", css)
        r, body = self.get("/r/lanaudiere", method="HEAD")
        self.assertEqual((r.status, body), (200, ""))

    def test_pages_gzipped_for_whoever_accepts_it(self):
        r, plain = self.get("/r/lanaudiere/echeances")
        self.assertIsNone(r.getheader("Content-Encoding"))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        conn.request("GET", "/r/lanaudiere/echeances", headers={"Accept-Encoding": "gzip, deflate"})
        r = conn.getresponse()
        packed = r.read()
        self.assertEqual(r.getheader("Content-Encoding"), "gzip")
        self.assertIn("Accept-Encoding", r.getheader("Vary"))
        self.assertEqual(gzip.decompress(packed).decode("utf-8"), plain)
        self.assertLess(len(packed), len(plain.encode()) / 3)
        tag = r.getheader("ETag")
        conn.request("GET", "/r/lanaudiere/echeances", headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
        r = conn.getresponse()
        self.assertEqual((r.status, r.read()), (304, b""))
        conn.close()

    def test_french_by_default_english_when_asked(self):
        r, body = self.get("/r/lanaudiere?lang=en")
        self.assertEqual(r.getheader("Content-Language"), "en")
        self.assertIn('<html lang="en">', body)
        self.assertIn("Follow-up indicators", body)
        r, body = self.get("/", headers={"Accept-Language": "en-CA,en;q=0.9,fr;q=0.5"})
        self.assertIn("Regions and their action plans", body)
        r, body = self.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.8"})
        self.assertIn("Les régions et leurs plans d'action", body)
        r, body = self.get("/", headers={"Accept-Language": "de-DE"})
        self.assertIn('<html lang="fr">', body)

    def test_the_json_api_answers_what_the_ops_answer(self):
        r, body = self.get("/api/regions")
        self.assertEqual(r.getheader("Content-Type"), "application/json; charset=utf-8")
        self.assertIsNone(r.getheader("Access-Control-Allow-Origin"))
        self.assertEqual(json.loads(body), self.c.ok("region.overview"))
        r, body = self.get("/api/r/lanaudiere/plan")
        self.assertEqual(json.loads(body), self.c.ok("plan.export", region="lanaudiere"))
        r, body = self.get("/api/r/lanaudiere/echeances")
        to = (datetime.datetime.now(TORONTO).date() + datetime.timedelta(days=90)).isoformat()
        self.assertEqual(json.loads(body), self.c.ok("echeance.list", region="lanaudiere", **{"from": "1970-01-01"}, to=to))


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Ministère — appels</title><link>http://127.0.0.1/</link>
<item><title>Appel de projets : financement en sécurité alimentaire</title><link>http://example.org/appel</link>
<guid>appel-1</guid><pubDate>Mon, 16 Nov 2026 10:00:00 -0500</pubDate></item>
<item><title>&lt;script&gt;alert(1)&lt;/script&gt; financement piégé</title><link>javascript:alert(2)</link>
<guid>piege-1</guid><pubDate>Tue, 17 Nov 2026 10:00:00 -0500</pubDate></item>
</channel></rss>"""


class CalendarAndVeille(unittest.TestCase):
    """The pages of the calendar and veille plugins, with those plugins loaded."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="concertd-web-")
        with open(os.path.join(cls.folder, "appels.xml"), "w", encoding="utf-8") as f:
            f.write(FEED)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=cls.folder)
        handler.log_message = lambda *a: None
        cls.feeds = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=cls.feeds.serve_forever, daemon=True).start()
        cls.port = free_port()
        config = ("[plugins]\npath = %s\nload = calendar, veille, web\n[plugin.web]\nlisten = 127.0.0.1:%d\n"
                  % (PLUGINS, cls.port))
        cls.d = Daemon(config=config).start()
        cls.c = cls.d.client()
        cls.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        cls.c.ok("plan.import", region="lanaudiere", format="table", text=seed_text())

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        cls.feeds.shutdown()
        assert cls.d.stop() == 0, cls.d.log_text()
        cls.d.cleanup()

    get = Web.get

    def test_the_calendar_page_and_its_subscription(self):
        first = (datetime.datetime.now(TORONTO).date().replace(day=1) + datetime.timedelta(days=40)).replace(day=19)
        a = self.c.ok("calendar.add", region="lanaudiere", title="Comité de coordination régionale",
                      start=first.isoformat() + "T13:30", rrule="FREQ=MONTHLY;COUNT=3", place="Joliette")
        r, body = self.get("/r/lanaudiere/calendrier")
        self.assertEqual(r.status, 200)
        self.assertEqual(body.count("Comité de coordination régionale"), 3)
        self.assertIn("%s 13 h 30" % first.isoformat(), body)
        self.assertIn('href="webcal://127.0.0.1:%d/r/lanaudiere/calendrier.ics"' % self.port, body)
        r, ics = self.get("/r/lanaudiere/calendrier.ics")
        self.assertEqual(r.getheader("Content-Type"), "text/calendar; charset=utf-8")
        events = [e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")]
        self.assertEqual([str(e["SUMMARY"]) for e in events], ["Comité de coordination régionale"])
        self.assertEqual(events[0]["RRULE"]["COUNT"], [3])
        tag = r.getheader("ETag")
        self.assertTrue(tag)
        r, again = self.get("/r/lanaudiere/calendrier.ics", headers={"If-None-Match": tag})
        self.assertEqual((r.status, again), (304, ""))
        self.c.ok("calendar.update", id=a["id"], title="Comité de coordination (déplacé)")
        r, ics = self.get("/r/lanaudiere/calendrier.ics", headers={"If-None-Match": tag})
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.getheader("ETag"), tag)
        self.assertIn("déplacé", str(icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]["SUMMARY"]))

    def test_the_veille_page_per_objective_and_its_atom_digest(self):
        c = self.c
        c.ok("veille.add", region="lanaudiere", url="http://127.0.0.1:%d/appels.xml" % self.feeds.server_port)
        c.ok("veille.rule_add", region="lanaudiere", name="Financements", any_of="financement", objectives="5")
        c.ok("veille.fetch", region="lanaudiere")
        deadline = time.monotonic() + 20 * PATIENCE
        while len(c.ok("veille.items", region="lanaudiere", matched=True)) < 2 and time.monotonic() < deadline:
            c.ok("node.info")  # each round trip lets the loop fetch and store
        self.assertEqual(len(c.ok("veille.items", region="lanaudiere", matched=True)), 2)
        r, body = self.get("/r/lanaudiere/veille")
        self.assertEqual(r.status, 200)
        self.assertIn('href="http://example.org/appel"', body)
        self.assertIn("Appel de projets : financement en sécurité alimentaire", body)
        # The veille reads a title's HTML as text (the tags go); its javascript: link goes too.
        # A javascript: link is no link: the veille keeps http(s) links only, the page shows the title alone.
        self.assertIn('<li>alert(1) financement piégé <span class="hint">', body)
        self.assertNotIn("javascript:", body)
        page = Page(body)
        self.assertNotIn("script", page.elements)
        self.assertFalse([v for a, v in page.attributes if v and "javascript:" in v])
        objective = next(o for o in c.ok("veille.objectives", region="lanaudiere") if o["objective"] == "5")
        self.assertEqual(objective["items"], 2)
        self.assertIn('<td data-label="Trouvés">2</td>', body)
        r, atom = self.get("/r/lanaudiere/veille.atom")
        self.assertEqual(r.getheader("Content-Type"), "application/atom+xml; charset=utf-8")
        entries = ElementTree.fromstring(atom.encode()).findall("{http://www.w3.org/2005/Atom}entry")
        self.assertEqual(len(entries), 2)


class Stream:
    """A reader of /events, as a browser's EventSource reads it."""

    def __init__(self, port, path, last_id=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * PATIENCE)
        self.conn.request("GET", path, headers={"Last-Event-ID": str(last_id)} if last_id is not None else {})
        self.response = self.conn.getresponse()

    def message(self):
        """The next message with data: {"id", "data"} (comments and retry skipped)."""
        fields = {}
        while True:
            line = self.response.fp.readline().decode("utf-8")
            if line == "":
                raise EOFError("stream closed")
            line = line.rstrip("\n")
            if line == "":
                if "data" in fields:
                    return {"id": fields.get("id"), "data": json.loads(fields["data"])}
                fields = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                fields[key] = value

    def close(self):
        self.conn.close()


class LiveStream(unittest.TestCase):
    def setUp(self):
        self.port = free_port()
        config = "[plugins]\npath = %s\nload = web\n[plugin.web]\nlisten = 127.0.0.1:%d\n" % (PLUGINS, self.port)
        self.d = Daemon(config=config).start()
        self.c = self.d.client()
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        self.c.ok("plan.import", region="lanaudiere", format="table", text=seed_text())
        self.c.ok("region.create", id="estrie", name="Estrie")

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def status(self, number, status):
        self.c.ok("action.set_status", region="lanaudiere", number=number, status=status)

    def test_a_change_reaches_an_open_stream_of_its_region(self):
        r, body = Web.get(self, "/r/lanaudiere")
        self.assertIn('<main id="contenu" class="wrap" data-region="lanaudiere">', body)
        self.assertIn('<script src="/app.js" defer></script>', body)
        s = Stream(self.port, "/events?region=lanaudiere")
        self.assertEqual(s.response.getheader("Content-Type"), "text/event-stream; charset=utf-8")
        self.c.ok("region.update", id="estrie", name="Estrie (Sherbrooke)")  # another region: not on this stream
        self.status("2.3", "in_progress")
        m = s.message()
        self.assertEqual(m["data"]["type"], "action.status_changed")
        self.assertEqual(m["data"]["region"], "lanaudiere")
        self.assertEqual(m["data"]["data"]["action"]["number"], "2.3")
        self.assertEqual(int(m["id"]), m["data"]["seq"])
        s.close()

    def test_a_stream_that_reconnects_gets_exactly_what_it_missed(self):
        s = Stream(self.port, "/events?region=lanaudiere")
        self.status("1.1", "in_progress")
        last = s.message()["id"]
        s.close()  # the browser's connection is cut
        for number in ("2.1", "2.3", "3.3"):
            self.status(number, "done")
        missed = [e for e in self.c.ok("events.since", since=int(last), region="lanaudiere")["events"]]
        self.assertEqual([e["data"]["action"]["number"] for e in missed], ["2.1", "2.3", "3.3"])
        s = Stream(self.port, "/events?region=lanaudiere", last_id=last)
        got = [s.message() for _ in missed]
        self.assertEqual([int(m["id"]) for m in got], [e["seq"] for e in missed])
        self.assertEqual([m["data"]["data"]["action"]["number"] for m in got], ["2.1", "2.3", "3.3"])
        self.status("4.1", "in_progress")  # what comes next is the next change, not a repeat
        nxt = s.message()
        self.assertEqual(nxt["data"]["data"]["action"]["number"], "4.1")
        self.assertEqual(int(nxt["id"]), missed[-1]["seq"] + 1)
        s.close()


class Membership(unittest.TestCase):
    """The public membership form, through to adhesion's list."""

    def setUp(self):
        self.port = free_port()
        config = ("[plugins]\npath = %s\nload = adhesion, web\n[plugin.web]\nlisten = 127.0.0.1:%d\nform_limit = 10\n"
                  % (PLUGINS, self.port))
        self.d = Daemon(config=config).start()
        self.c = self.d.client()
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière", territories=["Joliette", "Matawinie"])
        self.c.ok("adhesion.policy_set", region="lanaudiere", charter="2024", required=["territory"],
                  categories=[{"id": "membre", "name": "Membre régulier", "decision": "auto"},
                              {"id": "associe", "name": "Membre associé", "decision": "board"}])
        self.c.ok("region.create", id="estrie", name="Estrie")

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    get = Web.get

    def post(self, path, fields, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20 * PATIENCE)
        body = urllib.parse.urlencode(fields)
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        conn.request("POST", path, body=body, headers=h)
        r = conn.getresponse()
        text = r.read().decode("utf-8")
        conn.close()
        return r, text

    def form(self, **changes):
        r, page = self.get("/r/lanaudiere/adhesion")
        self.assertEqual(r.status, 200)
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)
        fields = {"token": token, "organisation": "Centre d'action bénévole Émilie-Gamelin", "category": "membre",
                  "territory": "Joliette", "contact_name": "Émilie Tremblay", "contact_email": "emilie@example.org",
                  "motivation": "Agir avec les autres", "charter_ok": "1", "consent": "1"}
        fields.update(changes)
        return {k: v for k, v in fields.items() if v is not None}

    def applications(self):
        return self.c.ok("adhesion.list", region="lanaudiere")

    def test_the_form_follows_the_region_policy_and_says_what_is_kept(self):
        r, page = self.get("/r/lanaudiere/adhesion")
        self.assertIn('<option value="membre">Membre régulier</option>', page)
        self.assertIn('<option value="associe">Membre associé</option>', page)
        self.assertIn("<option>Matawinie</option>", page)
        self.assertIn('name="territory" required', page)  # the policy requires it
        self.assertIn("version\n2024", page.replace(" 2024", "\n2024"))
        self.assertIn("Loi 25", page)
        self.assertIn('name="consent" value="1" required', page)
        for field in ("organisation", "contact_name", "contact_email"):
            self.assertIn('<label for="f-%s">' % field, page)
        r, page = self.get("/r/estrie/adhesion")
        self.assertEqual(r.status, 404)
        self.assertIn("ne reçoit pas encore de demandes", page)

    def test_an_application_reaches_adhesion_once_committed(self):
        r, page = self.post("/r/lanaudiere/adhesion", self.form())
        self.assertEqual(r.status, 303, page)
        self.assertEqual(r.getheader("Location"), "/r/lanaudiere/adhesion/merci")
        [a] = self.applications()
        self.assertEqual((a["organisation"], a["contact_email"], a["territory"], a["state"]),
                         ("Centre d'action bénévole Émilie-Gamelin", "emilie@example.org", "Joliette", "member"))
        r, page = self.get("/r/lanaudiere/adhesion/merci")
        self.assertIn("votre demande d&#39;adhésion est enregistrée", page.replace("d'adhésion", "d&#39;adhésion"))
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--timeout", str(5000 * PATIENCE), "adhesion", "list",
                            "lanaudiere"], capture_output=True, timeout=60 * PATIENCE)
        self.assertIn("Émilie-Gamelin", r.stdout.decode())

    def test_every_error_in_words_and_nothing_stored(self):
        cases = [
            ({"consent": None}, 400, "consentement"),
            ({"charter_ok": None}, 400, "charte"),
            ({"token": "1.abc"}, 400, "expiré"),
            ({"token": "%d.%s" % (int(time.time()) - 8000, "0" * 64)}, 400, "expiré"),
            ({"contact_email": "pas-un-courriel"}, 400, "courriel"),
            ({"category": "inconnue"}, 400, "catégorie"),
            ({"territory": ""}, 400, "territo"),
        ]
        for changes, status, words in cases:
            r, page = self.post("/r/lanaudiere/adhesion", self.form(**changes))
            self.assertEqual(r.status, status, changes)
            self.assertIn('role="alert"', page, changes)
            self.assertIn(words, page.lower(), changes)
            self.assertIn("Rien n&#39;a été enregistré".replace("&#39;", "'"), page.replace("&#39;", "'"), changes)
            if "organisation" not in changes:  # what was typed is kept
                self.assertIn("Centre d&#39;action bénévole Émilie-Gamelin", page, changes)
        self.assertEqual(self.applications(), [])

    def test_forged_large_and_repeated_posts(self):
        r, page = self.post("/r/lanaudiere/adhesion", self.form(), headers={"Origin": "http://ailleurs.example"})
        self.assertEqual(r.status, 403)
        r, page = self.post("/r/lanaudiere/adhesion", self.form(motivation="x" * 70000))
        self.assertEqual(r.status, 413)
        self.assertIn("64 Kio", page)
        r, page = self.get("/r/lanaudiere/adhesion", method="PUT")
        self.assertEqual((r.status, r.getheader("Allow")), (405, "GET, HEAD, POST"))
        self.assertEqual(self.applications(), [])
        statuses = [self.post("/r/lanaudiere/adhesion", self.form(consent=None))[0].status for _ in range(10)]
        self.assertEqual(statuses, [400] * 9 + [429])  # the forged post counted too (1 + 9 = form_limit, 10)

    def test_a_full_disk_answers_that_nothing_was_saved(self):
        # Writes past 4 KiB into any file now fail, as on a full disk (EFBIG).
        resource.prlimit(self.d.proc.pid, resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
        r, page = self.post("/r/lanaudiere/adhesion", self.form())
        self.assertEqual(r.status, 503, page)
        self.assertIn("Rien n&#39;a été enregistré".replace("&#39;", "'"), page.replace("&#39;", "'"))
        resource.prlimit(self.d.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        self.assertEqual(self.applications(), [])
        r, page = self.post("/r/lanaudiere/adhesion", self.form())
        self.assertEqual(r.status, 303, page)
        self.assertEqual(len(self.applications()), 1)


class Staff(unittest.TestCase):
    """Staff accounts: made with concertctl, logged in with a cookie, a
    coordinator changing an action's state from the page, recorded as them."""

    PASSWORD = "rencontre-du-jeudi-2027"

    def setUp(self):
        self.port = free_port()
        config = ("[plugins]\npath = %s\nload = calendar, adhesion, web\n[plugin.web]\nlisten = 127.0.0.1:%d\n"
                  % (PLUGINS, self.port))
        self.d = Daemon(config=config).start()
        self.c = self.d.client()
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        self.c.ok("plan.import", region="lanaudiere", format="table", text=seed_text())
        self.c.ok("region.create", id="estrie", name="Estrie")
        secret = os.path.join(self.d.folder, "mdp.txt")
        with open(secret, "w") as f:
            f.write(self.PASSWORD + "\n")
        for region, email, role in (("lanaudiere", "marie@tpdsl.org", "coordination"),
                                    ("lanaudiere", "paul@tpdsl.org", "lecture"),
                                    ("estrie", "eve@tdse.org", "coordination")):
            out = self.ctl("web", "user", "add", "--region", region, "--email", email, "--role", role,
                           "--password-file", secret)
            self.assertIn("Compte ouvert : %s (%s)" % (email, role), out)

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def ctl(self, *args, ok=True):
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--timeout", str(5000 * PATIENCE)] + list(args),
                           capture_output=True, timeout=60 * PATIENCE)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r.stdout.decode() + r.stderr.decode()

    def request(self, method, path, fields=None, cookie=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20 * PATIENCE)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            headers["Cookie"] = cookie
        conn.request(method, path, body=urllib.parse.urlencode(fields or {}), headers=headers)
        r = conn.getresponse()
        body = r.read().decode("utf-8")
        conn.close()
        return r, body

    def login(self, region, email, password=None):
        r, body = self.request("POST", "/r/%s/connexion" % region, {"email": email, "password": password or self.PASSWORD})
        self.assertEqual(r.status, 303, body)
        return r.getheader("Set-Cookie").split(";")[0], r.getheader("Set-Cookie")

    def csrf(self, cookie, path="/r/lanaudiere"):
        r, body = self.request("GET", path, cookie=cookie)
        return re.search(r'name="csrf" value="([0-9a-f]+)"', body).group(1), body

    def status_of(self, number):
        return self.c.ok("action.get", region="lanaudiere", number=number)["status"]

    def test_a_coordinator_changes_a_state_with_a_note_recorded_as_them(self):
        cookie, header = self.login("lanaudiere", "marie@tpdsl.org")
        for flag in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(flag, header)
        token, page = self.csrf(cookie)
        self.assertIn("marie@tpdsl.org (coordination)", page)
        self.assertEqual(page.count('action="/r/lanaudiere/action/'), len(self.c.ok("action.list", region="lanaudiere")))
        self.assertEqual(page.count('/mesure"'), len(self.c.ok("indicator.list", region="lanaudiere")))
        r, anonymous = self.request("GET", "/r/lanaudiere")
        self.assertNotIn('<details class="staff">', anonymous)  # a staff page is never served from the cache
        start = self.c.ok("node.info")["last_seq"]
        r, body = self.request("POST", "/r/lanaudiere/action/2.1/etat",
                               {"status": "in_progress", "note": "Refonte lancée"}, cookie=cookie)
        self.assertEqual(r.status, 403, "no CSRF token, no change")
        self.assertEqual(self.status_of("2.1"), "planned")
        r, body = self.request("POST", "/r/lanaudiere/action/2.1/etat",
                               {"csrf": token, "status": "in_progress", "note": "Refonte lancée"}, cookie=cookie)
        self.assertEqual((r.status, r.getheader("Location")), (303, "/r/lanaudiere#action-2.1"))
        action = self.c.ok("action.get", region="lanaudiere", number="2.1")
        self.assertEqual(action["status"], "in_progress")
        self.assertEqual((action["notes"][-1]["text"], action["notes"][-1]["author"]),
                         ("Refonte lancée", "web:marie@tpdsl.org"))
        [event] = self.c.ok("events.since", since=start)["events"]
        self.assertEqual((event["type"], event["actor"]), ("action.status_changed", "web:marie@tpdsl.org"))
        r, page = self.request("GET", "/r/lanaudiere", cookie=cookie)
        self.assertIn("Refonte lancée <span class=\"hint\">— web:marie@tpdsl.org</span>", page)

    def test_a_coordinator_records_an_indicator_and_sees_it_drawn(self):
        cookie, _ = self.login("lanaudiere", "marie@tpdsl.org")
        token, page = self.csrf(cookie)
        ind = next(i for i in self.c.ok("indicator.list", region="lanaudiere") if i["name"].startswith("Nombre de membres"))
        self.assertIn('action="/r/lanaudiere/indicateur/%d/mesure"' % ind["id"], page)
        self.assertNotIn("<polyline", page)
        r, body = self.request("POST", "/r/lanaudiere/indicateur/%d/mesure" % ind["id"],
                               {"csrf": token, "value": "57", "date": "2019-06-30", "note": "AGA"}, cookie=cookie)
        self.assertEqual(r.status, 303, body)
        r, body = self.request("POST", "/r/lanaudiere/indicateur/%d/mesure" % ind["id"],
                               {"csrf": token, "value": "112,5", "date": "2020-06-30"}, cookie=cookie)
        self.assertEqual(r.status, 303, body)
        history = self.c.ok("indicator.history", id=ind["id"])["measurements"]
        self.assertEqual([(m["date"], m["value"]) for m in history], [("2019-06-30", 57.0), ("2020-06-30", 112.5)])
        r, page = self.request("GET", "/r/lanaudiere", cookie=cookie)
        self.assertIn("<polyline", page)  # drawn
        r, body = self.request("POST", "/r/lanaudiere/indicateur/%d/mesure" % ind["id"],
                               {"csrf": token, "value": "beaucoup"}, cookie=cookie)
        self.assertEqual(r.status, 400)
        self.assertIn("un nombre", body)
        # Another region's indicator cannot be reached through this region's address.
        self.c.ok("plan.create", region="estrie", title="Plan")
        other = self.c.ok("indicator.create", region="estrie", name="Nombre de rencontres")
        r, body = self.request("POST", "/r/lanaudiere/indicateur/%d/mesure" % other["id"],
                               {"csrf": token, "value": "3"}, cookie=cookie)
        self.assertEqual(r.status, 404)
        self.assertEqual(self.c.ok("indicator.history", id=other["id"])["measurements"], [])

    def test_a_coordinator_adds_a_weekly_meeting_and_marks_the_sessions_held(self):
        cookie, _ = self.login("lanaudiere", "marie@tpdsl.org")
        token, page = self.csrf(cookie, "/r/lanaudiere/calendrier")
        self.assertIn('action="/r/lanaudiere/calendrier/ajout"', page)
        # A weekly meeting begun two weeks ago: three sessions have taken place, one is to come.
        first = datetime.datetime.now(TORONTO).date() - datetime.timedelta(days=15)
        start = self.c.ok("node.info")["last_seq"]
        r, body = self.request("POST", "/r/lanaudiere/calendrier/ajout",
                               {"csrf": token, "title": "Comité de coordination", "kind": "comite",
                                "date": first.isoformat(), "time": "13:30", "place": "Joliette", "repeat": "WEEKLY",
                                "count": "4"}, cookie=cookie)
        self.assertEqual((r.status, r.getheader("Location")), (303, "/r/lanaudiere/calendrier"), body)
        sessions = self.c.ok("calendar.list", region="lanaudiere", **{"from": "2000-01-01", "to": "2099-12-31"})
        self.assertEqual([s_["occurrence"] for s_ in sessions],
                         [(first + datetime.timedelta(days=7 * k)).isoformat() + "T13:30" for k in range(4)])
        [event] = self.c.ok("events.since", since=start)["events"]
        self.assertEqual((event["type"], event["actor"]), ("activity.created", "web:marie@tpdsl.org"))
        token, page = self.csrf(cookie, "/r/lanaudiere/calendrier")
        # The sessions that took place can be marked held; the coming one cannot.
        past, coming = page.split('id="seances"')
        self.assertEqual(past.count("/tenue\""), 3)
        self.assertEqual(coming.count("/tenue\""), 0)
        for s_ in sessions[:3]:
            self.assertIn('value="%s"' % s_["occurrence"], past)
        r, body = self.request("POST", "/r/lanaudiere/calendrier/%d/tenue" % sessions[0]["id"],
                               {"csrf": token, "occurrence": sessions[0]["occurrence"], "participants": "14"}, cookie=cookie)
        self.assertEqual(r.status, 303, body)
        held = self.c.ok("calendar.show", id=sessions[0]["id"])["held"]
        self.assertEqual([(h["occurrence"], h["participants"]) for h in held], [(sessions[0]["occurrence"], 14)])
        r, body = self.request("POST", "/r/lanaudiere/calendrier/%d/tenue" % sessions[0]["id"],
                               {"csrf": token, "occurrence": sessions[3]["occurrence"], "participants": "9"}, cookie=cookie)
        self.assertEqual(r.status, 400, body)  # typed ahead: refused, in words
        self.assertIn("n&#39;a pas encore eu lieu", body)
        self.assertEqual(len(self.c.ok("calendar.show", id=sessions[0]["id"])["held"]), 1)
        # Moved: the first session a week later at 15:00, the same length (an hour).
        self.assertEqual(page.count("/deplacer\""), 1)  # one form per activity, not per session
        moved = first + datetime.timedelta(days=7)
        r, body = self.request("POST", "/r/lanaudiere/calendrier/%d/deplacer" % sessions[0]["id"],
                               {"csrf": token, "date": moved.isoformat(), "time": "15:00"}, cookie=cookie)
        self.assertEqual(r.status, 303, body)
        activity = self.c.ok("calendar.show", id=sessions[0]["id"])
        self.assertEqual((activity["start"], activity["end"]),
                         (moved.isoformat() + "T15:00", moved.isoformat() + "T16:00"))
        r, body = self.request("POST", "/r/lanaudiere/calendrier/%d/deplacer" % sessions[0]["id"],
                               {"csrf": token, "date": moved.isoformat()}, cookie=cookie)
        self.assertEqual(r.status, 400)  # a timed activity needs a time
        r, body = self.request("POST", "/r/lanaudiere/calendrier/ajout", {"csrf": token, "title": "", "date": ""},
                               cookie=cookie)
        self.assertEqual(r.status, 400)
        self.assertIn("title (le titre de l&#39;activité) ne peut pas être vide", body)  # the calendar's declaration
        self.assertEqual(len(self.c.ok("calendar.list", region="lanaudiere", **{"from": "2000-01-01", "to": "2099-12-31"})), 4)

    def test_applications_are_read_by_the_region_staff_only_and_decided_by_its_coordinators(self):
        self.c.ok("adhesion.policy_set", region="lanaudiere", charter="2024",
                  categories=[{"id": "membre", "name": "Membre régulier", "decision": "board"}])
        a = self.c.ok("adhesion.submit", region="lanaudiere", organisation="Corporation de développement communautaire",
                      category="membre", contact_name="Hélène Roy", contact_email="helene@cdc.example", charter="2024")
        r, body = self.request("GET", "/r/lanaudiere/adhesion/demandes")
        self.assertEqual(r.status, 401)
        self.assertNotIn("Hélène", body)
        reader, _ = self.login("lanaudiere", "paul@tpdsl.org")  # lecture: reads, does not decide
        r, body = self.request("GET", "/r/lanaudiere/adhesion/demandes", cookie=reader)
        self.assertEqual(r.status, 200)
        self.assertIn("helene@cdc.example", body)
        self.assertEqual(r.getheader("Cache-Control"), "private, no-store")
        self.assertIsNone(r.getheader("ETag"))
        self.assertNotIn('/decision"', body)
        outsider, _ = self.login("estrie", "eve@tdse.org")
        r, body = self.request("GET", "/r/lanaudiere/adhesion/demandes", cookie=outsider)
        self.assertEqual(r.status, 403)
        self.assertNotIn("Hélène", body)
        cookie, _ = self.login("lanaudiere", "marie@tpdsl.org")
        token, body = self.csrf(cookie, "/r/lanaudiere/adhesion/demandes")
        self.assertIn('action="/r/lanaudiere/adhesion/%d/decision"' % a["id"], body)
        r, body = self.request("POST", "/r/lanaudiere/adhesion/%d/decision" % a["id"],
                               {"csrf": token, "decision": "refused"}, cookie=cookie)
        self.assertEqual(r.status, 400)  # refusing needs a reason: adhesion's words
        self.assertEqual(self.c.ok("adhesion.show", id=a["id"])["state"], "submitted")
        start = self.c.ok("node.info")["last_seq"]
        r, body = self.request("POST", "/r/lanaudiere/adhesion/%d/decision" % a["id"],
                               {"csrf": token, "decision": "accepted"}, cookie=cookie)
        self.assertEqual(r.status, 303, body)
        self.assertEqual(self.c.ok("adhesion.show", id=a["id"])["state"], "member")
        decided = [e for e in self.c.ok("events.since", since=start)["events"] if e["type"] == "adhesion.decided"]
        self.assertEqual([e["actor"] for e in decided], ["web:marie@tpdsl.org"])
        self.assertNotIn("helene", json.dumps(decided).lower())  # no person on the bus

    def test_who_may_not_change_cannot(self):
        cookie, _ = self.login("lanaudiere", "paul@tpdsl.org")  # lecture
        token, page = self.csrf(cookie)
        self.assertNotIn('<details class="staff">', page)
        r, body = self.request("POST", "/r/lanaudiere/action/2.1/etat", {"csrf": token, "status": "done"}, cookie=cookie)
        self.assertEqual(r.status, 403)
        cookie, _ = self.login("estrie", "eve@tdse.org")  # another region's coordinator
        token, page = self.csrf(cookie)
        r, body = self.request("POST", "/r/lanaudiere/action/2.1/etat", {"csrf": token, "status": "done"}, cookie=cookie)
        self.assertEqual(r.status, 403)
        r, body = self.request("POST", "/r/lanaudiere/action/2.1/etat", {"status": "done"})  # nobody
        self.assertEqual(r.status, 401)
        self.assertEqual(self.status_of("2.1"), "planned")

    def test_wrong_passwords_logging_out_and_too_many_tries(self):
        r, body = self.request("POST", "/r/lanaudiere/connexion", {"email": "marie@tpdsl.org", "password": "faux"})
        self.assertEqual(r.status, 401)
        self.assertIsNone(r.getheader("Set-Cookie"))
        self.assertIn("Courriel ou mot de passe inexact", body)
        r, body = self.request("POST", "/r/lanaudiere/connexion", {"email": "personne@ailleurs.org", "password": "x"})
        self.assertEqual(r.status, 401)
        log = self.d.log_text()
        self.assertIn("connexion refusée à l'espace de la région lanaudiere", log)
        self.assertNotIn("personne@ailleurs.org", log)  # what someone typed is no one's business in the log
        cookie, _ = self.login("lanaudiere", "marie@tpdsl.org")
        token, _ = self.csrf(cookie)
        r, body = self.request("POST", "/deconnexion", {"csrf": token}, cookie=cookie)
        self.assertEqual(r.status, 303)
        self.assertIn("Max-Age=0", r.getheader("Set-Cookie"))
        r, body = self.request("POST", "/r/lanaudiere/action/2.1/etat", {"csrf": token, "status": "done"}, cookie=cookie)
        self.assertEqual(r.status, 401, "the session is gone")
        statuses = [self.request("POST", "/r/lanaudiere/connexion", {"email": "x@y.org", "password": "z"})[0].status
                    for _ in range(8)]
        self.assertEqual(statuses[-1], 429)  # 3 + 1 + 8 tries from this address: past 10 in 15 minutes

    def test_accounts_made_with_concertctl(self):
        out = self.ctl("web", "user", "add", "--region", "lanaudiere", "--email", "marie@tpdsl.org", "--role",
                       "coordination", ok=False)
        self.assertIn("conflict", out)
        out = self.ctl("web", "user", "add", "--region", "lanaudiere", "--email", "luc@tpdsl.org", "--role", "chef",
                       ok=False)
        self.assertIn("role", out)
        out = self.ctl("web", "user", "add", "--region", "lanaudiere", "--email", "luc@tpdsl.org", "--role", "lecture")
        password = re.search(r": (\S+)$", out.strip()).group(1)
        self.assertEqual(len(password), 16)
        self.login("lanaudiere", "luc@tpdsl.org", password)
        listed = self.c.ok("web.user_list", region="lanaudiere")
        self.assertEqual(sorted(u["email"] for u in listed), ["luc@tpdsl.org", "marie@tpdsl.org", "paul@tpdsl.org"])
        self.assertFalse([u for u in listed if "hash" in u], "hashes never leave the daemon")
        with open(self.d.log_path, "rb") as f:
            self.assertNotIn(password.encode(), f.read())


class NationalNode(unittest.TestCase):
    """A national node (rqds) follows a regional one (tpdsl): its pages show
    the regional table's plan, read-only, naming its owner, and live."""

    def setUp(self):
        self.nodes = {}
        for name in ("tpdsl", "rqds"):
            folder = tempfile.mkdtemp(prefix="concertd-e2e-")
            r = subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, "noeud.key")], capture_output=True,
                               timeout=30, check=True)
            self.nodes[name] = {"folder": folder, "key": r.stdout.decode().strip(), "events": free_port(),
                                "sync": free_port()}
        t, n = self.nodes["tpdsl"], self.nodes["rqds"]
        self.port = free_port()
        common = "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
        self.tpdsl = Daemon(node_id="tpdsl", folder=t["folder"], config=(
            common % (t["events"], t["sync"]) + "[peer.rqds]\npublic_key = %s\n" % n["key"])).start()
        self.addCleanup(self.tpdsl.stop)  # even if the national node fails to start (stop is safe twice)
        self.rqds = Daemon(node_id="rqds", folder=n["folder"], config=(
            "[plugins]\npath = %s\nload = web\n[plugin.web]\nlisten = 127.0.0.1:%d\n" % (PLUGINS, self.port)
            + common % (n["events"], n["sync"])
            + "[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
              "regions = lanaudiere\n" % (t["key"], t["events"], t["sync"]))).start()
        self.t, self.n = self.tpdsl.client(), self.rqds.client()

    def tearDown(self):
        for c in (self.t, self.n):
            c.close()
        for d in (self.rqds, self.tpdsl):
            self.assertEqual(d.stop(), 0)
            d.cleanup()

    get = Web.get

    def until(self, what, test):
        deadline = time.monotonic() + 30 * PATIENCE
        while time.monotonic() < deadline:
            value = what()
            if test(value):
                return value
            self.n.ok("node.info")  # a round trip lets the follower work
        self.fail("never: %r" % (what(),))

    def test_every_followed_region_read_only_naming_its_owner(self):
        self.t.ok("region.create", id="lanaudiere", name="Lanaudière", organisation="TPDSL")
        self.t.ok("plan.import", region="lanaudiere", format="table", text=seed_text())
        self.until(lambda: self.n.ok("region.overview"),
                   lambda rows: any(r["region"] == "lanaudiere" and r["actions"] for r in rows))
        r, body = self.get("/")
        self.assertIn('href="/r/lanaudiere"', body)
        self.assertIn("copie du nœud tpdsl", body)
        r, body = self.get("/r/lanaudiere")
        self.assertIn("Copie en lecture seule ; ce plan appartient au nœud tpdsl", body)
        self.assertEqual(sorted(Page(body).rows), sorted(a["number"] for a in self.n.ok("action.list", region="lanaudiere")))
        r, body = self.get("/r/lanaudiere/adhesion")
        self.assertEqual(r.status, 404)
        self.assertIn("appartient au nœud tpdsl", body)
        # A change on the owner reaches the national node's page and its live stream.
        s = Stream(self.port, "/events?region=lanaudiere")
        self.t.ok("action.set_status", region="lanaudiere", number="2.3", status="in_progress")
        m = s.message()
        while m["data"]["type"] == "copy.updated":  # the import's copy, late
            m = s.message()
        self.assertEqual((m["data"]["origin"], m["data"]["type"], m["id"]), ("tpdsl", "action.status_changed", None))
        # The event comes before the copy it changes: a page read now may
        # show the old state, and must not be served again once the copy is.
        changed = m["data"]["seq"]
        Page(self.get("/r/lanaudiere")[1])
        while not (m["data"]["type"] == "copy.updated" and m["data"]["data"]["seq"] >= changed):
            m = s.message()
        s.close()
        self.assertEqual(Page(self.get("/r/lanaudiere")[1]).rows["2.3"]["state"].strip(), "en cours")


class Tls(unittest.TestCase):
    """[plugin.web] cert_file/key_file: the pages over TLS, cookies Secure."""

    def test_served_over_tls_with_its_certificate(self):
        folder = tempfile.mkdtemp(prefix="concertd-tls-")
        make_certificates(folder)
        port = free_port()
        config = ("[plugins]\npath = %s\nload = web\n[plugin.web]\nlisten = 127.0.0.1:%d\ncert_file = %s\n"
                  "key_file = %s\n" % (PLUGINS, port, os.path.join(folder, "server.pem"), os.path.join(folder, "server.key")))
        d = Daemon(config=config).start()
        try:
            c = d.client()
            c.ok("region.create", id="lanaudiere", name="Lanaudière")
            secret = os.path.join(folder, "mdp.txt")
            with open(secret, "w") as f:
                f.write("un-mot-de-passe-long\n")
            r = subprocess.run([CONCERTCTL, "--endpoint", d.command, "web", "user", "add", "--region", "lanaudiere",
                                "--email", "marie@tpdsl.org", "--role", "coordination", "--password-file", secret],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            context = ssl.create_default_context(cafile=os.path.join(folder, "ca.pem"))
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=20 * PATIENCE)
            conn.request("GET", "/")
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertIn("Lanaudière", r.read().decode())
            conn.request("POST", "/r/lanaudiere/connexion",
                         body=urllib.parse.urlencode({"email": "marie@tpdsl.org", "password": "un-mot-de-passe-long"}),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 303)
            self.assertIn("; Secure", r.getheader("Set-Cookie"))
            conn.close()
            with self.assertRaises(ssl.SSLError):  # nobody's certificate: refused by a client that checks
                bare = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(), timeout=10)
                bare.request("GET", "/")
            c.close()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()

    def test_a_certificate_without_its_key_is_refused_in_words(self):
        config = "[plugins]\npath = %s\nload = web\n[plugin.web]\nlisten = 127.0.0.1:%d\ncert_file = /nulle/part.pem\n" % (
            PLUGINS, free_port())
        d = Daemon(config=config)
        try:
            code, log = d.start_refused()
            self.assertEqual(code, 1)
            self.assertIn("cert_file et key_file vont ensemble", log)
            self.assertIn("greffon(s) refusé(s) : web", log)
        finally:
            d.cleanup()


class PortTaken(unittest.TestCase):
    def test_a_taken_port_stops_the_start_in_words_unless_the_web_is_optional(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            config = "[plugins]\npath = %s\nload = web\n[plugin.web]\nlisten = 127.0.0.1:%d\n" % (PLUGINS, port)
            d = Daemon(config=config)
            try:
                code, log = d.start_refused()
                self.assertEqual(code, 1)
                self.assertIn("impossible d'écouter", log)
                self.assertIn("127.0.0.1:%d" % port, log)
                self.assertIn("le démon ne démarre pas sans eux", log)
                self.assertIn("[plugins] optional", log)
            finally:
                d.cleanup()
            # Said optional: the daemon goes on without its pages, and says why.
            config = config.replace("load = web\n", "load = web\noptional = web\n")
            d = Daemon(config=config).start()
            try:
                c = d.client()
                info = c.ok("node.info")
                web = next(p for p in info["plugins"] if p["name"] == "web")
                self.assertEqual(web["state"], "refused")
                self.assertIn("impossible d'écouter", web["reason"] + d.log_text())
                c.close()
            finally:
                self.assertEqual(d.stop(), 0)
                d.cleanup()


def urlquote(s):
    from urllib.parse import quote
    return quote(s)


if __name__ == "__main__":
    unittest.main()
