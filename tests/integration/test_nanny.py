"""test_nanny - filterd-nanny against a running filterd.

Under smtp-source load the nanny shows every child with a sensible state
and, afterwards, counters that match what was sent.  A child stopped
(SIGSTOP) with a message in hand, behind a real Postfix front MTA, is
killed by --kill-stuck once past child_timeout; the master replaces it,
Postfix keeps the message and, flushed, delivers it exactly once.  After
the master itself is killed, --reap releases the slots its children
left behind and the counters stay as they were."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "from@example.org"
RCPT = "to@example.net"
STATES = {"idle", "greeting", "receiving", "parsing", "virus", "spam", "sql",
          "forwarding", "replying"}
# States in which a child has a message (MAIL .. reply) in hand.
IN_MESSAGE = STATES - {"idle", "greeting"}


def nanny_bin():
    """nanny_bin - filterd-nanny, next to the filterd under test."""
    path = os.path.join(os.path.dirname(h.filterd_bin()), "filterd-nanny")
    if not os.access(path, os.X_OK):
        raise RuntimeError("filterd-nanny not found next to filterd: %s"
                           % path)
    return path


class NannyTest(h.PeerTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def nanny(self, fd, *args, timeout=30):
        return h.run([nanny_bin(), "-c", fd.conf_path] + list(args),
                     timeout=timeout)

    def snapshot(self, fd, master_gone=False):
        p = self.nanny(fd, "--json")
        self.assertEqual(p.returncode, 1 if master_gone else 0, p.stderr)
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 1, p.stdout)
        return json.loads(lines[0])

    def filterd(self, sink_addr, **conf):
        return h.Filterd(self.tmp, banks={"default": {"forward": [sink_addr]}},
                         **conf)

    def check_child(self, c, pids, timeout_s):
        self.assertIn(c["pid"], pids, c)
        self.assertIn(c["state"], STATES, c)
        if c["state"] in IN_MESSAGE:
            self.assertRegex(c["mail_id"], r"^[A-Za-z0-9_-]{12}$", c)
            self.assertIsNotNone(c["msg_elapsed_ms"], c)
        if c["msg_elapsed_ms"] is not None:
            self.assertGreaterEqual(c["msg_elapsed_ms"], 0, c)
            self.assertLess(c["msg_elapsed_ms"], timeout_s * 1000, c)
        self.assertFalse(c["stuck"], c)

    def test_load_and_counters(self):
        n, size = 1000, 20000
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=4, max_servers=4,
                                     max_requests=1000000))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 4, 10))
        pids = set(fd.children())
        before = self.snapshot(fd)
        self.assertEqual({c["pid"] for c in before["children"]}, pids)
        self.assertEqual(before["master_pid"], fd.proc.pid)
        self.assertTrue(before["master_alive"])

        src = subprocess.Popen(
            [h.SMTP_SOURCE, "-s", "8", "-m", str(n), "-l", str(size),
             "-f", SENDER, "-t", RCPT, "%s:%d" % (h.LOCALHOST, fd.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        tables, snaps = [], []
        deadline = time.monotonic() + 40
        try:
            while src.poll() is None and time.monotonic() < deadline:
                snaps.append(self.snapshot(fd))
                p = self.nanny(fd, "--once")
                self.assertEqual(p.returncode, 0, p.stderr)
                tables.append(p.stdout.decode())
        finally:
            h.stop_popen(src, 30)
        out = src.stdout.read().decode(errors="replace")
        src.stdout.close()
        self.assertEqual(src.returncode, 0, out)
        self.assertGreater(len(snaps), 1, "the load ended too soon")

        # Every snapshot taken during the load: every child, sensible.
        busy_seen = 0
        for s in snaps:
            self.assertEqual({c["pid"] for c in s["children"]}, pids, s)
            for c in s["children"]:
                self.check_child(c, pids, s["child_timeout"])
            self.assertEqual(s["busy"] + s["idle"], 4)
            self.assertEqual(sum(s["by_state"].values()), 4)
            self.assertEqual(s["busy_percent"], s["busy"] * 100 // 4)
            busy_seen += sum(1 for c in s["children"]
                             if c["state"] in IN_MESSAGE)
        self.assertGreater(busy_seen, 0, "no child seen with a message")
        row = re.compile(r"^\s*\d+\s+(\d+) (\S+)\s+(\S+)\s+(\S+)\s+"
                         r"(\d+:\d\d:\d\d)\s+\[([^\]]{20})\]", re.M)
        for t in tables:
            rows = row.findall(t)
            self.assertEqual({int(r[0]) for r in rows}, pids, t)
            for r in rows:
                self.assertIn(r[1], STATES, t)
                if r[1] in IN_MESSAGE:
                    self.assertRegex(r[2], r"^[A-Za-z0-9_-]{12}$", t)
            self.assertRegex(t, r"children 4: busy \d+ \(\d+%\), idle \d+")

        # After the load: the counters match what was sent.
        self.assertEqual(sink.wait_count(n, 30), n)
        after = self.snapshot(fd)
        c = after["counters"]
        self.assertEqual(c["msgs_in"], n)
        self.assertEqual(c["msgs_action"]["passed"], n)
        self.assertEqual(c["rcpts_action"]["passed"], n)
        self.assertEqual(c["msgs_ccat"]["clean"], n)
        self.assertEqual(sum(c["msgs_action"].values()), n)
        self.assertGreaterEqual(c["bytes_in"], n * size)
        self.assertGreater(c["bytes_out"], 0)
        self.assertEqual(c["nexthop_failures"], 0)
        for stage in ("total", "receive", "forward"):
            hist = after["histograms"][stage]
            self.assertEqual(hist["count"], n, stage)
            self.assertEqual(sum(b["count"] for b in hist["buckets"]), n)
        self.assertEqual(sum(ch["messages"] for ch in after["children"]), n)
        self.assertEqual(after["idle"], 4)

        prom = self.nanny(fd, "--prometheus").stdout.decode()
        self.assertIn("\nfilterd_messages_total %d\n" % n, prom)
        self.assertIn('filterd_latency_seconds_bucket{stage="total",'
                      'le="+Inf"} %d\n' % n, prom)
        self.assertIn('filterd_latency_seconds_count{stage="total"} %d\n'
                      % n, prom)
        self.assertIn('filterd_children{state="idle"} 4\n', prom)
        table = self.nanny(fd).stdout.decode()
        self.assertIn("messages %d " % n, table)

        # --reap leaves live children alone.
        p = self.nanny(fd, "--reap")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"reaped 0 slots", p.stdout)
        self.assertEqual(self.snapshot(fd)["children_total"], 4)

    def test_watch_loop_and_errors(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1))
        p = self.nanny(fd, "-w", "1", "-n", "2", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        docs = [json.loads(l) for l in p.stdout.decode().splitlines()]
        self.assertEqual(len(docs), 2)
        self.assertGreaterEqual(docs[1]["now_ms"] - docs[0]["now_ms"], 900)

        # -w without a count runs until SIGTERM.
        w = subprocess.Popen([nanny_bin(), "-c", fd.conf_path, "-w", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.5)
        self.assertIsNone(w.poll())
        w.send_signal(signal.SIGTERM)
        out, err = w.communicate(timeout=5)
        self.assertEqual(w.returncode, 0, err)
        self.assertGreaterEqual(out.count(b"filterd master %d (running)"
                                          % fd.proc.pid), 1, out)

        # No scoreboard, or not one of this version: exit 1, say why.
        p = h.run([nanny_bin(), "-s", self.tmp.file("none")])
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"No such file or directory", p.stderr)
        junk = self.tmp.file("junk")
        with open(junk, "wb") as f:
            f.write(b"\0" * (4 << 20))
        p = h.run([nanny_bin(), "-s", junk, "--json"])
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"not a version 3 scoreboard", p.stderr)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(h.run([nanny_bin(), "--once", "-w", "1"]).returncode,
                         2)

    def test_reap_after_master_died(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=2, max_servers=2,
                                     max_requests=1000000))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 2, 10))
        for i in range(3):
            self.assertEqual(h.send_message(
                fd.port, SENDER, [RCPT],
                b"Subject: reap %d\r\n\r\nbody\r\n" % i).code, 250)
        kids = fd.children()
        before = self.snapshot(fd)
        self.assertEqual(before["counters"]["msgs_in"], 3)
        self.assertEqual(before["child_exits"], 0)

        # The master dies without cleaning up; its children follow it
        # (parent-death signal) and leave their slots behind.
        fd.proc.kill()
        fd.proc.wait(10)
        self.assertTrue(h.wait_until(
            lambda: not any(h.pid_alive(p) for p in kids), 10))
        stale = self.snapshot(fd, master_gone=True)
        self.assertFalse(stale["master_alive"])
        self.assertEqual({c["pid"] for c in stale["children"]}, set(kids))

        p = self.nanny(fd, "--reap")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout.decode()
        self.assertIn("reaped 2 slots (master %d gone)" % fd.proc.pid, out)
        for pid in kids:
            self.assertRegex(out, r"slot \d+: pid %d went away" % pid)
        after = self.snapshot(fd, master_gone=True)
        self.assertEqual(after["children"], [])
        self.assertEqual(after["child_exits"], 2)
        # Folded, not lost: the sums are what they were.
        self.assertEqual(after["counters"], stale["counters"])
        self.assertEqual(after["histograms"], stale["histograms"])
        self.assertEqual(after["counters"]["msgs_in"], 3)
        self.assertIn(b"reaped 0 slots", self.nanny(fd, "--reap").stdout)


    def test_dead_master_is_said_and_exits_1(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1))
        self.assertTrue(h.wait_until(lambda: fd.children(), 10))
        p = self.nanny(fd)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, b"")
        master = fd.proc.pid
        fd.proc.kill()
        fd.proc.wait(10)
        sb = os.path.join(fd.params["run_dir"], "scoreboard")
        for argv in (["-c", fd.conf_path], ["-s", sb],
                     ["-c", fd.conf_path, "--json"]):
            p = h.run([nanny_bin()] + argv)
            self.assertEqual(p.returncode, 1, (argv, p.stderr))
            self.assertIn(b"filterd master %d (gone)" % master
                          if "--json" not in argv else
                          b'"master_alive":false', p.stdout)
            self.assertIn(b"master %d is gone" % master, p.stderr)


@unittest.skipUnless(h.IS_ROOT, "a private Postfix needs root")
class StuckChildTest(unittest.TestCase):
    """Postfix -> filterd (one child, child_timeout 10) -> Postfix -> sink.

    The reinjection smtpd sleeps at RCPT, so the child sits in the
    forwarding state for seconds, before the next hop has the message."""

    TIMEOUT = 10

    def setUp(self):
        h.filterd_bin()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)
        front, filt, reinj = h.free_ports(3)
        self.sink = h.Sink(self.tmp, "sink").start()
        self.addCleanup(self.sink.stop)
        self.postfix = h.Postfix(
            self.tmp, front, filt, reinj, self.sink.port,
            reinj_rcpt_restrictions="sleep 3, permit_mynetworks, reject")
        self.addCleanup(self.postfix.stop)
        self.postfix.start()
        self.fd = h.Filterd(self.tmp, "fd", listen=[(filt, "smtp", "default")],
                            banks={"default": {
                                "forward": ["127.0.0.1:%d" % reinj]}},
                            min_servers=1, max_servers=1,
                            child_timeout=self.TIMEOUT)
        self.addCleanup(self.fd.stop)
        self.fd.start()
        self.stopped = None

    def tearDown(self):
        if self.stopped and h.pid_alive(self.stopped):
            os.kill(self.stopped, signal.SIGKILL)

    def nanny(self, *args):
        return h.run([nanny_bin(), "-c", self.fd.conf_path] + list(args),
                     timeout=60)

    def snapshot(self):
        p = self.nanny("--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def test_kill_stuck(self):
        path = self.tmp.file("stuck.eml")
        with open(path, "wb") as f:
            f.write(b"Subject: stuck child\r\nMessage-ID: <stuck@example.org>"
                    b"\r\n\r\nthe message in hand")
        status, out, qid = h.swaks(self.postfix.front_port, SENDER, RCPT,
                                   path)
        self.assertEqual(status, 0, out)

        # The child forwarding it, early in the 3 s the next hop sleeps.
        def forwarding():
            for c in self.snapshot()["children"]:
                if c["state"] == "forwarding" and c["mail_id"] and \
                        c["state_elapsed_ms"] < 1500:
                    return c
            return None
        child = h.wait_until(forwarding, 20, 0.05)
        self.assertTrue(child, "no child forwarding; postfix log:\n%s"
                        % self.postfix.log()[-2000:])
        os.kill(child["pid"], signal.SIGSTOP)
        self.stopped = child["pid"]

        # Past child_timeout: stuck (SIGALRM waits for SIGCONT).
        def stuck():
            s = self.snapshot()
            return s["stuck"] == 1 and s
        s = h.wait_until(stuck, self.TIMEOUT + 10, 0.2)
        self.assertTrue(s, self.snapshot())
        self.assertEqual(s["children"][0]["pid"], child["pid"])
        self.assertEqual(s["children"][0]["mail_id"], child["mail_id"])
        self.assertIn(b"STUCK", self.nanny("--once").stdout)
        self.assertEqual(self.sink.count(), 0)

        p = self.nanny("--kill-stuck", "--grace", "2")
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, out + p.stderr.decode())
        self.assertRegex(out, r"pid %d mail_id \"%s\" in its message for "
                         r"0:00:\d\d \(child_timeout %d s\): SIGTERM, still "
                         r"there after 2 s: SIGKILL, gone" % (
                             child["pid"], re.escape(child["mail_id"]),
                             self.TIMEOUT))
        self.assertIn("killed 1 stuck child\n", out)
        self.assertFalse(h.pid_alive(child["pid"]))

        # The master replaces it and counts the kill.
        def replaced():
            s = self.snapshot()
            return [c for c in s["children"] if c["pid"] != child["pid"]] \
                and s["child_kills"] >= 1 and s["stuck"] == 0 and s
        self.assertTrue(h.wait_until(replaced, 10, 0.2), self.snapshot())

        # Postfix saw the connection drop and keeps the message.
        def deferred():
            return qid in self.postfix.queue_ids() and qid
        self.assertTrue(h.wait_until(deferred, 20, 0.2),
                        "message not deferred; queue:\n%s\nlog:\n%s" % (
                            self.postfix.queue(), self.postfix.log()[-2000:]))
        self.assertEqual(self.sink.count(), 0)

        # Flushed, it goes through the new child, exactly once.
        self.postfix.flush_until(lambda: self.sink.count() >= 1, 40)
        self.assertEqual(self.sink.wait_count(1, 5), 1,
                         "not delivered after flush; queue:\n%s\nlog:\n%s" % (
                             self.postfix.queue(), self.postfix.log()[-3000:]))
        self.assertTrue(h.wait_until(
            lambda: qid not in self.postfix.queue_ids(), 10))
        time.sleep(1)
        dumps = self.sink.dumps()
        self.assertEqual(len(dumps), 1, dumps)
        self.assertIn(b"the message in hand", dumps[0].body)
        c = self.snapshot()["counters"]
        self.assertEqual(c["msgs_action"]["passed"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
