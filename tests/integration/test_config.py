"""test_config - what the configuration promises an admin, from outside.

Virus checks are on unless turned off: clamav { database } defaults to
/var/lib/clamav; that default missing or empty is one warning line at
start and on every reload (filterd runs, mail passes unscanned), an
explicitly configured database that is missing, unreadable or empty is
a configuration error (file:line, -t and the start fail), and
clamav { enabled = false } is a quiet notice. filterd -t checks what the
start checks except binding: listen addresses this machine does not
have, ports this user may not bind (a busy port passes: the running
instance holds it during a reload). An unclosed quote is reported on
the line where it opened."""

import os
import re
import signal
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_checks as tc  # noqa: E402

SENDER = "from@example.org"
RCPT = "to@example.net"
BODY = (b"Subject: config\r\nMessage-ID: <config@example.org>\r\n\r\n"
        b"hello\r\n")
DEFAULT_DB = "/var/lib/clamav"
# The reason (it does not exist) stands in brackets before the ";"; an
# empty directory (left by a removed clamav package) has none.
WARNING = ("warning: no virus scanning: %s holds no ClamAV signatures%s; "
           "mail passes without a virus check"
           % (DEFAULT_DB, "" if os.path.isdir(DEFAULT_DB)
              else " (No such file or directory)"))


def default_db_has_signatures():
    """The machine's own /var/lib/clamav holds something libclamav may
    load (then the default-database tests cannot see it missing)."""
    try:
        return any(not n.startswith(".") for n in os.listdir(DEFAULT_DB))
    except OSError:
        return False


