"""test_attack15b - a second outside review of issue 15's fixes.

Each test is a finding: it fails on the code as merged (53d885d) and
says in its docstring what an admin or a client meets and why it
matters. The promises attacked: "an engine of 0 signatures is never
kept: it would mark mail as virus-scanned" (checks.c); "a file -t passes
is one that starts" (README, filterd.8); "a retired session is bounded
to smtpd_timeout after the reload" (session.h)."""

import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_checks as tc  # noqa: E402
import test_attack15 as a15  # noqa: E402

SENDER = "from@example.org"
RCPT = "to@example.net"
BODY = (b"Subject: attack15b\r\nMessage-ID: <attack15b@example.org>\r\n\r\n"
        b"hello\r\n")
EICAR_MSG = tc.message(tc.multipart([
    (b"Content-Type: text/plain\r\n", b"see attachment\r\n"),
    tc.attachment("eicar.com", tc.EICAR)]), "eicar attack15b")


class Attack15bCase(h.PeerTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def filterd(self, forward="127.0.0.1:1", **conf):
        return h.Filterd(self.tmp, banks={"default": {"forward": [forward]}},
                         **conf)


class WhitelistOnlyDatabaseTest(Attack15bCase):
    """The 0-signature fix trusts libclamav's count, but cl_load() counts
    the lines of a false-positive list (.fp, .sfp: hashes that must
    NOT be reported) as signatures: a database directory holding only
    local.fp loads '1 signatures', no warning, and the engine is kept.
    It detects nothing, yet every message passes clean with
    X-Virus-Scanned - the accident the fix was made to forbid (an admin
    who put a local whitelist into the directory before freshclam
    ever succeeded). A .fp/.sfp/.ign2/.cfg/.cat/.crb/.ftm alone holds no
    detection signature; scan_clamav_probe() and the count should
    require one (.hdb/.ndb/.ldb/.cvd/...)."""

    def db(self):
        db = self.tmp.sub("fp-only-db")
        with open(os.path.join(db, "local.fp"), "w") as f:
            # The hash of some harmless file ("hello\n"), not EICAR's.
            f.write("b1946ac92492d2347c6235b4d2611184:6:Hello-FP\n")
        return db

    def test_fp_list_alone_fails_the_check(self):
        fd = self.filterd(raw='clamav { database = "%s" }' % self.db())
        p = fd.check_conf()
        self.assertEqual(p.returncode, 1,
                         "-t passed a database holding only a "
                         "false-positive list: %r" % p.stderr)

    def test_fp_list_alone_is_not_a_virus_scan(self):
        sink = self.start(h.Sink(self.tmp))
        fd = h.Filterd(
            self.tmp, banks={"default": {"forward": [sink.addr]}},
            clamav_off=False,
            raw='clamav { database = "%s" }' % self.db())
        fd.start(wait=False)
        self.addCleanup(fd.stop)
        # The port is bound before the signatures load; the pid file is
        # written after they loaded. Wait for that, or for the exit.
        pidfile = os.path.join(fd.dir, "run", "filterd.pid")
        h.wait_until(lambda: fd.proc.poll() is not None or
                     os.path.exists(pidfile), 30)
        if fd.proc.poll() is not None or \
                not h.wait_port(fd.port, 10, proc=fd.proc):
            # Refusing to start is the answer (the database is set in
            # the file): it must say why and exit non-zero.
            self.assertNotEqual(fd.proc.wait(10), 0)
            self.assertIn("holds no ClamAV signatures", fd.log_text())
            return
        r = h.send_message(fd.port, SENDER, [RCPT], EICAR_MSG)
        body = sink.dumps()[0].body if r.code == 250 and \
            sink.wait_count(1, 10) else b""
        self.assertFalse(
            r.code == 250 and b"X-Virus-Scanned" in body,
            "EICAR passed with X-Virus-Scanned by an engine holding only "
            "a false-positive list (%r); log: %s" %
            (r, [l for l in fd.log_lines() if "clamav" in l]))


class MappedListenerCollisionTest(Attack15bCase):
    """conf_listen_collide() compares families first: an IPv6 address
    and an IPv4 one collide only when one is a wildcard. But
    [::ffff:127.0.0.1]:P (an IPv4-mapped IPv6 address, the form some
    tools print) and 127.0.0.1:P are one socket: -t passes, the start
    fails 'Address already in use' - a file -t passes that does not
    start (ExecStartPre passes, the unit fails)."""

    def test_mapped_and_plain_ipv4_fail_the_check(self):
        port = h.free_port()
        fd = self.filterd()
        fd.raw = ('listen "[::ffff:127.0.0.1]:%d" { protocol = "smtp" '
                  'bank = "default" }' % port)
        fd.listen = [(port, "smtp")]
        p = fd.check_conf()
        if p.returncode != 0:
            self.assertIn(b"collides", p.stderr)
            return
        fd.start(wait=False)
        self.addCleanup(fd.stop)
        up = h.wait_port(port, 5, proc=fd.proc) and fd.running()
        self.assertTrue(up, "-t passed 127.0.0.1:%d with "
                        "[::ffff:127.0.0.1]:%d, the start failed: %s" %
                        (port, port, fd.log_text()[-300:]))


    def test_mapped_and_ipv4_wildcard_fail_the_check(self):
        """[::ffff:127.0.0.1]:P is within 0.0.0.0:P."""
        port = h.free_port()
        fd = self.filterd()
        fd.raw = ('listen "[::ffff:127.0.0.1]:%d" { protocol = "smtp" '
                  'bank = "default" }\nlisten "0.0.0.0:%d" { protocol = '
                  '"smtp" bank = "default" }' % (port, port))
        p = fd.check_conf()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"collides", p.stderr)


