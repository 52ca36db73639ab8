"""test_reuse - next-hop sessions are kept between messages (issue 6).

Like amavis' connection cache: after a message the child keeps its session
to the next hop open, probes it with RSET before the next message, and
opens a fresh one without error when the next hop has closed it."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

MSG = b"Subject: reuse\r\n\r\nhello\r\n"


class ReuseTest(h.PeerTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def one_child(self, sink, **conf):
        return self.start(h.Filterd(
            self.tmp, "fd", banks={"default": {"forward": [sink.addr]}},
            min_servers=1, max_servers=1, **conf))

    def send(self, fd, n):
        for i in range(n):
            r = h.send_message(fd.port, "a@example.org", ["b@example.net"],
                               MSG, timeout=20)
            self.assertEqual(r.code, 250, r)

    def test_one_session_for_many_messages(self):
        sink = self.start(h.WireSink())
        fd = self.one_child(sink)
        self.send(fd, 5)
        self.assertTrue(h.wait_until(lambda: len(sink.transactions) == 5, 10))
        self.assertEqual(len(sink.conns), 1,
                         "5 messages from one child took %d next-hop "
                         "sessions" % len(sink.conns))

    def test_probe_and_xforward_ride_with_the_envelope(self):
        """With PIPELINING, a kept session's RSET probe and XFORWARD go out
        in one write with MAIL, RCPT and DATA: one round trip before the
        data, and the client attributes still reach the next hop."""
        sink = self.start(h.WireSink())
        fd = self.one_child(sink)
        self.send(fd, 3)
        self.assertTrue(h.wait_until(lambda: len(sink.transactions) == 3, 10))
        self.assertEqual(len(sink.conns), 1)
        with sink.lock:
            batches = [b for b in sink.batches if "MAIL" in b]
        self.assertEqual(len(batches), 3, batches)
        # the first message opened the session: no probe
        self.assertEqual(batches[0][0], "XFORWARD", batches[0])
        for b in batches[1:]:
            self.assertEqual(b[0], "RSET", b)
            self.assertEqual(b[-3:], ["MAIL", "RCPT", "DATA"], b)
            self.assertIn("XFORWARD", b)
        for tx in sink.transactions:
            self.assertTrue(any(b"ADDR=127.0.0.1" in x for x in tx.xforward),
                            tx.xforward)

    def test_cache_off_means_one_session_per_message(self):
        sink = self.start(h.WireSink())
        fd = self.one_child(sink, forward_cache_time=0)
        self.send(fd, 3)
        self.assertTrue(h.wait_until(lambda: len(sink.transactions) == 3, 10))
        self.assertEqual(len(sink.conns), 3)

    def test_stale_session_is_replaced_quietly(self):
        """smtp-sink closes idle sessions after -t seconds; the next message
        goes through a fresh session, with no failure logged."""
        sink = self.start(h.Sink(self.tmp, "sink", args=["-t", "1"]))
        fd = self.one_child(sink)
        self.send(fd, 1)
        time.sleep(2.5)  # the sink has dropped the kept session by now
        self.send(fd, 1)
        self.assertEqual(sink.wait_count(2, 10), 2)
        self.assertNotIn("failed", fd.log_text())

    def test_cached_session_expires(self):
        sink = self.start(h.WireSink())
        fd = self.one_child(sink, forward_cache_time=1)
        self.send(fd, 1)
        time.sleep(2.2)
        self.send(fd, 1)
        self.assertTrue(h.wait_until(lambda: len(sink.transactions) == 2, 10))
        self.assertEqual(len(sink.conns), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
