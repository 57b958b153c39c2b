"""Federation under a lossy network (Jepsen-style): a TCP proxy of the
test's own between a regional node and the national one randomly closes
connections, delays, cuts frames in the middle and stalls, while the
regional table keeps changing its plan; the follower is also killed in the
middle of a catch-up, and later restored from an older copy of its
database. Once the network heals, the checker asks: does the national node
hold every one of the region's events once, in order, and is its copy of
the region and its plan the owner's own?"""
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import CONCERTCTL, PATIENCE, Daemon, free_port


class LossyProxy:
    """Forwards a TCP port, misbehaving on purpose while `lossy` is set:
    each chunk may be delayed, cut in the middle (then the connection
    closed), or the connection closed or stalled outright."""

    def __init__(self, target_port, rng):
        self.target, self.rng, self.lossy = target_port, rng, False
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.faults = {"closed": 0, "cut": 0, "delayed": 0, "stalled": 0}
        self.sockets = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                conn.close()
                continue
            with self.lock:
                self.sockets += [conn, up]
            threading.Thread(target=self.pump, args=(conn, up), daemon=True).start()
            threading.Thread(target=self.pump, args=(up, conn), daemon=True).start()

    def fault(self):
        """What to do with the next chunk, drawn from the seeded generator."""
        with self.lock:
            if not self.lossy:
                return None
            roll = self.rng.random()
        if roll < 0.06:
            return "closed"
        if roll < 0.12:
            return "cut"
        if roll < 0.15:
            return "stalled"
        if roll < 0.35:
            return "delayed"
        return None

    def pump(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                what = self.fault()
                if what:
                    self.faults[what] += 1
                if what == "closed":
                    break
                if what == "cut":
                    b.sendall(data[: max(1, len(data) // 2)])
                    break
                if what == "stalled":
                    time.sleep(2.0)  # the network, not the test, is slow here
                elif what == "delayed":
                    time.sleep(0.05)
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
        with self.lock:
            for s in self.sockets:
                s.close()


def keygen(folder):
    r = subprocess.run([CONCERTCTL, "keygen", os.path.join(folder, "noeud.key")], capture_output=True, timeout=30,
                       check=True)
    return r.stdout.decode().strip()


class LossyNetwork(unittest.TestCase):
    def setUp(self):
        seed = int(os.environ.get("CONCERTD_TEST_SEED", random.randrange(1 << 30)))
        print("seed", seed)
        self.rng = random.Random(seed)
        rf, self.nf = tempfile.mkdtemp(prefix="concertd-e2e-"), tempfile.mkdtemp(prefix="concertd-e2e-")
        keys = [keygen(rf), keygen(self.nf)]
        ports = [free_port() for _ in range(4)]
        self.regional = Daemon(node_id="tpdsl", folder=rf, config=(
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "[peer.rqds]\npublic_key = %s\n" % (ports[0], ports[1], keys[1]))).start()
        self.addCleanup(self.regional.cleanup)
        self.addCleanup(self.regional.stop)
        self.proxies = [LossyProxy(ports[0], self.rng), LossyProxy(ports[1], self.rng)]
        for p in self.proxies:
            self.addCleanup(p.close)
        self.national = Daemon(node_id="rqds", folder=self.nf, config=(
            "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            "[peer.tpdsl]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
            % (ports[2], ports[3], keys[0], self.proxies[0].port, self.proxies[1].port))).start()
        self.addCleanup(self.national.cleanup)
        self.addCleanup(self.national.stop)
        self.r = self.regional.client()
        self.addCleanup(lambda: self.r.close())

    def lossy(self, on):
        for p in self.proxies:
            with p.lock:
                p.lossy = on

    def change(self, i):
        """One change of the regional table's plan (each an event)."""
        kind = i % 4
        if kind == 0:
            self.r.ok("action.create", region="lanaudiere", objective="1", number="1.%d" % (i + 10),
                      text="Action %d de la table" % i)
        elif kind == 1:
            self.r.ok("action.note", region="lanaudiere", number="1.1", text="Suivi nº %d" % i)
        elif kind == 2:
            self.r.ok("region.update", id="lanaudiere", organisation="TPDSL %d" % i)
        else:
            self.r.ok("action.set_status", region="lanaudiere", number="1.1",
                      status="in_progress" if i % 8 == 3 else "planned")

    def owner_seqs(self):
        return [e["seq"] for e in self.r.ok("events.since", origin="tpdsl", since=0, limit=10000)["events"]]

    def test_every_event_once_in_order_and_the_copy_is_the_owners(self):
        r = self.r
        r.ok("region.create", id="lanaudiere", name="Lanaudière")
        r.ok("plan.create", region="lanaudiere", title="Plan d'action 2018-2023", start_date="2018-10-02")
        r.ok("objective.create", region="lanaudiere", number="1", text="S'entendre")
        r.ok("action.create", region="lanaudiere", objective="1", number="1.1", text="Réaliser un exercice")
        # 1. Changes while the network misbehaves.
        self.lossy(True)
        for i in range(60):
            self.change(i)
        # 2. The follower killed in the middle of its catch-up, then back.
        self.national.kill()
        for i in range(60, 90):
            self.change(i)
        self.national.start()
        for i in range(90, 110):
            self.change(i)
        # 3. The follower's database restored from an older copy (a backup):
        #    it asks again for what it has not, the owner's log deciding.
        self.national.stop()
        old = tempfile.mkdtemp(prefix="concertd-e2e-")
        self.addCleanup(shutil.rmtree, old, True)
        shutil.copytree(self.national.data, os.path.join(old, "data"))
        self.national.start()
        for i in range(110, 140):
            self.change(i)
        self.national.stop()
        shutil.rmtree(self.national.data)
        shutil.copytree(os.path.join(old, "data"), self.national.data)
        self.national.start()
        for i in range(140, 160):
            self.change(i)
        # 4. The network heals; the checker waits for the copy to settle.
        self.lossy(False)
        faults = {k: sum(p.faults[k] for p in self.proxies) for k in self.proxies[0].faults}
        print("faults", faults)
        self.assertGreater(sum(faults.values()), 0, "the proxy did misbehave")
        want = self.owner_seqs()
        n = self.national.client()
        self.addCleanup(n.close)
        deadline = time.monotonic() + 120 * PATIENCE
        while time.monotonic() < deadline:
            got = [e["seq"] for e in n.ok("events.since", origin="tpdsl", since=0, limit=10000)["events"]]
            copy = n.call("plan.export", {"region": "lanaudiere"})
            if got == want and copy.get("result") == r.ok("plan.export", region="lanaudiere"):
                break
        # Every event once, in order, and the copy is the owner's.
        self.assertEqual(got, want, "events of tpdsl at rqds: %s" % n.ok("federation.status"))
        self.assertEqual(got, list(range(1, len(got) + 1)))
        self.assertEqual(copy.get("result"), r.ok("plan.export", region="lanaudiere"))
        mine, theirs = r.ok("region.get", id="lanaudiere"), n.ok("region.get", id="lanaudiere")
        for key in ("name", "organisation", "territories", "glossary"):
            self.assertEqual(theirs.get(key), mine.get(key), key)
        for d in (self.national, self.regional):
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
