"""The tables' own documents imported as they are: the three seed plans as
Word documents shaped like their originals, and the same converted by
LibreOffice to .odt (tests/fixtures/documents/make_documents.py made them),
each import to exactly the plan its text export gives; concertctl sends a
document as it is and the report names places in it; bad documents are
refused in words with nothing stored and the daemon unharmed."""
import io
import os
import subprocess
import tempfile
import unittest
import zipfile

from harness import CONCERTCTL, SOURCE, Daemon

SEEDS = os.path.join(SOURCE, "tests", "fixtures", "seeds")
DOCUMENTS = os.path.join(SOURCE, "tests", "fixtures", "documents")
NAMES = {"001": "001_1e99cf7335cf62a6", "002": "002_8d4e2690f11dde69", "003": "003_bcd448e914cacf62"}


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def word_zip(document_xml, more=None):
    """A .docx made by hand: the parts a Word document has, with document_xml as word/document.xml."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                          'package/2006/content-types"/>')
        if document_xml is not None:
            z.writestr("word/document.xml", document_xml)
        for name, data in (more or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


class Documents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config="[bus]\nmax_message_size = 262144\n").start()
        cls.c = cls.d.client()
        cls.c.ok("region.create", id="lanaudiere", name="Lanaudière")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        code = cls.d.stop()
        assert code == 0, cls.d.log_text()[-4000:]
        cls.d.cleanup()

    def dry(self, **args):
        reply = self.c.call("plan.import", dict(region="lanaudiere", dry_run=True, **args), timeout=60000)
        self.assertTrue(reply["ok"], reply)
        return reply["result"]

    def refused(self, data, *words):
        """Refused with one of words in the message; nothing stored; the daemon answers."""
        reply = self.c.call("plan.import", {"region": "lanaudiere", "format": "office", "text": data}, timeout=60000)
        self.assertFalse(reply["ok"], reply)
        self.assertEqual((reply["error"]["code"], reply["error"]["field"]), ("invalid_argument", "text"))
        self.assertTrue(any(w in reply["error"]["message"] for w in words), reply["error"]["message"])
        self.assertEqual(self.c.ok("plan.list", region="lanaudiere"), [])  # nothing stored
        self.c.ok("node.info")  # and the daemon answers
        return reply["error"]["message"]

    def test_each_seed_as_word_and_libreoffice_imports_to_the_plan_of_its_text(self):
        for key, name in NAMES.items():
            text = self.dry(format="table", text=read(os.path.join(SEEDS, name + ".txt"), "r"))
            want = text["document"]
            for ext in ("docx", "odt"):
                read_back = self.dry(format="office", text=read(os.path.join(DOCUMENTS, key + "." + ext)))
                got = read_back["document"]
                for part in ("plan", "orientations", "objectives", "actions", "indicators"):
                    self.assertEqual(got[part], want[part], "%s.%s: %s" % (key, ext, part))
                # and the region's glossary from its acronyms (Lanaudière's 23)
                self.assertEqual(read_back["glossary"], text["glossary"], "%s.%s: glossary" % (key, ext))
        self.assertEqual(len(want["actions"]), 30)  # the last seed, Mauricie: a real plan, not an empty one

    def test_a_pdf_as_word_and_libreoffice_export_it(self):
        # The seeds' numbered list (002) and tables of three columns (003), and Word's own list numbers (004), as
        # LibreOffice exports them to PDF: each the plan of its text.
        texts = {"002": os.path.join(SEEDS, NAMES["002"] + ".txt"), "003": os.path.join(SEEDS, NAMES["003"] + ".txt"),
                 "004": os.path.join(DOCUMENTS, "004.txt")}
        for key, text in texts.items():
            want = self.dry(format="table", text=read(text, "r"))["document"]
            got = self.dry(format="office", text=read(os.path.join(DOCUMENTS, key + ".pdf")))
            self.assertEqual(got["document"], want, key)
            self.assertTrue(all(r.get("where", "page").startswith("page") for r in got["report"]), got["report"])
        # Lanaudière's dense grid (eleven columns, the year grid's "An 1" stacked letter by letter, the header
        # repeated atop every page, rows cut by page breaks): its structure reads as its Word document's does.
        word_read = self.dry(format="office", text=read(os.path.join(DOCUMENTS, "001.docx")))
        pdf_read = self.dry(format="office", text=read(os.path.join(DOCUMENTS, "001.pdf")))
        word, pdf = word_read["document"], pdf_read["document"]
        self.assertEqual(pdf_read["glossary"], word_read["glossary"])  # its table of acronyms, row by row
        self.assertEqual(pdf["orientations"], word["orientations"])
        self.assertEqual([(o["number"], o["orientation"]) for o in pdf["objectives"]],
                         [(o["number"], o["orientation"]) for o in word["objectives"]])
        self.assertEqual([(a["number"], a["objective"]) for a in pdf["actions"]],
                         [(a["number"], a["objective"]) for a in word["actions"]])
        pdf_actions = {a["number"]: a for a in pdf["actions"]}
        self.assertEqual([a["schedule"] for a in word["actions"] if a["number"] in ("2.1", "2.7", "6.5")],
                         [pdf_actions[n]["schedule"] for n in ("2.1", "2.7", "6.5")])  # read from its X grid
        # 008: a plain table on portrait pages, cells wrapped over page breaks, lines that begin with a number
        # inside a cell ("…de l'objectif" / "1.2 avec…"): the plan of its Word document, exactly.
        word = self.dry(format="office", text=read(os.path.join(DOCUMENTS, "008.docx")))["document"]
        self.assertEqual(len(word["actions"]), 60)
        for ext in ("odt", "pdf"):
            got = self.dry(format="office", text=read(os.path.join(DOCUMENTS, "008." + ext)))["document"]
            for part in ("plan", "orientations", "objectives", "actions"):
                self.assertEqual(got[part], word[part], "008.%s: %s" % (ext, part))
        # A PDF without text (a scan), a damaged one, one of more pages than any plan has: refused in words.
        scan = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
                b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
        self.refused(scan, "n'a pas de texte (un document numérisé ?)")
        self.refused(b"%PDF-1.4\ngarbage", "PDF illisible")
        kids = " ".join("%d 0 R" % (i + 3) for i in range(501))
        pages = b"".join(b"%d 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n" % (i + 3) for i in range(501))
        many = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[" + kids.encode() +
                b"]/Count 501>>endobj\n" + pages + b"trailer<</Root 1 0 R>>\n%%EOF\n")
        self.refused(many, "PDF de 501 pages")
        # 004 exported by LibreOffice with a password to open it
        self.refused(read(os.path.join(DOCUMENTS, "004-locked.pdf")), "PDF protégé par un mot de passe")

    def test_numbers_word_draws_are_read_as_written(self):
        # 004: orientations and actions numbered by Word's lists ("1.", "1.1."), not typed.
        want = self.dry(format="table", text=read(os.path.join(DOCUMENTS, "004.txt"), "r"))["document"]
        self.assertEqual([(a["number"], a["objective"]) for a in want["actions"]],
                         [("1.1", "1"), ("1.2", "1"), ("2.1", "2"), ("2.2", "2"), ("2.3", "2")])
        for ext in ("docx", "odt"):
            got = self.dry(format="office", text=read(os.path.join(DOCUMENTS, "004." + ext)))["document"]
            self.assertEqual(got, want, ext)

    def test_a_spreadsheet_imports_as_its_csv(self):
        # 005: the plan kept in a sheet, orientation and objective merged down, a real date, a title row.
        want = self.dry(format="csv", text=read(os.path.join(DOCUMENTS, "005.csv"), "r"))["document"]
        self.assertEqual(want["plan"]["title"], "Plan d'action 2018-2023")  # from the row above the columns
        self.assertEqual(want["actions"][3]["schedule"], "2019-06-30")
        for ext in ("xlsx", "ods"):
            got = self.dry(format="office", text=read(os.path.join(DOCUMENTS, "005." + ext)))["document"]
            self.assertEqual(got, want, ext)
        xlsx = read(os.path.join(DOCUMENTS, "005.xlsx"))
        reply = self.c.call("plan.import", {"region": "lanaudiere", "format": "office", "text": xlsx,
                                            "sheet": "Budget"})
        self.assertIn("pas de feuille « Budget » dans ce classeur (il a : « Plan d'action », « Notes »)",
                      reply["error"]["message"])
        reply = self.c.call("plan.import", {"region": "lanaudiere", "format": "office", "text": xlsx,
                                            "sheet": "Notes"})
        self.assertIn("ne nomme ses colonnes", reply["error"]["message"])

    def test_items_of_a_cell_pair_with_the_items_beside_them(self):
        # 006: three actions in one cell (bulleted), three échéances and three états beside them.
        got = self.dry(format="office", text=read(os.path.join(DOCUMENTS, "006.docx")))["document"]
        self.assertEqual([(a["number"], a["text"], a["schedule"], a["status"]) for a in got["actions"]],
                         [("1.1", "Tenir un forum régional", "Automne 2019", "done"),
                          ("1.2", "Publier un bulletin", "Hiver 2020", "in_progress"),
                          ("1.3", "Créer un comité de suivi", "En continu", "planned")])

    def test_the_report_names_places_in_the_document_not_lines(self):
        # Mauricie's Word document: its bullet summary (paragraphs) replaced by its tables, each place named.
        got = self.dry(format="office", text=read(os.path.join(DOCUMENTS, "003.docx")))
        superseded = [(r["where"], r["message"]) for r in got["report"] if r["kind"] == "superseded"]
        self.assertEqual(superseded[0], ("paragraphe 1", "résumé de l'orientation 1 (fin : paragraphe 10), remplacé par "
                                                         "son tableau détaillé (tableau 1, rangée 1)"))
        self.assertFalse([r for r in got["report"] if "ligne" in r["message"]], got["report"])

    def test_a_note_saying_what_bold_means_gives_the_bold_actions_their_state(self):
        # 007: "Les actions inscrites en caractères gras sont réalisées ou en cours"; 1.1, 1.3 and 2.2 in bold, 2.1
        # with one bold word only, 2.3 in bold with its own état (Reporté), which stays.
        want = [("1.1", "in_progress"), ("1.2", "planned"), ("1.3", "in_progress"), ("2.1", "planned"),
                ("2.2", "in_progress"), ("2.3", "postponed")]
        for name in ("007.docx", "007.odt"):
            got = self.dry(format="office", text=read(os.path.join(DOCUMENTS, name)))
            self.assertEqual([(a["number"], a["status"]) for a in got["document"]["actions"]], want, name)
            said = [r for r in got["report"] if "gras" in r["text"]]
            self.assertEqual([(r["where"], r["kind"]) for r in said], [("paragraphe 2", "assumed")], name)
            self.assertIn("3 action(s) en gras dans le document (1.1, 1.3, 2.2) : l'état « en cours »",
                          said[0]["message"])
        # A copied text keeps no bold: the states stay the table's, and the report says how to have them.
        text = ("Plan d'action 2024-2027\nLes actions réalisées sont en gras.\nObjectif\tActions\tÉchéance\n"
                "1. Mieux se connaître\t1.1 Dresser le portrait des organismes membres\tAn 1\n")
        got = self.dry(format="table", text=text)
        self.assertEqual([a["status"] for a in got["document"]["actions"]], ["planned"])
        self.assertTrue(any("importez le document lui-même" in r["message"] for r in got["report"]), got["report"])

    def test_an_indicator_beside_several_actions_goes_where_its_words_say_and_the_report_says_so(self):
        text = ("Plan d'action 2024-2027\nObjectif\tActions\tIndicateurs\n"
                "1. Informer les membres\t1.1 Tenir un forum régional<p>1.2 Publier un bulletin trimestriel\t"
                "Nombre de bulletins publiés\n"
                "2. Mobiliser\t2.1 Recruter des bénévoles<p>2.2 Tenir une assemblée\tTaux de satisfaction\n")
        got = self.dry(format="table", text=text)
        self.assertEqual([(i["action"], i["name"]) for i in got["document"]["indicators"]],
                         [("1.2", "Nombre de bulletins publiés"), ("2.1", "Taux de satisfaction")])
        said = {r["text"]: r["message"] for r in got["report"] if r["kind"] == "assumed"}
        self.assertIn("(1.1 à 1.2) : rattaché à 1.2, que ses mots désignent", said["Nombre de bulletins publiés"])
        self.assertIn("(2.1 à 2.2), dont ses mots ne désignent aucune en particulier : rattaché à la première, 2.1",
                      said["Taux de satisfaction"])

    def test_the_declared_format_is_a_hint_the_content_decides(self):
        odt = read(os.path.join(DOCUMENTS, "002.odt"))
        self.assertEqual(len(self.dry(format="docx", text=odt)["document"]["actions"]), 9)

    def test_concertctl_sends_the_document_and_the_report_names_places(self):
        self.c.ok("region.create", id="mauricie", name="Mauricie")
        base = [CONCERTCTL, "--endpoint", self.d.command, "import", "--region", "mauricie"]
        path = os.path.join(DOCUMENTS, "001.docx")
        r = subprocess.run(base + ["--dry-run", path], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertIn("paragraphe 1 [contexte]", out)  # a place in the document, not a line number
        self.assertNotIn("ligne 1 ", out)
        self.assertEqual(self.c.ok("plan.list", region="mauricie"), [])
        r = subprocess.run(base + [path], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = self.c.ok("plan.list", region="mauricie")[0]
        self.assertEqual(len(self.c.ok("action.list", region="mauricie")), 36)
        # Again: the same plan, nothing duplicated.
        again = self.c.call("plan.import", {"region": "mauricie", "format": "office", "text": read(path),
                                            "dry_run": True}, timeout=60000)["result"]
        self.assertEqual((again["plan"], again["created"]["actions"], again["updated"]["actions"]),
                         (plan["id"], 0, 0))
        # The document was read off the daemon's loop, then imported in a batch.
        self.assertIn("requête préparée hors de la boucle", self.d.log_text())

    def test_bad_documents_are_refused_in_words(self):
        self.refused(b"PK\x03\x04 ce n'est pas une archive", "archive illisible")
        self.refused(word_zip(None), "ni un document Word")
        self.refused(word_zip("<w:document %s><w:body><w:p><w:r><w:t>Plan" % W), "n'est pas du XML bien formé")
        self.refused(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 600, "chiffré")
        self.refused(b"%PDF-1.7\n", "PDF")
        # External entities and entity bombs: a DTD is refused before anything is read.
        xxe = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               '<w:document %s><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>' % W)
        self.assertNotIn("root:", self.refused(word_zip(xxe), "DTD"))
        laughs = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                  '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY e "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
                  '<w:document %s><w:body><w:p><w:r><w:t>&e;</w:t></w:r></w:p></w:body></w:document>' % W)
        self.refused(word_zip(laughs), "DTD", "entity reference loop")  # libxml2 may stop it first
        # A zip bomb: 80 MB of spaces, a few dozen kilobytes compressed.
        bomb = word_zip("<w:document %s><w:body>%s</w:body></w:document>" % (W, " " * (80 << 20)))
        self.assertLess(len(bomb), 200000)
        self.refused(bomb, "bombe zip", "64 Mio permis")
        # An encrypted LibreOffice document says so.
        odt = io.BytesIO()
        with zipfile.ZipFile(odt, "w") as z:
            z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            z.writestr("META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
                                                'xmlns:manifest:1.0"><manifest:file-entry manifest:full-path='
                                                '"content.xml"><manifest:encryption-data/></manifest:file-entry>'
                                                '</manifest:manifest>')
            z.writestr("content.xml", b"\x8f\x02\x11 (chiffre)")
        self.refused(odt.getvalue(), "document LibreOffice chiffré")

    def test_a_file_larger_than_a_message_is_said_before_it_is_sent(self):
        folder = tempfile.mkdtemp(prefix="concertd-doc-")
        path = os.path.join(folder, "plan-avec-images.docx")
        with open(path, "wb") as f:  # a plan with its images: over the 256 KiB this daemon takes
            f.write(word_zip("<w:document %s><w:body/></w:document>" % W,
                             {"word/media/image1.png": os.urandom(400000)}))
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "import", "--region", "lanaudiere", path],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("max_message_size", r.stderr.decode())
        self.assertIn("0.4 Mio", r.stderr.decode().replace(",", "."))
        os.remove(path)
        os.rmdir(folder)


if __name__ == "__main__":
    unittest.main()
