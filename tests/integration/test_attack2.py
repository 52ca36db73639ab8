"""test_attack2 - an outside review of the hop's promise (issue 11).

Each test whose docstring starts with "ATTACK:" was written by the review
to show a defect: it asserts what README promises and fails on the code it
was written against. The next hops here are ScriptHop, a small scripted
SMTP server (Python threads, loopback only) that answers each command as a
test tells it and records what it was given, so that every odd answer a
real MTA may give (4xx/5xx at MAIL, RCPT, DATA, after the dot, a dropped
connection) can be played exactly."""

import gzip
import os
import pwd
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "sender@example.org"
GOOD = "good@example.net"
BAD = "bad@example.net"
MSG = (b"From: sender@example.org\r\nTo: good@example.net\r\n"
       b"Subject: attack test\r\nMessage-ID: <atk2@example.org>\r\n\r\n"
       b"hello\r\n")


class ScriptHop(h.ScriptedServer):
    """ScriptHop - a next hop that answers as told and keeps what it got.

    answer(verb, line, tx) returns the reply line (str), None for the
    default answer, or "CLOSE" to drop the connection without a word.
    tx is the transaction so far (dict: mail, rcpts accepted, data).
    after_dot(tx) gives the reply to the final dot the same way.
    after_dot may also return "CLOSE": the hop keeps the message and
    drops the connection without a word. delivered lists the transactions
    the hop kept (a 2xx to the dot, or "CLOSE")."""

    EXT = ("PIPELINING", "SIZE 10240000", "8BITMIME", "DSN",
           "ENHANCEDSTATUSCODES")

    def __init__(self, answer=None, after_dot=None, ext=EXT):
        super().__init__()
        self.answer = answer or (lambda verb, line, tx: None)
        self.after_dot = after_dot or (lambda tx: None)
        self.ext = list(ext)
        self.delivered = []
        self.commands = []

    def serve(self, conn):
        buf = b""
        tx = None

        def send(line):
            conn.sendall(line.encode() + b"\r\n")

        def reply(verb, line, default):
            r = self.answer(verb, line, tx)
            if r == "CLOSE":
                raise ConnectionAbortedError()
            send(default if r is None else r)
            return default if r is None else r

        send("220 script-hop ESMTP")
        while not self.stopping.is_set():
            while b"\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\n", 1)
            line = line.rstrip(b"\r").decode("utf-8", "replace")
            verb = line.split(" ", 1)[0].upper()
            with self.lock:
                self.commands.append(line)
            if verb == "EHLO":
                ext = ["script-hop"] + self.ext
                for i, e in enumerate(ext):
                    send("250%s%s" % (" " if i == len(ext) - 1 else "-",
                                      e))
            elif verb == "MAIL":
                tx = {"mail": line, "rcpts": [], "data": None}
                if not reply(verb, line, "250 2.1.0 Ok").startswith("2"):
                    tx = None
            elif verb == "RCPT" and tx is not None:
                if reply(verb, line, "250 2.1.5 Ok").startswith("2"):
                    m = re.match(r"RCPT TO:<([^>]*)>", line, re.I)
                    tx["rcpts"].append(m.group(1) if m else line)
            elif verb == "DATA" and tx is not None and tx["rcpts"]:
                r = reply(verb, line, "354 go ahead")
                if not r.startswith("354"):
                    tx = None
                    continue
                while not (buf.startswith(b".\r\n") or
                           b"\r\n.\r\n" in buf):
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                if buf.startswith(b".\r\n"):
                    tx["data"], buf = b"", buf[3:]
                else:
                    end = buf.index(b"\r\n.\r\n")
                    tx["data"], buf = buf[:end + 2], buf[end + 5:]
                r = self.after_dot(tx)
                if r == "CLOSE":
                    with self.lock:
                        self.delivered.append(tx)
                    return
                r = r or "250 2.0.0 Ok: queued as HOP%d" % (
                    len(self.delivered) + 1)
                if r.startswith("2"):
                    with self.lock:
                        self.delivered.append(tx)
                send(r)
                tx = None
            elif verb == "RSET":
                tx = None
                reply(verb, line, "250 2.0.0 Ok")
            elif verb == "QUIT":
                send("221 2.0.0 Bye")
                return
            elif verb in ("RCPT", "DATA"):
                send("503 5.5.1 Error: bad sequence")
            else:
                reply(verb, line, "502 5.5.2 Error: command not "
                                  "recognized")

    def copies_for(self, rcpt):
        with self.lock:
            return [t for t in self.delivered if rcpt in t["rcpts"]]


