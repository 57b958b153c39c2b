"""Test harness: starts a real concertd on ipc:// endpoints in a temporary
folder and talks to it with Debian's python3-zmq and python3-msgpack,
using only what proto/PROTOCOL.md specifies."""
import ctypes
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time

import msgpack
import zmq

CONCERTD = os.environ.get("CONCERTD", "concertd")
CONCERTCTL = os.environ.get("CONCERTCTL", "concertctl")
# A command put before concertd, e.g. "valgrind -q --error-exitcode=99" (tools/dev test uses it).
WRAP = os.environ.get("CONCERTD_WRAP", "").split()
# Deadlines (never sleeps) are longer when the daemons run under valgrind.
PATIENCE = 5 if WRAP else 1
# concertctl waits as long for a reply (its own default is 5 s).
os.environ.setdefault("CONCERTCTL_TIMEOUT_MS", str(5000 * PATIENCE))
TEST_PLUGINS = os.environ.get("CONCERTD_TEST_PLUGINS", "")
PLUGINS = os.environ.get("CONCERTD_PLUGINS", "")
SOURCE = os.environ.get("CONCERTD_SOURCE", os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

CTX = zmq.Context.instance()


class Client:
    """A DEALER client: one request frame, one reply frame, matched by id."""

    def __init__(self, endpoint, socket_type=zmq.DEALER, options=None):
        self.sock = CTX.socket(socket_type)
        self.sock.setsockopt(zmq.LINGER, 0)
        for option, value in (options or {}).items():  # before connecting, e.g. {zmq.RCVHWM: 1}
            self.sock.setsockopt(option, value)
        self.sock.connect(endpoint)
        self.next_id = 1

    def close(self):
        self.sock.close(0)

    def send(self, op, args=None, **envelope):
        rid = self.next_id
        self.next_id += 1
        msg = {"v": 1, "id": rid, "op": op, "args": args or {}}
        msg.update(envelope)
        self.send_frame(msgpack.packb(msg))
        return rid

    def send_frame(self, frame):
        self.sock.send(frame)

    def recv(self, timeout=10000):
        if not self.sock.poll(timeout):
            raise TimeoutError("no reply within %d ms" % timeout)
        return msgpack.unpackb(self.sock.recv(), raw=False)

    def call(self, op, args=None, timeout=10000, **envelope):
        rid = self.send(op, args, **envelope)
        deadline = time.monotonic() + timeout / 1000
        while True:
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0:
                raise TimeoutError("no reply to %s" % op)
            reply = self.recv(left)
            if reply.get("id") == rid:
                return reply

    def ok(self, op, **args):
        reply = self.call(op, args)
        assert reply["ok"], "%s %r -> %r" % (op, args, reply)
        return reply["result"]

    def error(self, op, **args):
        reply = self.call(op, args)
        assert not reply["ok"], "%s %r should have failed: %r" % (op, args, reply)
        return reply["error"]


def _die_with_parent():
    """In the daemon's process before it runs: SIGTERM when the test that started it ends however it ends
    (killed by ctest's timeout, a failure before its tearDown), so that no daemon outlives its test."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Daemon:
    """A concertd process with its own data directory and endpoints."""

    def __init__(self, node_id="test", folder=None, extra=(), config=None, env=None):
        self.folder = folder or tempfile.mkdtemp(prefix="concertd-e2e-")
        self.config = None
        if config is not None:
            self.config = os.path.join(self.folder, "concertd.conf")
            with open(self.config, "w", encoding="utf-8") as f:
                f.write(config)
        self.data = os.path.join(self.folder, "data")
        self.command = "ipc://%s/cmd.sock" % self.folder
        self.events = "ipc://%s/ev.sock" % self.folder
        self.node_id = node_id
        self.extra = list(extra)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.folder, "concertd.log")

    def argv(self):
        return WRAP + [CONCERTD, "--data-dir", self.data, "--command-endpoint", self.command,
                "--event-endpoint", self.events, "--node-id", self.node_id, "--no-demo",
                "--log-level", "debug"] + (["--config", self.config] if self.config else []) + self.extra

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self.log, stderr=self.log, env=self.env,
                                     preexec_fn=_die_with_parent)
        if wait:
            self.wait_ready()
        return self

    def start_refused(self, timeout=15 * PATIENCE):
        """Starts a daemon that must refuse to start: (exit status, its log)."""
        self.start(wait=False)
        code = self.proc.wait(timeout)
        self.log.close()
        self.proc = None
        return code, self.log_text()

    def wait_ready(self, timeout=15 * PATIENCE):
        """Polls node.info until the daemon answers (or has died)."""
        deadline = time.monotonic() + timeout
        client = Client(self.command)
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("concertd exited with %s:\n%s" % (self.proc.returncode, self.log_text()))
                try:
                    if client.call("node.info", timeout=200)["ok"]:
                        return
                except TimeoutError:
                    pass
            raise RuntimeError("concertd did not answer:\n" + self.log_text())
        finally:
            client.close()

    def client(self, socket_type=zmq.DEALER, options=None):
        return Client(self.command, socket_type, options)

    def stop(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout)
        code = self.proc.returncode if self.proc else None
        if self.proc:
            self.log.close()
        self.proc = None
        return code

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(20)
        self.log.close()
        self.proc = None

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def copy_db(self):
        """The path of the database as it is now: the file itself once the
        daemon has stopped; while it runs (it holds the file alone), a copy
        it takes (node.backup, read in pieces as concertctl backup does)."""
        if not self.proc or self.proc.poll() is not None:
            return os.path.join(self.data, "concertd.db")
        c = self.client()
        try:
            job = finished_job(c, "node.backup", "node.backup_status")
            assert job["state"] == "ready", "node.backup: %r" % job
            path = os.path.join(self.folder, "copy-%d.db" % job["id"])
            with open(path, "wb") as f:
                offset, eof = 0, False
                while not eof:
                    piece = c.ok("node.backup_read", id=job["id"], offset=offset)
                    f.write(piece["data"])
                    offset += len(piece["data"])
                    eof = piece["eof"]
            return path
        finally:
            c.close()

    def snapshot(self):
        """Every row of every table of the database (copy_db)."""
        db = sqlite3.connect("file:%s?mode=ro" % self.copy_db(), uri=True)
        try:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            return {t: sorted(map(repr, db.execute("SELECT * FROM %s" % t))) for t in tables}
        finally:
            db.close()

    def cleanup(self):
        if self.proc:
            self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def finished_job(client, start_op, status_op):
    """A job the daemon runs off its loop (node.backup, node.check_db):
    started with start_op, then asked with status_op and its id, as
    concertctl does, until it is no longer running; its last answer."""
    job = client.ok(start_op)
    deadline = time.monotonic() + 30 * PATIENCE
    while job["state"] == "running":
        assert time.monotonic() < deadline, "%s still running: %r" % (start_op, job)
        time.sleep(0.002)  # polled: the daemon says when it is done only when asked
        job = client.ok(status_op, id=job["id"])
    return job


class FakeClock:
    """The daemon's wall clock, set by the test through libfaketime (Debian's
    faketime package): a file holding the date and time it reads on every
    call. Monotonic time is left real, so the loop's timers run as usual."""

    LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

    def __init__(self, folder, when):
        self.path = os.path.join(folder, "clock")
        self.set(when)

    def set(self, when):
        with open(self.path + ".new", "w") as f:
            f.write(when + "\n")
        os.replace(self.path + ".new", self.path)

    def env(self):
        # Under AddressSanitizer the preloaded library comes before ASan's
        # runtime, which ASan accepts when told.
        asan = os.environ.get("ASAN_OPTIONS", "")
        return {"LD_PRELOAD": self.LIBRARY, "FAKETIME_TIMESTAMP_FILE": self.path, "FAKETIME_NO_CACHE": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}


