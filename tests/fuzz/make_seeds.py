#!/usr/bin/python3
"""Writes the fuzzers' seed corpora (corpus/NAME/) from the project's own
fixtures: the real plans of tests/fixtures, the demo plan, the veille's
feeds, and requests as PROTOCOL.md writes them. Some seeds are what a real
concertd answers (a plan exported as JSON and CSV, a calendar as .ics):
this starts one from build/ (run it from the top of the tree after a build:
/usr/bin/python3 tests/fuzz/make_seeds.py). The files are committed;
running it again rewrites them."""
import glob
import hashlib
import json
import os
import shutil
import sys

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "support"))
os.environ.setdefault("CONCERTD", os.path.join(TOP, "build", "core", "concertd"))
os.environ.setdefault("CONCERTD_PLUGINS", os.path.join(TOP, "build", "plugins"))
import harness  # noqa: E402  (after the environment it reads)


def write(name, data):
    folder = os.path.join(HERE, "corpus", name)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def fixture(*parts):
    return open(os.path.join(TOP, *parts), "rb").read()


REQUESTS = [
    ("node.info", {}), ("region.list", {}), ("region.get", {"id": "Lanaudière"}),
    ("region.create", {"id": "mauricie", "name": "Mauricie", "territories": ["Shawinigan"],
                       "reminders": {"days": [14, 7], "overdue": True}}),
    ("region.update", {"id": "lanaudiere", "reminders": {"overdue": False}}),
    ("plan.get", {"region": "lanaudiere"}), ("plan.list", {"region": "lanaudiere", "include_archived": True}),
    ("plan.create", {"region": "mauricie", "title": "Plan 2024-2028", "start_date": "2024-04-01",
                     "mandates": ["Veiller", {"number": "2", "text": "Réunir"}]}),
    ("objective.list", {"region": "lanaudiere"}),
    ("action.create", {"region": "lanaudiere", "objective": "1", "number": "1.2", "text": "Inviter les acteurs",
                       "targets": ["CLDS"], "schedule": "An 1 à An 5",
                       "windows": [{"kind": "dated", "start": "2018-10-02", "end": "2019-10-01"}]}),
    ("action.update", {"region": "lanaudiere", "number": "1.1", "text": "Réaliser", "responsible": None}),
    ("action.set_status", {"region": "lanaudiere", "number": "1.1", "status": "in_progress", "note": "G14",
                           "date": "2019-01-15"}),
    ("action.note", {"region": "lanaudiere", "number": "1.1", "text": "Rencontre"}),
    ("action.list", {"region": "lanaudiere", "status": "planned"}),
    ("echeance.parse", {"text": "printemps 2023 et automne 2024", "plan_start": "2018-10-02"}),
    ("echeance.list", {"region": "lanaudiere", "unparsed": True}),
    ("echeance.remind", {"region": "lanaudiere", "days": 30}),
    ("indicator.record", {"region": "lanaudiere", "action": "1.1", "name": "Nombre de membres", "value": 120,
                          "date": "2020-03-01"}),
    ("indicator.history", {"region": "lanaudiere", "action": "1.1"}),
    ("events.since", {"since": 0, "limit": 10}),
    ("plan.export", {"region": "lanaudiere", "format": "csv"}),
    ("plan.import", {"region": "lanaudiere", "format": "table", "dry_run": True,
                     "text": "Plan d'action 2020-2025\nOBJECTIFS\tMOYENS D'ACTION\n1. Objectif\t1.1 Action (an 1)\n"}),
    ("region.overview", {}),
]


