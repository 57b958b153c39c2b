#!/usr/bin/python3
"""An external plugin: any program that subscribes to concertd's events and
sends commands extends it, out of process, in any language.

This one keeps each plan's indicator "Actions réalisées" equal to the number
of its actions whose status is done, measured on the day of each change.
It never misses a change and never counts one twice: it remembers the last
event seq it handled in a state file, replays what it missed with
events.since at start and whenever it sees a gap in seq (PUB drops
messages for slow or late subscribers), and only then follows live events.

  /usr/bin/python3 tools/external_plugin.py [--endpoint EP] [--events EP] [--state FILE] [--once]

--once handles what is in the log and exits (for cron, and for tests).
Needs Debian's python3-zmq and python3-msgpack.
"""
import argparse
import os

import msgpack
import zmq

INDICATOR = "Actions réalisées"


class Concertd:
    def __init__(self, endpoint):
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.next_id = 1

    def call(self, op, **args):
        rid, self.next_id = self.next_id, self.next_id + 1
        self.sock.send(msgpack.packb({"v": 1, "id": rid, "op": op, "args": args}))
        if not self.sock.poll(10000):
            raise SystemExit("external_plugin: concertd ne répond pas")
        reply = msgpack.unpackb(self.sock.recv(), raw=False)
        if not reply["ok"]:
            raise RuntimeError("%s: %s: %s" % (op, reply["error"]["code"], reply["error"]["message"]))
        return reply["result"]


def handle(cd, event):
    if event["type"] != "action.status_changed":
        return
    plan = event["data"]["action"]["plan"]
    done = sum(1 for a in cd.call("action.list", plan=plan) if a["status"] == "done")
    indicator = next((i for i in cd.call("indicator.list", plan=plan) if i["name"] == INDICATOR), None)
    if indicator is None:
        indicator = cd.call("indicator.create", plan=plan, name=INDICATOR, unit="actions")
    if indicator["latest"] != done:
        cd.call("indicator.record", id=indicator["id"], value=done, date=event["data"]["date"],
                note="tenu à jour par external_plugin.py")


class State:
    def __init__(self, path):
        self.path = path
        self.seq = int(open(path).read()) if os.path.exists(path) else 0

    def save(self, seq):
        self.seq = seq
        with open(self.path + ".tmp", "w") as f:
            f.write(str(seq))
        os.replace(self.path + ".tmp", self.path)  # atomic: never a half-written state


def catch_up(cd, state):
    """Replays what was missed. The count is read from the model as it is now,
    so only the latest missed change of each plan is handled: the measurement
    then carries the right count and the date of that change."""
    latest, seq = {}, state.seq
    while True:
        page = cd.call("events.since", since=seq, limit=500)
        for event in page["events"]:
            if event["type"] == "action.status_changed":
                latest[event["data"]["action"]["plan"]] = event
            seq = event["seq"]
        if not page["more"]:
            break
    for event in sorted(latest.values(), key=lambda e: e["seq"]):
        handle(cd, event)  # idempotent: records only when the count differs
    state.save(seq)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", default=os.environ.get("CONCERTD_ENDPOINT", "tcp://127.0.0.1:7410"))
    ap.add_argument("--events", default=os.environ.get("CONCERTD_EVENTS", "tcp://127.0.0.1:7411"))
    ap.add_argument("--state", default="external_plugin.seq")
    ap.add_argument("--once", action="store_true")
    opts = ap.parse_args()
    cd, state = Concertd(opts.endpoint), State(opts.state)
    sub = None
    if not opts.once:  # subscribe before catching up, so nothing falls between the two
        sub = zmq.Context.instance().socket(zmq.SUB)
        sub.setsockopt_string(zmq.SUBSCRIBE, "")
        sub.connect(opts.events)
    catch_up(cd, state)
    while sub is not None:
        _, payload = sub.recv_multipart()
        event = msgpack.unpackb(payload, raw=False)
        if event["seq"] <= state.seq:
            continue  # already handled during a catch-up
        if event["seq"] != state.seq + 1:
            catch_up(cd, state)  # a gap: fill it from the log
            continue
        handle(cd, event)
        state.save(event["seq"])


if __name__ == "__main__":
    main()
