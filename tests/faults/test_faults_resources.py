"""test_faults_resources - the fault matrix: what filterd depends on
goes away.

The SQL server killed (kill -9) and started again while every fifth
message carries a virus that policy rejects and quarantines in SQL;
tmp_dir on a small tmpfs (in a private mount namespace) filled to the
last byte for a while. Each case ends with the ledger (ledger.py).
"""

import errno
import os
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import ledger as L  # noqa: E402
from ledger import h  # noqa: E402
from test_sql import q as sql_rows, restart, sql_tool  # noqa: E402


class TestSqlDown(L.FaultCase):

    def test_sql_killed_and_back_with_quarantine(self):
        """While MariaDB is down no message may pass unrecorded and no
        virus be refused unquarantined: both are a 4xx and wait; once
        it is back every message has its record and every refused virus
        its quarantined copy."""
        sink = self.start(h.Sink(self.tmp, name="sink-sql"))
        db = self.start(h.MariaDB(self.tmp, "db"))
        p = h.run([sql_tool(), "-d", db.dsn(), "init"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        clamdb = self.clamdb()
        fd = self.start(h.Filterd(
            self.tmp, name="filterd-sql", clamav_off=False,
            banks={"default": {"forward": [sink.addr],
                               "final_virus_destiny": "reject",
                               "virus_quarantine": "sql"}},
            raw='clamav { database = "%s" }\nsql { storage = {"%s"} '
                'retry_interval = 1 }' % (clamdb, db.dsn()),
            min_servers=2, max_servers=self.max_servers,
            forward_timeout=3, smtpd_timeout=5))
        self.ready(fd)
        n = L.volume(60)
        down = []

        def fault(q):
            h.wait_until(lambda: q.delivered() >= n // 4, 30)
            db.proc.kill()
            db.proc.wait(10)
            down.append(time.monotonic())
            time.sleep(2)
            restart(db)
            down.append(time.monotonic())
        r = self.ledger_case("sql-down", fd, [sink], n, deadline=90,
                             during=fault, kind=L.virus_every(5),
                             may_refuse=L.virus_refused, retries=True)
        self.assertEqual(len(down), 2)
        self.assertIn("SQL", fd.log_text())
        rows = sql_rows(db, "SELECT message_id, content, quar_type FROM "
                            "msgs")
        seen = {}
        for mid, content, qtype in rows:
            seen.setdefault(mid, []).append((content, qtype.strip()))
        missing = [e.lid for e in self.ledger.entries.values()
                   if e.msgid not in seen]
        self.assertEqual(missing, [], "messages without a record")
        unquarantined = [e.lid for e in self.ledger.entries.values()
                         if e.kind == "virus" and
                         ("V", "Q") not in seen[e.msgid]]
        self.assertEqual(unquarantined, [], "viruses refused without a "
                         "quarantined copy")
        self.assertEqual(r.refused, n // 5)


class TmpfsFilterd(h.Filterd):
    """TmpfsFilterd - a filterd whose tmp_dir is a tmpfs of size bytes
    mounted in a private mount namespace (unshare and sh exec filterd in
    place, so signals reach the master); the test reaches it through
    /proc/PID/root."""

    def __init__(self, tmp, size, **kw):
        super().__init__(tmp, **kw)
        self.size = size

    def start(self, wait=True):
        self.write_conf()
        os.makedirs(self.params["tmp_dir"], exist_ok=True)
        argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                'mount -t tmpfs -o size=$1,mode=0700 tmpfs "$0" && '
                'shift && exec "$@"', self.params["tmp_dir"], str(self.size),
                h.filterd_bin(), "-f", "-c", self.conf_path]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
        if wait and not h.wait_port(self.port, 10, proc=self.proc):
            status = h.stop_popen(self.proc, 3, signal.SIGKILL)
            raise RuntimeError("filterd did not start (%s):\n%s" %
                               (status, self.log_text()))
        return self


@unittest.skipUnless(h.IS_ROOT, "a mount namespace needs root")
class TestTmpfsFull(L.FaultCase):

    def test_tmp_dir_fills(self):
        """tmp_dir full: the message in hand is a 4xx (never a 250 for a
        spool that was cut short); once space is back, the sender's
        retries go through and no file is left behind."""
        sink = self.start(h.Sink(self.tmp, name="sink-tmpfs"))
        fd = self.start(TmpfsFilterd(
            self.tmp, 2 * 1024 * 1024, name="filterd-tmpfs",
            banks={"default": {"forward": [sink.addr],
                               "final_virus_destiny": "reject"}},
            clamav_off=False,
            raw='clamav { database = "%s" }' % self.clamdb(),
            min_servers=2, max_servers=self.max_servers, smtpd_timeout=5))
        self.ready(fd)
        n = L.volume(60)
        filled = []

        def fault(q):
            h.wait_until(lambda: q.delivered() >= n // 4, 30)
            filler = "/proc/%d/root%s/filler" % (fd.proc.pid,
                                                 fd.params["tmp_dir"])
            try:
                with open(filler, "wb") as f:
                    for _ in range(4096):
                        f.write(b"x" * 4096)
                        f.flush()
            except OSError as e:
                self.assertEqual(e.errno, errno.ENOSPC)
                filled.append(time.monotonic())
            time.sleep(1.5)
            os.unlink(filler)
        self.ledger_case("tmpfs-full", fd, [sink], n, deadline=60,
                         during=fault, data_pause=0.05, retries=True,
                         kind=L.virus_every(6), may_refuse=L.virus_refused)
        self.assertEqual(len(filled), 1, "the tmpfs did not fill")

    def test_tmp_dir_nearly_full(self):
        """tmp_dir with room for the spool file but not always for what
        the scanner unpacks (every 3rd message: a virus at the end of a
        300 KB zip): a scan that cannot finish fails closed (4xx), never
        a virus passed; once the room is back, every retry is judged."""
        sink = self.start(h.Sink(self.tmp, name="sink-tmpfs2"))
        fd = self.start(TmpfsFilterd(
            self.tmp, 2 * 1024 * 1024, name="filterd-tmpfs2",
            banks={"default": {"forward": [sink.addr],
                               "final_virus_destiny": "reject"}},
            clamav_off=False,
            raw='clamav { database = "%s" }' % self.clamdb(),
            min_servers=1, max_servers=2, smtpd_timeout=5,
            message_size_limit=1000000))
        self.ready(fd)
        n = L.volume(24)
        filler = "/proc/%d/root%s/filler" % (fd.proc.pid,
                                             fd.params["tmp_dir"])
        with open(filler, "wb") as f:
            f.write(b"x" * (2 * 1024 * 1024 - 900 * 1024))

        def fault(q):
            h.wait_until(lambda: q.delivered() >= n // 3, 30)
            time.sleep(1)
            os.unlink(filler)

        def kind(i):
            return "zipvirus" if i % 3 == 2 else "clean"
        r = self.ledger_case("tmpfs-scan", fd, [sink], n, deadline=60,
                             during=fault, kind=kind, sessions=2,
                             may_refuse=L.virus_refused, retries=True)
        self.assertEqual(r.refused, n // 3)
        self.assertIn("virus scan failed", fd.log_text())


if __name__ == "__main__":
    unittest.main()