def subscriber(endpoint, prefix=""):
    sub = CTX.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt_string(zmq.SUBSCRIBE, prefix)
    sub.connect(endpoint)
    return sub


def recv_event(sub, timeout=10000):
    if not sub.poll(timeout):
        raise TimeoutError("no event within %d ms" % timeout)
    topic, payload = sub.recv_multipart()
    return topic.decode("utf-8"), msgpack.unpackb(payload, raw=False)


def sync_subscriber(sub, client, region):
    """ZeroMQ subscriptions take effect asynchronously: touch the region until
    the subscriber sees an event, so later events are known to arrive. Then
    one touch more, and the events read up to its own: none of those
    touches' is left to come (a reply and an event travel on two sockets:
    an event may reach the subscriber after its command's reply)."""
    for _ in range(200):
        client.ok("region.update", id=region)
        if sub.poll(50):
            break
    else:
        raise TimeoutError("subscriber never connected")
    before = client.ok("node.info")["last_seq"]
    client.ok("region.update", id=region)
    while True:
        topic, event = recv_event(sub)
        if topic == region + "/region.updated" and event["seq"] > before:
            return


def seed_plan(client, region="lanaudiere", name="Lanaudière"):
    """A small real plan: Lanaudière's first objective, two actions, an indicator."""
    client.ok("region.create", id=region, name=name, organisation="TPDSL", territories=["Joliette", "Matawinie"])
    plan = client.ok("plan.create", region=region, title="Plan d'action 2018-2023", period="2018-2023",
                     start_date="2018-10-02", adopted_on="2018-10-02",
                     mandates=["Veiller et analyser les enjeux sociaux", "Réunir des acteurs"])
    client.ok("orientation.create", region=region, number="1",
              statement="En 2023, des acteurs ont adhéré à une compréhension commune du développement social")
    client.ok("objective.create", region=region, orientation="1", number="1",
              text="S'entendre sur une définition commune du développement social", mandates=["2", "4"])
    client.ok("action.create", region=region, objective="1", number="1.1",
              text="Réaliser un exercice pour proposer une définition, une charte de valeurs et une politique de membership",
              targets=["CA"], schedule="An 1", responsible="CA et équipe",
              windows=[{"kind": "dated", "start": "2018-10-02", "end": "2019-10-01"}])
    client.ok("action.create", region=region, objective="1", number="1.2",
              text="Inviter les acteurs à adhérer à la charte des valeurs", targets=["CLDS", "Comité de citoyens"],
              schedule="An 1 à An 5", expected_result="Adhésion de 200 membres")
    client.ok("indicator.create", region=region, action="1.2", name="Nombre de membres", unit="membres", target=200)
    return plan


