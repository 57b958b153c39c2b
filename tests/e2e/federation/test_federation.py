"""Federation, first part: a node's key pair (concertctl keygen), and its
federation endpoint, secured with ZeroMQ's CURVE, that lets in only the
peers the configuration declares. A declared peer receives the node's
events; an unknown key is refused (its handshake fails, and the node says
so in its log)."""
import itertools
import os
import shutil
import stat
import subprocess
import socket
import tempfile
import threading
import time
import unittest

import msgpack
import zmq
from zmq.utils.monitor import recv_monitor_message

from harness import CONCERTCTL, Daemon, PATIENCE, free_port, recv_event, subscriber

CTX = zmq.Context.instance()




class Federation(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        r = subprocess.run([CONCERTCTL, "keygen", os.path.join(self.folder, "noeud.key")], capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.node_public = r.stdout.decode().strip()
        self.rqds_public, self.rqds_secret = zmq.curve_keypair()
        self.port, self.sync_port = free_port(), free_port()
        config = ("[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                  "[peer.rqds]\npublic_key = %s\n"
                  % (self.port, self.sync_port, self.rqds_public.decode()))
        self.d = Daemon(folder=self.folder, config=config).start()
        self.c = self.d.client()
        self.sockets = []

    def tearDown(self):
        for s in self.sockets:
            s.close(0)
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def peer(self, public, secret):
        """A SUB socket to the node's federation endpoint, with its own keys, and
        a monitor to see how the handshake went."""
        sub = CTX.socket(zmq.SUB)
        sub.curve_serverkey = self.node_public.encode()
        sub.curve_publickey = public
        sub.curve_secretkey = secret
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        monitor = sub.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH |
                                         zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        sub.connect("tcp://127.0.0.1:%d" % self.port)
        self.sockets += [sub, monitor]
        return sub, monitor

    def sync_client(self, public, secret):
        dealer = CTX.socket(zmq.DEALER)
        dealer.curve_serverkey = self.node_public.encode()
        dealer.curve_publickey = public
        dealer.curve_secretkey = secret
        dealer.linger = 0
        monitor = dealer.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        dealer.connect("tcp://127.0.0.1:%d" % self.sync_port)
        self.sockets += [dealer, monitor]
        return dealer, monitor

    @staticmethod
    def ask(dealer, op, **args):
        dealer.send(msgpack.packb({"v": 1, "id": 1, "op": op, "args": args}))
        if not dealer.poll(10000):
            raise TimeoutError("no reply to %s" % op)
        return msgpack.unpackb(dealer.recv(), raw=False)

    def test_a_peer_catches_up_through_the_sync_endpoint_and_may_do_nothing_else(self):
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        self.c.ok("region.update", id="lanaudiere", name="Lanaudière (TPDSL)")
        dealer, monitor = self.sync_client(self.rqds_public, self.rqds_secret)
        self.assertEqual(self.handshake(monitor), zmq.EVENT_HANDSHAKE_SUCCEEDED)
        reply = self.ask(dealer, "events.since", since=0)
        self.assertTrue(reply["ok"], reply)
        events = reply["result"]["events"]
        self.assertEqual([e["type"] for e in events], ["region.created", "region.updated"])
        self.assertEqual([e["seq"] for e in events], [1, 2])
        reply = self.ask(dealer, "region.create", id="mauricie", name="Mauricie")
        self.assertEqual((reply["ok"], reply["error"]["code"]), (False, "forbidden"))
        self.assertEqual([r["id"] for r in self.c.ok("region.list")], ["lanaudiere"])
        stranger, monitor = self.sync_client(*zmq.curve_keypair())
        self.assertEqual(self.handshake(monitor), zmq.EVENT_HANDSHAKE_FAILED_AUTH)

    @staticmethod
    def handshake(monitor):
        if not monitor.poll(10000):
            raise TimeoutError("no handshake")
        event = recv_monitor_message(monitor)["event"]
        return event

    def test_the_key_file_is_the_owners_alone_and_never_replaced(self):
        path = os.path.join(self.folder, "noeud.key")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            text = f.read()
        self.assertIn("public = %s\n" % self.node_public, text)
        self.assertEqual(len(self.node_public), 40)
        r = subprocess.run([CONCERTCTL, "keygen", path], capture_output=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("existe déjà", r.stderr.decode())
        with open(path) as f:
            self.assertEqual(f.read(), text)
        # Its public key, shown again for a peer to declare; a file that is no key is said.
        r = subprocess.run([CONCERTCTL, "keygen", "--show", path], capture_output=True, timeout=30)
        self.assertEqual((r.returncode, r.stdout.decode()), (0, self.node_public + "\n"))
        r = subprocess.run([CONCERTCTL, "keygen", "--show", self.d.config], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("pas de ligne « public = … »", r.stderr.decode())

    def test_a_declared_peer_receives_the_events(self):
        sub, monitor = self.peer(self.rqds_public, self.rqds_secret)
        self.assertEqual(self.handshake(monitor), zmq.EVENT_HANDSHAKE_SUCCEEDED)
        # Subscriptions take effect asynchronously: touch until an event comes.
        self.c.ok("region.create", id="lanaudiere", name="Lanaudière")
        for _ in range(200):
            self.c.ok("region.update", id="lanaudiere")
            if sub.poll(50):
                break
        topic, event = recv_event(sub)
        self.assertTrue(topic.startswith("lanaudiere/region."))
        self.assertEqual((event["origin"], event["region"]), ("test", "lanaudiere"))
        self.assertIn("fédération : rqds", self.d.log_text())

    def test_an_unknown_key_is_refused_and_logged(self):
        public, secret = zmq.curve_keypair()
        sub, monitor = self.peer(public, secret)
        self.assertEqual(self.handshake(monitor), zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        deadline = time.monotonic() + 10 * PATIENCE
        while public.decode() not in self.d.log_text() and time.monotonic() < deadline:
            self.c.ok("node.info")
        self.assertIn("connexion refusée", self.d.log_text())
        self.assertIn("clé publique inconnue %s" % public.decode(), self.d.log_text())
        # A client that does not speak CURVE at all gets nothing either.
        plain = CTX.socket(zmq.SUB)
        plain.setsockopt(zmq.SUBSCRIBE, b"")
        plain_monitor = plain.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                                 zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_DISCONNECTED)
        plain.connect("tcp://127.0.0.1:%d" % self.port)
        self.sockets += [plain, plain_monitor]
        self.assertNotEqual(self.handshake(plain_monitor), zmq.EVENT_HANDSHAKE_SUCCEEDED)

    def test_a_node_without_federation_says_how_to_set_it_up(self):
        other = Daemon(folder=tempfile.mkdtemp(prefix="concertd-e2e-")).start()
        try:
            c = other.client()
            err = c.error("federation.status")
            c.close()
            self.assertEqual(err["code"], "unavailable")
            self.assertIn("[federation] key_file, events et sync", err["message"])
        finally:
            self.assertEqual(other.stop(), 0)
            other.cleanup()

    def test_a_missing_key_file_stops_the_start_with_words(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        os.unlink(os.path.join(self.folder, "noeud.key"))
        d = Daemon(folder=self.folder, config=open(self.d.config).read())
        d.start(wait=False)
        code = d.proc.wait(30)
        d.log.close()
        d.proc = None
        self.assertNotEqual(code, 0)
        self.assertIn("concertctl keygen FICHIER", d.log_text())
        subprocess.run([CONCERTCTL, "keygen", os.path.join(self.folder, "noeud.key")], check=True, capture_output=True,
                       timeout=30)
        self.d.start()
        self.c = self.d.client()


class Following(unittest.TestCase):
    """A regional node and the national network's node on loopback: the
    national one follows the regional one (its region only)."""

    def keygen(self, folder, name):
        r = subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, name)], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode().strip()

    def setUp(self):
        self.regional_folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        self.national_folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        regional_key = self.keygen(self.regional_folder, "noeud.key")
        national_key = self.keygen(self.national_folder, "noeud.key")
        ports = [free_port() for _ in range(4)]
        self.regional = Daemon(node_id="tpdsl", folder=self.regional_folder, config=(
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "[peer.rqds]\npublic_key = %s\n" % (ports[0], ports[1], national_key))).start()
        self.national_config = (
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "regions = lanaudiere\n" % (ports[2], ports[3], regional_key, ports[0], ports[1]))
        self.national = Daemon(node_id="rqds", folder=self.national_folder, config=self.national_config).start()
        self.r = self.regional.client()
        self.n = self.national.client()

    def tearDown(self):
        self.r.close()
        self.n.close()
        for d in (self.regional, self.national):
            if d.proc:
                self.assertEqual(d.stop(), 0)
            d.cleanup()

    def mirrored(self, count):
        """The regional node's events on the national node, once there are count of them."""
        deadline = time.monotonic() + 30 * PATIENCE
        while time.monotonic() < deadline:
            events = self.n.ok("events.since", origin="tpdsl", since=0)["events"]
            if len(events) >= count:
                return events
            self.n.ok("node.info")
        self.fail("%d events mirrored, %d expected: %r" % (len(events), count,
                                                           self.n.ok("federation.status")))

    def own(self):
        return self.r.ok("events.since", since=0, limit=10000)["events"]

    def test_changes_on_the_regional_node_appear_in_order_exactly_once(self):
        self.r.ok("region.create", id="lanaudiere", name="Lanaudière")
        for i in range(20):
            self.r.ok("region.update", id="lanaudiere", name="Lanaudière %d" % i)
        mirrored = self.mirrored(21)
        self.assertEqual([(e["seq"], e["type"], e["data"]) for e in mirrored],
                         [(e["seq"], e["type"], e["data"]) for e in self.own()])
        status = self.n.ok("federation.status")[0]
        self.assertEqual((status["peer"], status["last_seq"], status["refused"]), ("tpdsl", 21, 0))
        # Re-published on the national node's own bus, with their origin.
        sub = subscriber(self.national.events, "lanaudiere/")
        for _ in range(200):
            self.r.ok("region.update", id="lanaudiere", name="Lanaudière (TPDSL)")
            if sub.poll(50):
                break
        topic, event = recv_event(sub)
        sub.close()
        self.assertEqual((topic, event["origin"]), ("lanaudiere/region.updated", "tpdsl"))

    def test_an_undo_reaches_the_peer_as_an_ordinary_change(self):
        r = self.r
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        r.ok("plan.create", region="lanaudiere", title="Plan d'action 2018-2023")
        r.ok("objective.create", region="lanaudiere", number="2", text="Communiquer")
        r.ok("action.create", region="lanaudiere", objective="2", number="2.3", text="Capsules vidéo")
        r.call("action.set_status", {"region": "lanaudiere", "number": "2.3", "status": "in_progress"},
               actor="marie")
        changed = r.ok("node.info")["last_seq"]
        undo = r.call("events.undo", {}, actor="marie")
        self.assertTrue(undo["ok"], undo)
        self.assertEqual(undo["result"]["undone"], changed)
        events = self.mirrored(changed + 1)
        last = events[-1]
        self.assertEqual((last["type"], last["data"]["from"], last["data"]["to"], last["actor"]),
                         ("action.status_changed", "in_progress", "planned", "marie (annule le n° %d)" % changed))
        # The national node's copy shows the action as it is again, and says who undid what.
        deadline = time.monotonic() + 30 * PATIENCE
        # The copy is made again from the owner's snapshot after the events:
        # until then it may be older still, without the action at all.
        while self.n.call("action.get", {"region": "lanaudiere", "number": "2.3"}).get("result", {}).get(
                "status") != "planned":
            self.assertLess(time.monotonic(), deadline, "the copy never followed the undo")
            self.n.ok("node.info")
        history = self.n.ok("events.history", region="lanaudiere", number="2.3")
        self.assertEqual([(h["origin"], h["actor"]) for h in history[:2]],
                         [("tpdsl", "marie (annule le n° %d)" % changed), ("tpdsl", "marie")])
        # A copy's change is undone on its owner's node, not here.
        self.assertEqual(self.n.error("events.undo", seq=changed)["code"], "not_found")
        # A deletion undone: the copy has the action again, its note too.
        r.call("action.note", {"region": "lanaudiere", "number": "2.3", "text": "Tournage en mai"}, actor="marie")
        r.call("action.delete", {"region": "lanaudiere", "number": "2.3"}, actor="marie")
        deadline = time.monotonic() + 30 * PATIENCE
        while self.n.call("action.get", {"region": "lanaudiere", "number": "2.3"})["ok"]:
            self.assertLess(time.monotonic(), deadline, "the copy never followed the deletion")
        self.assertTrue(r.call("events.undo", {}, actor="marie")["ok"])
        deadline = time.monotonic() + 30 * PATIENCE
        while not self.n.call("action.get", {"region": "lanaudiere", "number": "2.3"})["ok"]:
            self.assertLess(time.monotonic(), deadline, "the copy never followed the undone deletion")
        copy = self.n.ok("action.get", region="lanaudiere", number="2.3")
        self.assertIn("Tournage en mai", [n["text"] for n in copy["notes"]])

    def copy_state(self):
        copies = self.n.ok("federation.status")[0]["copies"]
        return next((c for c in copies if c["region"] == "lanaudiere"), None)

    def until_copy(self, check, what):
        deadline = time.monotonic() + 30 * PATIENCE
        while not check():
            self.assertLess(time.monotonic(), deadline, "%s: %r" % (what, self.n.ok("federation.status")))
            self.n.ok("node.info")

    def same_plan(self):
        """The copy's plan as a document, as the owner's (ids are each node's own: not in it)."""
        return self.n.call("plan.export", {"region": "lanaudiere"}).get("result") == \
            self.r.ok("plan.export", region="lanaudiere")

    def test_a_copy_follows_its_owners_changes_without_a_new_snapshot(self):
        r = self.r
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        r.ok("plan.create", region="lanaudiere", title="Plan d'action 2018-2023", start_date="2018-10-02")
        r.ok("orientation.create", region="lanaudiere", number="1", statement="Agir ensemble")
        r.ok("objective.create", region="lanaudiere", orientation="1", number="2", text="Communiquer")
        r.ok("objective.create", region="lanaudiere", orientation="1", number="3", text="Mobiliser")
        r.ok("action.create", region="lanaudiere", objective="2", number="2.3", text="Capsules vidéo",
             schedule="An 2")
        r.ok("action.create", region="lanaudiere", objective="2", number="2.4", text="Infolettre")
        members = r.ok("indicator.create", region="lanaudiere", action="2.3", name="Nombre de membres")["id"]
        r.ok("indicator.create", region="lanaudiere", action="2.4", name="Abonnés")
        self.until_copy(self.same_plan, "the first copy")
        before = self.copy_state()
        self.assertGreaterEqual(before["snapshots"], 1)
        # A table's everyday work: statuses, notes, measures, edits, a renumbering.
        changes = [
            ("action.set_status", dict(number="2.3", status="in_progress", note="Tournage lancé", date="2026-11-20")),
            ("action.note", dict(number="2.3", text="Montage en décembre", date="2026-11-25")),
            ("indicator.record", dict(id=members, value=42, date="2026-11-30", note="AGA")),
            ("indicator.record", dict(id=members, value=57, date="2026-12-01")),
            ("indicator.unrecord", dict(id=members, value=57, date="2026-12-01")),
            ("action.update", dict(number="2.3", text="Capsules vidéo des membres", targets=["MRC", "CLDS"],
                                   schedule="An 3", responsible="Équipe", objective="3")),
            ("action.update", dict(number="2.4", new_number="2.5", text="Infolettre mensuelle")),
            ("action.note", dict(number="2.5", text="Premier envoi", date="2026-11-26")),
            ("action.note", dict(number="2.5", text="Envoi annulé", date="2026-11-27")),
            ("action.unnote", dict(number="2.5", text="Envoi annulé", date="2026-11-27")),
            ("objective.update", dict(number="2", text="Communiquer avec les membres")),
            ("orientation.update", dict(number="1", statement="Agir ensemble, partout")),
            ("plan.update", dict(title="Plan d'action 2018-2024", start_date="2019-10-02")),
            ("region.update", dict(id="lanaudiere", name="Lanaudière (TPDSL)")),
        ]
        for op, args in changes:
            if op != "region.update" and "id" not in args:
                args["region"] = "lanaudiere"
            reply = r.call(op, args, actor="marie")
            self.assertTrue(reply["ok"], (op, reply))
        self.until_copy(lambda: self.same_plan() and self.n.call("region.get", {"id": "lanaudiere"})
                        .get("result", {}).get("name") == "Lanaudière (TPDSL)", "the copy never followed")
        after = self.copy_state()
        self.assertEqual(after["snapshots"], before["snapshots"], "a change asked a whole new snapshot")
        self.assertGreaterEqual(after["events_applied"], len(changes))
        self.assertTrue(after["up_to_date"])
        # Who wrote the notes, as on the owner's node; the indicator's latest value.
        note = self.n.ok("action.get", region="lanaudiere", number="2.3")["notes"]
        self.assertIn(("Montage en décembre", "marie"), [(n["text"], n["author"]) for n in note])
        self.assertEqual(self.n.ok("indicator.history", id=self.n.ok("action.get", region="lanaudiere",
                                                                     number="2.3")["indicators"][0]["id"])["latest"],
                         42)
        # A creation comes with a new snapshot; the copy follows its changes again after it.
        r.ok("action.create", region="lanaudiere", objective="3", number="3.1", text="Forum régional")
        self.until_copy(lambda: self.n.call("action.get", {"region": "lanaudiere", "number": "3.1"})["ok"],
                        "the new action never reached the copy")
        made = self.copy_state()["snapshots"]
        self.assertGreater(made, after["snapshots"])
        r.ok("action.set_status", region="lanaudiere", number="3.1", status="done")
        self.until_copy(self.same_plan, "the copy never followed the new action's status")
        self.assertEqual(self.copy_state()["snapshots"], made)

    def test_a_region_erased_by_its_owner_is_erased_from_its_copies(self):
        r = self.r
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        r.ok("plan.create", region="lanaudiere", title="Plan d'action 2018-2023")
        r.ok("objective.create", region="lanaudiere", number="2", text="Communiquer")
        r.ok("action.create", region="lanaudiere", objective="2", number="2.3", text="Capsules vidéo")
        deadline = time.monotonic() + 30 * PATIENCE
        while not self.n.call("action.get", {"region": "lanaudiere", "number": "2.3"})["ok"]:
            self.assertLess(time.monotonic(), deadline, "the copy never came")
        # Archived: the copy stays (read-only as ever).
        r.ok("region.delete", id="lanaudiere")
        self.assertEqual(self.n.error("region.delete", id="lanaudiere", purge=True)["code"], "forbidden")
        r.ok("region.delete", id="lanaudiere", purge=True)
        deadline = time.monotonic() + 30 * PATIENCE
        while self.n.call("region.get", {"id": "lanaudiere"})["ok"]:
            self.assertLess(time.monotonic(), deadline, "the copy was never erased")
        self.assertEqual(self.n.error("action.get", region="lanaudiere", number="2.3")["code"], "not_found")
        stored = self.n.ok("events.since", origin="tpdsl")["events"]
        self.assertEqual(stored[-1]["type"], "region.purged")
        self.assertEqual({str(e["data"]) for e in stored[:-1]}, {"{}"})  # what they said is gone here too

    def test_a_follower_down_catches_up_and_a_wiped_one_from_zero(self):
        self.r.ok("region.create", id="lanaudiere", name="Lanaudière")
        self.mirrored(1)
        self.national.kill()
        for i in range(30):
            self.r.ok("region.update", id="lanaudiere", name="Lanaudière %d" % i)
        self.national.start()
        self.n.close()
        self.n = self.national.client()
        mirrored = self.mirrored(31)
        self.assertEqual([e["seq"] for e in mirrored], list(range(1, 32)))
        # Wiped: everything again, from zero.
        self.assertEqual(self.national.stop(), 0)
        shutil.rmtree(self.national.data)
        self.national.start()
        self.n.close()
        self.n = self.national.client()
        self.assertEqual([e["seq"] for e in self.mirrored(31)], list(range(1, 32)))

    def test_a_catch_up_asks_each_page_once(self):
        # A follower from zero asks for the next page when a page comes: one
        # chain of requests. The replay asked at its start and asked again
        # when its events link came up used to run as two chains, and every
        # event of a catch-up came twice.
        self.r.ok("region.create", id="lanaudiere", name="Lanaudière")
        self.assertEqual(self.national.stop(), 0)
        shutil.rmtree(self.national.data)
        ids = [self.r.send("region.update", {"id": "lanaudiere", "name": "Lanaudière %d" % i}) for i in range(3999)]
        for _ in ids:
            self.assertTrue(self.r.recv(timeout=30000 * PATIENCE)["ok"])
        self.national.start()
        self.n.close()
        self.n = self.national.client()
        deadline = time.monotonic() + 120 * PATIENCE
        while self.n.ok("federation.status")[0]["last_seq"] < 4000:
            self.assertLess(time.monotonic(), deadline, self.n.ok("federation.status"))
            time.sleep(0.05)  # polling the follower's position
        asked = self.n.ok("federation.status")[0]["catch_up_requests"]
        # 4 000 events in pages of 500 (each beginning with the last one
        # stored, to compare): 9, and one or two more for a change seen live
        # or the origins' round; two chains asked 18 or more.
        self.assertGreaterEqual(asked, 8)
        self.assertLessEqual(asked, 12)

    def test_a_region_the_peer_does_not_own_is_refused(self):
        self.r.ok("region.create", id="lanaudiere", name="Lanaudière")
        self.r.ok("region.create", id="mauricie", name="Mauricie")
        self.mirrored(1)
        deadline = time.monotonic() + 10 * PATIENCE
        while self.n.ok("federation.status")[0]["refused"] < 1 and time.monotonic() < deadline:
            self.n.ok("node.info")
        self.assertEqual(self.n.ok("federation.status")[0]["last_seq"], 2)
        # The link again (the regional node restarted): the catch-up starts from
        # the newest n° taken here, the refused n° 2, which comes back — refused
        # again in silence, never taken for a peer that counts from an older state.
        self.assertEqual(self.regional.stop(), 0)
        self.regional.start()
        self.r.close()
        self.r = self.regional.client()
        self.r.ok("region.update", id="lanaudiere", name="Lanaudière (TPDSL)")
        self.mirrored(2)
        self.assertEqual([(e["seq"], e["region"]) for e in self.n.ok("events.since", origin="tpdsl")["events"]],
                         [(1, "lanaudiere"), (3, "lanaudiere")])
        status = self.n.ok("federation.status")[0]
        self.assertEqual(status["refused"], 1)
        self.assertNotIn("numérote de nouveau", status["last_error"] or "")
        self.assertNotIn("numérote de nouveau", self.national.log_text())
        self.assertIn("mauricie n'est pas une région que tpdsl publie", self.national.log_text())
        self.assertNotIn("mauricie", [r["id"] for r in self.n.ok("region.list")])


class Garbage(unittest.TestCase):
    """A peer that sends what is not an event is cut off and logged, not obeyed."""

    def test_a_peer_sending_garbage_is_cut_off(self):
        event = {"seq": 1, "origin": "bruit", "ts": 0, "region": "XX", "type": "region.updated", "data": {}}
        not_text = msgpack.packb(event).replace(b"\xa2XX", b"\xa2\xff\xfe")  # a region that is not UTF-8
        too_long = msgpack.packb(dict(event, region="r" * 200))  # kept whole or refused, never cut
        for garbage in (b"\xc1 pas du msgpack", not_text, too_long):
            self.cut_off_by(itertools.repeat(garbage))

    def test_a_peer_naming_a_new_origin_in_every_event_is_cut_off(self):
        # Each origin a peer names is kept track of: a peer that invents one per
        # event would grow this node's memory without end; past 4 096, cut off.
        def inventions():
            for n in itertools.count():
                yield msgpack.packb({"seq": 5, "origin": "o%d" % n, "ts": 0, "region": "lanaudiere",
                                     "type": "region.updated", "data": {}})
        self.cut_off_by(inventions(), "4096 origines")

    def cut_off_by(self, payloads, words="coupé"):
        folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, "noeud.key")], check=True, capture_output=True,
                       timeout=30)
        public, secret = zmq.curve_keypair()
        fake = CTX.socket(zmq.PUB)  # a "peer" of its own making: CURVE, but garbage inside
        fake.curve_server = True
        fake.curve_secretkey = secret
        fake.linger = 0
        port = fake.bind_to_random_port("tcp://127.0.0.1")
        config = ("[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                  "[peer.bruit]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                  % (free_port(), free_port(), public.decode(), port, free_port()))
        d = Daemon(node_id="rqds", folder=folder, config=config).start()
        c = d.client()
        try:
            deadline = time.monotonic() + 20 * PATIENCE
            status = c.ok("federation.status")[0]
            while not status["cut"] and time.monotonic() < deadline:
                for _ in range(100):
                    fake.send_multipart([b"lanaudiere/region.updated", next(payloads)])
                status = c.ok("federation.status")[0]
            self.assertTrue(status["cut"], status)
            self.assertIn(words, status["last_error"])
            self.assertIn("bruit coupé", d.log_text())
            self.assertEqual(c.ok("events.since", origin="bruit")["events"], [])
            self.assertEqual(c.ok("node.info")["node"], "rqds")  # and the node is fine
        finally:
            fake.close(0)
            c.close()
            self.assertEqual(d.stop(), 0)
            d.cleanup()


