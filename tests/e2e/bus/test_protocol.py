"""The protocol end to end, as an independent client would use it
(proto/PROTOCOL.md): ops, replies, events after commit, replay, export and
import round trip, accents everywhere."""
import json
import os
import subprocess
import unittest

import zmq

from harness import CONCERTCTL, Daemon, recv_event, seed_plan, subscriber, sync_subscriber

REQUIRED_OPS = {
    "node.info", "region.create", "region.get", "region.list", "region.update", "plan.create", "plan.get",
    "plan.list", "plan.archive", "plan.export", "plan.import", "orientation.create", "orientation.list",
    "objective.create", "objective.list", "action.create", "action.get", "action.list", "action.update",
    "action.delete", "action.set_status", "action.note", "indicator.create", "indicator.record",
    "indicator.history", "events.since",
}


class Protocol(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(node_id="lanaudiere-node").start()
        self.c = self.d.client()

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.d.stop(), 0)
        self.d.cleanup()

    def test_node_info_lists_every_op(self):
        info = self.c.ok("node.info")
        self.assertEqual(info["node"], "lanaudiere-node")
        self.assertEqual(info["protocol"], 1)
        names = {op["name"] for op in info["ops"]}
        self.assertTrue(REQUIRED_OPS <= names, REQUIRED_OPS - names)

    def test_reply_envelope_echoes_id(self):
        for rid in (0, 42, "abc-é"):
            self.c.send_frame(__import__("msgpack").packb({"v": 1, "id": rid, "op": "node.info"}))
            reply = self.c.recv()
            self.assertEqual(reply["v"], 1)
            self.assertEqual(reply["id"], rid)
            self.assertTrue(reply["ok"])

    def test_req_socket_works_too(self):
        req = self.d.client(zmq.REQ)
        try:
            self.assertTrue(req.call("node.info")["ok"])
            self.assertTrue(req.call("region.list")["ok"])
        finally:
            req.close()

    def test_plan_lifecycle_by_numbering_and_id(self):
        seed_plan(self.c)
        a = self.c.ok("action.get", region="lanaudiere", number="1.1")
        self.assertEqual(a["responsible"], "CA et équipe")
        self.assertEqual(a["targets"], ["CA"])
        self.assertEqual(a["windows"], [{"kind": "dated", "start": "2018-10-02", "end": "2019-10-01"}])
        self.assertEqual(self.c.ok("action.get", id=a["id"])["number"], "1.1")
        # Region named with accents and case folded.
        self.assertEqual(self.c.ok("action.get", region="LANAUDIÈRE", number="1.1")["id"], a["id"])
        self.assertEqual(self.c.ok("region.get", id="Lanaudiere")["id"], "lanaudiere")

        changed = self.c.ok("action.set_status", region="lanaudiere", number="1.1", status="done",
                            note="Définition adoptée en CA", date="2019-02-12")
        self.assertEqual(changed["status"], "done")
        self.assertEqual(changed["notes"][-1], {"date": "2019-02-12", "text": "Définition adoptée en CA",
                                                "status_from": "planned", "status_to": "done", "author": None})
        self.c.ok("action.note", region="lanaudiere", number="1.2", text="Charte présentée au forum", date="2019-05-01")
        self.assertEqual(self.c.ok("action.get", region="lanaudiere", number="1.2")["notes"][0]["text"],
                         "Charte présentée au forum")

        ind = self.c.ok("indicator.list", region="lanaudiere")[0]
        self.c.ok("indicator.record", id=ind["id"], value=57, date="2019-06-30")
        self.c.ok("indicator.record", id=ind["id"], value=112, date="2020-06-30", note="après le forum")
        hist = self.c.ok("indicator.history", id=ind["id"])
        self.assertEqual([m["value"] for m in hist["measurements"]], [57, 112])
        self.assertEqual(hist["latest"], 112)
        self.assertEqual(hist["target"], 200)

        self.c.ok("action.update", region="lanaudiere", number="1.2", responsible="Agent de liaison")
        self.assertEqual(self.c.ok("action.list", region="lanaudiere", responsible="liaison")[0]["number"], "1.2")
        self.assertEqual([x["number"] for x in self.c.ok("action.list", region="lanaudiere", status="done")], ["1.1"])

    def test_numbering_sorts_naturally(self):
        seed_plan(self.c)
        for n in ("1.10", "1.9", "1.2.1"):
            self.c.ok("action.create", region="lanaudiere", objective="1", number=n, text="Action " + n)
        numbers = [a["number"] for a in self.c.ok("action.list", region="lanaudiere")]
        self.assertEqual(numbers, ["1.1", "1.2", "1.2.1", "1.9", "1.10"])

    def test_structure_deletes_are_guarded(self):
        seed_plan(self.c)
        self.assertEqual(self.c.error("objective.delete", region="lanaudiere", number="1")["code"], "conflict")
        self.assertEqual(self.c.error("orientation.delete", region="lanaudiere", number="1")["code"], "conflict")
        self.c.ok("action.delete", region="lanaudiere", number="1.1")
        self.c.ok("action.delete", region="lanaudiere", number="1.2")
        self.c.ok("objective.delete", region="lanaudiere", number="1")
        self.c.ok("orientation.delete", region="lanaudiere", number="1")
        self.assertEqual(self.c.ok("plan.get", region="lanaudiere")["actions"], 0)

    def test_events_published_after_commit_and_replayable(self):
        self.c.ok("region.create", id="mauricie", name="Mauricie")
        sub = subscriber(self.d.events, "mauricie/")
        other = subscriber(self.d.events, "lanaudiere/")
        try:
            sync_subscriber(sub, self.c, "mauricie")
            start = self.c.ok("node.info")["last_seq"]
            self.c.ok("plan.create", region="mauricie", title="Plan d'action du Consortium 2017-2020")
            self.c.ok("orientation.create", region="mauricie", number="1",
                      statement="Collaborer au développement d'une vision intégrée")
            self.assertEqual(self.c.error("orientation.create", region="mauricie", number="1",
                                          statement="doublon")["code"], "conflict")
            topic1, ev1 = recv_event(sub)
            topic2, ev2 = recv_event(sub)
            self.assertEqual(topic1, "mauricie/plan.created")
            self.assertEqual(topic2, "mauricie/orientation.created")
            self.assertEqual((ev1["seq"], ev2["seq"]), (start + 1, start + 2))
            self.assertEqual(ev1["origin"], "lanaudiere-node")
            self.assertEqual(ev2["data"]["statement"], "Collaborer au développement d'une vision intégrée")
            self.assertFalse(sub.poll(100), "the failed command must not publish")
            self.assertFalse(other.poll(0), "a lanaudiere/ subscriber gets no mauricie event")
            replay = self.c.ok("events.since", since=start)
            self.assertEqual(replay["events"], [ev1, ev2])
            self.assertEqual(replay["last_seq"], start + 2)
            self.assertFalse(replay["more"])
            page = self.c.ok("events.since", since=0, limit=1)
            self.assertTrue(page["more"])
            self.assertEqual(page["events"][0]["seq"], 1)
        finally:
            sub.close(0)
            other.close(0)

    def test_the_actor_is_recorded_with_events_and_notes(self):
        self.c.ok("region.create", id="estrie", name="Estrie")
        sub = subscriber(self.d.events, "estrie/")
        try:
            sync_subscriber(sub, self.c, "estrie")
            start = self.c.ok("node.info")["last_seq"]
            reply = self.c.call("plan.create", {"region": "estrie", "title": "Plan 2026"}, actor="web:marie@tds.org")
            self.assertTrue(reply["ok"], reply)
            topic, ev = recv_event(sub)
            self.assertEqual((topic, ev["actor"]), ("estrie/plan.created", "web:marie@tds.org"))
            self.c.ok("objective.create", region="estrie", number="1", text="Objectif")  # no actor: none recorded
            topic, ev = recv_event(sub)
            self.assertNotIn("actor", ev)
            self.c.ok("action.create", region="estrie", objective="1", number="1.1", text="Action")
            recv_event(sub)
            reply = self.c.call("action.set_status", {"region": "estrie", "number": "1.1", "status": "in_progress",
                                                      "note": "Lancée"}, actor="concertctl:julie")
            self.assertEqual(reply["result"]["notes"][-1]["author"], "concertctl:julie")
            topic, ev = recv_event(sub)
            self.assertEqual(ev["actor"], "concertctl:julie")
            replay = self.c.ok("events.since", since=start)["events"]
            self.assertEqual([e.get("actor") for e in replay],
                             ["web:marie@tds.org", None, None, "concertctl:julie"])
        finally:
            sub.close(0)
        for bad in (42, "", "x" * 129, "ligne\nautre"):
            err = self.c.call("region.list", {}, actor=bad)["error"]
            self.assertEqual((err["code"], err["field"]), ("bad_request", "actor"), bad)
        # concertctl says who is at the terminal.
        r = subprocess.run([CONCERTCTL, "--endpoint", self.d.command, "action", "note", "estrie", "1.1",
                            "Suivi fait"], capture_output=True, env=dict(os.environ, USER="julie"), timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.c.ok("action.get", region="estrie", number="1.1")["notes"][-1]["author"],
                         "concertctl:julie")

    def test_export_import_round_trip_is_exact(self):
        seed_plan(self.c)
        self.c.ok("action.set_status", region="lanaudiere", number="1.1", status="in_progress", note="Démarré",
                  date="2018-11-01")
        ind = self.c.ok("indicator.list", region="lanaudiere")[0]
        self.c.ok("indicator.record", id=ind["id"], value=12.5, date="2019-01-15", note="début")
        doc = self.c.ok("plan.export", region="lanaudiere")
        text = json.dumps(doc, ensure_ascii=False)
        self.c.ok("region.create", id="laurentides", name="Laurentides")
        summary = self.c.ok("plan.import", region="laurentides", document=json.loads(text))
        self.assertEqual((summary["actions"], summary["indicators"]), (2, 1))
        again = self.c.ok("plan.export", region="laurentides")
        self.assertEqual(json.dumps(again, ensure_ascii=False), text)
        # A second import of the same plan into the same region finds the
        # plan of that title and changes nothing: no row, no event.
        before = self.d.snapshot()
        second = self.c.ok("plan.import", region="laurentides", document=doc)
        self.assertTrue(second["merged"])
        self.assertEqual(sum(second["created"].values()) + sum(second["updated"].values()), 0)
        self.assertEqual(self.d.snapshot(), before)

    def test_import_error_names_the_place_and_changes_nothing(self):
        seed_plan(self.c)
        doc = self.c.ok("plan.export", region="lanaudiere")
        doc["actions"][1]["windows"] = [{"kind": "dated", "start": "2019-02-30", "end": "2019-03-01"}]
        self.c.ok("region.create", id="estrie", name="Estrie")
        before = self.d.snapshot()
        err = self.c.error("plan.import", region="estrie", document=doc)
        self.assertEqual(err["code"], "invalid_argument")
        self.assertIn("document.actions[1]", err["message"])
        self.assertEqual(self.d.snapshot(), before)

    def test_english_messages_on_request(self):
        err = self.c.call("region.get", {"id": "nowhere"}, lang="en")["error"]
        self.assertEqual(err["code"], "not_found")
        self.assertIn("unknown region", err["message"])
        err = self.c.call("region.get", {"id": "nowhere"})["error"]
        self.assertIn("région inconnue", err["message"])


if __name__ == "__main__":
    unittest.main()
