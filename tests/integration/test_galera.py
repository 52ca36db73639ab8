"""test_galera - two filterd nodes on a three-node MariaDB Galera cluster.

The class starts a Galera cluster on loopback (galera.py; about 12 s),
loads the schema with filterd-sql init, and two filterd nodes, each with
its own listener, run_dir and scoreboard, and the same storage DSN list
in a different order (node A prefers database node 1, node B node 2).

- test_same_new_sender_on_both_nodes: pairs of messages from a sender
  new to the database, sent to both filterd nodes at the same instant:
  both insert the same maddr row, so one transaction loses Galera's
  certification (error 1213 at COMMIT, or on its next statement). The
  loser must run its transaction again, not answer 451.
- test_init_and_rotate_at_once_on_two_nodes: filterd-sql init, then
  rotate, started at the same instant against two different database
  nodes (as cron on two filterd nodes does): GET_LOCK is node-local under
  Galera, so the serialisation must be one Galera replicates. One run
  does the work, the other finds nothing to do; every database node ends
  with the same partitions.
- test_pen_pal_reply_on_the_other_node: our user writes through node A
  (recorded on database node 1); the reply comes through node B, whose
  database node 2 has not applied that write yet (its applier is held
  by FLUSH TABLES WITH READ LOCK for two seconds). The pen pals read
  must wait for it (wsrep_sync_wait), not miss it: the reply, spam
  without the bonus, passes with it.
- test_release_through_the_other_node: spam quarantined in SQL by node
  A (database node 1) is released at once through node B's AM.PDP
  socket (database node 2): the release reads causally, finds the copy,
  delivers it once and marks msgrcpt.rs = 'R', which every database
  node then shows.
- test_every_table_has_a_primary_key: Galera replicates row changes by
  primary key; a table without one is not safe on it."""

import os
import select
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import galera  # noqa: E402
import harness as h  # noqa: E402
from test_checks import message  # noqa: E402
from test_release import Pdp  # noqa: E402
import test_sql_tool  # noqa: E402

PAIRS = 20


def sql_tool():
    return os.path.join(os.path.dirname(h.filterd_bin()), "filterd-sql")


def mail_id(reply):
    return reply.text.split("id=")[1].split(",")[0]