class UmaskParentsTest(Attack15bCase):
    """-t's master_parents_check() passes a missing parent of tmp_dir as
    'made by the master, 0755', but master_dir() makes it with
    mkdir(path, 0755) under the caller's umask and filterd never sets
    one: an admin starting filterd from a root shell with umask 077 (a
    common hardening) gets /…/var 0700 root, the children (user nobody)
    cannot make their directory in tmp_dir ('mkdir .../child.PID:
    Permission denied'), die and are forked again: the port accepts and
    never serves. -t said the file starts."""

    @unittest.skipUnless(h.IS_ROOT, "needs root (user = nobody)")
    def test_missing_parents_under_umask_077_are_entered(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr, min_servers=1, max_servers=1)
        base = os.path.join(fd.dir, "new")
        fd.params["tmp_dir"] = os.path.join(base, "var", "tmp")
        fd.params["quarantine_dir"] = os.path.join(base, "var", "quar")
        fd.write_conf()
        old = os.umask(0o077)
        try:
            p = h.run([h.filterd_bin(), "-t", "-c", fd.conf_path],
                      timeout=20)
            if p.returncode != 0:
                return  # -t said it: good enough
            with open(fd.log_path, "ab") as log:
                fd.proc = subprocess.Popen(
                    [h.filterd_bin(), "-f", "-c", fd.conf_path],
                    stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        finally:
            os.umask(old)
        self.addCleanup(fd.stop)
        self.assertTrue(h.wait_port(fd.port, 10, proc=fd.proc),
                        fd.log_text())
        try:
            r = h.send_message(fd.port, SENDER, [RCPT], BODY, timeout=8)
        except (h.SmtpError, OSError) as e:
            r = e
        self.assertEqual(getattr(r, "code", None), 250,
                         "-t passed, then under umask 077 no message is "
                         "served (%r): %s" %
                         (r, [l for l in fd.log_lines()
                              if "mkdir" in l][:1]))


class RetiredOpenTransactionTest(Attack15bCase):
    """session_run() ends a retired session only 'between transactions'
    (ss.state <= SESSION_READY). A client that has given MAIL FROM and
    RCPT TO and then sends NOOP (or RCPT, or VRFY) every few seconds
    keeps the old child and the old configuration for ever after the
    reload: the bound of smtpd_timeout README and session.h promise does
    not hold. No data has been accepted in that state, so a 421 there
    loses nothing (the client retries the whole transaction)."""

    def test_retired_session_with_open_transaction_is_bounded(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1,
                                     max_servers=1, smtpd_timeout=2))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10))
        c = h.SmtpClient(fd.port, timeout=10)
        self.addCleanup(c.close)
        self.assertEqual(c.greeting().code, 220)
        self.assertEqual(c.ehlo().code, 250)
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % RCPT).code, 250)
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(lambda: "generation 2" in fd.log_text(),
                                     10), fd.log_text())
        codes = []
        for _ in range(16):  # at most 8 s (4 x smtpd_timeout)
            time.sleep(0.5)
            try:
                codes.append(c.cmd("NOOP").code)
            except (h.SmtpError, OSError):
                codes.append("closed")
                break
            if codes[-1] != 250:
                break
        self.assertNotEqual(codes[-1], 250,
                            "a retired session with MAIL and RCPT given "
                            "went on 8 s after a reload with "
                            "smtpd_timeout = 2: %s" % codes)


