"""test_docs - what the documentation lists is what the code has.

The policy bank keys are one X-macro list in the code (conf_bank_keys.h),
printed by `filterd -d`; policy-banks/README.md documents each in a table.
A key added to the code without its row, or a row for a key that is gone,
fails here. README's quick test (a sink and smtp-source around filterd) is
run as written, on ports of its own. contrib/filterd.conf says that every
value it has commented out is the built-in default: each is compared with
`filterd -d`.

filterd.conf(5) is made at build time from `filterd -d`
(contrib/man/gen-conf-man): every key the parser knows, in every section,
must be in it. README's migration example (contrib/migrate/) is quoted
from its files, and its filterd.conf passes `filterd -t`."""

import os
import re
import shlex
import subprocess
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
        m = re.match(r"^\s+#? ?(\w+)(?: \(no default\)| \(built-in: [^()]*\)| = .*)$", line)
        if m:
            keys.append(m.group(1))
    return keys


def defaults_of_binary():
    """{(section or None, key): value without blanks} from `filterd -d`."""
    p = h.run([h.filterd_bin(), "-d"], timeout=20, check=True)
    out, section = {}, None
    for line in p.stdout.decode().splitlines():
        m = re.match(r"^# (\w+) section keys:$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^\s*(\w+)\s*=\s*(.*)$", line)
        if m:
            out[(section, m.group(1))] = re.sub(r"\s", "", m.group(2))
    return out


def commented_values(path):
    """[(line number, section or None, key, value without blanks)] of the
    lines "#key = value" (and "#\tkey = value" inside "#name {")."""
    out, section = [], None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = re.match(r"^#(\w+) \{$", line)
            if m:
                section = m.group(1)
                continue
            if re.match(r"^#\}$", line):
                section = None
                continue
            m = re.match(r"^#\t?(\w+) = (.*?)(\s+#.*)?$", line)
            if m:
                out.append((n, section, m.group(1),
                            re.sub(r"\s", "", m.group(2))))
    return out


def bank_keys_of_readme():
    """The first column of the table under "## Keys"."""
    with open(os.path.join(h.REPO, "policy-banks", "README.md")) as f:
        text = f.read()
    section = text.split("## Keys", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, re.M)


def readme_quick_test():
    """The `smtp-sink ... & smtp-source ...` line of README.md."""
    with open(os.path.join(h.REPO, "README.md")) as f:
        text = f.read()
    lines = re.findall(r"`(smtp-sink [^`]*&\s*smtp-source [^`]*)`", text)
    return lines[0] if lines else None


class DocsTest(unittest.TestCase):

    def test_every_bank_key_is_documented(self):
        code = bank_keys_of_binary()
        readme = bank_keys_of_readme()
        self.assertGreater(len(code), 20, code)
        self.assertEqual(sorted(readme), sorted(code))

    def test_example_configuration_comments_show_the_defaults(self):
        path = os.path.join(h.REPO, "contrib", "filterd.conf")
        defaults = defaults_of_binary()
        values = commented_values(path)
        self.assertGreater(len(values), 30, values)
        self.assertIn((None, "database"), [(None, k) for _, s, k, _ in values
                                           if s == "clamav"])
        wrong = ["%s:%d: %s%s = %s, default %s" % (
            path, n, sec + "." if sec else "", key, value,
            defaults.get((sec, key)))
            for n, sec, key, value in values
            if defaults.get((sec, key)) != value]
        self.assertEqual(wrong, [])


class QuickTest(h.PeerTestCase):
    """README's quick test works as written, as root too (smtp-sink wants
    -u then); only the ports are this test's own."""

    def test_readme_quick_test_runs(self):
        line = readme_quick_test()
        self.assertIsNotNone(line, "no smtp-sink & smtp-source line")
        sink_cmd, source_cmd = [shlex.split(c) for c in line.split("&")]
        sink_port, fd_port = h.free_ports(2)
        sink_cmd = [a.replace("127.0.0.1:10025", "127.0.0.1:%d" % sink_port)
                    for a in sink_cmd]
        source_cmd = [a.replace("127.0.0.1:10024", "127.0.0.1:%d" % fd_port)
                      for a in source_cmd]
        self.assertNotEqual(sink_cmd, line.split("&")[0].split(), line)
        sink = subprocess.Popen(sink_cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(h.stop_popen, sink)
        self.assertTrue(h.wait_port(sink_port, 10, proc=sink),
                        "%s: %s" % (sink_cmd, sink.poll() is not None and
                                    sink.communicate(timeout=5)))
        fd = self.start(h.Filterd(
            self.tmp, listen=[(fd_port, "smtp")],
            banks={"default": {"forward": ["127.0.0.1:%d" % sink_port]}}))
        p = h.run(source_cmd, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = re.search(r"-m (\d+)", line)
        self.assertTrue(fd.wait_messages(int(m.group(1))), fd.log_text())
        self.assertTrue(all(l.passed for l in fd.message_lines()),
                        fd.log_text())


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
