"""test_attack16 - outside attack on the Vectorscan rules and their cache.

rules_diff (the oracle of test_rules_engines) loads each rule file with
Vectorscan, as filterd runs it, and with PCRE2 alone; the two must agree
on every rule for every message. Each test here is one way found to make
them disagree, or to make a load misbehave:

- inline pattern options and verbs that rules_hs_mode() does not look
  for: "(?xx)" (PCRE2 10.30+: white space inside classes ignored too),
  "(?x)" with a NEL byte (white space to PCRE2, a literal to
  Vectorscan), "(*UCP)" with the i flag (PCRE2 folds Latin-1 letters,
  Vectorscan only ASCII), "(*UTF)" over invalid UTF-8 (PCRE2 gives up,
  Vectorscan hits);
- rules_hs_unfit(), the guard that keeps repeats over 1,000 (seconds of
  Vectorscan compile each) on PCRE2, is blinded by a "[" in a comment
  "(?#[)" or a quoted "\\Q[\\E": it reads a class to the end of the
  pattern, and the repeat goes to Vectorscan's compiler;
- nested repeats, each under the guard's bound, multiply in the
  compiler: "(?:[^>]{0,1000}x){0,99}" costs 2 s and 170 MB per load
  here, "(?:[^<]{0,1000}<[^>]{1,1000}>){0,99}" 4.4 s and 350 MB and is
  then refused, so compiled (and refused) again at every load;
- a cache file name that is a FIFO: rules_cache_get() opens it
  O_RDONLY before it checks the type, and the load blocks for good;
- a cache directory given with a trailing "/" (or "/."): O_NOFOLLOW
  does not apply, a symbolic link is followed and its target used,
  written and pruned;
- a cache file owned by another user (left from when the directory was
  open to others, before its mode was fixed) is read and used: the
  directory's owner and mode are checked, never the file's;
- an existing directory named as the cache (rules_cache_dir =
  /var/cache, say) is chmod 0700 when group or others may read it: a
  shared system directory closed to every other user by a setting;
- a reload that is then rejected ("configuration unchanged": a listener
  whose port is taken) has already written the new rules' databases and
  pruned the running set's from the cache: the next restart, with the
  rules in use, compiles everything again.
"""

import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

PATHS_RE = re.compile(r"paths: (\d+) exact, (\d+) prefilter, (\d+) pcre2")
COUNTS_RE = re.compile(r"Vectorscan databases \d+ bytes in (\d+) "
                       r"\((\d+) from the cache, (\d+) compiled\)")


def rules_diff_bin():
    """rules_diff_bin - the comparison tool next to filterd."""
    path = os.environ.get("RULES_DIFF_BIN") or os.path.join(
        os.path.dirname(h.filterd_bin()), "rules_diff")
    if not os.access(path, os.X_OK):
        raise RuntimeError("rules_diff not found: %s (set RULES_DIFF_BIN)"
                           % path)
    return path


