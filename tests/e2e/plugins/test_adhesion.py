"""The adhesion plugin, end to end: a table's membership policy, applications
submitted and decided through a running daemon, applicants hearing back by
e-mail (an SMTP server in the test), the plan's "Nombre de membres"
indicator following every change, duplicates, lapses on a moved clock, the
CSV export, erasure, and no personal field ever on the event bus."""
import csv
import io
import json
import os
import subprocess
import tempfile
import unittest

from harness import CONCERTCTL, PLUGINS, SOURCE, Daemon, FakeClock, recv_event, subscriber, sync_subscriber, personal_data

# What the tests give as an applicant's: never in the log.
PERSONAL = ["Marie-Ève Lafrenière", "Gisèle Privée", "Réjean Caché", "Motivation confidentielle",
            "Porter la voix de la MRC.", "Résolution jointe."]
from test_notify import Mailbox, free_port

CATEGORIES = [
    {"id": "clds", "name": "CLDS et leurs membres", "decision": "board"},
    {"id": "grande-table", "name": "Partenaires régionaux de la Grande Table", "decision": "board"},
    {"id": "citoyens", "name": "Comité citoyen", "decision": "board"},
    {"id": "communautaire", "name": "Organismes communautaires", "decision": "auto"},
    {"id": "autochtones", "name": "Communautés autochtones et culturelles", "decision": "board"},
]


