"""Federation, the network: several tables' daemons and the national
network's, on loopback, each with its own key and database.

    clds (joliette) ──▶ tpdsl (lanaudiere) ──▶ rqds (national)
                         ▲   │                   ▲   ▲
                         │   ▼                   │   │
                        cdsm (mauricie) ─────────┘   │
                        laurentides (laurentides) ───┘

rqds follows the three regional nodes; tpdsl relays the local CLDS's
region (a chain) and mauricie (so rqds receives mauricie's events twice,
from cdsm and through tpdsl); tpdsl and cdsm follow each other (a loop).
What decides is each event's origin and seq: every event arrives once, in
order, whatever the path."""
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

import msgpack
import zmq

from harness import CONCERTCTL, Daemon, PATIENCE, PLUGINS, SOURCE, free_port

CTX = zmq.Context.instance()
TORONTO_TODAY = None  # filled by today()




def today():
    """Québec's today, as the nodes count days."""
    env = dict(os.environ, TZ="America/Toronto")
    return subprocess.run(["date", "+%Y-%m-%d"], capture_output=True, env=env, check=True).stdout.decode().strip()


def seeds():
    folder = os.path.join(os.path.dirname(SOURCE), "shared", "seeds")
    return folder if os.path.isdir(folder) else os.path.join(SOURCE, "tests", "fixtures", "seeds")


