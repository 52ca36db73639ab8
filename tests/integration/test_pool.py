"""test_pool - the prefork pool and the failure paths around it.

Children die, overrun child_timeout, retire after max_requests; the master
reloads on SIGHUP and drains on SIGTERM; the spool cannot be written. In
every case the front end either gets its 250 with the message at the sink,
or a 4xx / dropped connection with nothing delivered: never a 250 for mail
that is not in a next hop's hands."""

import os
import re
import resource
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "from@example.org"
RCPT = "to@example.net"
BODY = b"Subject: pool test\r\nMessage-ID: <pool@example.org>\r\n\r\nhello\r\n"


class PoolTest(h.PeerTestCase):
    """Each test gets its own directory: sinks and logs start empty."""

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def filterd(self, sink_addr, **conf):
        fd = h.Filterd(self.tmp, banks={"default": {"forward": [sink_addr]}},
                       **conf)
        return fd

    def open_data(self, port):
        """A session that has sent DATA and the first half of a message."""
        c = h.open_data(port, SENDER, RCPT, BODY[:30])
        self.addCleanup(c.close)
        return c

    def finish_data(self, c):
        c.send(BODY[30:] + b".\r\n")
        return c.reply(timeout=20)

    def send_one(self, port):
        return h.send_message(port, SENDER, [RCPT], BODY, timeout=20)

    def test_dead_child_is_replaced(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=2))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 2, 10))
        victim = fd.children()[0]
        os.kill(victim, signal.SIGKILL)
        self.assertTrue(h.wait_until(
            lambda: len(fd.children()) == 2 and victim not in fd.children(),
            10), "the master did not replace a killed child")
        self.assertEqual(self.send_one(fd.port).code, 250)
        self.assertEqual(sink.wait_count(1, 10), 1)

    def test_max_requests_rotates_children(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1, max_servers=2,
                                     max_requests=2))
        for _ in range(6):
            self.assertEqual(self.send_one(fd.port).code, 250)
        self.assertEqual(sink.wait_count(6, 10), 6)
        lines = fd.message_lines()
        pids = {re.search(r"\[(\d+)\]:", l.text).group(1) for l in lines}
        self.assertEqual(len(lines), 6)
        self.assertGreaterEqual(len(pids), 3,
                                "6 messages at max_requests=2 need at least "
                                "3 children, saw %s" % sorted(pids))

    def test_max_requests_retires_at_the_end_of_the_session(self):
        """A child past max_requests finishes the session it is in, as
        amavisd-new's do (Postfix reuses a session for many messages),
        and exits when the session ends."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1, max_servers=1,
                                     max_requests=3))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10))
        first = fd.children()[0]
        p = h.run([h.SMTP_SOURCE, "-d", "-m", "20", "-s", "1", "-f", SENDER,
                   "-t", RCPT, "127.0.0.1:%d" % fd.port], timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn(b"421", p.stdout + p.stderr)
        self.assertEqual(sink.wait_count(20, 10), 20)
        lines = fd.message_lines()
        pids = {re.search(r"\[(\d+)\]:", l.text).group(1) for l in lines}
        self.assertEqual(pids, {str(first)}, "one session, one child")
        # The session ended: the child retired, a new one serves.
        self.assertTrue(h.wait_until(
            lambda: first not in fd.children() and fd.children(), 10),
            "the child past max_requests did not retire")
        self.assertEqual(self.send_one(fd.port).code, 250)
        self.assertEqual(sink.wait_count(21, 10), 21)

    def test_child_killed_mid_message_gets_no_250(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1, max_servers=1))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10))
        c = self.open_data(fd.port)
        for pid in fd.children():
            os.kill(pid, signal.SIGKILL)
        c.send(BODY[30:] + b".\r\n")
        self.assertTrue(c.at_eof(10),
                        "the connection of a killed child must drop")
        c.close()
        time.sleep(0.5)
        self.assertEqual(sink.count(), 0)
        self.assertIn("killed by signal 9 with a message in hand",
                      fd.log_text())
        # The pool recovers and the front MTA's retry goes through.
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10))
        self.assertEqual(self.send_one(fd.port).code, 250)
        self.assertEqual(sink.wait_count(1, 10), 1)

    def test_child_timeout_drops_the_connection(self):
        silent = h.Silent()
        self.peers.append(silent)
        fd = self.start(self.filterd(silent.addr, min_servers=1,
                                     child_timeout=10, forward_timeout=300))
        c = self.open_data(fd.port)
        started = time.monotonic()
        c.send(BODY[30:] + b".\r\n")
        self.assertTrue(c.at_eof(25), "no end after child_timeout")
        elapsed = time.monotonic() - started
        c.close()
        self.assertGreater(elapsed, 8)
        self.assertLess(elapsed, 20)
        self.assertTrue(h.wait_until(
            lambda: "killed by signal %d" % signal.SIGALRM in fd.log_text(),
            5), fd.log_text())
        self.assertEqual(fd.message_lines(), [])

    def test_reload_keeps_the_session_in_flight(self):
        sink_a = self.start(h.Sink(self.tmp, "a"))
        sink_b = self.start(h.Sink(self.tmp, "b"))
        fd = self.start(self.filterd(sink_a.addr, min_servers=2))
        c = self.open_data(fd.port)
        fd.banks = {"default": {"forward": [sink_b.addr]}}
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(lambda: "generation 2" in fd.log_text(),
                                     10), fd.log_text())
        time.sleep(1.5)  # old idle children are gone by now
        r = self.finish_data(c)
        self.assertEqual(r.code, 250, r)
        # The session in flight finished with the old configuration...
        self.assertEqual(sink_a.wait_count(1, 10), 1)
        old = {int(re.search(r"\[(\d+)\]:", l.text).group(1))
               for l in fd.message_lines()}
        self.assertEqual(len(old), 1, old)
        # ...and goes on with it, as amavisd-new's children do: its
        # child, being retired, exits when the session ends.
        r = c.cmd("MAIL FROM:<%s>" % SENDER)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % RCPT).code, 250)
        self.assertEqual(c.cmd("DATA").code, 354)
        c.send(BODY + b".\r\n")
        self.assertEqual(c.reply(timeout=20).code, 250)
        self.assertEqual(sink_a.wait_count(2, 10), 2)
        self.assertEqual(c.cmd("QUIT").code, 221)
        c.close()
        self.assertTrue(h.wait_until(
            lambda: not old & set(fd.children()), 10),
            "the old child did not exit at the end of its session")
        # New sessions get the new configuration.
        self.assertEqual(self.send_one(fd.port).code, 250)
        self.assertEqual(sink_b.wait_count(1, 10), 1)
        self.assertEqual(sink_a.count(), 2)

    def test_retired_session_is_bounded(self):
        """A reload's old child finishes its session, but not for ever:
        smtpd_timeout seconds after the reload, the next command between
        transactions gets 421 and the session closes (a client that
        keeps its connection busy would otherwise be served by the old
        configuration, and hold the old child, without end)."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1,
                                     max_servers=1, smtpd_timeout=2))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10))
        old = fd.children()[0]
        c = h.SmtpClient(fd.port, timeout=10)
        self.addCleanup(c.close)
        self.assertEqual(c.greeting().code, 220)
        self.assertEqual(c.ehlo().code, 250)
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(lambda: "generation 2" in fd.log_text(),
                                     10), fd.log_text())
        # The session goes on at first... (with a message each half
        # second: a session that carries none ends at smtpd_timeout
        # anyway, test_protocol test_junk_commands_do_not_keep_a_session)
        self.assertEqual(c.cmd("NOOP").code, 250)
        codes = []

        def message():
            r = c.cmd("MAIL FROM:<%s>" % SENDER)
            if r.code == 250:
                r = c.cmd("RCPT TO:<%s>" % RCPT)
            if r.code == 250:
                r354, final = c.data(b"Subject: retired\r\n\r\nbody\r\n")
                r = final or r354
            return r.code
        for _ in range(20):  # at most 10 s, a message each half second
            time.sleep(0.5)
            try:
                codes.append(message())
            except (h.SmtpError, OSError):
                break
            if codes[-1] != 250:
                break
        self.assertEqual(codes[-1:], [421],
                         "the old session was not ended: %s" % codes)
        self.assertTrue(h.wait_until(lambda: old not in fd.children(), 10),
                        "the old child did not exit")
        self.assertIn("configuration reloaded", fd.log_text())

    def test_bad_reload_is_rejected_and_service_goes_on(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr))
        with open(fd.conf_path, "a") as f:
            f.write("# a comment\nno_such_key = 1\n")
        bad_line = len(open(fd.conf_path).read().splitlines())
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 10))
        self.assertIn("%s:%d: no such option 'no_such_key'" %
                      (fd.conf_path, bad_line), fd.log_text())
        self.assertEqual(self.send_one(fd.port).code, 250)
        self.assertEqual(sink.wait_count(1, 10), 1)

    @unittest.skipIf(h.filterd_wrapper(), "under FILTERD_WRAPPER "
                     "(valgrind) the compile of SpamAssassin's rules takes "
                     "over 5 minutes")
    def test_sighup_while_starting_is_a_reload(self):
        """A SIGHUP that comes once the port is bound but while the rules
        are still compiling (SpamAssassin's 1,800) is a reload, not the
        signal's default action: it killed the master before its
        handlers were set."""
        import glob
        rules = sorted(glob.glob("/usr/share/spamassassin/*.cf"))
        self.assertTrue(rules, "spamassassin's rule files (package spamd)")
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr, spam_rules=rules)
        fd.start(wait=False)
        self.addCleanup(fd.stop)
        self.assertTrue(h.wait_until(lambda: h.port_open(fd.port), 60,
                                     0.001))
        fd.signal(signal.SIGHUP)
        # The reload is handled once the compile is over: a minute of
        # Vectorscan under ASan on a loaded machine (60 s was too short).
        self.assertTrue(h.wait_until(
            lambda: "reload" in fd.log_text() or not fd.running(), 300))
        self.assertTrue(fd.running(), fd.log_text()[-2000:])
        self.assertEqual(self.send_one(fd.port).code, 250)
        self.assertEqual(sink.wait_count(1, 10), 1)

    def test_sigterm_drains(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr))
        c = self.open_data(fd.port)
        fd.signal(signal.SIGTERM)
        self.assertTrue(h.wait_until(
            lambda: "waiting for" in fd.log_text(), 10))
        r = self.finish_data(c)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(sink.wait_count(1, 10), 1)
        c.close()
        self.assertTrue(h.wait_until(lambda: not fd.running(), 15),
                        "the master did not exit after draining")
        self.assertEqual(fd.proc.returncode, 0)
        self.assertFalse(h.port_open(fd.port))

    def test_lost_master_ends_its_children(self):
        # The master dies (SIGKILL: no drain). Its children, running as
        # the configured user, get the parent-death signal: the busy one
        # finishes the message in hand (250, at the sink) and closes the
        # session at the next command; the idle one exits. Nobody keeps
        # the listening socket from a restarted filterd.
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=2,
                                     max_servers=2))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 2, 10))
        kids = fd.children()
        c = self.open_data(fd.port)
        fd.proc.kill()
        fd.proc.wait(10)
        r = self.finish_data(c)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(sink.wait_count(1, 10), 1)
        r = c.cmd("MAIL FROM:<%s>" % SENDER)
        self.assertEqual(r.code, 421, r)
        self.assertIn("4.3.2", r.text)
        c.close()
        self.assertTrue(h.wait_until(
            lambda: not any(h.pid_alive(p) for p in kids), 10),
            "children outlived their master")

    def test_spool_write_failure_is_a_4xx(self):
        """A full disk, simulated with a file size limit (EFBIG)."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr, message_size_limit=20000000)
        fd.write_conf()
        # Above the scoreboard file (about 1 MiB), below the message.
        limit = 4 * 1024 * 1024

        def small_files():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        with open(fd.log_path, "ab") as log:
            fd.proc = subprocess.Popen(
                [h.filterd_bin(), "-f", "-c", fd.conf_path], stdout=log,
                stderr=log, stdin=subprocess.DEVNULL, preexec_fn=small_files)
        self.peers.append(fd)
        self.assertTrue(h.wait_port(fd.port, 10, proc=fd.proc))
        big = b"Subject: big\r\n\r\n" + (b"x" * 76 + b"\r\n") * 65000
        with h.SmtpClient(fd.port) as c:
            c.greeting()
            c.ehlo()
            c.cmd("MAIL FROM:<%s>" % SENDER)
            c.cmd("RCPT TO:<%s>" % RCPT)
            _, r = c.data(big, timeout=20)
            self.assertEqual((r.code, r.enhanced), (451, "4.3.0"), r)
            # The session and the child go on: a small message passes.
            c.cmd("MAIL FROM:<%s>" % SENDER)
            c.cmd("RCPT TO:<%s>" % RCPT)
            self.assertEqual(c.data(BODY, timeout=20)[1].code, 250)
        self.assertEqual(sink.wait_count(1, 10), 1)
        time.sleep(0.3)
        self.assertEqual(sink.count(), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