class FakePeer:
    """A peer node of the test's own (CURVE PUB + sync ROUTER) that holds events
    1…head of origin "fake" but hands out only those up to `gives`: the
    follower's lag is then known exactly."""

    def __init__(self, head, gives, snapshot_origin="fake"):
        self.public, secret = zmq.curve_keypair()
        self.pub = CTX.socket(zmq.PUB)
        self.router = CTX.socket(zmq.ROUTER)
        for s in (self.pub, self.router):
            s.curve_server = True
            s.curve_secretkey = secret
            s.linger = 0
        self.port = self.pub.bind_to_random_port("tcp://127.0.0.1")
        self.sync_port = self.router.bind_to_random_port("tcp://127.0.0.1")
        self.head, self.gives, self.snapshot_origin = head, gives, snapshot_origin
        self.t0 = 1790000000000
        self.asked = []

    def event(self, seq):
        return {"seq": seq, "origin": "fake", "ts": self.t0 + seq * 60000, "region": "estrie",
                "type": "region.created" if seq == 1 else "region.updated",
                "data": {"id": "estrie", "name": "Estrie %d" % seq}}

    def serve(self, timeout_ms):
        """Answers what the follower asks, for up to timeout_ms."""
        if not self.router.poll(timeout_ms):
            return
        ident, frame = self.router.recv_multipart()
        req = msgpack.unpackb(frame)
        op, args = req["op"], req.get("args", {})
        self.asked.append(op)
        if op == "events.since":
            since = args.get("since", 0)
            events = [self.event(s) for s in range(since + 1, self.gives + 1)] if args.get("origin") == "fake" else []
            result = {"events": events, "last_seq": self.gives, "more": False, "origin": args.get("origin"),
                      "head": self.head, "head_ts": self.event(self.head)["ts"]}
        elif op == "events.origins":
            result = [{"origin": "fake", "head": self.head, "head_ts": self.event(self.head)["ts"]}]
        elif op == "region.snapshot":
            result = {"origin": self.snapshot_origin, "seq": self.gives,
                      "region": {"id": "estrie", "name": "Estrie %d" % self.gives, "kind": "regional",
                                 "territories": [{"name": "Sherbrooke", "kind": "ville"}], "glossary": []},
                      "plans": []}
        else:
            result = None
        self.router.send_multipart([ident, msgpack.packb({"v": 1, "id": req["id"], "ok": result is not None,
                                                          "result": result})])

    def close(self):
        self.pub.close(0)
        self.router.close(0)


