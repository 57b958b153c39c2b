"""What the federation says about its links, as the national network's staff
need it to run a federation for years: the connecting side is told in words
when its peer refuses its key (with the key to give), when a link is lost
(WARN, with the reason) and when it comes back; a peer that never answers
is said too; federation.status carries the same reason whole."""
import csv
import io
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import CONCERTCTL, PATIENCE, PLUGINS, Daemon, free_port


def keygen(folder):
    r = subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, "noeud.key")], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().strip()


class LinkWatch(unittest.TestCase):
    def setUp(self):
        self.daemons = []
        self.rf, self.nf = tempfile.mkdtemp(prefix="concertd-e2e-"), tempfile.mkdtemp(prefix="concertd-e2e-")
        self.regional_key, self.national_key = keygen(self.rf), keygen(self.nf)
        self.ports = [free_port() for _ in range(4)]

    def tearDown(self):
        for d in self.daemons:
            if d.proc:
                self.assertEqual(d.stop(), 0)
            d.cleanup()

    def regional(self, declared_key):
        d = Daemon(node_id="tpdsl", folder=self.rf, config=(
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "[peer.rqds]\npublic_key = %s\n" % (self.ports[0], self.ports[1], declared_key)))
        self.daemons.append(d)
        return d.start()

    def national(self, extra=""):
        d = Daemon(node_id="rqds", folder=self.nf, config=(
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n%s"
            "[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "regions = lanaudiere\n" % (self.ports[2], self.ports[3], extra, self.regional_key, self.ports[0],
                                         self.ports[1])))
        self.daemons.append(d)
        return d.start()

    def until(self, daemon, text, seconds=30):
        """Waits for text in daemon's log, asking the daemon something meanwhile."""
        deadline = time.monotonic() + seconds * PATIENCE
        c = daemon.client()
        try:
            while text not in daemon.log_text():
                self.assertLess(time.monotonic(), deadline, "never logged: %r\n%s" % (text, daemon.log_text()))
                c.ok("node.info")
        finally:
            c.close()

    def test_a_key_the_peer_never_declared_is_said_on_the_connecting_side(self):
        other_key = keygen(tempfile.mkdtemp(prefix="concertd-e2e-"))
        regional = self.regional(other_key)  # declares a key that is not the national node's
        national = self.national()
        said = "tpdsl a refusé notre clé publique"
        self.until(national, said)
        line = [l for l in national.log_text().splitlines() if said in l][0]
        self.assertIn(" WARN ", line)
        self.assertIn(self.national_key, line)
        self.assertIn("[peer.rqds] public_key", line)
        self.assertIn("concertctl keygen --show", line)
        # Said once, though the peer refuses each of its two links.
        deadline = time.monotonic() + 30 * PATIENCE
        while regional.log_text().count("clé publique inconnue") < 2:
            self.assertLess(time.monotonic(), deadline, regional.log_text())
        self.assertEqual(national.log_text().count(said), 1, national.log_text())
        n = national.client()
        status = n.ok("federation.status")[0]
        n.close()
        self.assertIn(said, status["last_error"])
        self.assertIn(self.national_key, status["last_error"])
        # concertctl says it whole.
        out = subprocess.run([CONCERTCTL, "--endpoint", national.command, "federation", "status"],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(self.national_key, out.stdout.decode().replace("\n", " "))
        # The table declares the key and restarts: the national node tries again by itself.
        self.assertEqual(regional.stop(), 0)
        regional = self.regional(self.national_key)
        r = regional.client()
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        r.close()
        n = national.client()
        deadline = time.monotonic() + 60 * PATIENCE
        while not n.call("region.get", {"id": "lanaudiere"})["ok"]:
            self.assertLess(time.monotonic(), deadline, national.log_text())
        self.assertIsNone(n.ok("federation.status")[0]["last_error"])
        n.close()

    def test_a_lost_link_is_a_warning_with_its_reason_and_its_return_is_said(self):
        regional = self.regional(self.national_key)
        national = self.national()
        r = regional.client()
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        r.close()
        n = national.client()
        deadline = time.monotonic() + 30 * PATIENCE
        while not n.call("region.get", {"id": "lanaudiere"})["ok"]:
            self.assertLess(time.monotonic(), deadline, national.log_text())
        peer = n.ok("node.status")["federation"][0]
        self.assertEqual((peer["peer"], peer["connected"], peer["down_since_ms"]), ("tpdsl", True, None))
        self.assertEqual(regional.stop(), 0)
        self.until(national, "liaison perdue avec tpdsl (")
        peer = n.ok("node.status")["federation"][0]
        self.assertFalse(peer["connected"])
        self.assertIsNotNone(peer["down_since_ms"])
        n.close()
        line = [l for l in national.log_text().splitlines() if "liaison perdue avec tpdsl (" in l][0]
        self.assertIn(" WARN ", line)
        self.assertIn("reconnexion en cours", line)
        regional.start()
        self.until(national, "tpdsl de nouveau joignable (événements)")

    def test_a_silent_peer_is_said_and_e_mailed_to_the_national_staff_and_so_is_its_return(self):
        regional = self.regional(self.national_key)
        national = self.national(
            "silent_after = 2\n[plugins]\npath = %s\nload = notify\n[plugin.notify]\nsmtp_url = smtp://127.0.0.1:%d\n"
            "tls = none\nfrom = rqds@example.org\n" % (PLUGINS, free_port()))
        n = national.client()
        n.ok("notify.subscribe", address="equipe@rqds.example.org", events=["federation.*"])
        r = regional.client()
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        deadline = time.monotonic() + 30 * PATIENCE
        while not n.call("region.get", {"id": "lanaudiere"})["ok"]:
            self.assertLess(time.monotonic(), deadline, national.log_text())
        r.close()
        # Alive (its links up): never said silent, however quiet.
        self.assertNotIn("ne donne plus de nouvelles", national.log_text())
        self.assertEqual(regional.stop(), 0)
        self.until(national, "tpdsl ne donne plus de nouvelles")
        line = [l for l in national.log_text().splitlines() if "ne donne plus de nouvelles" in l][0]
        self.assertIn(" WARN ", line)
        self.assertIn("federation.peer_silent", line)
        outbox = n.ok("notify.outbox")
        self.assertEqual(len(outbox), 1, outbox)
        self.assertEqual(outbox[0]["address"], "equipe@rqds.example.org")
        self.assertEqual(outbox[0]["subject"], "Fédération : tpdsl ne donne plus de nouvelles (Lanaudière)")
        regional.start()
        self.until(national, "tpdsl donne de nouveau des nouvelles")
        subjects = sorted(m["subject"] for m in n.ok("notify.outbox"))
        self.assertEqual(subjects, ["Fédération : tpdsl donne de nouveau des nouvelles (Lanaudière)",
                                    "Fédération : tpdsl ne donne plus de nouvelles (Lanaudière)"])
        n.close()

    def test_peers_read_again_on_sighup_and_federation_reload(self):
        regional = self.regional(self.national_key)
        national = self.national()
        r, n = regional.client(), national.client()
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        r.ok("region.create", id="joliette", name="Joliette")
        deadline = time.monotonic() + 30 * PATIENCE
        while not n.call("region.get", {"id": "lanaudiere"})["ok"]:
            self.assertLess(time.monotonic(), deadline, national.log_text())
        self.assertEqual(n.error("region.get", id="joliette")["code"], "not_found")
        # The national staff take Joliette too: the file changed, a SIGHUP, no restart.
        with open(national.config) as f:
            conf = f.read()
        with open(national.config, "w") as f:
            f.write(conf.replace("regions = lanaudiere\n", "regions = lanaudiere, joliette\n"))
        national.proc.send_signal(1)
        self.until(national, "SIGHUP : [peer.*] relues")
        r.ok("region.update", id="joliette", name="Joliette (CLDS)")
        deadline = time.monotonic() + 30 * PATIENCE
        while (n.call("region.get", {"id": "joliette"}).get("result") or {}).get("name") != "Joliette (CLDS)":
            self.assertLess(time.monotonic(), deadline, national.log_text())
        self.assertEqual(n.ok("federation.status")[0]["regions"], "lanaudiere, joliette")
        # A mistake in the file: said, and the federation stays as it was.
        with open(national.config, "w") as f:
            f.write(conf.replace("public_key = %s" % self.regional_key, "public_key = pas-une-clé"))
        out = subprocess.run([CONCERTCTL, "--endpoint", national.command, "federation", "reload"],
                             capture_output=True, timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("configuration non relue", out.stderr.decode())
        self.assertIn("pas-une-clé", out.stderr.decode())
        r.ok("region.update", id="lanaudiere", name="Lanaudière toujours suivie")
        deadline = time.monotonic() + 30 * PATIENCE
        while (n.call("region.get", {"id": "lanaudiere"}).get("result") or {}).get("name") != "Lanaudière toujours suivie":
            self.assertLess(time.monotonic(), deadline, national.log_text())
        # Corrected, then read again by concertctl.
        with open(national.config, "w") as f:
            f.write(conf)
        out = subprocess.run([CONCERTCTL, "--endpoint", national.command, "federation", "reload"],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("1 pair(s) suivi(s)", out.stdout.decode())
        r.close()
        n.close()

    def test_the_owner_sees_who_follows_it(self):
        regional = self.regional(self.national_key)
        national = self.national()
        r = regional.client()
        self.assertEqual([f["peer"] for f in r.ok("federation.followers")], ["rqds"])
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        deadline = time.monotonic() + 30 * PATIENCE
        while not r.ok("federation.followers")[0]["following"]:
            self.assertLess(time.monotonic(), deadline, regional.log_text())
        f = r.ok("federation.followers")[0]
        self.assertIsNotNone(f["events_connected_ms"])
        self.assertIsNotNone(f["sync_connected_ms"])
        self.assertLess(f["seconds_since_request"], 90)
        r.close()
        out = subprocess.run([CONCERTCTL, "--endpoint", regional.command, "federation", "status"],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        text = out.stdout.decode()
        self.assertIn("qui suit ce nœud", text)
        self.assertRegex(text, r"rqds\s+suit ce nœud ; dernière demande il y a \d+ s ; relié aux événements le 20")

    def test_a_copy_says_until_when_it_is_up_to_date_and_the_overview_goes_to_a_spreadsheet(self):
        regional = self.regional(self.national_key)
        national = self.national()
        r, n = regional.client(), national.client()
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        r.close()
        deadline = time.monotonic() + 30 * PATIENCE
        while not n.call("region.get", {"id": "lanaudiere"})["ok"]:
            self.assertLess(time.monotonic(), deadline, national.log_text())
        row = [x for x in n.ok("region.overview") if x["region"] == "lanaudiere"][0]
        self.assertTrue(row["mirror"])
        # Linked: up to date now.
        self.assertGreater(row["as_of_ms"], time.time() * 1000 - 60000)
        self.assertEqual(regional.stop(), 0)
        stopped = time.time() * 1000
        self.until(national, "liaison perdue avec tpdsl (")
        # Silent: the copy's time stays at its last contact, however long it lasts.
        as_of = [x for x in n.ok("region.overview") if x["region"] == "lanaudiere"][0]["as_of_ms"]
        self.assertLessEqual(as_of, stopped + 1000)
        out = subprocess.run([CONCERTCTL, "--endpoint", national.command, "region", "overview", "--format", "csv"],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        text = out.stdout.decode("utf-8")
        self.assertTrue(text.startswith("\ufeff"))
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        self.assertEqual(rows[0]["Région"], "lanaudiere")
        self.assertEqual(rows[0]["Nœud"], "tpdsl")
        self.assertRegex(rows[0]["Copie à jour au"], r"^20\d\d-\d\d-\d\d \d\d:\d\d$")
        out = subprocess.run([CONCERTCTL, "--endpoint", national.command, "region", "overview"],
                             capture_output=True, timeout=30)
        self.assertIn("À jour au", out.stdout.decode())
        self.assertEqual(n.error("region.overview", format="xls")["code"], "invalid_argument")
        n.close()

    def test_a_wrong_silent_after_stops_the_start(self):
        d = Daemon(node_id="rqds", folder=self.nf, config=(
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "silent_after = un jour\n" % (self.ports[2], self.ports[3])))
        code, log = d.start_refused()
        self.assertNotEqual(code, 0)
        self.assertIn("[federation] silent_after = un jour : un nombre de secondes", log)

    def test_a_peer_that_never_answers_is_said(self):
        national = self.national()  # the regional node is not started
        self.until(national, "pas de liaison avec tpdsl (")
        line = [l for l in national.log_text().splitlines() if "pas de liaison avec tpdsl (" in l][0]
        self.assertIn(" WARN ", line)
        self.assertIn("le pair est-il démarré", line)


if __name__ == "__main__":
    unittest.main()