class ConfigCase(h.PeerTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def filterd(self, forward="127.0.0.1:1", **conf):
        return h.Filterd(self.tmp, banks={"default": {"forward": [forward]}},
                         **conf)

    def daemon(self, fd, timeout=60):
        """Start fd without -f, as systemd does; stop what it left."""
        fd.write_conf()
        self.addCleanup(self.stop_daemon, fd)
        return h.run([h.filterd_bin(), "-c", fd.conf_path], timeout=timeout)

    def stop_daemon(self, fd):
        pidfile = os.path.join(fd.params["run_dir"], "filterd.pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            return
        kids = h.child_pids(pid)
        h.kill_pid(pid)
        for k in kids:
            h.kill_pid(k)

    def conf_line(self, fd, needle):
        """The line number of the first line of fd's file holding needle."""
        for n, line in enumerate(fd.conf_text().splitlines(), 1):
            if needle in line:
                return n
        self.fail("%r not in the configuration" % needle)


class ClamavDefaultTest(ConfigCase):
    """No virus scanning is a choice, never an accident."""

    def test_defaults_show_the_database_and_enabled(self):
        p = h.run([h.filterd_bin(), "-d"], check=True)
        out = p.stdout.decode()
        section = out.split("# clamav section keys:\n", 1)[1]
        section = section.split("\n\n", 1)[0]
        self.assertRegex(section, r'(?m)^ +database ?= ?"%s"$' % DEFAULT_DB)
        self.assertRegex(section, r"(?m)^ +enabled ?= ?true$")

    @unittest.skipIf(default_db_has_signatures(),
                     "%s holds signatures on this machine" % DEFAULT_DB)
    def test_missing_default_database_warns_at_start_and_reload(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr, clamav_off=False)
        self.assertNotIn("clamav", fd.conf_text())
        p = fd.check_conf()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.decode().count(WARNING), 1, p.stderr)
        self.start(fd)
        warned = [l for l in fd.log_lines() if "warning:" in l]
        self.assertEqual(len(warned), 1, warned)
        self.assertIn(WARNING, warned[0])
        self.assertIn("clamav { enabled = false }", warned[0])
        r = h.send_message(fd.port, SENDER, [RCPT], BODY)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(sink.wait_count(1), 1)
        body = sink.dumps()[0].body
        self.assertIn(b"Message-ID: <config@example.org>", body)
        self.assertNotIn(b"X-Virus-Scanned", body)
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: fd.log_text().count(WARNING) == 2, 10), fd.log_text())

    def test_explicit_missing_database_is_a_configuration_error(self):
        missing = os.path.join(self.tmp.path, "no-such-db")
        fd = self.filterd(raw='clamav {\n  database = "%s"\n}' % missing)
        p = fd.check_conf()
        self.assertEqual(p.returncode, 1, p.stderr)
        line = self.conf_line(fd, "database =")
        self.assertRegex(p.stderr.decode(), r"^%s:%d: clamav database %s: " %
                         (re.escape(fd.conf_path), line, re.escape(missing)))
        p = self.daemon(fd)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("%s:%d: clamav database" % (fd.conf_path, line),
                      p.stderr.decode())
        self.assertFalse(h.port_open(fd.port))

    def test_explicit_empty_database_is_a_configuration_error(self):
        empty = self.tmp.sub("empty-db")
        fd = self.filterd(raw='clamav { database = "%s" }' % empty)
        p = fd.check_conf()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("%s:%d: clamav database %s: holds no ClamAV "
                      "signatures" % (fd.conf_path,
                                      self.conf_line(fd, "database ="),
                                      empty), p.stderr.decode())
        # One line: libclamav's own complaint is not added to it.
        self.assertEqual(len(p.stderr.decode().splitlines()), 1, p.stderr)

    @unittest.skipUnless(h.IS_ROOT, "needs root to run as another user")
    def test_explicit_unreadable_database_is_a_configuration_error(self):
        db = self.tmp.sub("private-db", mode=0o700)
        tc.signature_db(db)
        fd = self.filterd(raw='clamav { database = "%s" }' % db)
        fd.write_conf()
        p = h.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                   "--clear-groups", h.filterd_bin(), "-t", "-c",
                   fd.conf_path])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("%s:%d: clamav database %s: Permission denied" %
                      (fd.conf_path, self.conf_line(fd, "database ="), db),
                      p.stderr.decode())

    def test_disabled_is_a_notice_not_a_warning(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr)
        self.assertIn("clamav { enabled = false }", fd.conf_text())
        self.start(fd)
        notices = [l for l in fd.log_lines() if "notice:" in l]
        self.assertEqual(len(notices), 1, fd.log_text())
        self.assertIn("no virus scanning: clamav { enabled = false }",
                      notices[0])
        self.assertNotIn("warning:", fd.log_text())
        self.assertEqual(h.send_message(fd.port, SENDER, [RCPT], BODY).code,
                         250)


