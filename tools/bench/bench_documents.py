#!/usr/bin/python3
"""Import of a 300-action plan from the table's own documents (.docx, .odt,
.xlsx, .ods, PDF) against the same plan as text, in one run: the time a dry-run
plan.import takes (its reply, document read off the loop included), and the
daemon's peak memory (VmHWM) while doing it, a fresh daemon per format.

    /usr/bin/python3 tools/bench/bench_documents.py build

Needs Debian's python3-docx and python3-openpyxl, and LibreOffice for the
.odt, .ods and PDF (left out without it)."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "build"))
os.environ.setdefault("CONCERTD", os.path.join(BUILD, "core", "concertd"))
sys.path.insert(0, os.path.join(TOP, "tests", "support"))
import harness  # noqa: E402

RUNS = 5
COLUMNS = ["Objectif", "Moyens d'action", "Échéance", "Responsable", "Résultats attendus"]


def plan_rows():
    """10 orientations × 3 objectives × 10 actions."""
    for o in range(1, 11):
        yield ("orientation", o, "Orientation %d : Agir ensemble sur l'enjeu numéro %d du territoire" % (o, o))
        for b in range(1, 4):
            for a in range(1, 11):
                yield ("action", o, "%d.%d Objectif %d.%d : renforcer la concertation" % (o, b, o, b) if a == 1 else "",
                       "%d.%d.%d Réaliser l'action %d de l'objectif %d.%d avec les partenaires du milieu" % (o, b, a, a, o, b),
                       ["Automne 2024", "Hiver 2025", "An 2", "En continu", "Printemps 2025"][a % 5],
                       "Équipe", "Une rencontre par trimestre avec %d partenaires" % (a + 3))


def as_text():
    lines = ["Plan d'action 2024-2027", ""]
    for row in plan_rows():
        if row[0] == "orientation":
            lines += ["", row[2], "\t".join(COLUMNS)]
        else:
            lines.append("\t".join(row[2:]))
    return "\n".join(lines) + "\n"


def as_docx(path):
    import docx
    d = docx.Document()
    d.add_paragraph("Plan d'action 2024-2027")
    table = None
    for row in plan_rows():
        if row[0] == "orientation":
            d.add_paragraph(row[2])
            table = d.add_table(rows=1, cols=5)
            for i, c in enumerate(COLUMNS):
                table.rows[0].cells[i].text = c
        else:
            cells = table.add_row().cells
            for i, v in enumerate(row[2:]):
                cells[i].text = v
    d.save(path)


def as_xlsx(path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Plan d'action 2024-2027"])
    ws.append(["Orientation", "Objectif", "Action", "Échéance", "Responsable", "Résultats attendus"])
    ori = obj = ""
    for row in plan_rows():
        if row[0] == "orientation":
            ori = row[2]
        else:
            obj = row[2] or obj
            num, text = row[3].split(" ", 1)
            ws.append([ori, obj, "%s %s" % (num, text), row[4], row[5], row[6]])
    wb.save(path)


def measure(label, fmt, payload):
    d = harness.Daemon().start()
    c = d.client()
    try:
        c.ok("region.create", id="r", name="R")
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            r = c.call("plan.import", {"region": "r", "format": fmt, "text": payload, "dry_run": True}, timeout=120000)
            times.append(time.perf_counter() - t0)
            assert r["ok"], r
            actions = len(r["result"]["document"]["actions"])
        with open("/proc/%d/status" % d.proc.pid) as f:
            hwm = [l for l in f if l.startswith("VmHWM")][0].split()[1]
        print("| %s | %d | %.1f | %.1f | %.1f |" % (label, actions, statistics.median(times) * 1000,
                                                     max(times) * 1000, int(hwm) / 1024))
    finally:
        c.close()
        d.stop()
        d.cleanup()


def main():
    folder = tempfile.mkdtemp(prefix="bench-documents-")
    text = as_text()
    as_docx(os.path.join(folder, "plan.docx"))
    as_xlsx(os.path.join(folder, "plan.xlsx"))
    soffice = shutil.which("soffice")
    if soffice:
        for src, fmt in (("plan.docx", "odt"), ("plan.xlsx", "ods"), ("plan.docx", "pdf")):
            subprocess.run([soffice, "--headless", "--convert-to", fmt, "--outdir", folder, os.path.join(folder, src)],
                           check=True, capture_output=True, timeout=300)
    print("| as | actions | median (ms) | slowest of %d (ms) | daemon peak RSS (MB) |" % RUNS)
    print("|---|---|---|---|---|")
    measure("text (the baseline)", "table", text)
    for name in ("plan.docx", "plan.odt", "plan.xlsx", "plan.ods", "plan.pdf"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            measure("%s (%d KB)" % (name[5:], len(data) // 1024), "office", data)
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
