"""The daemon's life: one daemon per data directory, a clean SIGTERM that
answers what was already received, data and event numbering kept across
restarts, configuration errors in words a person can act on."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import json
import shutil

from harness import CONCERTCTL, CONCERTD, PLUGINS, SOURCE, Daemon, free_port


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(node_id="n1").start()

    def tearDown(self):
        self.d.cleanup()

    def test_second_daemon_on_same_data_is_refused(self):
        other = Daemon(node_id="n1", folder=self.d.folder)
        other.command = "ipc://%s/cmd2.sock" % self.d.folder
        other.events = "ipc://%s/ev2.sock" % self.d.folder
        other.log_path = os.path.join(self.d.folder, "second.log")
        result = subprocess.run(other.argv(), capture_output=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        err = result.stderr.decode()
        self.assertIn("utilise déjà le dossier de données", err)
        self.assertIn("pid %d" % self.d.proc.pid, err)
        self.assertTrue(self.d.client().call("node.info")["ok"], "the first daemon is unaffected")

    def test_sigterm_answers_queued_requests_and_closes_cleanly(self):
        c = self.d.client()
        c.ok("region.create", id="laurentides", name="Laurentides")
        ids = [c.send("region.update", {"id": "laurentides", "organisation": "DDS %d" % i}) for i in range(50)]
        self.assertEqual(self.d.stop(), 0)
        replies = []
        while len(replies) < len(ids):
            try:
                replies.append(c.recv(timeout=2000))
            except TimeoutError:
                break
        c.close()
        self.assertIn("arrêté proprement", self.d.log_text())
        # Whatever was answered ok is on disk; the last one answered is what the region says.
        answered = [r for r in replies if r["ok"]]
        self.d.start()
        c = self.d.client()
        region = c.ok("region.get", id="laurentides")
        if answered:
            self.assertEqual(region["organisation"], answered[-1]["result"]["organisation"])
        c.close()
        self.assertEqual(self.d.stop(), 0)

    def test_signals_while_stopping_do_not_cut_the_stop_short(self):
        # systemd, a script or an impatient Ctrl-C may signal again while
        # the clean stop is under way: the daemon still ends as a clean stop
        # does (it used to die of the second signal, status -15).
        self.d.client().ok("region.create", id="laurentides", name="Laurentides")
        self.d.proc.send_signal(signal.SIGTERM)
        sent = 1
        while self.d.proc.poll() is None:  # SIGTERM and SIGINT every half millisecond until it has ended
            try:
                os.kill(self.d.proc.pid, signal.SIGTERM if sent % 2 else signal.SIGINT)
            except ProcessLookupError:
                break
            sent += 1
            time.sleep(0.0005)
        self.assertEqual(self.d.proc.wait(20), 0, self.d.log_text())
        self.assertIn("arrêté proprement", self.d.log_text())
        self.assertGreater(sent, 1)
        self.assertEqual(self.d.stop(), 0)

    def test_restart_keeps_data_and_continues_the_sequence(self):
        c = self.d.client()
        c.ok("region.create", id="rqds", name="Réseau québécois de développement social", kind="national")
        last = c.ok("node.info")["last_seq"]
        c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        c = self.d.client()
        self.assertEqual(c.ok("region.get", id="rqds")["name"], "Réseau québécois de développement social")
        self.assertEqual(c.ok("node.info")["last_seq"], last)
        ev = c.ok("region.update", id="rqds", organisation="RQDS")
        self.assertEqual(c.ok("events.since", since=last)["events"][0]["seq"], last + 1)
        c.close()
        self.assertEqual(self.d.stop(), 0)


class Configuration(unittest.TestCase):
    def run_daemon(self, *args):
        return subprocess.run([CONCERTD, *args], capture_output=True, timeout=30)

    def test_shipped_config_is_valid(self):
        r = self.run_daemon("--config", os.path.join(SOURCE, "config", "concertd.conf"), "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("tcp://127.0.0.1:7410", r.stdout.decode())

    def test_errors_name_file_line_and_key(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("[node]\nid = x\n\n[bus]\nmax_mesage_size = 10\n")
        try:
            r = self.run_daemon("--config", f.name, "--check-config")
            self.assertEqual(r.returncode, 1)
            err = r.stderr.decode()
            self.assertIn("%s:5" % f.name, err)
            self.assertIn("max_mesage_size", err)
        finally:
            os.unlink(f.name)
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("[node]\ntimezone = Mars/Olympus\n")
        try:
            r = self.run_daemon("--config", f.name, "--check-config")
            self.assertEqual(r.returncode, 1)
            self.assertIn("%s:2: [node] timezone = Mars/Olympus: fuseau inconnu" % f.name, r.stderr.decode())
        finally:
            os.unlink(f.name)
        r = self.run_daemon("--config", "/nonexistent/concertd.conf")
        self.assertEqual(r.returncode, 1)
        self.assertIn("impossible d'ouvrir", r.stderr.decode())

    def test_a_copied_configuration_names_everything_the_start_would_miss(self):
        # Relative paths are relative to the file: a copy elsewhere finds no
        # plugin, no template, no demo. Said by --check-config, and the start
        # refuses instead of running without them.
        folder = tempfile.mkdtemp(prefix="concertd-conf-")
        try:
            copy = os.path.join(folder, "concertd.conf")
            shutil.copy(os.path.join(SOURCE, "config", "concertd.conf"), copy)
            r = self.run_daemon("--config", copy, "--check-config", "--data-dir", os.path.join(folder, "data"))
            self.assertEqual(r.returncode, 1, r.stdout)
            err = r.stderr.decode()
            for plugin in ("progress", "notify", "calendar", "veille", "adhesion", "web"):
                self.assertIn("greffon %s : aucun fichier %s.so" % (plugin, plugin), err)
            self.assertIn("configuration invalide : 6 problème(s)", err)
            d = Daemon(folder=folder, extra=["--config", copy])
            code, log = d.start_refused()
            self.assertEqual(code, 1)
            self.assertIn("greffon(s) refusé(s) : progress, notify, calendar, veille, adhesion, web", log)
            # The plugins found, what they need is not: the templates, a folder to write in.
            with open(os.path.join(folder, "not-a-folder"), "w") as f:
                f.write("x")
            with open(copy, "a") as f:
                f.write("\n[plugin.calendar]\nexport_dir = not-a-folder/ics\n")
            r = self.run_daemon("--config", copy, "--check-config", "--plugin-dir", PLUGINS, "--data-dir",
                                os.path.join(folder, "data"))
            self.assertEqual(r.returncode, 1)
            err = r.stderr.decode()
            self.assertIn("[plugin.notify] templates_dir = %s : aucun fichier ou dossier de ce nom" %
                          os.path.join(folder, "notify"), err)
            self.assertIn("[plugin.calendar] export_dir = %s : ce n'est pas un dossier" %
                          os.path.join(folder, "not-a-folder", "ics"), err)
            self.assertIn("configuration invalide : 2 problème(s)", err)
            self.assertNotIn(".so", err)
            # Told where they are, it is valid; nothing was created by the check.
            with open(copy, "a") as f:
                f.write("export_dir = ics\n[plugin.notify]\ntemplates_dir = %s\n" %
                        os.path.join(SOURCE, "config", "notify"))
            r = self.run_daemon("--config", copy, "--check-config", "--plugin-dir", PLUGINS, "--data-dir",
                                os.path.join(folder, "data"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("configuration valide", r.stdout.decode())
            self.assertFalse(os.path.exists(os.path.join(folder, "ics")))
            self.assertFalse(os.path.exists(os.path.join(folder, "data", "veille")))
        finally:
            shutil.rmtree(folder)

    def test_a_plugin_named_optional_may_be_missing(self):
        config = "[plugins]\npath = %s\nload = calendar, absent\noptional = absent\n" % PLUGINS
        d = Daemon(config=config).start()
        try:
            c = d.client()
            states = {p["name"]: p["state"] for p in c.ok("node.info")["plugins"]}
            self.assertEqual(states, {"calendar": "running", "absent": "refused"})
            c.close()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()

    def test_export_folders_default_under_the_data_folder(self):
        # --data-dir moves them with the database.
        config = "[plugins]\npath = %s\nload = calendar, veille\n" % PLUGINS
        d = Daemon(config=config).start()
        try:
            c = d.client()
            c.ok("region.create", id="estrie", name="Estrie")
            c.ok("calendar.add", region="estrie", title="Comité", start="2027-01-19T13:30")
            path = os.path.join(d.data, "calendrier", "estrie.ics")
            # Written off the loop once the change is on disk and handed to
            # the plugin: up to 20 s on a loaded machine (200 round trips
            # were not always enough).
            deadline = time.monotonic() + 20
            while not os.path.exists(path) and time.monotonic() < deadline:
                c.ok("node.info")  # a round trip lets the loop finish the write
            self.assertTrue(os.path.exists(path))
            self.assertTrue(os.path.isdir(os.path.join(d.data, "veille")))
            c.close()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()

    def test_federation_settings_are_checked(self):
        folder = tempfile.mkdtemp(prefix="concertd-conf-")
        try:
            conf = os.path.join(folder, "concertd.conf")
            with open(conf, "w") as f:
                f.write("[federation]\nkey_file = absente.key\nevents = tcp://127.0.0.1:7420\n"
                        "[peer.tpdsl]\npublic_key = pas-une-cle\nendpoint = tcp://tpdsl.example.org:7420\n")
            r = self.run_daemon("--config", conf, "--check-config", "--data-dir", os.path.join(folder, "data"))
            self.assertEqual(r.returncode, 1)
            err = r.stderr.decode()
            self.assertIn("[federation] key_file = %s : aucun fichier ou dossier de ce nom" %
                          os.path.join(folder, "absente.key"), err)
            self.assertIn("[federation] sync", err)
            self.assertIn("[peer.tpdsl] public_key = pas-une-cle : une clé publique Z85", err)
            self.assertIn("[peer.tpdsl] : un pair suivi a endpoint, sync et public_key ; sync manque", err)
            self.assertIn("4 problème(s)", err)
        finally:
            shutil.rmtree(folder)

    def test_the_demo_runs_where_asked_and_is_told_from_a_real_region(self):
        r = self.run_daemon("--config", os.path.join(SOURCE, "config", "concertd.conf"), "--check-config")
        self.assertIn("démo : (aucune)", r.stdout.decode())  # the shipped configuration loads none
        demo = os.path.join(SOURCE, "config", "demo", "lanaudiere.json")
        folder = tempfile.mkdtemp(prefix="concertd-demo-")
        d = Daemon(folder=folder, node_id="rqds", extra=["--demo", demo]).start()
        try:
            c = d.client()
            self.assertEqual([(x["id"], x["demo"]) for x in c.ok("region.list")], [("lanaudiere", True)])
            self.assertIs(c.ok("region.get", id="lanaudiere")["demo"], True)
            self.assertIs(c.ok("region.create", id="estrie", name="Estrie")["demo"], False)
            c.close()
            self.assertEqual(d.stop(), 0)
            # A national node that started on the demo, then follows the real
            # Lanaudière table: said before it starts, and while it runs.
            keys = subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, "noeud.key")], capture_output=True,
                                  timeout=30, check=True)
            peer = subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, "pair.key")], capture_output=True,
                                  timeout=30, check=True).stdout.decode().strip()
            with open(os.path.join(folder, "concertd.conf"), "w") as f:
                f.write("[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                        "[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                        "regions = lanaudiere\n" % (free_port(), free_port(), peer, free_port(), free_port()))
            r = self.run_daemon("--config", os.path.join(folder, "concertd.conf"), "--check-config", "--data-dir",
                                d.data, "--node-id", "rqds")
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn("[peer.tpdsl] regions : « lanaudiere » est déjà une région de ce nœud (rqds), peut-être la démo",
                          r.stderr.decode())
            d.config = os.path.join(folder, "concertd.conf")
            d.start()
            c = d.client()
            [status] = c.ok("federation.status")
            self.assertEqual(status["conflicts"], ["lanaudiere"])
            self.assertIn("la région lanaudiere est aussi une région de ce nœud", status["last_error"])
            self.assertIn("[peer.tpdsl] regions nomme lanaudiere, qui est aussi une région de ce nœud", d.log_text())
            # Checked again while it runs (before a restart): the database is the daemon's, so it says
            # what it could not compare, and that the service's start will.
            r = self.run_daemon("--config", os.path.join(folder, "concertd.conf"), "--check-config", "--data-dir",
                                d.data, "--node-id", "rqds")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("[peer.*] regions : non comparées aux régions de ce nœud, la base étant tenue par le "
                          "concertd en marche", r.stderr.decode())
            c.close()
        finally:
            d.stop()
            d.cleanup()

    def test_busy_port_is_explained(self):
        # TCP: libzmq re-binds an ipc:// path that is in use instead of failing.
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        d = Daemon()
        d.command = "tcp://127.0.0.1:%d" % port
        d.start()
        try:
            other = Daemon()
            other.command = d.command  # the same endpoint, already bound
            r = subprocess.run(other.argv(), capture_output=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("impossible d'écouter sur", r.stderr.decode())
            self.assertIn("adresse déjà utilisée", r.stderr.decode())  # the system's error in French too
            self.assertNotIn("Address already in use", r.stderr.decode())
            other.cleanup()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
