#!/usr/bin/python3
"""concertd.conf(5) from the commented configuration itself (the installed
one, with its places), so the manual and the file cannot drift apart:
the file's opening comment is the description, each [section] a
subsection, each key (set, or commented out as an example) an entry with
the comment written above it.

  conf2man.py CONFIG VERSION concertd.conf.5 [TRANSLATIONS]

With TRANSLATIONS (concertd.conf.fr: each English paragraph of the file's
comments, a line "en: …", then its French, "fr: …"), the page in that
language; a paragraph of the file without a translation, or a translation
of a paragraph the file no longer has, stops the build with the text to
write: the French page cannot drift either.
"""
import re
import sys

WORDS = {
    "en": {"name": "NAME", "synopsis": "SYNOPSIS", "description": "DESCRIPTION", "sections": "SECTIONS",
           "see": "SEE ALSO", "what": "configuration of concertd, the concertation daemon",
           "example section": " (example, commented out)", "example": "  (example)", "kind": "File Formats"},
    "fr": {"name": "NOM", "synopsis": "SYNOPSIS", "description": "DESCRIPTION", "sections": "SECTIONS",
           "see": "VOIR AUSSI", "what": "configuration de concertd, le démon de concertation",
           "example section": " (exemple, en commentaire)", "example": "  (exemple)", "kind": "Formats de fichiers"},
}


PATH = re.compile(r"(?<![\w.])/[\w./-]*\w")


def read_translations(path):
    """{English paragraph: French paragraph} from the en:/fr: file."""
    table, english = {}, None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("en: "):
                english = line[4:]
            elif line.startswith("fr: ") and english is not None:
                table[english] = line[4:]
                english = None
            elif line.strip() and not line.startswith("#"):
                sys.exit("%s:%d: a line is \"en: …\", \"fr: …\", a comment or empty" % (path, n))
    return table

KEY = re.compile(r"^#?\s?([a-z_]+)\s*=\s*(.*)$")
SECTION = re.compile(r"^#?\s?\[([a-zA-Z0-9_.]+)\]\s*$")


def roff(text):
    text = text.replace("\\", "\\\\").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def main():
    path, version = sys.argv[1], sys.argv[2]
    table = read_translations(sys.argv[4]) if len(sys.argv) > 4 else None
    w = WORDS["fr" if table is not None else "en"]
    used, missing = set(), []

    def tr(text):
        """French for an English paragraph. Absolute paths (the installed
        places, which depend on the prefix) are {} in the table."""
        if table is None:
            return text
        paths = PATH.findall(text)
        key = PATH.sub("{}", text.strip())
        if key not in table:
            missing.append(key)
            return text
        used.add(key)
        parts = table[key].split("{}")
        return "".join(part + (paths[i] if i < len(paths) else "") for i, part in enumerate(parts))

    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = ['.TH CONCERTD.CONF 5 "" "concertd %s" "%s"' % (version, w["kind"]),
           ".SH " + w["name"], "concertd.conf \\- " + w["what"],
           ".SH " + w["synopsis"], ".I /etc/concertd/concertd.conf", ".SH " + w["description"]]
    prose, code, started = [], [], False

    def flush_prose():
        if code:
            out.extend([".PP", ".nf"] + [roff(c) for c in code] + [".fi"])
            code.clear()
        if prose:
            out.extend([".PP", roff(tr(" ".join(prose)))])
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
                out.append(".SH " + w["sections"])
                started = True
            out.extend([".SS [%s]%s" % (section.group(1), w["example section"] if line.startswith("#") else "")])
            flush_prose()
        elif key:
            name, value = key.groups()
            commented = line.startswith("#")
            out.extend([".TP", ".B %s = %s%s" % (name, roff(value), w["example"] if commented else "")])
            if code:
                prose.extend(code)
                code.clear()
            if prose:
                out.append(roff(tr(" ".join(prose))))
                prose.clear()
        elif line.startswith("#   ") or line.startswith("#\t"):
            code.append(line[1:].strip())
        elif line.startswith("#"):
            if code:
                flush_prose()
            prose.append(line.lstrip("#").strip())
    flush_prose()
    out.extend([".SH " + w["see"], ".BR concertd (8),", ".BR concertctl (1)"])
    if table is not None:
        stale = sorted(set(table) - used)
        if missing or stale:
            sys.stderr.write("conf2man.py: %s is behind the configuration's comments:\n" % sys.argv[4])
            for text in missing:
                sys.stderr.write("  to translate:\n    en: %s\n" % text)
            for text in stale:
                sys.stderr.write("  no longer in the file:\n    en: %s\n" % text)
            sys.exit(1)
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
