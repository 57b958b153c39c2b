"""The web pages in a real browser: Debian's chromium, headless, driven by
python3-selenium through chromium-driver. The region page shows what
concertctl shows; a change made with concertctl appears on an open page
without a reload; hostile plan texts run nothing; the page fits a 360 px
phone. A screenshot of each page is saved in the test's folder (its path
printed)."""
import json
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness import CONCERTCTL, PATIENCE, PLUGINS, Daemon, free_port, seed_text

STATES_FR = {"planned": "prévue", "in_progress": "en cours", "done": "réalisée", "ongoing": "en continu",
             "postponed": "reportée", "cancelled": "annulée"}


def browser(folder, width, height):
    o = Options()
    o.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--user-data-dir=" + tempfile.mkdtemp(dir=folder), "--window-size=%d,%d" % (width, height)):
        o.add_argument(a)
    o.add_experimental_option("prefs", {"intl.accept_languages": "fr-CA,fr"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=o)


class Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="concertd-browser-")
        cls.port = free_port()
        config = "[plugins]\npath = %s\nload = adhesion, web\n[plugin.web]\nlisten = 127.0.0.1:%d\n" % (PLUGINS, cls.port)
        cls.d = Daemon(config=config).start()
        cls.c = cls.d.client()
        cls.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        cls.c.ok("plan.import", region="lanaudiere", format="table", text=seed_text())
        cls.b = browser(cls.folder, 1280, 1000)
        cls.b.set_page_load_timeout(30 * PATIENCE)

    @classmethod
    def tearDownClass(cls):
        cls.b.quit()
        cls.c.close()
        assert cls.d.stop() == 0, cls.d.log_text()
        cls.d.cleanup()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def ctl(self, *args):
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "--timeout", str(5000 * PATIENCE)] + list(args),
                           capture_output=True, timeout=60 * PATIENCE)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r.stdout.decode()

    def shot(self, driver, name):
        path = os.path.join(self.folder, name + ".png")
        driver.save_screenshot(path)
        print("capture d'écran : %s" % path)

    def state_of(self, number):
        return self.b.execute_script(
            "var r = document.getElementById(arguments[0]); return r ? r.querySelector('.state').textContent : null;",
            "action-" + number)

    def test_the_region_page_shows_what_concertctl_shows(self):
        actions = json.loads(self.ctl("--json", "action", "list", "lanaudiere"))
        self.b.get(self.url("/r/lanaudiere"))
        self.assertEqual(self.b.find_element(By.TAG_NAME, "h1").text, "Lanaudière")
        rows = self.b.find_elements(By.CSS_SELECTOR, "tr[id^='action-']")
        self.assertEqual(sorted(r.get_attribute("id")[len("action-"):] for r in rows),
                         sorted(a["number"] for a in actions))
        for a in actions:
            self.assertEqual(self.state_of(a["number"]), STATES_FR[a["status"]], a["number"])
        shown = {r.get_attribute("id")[len("action-"):]: r.find_elements(By.TAG_NAME, "td")[2].text for r in rows}
        for a in actions:  # the échéance as the plan words it
            self.assertIn(a["schedule"] or "", shown[a["number"]])
        self.shot(self.b, "plan")
        self.b.get(self.url("/"))
        self.shot(self.b, "regions")
        self.b.get(self.url("/r/lanaudiere/echeances"))
        self.shot(self.b, "echeances")

    def test_a_change_made_with_concertctl_appears_without_reload(self):
        self.b.get(self.url("/r/lanaudiere"))
        self.b.execute_script("window.sansRechargement = 'oui';")
        self.assertEqual(self.state_of("2.7"), "prévue")
        self.ctl("action", "status", "lanaudiere", "2.7", "in_progress", "--note", "Première conférence fixée")
        WebDriverWait(self.b, 10 * PATIENCE, poll_frequency=0.05).until(lambda b: self.state_of("2.7") == "en cours")
        self.assertEqual(self.b.execute_script("return window.sansRechargement;"), "oui")
        self.assertIn("Mis à jour", self.b.find_element(By.ID, "live").text)
        self.assertIn("Première conférence fixée", self.b.page_source)

    def test_hostile_plan_texts_run_nothing(self):
        c = self.c
        c.ok("region.create", id="piege", name="<script>window.pwned=1</script>Piège")
        c.ok("plan.create", region="piege", title="\"><img src=x onerror=\"window.pwned=2\">",
             mission="<a href=\"javascript:window.pwned=3\">clic</a>")
        c.ok("objective.create", region="piege", number="1", text="<svg onload=\"window.pwned=4\">")
        c.ok("action.create", region="piege", objective="1", number="1.1", text="<script>alert('xss')</script>",
             responsible="\" onmouseover=\"window.pwned=5")
        for path in ("/", "/r/piege", "/r/piege/echeances"):
            self.b.get(self.url(path))
            with self.assertRaises(NoAlertPresentException):
                self.b.switch_to.alert.text  # noqa: B018 (an alert would be there)
            self.assertIsNone(self.b.execute_script("return window.pwned;"), path)
        self.b.get(self.url("/r/piege"))
        self.assertIn("<script>alert('xss')</script>", self.b.find_element(By.ID, "action-1.1").text)
        self.shot(self.b, "piege")

    def test_a_member_applies_through_the_public_form(self):
        self.c.ok("adhesion.policy_set", region="lanaudiere", charter="2024",
                  categories=[{"id": "membre", "name": "Membre régulier", "decision": "auto"}])
        self.b.get(self.url("/r/lanaudiere/adhesion"))
        self.shot(self.b, "adhesion")
        fill = {"f-organisation": "Maison des jeunes de Joliette", "f-contact_name": "Léa Gagnon",
                "f-contact_email": "lea@example.org", "f-territory": "Joliette"}
        for field, value in fill.items():
            self.b.find_element(By.ID, field).send_keys(value)
        self.b.find_element(By.ID, "f-charter").click()
        self.b.find_element(By.ID, "f-consent").click()
        self.b.find_element(By.CSS_SELECTOR, "form.membership button[type=submit]").click()
        WebDriverWait(self.b, 10 * PATIENCE).until(lambda b: b.current_url.endswith("/r/lanaudiere/adhesion/merci"))
        self.assertIn("est enregistrée", self.b.find_element(By.TAG_NAME, "main").text)
        listed = self.ctl("adhesion", "list", "lanaudiere")
        self.assertIn("Maison des jeunes de Joliette", listed)
        self.assertIn("lea@example.org", listed)

    def test_a_coordinator_logs_in_and_changes_a_state_seen_by_concertctl_tail(self):
        secret = os.path.join(self.folder, "mdp.txt")
        with open(secret, "w") as f:
            f.write("jeudi-matin-2027\n")
        self.ctl("web", "user", "add", "--region", "lanaudiere", "--email", "marie@tpdsl.org", "--role", "coordination",
                 "--password-file", secret)
        tail = subprocess.Popen([CONCERTCTL, "--endpoint", self.d.command, "--events", self.d.events, "--json", "tail",
                                 "lanaudiere"], stdout=subprocess.PIPE)
        try:
            self.b.get(self.url("/r/lanaudiere/connexion"))
            self.b.find_element(By.ID, "f-email").send_keys("marie@tpdsl.org")
            self.b.find_element(By.ID, "f-password").send_keys("jeudi-matin-2027")
            self.b.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            WebDriverWait(self.b, 10 * PATIENCE).until(lambda b: b.current_url.endswith("/r/lanaudiere"))
            self.assertIn("marie@tpdsl.org (coordination)", self.b.find_element(By.TAG_NAME, "header").text)
            # A second browser, a member of the public reading the same plan.
            other = browser(self.folder, 1000, 800)
            other.get(self.url("/r/lanaudiere"))
            other.execute_script("window.sansRechargement = 'oui';")
            row = self.b.find_element(By.ID, "action-3.3")
            row.find_element(By.CSS_SELECTOR, "details.staff summary").click()
            row.find_element(By.CSS_SELECTOR, "select[name=status] option[value=in_progress]").click()
            row.find_element(By.CSS_SELECTOR, "textarea[name=note]").send_keys("Première rencontre des CLDS fixée")
            self.shot(self.b, "coordination")
            row.find_element(By.CSS_SELECTOR, "details.staff button[type=submit]").click()
            WebDriverWait(self.b, 10 * PATIENCE, poll_frequency=0.05).until(lambda b: self.state_of("3.3") == "en cours")
            self.assertIn("Première rencontre des CLDS fixée", self.b.page_source)
            try:  # the other browser sees it too, live, with who wrote the note, and no control
                WebDriverWait(other, 10 * PATIENCE, poll_frequency=0.05).until(lambda o: o.execute_script(
                    "return document.getElementById('action-3.3').querySelector('.state').textContent") == "en cours")
                self.assertEqual(other.execute_script("return window.sansRechargement;"), "oui")
                self.assertIn("web:marie@tpdsl.org", other.execute_script(  # in the row's notes (folded)
                    "return document.getElementById('action-3.3').textContent"))
                self.assertFalse(other.find_elements(By.CSS_SELECTOR, "details.staff"))
            finally:
                other.quit()
            deadline = time.monotonic() + 10 * PATIENCE
            line = b""
            while time.monotonic() < deadline and b"action.status_changed" not in line:
                ready, _, _ = select.select([tail.stdout], [], [], 0.5)
                if ready:
                    line = tail.stdout.readline()
            event = json.loads(line)
            self.assertEqual((event["type"], event["actor"]), ("action.status_changed", "web:marie@tpdsl.org"))
        finally:
            tail.terminate()
            tail.wait(10)

    def test_a_phone_reads_the_plan_without_sideways_scrolling(self):
        phone = browser(self.folder, 360, 800)
        try:
            phone.get(self.url("/r/lanaudiere"))
            width = phone.execute_script("return document.documentElement.scrollWidth;")
            inner = phone.execute_script("return window.innerWidth;")
            self.assertLessEqual(width, inner)
            label = phone.execute_script(
                "return getComputedStyle(document.querySelector('tr[id^=action-] td'), '::before').content;")
            self.assertIn("Moyen d", label)  # each cell says what it is
            self.shot(phone, "plan-360px")
        finally:
            phone.quit()


if __name__ == "__main__":
    unittest.main()
