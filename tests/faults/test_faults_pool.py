"""test_faults_pool - the fault matrix: more clients than children.

A flood of sessions above max_servers waits in the listen backlog and
is served, none refused and none lost; stalled clients holding every
child are freed by smtpd_timeout, while the master says (once, not once
per connection) that the pool is exhausted and filterd-nanny shows it.
Each case ends with the ledger (ledger.py).
"""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ledger as L  # noqa: E402
from ledger import h  # noqa: E402

EXHAUSTED_RE = re.compile(r"pool exhausted: all (\d+) children busy")


class TestPool(L.FaultCase):
    max_servers = 3

    def test_flood_above_max_servers(self):
        """Seven times max_servers sessions at once: each waits in the
        backlog for a child; none is refused, no message needs a retry."""
        sink = self.start(h.Sink(self.tmp, name="sink-flood"))
        fd = self.filterd([sink.addr], min_servers=1)
        sessions = (33 if L.LONG else 7) * self.max_servers
        self.ledger_case("flood", fd, [sink], L.volume(63, 297),
                         sessions=sessions,
                         per_session=3, retries=False)
        q = self.sender
        self.assertEqual(q.connect_failures, 0)
        retried = [e.lid for e in self.ledger.entries.values()
                   if e.attempts != 1]
        self.assertEqual(retried, [], "messages sent more than once")
        self.assertIsNotNone(EXHAUSTED_RE.search(fd.log_text()),
                             "the master did not say the pool was "
                             "exhausted")

    def test_stalled_clients_hold_every_child(self):
        """max_servers clients that say nothing after the greeting hold
        every child: the master logs once that the pool is exhausted, the
        nanny shows it, smtpd_timeout frees the children (421 4.4.2 to
        the stalled clients), then the queued senders are served."""
        sink = self.start(h.Sink(self.tmp, name="sink-stall"))
        fd = self.filterd([sink.addr], min_servers=1, smtpd_timeout=2)
        stalled = []
        for _ in range(self.max_servers):
            c = h.SmtpClient(fd.port, timeout=10)
            self.addCleanup(c.close)
            self.assertEqual(c.greeting().code, 220)
            stalled.append(c)
        shown = h.wait_until(lambda: L.nanny(fd).get("exhausted"), 1.5,
                             0.05)
        self.assertTrue(shown, "nanny does not show the exhausted pool: %s"
                        % L.json_short(L.nanny(fd)))
        self.ledger_case("stalled", fd, [sink], L.volume(40), retries=False)
        for c in stalled:
            r = c.reply(5)
            self.assertEqual((r.code, r.enhanced), (421, "4.4.2"), r)
        lines = EXHAUSTED_RE.findall(fd.log_text())
        self.assertEqual(lines, [str(self.max_servers)],
                         "want one line (rate-limited):\n%s" % "\n".join(
                             l for l in fd.log_lines() if "exhaust" in l))
        self.assertFalse(L.nanny(fd).get("exhausted"))


    def test_clients_stalling_inside_data(self):
        """Every 5th message stalls half-way through its data, on its
        first try, for longer than smtpd_timeout: 421 4.4.2, nothing of
        it goes anywhere; the retry goes through."""
        sink = self.start(h.Sink(self.tmp, name="sink-datastall"))
        fd = self.filterd([sink.addr], smtpd_timeout=1)

        def pause(e):
            return 2.0 if e.attempts == 1 and \
                int(e.lid.rsplit("-", 1)[1]) % 5 == 4 else 0
        r = self.ledger_case("data-stall", fd, [sink], L.volume(40),
                             data_pause=pause, retries=True)
        self.assertEqual(r.retried, L.volume(40) // 5)
        self.assertIn("4.4.2", " ".join(
            x for e in self.ledger.entries.values() for x in e.replies))


if __name__ == "__main__":
    unittest.main()
