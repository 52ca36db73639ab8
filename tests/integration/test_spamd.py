"""test_spamd - the spam score with a real SpamAssassin spamd next to it.

The test starts its own spamd (Debian package spamd, SpamAssassin 4.0) on
loopback: local tests only (-L), no user preferences (-x), its own site
configuration directory (the plugin .pre files of the installed package,
no Bayes, no DNS), one child. The rules are the package's
(/usr/share/spamassassin); nothing is downloaded, and GTUBE needs nothing.

filterd adds spamd's score to its built-in one and names it SPAMD in the
tests list; when spamd is down the message still goes through, filterd
logs a warning and the built-in score stands. Every process started here
is stopped by pid; every wait is bounded.
"""

import email
import glob
import os
import re
import shutil
import socket
import sys
import subprocess
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SPAMD = shutil.which("spamd") or "/usr/sbin/spamd"
SITE_PRE = "/etc/spamassassin"
GTUBE = (b"XJS*C4JDBQADN1.NSBN3*2IDNEN*" +
         b"GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X")
BUILTIN_GTUBE = 1000.0
SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
START_TIMEOUT = 60.0

LOCAL_CF = """# written by test_spamd.py: no network, no learning
dns_available no
skip_rbl_checks 1
use_bayes 0
bayes_auto_learn 0
"""


