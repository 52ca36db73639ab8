"""test_faults_hopdown - the fault matrix: next hops down, back, and
stalled.

Each case ends with the ledger (ledger.py): every message at a sink
exactly once, refused with a 5xx the case calls for, or still held by
the sender; then no spool file left, no child beyond max_servers, and
the scoreboard's counts equal to what the sender heard.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ledger as L  # noqa: E402
from ledger import h  # noqa: E402

every = L.every


class TestNextHopDown(L.FaultCase):
    """Next hops unreachable, stalled, and back."""

    def test_primary_down_then_back(self):
        """Failback: while the primary is down the secondary takes the
        mail; once it is back, the primary does again."""
        primary = L.FaultSink()
        n = L.volume(80)

        def back(k, stage):
            # The primary comes back after the secondary's n/3-th message.
            if stage == "DOT" and k == n // 3:
                self.start(primary)
            return None
        secondary = self.start(L.FaultSink(back))
        fd = self.filterd([primary.addr, secondary.addr])
        self.ledger_case("failback", fd, [primary, secondary], n,
                         retries=False)
        self.assertGreaterEqual(len(secondary.messages()), n // 3)
        self.assertGreater(len(primary.messages()), 0,
                           "no failback to the primary")

    def test_every_hop_down_for_a_while(self):
        """Every next hop down for a while: 4xx, held, sent again."""
        port1, port2 = h.free_ports(2)
        s1 = h.Sink(self.tmp, name="down1", port=port1)
        s2 = h.Sink(self.tmp, name="down2", port=port2)
        fd = self.filterd([s1.addr, s2.addr])

        def fault(q):
            # Every message gets at least one 4xx before a hop is back.
            h.wait_until(lambda: not q.alive(), 3)
            self.start(s2)
            self.start(s1)
        self.ledger_case("all-down", fd, [s1, s2], L.volume(60),
                         during=fault, retries=True)

    def test_stall(self):
        """A next hop that stalls at the final dot every 4th message:
        forward_data_timeout ends the wait, the front gets a 4xx."""
        sink = self.start(L.FaultSink(every(4, "DOT", "stall")))
        fd = self.filterd([sink.addr], forward_data_timeout=1,
                          forward_timeout=1)
        self.ledger_case("stall", fd, [sink], L.volume(40), deadline=60,
                         retries=True)

    def test_stall_past_child_timeout(self):
        """A next hop that stalls at the final dot for longer than
        child_timeout (forward_data_timeout longer still): the child is
        killed (SIGALRM), the front sees the connection drop, sends again;
        the master replaces the child and cleans up after it."""
        sink = self.start(L.FaultSink(every(5, "DOT", "stall")))
        fd = self.filterd([sink.addr], forward_data_timeout=30,
                          forward_timeout=30, child_timeout=10)
        self.ledger_case("stall-child-timeout", fd, [sink], L.volume(20),
                         deadline=90, retries=True, counters="tolerant")


if __name__ == "__main__":
    unittest.main()
