"""Bad input gets a clear error and changes nothing: each case is sent to a
running concertd, then the daemon must still answer and every table of its
database must be exactly as before."""
import unittest

import msgpack
import zmq

from harness import Daemon, seed_plan


def fixstr(raw):
    """A msgpack str holding raw bytes (which may be invalid UTF-8)."""
    assert len(raw) < 32
    return bytes([0xA0 | len(raw)]) + raw


def request_bytes(op, args_bytes):
    """{v:1, id:9, op, args: <pre-encoded>}"""
    return (b"\x84" + msgpack.packb("v") + msgpack.packb(1) + msgpack.packb("id") + msgpack.packb(9)
            + msgpack.packb("op") + msgpack.packb(op) + msgpack.packb("args") + args_bytes)


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()
        cls.c = cls.d.client()
        seed_plan(cls.c)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        assert cls.d.stop() == 0
        cls.d.cleanup()

    def setUp(self):
        self.before = self.d.snapshot()
        self.seq = self.c.ok("node.info")["last_seq"]

    def tearDown(self):
        # Still answering, and nothing changed.
        self.assertEqual(self.c.ok("node.info")["last_seq"], self.seq)
        self.assertEqual(self.d.snapshot(), self.before)

    def raw(self, frame):
        self.c.send_frame(frame)
        return self.c.recv()

    def assertError(self, reply, code, field=None):
        self.assertFalse(reply["ok"], reply)
        self.assertEqual(reply["error"]["code"], code, reply)
        self.assertTrue(reply["error"]["message"], "a message a person can act on")
        if field:
            self.assertEqual(reply["error"].get("field"), field, reply)

    def test_not_msgpack(self):
        self.assertError(self.raw(b"\xc1 hello"), "bad_request")
        self.assertError(self.raw(b"GET / HTTP/1.1\r\n\r\n"), "bad_request")

    def test_truncated_msgpack(self):
        full = msgpack.packb({"v": 1, "id": 1, "op": "region.create", "args": {"id": "x", "name": "Xénon"}})
        for cut in (1, 5, len(full) - 1):
            self.assertError(self.raw(full[:cut]), "bad_request")

    def test_empty_frame(self):
        self.assertError(self.raw(b""), "bad_request")

    def test_not_a_map(self):
        self.assertError(self.raw(msgpack.packb([1, "region.list"])), "bad_request")
        self.assertError(self.raw(msgpack.packb("region.list")), "bad_request")

    def test_missing_op_or_version(self):
        self.assertError(self.raw(msgpack.packb({"v": 1, "id": 1})), "bad_request", "op")
        self.assertError(self.raw(msgpack.packb({"id": 1, "op": "node.info"})), "bad_request", "v")
        self.assertError(self.raw(msgpack.packb({"v": 2, "id": 1, "op": "node.info"})), "bad_request", "v")

    def test_wrong_types(self):
        self.assertError(self.raw(msgpack.packb({"v": 1, "id": 1, "op": 5})), "bad_request", "op")
        self.assertError(self.raw(msgpack.packb({"v": 1, "id": 1, "op": "region.list", "args": [1]})),
                         "bad_request", "args")
        self.assertError(self.raw(msgpack.packb({"v": 1, "id": {"a": 1}, "op": "node.info"})), "bad_request", "id")
        self.assertError(self.c.call("region.create", {"id": "x", "name": 5}), "bad_request", "name")
        self.assertError(self.c.call("action.set_status", {"region": "lanaudiere", "number": "1.1", "status": 3}),
                         "bad_request", "status")
        self.assertError(self.c.call("indicator.record", {"id": "one", "value": 1}), "bad_request", "id")
        self.assertError(self.c.call("action.create", {"region": "lanaudiere", "objective": "1", "number": "1.3",
                                                       "text": "x", "targets": "CA"}), "bad_request", "targets")

    def test_unknown_op_and_args(self):
        self.assertError(self.c.call("region.destroy"), "unknown_op", "op")
        self.assertError(self.c.call("region.create", {"id": "x", "name": "X", "colour": "blue"}),
                         "invalid_argument", "colour")

    def test_unknown_region_and_action(self):
        self.assertError(self.c.call("action.get", {"region": "atlantide", "number": "1.1"}), "not_found", "region")
        self.assertError(self.c.call("action.get", {"region": "lanaudiere", "number": "9.9"}), "not_found", "number")
        self.assertError(self.c.call("action.get", {"id": 999999}), "not_found", "id")
        self.assertError(self.c.call("indicator.record", {"id": 999999, "value": 1}), "not_found", "id")
        self.assertError(self.c.call("action.create", {"region": "lanaudiere", "objective": "8", "number": "8.1",
                                                       "text": "x"}), "not_found", "objective")

    def test_nesting_ten_thousand_levels(self):
        deep = b"\x91" * 10000 + b"\xc0"
        self.assertError(self.raw(deep), "bad_request")
        args = b"\x82" + msgpack.packb("id") + msgpack.packb("deep") + msgpack.packb("name") + deep
        self.assertError(self.raw(request_bytes("region.create", args)), "bad_request")

    def test_nesting_is_capped_at_eight_levels(self):
        # PROTOCOL.md "Limits": a request nests at most 8 containers (the
        # envelope is the first). 8 are read (the op answers), 9 are refused
        # in words before anything is decoded.
        def nested(levels):  # region.list with args {"x": [[…[nil]…]]}: envelope + args + (levels - 2) lists
            return request_bytes("region.list", b"\x81" + msgpack.packb("x") + b"\x91" * (levels - 2) + b"\xc0")
        self.assertError(self.raw(nested(8)), "invalid_argument", "x")
        reply = self.raw(nested(9))
        self.assertError(reply, "bad_request")
        self.assertIn("8 niveaux", reply["error"]["message"])

    def test_declared_sizes_beyond_the_frame(self):
        # 21-byte frames announcing billions of entries (map32, array32) and a
        # 4 GiB string: refused at once, nothing reserved for them.
        for frame in (bytes.fromhex("dffd48fcd6") + bytes(16), bytes.fromhex("dd19ac0737") + bytes(16),
                      bytes.fromhex("dbffffffff") + b"abc"):
            self.assertError(self.raw(frame), "bad_request")
        # A list of 65 536 elements is read; 65 537 is over the limit.
        self.assertError(self.c.call("region.list", {"x": [None] * 65536}), "invalid_argument", "x")
        reply = self.c.call("region.list", {"x": [None] * 65537})
        self.assertError(reply, "bad_request")
        self.assertIn("65536", reply["error"]["message"])

    def test_unknown_keys_inside_nested_maps(self):
        # Adversary F11: a misspelt key inside a nested map was ignored.
        cases = [("region.update", {"id": "lanaudiere", "reminders": {"overdu": False}}, "reminders.overdu"),
                 ("region.update", {"id": "lanaudiere", "territories": [{"name": "Joliette", "bogus": 1}]},
                  "territories[0].bogus"),
                 ("plan.update", {"region": "lanaudiere", "mandates": [{"number": "1", "text": "t", "bogus": 1}]},
                  "mandates[0].bogus"),
                 ("action.update", {"region": "lanaudiere", "number": "1.1",
                                    "windows": [{"kind": "dated", "start": "2020-01-01", "end": "2020-02-01",
                                                 "id": "x"}]}, "windows[0].id")]
        doc = self.c.ok("plan.export", region="lanaudiere")
        for where, change in (("document.bogus", lambda d: d.update(bogus=1)),
                              ("document.plan.titre", lambda d: d["plan"].update(titre="x")),
                              ("document.actions[0].statut", lambda d: d["actions"][0].update(statut="done")),
                              ("document.actions[0].windows[0].id", lambda d: d["actions"][0]["windows"][0].update(id=1)),
                              ("document.indicators[0].measurements[0].x",
                               lambda d: d["indicators"][0]["measurements"].append({"date": "2020-01-01", "value": 1,
                                                                                    "x": 1}))):
            copy = msgpack.unpackb(msgpack.packb(doc), raw=False)
            change(copy)
            cases.append(("plan.import", {"region": "lanaudiere", "document": copy}, where))
        for op, args, field in cases:
            reply = self.c.call(op, args)
            self.assertError(reply, "invalid_argument", field)
            self.assertIn(field.rsplit(".", 1)[1], reply["error"]["message"])

    def test_the_envelope_is_strict(self):
        # Adversary D3, D9, D11, D13: a misspelt envelope key, a lang that is
        # neither fr nor en, a non-string key, a NUL in a text and a key
        # given twice are refused in words, not ignored or misread.
        def frame(*pairs):
            return bytes([0x80 | len(pairs)]) + b"".join(msgpack.packb(k) + v for k, v in pairs)
        base = [("v", msgpack.packb(1)), ("id", msgpack.packb(9)), ("op", msgpack.packb("region.list"))]
        reply = self.raw(frame(*base, ("lnag", msgpack.packb("en"))))
        self.assertError(reply, "bad_request")
        self.assertEqual(reply["id"], 9)
        self.assertError(self.raw(frame(*base, ("lang", msgpack.packb("de")))), "bad_request", "lang")
        self.assertError(self.raw(b"\x84" + msgpack.packb("v") + msgpack.packb(1) + msgpack.packb("id") +
                                  msgpack.packb(9) + msgpack.packb("op") + msgpack.packb("region.list") +
                                  msgpack.packb(5) + msgpack.packb(6)), "bad_request")
        reply = self.c.call("region.create", {"id": "nul", "name": "A\x00B"})
        self.assertError(reply, "bad_request", "args.name")
        self.assertIn("NUL", reply["error"]["message"])
        twice = frame(*base[:2], ("op", msgpack.packb("region.list")), ("op", msgpack.packb("region.create")))
        self.assertError(self.raw(twice), "bad_request", "op")
        args = b"\x83" + msgpack.packb("id") + msgpack.packb("x") + msgpack.packb("name") + msgpack.packb("X") + \
            msgpack.packb("id") + msgpack.packb("y")
        reply = self.raw(request_bytes("region.create", args))
        self.assertError(reply, "bad_request", "args.id")
        self.assertIn("deux fois", reply["error"]["message"])

    def test_invalid_utf8(self):
        args = b"\x82" + msgpack.packb("id") + msgpack.packb("gaspesie") + msgpack.packb("name") + fixstr(b"Gasp\xe9sie")
        reply = self.raw(request_bytes("region.create", args))
        self.assertError(reply, "bad_request", "args.name")
        bad_key = b"\x81" + fixstr(b"\xff") + msgpack.packb("x")
        self.assertError(self.raw(request_bytes("region.list", bad_key)), "bad_request")

    def test_impossible_dates(self):
        for date in ("2023-02-30", "2023-13-01", "30/01/2023", "demain"):
            self.assertError(self.c.call("plan.create", {"region": "lanaudiere", "title": "P", "start_date": date}),
                             "invalid_argument", "start_date")
        self.assertError(self.c.call("action.update", {"region": "lanaudiere", "number": "1.1", "windows": [
            {"kind": "dated", "start": "2020-01-01", "end": "2019-01-01"}]}), "invalid_argument", "windows[0]")
        self.assertError(self.c.call("plan.create", {"region": "lanaudiere", "title": "P", "start_date": "2023-01-01",
                                                     "end_date": "2022-01-01"}), "invalid_argument", "end_date")

    def test_invalid_values(self):
        self.assertError(self.c.call("region.create", {"id": "Pas Un Slug!", "name": "X"}), "invalid_argument", "id")
        self.assertError(self.c.call("action.set_status", {"region": "lanaudiere", "number": "1.1",
                                                           "status": "bientôt"}), "invalid_argument", "status")
        self.assertError(self.c.call("action.create", {"region": "lanaudiere", "objective": "1", "number": "1..2",
                                                       "text": "x"}), "invalid_argument", "number")
        self.assertError(self.c.call("action.create", {"region": "lanaudiere", "objective": "1", "number": "1.1",
                                                       "text": "doublon"}), "conflict", "number")
        self.assertError(self.c.call("region.create", {"id": "lanaudiere-2", "name": "LANAUDIÈRE"}), "conflict")

    def test_numbers_and_integers_out_of_range(self):
        # Adversary D2: a plan number given as the integer 0 was read as "0", and -1 was a wrong type.
        for number in (0, -1):
            self.assertError(self.c.call("action.get", {"region": "lanaudiere", "number": number}),
                             "invalid_argument", "number")
        self.assertEqual(self.c.ok("objective.get", region="lanaudiere", number=1)["number"], "1")
        # D4: an integer too large for the log is out of range, not "not an integer".
        self.assertError(self.c.call("events.since", {"since": 2 ** 64 - 1}), "invalid_argument", "since")
        self.assertError(self.c.call("events.since", {"since": "3"}), "bad_request", "since")
        # D10: a wrong type inside reminders is a wrong type; a value out of range is invalid.
        for days, code in (([7.0], "bad_request"), (["7"], "bad_request"), ([400], "invalid_argument"),
                           ([-1], "invalid_argument")):
            self.assertError(self.c.call("region.update", {"id": "lanaudiere", "reminders": {"days": days}}), code,
                             "reminders.days")

    def test_multipart_request(self):
        self.c.sock.send_multipart([msgpack.packb({"v": 1, "id": 1, "op": "node.info"}), b"extra"])
        self.assertError(self.c.recv(), "bad_request")

    def test_message_over_the_size_limit(self):
        big = self.d.client()
        try:
            big.send("region.create", {"id": "big", "name": "x" * (2 * 1024 * 1024)})
            # ZeroMQ drops the connection of a peer that exceeds ZMQ_MAXMSGSIZE: no reply.
            with self.assertRaises(TimeoutError):
                big.recv(timeout=1000)
        finally:
            big.close()
        # A message just under the limit is still read and answered.
        reply = self.c.call("region.create", {"id": "big", "name": "x" * (512 * 1024), "kind": "cosmic"})
        self.assertError(reply, "invalid_argument", "kind")


if __name__ == "__main__":
    unittest.main()
