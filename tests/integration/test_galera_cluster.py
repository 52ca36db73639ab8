"""test_galera_cluster - database and filterd node failures proven harmless.

Three Galera nodes (galera.py), two filterd nodes with virus and spam
checks, SQL storage and lookups on, each with the three DSNs in another
order (A: 1 2 3, B: 2 3 1), and a sink. A retrying sender, like an MTA
queue, spreads messages over both filterd nodes (one sending thread per
node, one shared queue) and keeps every message that got no 250; every
eighth message carries EICAR and is quarantined in SQL. Two messages in
a row share a sender new to the database, so the nodes' maddr inserts
conflict. During the run:

- at 20 % of the messages, database node 1 (node A's first) is SIGKILLed;
- at 40 %, filterd node A is SIGKILLed, master and children at once;
- at 55 %, node A is started again;
- at 60 %, database node 1 rejoins at its recovered position (IST).

The ledger at the end: every message got its 250 or is still held by the
sender; each clean message with a 250 is at the sink, exactly once unless
an attempt of it was cut by the kill (then the front MTA's retry may
deliver it again: at least once); no message is at the sink that was not
sent; one msgs row per message (more only for messages with a failed
attempt); every quarantined message reads back whole from every database
node; the three database nodes hold the same rows; the nodes' counters
add up to the 250s the sender got.

Short by default (80 messages); `python3 test_galera_cluster.py --long`
sends 600. GALERA_MESSAGES=N sets the number. The figures (messages per
second, rows and bytes per message) are printed to standard error."""

import collections
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import galera  # noqa: E402
import harness as h  # noqa: E402
from test_checks import (EICAR, attachment, message, multipart,  # noqa: E402
                         signature_db)

LONG = "--long" in sys.argv
if LONG:
    sys.argv.remove("--long")
MESSAGES = int(os.environ.get("GALERA_MESSAGES", "0")) or (
    600 if LONG else 80)
DEADLINE = 240 if LONG else 75  # seconds for the whole run, bounded


def sql_tool():
    return os.path.join(os.path.dirname(h.filterd_bin()), "filterd-sql")


class Ledger:
    """Ledger - the sender's queue and what each message got.

    attempts[key]: outcomes, each "250", "4xx", "refused" (nothing was
    sent) or "cut" (the connection broke after it was made)."""

    def __init__(self, keys):
        self.lock = threading.Lock()
        self.queue = collections.deque(keys)
        self.attempts = {k: [] for k in keys}
        self.done = {}  # key -> final 250 reply
        self.stop = threading.Event()

    def take(self):
        with self.lock:
            return self.queue.popleft() if self.queue else None

    def settle(self, key, outcome, reply=None):
        with self.lock:
            self.attempts[key].append(outcome)
            if outcome == "250":
                self.done[key] = reply
            else:
                self.queue.append(key)

    def progress(self):
        with self.lock:
            return len(self.done)


