#!/usr/bin/python3
"""concertd.conf(5) from the commented configuration itself (the installed
one, with its places), so the manual and the file cannot drift apart:
the file's opening comment is the description, each [section] a
subsection, each key (set, or commented out as an example) an entry with
the comment written above it.

  conf2man.py CONFIG VERSION concertd.conf.5
"""
import re
import sys

KEY = re.compile(r"^#?\s?([a-z_]+)\s*=\s*(.*)$")
SECTION = re.compile(r"^#?\s?\[([a-zA-Z0-9_.]+)\]\s*$")


def roff(text):
    text = text.replace("\\", "\\\\").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def main():
    path, version = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = ['.TH CONCERTD.CONF 5 "" "concertd %s" "File Formats"' % version,
           ".SH NAME", "concertd.conf \\- configuration of concertd, the concertation daemon",
           ".SH SYNOPSIS", ".I /etc/concertd/concertd.conf", ".SH DESCRIPTION"]
    prose, code, started = [], [], False

    def flush_prose():
        if code:
            out.extend([".PP", ".nf"] + [roff(c) for c in code] + [".fi"])
            code.clear()
        if prose:
            out.extend([".PP", roff(" ".join(prose))])
            prose.clear()

    for line in lines:
        if not line.strip():
            flush_prose()
            continue
        section = SECTION.match(line)
        key = KEY.match(line) if started else None
        if section:
            # The comment just above a section is about it: written under its heading.
            if not started:
                flush_prose()
                out.append(".SH SECTIONS")
                started = True
            out.extend([".SS [%s]%s" % (section.group(1), " (example, commented out)" if line.startswith("#") else "")])
            flush_prose()
        elif key:
            name, value = key.groups()
            commented = line.startswith("#")
            out.extend([".TP", ".B %s = %s%s" % (name, roff(value), "  (example)" if commented else "")])
            if code:
                prose.extend(code)
                code.clear()
            if prose:
                out.append(roff(" ".join(prose)))
                prose.clear()
        elif line.startswith("#   ") or line.startswith("#\t"):
            code.append(line[1:].strip())
        elif line.startswith("#"):
            if code:
                flush_prose()
            prose.append(line.lstrip("#").strip())
    flush_prose()
    out.extend([".SH SEE ALSO", ".BR concertd (8),", ".BR concertctl (1)"])
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