class LagAndCopies(unittest.TestCase):
    """federation.status gives the lag in events and seconds; a region's copy
    comes from the peer's snapshot, read-only; a snapshot that says another
    owner than the events' is refused."""

    def start(self, fake):
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        subprocess.run([CONCERTCTL, "keygen", os.path.join(self.folder, "noeud.key")], check=True,
                       capture_output=True, timeout=30)
        config = ("[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                  "[peer.fake]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                  % (free_port(), free_port(), fake.public.decode(), fake.port, fake.sync_port))
        self.d = Daemon(node_id="rqds", folder=self.folder, config=config).start()
        self.c = self.d.client()

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def until(self, fake, check):
        deadline = time.monotonic() + 30 * PATIENCE
        while time.monotonic() < deadline:
            fake.serve(50)
            status = self.c.ok("federation.status")[0]
            if check(status):
                return status
        self.fail("%r (asked: %r)" % (status, fake.asked))

    def test_the_lag_in_events_and_seconds_and_a_read_only_copy(self):
        fake = FakePeer(head=10, gives=3)
        try:
            self.start(fake)
            status = self.until(fake, lambda s: s["last_seq"] == 3 and s["lag_events"] == 7 and s["copies"]
                                and s["copies_behind"] == 0)
            # The newest event it holds is 7 minutes after the last one given.
            self.assertEqual((status["head_seq"], status["lag_seconds"], status["catching_up"]), (10, 420, True))
            self.assertEqual(status["copies"], [{"region": "estrie", "origin": "fake", "as_of_seq": 3,
                                                 "up_to_date": True, "snapshots": 1, "events_applied": 0}])
            region = self.c.ok("region.get", id="estrie")
            self.assertEqual((region["name"], region["origin"], region["territories"][0]["name"]),
                             ("Estrie 3", "fake", "Sherbrooke"))
            error = self.c.error("region.update", id="estrie", name="Estrie (ici)")
            self.assertEqual(error["code"], "forbidden")
            self.assertIn("fake", error["message"])
            self.assertEqual(self.c.error("region.mirror", origin="fake", peer="fake", region={"id": "estrie"},
                                          plans=[])["code"], "forbidden")
            # The peer gives the rest: no lag.
            fake.gives = 10
            fake.pub.send_multipart([b"estrie/region.updated", msgpack.packb(fake.event(10))])
            self.until(fake, lambda s: s["last_seq"] == 10 and s["lag_events"] == 0 and s["lag_seconds"] == 0
                       and s["copies"][0]["as_of_seq"] == 10)
            self.assertEqual(self.c.ok("region.get", id="estrie")["name"], "Estrie 10")
        finally:
            fake.close()

    def test_a_snapshot_naming_another_owner_is_refused(self):
        fake = FakePeer(head=2, gives=2, snapshot_origin="usurpateur")
        try:
            self.start(fake)
            self.until(fake, lambda s: s["last_seq"] == 2 and s["last_error"] and "usurpateur" in s["last_error"])
            self.assertEqual(self.c.error("region.get", id="estrie")["code"], "not_found")
            self.assertIn("copie de la région estrie refusée", self.d.log_text())
        finally:
            fake.close()