class Adhesion(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        self.clock = FakeClock(self.folder, "@2026-11-22 10:00:00")
        self.mail = Mailbox(free_port())
        self.mail.start()
        config = ("[node]\ntimezone = America/Toronto\n[plugins]\npath = %s\nload = notify, adhesion\n"
                  "[plugin.adhesion]\ncheck_every_ms = 50\n"
                  "[plugin.notify]\nsmtp_url = smtp://127.0.0.1:%d\ntls = none\n"
                  "from = Table des partenaires de Lanaudière <tpdsl@example.org>\npump_ms = 50\n"
                  % (PLUGINS, self.mail.port))
        self.d = Daemon(folder=self.folder, config=config, env=self.clock.env()).start()
        self.c = self.d.client()
        c = self.c
        c.ok("region.create", id="lanaudiere", name="Lanaudière")
        c.ok("plan.create", region="lanaudiere", title="Plan d'action 2026-2030", start_date="2026-04-01")
        c.ok("objective.create", region="lanaudiere", number="2", text="Mobiliser les acteurs")
        c.ok("action.create", region="lanaudiere", objective="2", number="2.1", text="Recruter des membres")
        self.members = c.ok("indicator.create", region="lanaudiere", action="2.1", name="Nombre de membres",
                            target=200)
        self.community = c.ok("indicator.create", region="lanaudiere", action="2.1",
                              name="Organismes communautaires membres")
        categories = [dict(cat) for cat in CATEGORIES]
        categories[3]["indicator"] = self.community["id"]
        self.policy = c.ok("adhesion.policy_set", region="lanaudiere", charter="2024", categories=categories,
                           required=["territory"], renewal_months=12)

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        # Loi 25: nothing of an applicant, nor a staff address, in the log.
        self.assertEqual(personal_data(self.d.log_text(), PERSONAL), [])
        self.d.cleanup()
        self.mail.stop()

    def submit(self, organisation, category, email="direction@exemple.org", **more):
        args = dict(region="lanaudiere", organisation=organisation, category=category, territory="Joliette",
                    contact_name="Marie-Ève Lafrenière", contact_email=email, charter="2024")
        args.update(more)
        return self.c.ok("adhesion.submit", **args)

    def count(self):
        return [(m["value"], m["note"]) for m in self.c.ok("indicator.history", id=self.members["id"])["measurements"]]

    def mails_to(self, address, count):
        """The messages to address once there are count of them, in the order
        the table wrote them (messages written together may leave in any order)."""
        while True:
            mails = [m for rcpt, m in self.mail.wait(len(self.mail.messages) + 0) if address in rcpt]
            if len(mails) >= count:
                return sorted(mails, key=lambda m: int(m["Message-ID"].strip("<>").split(".")[0]))
            self.mail.wait(len(self.mail.messages) + 1)

    def test_the_whole_workflow_and_the_count_on_the_plan(self):
        c = self.c
        self.assertEqual([cat["id"] for cat in self.policy["categories"]], [cat["id"] for cat in CATEGORIES])
        # A community organisation: accepted at once by the policy.
        cdc = self.submit("Corporation de développement communautaire de Joliette", "communautaire",
                          email="cdc@joliette.example.org")
        self.assertEqual(cdc["state"], "member")
        received, accepted = self.mails_to("cdc@joliette.example.org", 2)
        self.assertEqual(str(received["Subject"]),
                         "Demande d'adhésion reçue : Corporation de développement communautaire de Joliette")
        self.assertIn("Bonjour Marie-Ève Lafrenière,", received.get_content())
        self.assertEqual(str(accepted["Subject"]),
                         "Bienvenue : Corporation de développement communautaire de Joliette est membre")
        # A CLDS: the board decides.
        clds = self.submit("CLDS de la MRC de Montcalm", "clds", email="clds@montcalm.example.org",
                           motivation="Porter la voix de la MRC.")
        self.assertEqual(clds["state"], "submitted")
        self.assertEqual(c.ok("adhesion.list", region="lanaudiere", state="submitted")[0]["id"], clds["id"])
        c.ok("adhesion.decide", id=clds["id"], decision="accepted")
        self.assertEqual(c.ok("adhesion.members", region="lanaudiere")["members"], 2)
        # Another needs information, then is refused with a reason the applicant reads.
        other = self.submit("Regroupement X", "grande-table", email="x@exemple.org")
        err = c.error("adhesion.decide", id=other["id"], decision="refused")
        self.assertEqual(err["field"], "reason")
        c.ok("adhesion.decide", id=other["id"], decision="needs_info",
             reason="La résolution du conseil d'administration de votre organisme.")
        c.ok("adhesion.update", id=other["id"], motivation="Résolution jointe.")
        self.assertEqual(c.ok("adhesion.show", id=other["id"])["state"], "submitted")
        c.ok("adhesion.decide", id=other["id"], decision="refused", reason="Hors du territoire de la table.")
        mails = self.mails_to("x@exemple.org", 3)
        self.assertIn("La résolution du conseil d'administration de votre organisme.", mails[1].get_content())
        self.assertIn("Motif : Hors du territoire de la table.", mails[2].get_content())
        self.assertEqual(c.error("adhesion.decide", id=other["id"], decision="accepted")["code"], "conflict")
        # The CLDS withdraws; its personal data is erased on request; the count history stays right.
        c.ok("adhesion.withdraw", id=clds["id"], reason="Fusion avec un autre organisme")
        erased = c.ok("adhesion.erase", id=clds["id"])
        self.assertEqual((erased["contact_name"], erased["contact_email"], erased["motivation"]), (None, None, None))
        self.assertEqual(erased["organisation"], "CLDS de la MRC de Montcalm")
        self.assertEqual([v for v, _ in self.count()], [0.0, 1.0, 2.0, 1.0])
        self.assertEqual(c.ok("indicator.history", id=self.community["id"])["latest"], 1.0)
        self.assertEqual(c.error("adhesion.erase", id=cdc["id"])["code"], "conflict")  # a member: withdraw first
        # The export for the mailing list: members only, and journaled.
        export = c.ok("adhesion.export", region="lanaudiere")
        rows = list(csv.reader(io.StringIO(export["text"])))
        self.assertEqual(rows[0], ["Organisation", "Catégorie", "Territoire", "Contact", "Courriel", "Charte",
                                   "Membre depuis"])
        self.assertEqual(rows[1:], [["Corporation de développement communautaire de Joliette",
                                     "Organismes communautaires", "Joliette", "Marie-Ève Lafrenière",
                                     "cdc@joliette.example.org", "2024", "2026-11-22"]])
        self.assertEqual([(j["what"], j["application"]) for j in c.ok("adhesion.journal", region="lanaudiere")],
                         [("effacement", clds["id"]), ("export", None)])

    def test_a_setting_left_out_keeps_its_value_and_the_same_count_adds_nothing(self):
        c = self.c
        measures = self.count()
        ids = [cat["id"] for cat in CATEGORIES]
        view = lambda p: (p["charter"], p["required"], p["renewal_months"], [cat["id"] for cat in p["categories"]])
        # A new charter: what was not said stays (it used to empty `required`).
        p = c.ok("adhesion.policy_set", region="lanaudiere", charter="2025")
        self.assertEqual(view(p), ("2025", ["territory"], 12, ids))
        p = c.ok("adhesion.policy_set", region="lanaudiere", renewal_months=24)
        self.assertEqual(view(p), ("2025", ["territory"], 24, ids))
        # Cleared only when said: an empty list, or nil.
        self.assertEqual(view(c.ok("adhesion.policy_set", region="lanaudiere", required=[])), ("2025", [], 24, ids))
        self.assertEqual(c.ok("adhesion.policy_set", region="lanaudiere", required=["motivation"])["required"],
                         ["motivation"])
        self.assertEqual(c.ok("adhesion.policy_set", region="lanaudiere", required=None)["required"], [])
        # concertctl, a list argument given twice.
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--json", "adhesion", "policy_set", "lanaudiere",
                            "--required", "territory", "--required", "motivation"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(view(json.loads(r.stdout)), ("2025", ["territory", "motivation"], 24, ids))
        # None of this moved a member: the plan's count has no new measure.
        self.assertEqual(self.count(), measures)
        # A charter is never taken away; a new region's policy needs one and its categories.
        self.assertEqual(c.error("adhesion.policy_set", region="lanaudiere", charter=None)["field"], "charter")
        c.ok("region.create", id="estrie", name="Estrie")
        self.assertEqual(c.error("adhesion.policy_set", region="estrie", required=["territory"])["field"], "charter")
        self.assertEqual(c.error("adhesion.policy_set", region="estrie", charter="2024")["field"], "categories")

    def test_membership_lapses_when_the_policy_renews_and_is_renewed(self):
        cdc = self.submit("CDC Matawinie", "communautaire")
        waiting = self.submit("Comité citoyen de Rawdon", "citoyens", email="comite@rawdon.example.org")
        self.c.ok("notify.subscribe", address="ca@tpdsl.example.org", region="lanaudiere", events=["adhesion.pending"])
        sub = subscriber(self.d.events, "lanaudiere/")
        sync_subscriber(sub, self.c, "lanaudiere")
        self.clock.set("@2027-11-23 10:00:00")  # a year and a day
        while True:
            topic, event = recv_event(sub)
            if topic == "lanaudiere/adhesion.lapsed":
                break
        sub.close()
        self.assertEqual(self.c.ok("adhesion.show", id=cdc["id"])["state"], "lapsed")
        # Staff hear of the application still waiting, once, without a person in it.
        notice = self.mails_to("ca@tpdsl.example.org", 1)[0]
        self.assertEqual(str(notice["Subject"]), "Demandes d'adhésion en attente (Lanaudière)")
        self.assertIn("1 demande(s) d'adhésion attendent une décision ; la plus ancienne depuis 366 jours.",
                      notice.get_content())
        types = [e["type"] for e in self.c.ok("events.since", since=0, limit=1000)["events"]]
        self.assertEqual(types.count("adhesion.pending"), 1)
        self.assertEqual(self.c.ok("adhesion.show", id=waiting["id"])["state"], "submitted")
        self.assertEqual(self.count()[-1][0], 0.0)
        self.assertIn("adhésion échue", self.count()[-1][1])
        subjects = [str(m["Subject"]) for m in self.mails_to("direction@exemple.org", 3)]
        self.assertIn("L'adhésion de CDC Matawinie est à renouveler", subjects)
        self.c.ok("adhesion.renew", id=cdc["id"])
        self.assertEqual(self.count()[-1][0], 1.0)
        # A new charter: members sign the version in force, not another.
        self.c.ok("adhesion.policy_set", region="lanaudiere", charter="2027", categories=CATEGORIES)
        self.assertEqual(self.c.error("adhesion.sign", id=cdc["id"], charter="2024")["field"], "charter")
        self.assertEqual(self.c.ok("adhesion.sign", id=cdc["id"], charter="2027")["charter"], "2027")

    def test_dates_are_the_days_of_quebec(self):
        self.clock.set("@2026-11-22 21:00:00")  # the node's time zone: 02:00 on the 23rd in UTC
        app = self.submit("CDC d'Autray", "communautaire")
        listed = [a for a in self.c.ok("adhesion.list", region="lanaudiere") if a["id"] == app["id"]][0]
        self.assertEqual((listed["submitted"], listed["member_since"]), ("2026-11-22", "2026-11-22"))
        rows = list(csv.reader(io.StringIO(self.c.ok("adhesion.export", region="lanaudiere")["text"])))
        self.assertEqual(rows[1][6], "2026-11-22")

    def test_the_same_organisation_twice_is_flagged_not_doubled(self):
        pairs = [  # (first, second, same?)
            ("Corporation de développement communautaire de Joliette inc.",
             "CORPORATION DE DEVELOPPEMENT COMMUNAUTAIRE DE JOLIETTE", True),
            ("Centre d'action bénévole Montcalm", "Centre d’Action Bénévole de Montcalm", True),
            ("Maison des jeunes L'Évasion, Ltée", "maison des jeunes l evasion", True),
            ("Table des aînés", "Table des aînés de Matawinie", False),
            ("Action famille Lanoraie", "Action familles Lanoraie", False),
        ]
        for i, (first, second, same) in enumerate(pairs):
            a = self.submit(first, "communautaire", email="a%d@exemple.org" % i)
            b = self.submit(second, "communautaire", email="b%d@exemple.org" % i)
            self.assertEqual(b["duplicate_of"], a["id"] if same else None, (first, second))
            # A duplicate is never accepted by itself: a person looks at it.
            self.assertEqual(b["state"], "submitted" if same else "member", (first, second))
        self.assertEqual(self.c.ok("adhesion.members", region="lanaudiere")["members"], 7)

    def test_no_personal_field_is_published(self):
        sub = subscriber(self.d.events, "")
        sync_subscriber(sub, self.c, "lanaudiere")
        a = self.submit("Organisme A", "communautaire", email="personne.a@prive.example.org",
                        contact_name="Gisèle Privée", motivation="Motivation confidentielle")
        b = self.submit("Organisme B", "clds", email="personne.b@prive.example.org", contact_name="Réjean Caché")
        self.c.ok("adhesion.decide", id=b["id"], decision="needs_info", reason="Une résolution")
        self.c.ok("adhesion.withdraw", id=a["id"])
        self.c.ok("adhesion.erase", id=a["id"])
        self.c.ok("region.update", id="lanaudiere")  # a last event: everything before it has arrived
        frames = []
        while True:
            frame = sub.recv_multipart()
            frames.append(b"".join(frame))
            if frame[0] == b"lanaudiere/region.updated" and len(frames) > 5:
                break
        sub.close()
        published = b"".join(frames) + repr(self.c.ok("events.since", since=0, limit=1000)).encode()
        self.assertIn(b"adhesion.submitted", published)
        self.assertIn("Organisme A".encode(), published)
        for secret in ("personne.a@prive.example.org", "personne.b@prive.example.org", "Gisèle Privée",
                       "Réjean Caché", "Motivation confidentielle"):
            self.assertNotIn(secret.encode(), published, secret)

    def stored(self):
        """The adhesion tables and the event log (the notify plugin's own
        cursor moves by itself meanwhile)."""
        return {t: rows for t, rows in self.d.snapshot().items() if t.startswith("adhesion_") or t == "events"}

    def test_bad_input_names_the_field_and_stores_nothing(self):
        before = self.stored()
        for args, field in (({"category": "amis"}, "category"), ({"charter": "2019"}, "charter"),
                            ({"contact_email": ""}, "contact_email"), ({"contact_name": ""}, "contact_name"),
                            ({"contact_email": "pas-une-adresse"}, "contact_email"),
                            ({"contact_email": "a@b"}, "contact_email"), ({"territory": ""}, "territory"),
                            ({"organisation": ""}, "organisation")):
            full = dict(region="lanaudiere", organisation="Organisme", category="communautaire",
                        territory="Joliette", contact_name="Nom", contact_email="a@exemple.org", charter="2024")
            full.update(args)
            err = self.c.error("adhesion.submit", **full)
            self.assertEqual((err["code"], err["field"]), ("invalid_argument", field), args)
        err = self.c.error("adhesion.submit", region="mauricie", organisation="X")
        self.assertEqual((err["code"], err["field"]), ("not_found", "region"))
        err = self.c.error("adhesion.submit", region="lanaudiere", organisation="O", category="amis",
                           contact_name="N", contact_email="a@exemple.org", charter="2024", territory="J")
        self.assertIn("clds, grande-table, citoyens, communautaire, autochtones", err["message"])
        self.assertEqual(self.stored(), before)

    def test_concertctl_from_a_form_file(self):
        form = os.path.join(self.folder, "demande.txt")
        with open(form, "w", encoding="utf-8") as f:
            f.write("Organisme : Centre de femmes Montcalm\nCatégorie : communautaire\nTerritoire : Montcalm\n"
                    "Personne-ressource : Josée Côté\nCourriel : josee@femmes-montcalm.example.org\n"
                    "Charte : 2024\nMotivation : Agir ensemble contre la pauvreté\net l'exclusion.\n")
        base = [CONCERTCTL, "--endpoint", self.d.command, "--events", self.d.events]
        r = subprocess.run(base + ["adhesion", "submit", "lanaudiere", "--form", "@" + form], capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        app = self.c.ok("adhesion.list", region="lanaudiere")[0]
        self.assertEqual((app["organisation"], app["contact_name"], app["contact_email"], app["state"]),
                         ("Centre de femmes Montcalm", "Josée Côté", "josee@femmes-montcalm.example.org", "member"))
        self.assertEqual(self.c.ok("adhesion.show", id=app["id"])["motivation"],
                         "Agir ensemble contre la pauvreté\net l'exclusion.")
        r = subprocess.run(base + ["adhesion", "members", "lanaudiere"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Organismes communautaires", r.stdout.decode())


class ATableOpensMembership(unittest.TestCase):
    """The issue's "done when": a table (Lanaudière, its plan imported from its
    text, with "Adhésion de 200 membres") opens membership with its charter;
    applications arrive (text forms, with concertctl) and are decided in one
    place; applicants hear back; staff hear of each new one; the plan's
    membership target shows how far it is."""

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        self.clock = FakeClock(self.folder, "@2026-11-22 15:00:00")
        self.mail = Mailbox(free_port())
        self.mail.start()
        config = ("[node]\ntimezone = America/Toronto\n[plugins]\npath = %s\nload = notify, adhesion\n"
                  "[plugin.notify]\nsmtp_url = smtp://127.0.0.1:%d\ntls = none\npump_ms = 50\n"
                  "from = Table des partenaires de Lanaudière <tpdsl@example.org>\n" % (PLUGINS, self.mail.port))
        self.d = Daemon(folder=self.folder, config=config, env=self.clock.env()).start()
        self.c = self.d.client()

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.assertEqual(personal_data(self.d.log_text(), PERSONAL), [])
        self.d.cleanup()
        self.mail.stop()

    def ctl(self, *args):
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--events", self.d.events] + list(args),
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r.stdout.decode()

    def file(self, name, text):
        path = os.path.join(self.folder, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return "@" + path

    def test_from_opening_to_the_target(self):
        seeds = os.path.join(os.path.dirname(SOURCE), "shared", "seeds")
        if not os.path.isdir(seeds):
            seeds = os.path.join(SOURCE, "tests", "fixtures", "seeds")
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        self.ctl("import", "--region", "lanaudiere", os.path.join(seeds, "001_1e99cf7335cf62a6.txt"))
        target = [i for i in self.c.ok("indicator.list", region="lanaudiere") if i["name"] == "Nombre de membres"]
        self.assertEqual(target[0]["target"], 200)
        # Membership opens: the charter and the categories of the plan, from a file.
        self.ctl("adhesion", "policy_set", "lanaudiere", "--charter", "2024", "--categories", self.file(
            "categories.txt", "# id ; nom ; décision\nclds ; CLDS et leurs membres ; board\n"
                              "grande-table ; Partenaires régionaux de la Grande Table ; board\n"
                              "citoyens ; Comité citoyen ; board\ncommunautaire ; Organismes communautaires ; auto\n"
                              "autochtones ; Communautés autochtones et culturelles ; board\n"))
        self.c.ok("notify.subscribe", address="coordination@tpdsl.example.org", region="lanaudiere",
                  events=["adhesion.submitted"])
        forms = [("CDC Brandon", "communautaire", "cdc@brandon.example.org"),
                 ("CLDS de la MRC de Joliette", "clds", "clds@joliette.example.org"),
                 ("Conseil des Atikamekw de Manawan", "autochtones", "conseil@manawan.example.org")]
        for organisation, category, email in forms:
            self.ctl("adhesion", "submit", "lanaudiere", "--form", self.file(
                "demande.txt", "Organisme : %s\nCatégorie : %s\nPersonne-ressource : Alex Tremblay\n"
                               "Courriel : %s\nCharte : 2024\n" % (organisation, category, email)))
        pending = self.ctl("adhesion", "list", "lanaudiere", "--state", "submitted")
        self.assertIn("CLDS de la MRC de Joliette", pending)
        self.assertIn("Conseil des Atikamekw de Manawan", pending)
        self.assertNotIn("CDC Brandon", pending)  # accepted at once by the policy
        for app in self.c.ok("adhesion.list", region="lanaudiere", state="submitted"):
            self.ctl("adhesion", "decide", "--id", str(app["id"]), "--decision", "accepted")
        # Applicants heard back; staff heard of each application, without a person in it.
        self.mail.wait(3 * 2 + 3)
        by = {}
        for rcpt, m in self.mail.messages:
            by.setdefault(rcpt[0], []).append(str(m["Subject"]))
        for organisation, _, email in forms:
            self.assertIn("Demande d'adhésion reçue : %s" % organisation, by[email])
            self.assertIn("Bienvenue : %s est membre" % organisation, by[email])
        staff = [m for rcpt, m in self.mail.messages if rcpt == ["coordination@tpdsl.example.org"]]
        self.assertEqual(sorted(str(m["Subject"]) for m in staff),
                         sorted("Nouvelle demande d'adhésion : %s (Lanaudière)" % f[0] for f in forms))
        for m in staff:
            self.assertNotIn("Alex Tremblay", m.get_content())
            self.assertNotIn("@", m.get_content().split("--")[0])
        # The plan shows how far the target is.
        self.assertIn("Indicateur : Nombre de membres (cible 200 membres) : 3 au 2026-11-22", self.ctl("plan", "show", "lanaudiere"))
        members = self.ctl("adhesion", "members", "lanaudiere")
        self.assertRegex(members, r"Membres\s*: 3")


if __name__ == "__main__":
    unittest.main(verbosity=2)