def message(subject, body):
    mid = subject.replace(" ", "-")
    return (b"From: Sender <sender@example.org>\r\n"
            b"To: Rcpt <rcpt@example.net>\r\n"
            b"Date: Thu, 23 Nov 2023 10:00:00 +0000\r\n"
            b"Subject: " + subject.encode() + b"\r\n"
            b"Message-ID: <" + mid.encode() + b"@example.org>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + body)


def spamd_ping(port):
    """spamd_ping - True when spamd answers PING with PONG."""
    try:
        with socket.create_connection((h.LOCALHOST, port), timeout=2) as s:
            s.sendall(b"PING SPAMC/1.5\r\n\r\n")
            return s.recv(256).startswith(b"SPAMD/1.5 0 PONG")
    except OSError:
        return False


class Spamd:
    """Spamd - a private spamd on loopback, stopped by pid."""

    def __init__(self, tmp, name="spamd", port=None):
        self.tmp = tmp
        self.name = name
        self.port = port or h.free_port()
        self.dir = tmp.sub(name)
        self.site = tmp.sub(name + "/site")
        self.log_path = os.path.join(self.dir, "spamd.log")
        self.pidfile = os.path.join(self.dir, "spamd.pid")
        self.proc = None

    @property
    def addr(self):
        return "%s:%d" % (h.LOCALHOST, self.port)

    def write_site(self):
        # The package's plugin list; sa-compile.pre would want compiled
        # rules, which are not needed here.
        for pre in glob.glob(os.path.join(SITE_PRE, "*.pre")):
            if os.path.basename(pre) != "sa-compile.pre":
                shutil.copy(pre, self.site)
        with open(os.path.join(self.site, "local.cf"), "w") as f:
            f.write(LOCAL_CF)

    def start(self):
        self.write_site()
        argv = [SPAMD, "--listen=%s" % self.addr,
                "--pidfile=%s" % self.pidfile, "--syslog=stderr",
                "--local", "--nouser-config", "--max-children=1",
                "--siteconfigpath=%s" % self.site,
                "--helper-home-dir=%s" % self.dir]
        if h.IS_ROOT:
            argv += ["--username=nobody"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
        up = h.wait_until(lambda: self.proc.poll() is not None or
                          spamd_ping(self.port), START_TIMEOUT, 0.2)
        if not up or self.proc.poll() is not None:
            status = self.stop()
            raise RuntimeError("spamd did not answer PING within %ds "
                               "(status %s):\n%s" % (START_TIMEOUT, status,
                                                     self.log_text()[-3000:]))
        return self

    def stop(self):
        if self.proc is None:
            return None
        kids = h.child_pids(self.proc.pid) if self.proc.poll() is None \
            else []
        return h.stop_tree(self.proc, kids)[0]

    def log_text(self):
        return h.read_text(self.log_path)


def spam_status_tests(value):
    """The tests=[...] list of an X-Spam-Status value, unfolded."""
    m = re.search(r"tests=\[([^\]]*)\]", re.sub(r"\s+", "", value))
    return m.group(1).split(",") if m and m.group(1) else []


@unittest.skipUnless(os.access(SPAMD, os.X_OK),
                     "spamd not installed (Debian package: spamd)")
class SpamdTest(h.PeerTestCase):

    def setUp(self):
        super().setUp()
        try:
            self.spamd = self.start(Spamd(self.tmp, "spamd-%s" %
                                          self._testMethodName))
        except RuntimeError as e:
            self.skipTest("spamd cannot be started here: %s" % e)
        self.sink = self.start(h.Sink(self.tmp, "sink-%s" %
                                      self._testMethodName))
        self.fd = self.start(h.Filterd(
            self.tmp, "fd-%s" % self._testMethodName,
            banks={"default": dict(forward=[self.sink.addr],
                                   spam_tag_level=-999.0)},
            raw='spamd { address = "%s" timeout = 30 }' % self.spamd.addr))

    def send(self, subject, body):
        r = h.send_message(self.fd.port, SENDER, [RCPT],
                           message(subject, body), timeout=40)
        self.assertEqual(r.code, 250, r)
        self.assertTrue(self.sink.wait_count(1, 10), self.fd.log_text())
        dumps = self.sink.dumps()
        self.assertEqual(len(dumps), 1, dumps)
        return email.message_from_bytes(dumps[0].body)

    def summary(self, subject):
        """The summary line of the message and its mail_id's warnings."""
        mid = "<%s@example.org>" % subject.replace(" ", "-")
        lines = h.wait_until(lambda: [
            l for l in self.fd.message_lines() if mid in l.text], 10)
        self.assertTrue(lines, self.fd.log_text()[-3000:])
        line = lines[-1]
        warnings = [l for l in self.fd.log_lines()
                    if "warning" in l and line.mail_id in l]
        return line, warnings

    def test_gtube_adds_spamd_score(self):
        msg = self.send("gtube spamd", GTUBE + b"\r\n")
        self.assertEqual(msg["X-Spam-Flag"], "YES", msg)
        tests = spam_status_tests(msg["X-Spam-Status"])
        self.assertIn("GTUBE=1000", tests, msg["X-Spam-Status"])
        spamd = [t for t in tests if t.startswith("SPAMD=")]
        self.assertEqual(len(spamd), 1, msg["X-Spam-Status"])
        # spamd knows GTUBE too: its 1000 comes on top of ours.
        spamd_score = float(spamd[0][6:])
        total = float(msg["X-Spam-Score"])
        self.assertGreaterEqual(spamd_score, 999, tests)
        self.assertGreater(total, BUILTIN_GTUBE)
        self.assertAlmostEqual(total, BUILTIN_GTUBE + spamd_score, places=2)
        line, warnings = self.summary("gtube spamd")
        self.assertIn("Passed SPAM", line.text)
        self.assertIn("SPAMD=", line.text)
        self.assertEqual(warnings, [])

    def test_clean_message_not_flagged(self):
        msg = self.send("clean spamd",
                        b"Hello,\r\n\r\nthe minutes of today's meeting "
                        b"follow tomorrow.\r\n\r\nRegards\r\n")
        self.assertEqual(msg["X-Spam-Flag"], "NO", msg)
        tests = spam_status_tests(msg["X-Spam-Status"])
        self.assertTrue([t for t in tests if t.startswith("SPAMD=")],
                        msg["X-Spam-Status"])
        self.assertLess(float(msg["X-Spam-Score"]), 5, msg)
        line, warnings = self.summary("clean spamd")
        self.assertIn("Passed CLEAN", line.text)
        self.assertIn("SPAMD=", line.text)
        self.assertEqual([w for w in warnings if "spamd" in w], [])

    def test_spamd_down_builtin_score_stands(self):
        self.spamd.stop()
        self.assertTrue(h.wait_until(lambda: not h.port_open(
            self.spamd.port), 10), "spamd still listening")
        msg = self.send("gtube no spamd", GTUBE + b"\r\n")
        self.assertEqual(msg["X-Spam-Flag"], "YES", msg)
        self.assertEqual(float(msg["X-Spam-Score"]), BUILTIN_GTUBE, msg)
        tests = spam_status_tests(msg["X-Spam-Status"])
        self.assertEqual(tests, ["GTUBE=1000"], msg["X-Spam-Status"])
        line, warnings = self.summary("gtube no spamd")
        self.assertIn("Passed SPAM", line.text)
        self.assertNotIn("SPAMD=", line.text)
        spamd_warnings = [w for w in warnings if "spamd" in w and
                          "the built-in score stands" in w]
        self.assertEqual(len(spamd_warnings), 1, self.fd.log_text()[-3000:])
        self.assertIn(self.spamd.addr, spamd_warnings[0])

    def test_spamd_asked_past_the_mime_bounds(self):
        """A message GMime is not given (3,001 "--" lines, past the
        bounds of max_mime_parts) is UNCHECKED, and still scored: the
        rules read its raw header section and body, and spamd is asked
        as usual."""
        msg = self.send("bounds spamd",
                        GTUBE + b"\r\n" + b"--\r\n" * 3001)
        line, warnings = self.summary("bounds spamd")
        self.assertIn("UNCHECKED", line.text)
        self.assertIn("GTUBE=1000", line.text)
        self.assertIn("SPAMD=", line.text)
        self.assertEqual([w for w in warnings if "spamd" in w], [])
        self.assertEqual(msg["X-Spam-Flag"], "YES", msg)


if __name__ == "__main__":
    unittest.main(verbosity=2)
