"""The notify plugin, end to end: a real SMTP server (Debian's aiosmtpd) and
a real HTTP endpoint, both run by the test; concertd with the plugin and a
clock the test sets (libfaketime). A reminder arrives once, in French, with
its accents; a server that is down makes the message wait, not vanish; a
webhook gets the event as JSON; a message that keeps failing is given up
with an event saying so."""
import datetime
import email
import email.header
import email.policy
import functools
import http.server
import json
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller

from harness import CONCERTCTL, Daemon, FakeClock, PLUGINS, SOURCE, free_port, make_certificates, personal_data




class Mailbox:
    """An SMTP server keeping what it receives."""

    def __init__(self, port):
        self.port = port
        self.messages = []
        self.cond = threading.Condition()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        with self.cond:
            self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content,
                                                                              policy=email.policy.default)))
            self.cond.notify_all()
        return "250 OK"

    def start(self, tls_context=None):
        """Plain SMTP, or with tls_context a server that requires STARTTLS."""
        more = {"tls_context": tls_context, "require_starttls": True} if tls_context else {}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **more)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def wait(self, count, timeout=30):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError("%d message(s) received, %d expected" % (len(self.messages), count))
            return list(self.messages)


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        with server.cond:
            server.bodies.append((self.headers["Content-Type"], body))
            server.cond.notify_all()
        self.send_response(server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


class Notify(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        # A clock that starts where the test says and then runs, so that
        # retry delays pass.
        self.clock = FakeClock(self.folder, "@2026-09-01 12:00:00")
        self.mail = Mailbox(free_port())
        self.mail.start()
        self.web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        self.web.bodies, self.web.status, self.web.cond = [], 200, threading.Condition()
        threading.Thread(target=self.web.serve_forever, daemon=True).start()
        self.d = None

    def tearDown(self):
        if self.d:
            if self.d.proc:
                self.c.close()
                self.assertEqual(self.d.stop(), 0)
            # No address, a subscriber's or a person's, in the log.
            self.assertEqual(personal_data(self.d.log_text()), [])
            self.d.cleanup()
        self.mail.stop()
        self.web.shutdown()
        self.web.server_close()

    def start(self, rate_per_hour=30, check_every="3600", extra="", load="notify", tls="none"):
        config = ("[node]\ntimezone = America/Toronto\n[reminders]\ncheck_every = %s\n"
                  "[plugins]\npath = %s\nload = %s\n[plugin.calendar]\ncheck_every_ms = 50\n"
                  "[plugin.notify]\nsmtp_url = smtp://127.0.0.1:%d\ntls = %s\n"
                  "from = Table des partenaires de Lanaudière <tpdsl@example.org>\n"
                  "pump_ms = 50\nretry_base = 1\nretry_max = 1\nmax_attempts = 3\ntimeout = 5\n"
                  "rate_per_hour = %d\n%s" % (check_every, PLUGINS, load, self.mail.port, tls, rate_per_hour, extra))
        self.d = Daemon(folder=self.folder, config=config, env=self.clock.env()).start()
        self.c = self.d.client()

    @staticmethod
    def in_a_week():
        """The date a week from today in Québec, as a plan writes it."""
        months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre"]
        day = datetime.datetime.now(ZoneInfo("America/Toronto")).date() + datetime.timedelta(days=7)
        return "%d %s %d" % (day.day, months[day.month - 1], day.year)

    def seed(self, schedule="8 septembre 2026"):
        c = self.c
        c.ok("region.create", id="estrie", name="Estrie")
        c.ok("plan.create", region="estrie", title="Plan d'action 2026-2028", start_date="2026-04-01")
        c.ok("objective.create", region="estrie", number="1", text="Mieux se connaître")
        c.ok("action.create", region="estrie", objective="1", number="1.1", text="Tenir le forum régional des élus",
             responsible="Coordination", schedule=schedule)

    def outbox(self, state=""):
        return self.c.ok("notify.outbox", state=state) if state else self.c.ok("notify.outbox")

    def wait_outbox(self, predicate, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.c.ok("notify.outbox", state="", limit=100)
            sent = self.c.ok("notify.outbox", state="sent", limit=100)
            if predicate(rows, sent):
                return rows, sent
            self.c.ok("node.info")  # a round trip: lets the loop run its timers between looks
        raise TimeoutError("outbox never reached the expected state: %r" % (rows,))

    def test_a_message_names_the_region_and_the_action_never_an_id(self):
        self.start()
        self.seed()
        self.c.ok("notify.subscribe", address="coordination@tpdsl.example.org", region="estrie", events="action.*")
        self.c.ok("action.set_status", region="estrie", number="1.1", status="in_progress", note="Salle réservée")
        _, msg = self.mail.wait(1)[0]
        body = msg.get_content()
        self.assertEqual(str(msg["Subject"]), "L'action 1.1 « Tenir le forum régional des élus » passe de « prévue » à "
                                              "« en cours ». Note : Salle réservée (Estrie)")
        self.assertIn("Région : Estrie", body)
        for internal in ("n° ", "action.status_changed", self.d.node_id, "estrie"):
            self.assertNotIn(internal, body)

    def test_a_reminder_arrives_once_in_french(self):
        self.start()
        self.seed()
        sub = self.c.ok("notify.subscribe", address="coordination@tpdsl.example.org", region="estrie")
        self.assertEqual((sub["channel"], sub["events"], sub["lang"]), ("email", ["echeance.*"], "fr"))
        # Subscribed twice (the command run again): one subscription, one message.
        again = self.c.ok("notify.subscribe", address="Coordination@tpdsl.example.org", region="estrie")
        self.assertEqual(again["id"], sub["id"])
        self.assertEqual(len(self.c.ok("notify.list")), 1)
        self.assertEqual(len(self.c.ok("echeance.remind")["sent"]), 1)  # 7 days before
        rcpts, msg = self.mail.wait(1)[0]
        self.assertEqual(rcpts, ["coordination@tpdsl.example.org"])
        self.assertEqual(str(msg["Subject"]), "Échéance dans 7 jours : action 1.1 (Estrie)")
        self.assertEqual(str(msg["From"]), "Table des partenaires de Lanaudière <tpdsl@example.org>")
        self.assertEqual(msg.get_content_charset(), "utf-8")
        body = msg.get_content()
        self.assertIn("L'action 1.1 du Plan d'action 2026-2028 arrive à échéance dans 7 jours, le 8 septembre 2026.",
                      body)
        self.assertIn("Tenir le forum régional des élus", body)
        self.assertIn("Responsable : Coordination", body)
        self.assertIn("État : prévue", body)
        self.wait_outbox(lambda rows, sent: len(sent) == 1)
        # Nothing more comes: checking again sends nothing, and the message is sent once.
        self.assertEqual(self.c.ok("echeance.remind")["sent"], [])
        self.wait_outbox(lambda rows, sent: not rows)
        self.assertEqual(len(self.mail.messages), 1)

    def test_a_server_down_makes_messages_wait_not_vanish(self):
        self.start()
        self.seed()
        self.c.ok("notify.subscribe", address="coordination@tpdsl.example.org")
        self.mail.stop()
        self.c.ok("echeance.remind")
        rows, _ = self.wait_outbox(lambda rows, sent: rows and rows[0]["attempts"] >= 1)
        self.assertEqual(rows[0]["state"], "waiting")
        self.assertTrue(rows[0]["last_error"])
        # The daemon restarts while the message waits; the server comes back.
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.mail = Mailbox(self.mail.port)
        self.mail.start()
        self.d.start()
        self.c = self.d.client()
        self.mail.wait(1)
        self.wait_outbox(lambda rows, sent: len(sent) == 1 and not rows)
        self.assertEqual(len(self.mail.messages), 1)

    def test_a_webhook_gets_the_event_as_json(self):
        self.start()
        self.seed()
        url = "http://127.0.0.1:%d/hook" % self.web.server_address[1]
        self.c.ok("notify.subscribe", address=url, events=["action.status_changed"], lang="en")
        self.c.ok("action.set_status", region="estrie", number="1.1", status="in_progress", note="Salle réservée")
        with self.web.cond:
            self.assertTrue(self.web.cond.wait_for(lambda: self.web.bodies, 30))
        ctype, body = self.web.bodies[0]
        self.assertEqual(ctype, "application/json; charset=utf-8")
        doc = json.loads(body.decode("utf-8"))
        self.assertEqual(doc["event"]["type"], "action.status_changed")
        self.assertEqual(doc["event"]["data"]["note"], "Salle réservée")
        self.assertEqual(doc["subject"], "Action 1.1 \"Tenir le forum régional des élus\" went from planned to in progress. Note: Salle réservée (Estrie)")

    def test_a_message_that_keeps_failing_is_given_up_and_said(self):
        self.web.status = 500
        self.start()
        self.seed()
        url = "http://127.0.0.1:%d/hook" % self.web.server_address[1]
        self.c.ok("notify.subscribe", address=url, events=["action.*"])
        self.c.ok("action.note", region="estrie", number="1.1", text="Première rencontre")
        rows, _ = self.wait_outbox(lambda rows, sent: rows and rows[0]["state"] == "failed", timeout=60)
        self.assertEqual((rows[0]["attempts"], rows[0]["last_error"]), (3, "HTTP 500"))
        events = [e["type"] for e in self.c.ok("events.since", since=0, limit=1000)["events"]]
        self.assertIn("notify.failed", events)
        # Fixed: retried on request, delivered.
        self.web.status = 200
        self.assertEqual(self.c.ok("notify.retry")["requeued"], 1)
        self.wait_outbox(lambda rows, sent: len(sent) == 1 and not rows)

    def test_a_daily_digest_groups_the_days_events(self):
        self.start()
        self.seed()
        sub = self.c.ok("notify.subscribe", address="coordination@tpdsl.example.org", events=["action.*"],
                        cadence="daily", at="8:00")
        self.assertEqual((sub["cadence"], sub["at"]), ("daily", "08:00"))
        self.c.ok("action.note", region="estrie", number="1.1", text="Salle réservée à Sherbrooke")
        self.c.ok("action.set_status", region="estrie", number="1.1", status="in_progress")
        self.c.ok("action.update", region="estrie", number="1.1", responsible="Direction générale")
        self.assertEqual(self.c.ok("notify.outbox"), [])  # nothing sent one by one
        self.clock.set("@2026-09-02 08:01:00")
        _, msg = self.mail.wait(1)[0]
        self.assertEqual(str(msg["Subject"]), "Résumé du 2 septembre 2026 : 3 avis (Estrie)")
        lines = [l for l in msg.get_content().splitlines() if l.startswith("- ")]
        self.assertEqual(lines, ["- Note sur l'action 1.1 « Tenir le forum régional des élus » : Salle réservée à Sherbrooke (Estrie)",
                                 "- L'action 1.1 « Tenir le forum régional des élus » passe de « prévue » à « en cours » (Estrie)",
                                 "- Action 1.1 modifiée : Tenir le forum régional des élus (Estrie)"])
        self.wait_outbox(lambda rows, sent: len(sent) == 1 and not rows)
        self.assertEqual(len(self.mail.messages), 1)

    def test_a_recipient_gets_at_most_so_many_an_hour(self):
        self.start(rate_per_hour=2)
        self.seed()
        self.c.ok("notify.subscribe", address="coordination@tpdsl.example.org", events=["action.noted"])
        for i in range(3):
            self.c.ok("action.note", region="estrie", number="1.1", text="Note %d" % i)
        self.mail.wait(2)
        rows, sent = self.wait_outbox(lambda rows, sent: len(sent) == 2 and rows and rows[0]["last_error"])
        self.assertEqual((rows[0]["state"], rows[0]["last_error"]),
                         ("waiting", "limite d'envois par heure atteinte pour ce destinataire"))
        self.assertGreater(rows[0]["next_attempt_ms"], sent[0]["sent_ms"] + 3500 * 1000)

    def test_concertctl_manages_subscriptions(self):
        self.start()
        base = [CONCERTCTL, "--endpoint", self.d.command, "--events", self.d.events]
        r = subprocess.run(base + ["notify", "subscribe", "--address", "coordination@tpdsl.example.org", "--events",
                                   "echeance.*, action.status_changed", "--cadence", "weekly", "--weekday", "1"],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        subs = self.c.ok("notify.list")
        self.assertEqual((subs[0]["events"], subs[0]["cadence"], subs[0]["weekday"]),
                         (["echeance.*", "action.status_changed"], "weekly", 1))
        r = subprocess.run(base + ["notify", "unsubscribe", "--id", str(subs[0]["id"])], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.c.ok("notify.list"), [])

    def test_done_when_one_subscription_for_the_coordinator(self):
        """The issue's "done when": a table imports its plan, sets one
        subscription for its coordinator, and without anyone remembering
        gets an e-mail a week before each échéance, and a digest of what
        changed."""
        self.start(check_every="0.05")
        self.c.ok("region.create", id="estrie", name="Estrie")
        # The subscription first: the scheduler runs by itself, it would not
        # wait for a subscription made after the plan is there.
        self.c.ok("notify.subscribe", address="coordination@estrie.example.org", events=["echeance.*", "action.*"],
                  cadence="daily", at="08:00")
        plan = ("Plan d'action 2026-2028\n\nadopté en CA le 1er avril 2026\n\n"
                "OBJECTIFS\tMOYENS D'ACTION\tÉCHÉANCE\tRESPONSABLE\n"
                "1. Mieux se connaître\t1.1 Tenir le forum régional\t8 septembre 2026\tCoordination\n"
                "\t1.2 Publier le bottin des ressources\t15 octobre 2026\tÉquipe\n")
        self.c.ok("plan.import", region="estrie", format="table", text=plan)
        # September 1st: a week before the forum, nobody asked anything.
        _, first = self.mail.wait(1)[0]
        self.assertEqual(str(first["Subject"]), "Échéance dans 7 jours : action 1.1 (Estrie)")
        self.c.ok("action.set_status", region="estrie", number="1.2", status="in_progress", note="Collecte lancée")
        # The next morning, the digest of what changed (and no second reminder).
        self.clock.set("@2026-09-02 08:01:00")
        _, digest = self.mail.wait(2)[1]
        self.assertEqual(str(digest["Subject"]), "Résumé du 2 septembre 2026 : 3 avis (Estrie)")
        self.assertEqual([l for l in digest.get_content().splitlines() if l.startswith("- ")],
                         ["- Action 1.1 ajoutée : Tenir le forum régional (Estrie)",
                          "- Action 1.2 ajoutée : Publier le bottin des ressources (Estrie)",
                          "- L'action 1.2 « Publier le bottin des ressources » passe de « prévue » à « en cours »."
                          " Note : Collecte lancée (Estrie)"])
        # October 8th: a week before the bottin is due; the forum is past due.
        self.clock.set("@2026-10-08 12:00:00")
        later = [str(m["Subject"]) for _, m in self.mail.wait(4)[2:]]
        self.assertEqual(sorted(later), ["Échéance dans 7 jours : action 1.2 (Estrie)",
                                         "Échéance dépassée : action 1.1 (Estrie)"])
        self.wait_outbox(lambda rows, sent: len(sent) == 4 and not rows)
        self.assertEqual(len(self.mail.messages), 4)

    def test_the_tables_own_templates_and_only_their_responsible(self):
        folder = os.path.join(self.folder, "textes")
        os.mkdir(folder)
        with open(os.path.join(folder, "echeance.upcoming.fr.txt"), "w", encoding="utf-8") as f:
            f.write("Objet : Rappel maison pour l'action {{number}}\n\nÀ faire {{when}} : {{text}}. {{inconnu}}\n")
        # Relative to the configuration file, which the harness writes in self.folder.
        self.start(extra="templates_dir = textes\n")
        self.seed()
        self.c.ok("action.create", region="estrie", objective="1", number="1.2", text="Réserver la salle",
                  responsible="Équipe", schedule="8 septembre 2026")
        self.c.ok("notify.subscribe", address="coordination@tpdsl.example.org", responsible="COORD")
        self.assertEqual(len(self.c.ok("echeance.remind")["sent"]), 2)
        _, msg = self.mail.wait(1)[0]
        self.assertEqual(str(msg["Subject"]), "Rappel maison pour l'action 1.1")
        self.assertEqual(msg.get_content().replace("\r\n", "\n"),  # e-mail lines end in CRLF
                         "À faire dans 7 jours, le 8 septembre 2026 : Tenir le forum régional des élus. {{inconnu}}\n")
        self.wait_outbox(lambda rows, sent: len(sent) == 1 and not rows)
        self.assertEqual(len(self.mail.messages), 1)

    def test_activities_of_the_calendar_are_reminded_too(self):
        self.start(load="notify, calendar")
        self.c.ok("region.create", id="estrie", name="Estrie")
        self.c.ok("notify.subscribe", address="membres@estrie.example.org", events=["activity.upcoming"])
        self.c.ok("calendar.add", region="estrie", title="Forum régional", kind="forum", start="2026-09-05T13:30",
                  end="2026-09-05T16:00", place="Sherbrooke")
        _, first = self.mail.wait(1)[0]  # four days before: the 7-day reminder, by itself
        self.assertEqual(str(first["Subject"]), "Forum régional, dans 4 jours (Estrie)")
        self.assertIn("« Forum régional » a lieu dans 4 jours, le 5 septembre 2026, à 13:30.", first.get_content())
        self.assertIn("Lieu : Sherbrooke", first.get_content())
        self.clock.set("@2026-09-04 12:00:00")
        _, second = self.mail.wait(2)[1]
        self.assertEqual(str(second["Subject"]), "Forum régional, demain (Estrie)")
        types = [e["type"] for e in self.c.ok("events.since", since=0, limit=1000)["events"]]
        self.assertEqual(types.count("activity.upcoming"), 2)

    def test_what_the_watch_finds_is_sent(self):
        self.start(load="notify, veille", extra="[plugin.veille]\npump_ms = 50\nfresh_days = 3650\n")
        self.seed()
        feeds = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
            QuietFiles, directory=os.path.join(SOURCE, "tests", "fixtures", "veille")))
        threading.Thread(target=feeds.serve_forever, daemon=True).start()
        try:
            self.c.ok("notify.subscribe", address="veille@estrie.example.org", region="estrie",
                      events=["veille.item"])
            self.c.ok("veille.rule_add", region="estrie", name="Alimentation", all_of="sécurité alimentaire",
                      tags="alimentation", objectives="1")
            self.c.ok("veille.add", region="estrie",
                      url="http://127.0.0.1:%d/ministere-rss2.xml" % feeds.server_address[1])
            _, msg = self.mail.wait(1)[0]
        finally:
            feeds.shutdown()
            feeds.server_close()
        self.assertEqual(str(msg["Subject"]),
                         "Veille : Sécurité alimentaire : financement de 12 M$ pour les régions (Estrie)")
        body = msg.get_content()
        self.assertIn("La veille a repéré : « Sécurité alimentaire : financement de 12 M$ pour les régions »", body)
        self.assertIn("Un financement pour les initiatives en sécurité alimentaire des tables régionales.", body)
        self.assertIn("https://www.quebec.example/emploi/nouvelles/securite-alimentaire", body)
        self.assertIn("Étiquettes : alimentation\nObjectifs du plan : 1\n", body.replace("\r\n", "\n"))
        self.wait_outbox(lambda rows, sent: len(sent) == 1 and not rows)
        self.assertEqual(len(self.mail.messages), 1)  # one item matched: one message

    def test_starttls_with_the_tables_own_authority(self):
        make_certificates(self.folder)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(self.folder, "server.pem"), os.path.join(self.folder, "server.key"))
        self.mail.stop()
        self.mail.start(tls_context=ctx)  # refuses mail before STARTTLS
        self.clock.set(time.strftime("@%Y-%m-%d %H:%M:%S", time.gmtime()))  # certificates are valid from now
        self.start(tls="required", extra="ca_file = ca.pem\n")
        self.seed(schedule=self.in_a_week())
        self.c.ok("notify.subscribe", address="coordination@tpdsl.example.org", region="estrie")
        self.c.ok("echeance.remind")
        rcpts, msg = self.mail.wait(1)[0]
        self.assertEqual(str(msg["Subject"]), "Échéance dans 7 jours : action 1.1 (Estrie)")
        self.wait_outbox(lambda rows, sent: len(sent) == 1 and not rows)

    def test_an_untrusted_certificate_is_an_error_in_words(self):
        make_certificates(self.folder)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(self.folder, "stranger.pem"), os.path.join(self.folder, "stranger.key"))
        self.mail.stop()
        self.mail.start(tls_context=ctx)
        self.clock.set(time.strftime("@%Y-%m-%d %H:%M:%S", time.gmtime()))
        self.start(tls="required", extra="ca_file = ca.pem\n")
        self.seed(schedule=self.in_a_week())
        self.c.ok("notify.subscribe", address="coordination@tpdsl.example.org", region="estrie")
        self.c.ok("echeance.remind")
        rows, _ = self.wait_outbox(lambda rows, sent: rows and rows[0]["last_error"])
        self.assertIn("certificat du serveur refusé", rows[0]["last_error"])
        self.assertEqual(self.mail.messages, [])

    def test_bad_subscriptions_are_refused_in_words(self):
        self.start()
        err = self.c.error("notify.subscribe", address="pas une adresse")
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "address"))
        err = self.c.error("notify.subscribe", address="a@b.org\r\nBcc: x@y.org")
        self.assertEqual(err["field"], "address")
        err = self.c.error("notify.subscribe", address="a@b.org", region="nulle-part")
        self.assertEqual((err["code"], err["field"]), ("not_found", "region"))
        err = self.c.error("notify.subscribe", address="a@b.org", events=["bad pattern"])
        self.assertEqual(err["field"], "events")
        err = self.c.error("notify.subscribe", address="a@b.org", cadence="daily", at="25:00")
        self.assertEqual(err["field"], "at")
        err = self.c.error("notify.subscribe", address="a@b.org", cadence="monthly")
        self.assertEqual(err["field"], "cadence")
        self.assertEqual(self.c.ok("notify.list"), [])


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


if __name__ == "__main__":
    unittest.main()
