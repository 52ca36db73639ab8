"""test_attack12b - an outsider against this session's hardening (issue 12).

Every test here was written by an outside tester as an attack on the
changes of issue 12 ("Hardening and threat model") and failed on the code
it was written against (main at 8b17af8); each docstring starts with
"ATTACK:" and says what filterd did and which promise it breaks. They
assert the promise, so they pass once the defect is fixed.

The target is the idle rule of 92f4a5d ("smtpd: only a message moves the
idle clock"): a session may go at most smtpd_timeout without a message
reaching end of DATA. The promise it must keep (common rules, the
brief): a live client that a Postfix front's smtpd (smtpd_timeout per
read) would have served is not cut, and no message it would have
delivered gets 421.

Peers are real: filterd as root with user = nobody (as the integration
tests run it), smtp-sink on loopback."""

import os
import pwd
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "sender@example.org"
SMTPD_TIMEOUT = 3
LIMIT = 100000


def simple_msg(tag):
    return (b"From: sender@example.org\r\nTo: rcpt@example.net\r\n"
            b"Subject: " + tag.encode() + b"\r\n\r\nbody of " +
            tag.encode() + b"\r\n")


class IdleRuleAttack(h.PeerTestCase):
    """Live clients whose every read is well inside smtpd_timeout."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink = h.Sink(cls.tmp, "sink")
        smtp_port, lmtp_port = h.free_ports(2)
        cls.fd = h.Filterd(cls.tmp, "fd",
                           listen=[(smtp_port, "smtp", "default"),
                                   (lmtp_port, "lmtp", "default")],
                           banks={"default": {"forward": [cls.sink.addr]}},
                           smtpd_timeout=SMTPD_TIMEOUT,
                           message_size_limit=LIMIT, max_recipients=100,
                           child_timeout=60)
        cls.start_for_class(cls.sink, cls.fd)
        cls.smtp_port = smtp_port
        cls.lmtp_port = lmtp_port

    def client(self, port, verb="EHLO"):
        c = h.SmtpClient(port, timeout=SMTPD_TIMEOUT + 10)
        self.addCleanup(c.close)
        g = c.greeting()
        self.assertEqual(g.code, 220, g)
        r = c.ehlo(verb=verb)
        self.assertEqual(r.code, 250, r)
        return c

    def tag(self):
        return self.id().rsplit(".", 1)[-1]

    def dumps_for(self, rcpt):
        return [d for d in self.sink.dumps() if rcpt in d.rcpts]

    def slow_recipients(self, port, verb, n, gap):
        """MAIL, then n RCPTs each `gap` s after the last reply, then
        DATA; returns (rcpts, the replies seen, the final replies)."""
        c = self.client(port, verb)
        rcpts = ["%s-%d@example.net" % (self.tag(), i) for i in range(n)]
        seen = []
        r = c.cmd("MAIL FROM:<%s>" % SENDER)
        seen.append(r.code)
        self.assertEqual(r.code, 250, r)
        for rc in rcpts:
            time.sleep(gap)
            try:
                r = c.cmd("RCPT TO:<%s>" % rc)
            except h.SmtpError as e:
                seen.append("closed: %s" % e)
                return rcpts, seen, None
            seen.append(r.code)
            if r.code != 250:
                return rcpts, seen, [r]
        r354, final = c.data(simple_msg(self.tag()))
        seen.append(r354.code)
        if r354.code != 354:
            return rcpts, seen, [r354]
        finals = [final]
        if verb == "LHLO":
            finals += c.replies(n - 1)
        return rcpts, seen, finals

    def test_smtp_slow_recipients_cut_mid_transaction(self):
        """ATTACK: a live SMTP client gives MAIL and then 6 RCPTs, each
        0.75 s after the reply to the last (every read a quarter of
        smtpd_timeout, 3 s here), then DATA. The whole transaction
        takes 4.5 s > smtpd_timeout, and filterd answers a RCPT with
        421 4.4.2 "timeout exceeded" and closes: the message, which
        Postfix's smtpd (smtpd_timeout per read) would take and a
        front MTA would deliver, is deferred. The idle rule counts the
        time of the message in progress as idle time; only time with
        no message in progress should be (a MAIL opens one)."""
        rcpts, seen, finals = self.slow_recipients(
            self.smtp_port, "EHLO", 6, SMTPD_TIMEOUT * 0.25)
        self.assertTrue(finals and finals[0] is not None and
                        finals[0].code == 250,
                        "slow but live SMTP client cut: replies %r, "
                        "final %r" % (seen, finals))
        self.assertTrue(h.wait_until(
            lambda: self.dumps_for(rcpts[0]), 10), "not delivered")

    def test_lmtp_slow_recipients_cut_mid_transaction(self):
        """ATTACK: the same over LMTP (a Postfix lmtp client with many
        recipients, not pipelining): 6 RCPTs 0.75 s apart, then DATA.
        filterd gives 421 4.4.2 on a RCPT once 3 s have gone since LHLO,
        though no read waited more than 0.75 s; every recipient of the
        message is deferred."""
        rcpts, seen, finals = self.slow_recipients(
            self.lmtp_port, "LHLO", 6, SMTPD_TIMEOUT * 0.25)
        self.assertTrue(finals and all(f is not None and f.code == 250
                                       for f in finals),
                        "slow but live LMTP client cut: replies %r, "
                        "finals %r" % (seen, finals))

    def test_slow_recipients_after_a_message_cut(self):
        """ATTACK: the cut does not need a slow start: a cached
        connection (Postfix) carries a message, then, right after its
        250, the next message's MAIL and 6 RCPTs 0.75 s apart. The
        second message gets 421 on a RCPT, 3 s after the first one's
        end of data, though the client was never idle for a second."""
        c = self.client(self.smtp_port)
        first = "%s-first@example.net" % self.tag()
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % first).code, 250)
        r354, final = c.data(simple_msg("first"))
        self.assertEqual(final.code, 250, final)
        self.assertEqual(c.cmd("RSET").code, 250)
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
        seen = []
        for i in range(6):
            time.sleep(SMTPD_TIMEOUT * 0.25)
            try:
                r = c.cmd("RCPT TO:<%s-%d@example.net>" % (self.tag(), i))
            except h.SmtpError as e:
                seen.append("closed: %s" % e)
                break
            seen.append((r.code, r.enhanced))
            if r.code != 250:
                break
        self.assertEqual(seen, [(250, "2.1.5")] * 6,
                         "second message of a cached connection cut")
        r354, final = c.data(simple_msg("second"))
        self.assertEqual(final.code, 250, final)

    def test_refused_transactions_end_with_421_and_nothing_is_lost(self):
        """A session of nothing but refusals before DATA (552 5.3.4 at
        MAIL for SIZE= over message_size_limit, then RSET, again and
        again) moves no message forward: after smtpd_timeout it gets
        421 4.4.2, a temporary failure (the front MTA sends its next,
        acceptable, message again over a new connection), which a new
        connection takes. (Decided: a refusal before DATA must not keep
        a child, or SIZE= refusals in a loop would hold every child.)"""
        c = self.client(self.smtp_port)
        seen = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 4 * SMTPD_TIMEOUT:
            try:
                r = c.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, LIMIT * 10))
                seen.append(r.code)
                if r.code != 552:
                    break
                seen.append(c.cmd("RSET").code)
            except (h.SmtpError, OSError):
                break
            if seen[-1] != 250:
                break
            time.sleep(0.5)
        self.assertEqual(seen[-1], 421, seen)
        self.assertLess(time.monotonic() - t0, 2 * SMTPD_TIMEOUT + 1, seen)
        c = self.client(self.smtp_port)
        rcpt = "%s@example.net" % self.tag()
        self.assertEqual(c.cmd("MAIL FROM:<%s> SIZE=100" % SENDER).code, 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % rcpt).code, 250)
        r354, final = c.data(simple_msg("after refusals"))
        self.assertEqual(final.code, 250, final)

    def test_given_up_transactions_do_not_keep_a_child(self):
        """MAIL, RCPT, RSET over and over (each taken) keeps a session
        only until smtpd_timeout after the first transaction given up:
        then 421 4.4.2."""
        c = self.client(self.smtp_port)
        seen = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 6 * SMTPD_TIMEOUT:
            try:
                codes = [c.cmd("MAIL FROM:<%s>" % SENDER).code]
                if codes[0] == 250:
                    codes.append(c.cmd("RCPT TO:<%s@example.net>"
                                       % self.tag()).code)
                if codes[-1] == 250:
                    codes.append(c.cmd("RSET").code)
            except (h.SmtpError, OSError):
                break
            seen += codes
            if codes[-1] != 250:
                break
            time.sleep(0.5)
        self.assertEqual(seen[-1], 421, seen)
        self.assertLess(time.monotonic() - t0, 2 * SMTPD_TIMEOUT + 2, seen)

    def test_long_data_dripped_holds(self):
        """Holds (control): a DATA whose body arrives in pieces 1 s
        apart for 5 s (> smtpd_timeout, each read inside it) is taken:
        DATA reads have smtpd_timeout each."""
        c = self.client(self.smtp_port)
        rcpt = "%s@example.net" % self.tag()
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % rcpt).code, 250)
        self.assertEqual(c.cmd("DATA").code, 354)
        c.send(b"Subject: drip\r\n\r\n")
        for i in range(5):
            time.sleep(1)
            c.send(b"line %d\r\n" % i)
        c.send(b".\r\n")
        r = c.reply()
        self.assertEqual(r.code, 250, r)
        self.assertTrue(h.wait_until(lambda: self.dumps_for(rcpt), 10))


def tool_bin(name):
    """tool_bin - a filterd tool next to the filterd under test."""
    return os.path.join(os.path.dirname(h.filterd_bin()), name)


@unittest.skipUnless(h.IS_ROOT, "needs root: a reader of another user")
class WatcherInGroupAttack(h.PeerTestCase):
    """README Security: run_dir is 0750 root:group, its files 0640, and
    "filterd-nanny and filterd-snmp" are run "as root or in that group";
    filterd.conf is 0640 root:root as packaged (debian/rules)."""

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)
        sink = self.start(h.Sink(self.tmp))
        self.fd = self.start(h.Filterd(
            self.tmp, banks={"default": {"forward": [sink.addr]}}))
        os.chown(self.fd.conf_path, 0, 0)
        os.chmod(self.fd.conf_path, 0o640)   # as the package installs it
        self.group = pwd.getpwnam("nobody").pw_gid   # run_dir's group
        self.daemon = pwd.getpwnam("daemon")

    def as_member(self, argv, timeout=30):
        """argv run as daemon with run_dir's group as a supplementary
        group (a monitoring user added to it)."""
        def become():
            os.setgroups([self.group])
            os.setgid(self.daemon.pw_gid)
            os.setuid(self.daemon.pw_uid)
        return subprocess.run(argv, preexec_fn=become, timeout=timeout,
                              capture_output=True)

    def test_group_member_runs_nanny_as_documented(self):
        """A member of run_dir's group (a monitoring user) may read the
        scoreboard, not filterd.conf (0640 root:root: it may hold SQL
        passwords). With -c FILE it is told to give the scoreboard with
        -s (README Security); with -s it is served. (The attack found
        the README saying -c FILE works for it; the README now says -s.)"""
        p = self.as_member([tool_bin("filterd-nanny"), "-c",
                            self.fd.conf_path, "--once"])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"-s run_dir/scoreboard", p.stderr)
        sb = os.path.join(self.fd.params["run_dir"], "scoreboard")
        for args in (["--once"], ["--once", "--prometheus"]):
            p = self.as_member([tool_bin("filterd-nanny"), "-s", sb] + args)
            self.assertEqual(p.returncode, 0,
                             "filterd-nanny -s SCOREBOARD %s as a member "
                             "of run_dir's group: %r" % (
                                 " ".join(args), p.stderr.decode()[-300:]))
            self.assertTrue(p.stdout.strip(), p.stderr)

    def test_group_member_runs_snmp_agent_as_documented(self):
        """The same for filterd-snmp: -c FILE unreadable says to use -s;
        -s SCOREBOARD gets past the configuration (it then waits for
        snmpd's AgentX socket, which this test has not)."""
        agentx = os.path.join(self.tmp.path, "no-agentx")
        p = self.as_member([tool_bin("filterd-snmp"), "-f", "-c",
                            self.fd.conf_path, "-x", agentx], timeout=10)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"-s run_dir/scoreboard", p.stderr)
        sb = os.path.join(self.fd.params["run_dir"], "scoreboard")
        try:
            p = self.as_member([tool_bin("filterd-snmp"), "-f", "-s", sb,
                                "-x", agentx], timeout=3)
        except subprocess.TimeoutExpired:
            return   # still running: it got past the configuration
        self.assertNotIn(b"Permission denied", p.stderr,
                         "filterd-snmp -s SCOREBOARD as a member of "
                         "run_dir's group exited %d: %r" % (
                             p.returncode, p.stderr.decode()[-300:]))

if __name__ == "__main__":
    unittest.main()