class DroppingProxy:
    """A TCP relay between a follower and its peer that can drop every byte
    both ways while the connections stay open: a network cut as a cable or
    a firewall makes one, which only heartbeats can notice."""

    def __init__(self, target_port):
        self.target = target_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.dropping = False
        self.accepted = 0
        self.sockets = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                up = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                conn.close()
                continue
            self.sockets += [conn, up]
            threading.Thread(target=self.pump, args=(conn, up), daemon=True).start()
            threading.Thread(target=self.pump, args=(up, conn), daemon=True).start()

    def pump(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                if not self.dropping:
                    b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.listener.close()
        for s in self.sockets:
            s.close()


class DroppedTraffic(unittest.TestCase):
    """The link between the national node and a regional one drops every
    packet for a while (the processes run on): the follower's heartbeats
    notice, it connects again, and once the link carries again it catches
    up with what it missed, with no new change needed to tell it."""

    def test_a_cut_link_heals_and_nothing_is_lost(self):
        rf, nf = tempfile.mkdtemp(prefix="concertd-e2e-"), tempfile.mkdtemp(prefix="concertd-e2e-")
        keys = []
        for folder in (rf, nf):
            r = subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, "noeud.key")], capture_output=True,
                               timeout=30, check=True)
            keys.append(r.stdout.decode().strip())
        ports = [free_port() for _ in range(4)]
        regional = Daemon(node_id="tpdsl", folder=rf, config=(
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "[peer.rqds]\npublic_key = %s\n" % (ports[0], ports[1], keys[1]))).start()
        self.addCleanup(regional.stop)  # stopped even when what follows fails (stop is safe twice)
        events, sync = DroppingProxy(ports[0]), DroppingProxy(ports[1])
        national = Daemon(node_id="rqds", folder=nf, config=(
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            % (ports[2], ports[3], keys[0], events.port, sync.port))).start()
        r, n = regional.client(), national.client()

        def mirrored():
            return len(n.ok("events.since", origin="tpdsl", since=0)["events"])

        def until(check, what, seconds=60):
            deadline = time.monotonic() + seconds * PATIENCE
            while time.monotonic() < deadline:
                if check():
                    return
                n.ok("node.info")
            self.fail("%s\n--- the national node's log:\n%s\n--- the regional node's:\n%s"
                      % (what(), national.log_text()[-4000:], regional.log_text()[-2000:]))

        try:
            r.ok("region.create", id="lanaudiere", name="Lanaudière")
            until(lambda: mirrored() == 1, lambda: repr(n.ok("federation.status")))
            events.dropping = sync.dropping = True
            connected = events.accepted
            for i in range(10):
                r.ok("region.update", id="lanaudiere", name="Lanaudière %d" % i)
            # The dead link is noticed (heartbeats) and made again, through the cut.
            until(lambda: events.accepted > connected, lambda: "no new connection: %r" % n.ok("federation.status"))
            self.assertEqual(mirrored(), 1)
            events.dropping = sync.dropping = False
            until(lambda: mirrored() == 11, lambda: "not healed: %r" % n.ok("federation.status"))
            self.assertEqual([e["seq"] for e in n.ok("events.since", origin="tpdsl", since=0)["events"]],
                             list(range(1, 12)))
            # And its copy of the region, asked again over the new link.
            until(lambda: (n.call("region.get", {"id": "lanaudiere"}).get("result") or {}).get("name") == "Lanaudière 9",
                  lambda: "copy not made: %r" % n.ok("federation.status"))
            # Live again: a new change comes through the events link itself.
            r.ok("region.update", id="lanaudiere", name="Lanaudière rétablie")
            until(lambda: mirrored() == 12, lambda: "no live event: %r" % n.ok("federation.status"))
            until(lambda: "tpdsl de nouveau joignable" in national.log_text(), national.log_text)
        finally:
            r.close()
            n.close()
            events.close()
            sync.close()
            for d in (national, regional):
                self.assertEqual(d.stop(), 0)
                d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