class AttackCase(h.PeerTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def filterd(self, name="fd", banks=None, **conf):
        fd = h.Filterd(self.tmp, name, banks=banks, **conf)
        return self.start(fd)


class DsnAttack(AttackCase):

    def test_dsn_refused_for_good_is_not_a_retry_loop(self):
        """ATTACK: a DSN the notify hop refuses for good (5xx) turns the
        message into a 451: the front MTA retries, and the recipient the
        next hop already accepted gets a new copy on every retry until the
        front MTA gives up days later (issue 11 item 3's loop, again).
        A DSN that can never be sent must not make the message retry."""
        def answer(verb, line, tx):
            if verb == "RCPT" and BAD in line:
                return "550 5.1.1 <%s>: no such user" % BAD
            # The DSN (null sender) to a sender whose domain does not
            # take mail: refused for good.
            if verb == "RCPT" and tx and tx["mail"].upper().startswith(
                    "MAIL FROM:<>") and SENDER in line:
                return "550 5.1.2 <%s>: domain not found" % SENDER
            return None
        hop = self.start(ScriptHop(answer))
        fd = self.filterd(banks={"default": {
            "forward": [hop.addr], "notify": [hop.addr]}})
        replies = []
        for attempt in range(2):  # the front MTA's first try and a retry
            r = h.send_message(fd.port, SENDER, [GOOD, BAD], MSG)
            replies.append(r)
            if r.code != 451:
                break
        self.assertEqual(len(hop.copies_for(GOOD)), 1,
                         "accepted recipient got %d copies; replies %r" % (
                             len(hop.copies_for(GOOD)), replies))
        self.assertNotEqual(replies[0].code // 100, 4, replies)


GTUBE = (b"XJS*C4JDBQADN1.NSBN3*2IDNEN*"
         b"GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X")


class UncheckedMasksSpamAttack(AttackCase):

    def test_unchecked_content_does_not_let_spam_through(self):
        """ATTACK: the category is the highest that applies, and UNCHECKED
        ranks above SPAM; its destiny is now "pass" by default. So spam
        that also carries something uncheckable (two boundary= values,
        which any sender can write, or an encrypted zip) is UNCHECKED
        and passes, though the spam check finished (GTUBE, score 1000)
        and the bank says final_spam_destiny = discard; it even loses the
        spam subject tag. A check that finished must not be overruled by
        one that could not: a recipient is blocked by the highest of the
        message's categories whose destiny blocks (amavisd-new's
        blocking_ccat), so this message is blocked as SPAM."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(banks={"default": {
            "forward": [sink.addr], "final_spam_destiny": "discard"}},
            quarantine_dir=os.path.join(self.tmp.path, "q"))
        # The control: plain GTUBE is discarded.
        plain = (b"From: a@example.org\r\nSubject: spam\r\n\r\n" + GTUBE +
                 b"\r\n")
        r = h.send_message(fd.port, SENDER, [GOOD], plain)
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        msg = (b"From: a@example.org\r\nSubject: spam\r\n"
               b"MIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=\"one\"; "
               b"boundary=\"two\"\r\n\r\n--one\r\n"
               b"Content-Type: text/plain\r\n\r\n" + GTUBE +
               b"\r\n--one--\r\n")
        r = h.send_message(fd.port, SENDER, [GOOD], msg)
        time.sleep(0.5)
        self.assertEqual(sink.count(), 0,
                         "spam passed as UNCHECKED: %r\n%s" % (
                             r, fd.log_text()[-600:]))
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)


class OutboundVirusAttack(AttackCase):

    def test_outbound_virus_bounce_tells_our_sender(self):
        """ATTACK: policy-banks/authenticated.conf and default.conf say of
        originating (outbound) mail: "the sender, not the recipient, is
        told about a virus or banned attachment". dsn_why_not()
        suppresses every virus DSN as "likely forged sender" without
        looking at originating, so our own authenticated user, whose
        outbound mail filterd refused (final_virus_destiny = bounce), is
        told nothing: 250 2.5.0 "DSN suppressed", the mail silently gone.
        The reason for suppressing (viruses forge their senders) does not
        hold for mail our own user sent through an originating bank."""
        sink = self.start(h.Sink(self.tmp))
        clamdb = self.tmp.sub("clamdb")
        with open(os.path.join(clamdb, "test.ndb"), "w") as f:
            f.write("Atk2-Test:0:*:%s\n" % b"ATTACK2-VIRUS-MARK".hex())
        fd = self.filterd(
            banks={"default": {"forward": [sink.addr],
                               "notify": [sink.addr],
                               "originating": True,
                               "final_virus_destiny": "bounce"}},
            quarantine_dir=os.path.join(self.tmp.path, "q"),
            raw='clamav { database = "%s" }' % clamdb)
        user = "user@our-isp.example"
        r = h.send_message(fd.port, user, ["friend@example.com"],
                           b"Subject: v\r\n\r\nATTACK2-VIRUS-MARK\r\n")
        self.assertEqual(r.code, 250, r)
        self.assertTrue(sink.wait_count(1, 5),
                        "no DSN to our sender: %r\n%s" % (
                            r, fd.log_text()[-800:]))
        dsn = sink.dumps()[0]
        self.assertEqual((dsn.sender, dsn.rcpts), ("", [user]))


class NextHopAttack(AttackCase):

    def test_data_refused_for_good_is_passed_on(self):
        """ATTACK: a next hop that refuses DATA for good (554: a Postfix
        reinjection smtpd with smtpd_data_restrictions, say
        reject_multi_recipient_bounce) has refused every recipient for
        good, as a 5xx to MAIL does (which is passed on); filterd turns
        it into "451 4.4.1 next hop unavailable", so the front MTA
        retries the message for days before it bounces it. README: "If
        every recipient was refused for good (by the next hop ...), that
        5xx is passed on"."""
        hop = self.start(ScriptHop(
            lambda verb, line, tx: "554 5.5.3 <DATA>: Data command "
            "rejected: Multi-recipient bounce" if verb == "DATA" else None))
        fd = self.filterd(banks={"default": {"forward": [hop.addr]}})
        r = h.send_message(fd.port, "", [GOOD, BAD], MSG)
        self.assertEqual(r.code // 100, 5, r)
        self.assertEqual(hop.delivered, [])


    def test_endless_ehlo_reply_costs_bounded_memory(self):
        """ATTACK: hop_read_reply() keeps every line of the EHLO reply in
        rj->ehlo, with no limit, and the buffer stays with the child: a
        next hop (broken, or an attacker who got its address) that sends
        20 MB of "250-" lines grows the child by 20 MB for its whole
        life, and more is only bounded by child_timeout times the
        bandwidth (Postfix's client stops storing reply text past
        line_length_limit for this reason). Only the keywords are needed."""
        hop = self.start(ScriptHop())
        fd = self.filterd(banks={"default": {"forward": [hop.addr]}},
                          min_servers=1, max_servers=1,
                          forward_cache_time=0)
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10))
        pid = fd.children()[0]
        # A first message warms the child up; the next session's EHLO
        # reply is 20 MB.
        r = h.send_message(fd.port, SENDER, [GOOD], MSG, timeout=60)
        self.assertEqual(r.code, 250, r)
        hop.ext = ["X" * 4000] * 5000 + list(ScriptHop.EXT)

        before = h.vm_hwm_kb(pid)
        r = h.send_message(fd.port, SENDER, [GOOD], MSG, timeout=60)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(fd.children(), [pid])
        grown = h.vm_hwm_kb(pid) - before
        self.assertLess(grown, 4 * 1024,
                        "child grew by %d kB for one EHLO reply" % grown)


class MasterAttack(AttackCase):

    def test_reload_that_moves_run_dir_leaves_no_pid_file(self):
        """ATTACK: a reload may change run_dir; the master keeps its pid
        file and scoreboard in the old one, and at SIGTERM removes
        new run_dir/filterd.pid, which was never written: the stopped
        daemon leaves old run_dir/filterd.pid behind with a pid that will
        be reused, and while it runs the pid file and the scoreboard are
        not where its configuration says (filterd-nanny -c finds none)."""
        hop = self.start(ScriptHop())
        fd = self.filterd(banks={"default": {"forward": [hop.addr]}})
        old = fd.params["run_dir"]
        self.assertTrue(h.wait_until(
            lambda: os.path.exists(os.path.join(old, "filterd.pid")), 10))
        new = old + "-moved"
        fd.params["run_dir"] = new
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload" in fd.log_text(), 10), fd.log_text())
        r = h.send_message(fd.port, SENDER, [GOOD], MSG)
        self.assertEqual(r.code, 250, r)
        fd.stop()
        self.assertEqual(fd.exit_status, 0)
        left = [d for d in (old, new)
                if os.path.exists(os.path.join(d, "filterd.pid"))]
        self.assertEqual(left, [], "pid file left by a stopped filterd")


class CounterAttack(AttackCase):

    def test_quarantined_mail_is_counted(self):
        """ATTACK: FILTERD-MIB and filterd-nanny --json publish
        msgs_action.quarantined / rcpts_action.quarantined ("kept in
        quarantine"), but nothing ever counts them (txn_stats.c has no
        path to SB_ACT_QUARANTINED): a virus discarded into the local
        quarantine shows as 0 quarantined while its file is on disk."""
        sink = self.start(h.Sink(self.tmp))
        clamdb = self.tmp.sub("clamdb")
        with open(os.path.join(clamdb, "test.ndb"), "w") as f:
            f.write("Atk2-Test:0:*:%s\n" % b"ATTACK2-VIRUS-MARK".hex())
        qdir = os.path.join(self.tmp.path, "quarantine")
        fd = self.filterd(
            banks={"default": {"forward": [sink.addr]}},
            quarantine_dir=qdir, raw='clamav { database = "%s" }' % clamdb)
        r = h.send_message(fd.port, SENDER, [GOOD],
                           b"Subject: v\r\n\r\nATTACK2-VIRUS-MARK\r\n")
        self.assertEqual(r.code, 250, r)
        self.assertIn("discarded", r.text)
        files = [f for _, _, fs in os.walk(qdir) for f in fs]
        self.assertEqual(len(files), 1, files)
        nanny = os.path.join(os.path.dirname(h.filterd_bin()),
                             "filterd-nanny")
        p = h.run([nanny, "-c", fd.conf_path, "--json"], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        import json
        counters = json.loads(p.stdout.decode().splitlines()[0])["counters"]
        self.assertEqual(counters["msgs_action"].get("quarantined"), 1,
                         counters["msgs_action"])
        self.assertEqual(counters["rcpts_action"].get("quarantined"), 1,
                         counters["rcpts_action"])


def sql_tool():
    return os.path.join(os.path.dirname(h.filterd_bin()), "filterd-sql")


class SqlAttack(AttackCase):

    def test_closed_idle_connection_is_not_a_dead_server(self):
        """ATTACK: when the server closes an idle connection (a MariaDB
        restart, wait_timeout, a proxy, KILL), the next query fails with
        "Lost connection" and db_failed() makes that DSN rest for
        retry_interval: every message of that child is then answered
        451 for a minute (or retry_interval) although the server is up
        and answers a new connection at once. A connection found closed
        should be reopened once, not taken for a dead server."""
        hop = self.start(ScriptHop())
        db = self.start(h.MariaDB(self.tmp, "db"))
        p = h.run([sql_tool(), "-d", db.dsn(), "init"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        fd = self.filterd(
            banks={"default": {"forward": [hop.addr]}}, min_servers=1,
            max_servers=1,
            raw='sql { storage = {"%s"} lookup = {"%s"} '
                'retry_interval = 60 }' % (db.dsn(), db.dsn()))
        r = h.send_message(fd.port, SENDER, [GOOD], MSG)
        self.assertEqual(r.code, 250, r)
        # The server ends the child's idle sessions, as after its
        # wait_timeout or a restart; it is up and takes new ones.
        for (cid,) in db.sql("SELECT id FROM information_schema.processlist"
                             " WHERE user = 'filterd'"):
            db.sql("KILL CONNECTION %s" % cid)
        r = h.send_message(fd.port, SENDER, [GOOD], MSG)
        self.assertEqual(r.code, 250, "%r\n%s" % (r, fd.log_text()[-1500:]))


class QuarantineAttack(AttackCase):

    def test_killed_child_leaves_no_truncated_quarantine_file(self):
        """ATTACK: quar_local() creates quarantine_dir/X/virus-ID under its
        final name and writes it in place: a child killed meanwhile
        (child_timeout, --kill-stuck, OOM, SIGKILL) leaves a truncated
        file that a quarantine front end lists and releases as the
        message, and the front MTA's retry quarantines it again. A copy
        that is not whole must never be found under a quarantine name
        (write it elsewhere, or O_TMPFILE, and link it when fsynced)."""
        sink = self.start(h.Sink(self.tmp))
        clamdb = self.tmp.sub("clamdb")
        with open(os.path.join(clamdb, "test.ndb"), "w") as f:
            f.write("Atk2-Test:0:*:%s\n" % b"ATTACK2-VIRUS-MARK".hex())
        qdir = os.path.join(self.tmp.path, "quarantine")
        fd = self.filterd(
            banks={"default": {"forward": [sink.addr]}}, min_servers=1,
            max_servers=1, message_size_limit=20000000,
            quarantine_dir=qdir, quarantine_gzip=True,
            raw='clamav { database = "%s" }' % clamdb)
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10))
        pid = fd.children()[0]
        self.addCleanup(lambda: h.pid_alive(pid) and
                        os.kill(pid, signal.SIGKILL))
        # Every subdirectory a mail_id can pick, watched for new files.
        from test_lifecycle import Inotify
        ino = Inotify()
        self.addCleanup(ino.close)
        chars = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 "0123456789-_")
        for ch in chars:
            sub = os.path.join(qdir, ch)
            os.makedirs(sub, exist_ok=True)
            if h.IS_ROOT:
                os.chown(sub, *[getattr(pwd.getpwnam("nobody"), a)
                                for a in ("pw_uid", "pw_gid")])
            ino.watch(sub)
        filler = os.urandom(3 << 20).hex().encode()  # incompressible-ish
        msg = (b"Subject: big virus\r\n\r\nATTACK2-VIRUS-MARK\r\n" +
               b"\r\n".join(filler[i:i + 76]
                            for i in range(0, len(filler), 76)) + b"\r\n")
        c = h.SmtpClient(fd.port, timeout=30)
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<%s>" % SENDER)
        c.cmd("RCPT TO:<%s>" % GOOD)
        self.assertEqual(c.cmd("DATA").code, 354)
        c.send(h.data_payload(msg))
        created = []
        deadline = time.monotonic() + 20
        while not created and time.monotonic() < deadline:
            created = ino.created()
            if not created:
                time.sleep(0.0005)
        self.assertTrue(created, fd.log_text()[-1000:])
        os.kill(pid, signal.SIGKILL)  # e.g. child_timeout's SIGALRM
        c.close()
        self.assertTrue(h.wait_until(lambda: not h.pid_alive(pid), 10))
        time.sleep(0.3)
        for path in created:
            if not os.path.exists(path):
                continue
            with open(path, "rb") as f:
                raw = f.read()
            try:
                text = gzip.decompress(raw)
            except (EOFError, OSError, gzip.BadGzipFile) as e:
                self.fail("%s left truncated (%d bytes): %s" % (
                    path, len(raw), e))
            self.assertIn(msg[-200:], text, "%s left truncated (%d bytes, "
                          "%d unpacked)" % (path, len(raw), len(text)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