@unittest.skipIf(galera.available(), galera.available())
class GaleraClusterTest(h.PeerTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.sink = self.start(h.Sink(self.tmp, "sink"))
        self.cluster = self.start(galera.GaleraCluster(self.tmp))
        p = h.run([sql_tool(), "-d", self.cluster.node(1).dsn(), "init"],
                  timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        clamdb = self.tmp.sub("clamdb")
        signature_db(clamdb)
        rules = os.path.join(self.tmp.path, "rules.cf")
        with open(rules, "w") as f:
            f.write("body FIVEPOINTFIVE /fivepointfive/i\n"
                    "score FIVEPOINTFIVE 5.5\n")
        dsn = [m.dsn() for m in self.cluster.nodes]
        self.fd = [self.filterd("fdA", [dsn[0], dsn[1], dsn[2]], clamdb,
                                rules),
                   self.filterd("fdB", [dsn[1], dsn[2], dsn[0]], clamdb,
                                rules)]
        for fd in self.fd:
            self.start(fd)

    def filterd(self, name, dsns, clamdb, rules):
        lst = ", ".join('"%s"' % d for d in dsns)
        raw = ('clamav { database = "%s" }\n'
               "sql { storage = {%s} lookup = {%s} retry_interval = 3 }\n"
               % (clamdb, lst, lst))
        return h.Filterd(self.tmp, name, raw=raw, clamav_off=False,
                         spam_rules=[rules], min_servers=2, max_servers=4,
                         banks={"default": {"forward": [self.sink.addr],
                                            "virus_quarantine": "sql"}})

    @staticmethod
    def is_virus(i):
        return i % 8 == 7

    def text(self, i):
        key = "gm%04d" % i
        body = b"ledger message " + key.encode() + b"\r\n"
        if self.is_virus(i):
            return key, message(multipart([
                (b"Content-Type: text/plain\r\n", body),
                attachment("eicar.com", EICAR)]), key)
        return key, message(body, key)

    def sender(self, ledger, msgs, fd):
        """sender - one MTA delivery agent: next message from the queue to
        this filterd node; what got no 250 goes back to the queue."""
        while not ledger.stop.is_set():
            key = ledger.take()
            if key is None:
                if not ledger.queue and len(ledger.done) == len(msgs):
                    return
                time.sleep(0.05)
                continue
            # Two messages in a row share a sender new to the database.
            sender = "pair%d@new.example.org" % (int(key[2:]) // 2)
            try:
                r = h.send_message(fd.port, sender, ["rcpt@example.net"],
                                   msgs[key], timeout=40)
                ledger.settle(key, "250" if r.code == 250 else "4xx", r)
                if r.code != 250:
                    time.sleep(0.1)
            except ConnectionRefusedError:
                ledger.settle(key, "refused")
                time.sleep(0.2)
            except (OSError, h.SmtpError):
                ledger.settle(key, "cut")
                time.sleep(0.2)

    def counters(self, fd):
        """counters - the node's counters (filterd-nanny --json)."""
        import json
        nanny = os.path.join(os.path.dirname(h.filterd_bin()),
                             "filterd-nanny")
        p = h.run([nanny, "-c", fd.conf_path, "--json"], timeout=30)
        return json.loads(p.stdout.decode().splitlines()[0])["counters"]

    def kill_filterd(self, fd):
        """kill_filterd - SIGKILL master and children at once (a crash)."""
        kids = fd.children()
        for pid in [fd.proc.pid] + kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        fd.proc.wait(10)
        for pid in kids:
            h.wait_until(lambda: not h.pid_alive(pid), 5, 0.05)

    def q(self, n, query):
        return self.cluster.node(n).sql(query, database="filterd")

    def test_failures_lose_nothing(self):
        msgs = dict(self.text(i) for i in range(MESSAGES))
        ledger = Ledger(sorted(msgs))
        t0 = time.monotonic()
        threads = [threading.Thread(target=self.sender,
                                    args=(ledger, msgs, fd))
                   for fd in self.fd]
        for t in threads:
            t.start()
        self.addCleanup(ledger.stop.set)
        events = [(0.20, "kill db1"), (0.40, "kill A"), (0.55, "start A"),
                  (0.60, "rejoin db1")]
        log, before_kill, rejoin, last = [], None, None, 0.0
        while time.monotonic() - t0 < DEADLINE:
            done = ledger.progress()
            # At least 1.5 s between events, so each has traffic to hit.
            if (events and done >= events[0][0] * MESSAGES and
                    time.monotonic() - last >= 1.5):
                last = time.monotonic()
                what = events.pop(0)[1]
                log.append("%.1fs %d done: %s" % (time.monotonic() - t0,
                                                  done, what))
                if what == "kill db1":
                    self.cluster.kill(1)
                elif what == "kill A":
                    self.kill_filterd(self.fd[0])
                    # The scoreboard file outlives the processes: what
                    # they counted up to the kill.
                    before_kill = self.counters(self.fd[0])
                elif what == "start A":
                    self.fd[0].start()
                elif what == "rejoin db1":
                    rejoin = {}
                    threading.Thread(target=lambda: rejoin.update(
                        how=self.cluster.rejoin(1))).start()
            if done == MESSAGES and not events:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - t0
        ledger.stop.set()
        for t in threads:
            t.join(60)
        self.assertTrue(h.wait_until(lambda: rejoin and "how" in rejoin,
                                     120, 0.2), "database node 1 rejoined")
        self.cluster.wait_size(3)
        log.append("db1 rejoined: %s" % rejoin["how"])
        self.assertEqual(events, [], log)

        held = set(ledger.queue)
        done = ledger.done
        cut = {k for k, a in ledger.attempts.items() if "cut" in a}
        failed = {k for k, a in ledger.attempts.items()
                  if set(a) - {"250", "refused"}}
        # Every message: a 250, or still held by the sender.
        self.assertEqual(set(done) | held, set(msgs))
        self.assertEqual(held, set(), "held after %.0f s: %s" % (
            elapsed, sorted(held)))
        # The sink: each clean message with its 250, exactly once unless an
        # attempt was cut; a virus never; nothing unknown.
        copies = collections.Counter()
        for d in self.sink.dumps():
            for k in msgs:
                if b"Message-ID: <" + k.encode() + b"@" in d.body:
                    copies[k] += 1
                    break
            else:
                self.fail("unknown message at the sink: %r" % d)
        for i in range(MESSAGES):
            k = "gm%04d" % i
            if self.is_virus(i):
                self.assertEqual(copies[k], 0, k)
                self.assertIn("discarded", done[k].text, k)
            elif k in cut:
                self.assertGreaterEqual(copies[k], 1, k)
            else:
                self.assertEqual(copies[k], 1, (k, ledger.attempts[k]))
        # One msgs row per message; more only after a failed attempt.
        rows = collections.Counter(
            r[0] for r in self.q(3, "SELECT message_id FROM msgs"))
        for k in msgs:
            n = rows["<%s@example.org>" % k]
            if k in failed:
                self.assertGreaterEqual(n, 1, (k, ledger.attempts[k]))
            else:
                self.assertEqual(n, 1, (k, ledger.attempts[k]))
        # Every database node holds the same rows.
        sums = [self.q(n, "SELECT COUNT(*), SUM(CRC32(mail_id)) FROM msgs; ")
                for n in (1, 2, 3)]
        self.assertEqual(sums[0], sums[1])
        self.assertEqual(sums[0], sums[2])
        # Every quarantined message reads back from every database node.
        for i in range(7, MESSAGES, 8):
            k = "gm%04d" % i
            mail_id = done[k].text.split("id=")[1].split(" ")[0]
            for n in (1, 2, 3):
                text = "".join(r[0] for r in self.q(
                    n, "SELECT mail_text FROM quarantine WHERE mail_id = "
                    "'%s' ORDER BY chunk_ind" % mail_id))
                self.assertIn("Message-ID: <%s@example.org>" % k, text)
                self.assertIn("X-Quarantine-ID: <%s>" % mail_id, text)
        # The counters add up to the 250s (a node killed before its reply
        # may have counted a message whose 250 never came: the cut ones).
        after = [self.counters(fd) for fd in self.fd]
        ok_actions = ("passed", "discarded")

        def n250(c):
            return sum(c["msgs_action"][a] for a in ok_actions)
        counted = n250(after[0]) + n250(after[1]) + (
            n250(before_kill) if after[0]["msgs_in"] < before_kill["msgs_in"]
            or n250(after[0]) < n250(before_kill) else 0)
        self.assertGreaterEqual(counted, len(done) - len(cut), log)
        self.assertLessEqual(counted, len(done) + len(cut), log)

        size = self.q(1, "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM "
                      "information_schema.TABLES WHERE TABLE_SCHEMA = "
                      "'filterd'")[0][0]
        nrows = {t: int(self.q(1, "SELECT COUNT(*) FROM %s" % t)[0][0])
                 for t in ("msgs", "msgrcpt", "maddr", "quarantine")}
        qbytes = self.q(1, "SELECT SUM(LENGTH(mail_text)) FROM quarantine")
        mbytes = self.q(1, "SELECT SUM(LENGTH(CONCAT_WS('', mail_id, "
                        "secret_id, am_id, time_iso, policy, client_addr, "
                        "message_id, from_addr, subject, host, quar_loc))) "
                        "FROM msgs")
        sys.stderr.write(
            "\n[galera ledger: %d messages in %.1f s (%.1f/s) over 2 "
            "filterd nodes; attempts %d (refused %d, 4xx %d, cut %d); "
            "conflicts retried %d; rows %s; msgs text bytes %s, quarantine bytes %s; InnoDB "
            "bytes %s; events: %s]\n" % (
                MESSAGES, elapsed, MESSAGES / elapsed,
                sum(len(a) for a in ledger.attempts.values()),
                sum(a.count("refused") for a in ledger.attempts.values()),
                sum(a.count("4xx") for a in ledger.attempts.values()),
                sum(a.count("cut") for a in ledger.attempts.values()),
                sum(fd.log_text().count("retrying the transaction")
                    for fd in self.fd),
                nrows, mbytes[0][0], qbytes[0][0], size, "; ".join(log)))


if __name__ == "__main__":
    unittest.main()