_given_ports = set()
_port_block = None  # (block number, its lock file, held while this process lives)


def _own_port_block(blocks):
    """A block of ports this test process alone draws from: the first one,
    from pid % blocks on, whose lock no other running test holds. (Drawn by
    pid alone, two tests running side by side whose pids differed by a
    multiple of the block count shared a block and were handed the same
    port: "adresse déjà utilisée", seen under ASan.)"""
    global _port_block
    if _port_block is None:
        import fcntl
        folder = os.path.join(tempfile.gettempdir(), "concertd-test-ports")
        os.makedirs(folder, exist_ok=True)
        first = os.getpid() % blocks
        _port_block = (first, None)
        for i in range(blocks):
            block = (first + i) % blocks
            lock = open(os.path.join(folder, "%d.lock" % block), "w")  # not inherited by the daemons
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            _port_block = (block, lock)
            break
    return _port_block[0]


def free_port():
    """A TCP port on 127.0.0.1 nothing listens on, below the kernel's
    ephemeral range (where the outgoing connections of tests running in
    parallel take theirs: one took a port bind(0) had handed out, seen in
    CI). Each test process draws from a block of its own (locked, see
    _own_port_block) and never hands a port out twice, so tests running
    side by side, or one test's daemons one after the other, do not meet on
    a port."""
    import random
    import socket
    high = 32000
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            high = min(high, int(f.read().split()[0]))
    except OSError:
        pass
    blocks = (high - 20000) // 60
    start = 20000 + _own_port_block(blocks) * 60
    candidates = list(range(start, start + 60)) + [random.randrange(20000, high) for _ in range(500)]
    for port in candidates:
        if port in _given_ports:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given_ports.add(port)
        return port
    raise RuntimeError("no free port between 20000 and %d" % high)


def seed_text(name="001_1e99cf7335cf62a6.txt"):
    """A real plan as the tables copy it out of Word (Lanaudière's by
    default): ../shared/seeds when there, else the copy in tests/fixtures."""
    folder = os.path.join(os.path.dirname(SOURCE), "shared", "seeds")
    if not os.path.isdir(folder):
        folder = os.path.join(SOURCE, "tests", "fixtures", "seeds")
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        return f.read()


def make_certificates(folder):
    """A certificate authority of the test's own, a server certificate it
    signed for 127.0.0.1, and a self-signed one nobody trusts (openssl)."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), cwd=folder, check=True, capture_output=True, timeout=60)
    with open(os.path.join(folder, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Autorite de test")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "server.pem", "-days", "2", "-extfile", "san.cnf")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "stranger.key", "-out", "stranger.pem", "-days",
        "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")


EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def personal_data(log, words=()):
    """What in a daemon's log is personal information: any e-mail address
    (a contact's, a subscriber's), and any of words (names, a motivation)."""
    found = sorted(set(EMAIL.findall(log)))
    return found + [w for w in words if w in log]

