"""test_attack17 - an outside review of issue 17 (filterd on Galera).

Each test is a finding: it fails on the code as merged (96a1a0f) and
says in its docstring what an operator or a broken peer meets and why
it matters. The promises attacked are issue 17's and the product
rules': "one msgs row per message and none duplicated across nodes",
"no message is lost ... every failure path ends in 4xx", and
filterd-sql's "safe from cron on every node at once" with a lease that
replaces GET_LOCK (which a dead run released with its connection).

- test_commit_reply_lost_records_twice: the COMMIT of the RECORD stage
  reaches the server and commits, but its reply is lost (the database
  node dies or the network drops just after). db_txn takes that as a
  lost connection and runs the whole transaction again on the next DSN,
  where it can only fail (1062, the message's own msgs row is there):
  the client gets a 451 although every row is written, retries, and the
  message is recorded (and quarantined) twice.
- test_dead_lease_holder_blocks_init: filterd-sql killed while holding
  the filterd_lock lease (kill -9, OOM, a reboot) leaves the row taken
  for 15 minutes; the next init or rotate on the same host waits
  silently for 120 s, then fails blaming a run that is not there.
- test_address_over_255_bytes_tempfails_forever,
  test_eight_bit_message_id_tempfails_forever: values the RECORD
  transaction's INSERTs refuse (an address over 255 bytes; a raw 8-bit
  byte in the Message-ID or the sender's domain) fail it on every try:
  a 451 that never clears (these pre-date issue 17).
- test_skewed_node_takes_a_live_lease: the lease compares times of two
  database nodes' clocks; a node whose clock runs ahead takes a live
  lease, and two runs work at once."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import galera  # noqa: E402
import harness as h  # noqa: E402
from test_checks import message  # noqa: E402
from test_sql import q, start_sink_and_db, sql_tool  # noqa: E402

# COM_QUERY "COMMIT" as mysql_commit() sends it: a 7-byte packet,
# sequence 0, command 3.
COMMIT_PACKET = b"\x07\x00\x00\x00\x03COMMIT"


class CommitEater:
    """CommitEater - a TCP proxy in front of a MariaDB server that, once
    armed, passes the next COMMIT to the server, lets the server commit
    it, and then drops the connection instead of passing the reply on:
    what the client sees when a database node dies (or the network
    breaks) right after committing."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = h.free_port()
        self.armed = threading.Event()
        self.eaten = threading.Event()
        self.lsock = None
        self.socks = []
        self.stopping = False

    def start(self):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((h.LOCALHOST, self.port))
        self.lsock.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            s = socket.create_connection((h.LOCALHOST, self.target), 5)
            self.socks += [c, s]
            mute = threading.Event()
            threading.Thread(target=self._up, args=(c, s, mute),
                             daemon=True).start()
            threading.Thread(target=self._down, args=(s, c, mute),
                             daemon=True).start()

    def _up(self, c, s, mute):
        """client to server; eats the reply to one COMMIT when armed"""
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                if self.armed.is_set() and COMMIT_PACKET in data:
                    self.armed.clear()
                    mute.set()
                    s.sendall(data)
                    time.sleep(0.5)  # the server commits and answers
                    self.eaten.set()
                    break
                s.sendall(data)
        except OSError:
            pass
        for x in (c, s):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            x.close()

    def _down(self, s, c, mute):
        try:
            while True:
                data = s.recv(65536)
                if not data or mute.is_set():
                    break
                c.sendall(data)
        except OSError:
            pass

    def stop(self):
        self.stopping = True
        if self.lsock:
            self.lsock.close()
        for x in self.socks:
            try:
                x.close()
            except OSError:
                pass


class CommitLostTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_sink_and_db(cls, "SELECT 1")
        cls.proxy = CommitEater(cls.db.port)
        cls.start_for_class(cls.proxy)
        proxied = cls.db.dsn().replace(":%d/" % cls.db.port,
                                       ":%d/" % cls.proxy.port)
        assert proxied != cls.db.dsn()
        # The proxy first, the server itself as the failover DSN (as a
        # Galera DSN list names another node of the same cluster).
        cls.fd = h.Filterd(
            cls.tmp, "fd", banks={"default": {"forward": [cls.sink.addr]}},
            raw='sql { storage = {"%s", "%s"} retry_interval = 60 }' % (
                proxied, cls.db.dsn()),
            min_servers=1, max_servers=1)
        cls.start_for_class(cls.fd)

    def test_commit_reply_lost_records_twice(self):
        """The RECORD stage's COMMIT is done on the server, its reply
        lost. db_txn cannot tell "not committed" from "committed, answer
        lost", and runs the transaction again on the next DSN: the
        message's own msgs row is there, so the run fails with 1062 and
        the client gets 451. The front MTA retries, filterd gives the
        message a new mail_id, and it is recorded twice: two msgs rows
        (with SQL quarantine, two quarantined copies a user can both
        release: the message delivered twice). Issue 17's ledger wants
        one msgs row per message; a commit whose answer is lost must be
        checked (the msgs row of this mail_id is there: done) before a
        451 or a new run. Before any fix: first reply 451 ... Duplicate
        entry, and 2 msgs rows for the one message."""
        tag = "commit-lost-%d" % os.getpid()
        mid = "<%s@example.org>" % tag
        msg = message(b"commit lost\r\n", tag)
        self.proxy.armed.set()
        first = h.send_message(self.fd.port, "lost@example.org",
                               ["rcpt@example.net"], msg)
        self.assertTrue(self.proxy.eaten.is_set(),
                        "the proxy never saw a COMMIT: %r" % first)
        replies = [first]
        # The front MTA's queue: try again until 250 (bounded).
        while replies[-1].code != 250 and len(replies) < 4:
            replies.append(h.send_message(self.fd.port, "lost@example.org",
                                          ["rcpt@example.net"], msg))
        self.assertEqual(replies[-1].code, 250, replies)
        rows = q(self.db, "SELECT mail_id FROM msgs WHERE message_id = "
                 "'%s'" % mid)
        self.assertEqual(len(rows), 1,
                         "one message, %d msgs rows %r; replies %r" % (
                             len(rows), rows, replies))