# Plugin ops, for request_args (which loads the plugins): their declared
# arguments are checked by the host before their handlers run.
PLUGIN_REQUESTS = [
    ("progress.get", {"region": "lanaudiere"}),
    ("calendar.add", {"region": "Lanaudière", "title": "Forum « été »", "start": "2027-05-02", "kind": "forum",
                      "rrule": "FREQ=WEEKLY;COUNT=3", "exdates": "2027-05-09", "indicator": 1, "measure": "participants"}),
    ("calendar.list", {"region": "lanaudiere", "from": "2027-01-01", "to": "2027-12-31"}),
    ("calendar.update", {"id": 1, "title": "Comité de suivi", "end": "2027-01-19T15:00", "exdates": ["2027-02-19T13:30"]}),
    ("calendar.held", {"id": 1, "occurrence": "2027-01-19T13:30", "participants": 12, "notes": "quorum"}),
    ("calendar.import", {"region": "lanaudiere", "text": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@b"
                                                        "\r\nDTSTART:20270301T100000Z\r\nSUMMARY:Atelier\r\nEND:VEVENT"
                                                        "\r\nEND:VCALENDAR\r\n"}),
    ("adhesion.submit", {"region": "lanaudiere", "organisation": "Centre", "category": "o", "contact_name": "Julie",
                         "contact_email": "julie@example.org", "charter": "2024", "lang": "fr"}),
    ("adhesion.submit", {"region": "lanaudiere", "form": "Organisme : Centre\nCatégorie : o\nCourriel : a@b.org\n"}),
    ("adhesion.decide", {"id": 1, "decision": "needs_info", "reason": "le territoire"}),
    ("adhesion.policy_set", {"region": "lanaudiere", "charter": "2025", "categories": "o ; Organismes ; auto\n",
                             "required": ["territory"], "renewal_months": 12}),
    ("adhesion.list", {"region": "lanaudiere", "state": "submitted"}),
    ("veille.add", {"region": "lanaudiere", "url": "https://example.org/flux.xml", "tags": ["emploi"], "interval": 3600}),
    ("veille.rule_add", {"region": "lanaudiere", "name": "Financement", "any_of": "financement, appel de projets",
                         "objectives": ["1"]}),
    ("veille.items", {"region": "lanaudiere", "matched": True, "from": "2026-01-01", "limit": 10}),
    ("veille.opml_import", {"region": "lanaudiere", "text": "<opml version=\"2.0\"><body><outline type=\"rss\" "
                                                            "xmlUrl=\"https://example.org/a.xml\" text=\"A\"/></body></opml>"}),
    ("notify.subscribe", {"address": "coordination@example.org", "region": "lanaudiere", "events": "echeance.*, action.*",
                          "cadence": "weekly", "at": "08:00", "weekday": 1}),
    ("notify.outbox", {"state": "failed", "limit": 5}),
    ("web.user_add", {"region": "lanaudiere", "email": "marie@tpdsl.org", "role": "lecture",
                      "password_hash": "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaA"}),
]


def requests():
    for op, args in PLUGIN_REQUESTS:
        write("request_args", op.encode() + b"\n" + msgpack.packb(args))
    for i, (op, args) in enumerate(REQUESTS):
        write("request", msgpack.packb({"v": 1, "id": i + 1, "op": op, "args": args, "lang": "fr"}))
        write("request", msgpack.packb({"v": 1, "id": "x%d" % i, "op": op, "args": args, "lang": "en",
                                        "actor": "concertctl:julie"}))
        # request_args: the op's name, a newline, then its args.
        write("request_args", op.encode() + b"\n" + msgpack.packb(args))
    write("request", msgpack.packb([1, "region.list"]))
    write("request", b"\x84\xa1v\x01\xa2id\x09\xa2op\xabregion.list\xa4args\x81\xa1x\x91\x91\x91\x91\x91\x91\xc0")
    for frame in ("dffd48fcd6" + "00" * 16, "dd19ac0737" + "00" * 16):
        write("mpcheck", bytes.fromhex(frame))
    for i, (op, args) in enumerate(REQUESTS[:8]):
        write("mpcheck", msgpack.packb({"v": 1, "id": i, "op": op, "args": args}))
        write("jsonmp", json.dumps(args, ensure_ascii=False))
    write("jsonmp", '[1, 2.5, -3, 1e300, "é\\u0000", null, true, {"a": []}]')


def echeances():
    texts = ["An 1", "An 1 à An 5", "an 2 et an 3", "printemps 2023", "automne 2024 – hiver 2025", "hiver 1900",
             "15 mars au 2 avril 2024", "3 au 5 octobre 2013", "Mars 2019", "2019-2020", "2019-02-28 - 2019-03-01",
             "En continu", "Sur demande", "à déterminer", "31/12/2024", "1er mars 2025", "fin 2024", "T2 2023",
             "juin 2022 et décembre 2022", "an 20", "Années 1 à 3", "2018-10-02"]
    for t in texts:
        write("echeance", t)
        write("echeance", "2999-06-01\n" + t)
        write("echeance", "2018-10-02\n" + t)


