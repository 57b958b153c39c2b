"""The bilan a table presents at its AGA (plan.report, concertctl plan
report): on the demo plan with a year of work — a status changed late and
one on time, notes, measurements, sessions held — the figures are right,
the .odt opens in LibreOffice (converted to PDF, its text holds the titles
and figures) and the HTML says the same."""
import os
import shutil
import subprocess
import tempfile
import unittest
import zipfile

from harness import CONCERTCTL, PLUGINS, SOURCE, Daemon, FakeClock

DEMO = os.path.join(SOURCE, "config", "demo", "lanaudiere.json")


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="concertd-report-")
        cls.clock = FakeClock(cls.folder, "@2019-10-15 12:00:00")  # the plan's first year just ended
        config = "[plugins]\npath = %s\nload = calendar\n" % PLUGINS
        cls.d = Daemon(folder=cls.folder, config=config, env=cls.clock.env(), extra=["--demo", DEMO]).start()
        c = cls.c = cls.d.client()
        # A year of work: 2.1 (An 1-2) done in time, 1.2 noted, 2.7 done after its window (An 1 ended 2019-10-01).
        c.ok("action.set_status", region="lanaudiere", number="2.1", status="done", date="2019-09-20",
             note="Site en ligne")
        c.ok("action.note", region="lanaudiere", number="1.2", text="Lancement de l'adhésion au forum",
             date="2019-05-14")
        c.ok("action.set_status", region="lanaudiere", number="2.7", status="done", date="2019-10-10",
             note="Conférence tenue")
        members = [i for i in c.ok("indicator.list", region="lanaudiere") if i["name"] == "Nombre de membres"][0]
        c.ok("indicator.record", id=members["id"], value=57, date="2019-06-30")
        c.ok("indicator.record", id=members["id"], value=83, date="2019-09-30")
        a = c.ok("calendar.add", region="lanaudiere", title="Comité de coordination", start="2019-03-12T13:30",
                 repeat="le 2e mardi du mois, 3 fois")
        c.ok("calendar.held", id=a["id"], occurrence="2019-03-12T13:30", participants=14)
        c.ok("calendar.held", id=a["id"], occurrence="2019-04-09T13:30", participants=11)

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
        self.assertIn("<td>Nombre de membres</td><td>1.2</td><td>200 membres</td><td>83 membres</td>"
                      "<td>2019-09-30</td><td>42 %</td>", html)
        self.assertIn("<svg", html)  # the chart
        self.assertIn("2 séance(s) tenue(s) dans la période, 25 participation(s) en tout.", html)
        self.assertIn("<td>12 mars 2019 à 13:30</td><td>Comité de coordination</td>", html)
        # A narrower period: only what falls in it.
        r = self.c.ok("plan.report", region="lanaudiere", format="html", **{"from": "2019-06-01", "to": "2019-06-30"})
        self.assertNotIn("Lancement de l'adhésion", r["content"])
        self.assertIn("<td>57 membres</td><td>2019-06-30</td><td>28 %</td>", r["content"])
        err = self.c.error("plan.report", region="lanaudiere", **{"from": "2019-07-01", "to": "2019-06-30"})
        self.assertEqual((err["code"], err["field"]), ("invalid_argument", "from"))

    def test_the_odt_opens_in_libreoffice_with_the_figures(self):
        out = os.path.join(self.folder, "bilan.odt")
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "plan", "report", "lanaudiere", "--output", out],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Bilan écrit dans %s" % out, r.stdout.decode())
        with zipfile.ZipFile(out) as z:  # a well-formed OpenDocument: mimetype first and stored
            first = z.infolist()[0]
            self.assertEqual((first.filename, first.compress_type), ("mimetype", zipfile.ZIP_STORED))
            self.assertEqual(z.read("mimetype"), b"application/vnd.oasis.opendocument.text")
            self.assertIn("Pictures/chart1.svg", z.namelist())
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        pdftotext = shutil.which("pdftotext")
        if not soffice or not pdftotext:
            self.skipTest("LibreOffice or pdftotext is not installed: the .odt was checked, not its rendering")
        home = tempfile.mkdtemp(prefix="lo-home-")  # LibreOffice's profile, out of the user's
        r = subprocess.run([soffice, "-env:UserInstallation=file://" + home, "--headless", "--convert-to", "pdf",
                            "--outdir", self.folder, out], capture_output=True, timeout=180)
        shutil.rmtree(home, ignore_errors=True)
        pdf = os.path.join(self.folder, "bilan.pdf")
        self.assertTrue(os.path.exists(pdf), r.stderr.decode() + r.stdout.decode())
        text = subprocess.run([pdftotext, pdf, "-"], capture_output=True, timeout=60).stdout.decode()
        flat = " ".join(text.split())
        for expected in ("Bilan — Plan d'action 2018-2023", "En bref", "Orientation 1", "Les indicateurs",
                         "Nombre de membres", "83 membres", "42 %", "Les activités", "25 participation(s) en tout",
                         "Lancement de l'adhésion au forum"):
            self.assertIn(expected, flat)


if __name__ == "__main__":
    unittest.main()
