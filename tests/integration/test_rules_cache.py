"""test_rules_cache - compiled rule databases kept across starts and reloads.

A real filterd with SpamAssassin's rule files: the first start compiles
every Vectorscan database into rules_cache_dir, a reload and a restart
read them all from there, filterd -t reads it but makes and writes
nothing (the log line counts both; no timing is
asserted), and a message gets the same spam verdict and rule hits either
way. A cache directory others can write is refused with a notice and the
rules compiled; a database file replaced by a symbolic link is not
followed but compiled and written again. rules_diff compares every rule
of SA's set over a corpus between the cached databases and PCRE2."""

import email
import glob
import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SA_RULES = sorted(glob.glob("/usr/share/spamassassin/*.cf"))
SA_SAMPLES = sorted(glob.glob(
    "/usr/share/doc/spamassassin/examples/sample-*.txt"))
SENDER = "from@example.org"
RCPT = "to@example.net"
# A message that hits ordinary rules (not GTUBE) of SA's set.
SPAMMY = (b"From: \"Winner\" <winner@example.com>\r\n"
          b"To: you@example.net\r\n"
          b"Subject: FREE!!! Lose weight now, guaranteed\r\n"
          b"Message-ID: <cache@example.com>\r\n"
          b"MIME-Version: 1.0\r\n"
          b"Content-Type: text/html\r\n\r\n"
          b"<html><body><font size=7>100% FREE</font> Click here to "
          b"remove yourself from our list. Dear friend, this is not spam. "
          b"Order now! Lowest mortgage rates, viagra, cialis. "
          b"<a href=\"http://1.2.3.4/remove\">unsubscribe</a> "
          b"You are a WINNER! Act now! Risk free! Money back guarantee!"
          b"</body></html>\r\n")
COUNTS_RE = re.compile(r"Vectorscan databases \d+ bytes in (\d+) "
                       r"\((\d+) from the cache, (\d+) compiled\)")


COMMIT_RE = re.compile(r"rules cache [^ ]+: \d+ databases written, "
                       r"\d+ files removed")


def cache_counts(text):
    """cache_counts - (databases, from the cache, compiled) per load."""
    return [tuple(int(x) for x in m.groups())
            for m in COUNTS_RE.finditer(text)]