def plan_texts():
    for path in sorted(glob.glob(os.path.join(TOP, "tests", "fixtures", "seeds", "*.txt")) +
                       glob.glob(os.path.join(TOP, "tests", "fixtures", "import", "*.txt"))):
        write("plan_text", open(path, "rb").read())
        write("table_import", open(path, "rb").read())
    write("plan_text", "Plan d'action 2020-2025\nOBJECTIFS\tMOYENS D'ACTION\n" +
          "".join("1. Objectif un\t1.%d Action %d\n" % (i + 1, i) for i in range(20)))
    write("csv", "orientation,objectif,action,indicateurs\n1 Agir,1.1 Mieux,1.1.1 Action,Nombre de membres\n")
    write("csv", 'Objectif;Action;État\n"1 S\'entendre";"1.1 Réaliser; un exercice";en cours\n')


def feeds():
    for path in sorted(glob.glob(os.path.join(TOP, "tests", "fixtures", "veille", "*"))):
        data = open(path, "rb").read()
        write("opml" if path.endswith(".opml") else "feed", data)
    write("feed", '<?xml version="1.0"?><rss version="2.0"><channel><title>Emploi & Solidarité</title><item>'
                  '<title>R&D</title><link>https://ex.org/?id=1&lang=fr</link></item></channel></rss>')
    write("feed", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><rss><channel>'
                  '<item><title>&b;</title></item></channel></rss>')
    write("feed", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel>'
                  '<item><title>&x;</title></item></channel></rss>')


def forms():
    write("form", "Organisme : Centre d'action bénévole\nCatégorie : organisme\nTerritoire : Joliette\n"
                  "Personne-ressource : Julie Tremblay\nCourriel : julie@example.org\nCharte : 2024\n"
                  "Motivation : Nous voulons\nparticiper à la table.\n")
    write("form", "Organization: Food bank\nCategory: organisme\nEmail: a@b.org\nLanguage: en\n")


def configs():
    write("config", fixture("config", "concertd.conf"))
    write("config", "[bus]\nmax_message_size = 1023\n[log]\nlevel = bavard\n")
    write("config", "[node]\nid = é\ntimezone = Mars/Olympus\n[plugins]\nload = a, b, c\n[plugin.a]\nx = 1\n")


def peer_seeds(c):
    """What peer "tpdsl" sends for its region "mauricie" (fuzz_peer): live
    events, a page of them, the origins, and the region's snapshot."""
    harness.seed_plan(c, region="mauricie", name="Mauricie")
    c.ok("action.set_status", region="mauricie", number="1.1", status="in_progress", note="« bilan »")
    events = [e for e in c.ok("events.since", region="mauricie", limit=100)["events"]]
    for e in events:
        e["origin"] = "tpdsl"
    for e in events[:3] + events[-1:]:
        write("peer", b"e" + msgpack.packb(e))
    page = {"v": 1, "id": 7, "ok": True, "result": {"events": events, "origin": "tpdsl", "more": False,
                                                    "head": events[-1]["seq"], "head_ts": events[-1]["ts"]}}
    write("peer", b"s" + msgpack.packb(page))
    write("peer", b"s" + msgpack.packb({"v": 1, "id": (1 << 41) + 1, "ok": True,
                                        "result": [{"origin": "tpdsl", "head": events[-1]["seq"], "head_ts": 1},
                                                   {"origin": "laurentides", "head": 4, "head_ts": 1}]}))
    snap = c.ok("region.snapshot", id="mauricie")
    snap["origin"] = "tpdsl"
    write("peer", b"s" + msgpack.packb({"v": 1, "id": (1 << 40) + 1, "ok": True, "result": snap}))
    write("peer", b"s" + msgpack.packb({"v": 1, "id": (1 << 40) + 1, "ok": False,
                                        "error": {"code": "not_found", "message": "région inconnue"}}))


