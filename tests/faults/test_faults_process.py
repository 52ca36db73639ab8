"""test_faults_process - the fault matrix: filterd's own processes die.

kill -9 of random children while they receive a message and while they
forward one, the master killed and filterd started again, SIGHUP every
second under load, SIGTERM under load (a drain, then a new start).
Each case ends with the ledger (ledger.py).
"""

import os
import random
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ledger as L  # noqa: E402
from ledger import h  # noqa: E402


def killer(test, fd, state, kills):
    """killer - a fault: while the sender is busy, every 0.3 s kill -9
    one child the scoreboard shows in state (at most kills of them)."""
    done = []

    def fault(q):
        rnd = random.Random(4242)
        for _ in range(400):
            if not q.alive() or len(done) >= kills:
                break
            busy = [c["pid"] for c in L.nanny(fd)["children"]
                    if c["state"] == state and c["pid"] in fd.children()]
            if busy:
                pid = rnd.choice(busy)
                os.kill(pid, signal.SIGKILL)
                done.append(pid)
                time.sleep(0.3)
            else:
                time.sleep(0.02)
        test.killed = done
        sys.stderr.write("\n  killed %d children in state %s"
                         % (len(done), state))
    return fault


class TestChildKilled(L.FaultCase):
    """kill -9 of random children: the message in hand is a 4xx or a
    lost connection for the sender, never a 250; the master replaces the
    child and removes its directory."""

    def test_kill_during_data(self):
        sink = self.start(h.Sink(self.tmp, name="sink-data"))
        fd = self.filterd([sink.addr])
        n = L.volume(60)
        self.ledger_case("kill-data", fd, [sink], n, data_pause=0.2,
                         during=killer(self, fd, "receiving", n // 10),
                         counters="tolerant", retries=True,
                         kind=L.virus_every(5), may_refuse=L.virus_refused)
        self.assertGreater(len(self.killed), 0, "no child was killed")

    def test_kill_during_forwarding(self):
        """A child killed after the next hop took the message but before
        its 250 reached the sender: the reply is lost, the sender sends
        again (at-least-once, README)."""
        sink = self.start(L.FaultSink(lambda k, st: 0.2 if st == "DOT"
                                      else None))
        fd = self.filterd([sink.addr])
        n = L.volume(60)
        self.ledger_case("kill-forward", fd, [sink], n,
                         during=killer(self, fd, "forwarding", n // 10),
                         counters="tolerant", allow_duplicates=True,
                         retries=True)
        self.assertGreater(len(self.killed), 0, "no child was killed")


class TestMaster(L.FaultCase):
    """The master itself: killed, reloaded, stopped."""

    def test_master_killed_and_restarted(self):
        sink = self.start(h.Sink(self.tmp, name="sink-master"))
        fd = self.filterd([sink.addr])
        n = L.volume(60)

        def fault(q):
            h.wait_until(lambda: q.delivered() >= n // 3, 20)
            kids = fd.children()
            fd.proc.kill()
            fd.proc.wait(5)
            # Its children learn of it (PDEATHSIG) and finish.
            left = [p for p in kids
                    if not h.wait_until(lambda: not h.pid_alive(p), 10)]
            self.assertEqual(left, [], "children outlived the master")
            fd.start()
            h.wait_until(lambda: not q.alive(), 30)
        self.ledger_case("master-kill", fd, [sink], n, during=fault,
                         counters=None, retries=True, data_pause=0.05)

    def test_sighup_every_second(self):
        sink = self.start(h.Sink(self.tmp, name="sink-hup"))
        fd = self.filterd([sink.addr])
        n = L.volume(80)
        hups = []

        def fault(q):
            for _ in range(60):
                if not q.alive():
                    break
                fd.signal(signal.SIGHUP)
                hups.append(time.monotonic())
                time.sleep(1)
        # A slow client keeps the run going through several reloads.
        self.ledger_case("sighup", fd, [sink], n, during=fault,
                         data_pause=0.2, sessions=4, per_session=5,
                         kind=L.virus_every(8), may_refuse=L.virus_refused)
        sys.stderr.write("  %d reloads\n" % len(hups))
        self.assertGreaterEqual(len(hups), 2)
        self.assertTrue(fd.running())

    def test_sighup_long_sessions(self):
        """SIGHUP every second while sessions outlast smtpd_timeout: the
        old generation's children end them with 421 4.3.2 between
        messages (never inside one); the sender carries on over new
        sessions."""
        sink = self.start(h.Sink(self.tmp, name="sink-hup2"))
        fd = self.filterd([sink.addr], smtpd_timeout=1)
        n = L.volume(60)
        hups = []

        def fault(q):
            for _ in range(60):
                if not q.alive():
                    break
                fd.signal(signal.SIGHUP)
                hups.append(time.monotonic())
                time.sleep(1)
        self.ledger_case("sighup-421", fd, [sink], n, during=fault,
                         data_pause=0.15, sessions=3, per_session=15,
                         counters="exact")
        said = [x for e in self.ledger.entries.values() for x in e.replies
                if x.startswith("421")]
        sys.stderr.write("  %d reloads, %d x 421\n" % (len(hups), len(said)))
        self.assertGreater(len(said), 0, "no session was ended by a reload")
        self.assertTrue(all("4.3.2" in x for x in said), said)

    def test_sigterm_drain_then_start(self):
        """SIGTERM under load: what was in hand is finished, the rest is
        refused for now; the master exits 0 with no child left; filterd
        started again takes what the sender still holds."""
        sink = self.start(h.Sink(self.tmp, name="sink-term"))
        fd = self.filterd([sink.addr])
        n = L.volume(60)

        def fault(q):
            h.wait_until(lambda: q.delivered() >= n // 3, 20)
            kids = fd.children()
            fd.signal(signal.SIGTERM)
            self.assertEqual(fd.proc.wait(30), 0)
            self.assertEqual([p for p in kids if h.pid_alive(p)], [])
            self.assertEqual(L.spool_leftovers(fd), [])
            fd.start()
            h.wait_until(lambda: not q.alive(), 30)
        self.ledger_case("sigterm", fd, [sink], n, during=fault,
                         data_pause=0.05, counters=None, retries=True)


if __name__ == "__main__":
    unittest.main()