class Node:
    """One daemon of the network: its id, region, key and ports."""

    def __init__(self, name):
        self.name = name
        self.folder = tempfile.mkdtemp(prefix="concertd-e2e-")
        r = subprocess.run([CONCERTCTL, "keygen", os.path.join(self.folder, "noeud.key")], capture_output=True,
                           timeout=30, check=True)
        self.key = r.stdout.decode().strip()
        self.events, self.sync = free_port(), free_port()
        self.daemon = None

    def configure(self, admitted, follows):
        """admitted: nodes allowed in; follows: {node: "region, region"}."""
        text = ("[node]\ntimezone = America/Toronto\n[plugins]\npath = %s\nload = progress, calendar, adhesion, veille\n"
                "[federation]\nkey_file = noeud.key\nevents = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                % (PLUGINS, self.events, self.sync))
        for n in admitted:
            if n.name not in {f.name for f in follows}:
                text += "[peer.%s]\npublic_key = %s\n" % (n.name, n.key)
        for n, regions in follows.items():
            text += ("[peer.%s]\npublic_key = %s\nendpoint = tcp://127.0.0.1:%d\nsync = tcp://127.0.0.1:%d\n"
                     % (n.name, n.key, n.events, n.sync))
            if regions is not None:
                text += "regions = %s\n" % regions
        self.daemon = Daemon(node_id=self.name, folder=self.folder, config=text)

    def start(self):
        self.daemon.start()
        self.c = self.daemon.client()
        return self

    def restart(self):
        self.c.close()
        self.daemon.start()
        self.c = self.daemon.client()

    def ctl(self, *args):
        # A whole plan's import takes longer than concertctl's 5 s under valgrind on a busy machine.
        r = subprocess.run([CONCERTCTL, "--endpoint", self.daemon.command, "--timeout", str(5000 * PATIENCE)] + list(args),
                           capture_output=True, timeout=60 * PATIENCE)
        if r.returncode != 0:
            raise AssertionError("concertctl %s: %s" % (" ".join(args), r.stderr.decode()))
        return r.stdout.decode()


class Network(unittest.TestCase):
    def setUp(self):
        self.clds, self.tpdsl, self.cdsm, self.laurentides, self.rqds = (
            Node(n) for n in ("clds", "tpdsl", "cdsm", "laurentides", "rqds"))
        self.clds.configure([self.tpdsl], {})
        self.tpdsl.configure([self.rqds, self.cdsm], {self.clds: "joliette", self.cdsm: "mauricie"})
        self.cdsm.configure([self.rqds, self.tpdsl], {self.tpdsl: "lanaudiere"})
        self.laurentides.configure([self.rqds], {})
        self.rqds.configure([], {self.tpdsl: "lanaudiere, joliette, mauricie", self.cdsm: "mauricie",
                                 self.laurentides: None})
        self.nodes = [self.clds, self.tpdsl, self.cdsm, self.laurentides, self.rqds]
        for n in self.nodes:
            n.start()
        self.owners = {"joliette": self.clds, "lanaudiere": self.tpdsl, "mauricie": self.cdsm,
                       "laurentides": self.laurentides}

    def tearDown(self):
        for n in self.nodes:
            n.c.close()
            if n.daemon.proc:
                if n.daemon.proc.poll() is None:
                    n.daemon.proc.send_signal(signal.SIGCONT)
                self.assertEqual(n.daemon.stop(), 0, n.daemon.log_text()[-3000:])
            n.daemon.cleanup()

    # ---- helpers -------------------------------------------------------------------------

    def tables(self):
        """Each table's region and plan, on its own node (real plans: the seeds)."""
        start = "%d-09-01" % (int(today()[:4]) - (0 if today()[5:] >= "09-01" else 1))
        for region, node, name, seed in (("lanaudiere", self.tpdsl, "Lanaudière", "001_1e99cf7335cf62a6.txt"),
                                          ("laurentides", self.laurentides, "Laurentides", "002_8d4e2690f11dde69.txt"),
                                          ("mauricie", self.cdsm, "Mauricie", "003_bcd448e914cacf62.txt")):
            node.c.ok("region.create", id=region, name=name, kind="regional")
            node.ctl("import", "--region", region, "--plan-start", start, os.path.join(seeds(), seed))
        self.clds.c.ok("region.create", id="joliette", name="CLDS de Joliette", kind="local")
        self.clds.c.ok("plan.create", region="joliette", title="Plan local 2026-2028", start_date="2026-01-01",
                       end_date="2028-12-31")
        self.clds.c.ok("objective.create", region="joliette", number="1", text="Améliorer l'accès à l'alimentation")
        self.clds.c.ok("action.create", region="joliette", number="1.1", objective="1",
                       text="Cartographier les épiceries solidaires", schedule="Printemps 2027",
                       responsible="CLDS")

    def settled(self, check, what, timeout=60):
        """Waits until check() is true (each try a real round trip), else fails with what()."""
        deadline = time.monotonic() + timeout * PATIENCE
        while time.monotonic() < deadline:
            if check():
                return
            self.rqds.c.ok("node.info")
        self.fail(what())

    def own_log(self, node):
        return node.c.ok("events.since", since=0, limit=10000)["events"]

    def copied_log(self, node, origin):
        return node.c.ok("events.since", origin=origin, since=0, limit=10000)["events"]

    def in_step(self):
        """rqds has every origin's events, and its copies are as of them."""
        for origin in (self.clds, self.tpdsl, self.cdsm, self.laurentides):
            if len(self.copied_log(self.rqds, origin.name)) != len(self.own_log(origin)):
                return False
        return all(p["copies_behind"] == 0 and p["lag_events"] == 0 for p in self.rqds.c.ok("federation.status"))

    def wait_in_step(self):
        self.settled(self.in_step, lambda: "rqds not in step: %r" % self.rqds.c.ok("federation.status"))

    def view(self, node, region, horizon):
        rows = node.c.ok("echeance.list", region=region, to=horizon)
        return [(r["region"], r["number"], r["end"], r["status"], r["text"]) for r in rows]

    # ---- tests ---------------------------------------------------------------------------

    def test_the_national_coordinator_sees_every_region_and_can_change_none(self):
        self.tables()
        horizon = "%d-12-31" % (int(today()[:4]) + 3)
        # A little life on each table: statuses, a member, an activity, a measure.
        first = lambda n, r: n.c.ok("action.list", region=r)[0]["number"]
        self.tpdsl.c.ok("action.set_status", region="lanaudiere", number=first(self.tpdsl, "lanaudiere"),
                        status="in_progress", note="Démarré en comité")
        self.cdsm.c.ok("action.set_status", region="mauricie", number=first(self.cdsm, "mauricie"), status="done")
        self.tpdsl.c.ok("adhesion.policy_set", region="lanaudiere", charter="2024", categories=[
            {"id": "org", "name": "Organisme communautaire", "decision": "auto"}])
        self.tpdsl.c.ok("adhesion.submit", region="lanaudiere", category="org",
                        organisation="Centre d'entraide de Joliette", contact_name="Hélène Tremblay",
                        contact_email="helene.tremblay@example.org", charter="2024")
        self.cdsm.c.ok("calendar.add", region="mauricie", title="Forum régional en développement social",
                       kind="forum", start="%d-05-14T09:00" % (int(today()[:4]) + 1),
                       end="%d-05-14T16:00" % (int(today()[:4]) + 1), place="Trois-Rivières")
        self.wait_in_step()

        # The copies follow their owners' changes without a new snapshot, through a relay too
        # (joliette: clds -> tpdsl -> rqds, the ids tpdsl's own copy paired).
        copies = lambda: {c["region"]: c for p in self.rqds.c.ok("federation.status") for c in p["copies"]}
        before = copies()
        self.clds.c.ok("action.set_status", region="joliette", number="1.1", status="in_progress",
                       note="Carte commencée")
        self.tpdsl.c.ok("action.note", region="lanaudiere", number=first(self.tpdsl, "lanaudiere"),
                        text="Comité du 3 décembre")
        self.settled(lambda: self.rqds.c.ok("action.get", region="joliette", number="1.1")["status"] == "in_progress"
                     and "Comité du 3 décembre" in [n["text"] for n in self.rqds.c.ok(
                         "action.get", region="lanaudiere", number=first(self.tpdsl, "lanaudiere"))["notes"]],
                     lambda: "the copies never followed: %r" % copies())
        after = copies()
        for region in ("joliette", "lanaudiere"):
            self.assertEqual(after[region]["snapshots"], before[region]["snapshots"], region)
            self.assertGreater(after[region]["events_applied"], before[region]["events_applied"], region)
        self.assertEqual(self.rqds.c.ok("plan.export", region="joliette"), self.clds.c.ok("plan.export",
                                                                                         region="joliette"))

        # Every region's coming échéances, as each table has them, from one node.
        national = self.rqds.c.ok("echeance.list", to=horizon)
        for region, owner in self.owners.items():
            mine = self.view(owner, region, horizon)
            self.assertEqual([(r["region"], r["number"], r["end"], r["status"], r["text"]) for r in national
                              if r["region"] == region], mine, region)
            self.assertTrue(all(r["origin"] == owner.name for r in national if r["region"] == region))
        self.assertTrue(any(r["region"] == "lanaudiere" for r in national))
        self.assertTrue(any(r["region"] == "joliette" for r in national))  # through tpdsl: the chain

        # Progress and member counts by region.
        overview = {r["region"]: r for r in self.rqds.c.ok("region.overview")}
        self.assertEqual(set(overview), set(self.owners))
        for region, owner in self.owners.items():
            actions = owner.c.ok("action.list", region=region)
            row = overview[region]
            self.assertEqual((row["origin"], row["mirror"], row["actions"], row["done"]),
                             (owner.name, True, len(actions), sum(a["status"] == "done" for a in actions)), region)
        self.assertEqual(overview["lanaudiere"]["members"], 1)
        self.assertEqual(overview["mauricie"]["done"], 1)

        # The calendar of all regions.
        forum = [a for a in self.rqds.c.ok("calendar.list", **{"from": today(), "to": horizon}) if a["region"] == "mauricie"]
        self.assertEqual([(a["title"], a["origin"]) for a in forum], [("Forum régional en développement social", "cdsm")])

        # The same, as the coordinator reads it: concertctl, in French, origins shown.
        text = self.rqds.ctl("region", "overview")
        for region, owner in self.owners.items():
            self.assertIn(region, text)
            self.assertIn(owner.name, text)
        self.assertIn("Origine", text)
        text = self.rqds.ctl("echeances", "--to", horizon)
        self.assertIn("Cartographier les épiceries solidaires", text)
        self.assertIn("clds", text)

        # An action several plans share (the concertation itself), region by region, with its state there.
        found = self.rqds.c.ok("action.search", q="CONCERTATION")
        self.assertGreaterEqual(len({r["region"] for r in found}), 2, found)
        for row in found:
            owner = self.owners[row["region"]]
            self.assertEqual(row["origin"], owner.name)
            mine = owner.c.ok("action.get", region=row["region"], number=row["number"])
            self.assertEqual((row["status"], row["text"]), (mine["status"], mine["text"]))
            self.assertIn("concertation", row["text"].lower())
        # How each peer stands, in words.
        text = self.rqds.ctl("federation", "status")
        for name in ("tpdsl", "cdsm", "laurentides"):
            self.assertIn(name, text)
        self.assertIn("Retard", text)
        self.assertIn("Pages demandées", text)
        # Each copy, how up to date and how it was kept.
        # (How many snapshots it took while the tables were being filled depends on timing: one or more.)
        self.assertRegex(text, r"Copie de joliette par tpdsl : à jour \(événement n° \d+\) ; [1-9]\d* instantané\(s\), "
                               r"[1-9]\d* changement\(s\) appliqué\(s\)")
        self.assertIn("Copie de lanaudiere par tpdsl : à jour", text)
        # The peers it declares but that do not follow it, in words (never a blank where a number was).
        self.assertRegex(text, r"laurentides\s+NE SUIT PAS ce nœud en ce moment ; aucune demande encore ; "
                               r"jamais relié aux événements, jamais relié au rattrapage")

        # Nothing a region writes can be changed from the national node...
        number = first(self.rqds, "lanaudiere")
        for op, args in (("action.set_status", dict(region="lanaudiere", number=number, status="done")),
                         ("region.update", dict(id="mauricie", name="Mauricie (modifiée)")),
                         ("action.note", dict(region="joliette", number="1.1", text="note")),
                         ("calendar.add", dict(region="mauricie", title="x", kind="rencontre",
                                               start="2027-01-01T09:00", end="2027-01-01T10:00")),
                         ("adhesion.submit", dict(region="lanaudiere", category="org", organisation="X",
                                                  contact_email="x@example.org", charter="2024")),
                         ("veille.add", dict(region="mauricie", url="http://127.0.0.1:9/flux.xml"))):
            error = self.rqds.c.error(op, **args)
            self.assertEqual(error["code"], "forbidden", (op, error))
            owner = self.owners[args.get("region") or args.get("id")]
            self.assertIn(owner.name, error["message"])
        self.assertEqual(self.view(self.rqds, "lanaudiere", horizon), self.view(self.tpdsl, "lanaudiere", horizon))
        # ... nor by another table that claims it (laurentides may publish any region it owns).
        self.laurentides.c.ok("region.create", id="lanaudiere", name="Lanaudière bis")
        self.settled(lambda: "la région lanaudiere appartient à tpdsl" in self.rqds.daemon.log_text(),
                     lambda: self.rqds.daemon.log_text()[-2000:])
        self.assertEqual(self.rqds.c.ok("region.get", id="lanaudiere")["name"], "Lanaudière")

        # No personal data reached the national node.
        with open(os.path.join(self.rqds.daemon.data, "concertd.db"), "rb") as f:
            raw = f.read()
        for wal in ("concertd.db-wal",):
            path = os.path.join(self.rqds.daemon.data, wal)
            if os.path.exists(path):
                raw += open(path, "rb").read()
        self.assertNotIn(b"helene.tremblay@example.org", raw)
        self.assertNotIn("Hélène".encode(), raw)

    def test_every_event_arrives_once_in_order_whatever_the_path(self):
        self.tables()
        for i in range(10):
            self.cdsm.c.ok("region.update", id="mauricie", name="Mauricie %d" % i)
            self.tpdsl.c.ok("region.update", id="lanaudiere", name="Lanaudière %d" % i)
            self.clds.c.ok("region.update", id="joliette", name="CLDS de Joliette %d" % i)
        self.wait_in_step()
        for origin in (self.clds, self.tpdsl, self.cdsm, self.laurentides):
            own = [(e["seq"], e["type"], e["data"]) for e in self.own_log(origin)]
            self.assertEqual([(e["seq"], e["type"], e["data"]) for e in self.copied_log(self.rqds, origin.name)], own,
                             origin.name)
        # mauricie came by two paths, lanaudiere went round the tpdsl ⇄ cdsm loop: once each.
        self.assertEqual(self.copied_log(self.tpdsl, "cdsm"), self.copied_log(self.rqds, "cdsm"))
        self.assertEqual(self.copied_log(self.cdsm, "cdsm"), self.own_log(self.cdsm))  # its own, never twice
        self.assertEqual(self.rqds.c.ok("region.get", id="mauricie")["name"], "Mauricie 9")
        self.assertEqual(self.rqds.c.ok("region.get", id="joliette")["name"], "CLDS de Joliette 9")

    def test_cuts_heal_and_a_wiped_node_resyncs_from_zero(self):
        self.tables()
        self.wait_in_step()
        # The relay stops (its process frozen: no traffic, no answer) while the CLDS works.
        self.tpdsl.daemon.proc.send_signal(signal.SIGSTOP)
        for i in range(20):
            self.clds.c.ok("action.note", region="joliette", number="1.1", text="Rencontre %d avec les épiceries" % i)
        self.clds.c.ok("action.set_status", region="joliette", number="1.1", status="in_progress")
        self.tpdsl.daemon.proc.send_signal(signal.SIGCONT)
        self.wait_in_step()
        self.assertEqual([e["seq"] for e in self.copied_log(self.rqds, "clds")],
                         [e["seq"] for e in self.own_log(self.clds)])
        action = self.rqds.c.ok("action.get", region="joliette", number="1.1")
        self.assertEqual((action["status"], len(action["notes"])), ("in_progress", 21))

        # The national node loses its database: it starts again from zero and gets everything,
        # the calendars too (their events come before the region's copy is made).
        year = int(today()[:4]) + 1
        self.cdsm.c.ok("calendar.add", region="mauricie", title="Comité directeur", kind="comite",
                       start="%d-02-10T13:30" % year, end="%d-02-10T16:00" % year)
        self.wait_in_step()
        self.rqds.c.close()
        self.rqds.daemon.stop()
        shutil.rmtree(self.rqds.daemon.data)  # wiped: the database and the published files
        self.rqds.restart()
        self.wait_in_step()
        horizon = "%d-12-31" % (int(today()[:4]) + 3)
        for region, owner in self.owners.items():
            self.assertEqual(self.view(self.rqds, region, horizon), self.view(owner, region, horizon), region)
        self.assertEqual(len(self.rqds.c.ok("action.get", region="joliette", number="1.1")["notes"]), 21)
        window = {"from": "%d-01-01" % year, "to": "%d-12-31" % year}
        self.assertEqual([(a["title"], a["origin"]) for a in self.rqds.c.ok("calendar.list", region="mauricie", **window)],
                         [("Comité directeur", "cdsm")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
