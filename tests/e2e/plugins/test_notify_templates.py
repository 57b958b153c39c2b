"""The texts of notify's messages exist twice: built into the plugin (for a
node without [plugin.notify] templates_dir) and as the files the package
installs in /etc/concertd/notify for the table to edit (config/notify).
They must say the same: every file is rendered by a daemon reading the
files and by one using its built-in texts, and the two messages compared."""
import os
import sqlite3
import unittest

from harness import PLUGINS, SOURCE, Daemon, free_port

NOTIFY = os.path.join(SOURCE, "config", "notify")


def outbox(templates_dir):
    conf = ("[plugins]\npath = %s\nload = notify\n[plugin.notify]\nsmtp_url = smtp://127.0.0.1:%d\ntls = none\n"
            "from = tpdsl@example.org\n%s" % (PLUGINS, free_port(),
                                              "templates_dir = %s\n" % templates_dir if templates_dir else ""))
    d = Daemon(config=conf).start()
    try:
        c = d.client()
        c.ok("region.create", id="lanaudiere", name="Lanaudière")
        for name in sorted(os.listdir(NOTIFY)):
            template, lang, _ = name.rsplit(".", 2)
            c.ok("notify.send", address="marie@example.org", region="lanaudiere", template=template, key=name,
                 lang=lang, data={"peer": "tpdsl", "title": "Assemblée", "organisation": "CDC Matawinie"})
        c.close()
        d.stop()
        db = sqlite3.connect("file:%s/concertd.db?mode=ro" % d.data, uri=True)
        rows = db.execute("SELECT dedupe_key, subject, body FROM notify_outbox ORDER BY id").fetchall()
        db.close()
        return rows
    finally:
        d.cleanup()


class Templates(unittest.TestCase):
    def test_the_files_and_the_built_in_texts_say_the_same(self):
        from_files, built_in = outbox(NOTIFY), outbox(None)
        self.assertEqual(len(from_files), len(os.listdir(NOTIFY)))
        self.assertEqual(len(built_in), len(from_files))
        for a, b in zip(from_files, built_in):
            self.assertEqual(a, b)
            self.assertNotIn("{{", a[2], a[0])  # every value the text names is one notify knows


if __name__ == "__main__":
    unittest.main()