class RecordInputTest(h.PeerTestCase):
    """Bad input against the RECORD stage's SQL: a value the database
    refuses fails the transaction every time, so the 451 it gives is
    not temporary at all. (The SQL error's text itself reaches the 451
    and the log escaped: that attack failed.) These pre-date issue 17
    (they are in quar_sql_rows since SQL storage came), found while
    attacking its transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_sink_and_db(cls, "SELECT 1")
        cls.fd = h.Filterd(
            cls.tmp, "fd", banks={"default": {"forward": [cls.sink.addr]}},
            raw='sql { storage = {"%s"} }' % cls.db.dsn(),
            min_servers=1, max_servers=1)
        cls.start_for_class(cls.fd)

    def raw_send(self, sender, rcpt, msg):
        """raw_send - exact bytes in MAIL and RCPT; the reply that ended
        the transaction (MAIL's, RCPT's or the final one)."""
        with h.SmtpClient(self.fd.port, timeout=30) as c:
            c.greeting()
            c.ehlo()
            r = c.cmd(b"MAIL FROM:<" + sender + b">")
            if r.code != 250:
                return r
            r = c.cmd(b"RCPT TO:<" + rcpt + b">")
            if r.code != 250:
                return r
            r354, final = c.data(msg)
            return final if final is not None else r354

    def assert_not_forever_451(self, sender, rcpt, msg):
        # The front MTA tries again, and again: the same answer.
        replies = [self.raw_send(sender, rcpt, msg) for _ in range(2)]
        for r in replies:
            self.assertNotEqual(r.code // 100, 4,
                                "a 451 that will never clear: %r" % r)

    def test_address_over_255_bytes_tempfails_forever(self):
        """An address longer than maddr.email (varbinary(255)), as
        sender or as one recipient among others, is taken at MAIL/RCPT
        and fails the RECORD transaction ("Data too long for column
        'email'") on every try: a 451 that never clears, a full scan per
        retry for days until the front MTA bounces it, and every other
        recipient of that message is held with it. It must be refused
        for good at MAIL/RCPT (RFC 5321 4.5.3.1.3: a path is at most 256
        octets) or recorded. Before any fix: 451 4.3.0 ... cannot log to
        SQL: Data too long for column 'email' at row 1."""
        self.assert_not_forever_451(b"a" * 250 + b"@example.org",
                                    b"rcpt@example.net",
                                    message(b"long\r\n", "long-sender"))
        self.assert_not_forever_451(b"s@example.org",
                                    b"r" * 260 + b"@example.net",
                                    message(b"long\r\n", "long-rcpt"))

    def test_eight_bit_message_id_tempfails_forever(self):
        """One raw Latin-1 byte in the Message-ID (broken mailers and
        much spam send them) or in the sender's domain (MAIL FROM
        without SMTPUTF8, which filterd takes) is not UTF-8: the msgs
        or maddr INSERT fails with "Incorrect string value" on every
        try, so the message tempfails forever (the log says "MIME:
        malformed", yet a malformed message is meant to be checked, not
        held). The value must be stored escaped or cut, not make the
        message undeliverable. Before any fix: 451 4.3.0 ... cannot log
        to SQL: Incorrect string value: '\\xE9-%n%s...' for column
        `filterd`.`msgs`.`message_id`."""
        self.assert_not_forever_451(
            b"s@example.org", b"rcpt@example.net",
            b"From: a@example.org\r\nSubject: x\r\n"
            b"Message-ID: <caf\xe9-%n%s@example.org>\r\n\r\nbody\r\n")
        self.assert_not_forever_451(b"s@ex\xe9mple.org",
                                    b"rcpt@example.net",
                                    message(b"x\r\n", "eight-bit-domain"))

    def test_path_limit_and_what_is_stored(self):
        """The decisions behind the two tests above, seen from outside:
        an address of 254 octets (a path of 256, RFC 5321 4.5.3.1.3) is
        taken and recorded; one of 255 is refused at RCPT for good
        (501 5.1.3) while the other recipient of the message gets it;
        a raw 8-bit byte in the Message-ID or the sender's domain is
        stored written \\xNN (sql/README "Text columns")."""
        longest = b"r" * (254 - len(b"@example.net")) + b"@example.net"
        self.assertEqual(len(longest), 254)
        tag = "path-limit-%d" % os.getpid()
        with h.SmtpClient(self.fd.port, timeout=30) as c:
            c.greeting()
            c.ehlo()
            self.assertEqual(c.cmd(b"MAIL FROM:<s@ex\xe9mple.org>").code,
                             250)
            self.assertEqual(c.cmd(b"RCPT TO:<" + longest + b">").code, 250)
            r = c.cmd(b"RCPT TO:<r" + longest + b">")
            self.assertEqual((r.code, r.text[:5]), (501, "5.1.3"), r)
            r354, final = c.data(
                b"From: a@example.org\r\nSubject: caf\xe9\r\n"
                b"Message-ID: <%s\xe9@example.org>\r\n\r\nbody\r\n"
                % tag.encode())
            self.assertEqual(final.code, 250, final)
        rows = q(self.db, "SELECT m.message_id, s.domain, "
                 "(SELECT COUNT(*) FROM msgrcpt WHERE mail_id = m.mail_id) "
                 "FROM msgs m JOIN maddr s ON s.id = m.sid AND "
                 "s.partition_tag = m.partition_tag WHERE m.message_id "
                 "LIKE '<%s%%'" % tag)
        self.assertEqual(rows, [["<%s\\xe9@example.org>" % tag,
                                 "org.ex\\xe9mple", "1"]], rows)


class DeadLeaseTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = h.MariaDB(cls.tmp, "db")
        cls.start_for_class(cls.db)
        p = h.run([sql_tool(), "-d", cls.db.dsn(), "init"], timeout=60)
        assert p.returncode == 0, p.stderr

    def dead_pid(self):
        """dead_pid - the pid of a process that has exited (and been
        reaped): what a killed filterd-sql leaves in the holder."""
        p = subprocess.Popen(["true"])
        p.wait()
        self.assertFalse(h.pid_alive(p.pid))
        return p.pid

    def test_dead_lease_holder_blocks_init(self):
        """filterd-sql init/rotate killed while holding the lease (kill
        -9, the OOM killer, a reboot) leaves filterd_lock taken for 15
        minutes. With GET_LOCK (before issue 17) the lock went with the
        dead run's connection. Now the next run on the same host, whose
        holder names this host and a pid that is not running, waits
        silently and, after 120 s, exits 1 saying "another filterd-sql
        has been working on this database for 120 s": untrue, and it
        names neither the holder nor when its lease ends. An admin's
        `filterd-sql init` during an upgrade hangs two minutes and
        fails for a quarter of an hour. A holder of this host whose pid
        is gone is provably dead: its lease can be taken at once (or,
        at the least, the wait names it and its expiry at once). Before
        any fix: still waiting, nothing on stderr, after 10 s."""
        holder = "%s:%d:deadbeef" % (socket.gethostname(), self.dead_pid())
        q(self.db, "UPDATE filterd_lock SET holder = %s, expires = "
          "UNIX_TIMESTAMP() + 900 WHERE name = 'filterd-sql'"
          % h.sql_quote(holder))
        p = subprocess.Popen([sql_tool(), "-d", self.db.dsn(), "init"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=10)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate(timeout=10)
            rc = None
        err = err.decode(errors="replace")
        said = holder in err
        self.assertTrue(rc == 0 or said,
                        "init with a dead holder %s: exit %r after 10 s, "
                        "stderr %r" % (holder, rc, err))


# A clock that runs SKEW seconds ahead, for one mariadbd: CLOCK_REALTIME,
# gettimeofday() and time() (UNIX_TIMESTAMP() reads the first).
SKEW_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
static long skew(void)
{
	const char *s = getenv("ATTACK17_SKEW");
	return s ? atol(s) : 0;
}
int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int r;
	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(
			RTLD_NEXT, "clock_gettime");
	r = real(id, ts);
	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += skew();
	return r;
}
int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;
	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}
time_t time(time_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
"""
SKEW = 1000  # seconds: more than the 900 s lease


