"""test_milter - the milter front end (issue 14), driven by miltertest.

Each scenario is a Lua script in milter/ run by miltertest(8) against a
real filterd whose milter process listens on a loopback port, with a
real libclamav engine on a one-line signature database built here (no
file in the repository is a test virus; see test_checks.py). The Python
side builds the bodies, passes them to the scripts (miltertest -D) and
checks what only it can see: the log, the spool, the processes."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_checks import (EICAR, GTUBE, attachment, multipart,  # noqa: E402
                         signature_db, zipped)

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "milter")
MILTERTEST = shutil.which("miltertest")
MILTER_PID_RE = re.compile(r"filterd-test\[(\d+)\]: milter listening on")


class MilterBase(h.PeerTestCase):
    """MilterBase - one filterd with a milter process for the class:
    the default bank rejects viruses and tags spam; STRICT (daemon
    "strict") rejects spam; ORIGINATING is the authenticated clients'."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if MILTERTEST is None:
            raise unittest.SkipTest("miltertest is not installed")
        db = cls.tmp.sub("clamdb")
        signature_db(db)
        cls.mport = h.free_port()
        cls.sock = "inet:%d@127.0.0.1" % cls.mport
        banks = {
            "default": dict(forward=["127.0.0.1:9"],
                            final_virus_destiny="reject",
                            spam_subject_tag="***SPAM*** ",
                            # libmagic runs on every part (checks.h).
                            banned_type=["^application/x-dosexec$"]),
            "STRICT": dict(final_spam_destiny="reject"),
            "ORIGINATING": dict(originating=True),
            "DISCARD": dict(final_spam_destiny="discard"),
            "HOLD": dict(final_spam_destiny="discard", milter_hold=True),
        }
        cls.fd = h.Filterd(
            cls.tmp, "fd", banks=banks, min_servers=1, max_servers=2,
            raw='clamav { database = "%s" }\n'
                'milter { socket = "%s" max_connections = 2 '
                'daemon_banks = {"strict=STRICT", "discard=DISCARD", '
                '"hold=HOLD"} }' % (db, cls.sock))
        cls.start_for_class(cls.fd)
        if not h.wait_until(lambda: cls.milter_pid() is not None, 10):
            raise RuntimeError("no milter process:\n" + cls.fd.log_text())

    @classmethod
    def milter_pid(cls, after=0):
        """milter_pid - the pid of the milter process that started
        last, or None; after: only one that is not this pid."""
        pids = [int(p) for p in MILTER_PID_RE.findall(cls.fd.log_text())]
        pids = [p for p in pids if p != after and h.pid_alive(p)]
        return pids[-1] if pids else None

    def milter_slots(self):
        """milter_slots - the nanny's view of the milter process's slots."""
        nanny = os.path.join(os.path.dirname(h.filterd_bin()),
                             "filterd-nanny")
        r = h.run([nanny, "-c", self.fd.conf_path, "--json"], timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        snap = json.loads(r.stdout.decode().splitlines()[0])
        pid = self.milter_pid()
        return [c for c in snap["children"] if c["pid"] == pid]

    def wait_idle(self):
        """wait_idle - every connection of the milter process is closed
        (libmilter calls close after the MTA's connection is gone)."""
        self.assertTrue(h.wait_until(lambda: all(
            c["state"] == "idle" for c in self.milter_slots()), 10),
            self.milter_slots())

    def body_file(self, data):
        path = self.tmp.file("body-%d" % time.monotonic_ns())
        with open(path, "wb") as f:
            f.write(data)
        return path

    def miltertest(self, script, body=b"hello\r\n", wait=True, **defs):
        """miltertest - run milter/SCRIPT.lua; CompletedProcess (or the
        Popen when not wait)."""
        defs.update(sock=self.sock, dir=SCRIPTS,
                    body=self.body_file(body))
        argv = [MILTERTEST, "-s", os.path.join(SCRIPTS, script + ".lua")]
        for k, v in defs.items():
            argv += ["-D", "%s=%s" % (k, v)]
        if not wait:
            return subprocess.Popen(argv, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
        return subprocess.run(argv, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=60)

    def assertScript(self, script, body=b"hello\r\n", **defs):
        r = self.miltertest(script, body, **defs)
        self.assertEqual(r.returncode, 0, "%s: %s\nlog:\n%s" % (
            script, r.stdout.decode(errors="replace"),
            self.fd.log_text()[-3000:]))

    def last_line(self, subject):
        """last_line - the summary line of the message with this
        Message-ID (the scripts make it from the subject)."""
        want = "<%s@example.org>" % subject
        lines = [l for l in self.fd.log_lines()
                 if want in l and "Message-ID" in l]
        return lines[-1] if lines else ""

    def spool_files(self):
        """spool_files - files under tmp_dir (the private directories)."""
        return [p for p in glob.glob(os.path.join(
            self.fd.params["tmp_dir"], "*", "*")) if os.path.isfile(p)]


class MilterCase(MilterBase):
    """MilterCase - one scenario per test, in the scripts of milter/."""

    def test_clean_accepted_with_headers(self):
        self.assertScript("clean")
        self.assertTrue(h.wait_until(lambda: "Passed CLEAN" in
                                     self.last_line("clean"), 5))
        # The log line carries the MTA's queue id (the "i" macro).
        self.assertIn("Queue-ID: 4ABCDEF01", self.last_line("clean"))

    def test_eicar_in_zip_rejected(self):
        hdrs, body = multipart([
            (b"Content-Type: text/plain\r\n", b"see attachment\r\n"),
            attachment("docs.zip", zipped("eicar.com", EICAR),
                       b"application/zip")])
        ctype = hdrs.split(b"Content-Type: ", 1)[1].strip().decode()
        self.assertScript("virus", body, ctype=ctype)
        self.assertIn("INFECTED", self.last_line("virus"))
        self.assertRegex(self.fd.log_text(),
                         r"milter reject, 554 5\.7\.0 Reject, id=\S+ - "
                         r"VIRUS: Eicar")

    def test_gtube_tagged_in_default_bank(self):
        self.assertScript("spam", GTUBE + b"\r\n", want="tag")

    def test_gtube_rejected_in_strict_bank(self):
        self.assertScript("spam", GTUBE + b"\r\n", want="reject",
                          daemon="strict")
        self.assertIn("STRICT", self.last_line("gtube"))
        self.assertRegex(self.fd.log_text(),
                         r"milter reject, 554 5\.7\.0 Reject, id=\S+ - "
                         r"SPAM")

    def test_authenticated_client_gets_originating_bank(self):
        self.assertScript("clean", auth="user@example.org")
        self.assertIn("ORIGINATING", self.last_line("clean"))
        self.assertScript("clean")
        self.assertNotIn("ORIGINATING", self.last_line("clean"))

    def test_quarantined_spam_held_or_discarded_per_bank(self):
        self.assertScript("blocked", GTUBE + b"\r\n", want="hold",
                          daemon="hold")
        self.assertIn("HOLD", self.last_line("blocked"))
        self.assertScript("blocked", GTUBE + b"\r\n", want="discard",
                          daemon="discard")
        self.assertIn("DISCARD", self.last_line("blocked"))
        self.assertRegex(self.fd.log_text(), r"milter hold, 250 2\.7\.0")

    def test_oversize_refused_while_streaming(self):
        self.assertScript("oversize")
        self.assertTrue(h.wait_until(
            lambda: "message exceeds 100000 bytes" in self.fd.log_text(),
            5), self.fd.log_text()[-2000:])

    def test_dropped_mid_body_leaves_nothing(self):
        for _ in range(3):  # more than max_connections: workers freed
            self.assertScript("dropped")
        self.assertTrue(h.wait_until(lambda: not self.spool_files(), 5),
                        self.spool_files())
        self.assertIn("message aborted by the MTA", self.fd.log_text())
        # Their workers are free again: the scoreboard says idle.
        self.wait_idle()
        self.assertScript("clean")

    def test_connections_in_parallel(self):
        """Two connections check at once, each with its own context: each
        gets its own verdict, every time."""
        hdrs, body = multipart([
            (b"Content-Type: text/plain\r\n", b"see attachment\r\n"),
            attachment("docs.zip", zipped("eicar.com", EICAR),
                       b"application/zip")])
        ctype = hdrs.split(b"Content-Type: ", 1)[1].strip().decode()
        for _ in range(3):
            procs = [self.miltertest("clean", wait=False),
                     self.miltertest("virus", body, wait=False,
                                     ctype=ctype)]
            for p in procs:
                out, _ = p.communicate(timeout=60)
                self.assertEqual(p.returncode, 0, out.decode(
                    errors="replace") + self.fd.log_text()[-2000:])

    def test_past_max_connections_tempfail(self):
        self.wait_idle()  # the connections of the tests before are gone
        self.assertScript("busy")


class MilterRestartCase(MilterBase):
    """MilterRestartCase - the milter process killed mid-message is
    restarted by the master; its spool goes; the next message passes."""

    def test_killed_mid_message_restarted(self):
        old = self.milter_pid()
        p = self.miltertest("dropped", wait=False, hold=20)
        try:
            self.assertTrue(h.wait_until(lambda: self.spool_files(), 10),
                            "no spool file while the body streams")
            os.kill(old, signal.SIGKILL)
            self.assertTrue(h.wait_until(
                lambda: self.milter_pid(after=old) is not None, 10),
                self.fd.log_text()[-2000:])
            self.assertTrue(h.wait_until(lambda: not self.spool_files(),
                                         5), self.spool_files())
        finally:
            p.kill()
            p.communicate(timeout=10)
        self.assertScript("clean")

    def test_nanny_shows_milter_connections(self):
        pid = self.milter_pid()
        p = self.miltertest("dropped", wait=False, hold=5)
        try:
            self.assertTrue(h.wait_until(lambda: self.spool_files(), 10))
            mine = self.milter_slots()
            self.assertTrue(all(c["pid"] == pid for c in mine), mine)
            # One slot per connection it may serve (max_connections 2),
            # the busy one in the middle of a message.
            self.assertEqual(len(mine), 2, mine)
            busy = [c for c in mine if c["mail_id"]]
            self.assertEqual(len(busy), 1, mine)
            self.assertEqual(busy[0]["state"], "receiving", busy)
            self.assertEqual(busy[0]["queue_id"], "4ABCDEF01", busy)
        finally:
            p.kill()
            p.communicate(timeout=10)

    def test_reload_new_connections_new_bank_old_ones_finish(self):
        old = self.milter_pid()
        # The in-flight message's own spool file, in the old process's
        # directory: first that of a connection another test killed
        # (test_nanny_shows_milter_connections) must be gone, or the
        # reload could come before this message's MAIL, which a retiring
        # process answers 451 (seen under ASan: "mailfrom accepted").
        own = os.path.join(self.fd.params["tmp_dir"], "child.%d" % old, "")
        self.assertTrue(h.wait_until(lambda: not any(
            f.startswith(own) for f in self.spool_files()), 10))
        p = self.miltertest("inflight", GTUBE + b"\r\n", wait=False,
                            hold=4)
        try:
            self.assertTrue(h.wait_until(lambda: any(
                f.startswith(own) for f in self.spool_files()), 10))
            self.fd.banks["default"]["final_spam_destiny"] = "reject"
            self.fd.write_conf()
            self.fd.signal(signal.SIGHUP)
            self.assertTrue(h.wait_until(
                lambda: self.milter_pid(after=old) is not None, 15),
                self.fd.log_text()[-2000:])
            # A new connection: the new configuration.
            self.assertScript("spam", GTUBE + b"\r\n", want="reject")
            out, _ = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, out.decode(errors="replace")
                             + self.fd.log_text()[-2000:])
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate(timeout=10)
        # The old process finished its message and went.
        self.assertTrue(h.wait_until(lambda: not h.pid_alive(old), 10))


@unittest.skipUnless(h.IS_ROOT, "needs root: user = nobody")
class MilterUnixSocketTest(h.PeerTestCase):
    """A unix milter socket is made by the milter process, as user: a
    directory user cannot write is refused at start and on a reload
    (file:line, the socket named), and a milter process that meets one
    anyway says so in the log at once instead of retrying silently."""

    def test_directory_user_cannot_write(self):
        tmp = h.TempDir()
        self.addCleanup(tmp.cleanup)
        rootonly = tmp.sub("rootonly", 0o755)
        ours = tmp.sub("milterdir", 0o755)
        os.chown(ours, 65534, 65534)
        raw = 'milter {\n socket = "unix:%s/m.sock"\n}'

        # The start refuses it.
        fd = h.Filterd(tmp, "bad", raw=raw % rootonly)
        fd.start(wait=False)
        self.addCleanup(fd.stop)
        self.assertTrue(h.wait_until(
            lambda: fd.proc.poll() is not None, 20), fd.log_text())
        self.assertNotEqual(fd.proc.returncode, 0, fd.log_text())
        self.assertRegex(fd.log_text(), re.escape(fd.conf_path) +
                         r":\d+: milter socket \"unix:%s/m.sock\": "
                         r"directory %s: user nobody cannot make the socket "
                         r"there: Permission denied" % (
                             re.escape(rootonly), re.escape(rootonly)))

        # A reload to it is rejected; the milter process goes on.
        fd = self.start(h.Filterd(tmp, "good", raw=raw % ours))
        self.assertTrue(h.wait_until(
            lambda: MILTER_PID_RE.search(fd.log_text()), 10), fd.log_text())
        old = int(MILTER_PID_RE.findall(fd.log_text())[-1])
        fd.raw = raw % rootonly
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 10), fd.log_text())
        self.assertIn("%s/m.sock\": directory %s: user nobody cannot make"
                      % (rootonly, rootonly), fd.log_text())
        self.assertTrue(h.pid_alive(old))

        # The directory taken from user: the restarted process says why.
        fd.raw = raw % ours
        fd.write_conf()
        os.chown(ours, 0, 0)
        os.kill(old, signal.SIGKILL)
        want = ("milter unix:%s/m.sock: directory %s: cannot make the "
                "socket there: Permission denied" % (ours, ours))
        self.assertTrue(h.wait_until(lambda: want in fd.log_text(), 10),
                        fd.log_text()[-2000:])