@unittest.skipUnless(h.IS_ROOT, "needs root (user = nobody, chown)")
class RejectedReloadChownsTest(Attack15bCase):
    """master_reload() runs master_dirs(nc) - mkdir and fchown of tmp_dir
    and quarantine_dir to the NEW user - before master_bind(), so a
    reload that is then rejected (a new listener whose port is taken)
    logs 'reload rejected, configuration unchanged' but has already
    given tmp_dir (0700) to the new user. The running children (the old
    user, nobody) can no longer enter tmp_dir: the filter that was said
    to go on unchanged answers 4xx to every message, until a restart."""

    def test_rejected_reload_leaves_tmp_dir_alone(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1,
                                     max_servers=1))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10))
        tmp_dir = fd.params["tmp_dir"]
        before = os.stat(tmp_dir)
        r = h.send_message(fd.port, SENDER, [RCPT], BODY)
        self.assertEqual(r.code, 250, r)
        taken = self.start(h.Sink(self.tmp, name="taken"))
        fd.params["user"] = "daemon"
        fd.listen = fd.listen + [(taken.port,
                                  "smtp")]
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 10), fd.log_text())
        after = os.stat(tmp_dir)
        try:
            r = h.send_message(fd.port, SENDER, [RCPT], BODY)
        except h.SmtpError as e:
            r = e
        self.assertEqual(
            ((after.st_uid, after.st_gid), getattr(r, "code", None)),
            ((before.st_uid, before.st_gid), 250),
            "a rejected reload ('configuration unchanged') gave tmp_dir "
            "to the new user; the next message got %r" % r)


    def test_user_change_is_rejected_by_name(self):
        fd = self.start(self.filterd(min_servers=1, max_servers=1))
        fd.params["user"] = "daemon"
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 10), fd.log_text())
        self.assertIn("user cannot change on reload; restart filterd",
                      fd.log_text())


class RejectedReloadMakesNothingTest(Attack15bCase):
    """A reload rejected for a port taken makes no directory: the new
    quarantine_dir it names is made only once the listeners are bound."""

    def test_rejected_reload_makes_no_quarantine_dir(self):
        fd = self.start(self.filterd(min_servers=1, max_servers=1))
        taken = self.start(h.Sink(self.tmp, name="taken"))
        newq = os.path.join(fd.dir, "quarantine-new")
        fd.params["quarantine_dir"] = newq
        fd.listen = fd.listen + [(taken.port, "smtp")]
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 10), fd.log_text())
        self.assertFalse(os.path.exists(newq),
                         "a rejected reload made %s" % newq)
        # The same reload without the taken port goes through.
        fd.listen = fd.listen[:-1]
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "generation 2" in fd.log_text(), 10), fd.log_text())
        self.assertTrue(os.path.isdir(newq))


@unittest.skipUnless(h.IS_ROOT, "a mount namespace needs root")
class ReloadToWhitelistOnlyTest(Attack15bCase):
    """The reload guard (16dc467) keeps a running engine when the
    built-in database 'now holds no signatures', but a directory left
    with only a local.fp (freshclam's files gone, the admin's whitelist
    kept) counts 1 signature: the reload is accepted, the engine that
    blocked EICAR is replaced by one that detects nothing, and EICAR is
    delivered with X-Virus-Scanned - no warning at all."""

    def test_reload_to_fp_only_database_keeps_blocking(self):
        varlib = self.tmp.sub("varlib")
        clamdir = self.tmp.sub("varlib/clamav")
        tc.signature_db(clamdir)
        sink = self.start(h.Sink(self.tmp))
        fd = a15.DefaultDatabaseNamespace(
            self.tmp, varlib, banks={"default": {
                "forward": [sink.addr], "final_virus_destiny": "reject"}})
        self.start(fd)
        r = h.send_message(fd.port, SENDER, [RCPT], EICAR_MSG)
        self.assertEqual(r.code, 554, r)
        for name in os.listdir(clamdir):
            os.unlink(os.path.join(clamdir, name))
        with open(os.path.join(clamdir, "local.fp"), "w") as f:
            f.write("b1946ac92492d2347c6235b4d2611184:6:Hello-FP\n")
        old = set(fd.children())
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload" in fd.log_text(), 10), fd.log_text())
        h.wait_until(lambda: not old & set(fd.children()) and
                     fd.children(), 10)
        r = h.send_message(fd.port, SENDER, [RCPT], EICAR_MSG)
        self.assertNotEqual(
            r.code, 250, "EICAR delivered after a reload to a database "
            "holding only a false-positive list: %s" %
            [l for l in fd.log_lines() if "clamav" in l or "reload" in l])


class CheckSaysEveryProblemTest(Attack15bCase):
    """main.c (-t): 'Every problem found is said, one a line' (and the
    commit 114925a: 'every problem is said'), but master_check() returns
    at the first directory that fails: with run_dir and tmp_dir both
    symbolic links, -t names run_dir only; the admin fixes it, runs -t
    again, and only then hears of tmp_dir (one round per problem, which
    is what the promise was made to avoid)."""

    def test_two_bad_directories_are_both_named(self):
        fd = self.filterd()
        target = self.tmp.sub("elsewhere")
        for key in ("run_dir", "tmp_dir"):
            link = os.path.join(fd.dir, key + "-link")
            os.symlink(target, link)
            fd.params[key] = link
        p = fd.check_conf()
        self.assertEqual(p.returncode, 1, p.stderr)
        err = p.stderr.decode(errors="replace")
        self.assertTrue("run_dir-link" in err and "tmp_dir-link" in err,
                        "-t named only one of two bad directories: %r"
                        % err)


if __name__ == "__main__":
    unittest.main()