def skew_shim(tmp):
    """skew_shim - the shim built with cc; its path, or None."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    src = os.path.join(tmp.path, "skew.c")
    so = os.path.join(tmp.path, "skew.so")
    with open(src, "w") as f:
        f.write(SKEW_SHIM)
    p = h.run([cc, "-shared", "-fPIC", "-O", "-o", so, src, "-ldl"],
              timeout=60)
    if p.returncode != 0:
        return None
    os.chmod(so, 0o755)
    return so


@unittest.skipIf(galera.available(), galera.available())
class SkewedLeaseTest(h.PeerTestCase):
    """A three-node Galera cluster whose node 2 has a clock SKEW seconds
    ahead (an NTP daemon that died, a VM restored from a snapshot)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shim = skew_shim(cls.tmp)
        if cls.shim is None:
            cls.tearDownClass()
            raise unittest.SkipTest("no C compiler for the clock shim")
        cls.cluster = galera.GaleraCluster(cls.tmp)
        n2 = cls.cluster.node(2)
        launch = n2.launch

        def skewed(*extra):
            env = dict(os.environ)
            os.environ.update(LD_PRELOAD=cls.shim, ATTACK17_SKEW=str(SKEW))
            try:
                launch(*extra)
            finally:
                os.environ.clear()
                os.environ.update(env)
        n2.launch = skewed
        cls.start_for_class(cls.cluster)
        p = h.run([sql_tool(), "-d", cls.cluster.node(1).dsn(), "init"],
                  timeout=60)
        assert p.returncode == 0, p.stderr

    def now(self, n):
        return int(self.cluster.node(n).sql("SELECT UNIX_TIMESTAMP()")[0][0])

    def test_skewed_node_takes_a_live_lease(self):
        """The lease compares filterd_lock.expires, written with the
        clock of the holder's database node, with UNIX_TIMESTAMP() of
        the waiter's node. A run on another host holds the lease, just
        renewed through node 1; cron starts init through node 2, whose
        clock runs 1000 s ahead: the lease looks expired there and the
        second run takes it at once, so two runs work together, what
        the lease replaced GET_LOCK to prevent (sql/README asks for NTP
        only for the partitions, not for the lock). A waiter can judge a
        lease on its own clock: it has expired when the row has not
        changed (holder, expires) for the lease's length as the waiter
        counts it. Before any fix: init through node 2 exits 0 at once,
        the live holder's row taken and released."""
        skew = self.now(2) - self.now(1)
        self.assertGreater(skew, SKEW - 60, "the clock shim did not work")
        live = "otherhost:4242:cafe0001"
        self.cluster.node(1).sql(
            "UPDATE filterd_lock SET holder = %s, expires = "
            "UNIX_TIMESTAMP() + 900 WHERE name = 'filterd-sql'"
            % h.sql_quote(live), database="filterd")
        p = subprocess.Popen([sql_tool(), "-d", self.cluster.node(2).dsn(),
                              "init"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=8)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate(timeout=10)
            rc = None  # still waiting for the live holder: right
        row = self.cluster.node(1).sql(
            "SELECT holder FROM filterd_lock", database="filterd")
        self.assertEqual(row, [[live]],
                         "init through the node whose clock is %d s ahead: "
                         "exit %r, stdout %r, stderr %r; the live lease "
                         "of %s is gone" % (skew, rc, out.decode(),
                                            err.decode(), live))
        # The waiter says who holds it (and until when) while it waits.
        self.assertIn(live, err.decode())


if __name__ == "__main__":
    unittest.main()