class MilterConfigCase(unittest.TestCase):
    """MilterConfigCase - the milter section: file:line errors, filterd -t
    checks the socket, filterd -d documents every key."""

    def check(self, raw):
        with h.TempDir() as tmp:
            fd = h.Filterd(tmp, "fd", raw=raw)
            r = fd.check_conf()
            return r.returncode, (r.stdout + r.stderr).decode(), \
                fd.conf_path

    def test_bad_socket_is_a_file_line_error(self):
        rc, out, path = self.check('milter {\n socket = "tcp:25"\n}')
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, re.escape(path) + r":\d+: .*socket.*tcp:25")

    def test_unknown_bank_named(self):
        rc, out, path = self.check(
            'milter { socket = "inet:%d@127.0.0.1" '
            'daemon_banks = {"submission=NOPE"} }' % h.free_port())
        self.assertEqual(rc, 1, out)
        self.assertIn('no bank "NOPE"', out)
        self.assertIn(path, out)

    def test_check_looks_at_the_socket(self):
        rc, out, _ = self.check(
            'milter { socket = "unix:/nonexistent-dir/filterd.sock" }')
        self.assertEqual(rc, 1, out)
        self.assertIn("/nonexistent-dir", out)
        rc, out, _ = self.check(
            'milter { socket = "inet:%d@127.0.0.1" }' % h.free_port())
        self.assertEqual(rc, 0, out)

    def test_defaults_document_the_section(self):
        out = h.run([h.filterd_bin(), "-d"], timeout=20,
                    check=True).stdout.decode()
        section = out.split("# milter section keys:", 1)[1]
        for key in ("socket", "bank", "max_connections", "timeout",
                    "daemon_banks", "auth_bank"):
            self.assertRegex(section, r"\n\s+%s ?= ?" % key)
        self.assertIn("milter_hold", out)


if __name__ == "__main__":
    unittest.main()