class TestAttack16(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="filterd-att16-")
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name
        self.n = 0

    def write(self, data):
        """write - a new file of the temporary directory; its path."""
        self.n += 1
        path = os.path.join(self.dir, "f%03d" % self.n)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def diff(self, rules, messages, env=None, timeout=120):
        """diff - rules_diff over the messages; (exit code, stdout)."""
        cf = self.write(rules)
        msgs = [self.write(m) for m in messages]
        p = subprocess.run([rules_diff_bin(), cf, "--"] + msgs,
                           capture_output=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})))
        return p.returncode, p.stdout.decode("latin-1") + \
            p.stderr.decode("latin-1")

    def assert_agree(self, rules, messages, rule):
        rc, out = self.diff(rules, messages)
        self.assertEqual(rc, 0, "engines differ on %s:\n%s" % (rule, out))
        # The verdict is stdout's last line; stderr (the load's log
        # lines) follows it in out.
        self.assertRegex(out, r"(?m)^\d+ inputs, .*: identical$")

    def paths(self, rules):
        rc, out = self.diff(rules, [b"Subject: x\n\nx\n"])
        self.assertEqual(rc, 0, out)
        m = PATHS_RE.search(out)
        self.assertIsNotNone(m, out)
        return tuple(int(x) for x in m.groups())

    # Exactness: inline options and verbs.

    def test_inline_xx_option(self):
        # PCRE2 reads "[ b]" under (?xx) as "[b]": "a c" does not match.
        # Vectorscan takes (?xx) as (?x), keeps the space: a hit.
        self.assert_agree(b"body XX /a(?xx)[ b]c/\n",
                          [b"Subject: xx\n\nsay a c here\n"], "XX")

    def test_inline_x_option_nel(self):
        # Under (?x) PCRE2 (non-UTF) skips NEL (\x85) as white space;
        # Vectorscan matches it as a literal byte: PCRE2 hits, it not.
        self.assert_agree(b"body XNEL /(?x)ab\x85cd/\n",
                          [b"Subject: nel\n\nabcd\n"], "XNEL")

    def test_ucp_caseless_latin1(self):
        # (*UCP) with /i: PCRE2 10.42 folds \xe9 and \xc9 (Latin-1 e
        # acute, as a byte) also without UTF; Vectorscan folds ASCII only:
        # "CAF\xc9" misses the rule on Vectorscan (a spam rule fails open).
        self.assert_agree(b"body UCPI /(*UCP)caf\\xe9/i\n",
                          [b"Subject: ucp\n\nCAF\xc9 cr\xe8me\n"], "UCPI")

    def test_utf_verb_invalid_utf8(self):
        # (*UTF): PCRE2 refuses a subject that is not UTF-8 (an error, no
        # hit); Vectorscan scans the bytes and hits.
        self.assert_agree(b"body UTFV /(*UTF)viagra/\n",
                          [b"Subject: utf\n\nviagra \xff\xfe cheap\n"],
                          "UTFV")

    # Resource: the long-repeat guard.

    def test_repeat_guard_comment_bracket(self):
        # Written plainly, x{0,2048} is PCRE2's alone (rules_hs_unfit).
        plain = self.paths(b"body LONG /ax{0,2048}b/\n")
        # A "[" in a comment hides the repeat from the guard: it goes to
        # Vectorscan's compiler (SA's __SPOOFED_URL so hidden: 18 s of
        # CPU and 450 MB per load here).
        hidden = self.paths(b"body LONG /(?#[)ax{0,2048}b/\n")
        self.assertEqual(hidden, plain, "(?#[) hides the repeat")

    def test_repeat_guard_quoted_bracket(self):
        plain = self.paths(b"body LONG /ax{0,2048}b/\n")
        hidden = self.paths(b"body LONG /\\Q[\\Eax{0,2048}b/\n")
        self.assertEqual(hidden, plain, "\\Q[\\E hides the repeat")

    def test_repeat_guard_nested(self):
        # 99 times a repeat of 1,000: the compiler unrolls 99,000.
        plain = self.paths(b"body LONG /ax{0,2048}b/\n")
        nested = self.paths(b"body LONG /a(?:[^>]{0,1000}x){0,99}b/\n")
        self.assertEqual(nested, plain, "nested repeats are not weighed")

    def test_guard_keeps_ordinary_patterns(self):
        # The guard is conservative, not blunt: what Vectorscan reads as
        # PCRE2 does stays there (SA's rules: 3 of 1,136 moved).
        stay = [rb"(?i)foo\s+bar", rb"(?-i:Foo)bar", rb"(?s:a.b)c",
                rb"(?im)^subject", rb"[[:alpha:]]{3}x", rb"\x{41}{2}bc",
                rb"\p{L}{3}q", rb"(?:ab{10}){50}", rb"a[(*]b",
                rb"a\(\*b", rb"[{]{0,5}x", rb"(?<=a)b{1,1000}",
                rb"(?:(?:a{10}){10}){10}"]
        leave = [rb"(?:ab{10}){101}", rb"(?:(?:a{10}){10}){11}",
                 rb"(?x)a b", rb"(?n)(a)b", rb"(?^)ab", rb"(*CRLF)a$",
                 rb"(?#c)ab", rb"\Qa.b\E", rb"a{,5}b", rb"(?i:a(?x)b c)",
                 rb"[\Q]\E]x"]
        # GTUBE is always on Vectorscan: (1, 0, 1) is R on PCRE2 alone.
        for pat, pcre2 in [(p, 0) for p in stay] + [(p, 1) for p in leave]:
            rules = b"body R /" + pat + b"/\n"
            self.assertEqual(self.paths(rules)[2], pcre2, pat)
            self.assert_agree(rules, [b"Subject: s\n\nfoo bar Foobar a\nb "
                                      b"aab AAbc a(*b\n"], pat)

    # Cache: a FIFO under a database's name.

    def test_cache_fifo_does_not_block_load(self):
        cache = os.path.join(self.dir, "cache")
        rules = b"body ONE /hello\\s+world/\nbody TWO /cheap\\s+pills/\n"
        msg = [b"Subject: hi\n\nhello world, cheap pills\n"]
        rc, out = self.diff(rules, msg, env={"RULES_DIFF_CACHE": cache})
        self.assertEqual(rc, 0, out)
        names = [n for n in os.listdir(cache) if n.startswith("hs-")]
        self.assertTrue(names, out)
        path = os.path.join(cache, names[0])
        os.unlink(path)
        os.mkfifo(path, 0o600)
        self.assertTrue(stat.S_ISFIFO(os.lstat(path).st_mode))
        # A bad cache is a notice and a compile; never a load that hangs
        # (filterd's start, reload and -t load the same way).
        try:
            rc, out = self.diff(rules, msg,
                                env={"RULES_DIFF_CACHE": cache},
                                timeout=20)
        except subprocess.TimeoutExpired:
            self.fail("the load blocked for 20 s opening the FIFO %s"
                      % names[0])
        self.assertEqual(rc, 0, out)

    # Cache: a symbolic link as the directory, named with a trailing "/".

    def test_cache_dir_link_trailing_slash_refused(self):
        real = os.path.join(self.dir, "real")
        os.mkdir(real, 0o700)
        link = os.path.join(self.dir, "link")
        os.symlink(real, link)
        rules = b"body ONE /hello\\s+world/\n"
        msg = [b"Subject: hi\n\nhello world\n"]
        for name in (link, link + "/", link + "/."):
            rc, out = self.diff(rules, msg, env={"RULES_DIFF_CACHE": name})
            self.assertEqual(rc, 0, out)
            self.assertEqual(os.listdir(real), [],
                             "cache %r: the link was followed:\n%s"
                             % (name, out))

    # Cache: an existing, readable directory keeps its mode.

    def test_cache_existing_dir_mode_kept(self):
        shared = os.path.join(self.dir, "shared")
        os.mkdir(shared)
        os.chmod(shared, 0o755)
        rules = b"body ONE /hello\\s+world/\n"
        msg = [b"Subject: hi\n\nhello world\n"]
        rc, out = self.diff(rules, msg, env={"RULES_DIFF_CACHE": shared})
        self.assertEqual(rc, 0, out)
        self.assertEqual(oct(os.stat(shared).st_mode & 0o777), "0o755",
                         "the load changed an existing directory's mode:"
                         "\n" + out)

    # Cache: a file of another user.

    @unittest.skipUnless(os.geteuid() == 0, "chown needs root")
    def test_cache_file_of_another_user_not_used(self):
        rules_a = b"body ONE /hello\\s+world/\n"
        rules_b = b"body ONE /cheap\\s+pills/\n"
        msg = [b"Subject: hi\n\nbuy cheap pills now\n"]
        dir_a = os.path.join(self.dir, "cache-a")
        dir_b = os.path.join(self.dir, "cache-b")
        for rules, d in ((rules_a, dir_a), (rules_b, dir_b)):
            rc, out = self.diff(rules, msg, env={"RULES_DIFF_CACHE": d})
            self.assertEqual(rc, 0, out)
        names_a = [n for n in os.listdir(dir_a) if n.startswith("hs-")]
        names_b = [n for n in os.listdir(dir_b) if n.startswith("hs-")]
        self.assertEqual((len(names_a), len(names_b)), (1, 1))
        # Another user's file under rule set A's name, holding the
        # database of B (a valid one: same ids, other pattern), as that
        # user could write it while the directory was mode 0777.
        path = os.path.join(dir_a, names_a[0])
        with open(os.path.join(dir_b, names_b[0]), "rb") as f:
            data = f.read()
        os.unlink(path)
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, 65534, 65534)
        os.chmod(path, 0o644)
        os.chmod(dir_a, 0o700)
        rc, out = self.diff(rules_a, msg, env={"RULES_DIFF_CACHE": dir_a})
        self.assertNotRegex(out, r"cache: 1 from the cache",
                            "another user's file was used")
        self.assertEqual(rc, 0, "another user chose the database:\n" + out)

    def test_cache_file_writable_by_others_not_used(self):
        # As above without root: a file of ours that others may write
        # (mode 0666, left from a umask of 0) holds B's database under
        # A's name. It is said and compiled over, never used.
        rules_a = b"body ONE /hello\\s+world/\n"
        rules_b = b"body ONE /cheap\\s+pills/\n"
        msg = [b"Subject: hi\n\nbuy cheap pills now\n"]
        dir_a = os.path.join(self.dir, "cache-a")
        dir_b = os.path.join(self.dir, "cache-b")
        for rules, d in ((rules_a, dir_a), (rules_b, dir_b)):
            rc, out = self.diff(rules, msg, env={"RULES_DIFF_CACHE": d})
            self.assertEqual(rc, 0, out)
        name_a, = [n for n in os.listdir(dir_a) if n.startswith("hs-")]
        name_b, = [n for n in os.listdir(dir_b) if n.startswith("hs-")]
        path = os.path.join(dir_a, name_a)
        os.unlink(path)
        with open(os.path.join(dir_b, name_b), "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o666)
        rc, out = self.diff(rules_a, msg, env={"RULES_DIFF_CACHE": dir_a})
        self.assertEqual(rc, 0, "a file others can write chose the "
                         "database:\n" + out)
        self.assertIn("cache: 0 from the cache, 1 compiled", out)
        self.assertIn("writable by others, not used", out)
        # Compiled over: the name now holds our own file, used next time.
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        rc, out = self.diff(rules_a, msg, env={"RULES_DIFF_CACHE": dir_a})
        self.assertIn("cache: 1 from the cache, 0 compiled", out)


class TestAttack16Reload(h.PeerTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def loads(self, fd, n):
        self.assertTrue(h.wait_until(
            lambda: len(COUNTS_RE.findall(fd.log_text())) >= n, 30),
            fd.log_text()[-3000:])
        return [tuple(int(x) for x in m)
                for m in COUNTS_RE.findall(fd.log_text())]

    def test_rejected_reload_keeps_the_cache(self):
        cf = os.path.join(self.tmp.path, "rules.cf")
        with open(cf, "w") as f:
            f.write("body A1 /hello\\s+world/\nheader A2 Subject =~ "
                    "/free/i\n")
        fd = self.start(h.Filterd(self.tmp, spam_rules=[cf],
                                  min_servers=1, max_servers=1))
        cache = fd.params["rules_cache_dir"]
        (dbs, cached, compiled), = self.loads(fd, 1)
        self.assertEqual((cached, compiled), (0, dbs))
        # Written when the start is committed (after the load's line).
        self.assertTrue(h.wait_until(
            lambda: "rules cache %s: %d databases written" % (cache, dbs)
            in fd.log_text(), 30), fd.log_text()[-3000:])
        running = sorted(os.listdir(cache))
        self.assertEqual(len(running), dbs)
        # New rules, and a listener on a port taken: rejected.
        with open(cf, "w") as f:
            f.write("body B1 /cheap\\s+pills/\nheader B2 Subject =~ "
                    "/win/i\n")
        taken = self.start(h.Sink(self.tmp, name="taken"))
        fd.listen = fd.listen + [(taken.port, "smtp")]
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 30), fd.log_text())
        self.assertEqual(sorted(os.listdir(cache)), running,
                         "a rejected reload ('configuration unchanged') "
                         "rewrote the cache of the running rules")


if __name__ == "__main__":
    unittest.main()
