"""The bilan a table presents at its AGA (plan.report, concertctl plan
report): on the demo plan with a year of work — a status changed late and
one on time, notes, measurements, sessions held — the figures are right,
the .odt and the .docx open in LibreOffice (converted to PDF, its text
holds the titles and figures, and the .docx's chart its bars) and the HTML
says the same."""
import os
import shutil
import subprocess
import tempfile
import unittest
import zipfile
from xml.etree import ElementTree

from harness import CONCERTCTL, PLUGINS, SOURCE, Daemon, FakeClock

DEMO = os.path.join(SOURCE, "config", "demo", "lanaudiere.json")


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="concertd-report-")
        cls.clock = FakeClock(cls.folder, "@2019-10-15 12:00:00")  # the plan's first year just ended
        config = "[plugins]\npath = %s\nload = calendar, adhesion\n" % PLUGINS
        cls.d = Daemon(folder=cls.folder, config=config, env=cls.clock.env(), extra=["--demo", DEMO]).start()
        c = cls.c = cls.d.client()
        # A year of work: 2.1 (An 1-2) done in time, 1.2 noted, 2.7 done after its window (An 1 ended 2019-10-01).
        c.ok("action.set_status", region="lanaudiere", number="2.1", status="done", date="2019-09-20",
             note="Site en ligne")
        c.ok("action.note", region="lanaudiere", number="1.2", text="Lancement de l'adhésion au forum",
             date="2019-05-14")
        c.ok("action.set_status", region="lanaudiere", number="2.7", status="done", date="2019-10-10",
             note="Conférence tenue")
        talks = [i for i in c.ok("indicator.list", region="lanaudiere") if i["name"] == "Nombre de conférences"][0]
        c.ok("indicator.record", id=talks["id"], value=1, date="2019-06-30")
        c.ok("indicator.record", id=talks["id"], value=2, date="2019-09-30")
        a = c.ok("calendar.add", region="lanaudiere", title="Comité de coordination", start="2019-03-12T13:30",
                 repeat="le 2e mardi du mois, 3 fois")
        c.ok("calendar.held", id=a["id"], occurrence="2019-03-12T13:30", participants=14)
        c.ok("calendar.held", id=a["id"], occurrence="2019-04-09T13:30", participants=11)
        # Three members today, in two categories (auto-accepted; one withdrawn): the adhesion plugin keeps the
        # plan's "Nombre de membres" indicator equal to it, measured today.
        c.ok("adhesion.policy_set", region="lanaudiere", charter="2019", categories=[
            {"id": "communautaire", "name": "Organismes communautaires", "decision": "auto"},
            {"id": "municipal", "name": "Milieu municipal", "decision": "auto"}])
        for org, category in (("CDC de Joliette", "communautaire"), ("Maison des jeunes de Rawdon", "communautaire"),
                              ("MRC de Matawinie", "municipal"), ("Ville de Joliette", "municipal")):
            m = c.ok("adhesion.submit", region="lanaudiere", organisation=org, category=category,
                     contact_name="Marie-Ève Lafrenière", contact_email="info@exemple.org", charter="2019")
        c.ok("adhesion.withdraw", id=m["id"], reason="Fin du mandat")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        assert cls.d.stop() == 0
        cls.d.cleanup()
        shutil.rmtree(cls.folder, ignore_errors=True)

    def test_the_html_bilan_says_what_the_year_was(self):
        r = self.c.ok("plan.report", region="lanaudiere", format="html")
        self.assertEqual((r["from"], r["to"], r["filename"]), ("2018-10-16", "2019-10-15",
                                                               "bilan-lanaudiere-2019-10-15.html"))
        html = r["content"]
        self.assertIn("<h1>Bilan — Plan d'action 2018-2023</h1>", html)
        self.assertIn("Lanaudière. Période du bilan : du 16 octobre 2018 au 15 octobre 2019.", html)
        # Due this year (An 1 ended 2019-10-01): 2.1 done on 2019-09-20, in time; 2.7 on 2019-10-10, late;
        # 1.1 done by the import, on a day no note gives; eight others still open.
        self.assertIn("12 action(s) au plan : 3 réalisée(s), 1 en cours", html)
        self.assertIn("11 échéance(s) tombaient dans la période : 1 réalisée(s) à temps, 1 réalisée(s) en retard, "
                      "1 réalisée(s) à une date non notée, 8 encore ouverte(s) après leur échéance, 0 à venir.", html)
        self.assertIn("2019-05-14 : Lancement de l'adhésion au forum", html)
        self.assertIn("<td>Nombre de conférences</td><td>2.7</td><td>3</td><td>2</td><td>2019-09-30</td>"
                      "<td>67 %</td>", html)
        self.assertIn("<td>Nombre de membres</td><td>1.2</td><td>200 membres</td><td>3 membres</td>"
                      "<td>2019-10-15</td><td>2 %</td>", html)
        self.assertIn("<svg", html)  # the chart
        self.assertIn("2 séance(s) tenue(s) dans la période, 25 participation(s) en tout.", html)
        self.assertIn("<td>12 mars 2019 à 13:30</td><td>Comité de coordination</td>", html)
        self.assertIn("<h2>Les membres</h2>\n<p>3 membre(s) au 15 octobre 2019.</p>", html)
        self.assertIn("<tr><td>Organismes communautaires</td><td></td><td>2</td></tr>", html)
        self.assertIn("<tr><td>Milieu municipal</td><td></td><td>1</td></tr>", html)
        # A narrower period: only what falls in it.
        r = self.c.ok("plan.report", region="lanaudiere", format="html", **{"from": "2019-06-01", "to": "2019-06-30"})
        self.assertNotIn("Lancement de l'adhésion", r["content"])
        self.assertIn("<td>1</td><td>2019-06-30</td><td>33 %</td>", r["content"])
        err = self.c.error("plan.report", region="lanaudiere", **{"from": "2019-07-01", "to": "2019-06-30"})
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "from"))

    def convert(self, document):
        """document converted to PDF by LibreOffice, as text (pdftotext), on one line;
        the test is skipped where they are not installed."""
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        pdftotext = shutil.which("pdftotext")
        if not soffice or not pdftotext:
            self.skipTest("LibreOffice or pdftotext is not installed: the file was checked, not its rendering")
        home = tempfile.mkdtemp(prefix="lo-home-")  # LibreOffice's profile, out of the user's
        r = subprocess.run([soffice, "-env:UserInstallation=file://" + home, "--headless", "--convert-to", "pdf",
                            "--outdir", self.folder, document], capture_output=True, timeout=180)
        shutil.rmtree(home, ignore_errors=True)
        pdf = os.path.splitext(document)[0] + ".pdf"
        self.assertTrue(os.path.exists(pdf), r.stderr.decode() + r.stdout.decode())
        text = subprocess.run([pdftotext, pdf, "-"], capture_output=True, timeout=60).stdout.decode()
        return " ".join(text.split())

    EXPECTED = ("Bilan — Plan d'action 2018-2023", "En bref", "Orientation 1", "Les indicateurs",
                "Nombre de conférences", "67 %", "3 membres", "Les activités", "25 participation(s) en tout",
                "Les membres", "3 membre(s) au 15 octobre 2019", "Lancement de l'adhésion au forum")

    def write(self, name, *more):
        out = os.path.join(self.folder, name)
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "plan", "report", "lanaudiere", "--output", out]
                           + list(more), capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Bilan écrit dans %s" % out, r.stdout.decode())
        return out

    def test_the_odt_opens_in_libreoffice_with_the_figures(self):
        out = self.write("bilan.odt")
        with zipfile.ZipFile(out) as z:  # a well-formed OpenDocument: mimetype first and stored
            first = z.infolist()[0]
            self.assertEqual((first.filename, first.compress_type), ("mimetype", zipfile.ZIP_STORED))
            self.assertEqual(z.read("mimetype"), b"application/vnd.oasis.opendocument.text")
            self.assertIn("Pictures/chart1.svg", z.namelist())
            for part in z.namelist():
                if part != "mimetype":
                    ElementTree.fromstring(z.read(part))
        flat = self.convert(out)
        for expected in self.EXPECTED:
            self.assertIn(expected, flat)

    def test_the_docx_opens_in_libreoffice_with_the_figures_and_its_chart(self):
        out = self.write("bilan-word.docx")  # the format from the name
        with zipfile.ZipFile(out) as z:
            self.assertIn("word/charts/chart1.xml", z.namelist())
            for part in z.namelist():  # every part well-formed (Word refuses a file otherwise)
                ElementTree.fromstring(z.read(part))
            chart = z.read("word/charts/chart1.xml").decode()
            # the chart's bars: each indicator's share of its target, in the order of the table
            self.assertIn("<c:pt idx=\"0\"><c:v>Nombre de membres</c:v></c:pt>"
                          "<c:pt idx=\"1\"><c:v>Nombre de conférences</c:v></c:pt>", chart)
            self.assertIn("<c:pt idx=\"0\"><c:v>2</c:v></c:pt><c:pt idx=\"1\"><c:v>67</c:v></c:pt>", chart)
        flat = self.convert(out)
        for expected in self.EXPECTED:
            self.assertIn(expected, flat)
        # LibreOffice drew the chart: its labels are in the PDF besides the table's ("67 %" twice).
        self.assertGreaterEqual(flat.count("67 %"), 2, flat)
        self.assertGreaterEqual(flat.count("Nombre de conférences"), 2, flat)
        # --format says it whatever the name
        self.assertTrue(zipfile.is_zipfile(self.write("bilan-autre.odt", "--format", "docx")))
        with zipfile.ZipFile(os.path.join(self.folder, "bilan-autre.odt")) as z:
            self.assertIn("word/document.xml", z.namelist())

if __name__ == "__main__":
    unittest.main()
