"""test_sql - records and quarantine in a real MariaDB, with failover.

Each test starts its own private MariaDB server(s) (mariadb-install-db into
a temporary directory, mariadbd on loopback and a private socket) and loads
the schema with filterd-sql init. filterd writes amavisd-new's tables:
one msgs row per message, one msgrcpt row per recipient, maddr rows, and
the quarantined message in 16 KiB chunks."""

import datetime
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_checks import (EICAR, attachment, message, multipart,  # noqa: E402
                         signature_db)

SENDER = "sender@example.org"
RCPTS = ["one@example.net", "two@example.net"]


def sql_tool():
    return os.path.join(os.path.dirname(h.filterd_bin()), "filterd-sql")


def iso_week(ts=None):
    d = datetime.datetime.utcfromtimestamp(ts or time.time())
    return d.isocalendar()[1]


def restart(db, timeout=60):
    """Start a stopped MariaDB again on its data directory and port."""
    as_mysql = ["--user=mysql"] if h.IS_ROOT else []
    db.proc = subprocess.Popen(
        [h.MARIADBD, "--no-defaults", "--datadir=" + db.datadir,
         "--socket=" + db.socket, "--port=%d" % db.port,
         "--bind-address=" + h.LOCALHOST, "--pid-file=" + db.pidfile,
         "--log-error=" + db.errlog, "--innodb-buffer-pool-size=64M"]
        + as_mysql, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if h.wait_until(db._ready, timeout, 0.2) is not True:
        raise RuntimeError("mariadbd did not restart:\n%s" % db.log()[-2000:])


def q(db, query):
    """Rows of a query on the filterd database of db."""
    return db.sql(query, database=db.database)


def start_sink_and_db(cls, rows):
    """start_sink_and_db - a sink and a private MariaDB for a test class,
    with the schema (filterd-sql init) and the rows of the SQL text."""
    cls.sink = h.Sink(cls.tmp, "sink")
    cls.db = h.MariaDB(cls.tmp, "db")
    cls.start_for_class(cls.sink, cls.db)
    p = h.run([sql_tool(), "-d", cls.db.dsn(), "init"], timeout=60)
    assert p.returncode == 0, p.stderr
    q(cls.db, rows)


def five_point_five_rules(tmp):
    """five_point_five_rules - a rules file: "fivepointfive" scores 5.5."""
    rules = os.path.join(tmp.path, "rules.cf")
    with open(rules, "w") as f:
        f.write("body FIVEPOINTFIVE /fivepointfive/i\n"
                "score FIVEPOINTFIVE 5.5\n")
    return rules


def virus_message(size=40000):
    """A message over two quarantine chunks with EICAR attached."""
    filler = (b"A line of text to make the message longer than one "
              b"quarantine chunk.\r\n") * (size // 70)
    return message(multipart([
        (b"Content-Type: text/plain\r\n", filler),
        attachment("eicar.com", EICAR)]), "sql virus")


class SqlTest(h.PeerTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.sink = self.start(h.Sink(self.tmp, "sink"))
        self.clamdb = self.tmp.sub("clamdb")
        signature_db(self.clamdb)

    def database(self, name="db"):
        db = self.start(h.MariaDB(self.tmp, name))
        p = h.run([sql_tool(), "-d", db.dsn(), "init"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return db

    def filterd(self, dsns, bank=None, sql_extra="", **conf):
        bank = dict(bank or {})
        bank.setdefault("forward", [self.sink.addr])
        raw = 'clamav { database = "%s" }\n' % self.clamdb
        if dsns:
            raw += "sql { storage = {%s} retry_interval = 2 %s }\n" % (
                ", ".join('"%s"' % d for d in dsns), sql_extra)
        return self.start(h.Filterd(
            self.tmp, "fd", banks={"default": bank}, raw=raw,
            quarantine_dir=os.path.join(self.tmp.path, "quarantine"),
            **conf))

    def log_line(self, fd):
        lines = fd.wait_messages(1)
        self.assertTrue(lines, fd.log_text())
        return lines[-1].text

    def send(self, fd, msg, rcpts=RCPTS):
        return h.send_message(fd.port, SENDER, rcpts, msg, timeout=30)

    def test_clean_message_rows(self):
        db = self.database()
        fd = self.filterd([db.dsn()])
        r = self.send(fd, message(b"clean body\r\n", "sql clean"))
        self.assertEqual(r.code, 250, r)
        mail_id = r.text.split("id=")[1].split(",")[0]
        rows = q(db, "SELECT partition_tag, content, size, originating, "
                      "quar_type, message_id, subject FROM msgs WHERE "
                      "mail_id = '%s'" % mail_id)
        self.assertEqual(len(rows), 1, rows)
        pt, content, size, orig, qtype, mid, subject = rows[0]
        self.assertEqual(int(pt), iso_week())
        self.assertEqual((content, orig, qtype.strip()), ("C", "N", ""))
        self.assertEqual(mid, "<sql-clean@example.org>")
        self.assertEqual(subject, "sql clean")
        self.assertGreater(int(size), 0)
        rcpts = q(db, "SELECT m.email, r.ds, r.is_local, r.smtp_resp FROM "
                       "msgrcpt r JOIN maddr m ON m.id = r.rid AND "
                       "m.partition_tag = r.partition_tag WHERE "
                       "r.mail_id = '%s' ORDER BY r.rseqnum" % mail_id)
        self.assertEqual([x[0] for x in rcpts], RCPTS)
        for email, ds, local, resp in rcpts:
            self.assertEqual(ds, "P")
            self.assertTrue(resp.startswith("250 "), resp)
        sender = q(db, "SELECT m.email, m.domain FROM msgs s JOIN maddr m "
                        "ON m.id = s.sid AND m.partition_tag = "
                        "s.partition_tag WHERE s.mail_id = '%s'" % mail_id)
        self.assertEqual(sender, [[SENDER, "org.example"]])

    def test_virus_quarantined_in_sql_reassembles(self):
        db = self.database()
        fd = self.filterd([db.dsn()], {"virus_quarantine": "sql"})
        msg = virus_message()
        r = self.send(fd, msg)
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        mail_id = r.text.split("id=")[1].split(" ")[0]
        self.assertEqual(self.sink.count(), 0)
        row = q(db, "SELECT content, quar_type, quar_loc, partition_tag "
                     "FROM msgs WHERE mail_id = '%s'" % mail_id)
        self.assertEqual(row, [["V", "Q", "%s[%d]" % (mail_id, iso_week()),
                                str(iso_week())]])
        ds = q(db, "SELECT ds FROM msgrcpt WHERE mail_id = '%s'" % mail_id)
        self.assertEqual(ds, [["D"], ["D"]])
        # Reassemble the chunks: the client tool prints blobs as hex.
        chunks = q(db, "SELECT chunk_ind, HEX(mail_text) FROM quarantine "
                        "WHERE mail_id = '%s' ORDER BY chunk_ind" % mail_id)
        self.assertGreaterEqual(len(chunks), 3)
        self.assertEqual([int(c[0]) for c in chunks],
                         list(range(1, len(chunks) + 1)))
        text = b"".join(bytes.fromhex(c[1]) for c in chunks)
        head = ("X-Envelope-From: <%s>\r\nX-Envelope-To: <%s>,\r\n <%s>\r\n"
                "X-Envelope-To-Blocked: <%s>,\r\n <%s>\r\n"
                "X-Quarantine-ID: <%s>\r\n" % (SENDER, RCPTS[0], RCPTS[1],
                                               RCPTS[0], RCPTS[1], mail_id))
        self.assertEqual(text, head.encode() + msg,
                         "the quarantine is not the message byte for byte")
        # The log line says where the copy went, as amavis does for SQL.
        self.assertIn("> -> <%s>,<%s>, quarantine: %s[%d], " % (
            RCPTS[0], RCPTS[1], mail_id, iso_week()), self.log_line(fd))

    def test_local_quarantine_without_sql(self):
        fd = self.filterd([])
        msg = virus_message(2000)
        r = self.send(fd, msg)
        self.assertEqual(r.code, 250, r)
        mail_id = r.text.split("id=")[1].split(" ")[0]
        path = os.path.join(self.tmp.path, "quarantine", mail_id[0],
                            "virus-" + mail_id)
        with open(path, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"X-Envelope-From: <%s>" %
                                        SENDER.encode()))
        self.assertTrue(data.endswith(msg))
        self.assertIn(b"X-Quarantine-ID: <%s>" % mail_id.encode(), data)
        # The file, relative to quarantine_dir, as amavis logs it.
        self.assertIn(", quarantine: %s/virus-%s, " % (mail_id[0], mail_id),
                      self.log_line(fd))

    def test_local_quarantine_gzip(self):
        import gzip
        fd = self.filterd([], quarantine_gzip=True)
        msg = virus_message(2000)
        r = self.send(fd, msg)
        self.assertEqual(r.code, 250, r)
        mail_id = r.text.split("id=")[1].split(" ")[0]
        path = os.path.join(self.tmp.path, "quarantine", mail_id[0],
                            "virus-%s.gz" % mail_id)
        with gzip.open(path, "rb") as f:
            data = f.read()
        self.assertTrue(data.endswith(msg))
        self.assertIn(b"X-Quarantine-ID: <%s>" % mail_id.encode(), data)

    def test_failover_and_failback(self):
        first, second = self.database("first"), self.database("second")
        # One child, so that one connection list sees every message (each
        # child keeps its own connections and its own resting times).
        fd = self.filterd([first.dsn(), second.dsn()], min_servers=1,
                          max_servers=1)

        def count(db):
            return int(q(db, "SELECT COUNT(*) FROM msgs")[0][0])

        for i in range(3):
            self.assertEqual(self.send(fd, message(b"a\r\n", "fo%d" % i))
                             .code, 250)
        self.assertEqual((count(first), count(second)), (3, 0))
        first.stop()
        for i in range(3):
            r = self.send(fd, message(b"b\r\n", "fo-b%d" % i))
            self.assertEqual(r.code, 250, r)
        self.assertEqual(count(second), 3)
        restart(first)
        time.sleep(2.5)  # past retry_interval: the first DSN is due again
        for i in range(3):
            self.assertEqual(self.send(fd, message(b"c\r\n", "fo-c%d" % i))
                             .code, 250)
        self.assertEqual((count(first), count(second)), (6, 3))
        self.assertEqual(self.sink.wait_count(9, 10), 9)

    def test_log_failure_tempfail_and_pass(self):
        db = self.database()
        fd = self.filterd([db.dsn()])
        db.stop()
        r = self.send(fd, message(b"x\r\n", "down"))
        self.assertEqual((r.code, r.enhanced), (451, "4.3.0"), r)
        self.assertIn("cannot log to SQL", r.text)
        self.assertEqual(self.sink.count(), 0)
        fd.stop()
        self.peers.remove(fd)
        fd2 = self.filterd([db.dsn()], sql_extra='log_failure = "pass"')
        r = self.send(fd2, message(b"x\r\n", "down pass"))
        self.assertEqual(r.code, 250, r)
        self.assertIn("SQL LOG NOT WRITTEN", fd2.log_text())
        self.assertEqual(self.sink.wait_count(1, 10), 1)


@unittest.skipUnless(h.IS_ROOT, "a private Postfix needs root")
class SqlDownBehindPostfixTest(h.PeerTestCase):
    """SQL down while a quarantine is due: 4xx, the front MTA keeps the
    message, and once SQL is back the retry is quarantined and the sender
    gets the DSN (bounce) at the sink."""

    def test_quarantine_due_while_sql_down(self):
        tmp = self.tmp
        sink = self.start(h.Sink(tmp, "sink"))
        db = self.start(h.MariaDB(tmp, "db"))
        p = h.run([sql_tool(), "-d", db.dsn(), "init"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        clamdb = tmp.sub("clamdb")
        signature_db(clamdb)
        front, filt, reinj = h.free_ports(3)
        postfix = h.Postfix(tmp, front, filt, reinj, sink.port)
        self.peers.append(postfix)
        postfix.start()
        fd = self.start(h.Filterd(
            tmp, "fd", listen=[(filt, "smtp", "default")],
            banks={"default": {
                "forward": ["127.0.0.1:%d" % reinj],
                "final_banned_destiny": "bounce",
                "banned_filename": ["(?i)\\.exe$"],
                "banned_quarantine": "sql"}},
            raw='clamav { database = "%s" }\nsql { storage = {"%s"} '
                'retry_interval = 1 }' % (clamdb, db.dsn())))
        db.stop()
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"tool attached\r\n"),
            attachment("tool.exe", b"MZ not really")]), "sql down")
        r = h.send_message(front, SENDER, ["rcpt@example.net"], msg,
                           timeout=30)
        self.assertEqual(r.code, 250, r)   # the front MTA took it
        self.assertTrue(h.wait_until(
            lambda: "cannot quarantine in SQL" in fd.log_text(), 30),
            fd.log_text()[-2000:])
        self.assertTrue(postfix.queue_ids(), "the message left the queue")
        self.assertEqual(sink.count(), 0)
        restart(db)
        time.sleep(1.5)
        postfix.flush_until(lambda: sink.count() >= 1, 40)
        self.assertTrue(sink.wait_count(1, 5), postfix.log()[-2000:])
        dsn = sink.dumps()[0]
        self.assertEqual((dsn.sender, dsn.rcpts), ("", [SENDER]))
        self.assertIn(b"BANNED", dsn.body)
        rows = q(db, "SELECT content, quar_type FROM msgs WHERE "
                      "subject = 'sql down'")
        self.assertEqual(rows, [["B", "Q"]])
        self.assertTrue(h.wait_until(lambda: not postfix.queue_ids(), 10))


GTUBE = (b"XJS*C4JDBQADN1.NSBN3*2IDNEN*" +
         b"GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X")


class SqlLookupTest(h.SinkWatch, h.PeerTestCase):
    """Per-recipient policy and white/black lists (amavis' tables)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_sink_and_db(cls, """
          INSERT INTO policy (id, policy_name, spam_lover, spam_kill_level)
            VALUES (2, 'lover', 'Y', 2000);
          INSERT INTO policy (id, policy_name, spam_tag2_level,
                              spam_kill_level, spam_subject_tag2)
            VALUES (3, 'strict', 4, 5, '[SPAM] ');
          INSERT INTO users (id, priority, policy_id, email) VALUES
            (10, 9, 2, 'vip@example.net'),
            (11, 5, 3, '@example.net');
          INSERT INTO mailaddr (id, priority, email) VALUES
            (20, 9, 'friend@example.org'), (21, 9, 'enemy@example.org');
          INSERT INTO wblist (rid, sid, wb) VALUES (11, 20, 'W'),
            (11, 21, 'B');
          COMMIT;""")
        rules = five_point_five_rules(cls.tmp)
        cls.fd = h.Filterd(
            cls.tmp, "fd", spam_rules=[rules], banks={"default": {
                "forward": [cls.sink.addr], "spam_tag_level": -999.0,
                "final_spam_destiny": "discard"}},
            raw='sql { storage = {"%s"} lookup = {"%s"} }' % (
                cls.db.dsn(), cls.db.dsn()))
        cls.start_for_class(cls.fd)

    def rcpt_rows(self, mail_id):
        return q(self.db, "SELECT m.email, r.ds, r.content, r.wl, r.bl FROM "
                 "msgrcpt r JOIN maddr m ON m.id = r.rid AND "
                 "m.partition_tag = r.partition_tag WHERE r.mail_id = '%s' "
                 "ORDER BY r.rseqnum" % mail_id)

    def test_spam_lover_and_strict_recipient(self):
        r = h.send_message(self.fd.port, "someone@example.org",
                           ["vip@example.net", "user@example.net"],
                           message(GTUBE + b"\r\n", "lover"), timeout=30)
        self.assertEqual(r.code, 250, r)
        dumps = self.new_dumps(1)
        self.assertEqual([d.rcpts for d in dumps], [["vip@example.net"]])
        mail_id = r.text.split("id=")[1].split(",")[0]
        rows = self.rcpt_rows(mail_id)
        self.assertEqual(rows[0][:2], ["vip@example.net", "P"])
        self.assertEqual(rows[1][:3], ["user@example.net", "D", "S"])

    def test_recipient_levels_and_subject_tag(self):
        """A rule worth 5.5. The strict policy (@example.net: tag2 4,
        kill 5) makes it SPAM: discarded. The vip's own policy sets only
        spam_lover and kill 2000; its NULL fields fall through to the less
        specific @example.net row (amavis), so it is SPAMMY at tag2 4 and
        passes with that policy's subject tag."""
        r = h.send_message(self.fd.port, "someone@example.org",
                           ["vip@example.net", "user@example.net"],
                           message(b"fivepointfive offer\r\n", "levels"),
                           timeout=30)
        self.assertEqual(r.code, 250, r)
        dumps = self.new_dumps(1)
        self.assertEqual([d.rcpts for d in dumps], [["vip@example.net"]])
        self.assertIn(b"Subject: [SPAM] levels", dumps[0].body)
        self.assertIn(b"X-Spam-Flag: YES", dumps[0].body)
        mail_id = r.text.split("id=")[1].split(",")[0]
        rows = self.rcpt_rows(mail_id)
        self.assertEqual([x[1:3] for x in rows], [["P", "Y"], ["D", "S"]])

    def test_whitelisted_sender_passes(self):
        r = h.send_message(self.fd.port, "friend@example.org",
                           ["user@example.net"],
                           message(GTUBE + b"\r\n", "friend"), timeout=30)
        self.assertEqual(r.code, 250, r)
        d = self.new_dumps(1)[0]
        self.assertIn(b"X-Spam-Flag: NO", d.body)
        self.assertNotIn(b"[SPAM]", d.body)
        mail_id = r.text.split("id=")[1].split(",")[0]
        self.assertEqual(self.rcpt_rows(mail_id)[0][1:],
                         ["P", "C", "Y", "N"])

    def test_blacklisted_sender_is_spam(self):
        r = h.send_message(self.fd.port, "enemy@example.org",
                           ["user@example.net"],
                           message(b"perfectly clean\r\n", "enemy"),
                           timeout=30)
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        self.assertEqual(self.new_dumps(), [])
        mail_id = r.text.split("id=")[1].split(" ")[0]
        self.assertEqual(self.rcpt_rows(mail_id)[0][1:],
                         ["D", "S", "N", "Y"])

    def test_pen_pal_reply_gets_the_bonus(self):
        """Our user writes to a stranger; the stranger's reply (it names
        the first message in In-Reply-To) would be SPAM for the strict
        policy (5.5 >= kill 5) but the pen pal bonus of 3 lets it pass."""
        fd = self.start(h.Filterd(
            self.tmp, "fd-penpal", spam_rules=[os.path.join(
                self.tmp.path, "rules.cf")],
            banks={"default": {
                "forward": [self.sink.addr], "spam_tag_level": -999.0,
                "final_spam_destiny": "discard",
                "penpals_bonus_score": 3.0}},
            raw='sql { storage = {"%s"} lookup = {"%s"} }' % (
                self.db.dsn(), self.db.dsn())))
        first = (b"From: user@example.net\r\nTo: pal@remote.example\r\n"
                 b"Subject: question\r\nMessage-ID: <q1@example.net>\r\n"
                 b"\r\nHow are you?\r\n")
        r = h.send_message(fd.port, "user@example.net",
                           ["pal@remote.example"], first, timeout=30)
        self.assertEqual(r.code, 250, r)
        reply = (b"From: pal@remote.example\r\nTo: user@example.net\r\n"
                 b"Subject: Re: question\r\nMessage-ID: <a1@remote."
                 b"example>\r\nIn-Reply-To: <q1@example.net>\r\n"
                 b"References: <q0@example.net> <q1@example.net>\r\n\r\n"
                 b"fivepointfive fine thanks\r\n")
        r = h.send_message(fd.port, "pal@remote.example",
                           ["user@example.net"], reply, timeout=30)
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        got = [d for d in self.new_dumps(2) if d.rcpts == ["user@example.net"]]
        self.assertEqual(len(got), 1)
        self.assertIn(b"AM.PENPAL=-3.000", got[0].body)
        self.assertIn("pen pal bonus -3.000", fd.log_text())
        # A message that names no earlier mail gets no bonus: discarded.
        r = h.send_message(fd.port, "pal@remote.example",
                           ["user@example.net"],
                           reply.replace(b"In-Reply-To", b"X-Not-Reply")
                           .replace(b"References", b"X-Not-Refs"),
                           timeout=30)
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)


class SqlMixedPolicyTest(h.SinkWatch, h.PeerTestCase):
    """Recipients whose policies disagree, over SMTP (one reply).

    A spam lover and a strict recipient get the same spam; the bank says
    final_spam_destiny = reject. LMTP can refuse the strict one alone;
    SMTP cannot, and a 451 would make the front MTA retry for days,
    delivering a new copy to the lover each time. Like amavisd-new,
    filterd turns the reject into a bounce (its own DSN, or none when
    amavis' rules suppress it) and answers 250 once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_sink_and_db(cls, """
          INSERT INTO policy (id, policy_name, spam_lover, spam_kill_level)
            VALUES (2, 'lover', 'Y', 2000);
          INSERT INTO policy (id, policy_name, spam_tag2_level,
                              spam_kill_level)
            VALUES (3, 'strict', 4, 5);
          INSERT INTO users (id, priority, policy_id, email) VALUES
            (10, 9, 2, 'vip@example.net'),
            (11, 5, 3, '@example.net');
          COMMIT;""")
        rules = five_point_five_rules(cls.tmp)
        sql = 'sql { storage = {"%s"} lookup = {"%s"} }' % (
            cls.db.dsn(), cls.db.dsn())
        bank = {"forward": [cls.sink.addr], "notify": [cls.sink.addr],
                "final_spam_destiny": "reject"}
        cls.fd = h.Filterd(cls.tmp, "fd", spam_rules=[rules],
                           listen=[(h.free_port(), "smtp", "default"),
                                   (h.free_port(), "lmtp", "default")],
                           banks={"default": bank}, raw=sql)
        cls.start_for_class(cls.fd)

    def rows(self, mail_id):
        return q(self.db, "SELECT m.email, r.ds FROM msgrcpt r JOIN maddr m "
                 "ON m.id = r.rid AND m.partition_tag = r.partition_tag "
                 "WHERE r.mail_id = '%s' ORDER BY r.rseqnum" % mail_id)

    def log_line(self, mail_id):
        lines = [l for l in self.fd.log_lines()
                 if l.find(mail_id + ": ") >= 0 and ("Passed" in l or
                                                    "Blocked" in l)]
        self.assertEqual(len(lines), 1, lines)
        return lines[0]

    def test_reject_becomes_a_dsn_and_250(self):
        """Score 5.5 is under spam_dsn_cutoff_level (10): the sender is
        told by a DSN that says the content filter blocked it."""
        r = h.send_message(self.fd.port, "someone@example.org",
                           ["vip@example.net", "user@example.net"],
                           message(b"fivepointfive offer\r\n", "mixed"),
                           timeout=30)
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        mail_id = r.text.split("id=")[1].split(",")[0]
        dumps = self.new_dumps(2)
        copies = [d for d in dumps if d.rcpts == ["vip@example.net"]]
        dsns = [d for d in dumps if d.rcpts == ["someone@example.org"]]
        self.assertEqual((len(copies), len(dsns)), (1, 1), dumps)
        self.assertEqual(dsns[0].sender, "")
        body = dsns[0].body
        self.assertIn(b"Final-Recipient: rfc822; user@example.net", body)
        self.assertIn(b"Action: failed", body)
        self.assertIn(b"The content filter blocked it", body)
        self.assertIn(b"It was delivered to its other recipients.", body)
        self.assertNotIn(b"refused", body)
        self.assertNotIn(b"vip@example.net>:", body)
        self.assertEqual(self.rows(mail_id), [["vip@example.net", "P"],
                                              ["user@example.net", "B"]])
        line = self.log_line(mail_id)
        self.assertIn("RelayedInbound", line)
        self.assertIn("BouncedInbound", line)
        self.assertNotIn("TempFailed", line)

    def test_suppressed_bounce_is_250_without_dsn(self):
        """GTUBE scores over spam_dsn_cutoff_level: nobody is told (a
        DSN to a spammer's forged sender is backscatter); still 250."""
        r = h.send_message(self.fd.port, "someone@example.org",
                           ["vip@example.net", "user@example.net"],
                           message(GTUBE + b"\r\n", "gtube mixed"),
                           timeout=30)
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        mail_id = r.text.split("id=")[1].split(",")[0]
        dumps = self.new_dumps(1)
        time.sleep(0.5)
        dumps = self.new_dumps()
        self.assertEqual([d.rcpts for d in dumps], [["vip@example.net"]])
        self.assertEqual(self.rows(mail_id), [["vip@example.net", "P"],
                                              ["user@example.net", "B"]])
        line = self.log_line(mail_id)
        self.assertIn("NoBounceInbound", line)
        self.assertNotIn("TempFailed", line)

    def test_lmtp_refuses_the_strict_recipient_alone(self):
        with h.SmtpClient(self.fd.listen[1][0]) as c:
            c.greeting()
            c.ehlo(verb="LHLO")
            self.assertEqual(c.cmd("MAIL FROM:<someone@example.org>").code,
                             250)
            for rcpt in ("vip@example.net", "user@example.net"):
                self.assertEqual(c.cmd("RCPT TO:<%s>" % rcpt).code, 250)
            first = c.data(message(b"fivepointfive offer\r\n",
                                   "lmtp mixed"))[1]
            replies = [first] + c.replies(1)
        self.assertEqual([x.code for x in replies], [250, 554], replies)
        dumps = self.new_dumps(1)
        time.sleep(0.5)
        self.assertEqual([d.rcpts for d in self.new_dumps()],
                         [["vip@example.net"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
