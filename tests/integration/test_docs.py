"""test_docs - what the documentation lists is what the code has.

The policy bank keys are one X-macro list in the code (conf_bank_keys.h),
printed by `filterd -d`; policy-banks/README.md documents each in a table.
A key added to the code without its row, or a row for a key that is gone,
fails here.

filterd.conf(5) is made at build time from `filterd -d`
(contrib/man/gen-conf-man): every key the parser knows, in every section,
must be in it. README's migration example (contrib/migrate/) is quoted
from its files, and its filterd.conf passes `filterd -t`."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def bank_keys_of_binary():
    """The keys `filterd -d` lists under "bank section keys"."""
    p = h.run([h.filterd_bin(), "-d"], timeout=20, check=True)
    out = p.stdout.decode()
    block = out.split("# bank section keys:", 1)[1]
    keys = []
    for line in block.splitlines()[1:]:
        if not line.startswith("    "):
            break
        m = re.match(r"^\s+#? ?(\w+)(?: \(no default\)| = .*)$", line)
        if m:
            keys.append(m.group(1))
    return keys


def bank_keys_of_readme():
    """The first column of the table under "## Keys"."""
    with open(os.path.join(h.REPO, "policy-banks", "README.md")) as f:
        text = f.read()
    section = text.split("## Keys", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, re.M)


class DocsTest(unittest.TestCase):

    def test_every_bank_key_is_documented(self):
        code = bank_keys_of_binary()
        readme = bank_keys_of_readme()
        self.assertGreater(len(code), 20, code)
        self.assertEqual(sorted(readme), sorted(code))


# Every section once, so that `filterd -n` prints every key of each.
ALL_SECTIONS = """
clamav { database = "/nonexistent" }
spamd { address = "127.0.0.1:783" }
sql { storage = {"mysql://u:p@127.0.0.1/x"} }
listen "127.0.0.1:10024" { protocol = smtp  bank = default }
bank default { forward = {"127.0.0.1:10025"} }
"""


def keys_of_parser(tmp):
    """Every key the parser has: `filterd -n` on a file with every section
    prints each section whole; `filterd -d` the top-level keys."""
    path = os.path.join(tmp, "all.conf")
    with open(path, "w") as f:
        f.write(ALL_SECTIONS)
    keys = set()
    for argv in ([h.filterd_bin(), "-n", "-c", path], [h.filterd_bin(), "-d"]):
        out = h.run(argv, timeout=20, check=True).stdout.decode()
        keys.update(re.findall(r"^\s*(?:# ?)?([a-z_][a-z0-9_]*)"
                               r"(?: ?= ?| \(no default\)$)", out, re.M))
    return keys


def man_page():
    """The filterd.conf(5) of this build."""
    build = os.path.dirname(os.path.dirname(h.filterd_bin()))
    with open(os.path.join(build, "man", "filterd.conf.5")) as f:
        return f.read()


class ManPageTest(unittest.TestCase):

    def test_every_key_is_in_filterd_conf_5(self):
        with h.TempDir() as tmp:
            keys = keys_of_parser(tmp.path)
        self.assertIn("database", keys)
        listed = set(re.findall(r"^\.It Cm (\w+)$", man_page(), re.M))
        self.assertEqual(sorted(keys - listed), [])


MIGRATE = os.path.join(h.REPO, "contrib", "migrate")


class MigrationExampleTest(unittest.TestCase):
    """README's "Migrating from amavisd-new" quotes contrib/migrate/ whole,
    and the filterd.conf there is one filterd -t passes (with a test
    signature database in place of /var/lib/clamav, which this host may
    not have)."""

    def test_readme_quotes_the_files(self):
        with open(os.path.join(h.REPO, "README.md")) as f:
            readme = f.read()
        for name in ("amavisd.conf", "filterd.conf"):
            with open(os.path.join(MIGRATE, name)) as f:
                text = f.read()
            self.assertTrue("\n```\n" + text + "```\n" in readme,
                            "README does not quote contrib/migrate/" + name)

    def test_filterd_conf_passes_t(self):
        with open(os.path.join(MIGRATE, "filterd.conf")) as f:
            text = f.read()
        self.assertIn('database = "/var/lib/clamav"', text)
        with h.TempDir() as tmp:
            db = os.path.join(tmp.path, "clamav")
            os.mkdir(db)
            with open(os.path.join(db, "test.hdb"), "w") as f:
                f.write("44d88612fea8a8f36de82e1278abb02f:68:"
                        "Eicar-Test-Signature\n")
            conf = os.path.join(tmp.path, "filterd.conf")
            with open(conf, "w") as f:
                f.write(text.replace('"/var/lib/clamav"', '"%s"' % db))
            p = h.run([h.filterd_bin(), "-t", "-c", conf], timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