class TestRulesCache(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        # The cache holds Vectorscan databases: nothing to test without.
        h.need_vectorscan("the Vectorscan database cache")
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.assertTrue(SA_RULES, "SpamAssassin's rule files (package "
                        "spamd)")
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.sink = self.start(h.Sink(self.tmp))

    def filterd(self, **conf):
        return h.Filterd(self.tmp,
                         banks={"default": {"forward": [self.sink.addr]}},
                         spam_rules=SA_RULES, **conf)

    def verdict(self, fd):
        """verdict - send SPAMMY; the X-Spam-Status the sink got."""
        before = self.sink.count()
        r = h.send_message(fd.port, SENDER, [RCPT], SPAMMY, timeout=30)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(self.sink.wait_count(before + 1, 10), before + 1)
        dumps = self.sink.dumps()
        msg = email.message_from_bytes(dumps[-1].body)
        status = msg["X-Spam-Status"]
        self.assertIsNotNone(status, dumps[-1].body[:2000])
        return re.sub(r"\s+", " ", status)

    def wait_loads(self, fd, n):
        self.assertTrue(h.wait_until(
            lambda: len(cache_counts(fd.log_text())) >= n, 60),
            fd.log_text()[-3000:])
        return cache_counts(fd.log_text())

    def wait_commits(self, fd, n):
        """wait_commits - n loads have written the cache (start, reload:
        after the load's own line, and after the port answers)."""
        self.assertTrue(h.wait_until(
            lambda: len(COMMIT_RE.findall(fd.log_text())) >= n, 60),
            fd.log_text()[-3000:])

    def test_start_reload_restart_read_the_cache(self):
        fd = self.filterd()
        cache = fd.params["rules_cache_dir"]
        # filterd -t makes nothing: no cache directory.
        # SpamAssassin's rules compile in seconds, more under ASan.
        p = fd.check_conf(timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(cache))
        self.start(fd)
        (dbs, cached, compiled), = self.wait_loads(fd, 1)
        # SA's set makes dozens of databases, all compiled at first.
        self.assertGreater(dbs, 30)
        self.assertEqual((cached, compiled), (0, dbs))
        st = os.lstat(cache)
        self.assertEqual(st.st_mode & 0o777, 0o700)
        self.wait_commits(fd, 1)
        self.assertEqual(len(os.listdir(cache)), dbs)
        cold = self.verdict(fd)
        # At least two ordinary rules, or equality proves little.
        hits = re.search(r"tests=([^ ]*)", cold)
        self.assertIsNotNone(hits, cold)
        self.assertGreaterEqual(len(hits.group(1).split(",")), 2, cold)
        fd.signal(signal.SIGHUP)
        loads = self.wait_loads(fd, 2)
        self.assertEqual(loads[1], (dbs, dbs, 0))
        self.assertTrue(h.wait_until(
            lambda: "reloaded %s" % fd.conf_path in fd.log_text(), 30))
        self.assertEqual(self.verdict(fd), cold)
        fd.stop()
        fd.start()
        loads = self.wait_loads(fd, 3)
        self.assertEqual(loads[2], (dbs, dbs, 0))
        self.assertEqual(self.verdict(fd), cold)
        self.wait_commits(fd, 3)
        self.assertEqual(len(os.listdir(cache)), dbs)
        # filterd -t reads the cache, writes nothing.
        names = sorted(os.listdir(cache))
        os.unlink(os.path.join(cache, names[0]))
        p = fd.check_conf(timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        self.assertEqual(cache_counts(out),
                         [(dbs, dbs - 1, 1)])
        self.assertEqual(sorted(os.listdir(cache)), names[1:])

    def test_unsafe_cache_is_refused_and_links_not_followed(self):
        cache = os.path.join(self.tmp.path, "shared-cache")
        os.mkdir(cache)
        os.chmod(cache, 0o777)
        fd = self.start(self.filterd(rules_cache_dir=cache))
        (dbs, cached, compiled), = self.wait_loads(fd, 1)
        self.assertEqual((cached, compiled), (0, dbs))
        self.assertIn("rules cache %s: writable by others" % cache,
                      fd.log_text())
        self.assertEqual(os.listdir(cache), [])
        cold = self.verdict(fd)
        fd.stop()
        # Made safe: filled; then one file a link to a good database.
        os.chmod(cache, 0o700)
        fd.start()
        self.assertEqual(self.wait_loads(fd, 2)[1], (dbs, 0, dbs))
        # The first start had no cache, so nothing to commit.
        self.wait_commits(fd, 1)
        names = sorted(os.listdir(cache))
        self.assertEqual(len(names), dbs)
        target = os.path.join(self.tmp.path, "elsewhere.db")
        os.rename(os.path.join(cache, names[0]), target)
        os.symlink(target, os.path.join(cache, names[0]))
        fd.signal(signal.SIGHUP)
        self.assertEqual(self.wait_loads(fd, 3)[2], (dbs, dbs - 1, 1))
        self.assertIn("%s: a symbolic link, not followed" % names[0],
                      fd.log_text())
        self.wait_commits(fd, 2)
        self.assertFalse(os.path.islink(os.path.join(cache, names[0])))
        self.assertTrue(h.wait_until(
            lambda: "reloaded %s" % fd.conf_path in fd.log_text(), 30))
        self.assertEqual(self.verdict(fd), cold)


class TestRulesCacheDiff(unittest.TestCase):
    """Every rule of SA's set, cached databases against PCRE2."""

    def test_cached_databases_hit_as_pcre2(self):
        self.assertTrue(SA_RULES and SA_SAMPLES)
        bin_ = os.environ.get("RULES_DIFF_BIN") or os.path.join(
            os.path.dirname(h.filterd_bin()), "rules_diff")
        tmp = h.TempDir()
        self.addCleanup(tmp.cleanup)
        env = dict(os.environ, RULES_DIFF_CACHE=os.path.join(tmp.path, "c"))
        outs = []
        for _ in range(2):
            p = subprocess.run([bin_] + SA_RULES + ["--"] + SA_SAMPLES,
                               capture_output=True, text=True, env=env,
                               errors="replace", timeout=240)
            self.assertEqual(p.returncode, 0, p.stdout[-3000:] +
                             p.stderr[-2000:])
            outs.append(p.stdout)
        cold = re.search(r"cache: (\d+) from the cache, (\d+) compiled",
                         outs[0])
        warm = re.search(r"cache: (\d+) from the cache, (\d+) compiled",
                         outs[1])
        self.assertEqual(int(cold.group(1)), 0)
        self.assertGreater(int(cold.group(2)), 30)
        self.assertEqual((int(warm.group(1)), int(warm.group(2))),
                         (int(cold.group(2)), 0))
        last = re.search(r"(\d+) hits of (\d+) rules: identical\n$",
                         outs[1])
        self.assertIsNotNone(last, outs[1][-500:])
        self.assertGreater(int(last.group(1)), 20)
        # The same lines apart from the cache's.
        self.assertEqual(outs[0].splitlines()[2:], outs[1].splitlines()[2:])


if __name__ == "__main__":
    unittest.main()