def web_requests():
    """What browsers send the web face (fuzz_web): pages, the API, the
    calendar, forms posted (urlencoded and multipart), cookies, languages."""
    def req(method, path, headers=(), body=b""):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"] + list(headers)
        if body:
            lines.append("Content-Length: %d" % len(body))
        write("web", ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body)
    form = "application/x-www-form-urlencoded"
    req("GET", "/")
    req("GET", "/r/lanaudiere", ["Accept-Language: en-CA,en;q=0.9,fr;q=0.8"])
    req("GET", "/r/lanaudiere?etat=en_cours&responsable=CA&lang=en", ["Accept-Encoding: gzip"])
    req("GET", "/r/lanaudiere/echeances")
    req("GET", "/r/lanaudiere/calendrier?mois=2027-01")
    req("GET", "/r/lanaudiere/calendrier.ics")
    req("GET", "/r/lanaudiere/veille")
    req("GET", "/r/lanaudiere/adhesion", ["Cookie: concertd_session=abc; lang=en"])
    req("GET", "/api/regions")
    req("GET", "/api/r/lanaudiere/actions?etat=prevue")
    req("GET", "/events?region=lanaudiere", ["Last-Event-ID: 3"])
    req("HEAD", "/style.css", ["If-None-Match: \"0123456789abcdef\""])
    req("POST", "/r/lanaudiere/adhesion", ["Content-Type: " + form, "Origin: http://127.0.0.1"],
        "token=x&organisation=Centre+d%27action+b%C3%A9n%C3%A9vole&category=communautaire&contact_name=Julie"
        "&contact_email=julie%40example.org&consent=on&charter_ok=on&motivation=%C2%AB+Agir+%C2%BB".encode())
    req("POST", "/r/lanaudiere/connexion", ["Content-Type: " + form], b"email=marie%40tpdsl.org&password=secret")
    req("POST", "/r/lanaudiere/action/1.1/etat", ["Content-Type: " + form, "Cookie: concertd_session=zz"],
        b"csrf=00&status=done&note=fini")
    boundary = "----b"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nAtelier « été »\r\n--%s--\r\n"
            % (boundary, boundary)).encode("utf-8")
    req("POST", "/r/lanaudiere/calendrier/ajout", ["Content-Type: multipart/form-data; boundary=" + boundary], body)
    write("web", b"GET /r/%C3%A9t%C3%A9/../ HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")


def office_documents():
    """The documents' fixtures: each whole (first byte 0), and its main XML part (1: Word, 2: LibreOffice);
    only those under libFuzzer's 64 KiB (tools/fuzz -max_len), which mutates no longer input."""
    import zipfile
    folder = os.path.join(TOP, "tests", "fixtures", "documents")
    for name in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(name)
        if ext not in (".docx", ".odt", ".xlsx", ".ods"):
            continue
        data = open(os.path.join(folder, name), "rb").read()
        if ext in (".xlsx", ".ods"):  # spreadsheets: whole only
            if len(data) < 65536:
                write("office", b"\x00" + data)
            continue
        part = "word/document.xml" if ext == ".docx" else "content.xml"
        for seed in (b"\x00" + data, (b"\x01" if ext == ".docx" else b"\x02") + zipfile.ZipFile(
                os.path.join(folder, name)).read(part)):
            if len(seed) <= 65536:
                write("office", seed)


def from_a_daemon():
    """A plan exported as JSON and CSV, and a calendar as .ics, as concertd writes them."""
    demo = json.loads(fixture("config", "demo", "lanaudiere.json"))
    write("document", json.dumps(demo["document"], ensure_ascii=False))
    d = harness.Daemon(extra=["--plugin-dir", os.environ["CONCERTD_PLUGINS"], "--plugin", "calendar"]).start()
    try:
        c = d.client()
        harness.seed_plan(c)
        write("document", json.dumps(c.ok("plan.export", region="lanaudiere"), ensure_ascii=False))
        write("csv", c.ok("plan.export", region="lanaudiere", format="csv")["text"])
        c.ok("calendar.add", region="lanaudiere", title="Comité de suivi", start="2027-01-19T13:30",
             place="Joliette", rrule="FREQ=MONTHLY;COUNT=4", description="Ordre du jour : « bilan »")
        c.ok("calendar.add", region="lanaudiere", title="Forum régional", start="2027-05-02", kind="forum")
        write("ical", c.ok("calendar.export", region="lanaudiere")["text"])
        peer_seeds(c)
        c.close()
    finally:
        d.stop()
        d.cleanup()
    write("ical", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@b\r\nDTSTART;TZID=Europe/Paris:"
                  "20270301T100000\r\nDTEND:20270301T120000Z\r\nSUMMARY:Atelier\r\nRRULE:FREQ=WEEKLY;UNTIL=20270401T000000Z"
                  "\r\nEXDATE:20270308T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


if __name__ == "__main__":
    shutil.rmtree(os.path.join(HERE, "corpus"), ignore_errors=True)
    requests()
    echeances()
    plan_texts()
    feeds()
    forms()
    configs()
    web_requests()
    office_documents()
    from_a_daemon()
    for name in sorted(os.listdir(os.path.join(HERE, "corpus"))):
        print("%-14s %d" % (name, len(os.listdir(os.path.join(HERE, "corpus", name)))))