@unittest.skipIf(galera.available(), galera.available())
class GaleraTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink = h.Sink(cls.tmp, "sink")
        cls.cluster = galera.GaleraCluster(cls.tmp)
        cls.start_for_class(cls.sink, cls.cluster)
        p = h.run([sql_tool(), "-d", cls.cluster.node(1).dsn(), "init"],
                  timeout=60)
        assert p.returncode == 0, p.stderr
        dsn = [m.dsn() for m in cls.cluster.nodes]
        cls.fd = [cls.filterd("fdA", [dsn[0], dsn[1], dsn[2]]),
                  cls.filterd("fdB", [dsn[1], dsn[2], dsn[0]])]
        cls.start_for_class(*cls.fd)
        cls.db = cls.cluster.node(1)  # for test_sql_tool's helpers

    # A message as the daemon writes it, a year of them, the weeks left.
    add_message = test_sql_tool.SqlToolTest.add_message
    fill_year = test_sql_tool.SqlToolTest.fill_year
    weeks = test_sql_tool.SqlToolTest.weeks
    assert_only = test_sql_tool.SqlToolTest.assert_only

    @classmethod
    def filterd(cls, name, dsns):
        raw = "sql { storage = {%s} retry_interval = 2 }\n" % ", ".join(
            '"%s"' % d for d in dsns)
        rules = os.path.join(cls.tmp.path, "rules.cf")
        with open(rules, "w") as f:
            f.write("body FIVEPOINTFIVE /fivepointfive/i\n"
                    "score FIVEPOINTFIVE 5.5\n")
        return h.Filterd(cls.tmp, name, spam_rules=[rules],
                         pdp_socket=os.path.join(cls.tmp.path,
                                                 name + ".pdp"),
                         banks={"default": {
                             "forward": [cls.sink.addr],
                             "spam_kill_level": 5.0,
                             "final_spam_destiny": "discard",
                             "spam_quarantine": "sql",
                             "penpals_bonus_score": 3.0}},
                         raw=raw, min_servers=2, max_servers=4)

    def q(self, query, n=1):
        return self.cluster.node(n).sql(query, database="filterd")

    def send_both(self, sender, tag):
        """send_both - one message to each filterd node, at once; the two
        final replies (or the exceptions)."""
        out = [None, None]
        go = threading.Barrier(2)

        def one(i):
            go.wait(10)
            try:
                out[i] = h.send_message(
                    self.fd[i].port, sender, ["rcpt@example.net"],
                    message(b"pair body\r\n", "%s-%d" % (tag, i)),
                    timeout=60)
            except Exception as e:  # noqa: BLE001 - reported below
                out[i] = e
        ts = [threading.Thread(target=one, args=(i,)) for i in (0, 1)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(90)
        return out

    def replicated(self):
        """replicated - (write sets, bytes) the three nodes replicated."""
        n = b = 0
        for m in self.cluster.nodes:
            v = dict(m.sql("SHOW GLOBAL STATUS WHERE Variable_name IN "
                           "('wsrep_replicated', 'wsrep_replicated_bytes')"))
            n += int(v["wsrep_replicated"])
            b += int(v["wsrep_replicated_bytes"])
        return n, b

    def test_same_new_sender_on_both_nodes(self):
        replies = []
        ws0 = self.replicated()
        for k in range(PAIRS):
            replies += self.send_both("new%d-%d@pairs.example.org"
                                      % (k, os.getpid()), "pair%d" % k)
        bad = [r for r in replies
               if not isinstance(r, h.Reply) or r.code != 250]
        self.assertEqual(bad, [], "%d of %d not 250" % (len(bad),
                                                         len(replies)))
        ids = [mail_id(r) for r in replies]
        rows = self.q("SELECT mail_id FROM msgs WHERE mail_id IN (%s)"
                       % ",".join("'%s'" % i for i in ids), n=3)
        self.assertEqual(sorted(r[0] for r in rows), sorted(ids))
        # One maddr row per sender, though both nodes inserted it.
        dup = self.q("SELECT email, COUNT(*) FROM maddr WHERE email LIKE "
                      "'%%@pairs.example.org' GROUP BY partition_tag, email "
                      "HAVING COUNT(*) > 1")
        self.assertEqual(dup, [])
        logs = self.fd[0].log_text() + self.fd[1].log_text()
        retried = logs.count("retrying the transaction")
        self.assertGreater(retried, 0)  # the conflicts did happen
        ws = [a - b for a, b in zip(self.replicated(), ws0)]
        sys.stderr.write("[%d conflicts retried for %d messages; %d write "
                         "sets, %d bytes replicated: %d per message] "
                         % (retried, len(replies), ws[0], ws[1],
                            ws[1] // len(replies)))

    def at_once(self, argvs):
        """at_once - start the commands together; [(rc, out, err)]"""
        procs = [subprocess.Popen(a, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for a in argvs]
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=180)
            outs.append((p.returncode, out.decode(), err.decode()))
        return outs

    def test_init_and_rotate_at_once_on_two_nodes(self):
        self.db.sql("CREATE DATABASE rot; GRANT ALL ON rot.* TO "
                    "'filterd'@'127.0.0.1'")
        dsn = [m.dsn().rsplit("/", 1)[0] + "/rot" for m in
               self.cluster.nodes]
        runs = self.at_once([[sql_tool(), "-d", dsn[0], "init"],
                             [sql_tool(), "-d", dsn[1], "init"]])
        self.assertEqual([r[0] for r in runs], [0, 0], runs)
        self.assertEqual(sum("applied 0001" in r[1] for r in runs), 1, runs)
        self.fill_year("rot", test_sql_tool.utc(2026, 11, 23))
        rotate = ["rotate", "--now", "2026-11-23", "--keep", "4",
                  "--ahead", "2"]
        runs = self.at_once([[sql_tool(), "-d", dsn[1]] + rotate,
                             [sql_tool(), "-d", dsn[2]] + rotate])
        self.assertEqual([r[0] for r in runs], [0, 0], runs)
        self.assertEqual(sum("emptied 196 partitions" in r[1]
                             for r in runs), 1, runs)
        self.assertEqual(sum("nothing to do" in r[1] for r in runs), 1, runs)
        for m in self.cluster.nodes:
            self.db = m
            self.assert_only("rot", {45, 46, 47, 48})


    def test_pen_pal_reply_on_the_other_node(self):
        first = (b"From: user@example.net\r\nTo: pal@remote.example\r\n"
                 b"Subject: question\r\nMessage-ID: <gq1@example.net>\r\n"
                 b"\r\nHow are you?\r\n")
        reply = (b"From: pal@remote.example\r\nTo: user@example.net\r\n"
                 b"Subject: Re: question\r\nMessage-ID: <ga1@remote."
                 b"example>\r\nIn-Reply-To: <gq1@example.net>\r\n\r\n"
                 b"fivepointfive fine thanks\r\n")
        # Database node 2 stops applying what the others commit.
        hold = subprocess.Popen(
            [h.MARIADB, "--no-defaults", "-uroot", "-N", "-B",
             "--unbuffered", "--socket=" + self.cluster.node(2).socket],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.addCleanup(hold.stdout.close)
        self.addCleanup(lambda: hold.poll() is None and hold.kill())
        hold.stdin.write(b"FLUSH TABLES WITH READ LOCK; SELECT 'held';\n")
        hold.stdin.flush()
        ready, _, _ = select.select([hold.stdout], [], [], 20)
        self.assertTrue(ready, "FLUSH TABLES WITH READ LOCK: no answer")
        self.assertEqual(hold.stdout.readline().strip(), b"held")
        r = h.send_message(self.fd[0].port, "user@example.net",
                           ["pal@remote.example"], first, timeout=30)
        self.assertEqual(r.code, 250, r)
        # Node 2 lets go two seconds after the reply comes in.
        timer = threading.Timer(2.0, lambda: (
            hold.stdin.write(b"UNLOCK TABLES;\n"), hold.stdin.close()))
        timer.start()
        self.addCleanup(timer.cancel)
        r = h.send_message(self.fd[1].port, "pal@remote.example",
                           ["user@example.net"], reply, timeout=60)
        timer.join(10)
        hold.wait(10)
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        self.assertIn("pen pal bonus -3.000", self.fd[1].log_text())


    def test_release_through_the_other_node(self):
        spam = (b"From: someone@remote.example\r\nTo: user@example.net\r\n"
                b"Subject: offer\r\nMessage-ID: <grel@remote.example>\r\n"
                b"\r\nfivepointfive offer\r\n")
        before = self.sink.count()
        r = h.send_message(self.fd[0].port, "someone@remote.example",
                           ["user@example.net"], spam, timeout=30)
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        mid = mail_id(r).split(" ")[0]
        rows = self.q("SELECT secret_id FROM msgs WHERE mail_id = '%s'"
                      % mid)
        self.assertEqual(len(rows), 1, (r, mid, rows))
        secret = rows[0][0]
        pdp = Pdp(self.fd[1].params["pdp_socket"])
        self.addCleanup(pdp.close)
        resp = pdp.ask([("request", "release"), ("mail_id", mid),
                        ("secret_id", secret),
                        ("requested_by", "<admin@example.net>")])
        replies = [v for k, v in resp if k == "setreply"]
        self.assertEqual(len(replies), 1, resp)
        self.assertTrue(replies[0].startswith("250 "), resp)
        self.assertEqual(self.sink.wait_count(before + 1, 15), before + 1)
        self.assertIn(b"fivepointfive offer", self.sink.dumps()[-1].raw)
        for n in (1, 2, 3):
            self.assertTrue(h.wait_until(lambda: self.q(
                "SELECT rs FROM msgrcpt WHERE mail_id = '%s'" % mid, n)
                == [["R"]], 10), n)

    def test_every_table_has_a_primary_key(self):
        tables = self.q("SELECT TABLE_NAME FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = 'filterd'")
        self.assertGreaterEqual(len(tables), 10, tables)
        without = self.q(
            "SELECT t.TABLE_NAME FROM information_schema.TABLES t WHERE "
            "t.TABLE_SCHEMA = 'filterd' AND NOT EXISTS (SELECT 1 FROM "
            "information_schema.TABLE_CONSTRAINTS c WHERE c.TABLE_SCHEMA = "
            "t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND "
            "c.CONSTRAINT_TYPE = 'PRIMARY KEY')")
        self.assertEqual(without, [])


if __name__ == "__main__":
    unittest.main()