class CheckBindTest(ConfigCase):
    """-t fails on a listener this user cannot bind, but not on a busy
    port (the running instance's own, during systemctl reload)."""

    def test_address_not_on_this_machine_fails_the_check(self):
        # TEST-NET-1 (RFC 5737): never an address of this machine.
        fd = self.filterd()
        fd.listen = [(10024, "smtp")]
        text = fd.conf_text().replace("127.0.0.1:10024", "192.0.2.1:10024")
        with open(fd.conf_path, "w") as f:
            f.write(text)
        p = h.run([h.filterd_bin(), "-t", "-c", fd.conf_path])
        self.assertEqual(p.returncode, 1, p.stderr)
        line = [n for n, l in enumerate(text.splitlines(), 1)
                if "192.0.2.1" in l][0]
        self.assertIn('%s:%d: listen "192.0.2.1:10024": ' % (fd.conf_path,
                                                             line),
                      p.stderr.decode())
        self.assertIn("not an address of this machine", p.stderr.decode())

    @unittest.skipUnless(h.IS_ROOT, "needs root to run as another user")
    def test_privileged_port_fails_the_check_of_a_plain_user(self):
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
            start = int(f.read())
        if start == 0:
            self.skipTest("every port is unprivileged here")
        fd = self.filterd(listen=[(start - 1, "smtp")])
        fd.write_conf()
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                     "--clear-groups", h.filterd_bin(), "-t", "-c",
                     fd.conf_path]
        p = h.run(as_nobody)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('listen "127.0.0.1:%d": port %d is below %d' %
                      (start - 1, start - 1, start), p.stderr.decode())
        # root may bind it
        p = h.run([h.filterd_bin(), "-t", "-c", fd.conf_path])
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_busy_port_passes_the_check(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind((h.LOCALHOST, 0))
        s.listen(1)
        fd = self.filterd(listen=[(s.getsockname()[1], "smtp")])
        p = fd.check_conf()
        self.assertEqual(p.returncode, 0, p.stderr)


class CheckFilesTest(ConfigCase):
    """-t reads the files the start reads, as the user that runs it."""

    @unittest.skipUnless(h.IS_ROOT, "needs root to run as another user")
    def test_unreadable_rule_file_fails_the_check(self):
        rules = os.path.join(self.tmp.path, "private.cf")
        with open(rules, "w") as f:
            f.write("body LOCAL_X /xyzzy/\nscore LOCAL_X 1\n")
        os.chmod(rules, 0o600)
        fd = self.filterd(spam_rules=[rules],
                          listen=[(h.free_port(), "smtp")])
        fd.write_conf()
        p = h.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                   "--clear-groups", h.filterd_bin(), "-t", "-c",
                   fd.conf_path])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(rules, p.stderr.decode())
        self.assertIn("Permission denied", p.stderr.decode())
        p = h.run([h.filterd_bin(), "-t", "-c", fd.conf_path])
        self.assertEqual(p.returncode, 0, p.stderr)


    def test_check_makes_no_directory(self):
        """-t checks run_dir, tmp_dir and quarantine_dir as the start
        would make them, and makes none of them (nor their parents)."""
        base = os.path.join(self.tmp.path, "not-yet")
        fd = self.filterd(run_dir=os.path.join(base, "run"),
                          tmp_dir=os.path.join(base, "tmp"),
                          quarantine_dir=os.path.join(base, "q", "virus"),
                          listen=[(h.free_port(), "smtp")])
        p = fd.check_conf()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(base), "-t made %s" % base)


class SyntaxErrorTest(ConfigCase):

    def test_unclosed_quote_is_reported_where_it_opened(self):
        path = os.path.join(self.tmp.path, "quote.conf")
        lines = [
            'syslog_ident = "filterd-test"',
            'min_servers = 1',
            'myhostname = "mx.example.org',
            'max_servers = 4',
            'listen "127.0.0.1:10024" {',
            '  protocol = "smtp"',
            '  bank = "default"',
            '}',
            'bank default { forward = {"127.0.0.1:10025"} }',
            'max_requests = 10',
        ]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = h.run([h.filterd_bin(), "-t", "-c", path])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr.decode(),
                         r"^%s:3: unclosed quote" % re.escape(path))

    def test_nul_byte_is_refused_where_it_is(self):
        """A NUL byte once cut the file there: what followed it (here
        a max_servers that min_servers exceeds) was never read, and -t
        passed. Found by fuzz_conf."""
        path = os.path.join(self.tmp.path, "nul.conf")
        with open(path, "wb") as f:
            f.write(b'syslog_ident = "filterd-test"\n'
                    b'min_servers = 3\x00\n'
                    b'max_servers = 1\n')
        p = h.run([h.filterd_bin(), "-t", "-c", path])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr.decode(),
                         r"^%s:2: a NUL byte: the file is not text"
                         % re.escape(path))

    def test_empty_name_is_reported_at_its_line(self):
        """libconfuse fails on '' as a name without saying where: the
        error was "file: syntax error". Found by fuzz_conf."""
        path = os.path.join(self.tmp.path, "empty.conf")
        with open(path, "w") as f:
            f.write('syslog_ident = "filterd-test"\n\n\'\' = 1\n')
        p = h.run([h.filterd_bin(), "-t", "-c", path])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr.decode(),
                         r"^%s:3: syntax error" % re.escape(path))


if __name__ == "__main__":
    unittest.main(verbosity=2)
