"""test_sql_tool - filterd-sql against a private MariaDB server.

init creates the amavisd-new compatible schema with 53 week partitions per
storage table, is idempotent and safe from several processes at once, and
builds the same tables as sql/mysql/schema.sql run by hand.  rotate, at a
simulated current week (--now), empties the weeks outside the retention
window and keeps the others, across the year boundary too; it deletes what
a previous year left in a kept week, re-adds missing partitions, does
nothing the second time, is safe from several processes at once and works
with the grants sql/README.md gives.  status lists the partitions with
their rows.  A bad DSN, an unreachable server or a database without the
schema give a clear error and exit status 1."""

import datetime
import os
import re
import subprocess
import sys
import unittest
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

STORAGE = ("maddr", "msgs", "msgrcpt", "quarantine")
LOOKUP = ("users", "policy", "mailaddr", "wblist")
# Not partitioned, not amavisd-new's: the schema's version and the lock
# init and rotate take turns with.
OWN = ("filterd_schema_version", "filterd_lock")
VERSION = len([f for f in os.listdir(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "sql", "mysql",
    "migrations")) if f.endswith(".sql")])
PASSWORD = "S3cr3t:p@ss/w%rd"


def sql_bin():
    """sql_bin - filterd-sql, next to the filterd under test."""
    path = os.path.join(os.path.dirname(h.filterd_bin()), "filterd-sql")
    if not os.access(path, os.X_OK):
        raise RuntimeError("filterd-sql not found next to filterd: %s" % path)
    return path


def utc(y, m, d, hh=12):
    return int(datetime.datetime(y, m, d, hh, tzinfo=datetime.timezone.utc)
               .timestamp())


def iso_week(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).isocalendar()[1]


class SqlToolUsageTest(unittest.TestCase):
    """A usage error names what is wrong before the usage (exit 2); no
    database is reached."""

    def test_rotate_without_keep_names_it(self):
        p = h.run([sql_bin(), "-d", "mysql://u:p@127.0.0.1:1/db", "rotate",
                   "--ahead", "2"])
        self.assertEqual(p.returncode, 2, p.stderr)
        err = p.stderr.decode()
        self.assertEqual(err.splitlines()[0],
                         "filterd-sql: rotate needs --keep N", err)
        self.assertIn("usage:", err)


class SqlToolTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bin = sql_bin()
        cls.db = h.MariaDB(cls.tmp, password=PASSWORD)
        cls.start_for_class(cls.db)
        cls.n = 0

    # -- helpers ----------------------------------------------------------

    def fresh(self):
        """fresh - a new, empty database for one test; its DSN."""
        SqlToolTest.n += 1
        name = "t%d" % SqlToolTest.n
        self.db.create_database(name)
        return name, self.db.dsn(name)

    def tool(self, *args, dsn=None, timeout=120):
        argv = [self.bin] + (["-d", dsn] if dsn else []) + list(args)
        p = h.run(argv, timeout=timeout)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def ok(self, *args, dsn=None):
        rc, out, err = self.tool(*args, dsn=dsn)
        self.assertEqual(rc, 0, "%s\n%s" % (out, err))
        self.assertNotIn(PASSWORD, out + err)
        return out

    def partitions(self, name, table):
        return self.db.sql(
            "SELECT PARTITION_NAME, PARTITION_METHOD, PARTITION_EXPRESSION, "
            "PARTITION_DESCRIPTION FROM information_schema.PARTITIONS WHERE "
            "TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s' "
            "ORDER BY PARTITION_ORDINAL_POSITION" % (name, table))

    def assert_layout(self, name):
        tables = {r[0] for r in self.db.sql("SHOW TABLES", name)}
        self.assertEqual(tables, set(STORAGE) | set(LOOKUP) | set(OWN))
        for t in STORAGE:
            # Partitions added later come last: compare them by name.
            rows = sorted(self.partitions(name, t))
            self.assertEqual(len(rows), 53, t)
            for w, r in enumerate(rows, 1):
                self.assertEqual(r, ["p%02d" % w, "LIST", "`partition_tag`",
                                     str(w)], t)
        for t in LOOKUP + OWN:
            self.assertEqual(self.partitions(name, t)[0][0], None, t)
        self.assertEqual(self.db.sql(
            "SELECT id, version FROM filterd_schema_version", name),
            [["1", str(VERSION)]])
        # The lock is free when no run is working.
        self.assertEqual(self.db.sql(
            "SELECT name, holder FROM filterd_lock", name),
            [["filterd-sql", None]])

    def add_message(self, name, week, t, mail_id, rcpts=2, chunks=1):
        """add_message - a message of partition week, arrived at t, as the
        daemon writes it: maddr, msgs, msgrcpt, quarantine rows."""
        q = ["INSERT INTO maddr (partition_tag, email, domain) VALUES "
             "(%d, 'from-%s@example.org', 'org.example')" % (week, mail_id),
             "SET @sid = LAST_INSERT_ID()",
             "INSERT INTO msgs (partition_tag, mail_id, secret_id, am_id, "
             "time_num, time_iso, sid, policy, client_addr, size, "
             "originating, content, quar_type, quar_loc, dsn_sent, "
             "spam_level, message_id, from_addr, subject, host) VALUES "
             "(%d, '%s', 'secret', '1234-01', %d, '%s', @sid, '', "
             "'192.0.2.1', 1000, 'N', 'S', 'Q', '%s[%d]', 'N', 9.5, "
             "'<%s@example.org>', 'Caf\u00e9 <from@example.org>', "
             "'R\u00e9sum\u00e9 \U0001F600', 'mx.example.net')"
             % (week, mail_id, t, datetime.datetime.fromtimestamp(
                 t, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
                mail_id, week, mail_id)]
        for r in range(1, rcpts + 1):
            q += ["INSERT INTO maddr (partition_tag, email, domain) VALUES "
                  "(%d, 'rcpt%d-%s@example.net', 'net.example')"
                  % (week, r, mail_id),
                  "INSERT INTO msgrcpt (partition_tag, mail_id, rseqnum, rid, "
                  "is_local, content, ds, rs, bl, wl, bspam_level, smtp_resp) "
                  "VALUES (%d, '%s', %d, LAST_INSERT_ID(), 'Y', 'S', 'D', "
                  "' ', 'N', 'N', 9.5, '250 2.7.0 Ok, discarded')"
                  % (week, mail_id, r)]
        for c in range(1, chunks + 1):
            q.append("INSERT INTO quarantine (partition_tag, mail_id, "
                     "chunk_ind, mail_text) VALUES (%d, '%s', %d, "
                     "REPEAT('x', 16384))" % (week, mail_id, c))
        self.db.sql("; ".join(q), name)

    def weeks(self, name, table):
        """weeks - {partition_tag: rows} of a table."""
        return {int(w): int(n) for w, n in self.db.sql(
            "SELECT partition_tag, COUNT(*) FROM %s GROUP BY partition_tag"
            % table, name)}

    def fill_year(self, name, now):
        """fill_year - one message in every week, the latest with that
        number up to now (at the same weekday and hour); for week 53, when
        the last year had none, one from 2020."""
        expect = {}
        for k in range(53):
            t = now - k * 7 * 86400
            if iso_week(t) not in expect:
                self.add_message(name, iso_week(t), t, "m%02d" % k)
                expect[iso_week(t)] = t
        if 53 not in expect:
            self.add_message(name, 53, utc(2021, 1, 1), "old53")
            expect[53] = utc(2021, 1, 1)
        self.assertEqual(sorted(expect), list(range(1, 54)))
        return expect

    def assert_only(self, name, weeks, rcpts=2):
        weeks = set(weeks)
        self.assertEqual(self.weeks(name, "msgs"), {w: 1 for w in weeks})
        self.assertEqual(self.weeks(name, "msgrcpt"),
                         {w: rcpts for w in weeks})
        self.assertEqual(self.weeks(name, "quarantine"), {w: 1 for w in weeks})
        self.assertEqual(self.weeks(name, "maddr"),
                         {w: rcpts + 1 for w in weeks})

    # -- init -------------------------------------------------------------

    def test_init_twice(self):
        name, dsn = self.fresh()
        out = self.ok("init", dsn=dsn)
        self.assertIn("applied 0001_initial.sql", out)
        self.assert_layout(name)
        out = self.ok("init", dsn=dsn)
        self.assertNotIn("applied", out)
        self.assertIn("schema version %d: up to date" % VERSION, out)
        self.assert_layout(name)
        # Weeks are 1..53 and nothing else: a writer's bug is refused.
        self.add_message(name, 48, utc(2026, 11, 23), "ok48")
        with self.assertRaisesRegex(RuntimeError, "no partition for value 0"):
            self.add_message(name, 0, utc(2026, 11, 23), "zero")
        # utf8mb4 where amavisd-new has it: an emoji survives.
        self.assertEqual(self.db.sql("SELECT subject FROM msgs", name),
                         [["R\u00e9sum\u00e9 \U0001F600"]])

    def test_init_concurrent(self):
        for _ in range(2):
            name, dsn = self.fresh()
            procs = [subprocess.Popen([self.bin, "-d", dsn, "init"],
                                      stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
                     for _ in range(3)]
            outs = []
            for p in procs:
                out, err = p.communicate(timeout=120)
                self.assertEqual(p.returncode, 0, err)
                outs.append(out.decode())
            self.assertEqual(sum("applied 0001" in o for o in outs), 1, outs)
            self.assert_layout(name)

    def test_init_over_socket(self):
        name, _ = self.fresh()
        dsn = self.db.dsn(name, socket=True)
        self.assertIn("@unix(", dsn)
        self.ok("init", dsn=dsn)
        self.assert_layout(name)

    def test_schema_sql_is_the_migrations(self):
        """schema.sql run by hand builds what init builds; init then finds
        nothing to do."""
        by_tool, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        by_hand, dsn2 = self.fresh()
        with open(os.path.join(h.REPO, "sql", "mysql", "schema.sql"),
                  "rb") as f:
            p = self.db.client([], by_hand, stdin=f.read())
        self.assertEqual(p.returncode, 0, p.stderr)
        for t in STORAGE + LOOKUP + OWN:
            a = self.db.sql("SHOW CREATE TABLE %s" % t, by_tool)[0][1]
            b = self.db.sql("SHOW CREATE TABLE %s" % t, by_hand)[0][1]
            a = re.sub(r" AUTO_INCREMENT=\d+", "", a)
            b = re.sub(r" AUTO_INCREMENT=\d+", "", b)
            self.assertEqual(a, b, t)
        self.assertIn("up to date", self.ok("init", dsn=dsn2))
        self.assert_layout(by_hand)

    def test_init_refuses_amavis_tables(self):
        """An unpartitioned msgs (amavisd-new's own) is not built around."""
        name, dsn = self.fresh()
        self.db.sql("CREATE TABLE msgs (partition_tag int DEFAULT 0, "
                    "mail_id varbinary(16) NOT NULL, "
                    "PRIMARY KEY (partition_tag, mail_id)) ENGINE=InnoDB",
                    name)
        rc, out, err = self.tool("init", dsn=dsn)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("table msgs is not partitioned", err)
        self.assertIn("sql/README.md", err)
        self.assertEqual(self.db.sql("SHOW TABLES", name), [["msgs"]])

    def test_init_readds_partitions(self):
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        self.db.sql("ALTER TABLE msgs DROP PARTITION p07, p50; "
                    "ALTER TABLE maddr DROP PARTITION p01", name)
        out = self.ok("init", dsn=dsn)
        self.assertIn("msgs: added 2 partitions", out)
        self.assertIn("maddr: added 1 partition", out)
        self.assert_layout(name)

    # -- rotate -----------------------------------------------------------

    def test_rotate(self):
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        now = utc(2026, 11, 23)
        self.assertEqual(iso_week(now), 48)
        self.fill_year(name, now)
        out = self.ok("rotate", "--now", "2026-11-23", "--ahead", "2",
                      "--keep", "4", dsn=dsn)
        self.assertIn("week 48 (2026-11-23): keeping weeks 45 46 47 48 "
                      "(since 2026-11-02); ahead: 49 50", out)
        self.assertIn("emptied 196 partitions", out)  # 49 weeks x 4 tables
        self.assert_only(name, {45, 46, 47, 48})
        self.assert_layout(name)
        # Again: nothing to do.
        out = self.ok("rotate", "--now", "2026-11-23", "--ahead", "2",
                      "--keep", "4", dsn=dsn)
        self.assertIn("nothing to do", out)
        self.assertNotIn("emptied", out)
        self.assert_only(name, {45, 46, 47, 48})
        # A week later, week 45 goes too.
        out = self.ok("rotate", "--now", "2026-12-01", "--ahead", "2",
                      "--keep", "4", dsn=dsn)
        self.assertIn("msgs: emptied p45", out)
        self.assert_only(name, {46, 47, 48})

    def test_rotate_year_wrap(self):
        """Week 2 of 2027 with --keep 3 keeps 53 (2026), 1 and 2."""
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        now = utc(2027, 1, 11)
        self.assertEqual(iso_week(now), 2)
        self.fill_year(name, now)
        out = self.ok("rotate", "--now", "2027-01-11", "--ahead", "2",
                      "--keep", "3", dsn=dsn)
        self.assertIn("keeping weeks 53 1 2 (since 2026-12-28); "
                      "ahead: 3 4", out)
        self.assert_only(name, {53, 1, 2})
        # The next Monday: week 53 of 2026 falls out, 2027 has no week 53.
        self.ok("rotate", "--now", "2027-01-18", "--ahead", "2", "--keep",
                "3", dsn=dsn)
        self.assert_only(name, {1, 2})
        # At the end of 2027 (52 weeks) the window wraps from 52 to 1.
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        now = utc(2028, 1, 4)
        self.fill_year(name, now)
        out = self.ok("rotate", "--now", "2028-01-04", "--ahead", "1",
                      "--keep", "3", dsn=dsn)
        self.assertIn("keeping weeks 51 52 1 (since 2027-12-20); ahead: 2",
                      out)
        self.assert_only(name, {51, 52, 1})

    def test_rotate_old_rows_in_kept_week(self):
        """What a year without rotate left in this week's partition goes;
        this year's messages stay."""
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        self.add_message(name, 48, utc(2025, 11, 26), "old1")
        self.add_message(name, 48, utc(2024, 11, 27), "old2", rcpts=3,
                         chunks=2)
        self.add_message(name, 48, utc(2026, 11, 23, 1), "new")
        self.add_message(name, 47, utc(2026, 11, 17), "new47")
        out = self.ok("rotate", "--now", "2026-11-23", "--keep", "2",
                      dsn=dsn)
        self.assertIn("p48: deleted 2 messages from before 2026-11-16", out)
        self.assertEqual(self.db.sql(
            "SELECT partition_tag, mail_id FROM msgs ORDER BY mail_id", name),
            [["48", "new"], ["47", "new47"]])
        self.assertEqual(self.weeks(name, "msgrcpt"), {47: 2, 48: 2})
        self.assertEqual(self.weeks(name, "quarantine"), {47: 1, 48: 1})
        self.assertEqual(self.db.sql(
            "SELECT DISTINCT mail_id FROM msgrcpt ORDER BY mail_id", name),
            [["new"], ["new47"]])
        self.assertIn("nothing to do", self.ok(
            "rotate", "--now", "2026-11-23", "--keep", "2", dsn=dsn))

    def test_rotate_concurrent(self):
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        self.fill_year(name, utc(2026, 11, 23))
        argv = [self.bin, "-d", dsn, "rotate", "--now", "2026-11-23",
                "--keep", "4", "--ahead", "2"]
        procs = [subprocess.Popen(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(3)]
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
            outs.append(out.decode())
        self.assertEqual(sum("emptied 196 partitions" in o for o in outs), 1,
                         outs)
        self.assertEqual(sum("nothing to do" in o for o in outs), 2, outs)
        self.assert_only(name, {45, 46, 47, 48})

    def test_rotate_readds_partitions(self):
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        self.db.sql("ALTER TABLE quarantine DROP PARTITION p49", name)
        out = self.ok("rotate", "--now", "2026-11-23", "--keep", "4",
                      dsn=dsn)
        self.assertIn("quarantine: added 1 partition", out)
        self.assert_layout(name)

    def test_rotate_least_privilege(self):
        """The grants of sql/README.md: a maintenance user rotates, the
        daemon's user writes, the lookup user reads."""
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        self.fill_year(name, utc(2026, 11, 23))
        q = ["CREATE USER 'rot'@'127.0.0.1' IDENTIFIED BY 'pw'",
             "CREATE USER 'daemon'@'127.0.0.1' IDENTIFIED BY 'pw'"]
        for t in STORAGE:
            q.append("GRANT SELECT, DELETE, ALTER, DROP ON `%s`.%s TO "
                     "'rot'@'127.0.0.1'" % (name, t))
            q.append("GRANT SELECT, INSERT, UPDATE ON `%s`.%s TO "
                     "'daemon'@'127.0.0.1'" % (name, t))
        for user in ("rot", "daemon"):
            q.append("GRANT SELECT ON `%s`.filterd_schema_version TO "
                     "'%s'@'127.0.0.1'" % (name, user))
        q.append("GRANT SELECT, UPDATE ON `%s`.filterd_lock TO "
                 "'rot'@'127.0.0.1'" % name)
        self.db.sql("; ".join(q))
        # The daemon's user may not rotate: it may not take the lock (nor
        # TRUNCATE PARTITION, which needs DROP).
        rc, out, err = self.tool("rotate", "--now", "2026-11-23", "--keep",
                                 "4", dsn=self.db.dsn(name, user="daemon",
                                                      password="pw"))
        self.assertEqual(rc, 1, out + err)
        self.assertIn("UPDATE command denied", err)
        self.assertIn("filterd_lock", err)
        rot = self.db.dsn(name, user="rot", password="pw")
        out = self.ok("rotate", "--now", "2026-11-23", "--keep", "4", dsn=rot)
        self.assertIn("emptied 196 partitions", out)
        self.assert_only(name, {45, 46, 47, 48})
        self.ok("status", "--exact", dsn=rot)

    # -- status -----------------------------------------------------------

    def test_status(self):
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        self.add_message(name, 48, utc(2026, 11, 23), "a", rcpts=3, chunks=2)
        self.add_message(name, 48, utc(2026, 11, 24), "b", rcpts=1)
        self.add_message(name, 2, utc(2027, 1, 11), "c")
        out = self.ok("status", "--exact", "--now", "2026-11-23", dsn=dsn)
        lines = out.splitlines()
        self.assertIn("schema version %d, week 48 (2026-11-23), rows "
                      "counted" % VERSION, lines[0])
        self.assertEqual(lines[1].split(),
                         ["week", "partition", "msgs", "msgrcpt",
                          "quarantine", "maddr", "data_bytes",
                          "index_bytes"])
        rows = {}
        for line in lines[2:]:
            f = line.split()
            if f[0] == "total":
                total = f
                continue
            rows[f[1]] = f
        self.assertEqual(sorted(rows), ["p%02d" % w for w in range(1, 54)])
        self.assertEqual(rows["p48"][:6], ["48*", "p48", "2", "4", "3", "6"])
        self.assertEqual(rows["p02"][:6], ["2", "p02", "1", "2", "1", "3"])
        self.assertEqual(rows["p01"][:6], ["1", "p01", "0", "0", "0", "0"])
        self.assertTrue(int(rows["p48"][6]) > 0)
        self.assertEqual(total[:5], ["total", "3", "6", "4", "9"])
        # Estimates need no --exact and list the same partitions.
        out = self.ok("status", dsn=dsn)
        self.assertIn("rows estimated", out)
        self.assertEqual(len([x for x in out.splitlines()
                              if re.match(r"\d+\*? +p\d\d ", x)]), 53)

    def test_status_exact_quotes_a_partition_name(self):
        """A partition name is text from the database (someone with ALTER
        on it chose it), not from filterd: --exact counts its rows with
        the name quoted as an identifier, not pasted into the statement
        (it once was, between backquotes a backquote in the name ends)."""
        name, dsn = self.fresh()
        self.ok("init", dsn=dsn)
        self.db.sql("ALTER TABLE msgs ADD PARTITION (PARTITION `x``y` "
                    "VALUES IN (60))", name)
        out = self.ok("status", "--exact", "--now", "2026-11-23", dsn=dsn)
        rows = [x.split() for x in out.splitlines()
                if x.split()[1:2] == ["x`y"]]
        self.assertEqual(len(rows), 1, out)
        self.assertEqual(rows[0][:3], ["-", "x`y", "0"], out)

    # -- errors -----------------------------------------------------------

    def test_errors(self):
        name, dsn = self.fresh()
        cases = [
            (["-d", "postgres://u:p@h/d", "status"], "bad DSN: want mysql://"),
            (["-d", "mysql://u:%s@h:0/d" % quote(PASSWORD, safe=""), "init"],
             "bad DSN: port"),
            (["-d", "mysql://filterd@127.0.0.1/", "init"],
             "bad DSN: missing /database"),
            (["-d", self.db.dsn(name, password="wrong-" + PASSWORD), "init"],
             "cannot connect"),
            (["-d", "mysql://u:p@127.0.0.1:%d/d" % h.free_port(), "status"],
             "cannot connect"),
            (["-d", dsn, "rotate", "--keep", "4"],
             "no filterd schema in this database"),
            (["status"], "no database: give -d DSN"),
        ]
        for argv, want in cases:
            rc, out, err = self.tool(*argv)
            self.assertEqual(rc, 1, (argv, out, err))
            self.assertIn(want, err, argv)
            self.assertNotIn(PASSWORD, out + err)
        for argv in (["-d", dsn, "rotate"],
                     ["-d", dsn, "rotate", "--keep", "50", "--ahead", "3"],
                     ["-d", dsn, "rotate", "--keep", "0"],
                     ["-d", dsn, "init", "--keep", "3"],
                     ["-d", dsn, "status", "--now", "2027-02-29"],
                     ["-d", dsn, "frobnicate"],
                     ["-d", dsn]):
            rc, out, err = self.tool(*argv)
            self.assertEqual(rc, 2, (argv, out, err))

    def test_config_file(self):
        """Without -d: the configuration's sql.storage, in order."""
        name, dsn = self.fresh()
        conf = self.tmp.file("sql-%s.conf" % name)
        with open(conf, "w") as f:
            f.write('sql {\n  storage = {"mysql://nobody:x@127.0.0.1:%d/x",'
                    ' "%s"}\n}\n' % (h.free_port(), dsn))
        rc, out, err = self.tool("-c", conf, "init")
        self.assertEqual(rc, 0, out + err)
        self.assert_layout(name)
        with open(conf, "w") as f:
            f.write("sql {\n}\n")
        rc, out, err = self.tool("-c", conf, "status")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("names no DSN", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
