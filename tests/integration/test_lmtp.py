"""test_lmtp - an LMTP listener replies once per recipient after the dot.

The next hop is a private Postfix reinjection smtpd that rejects one
recipient at RCPT and relays the others to an smtp-sink; filterd mirrors the
next hop's verdict recipient by recipient."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "sender@example.org"
GOOD1 = "good1@example.net"
BAD = "bad@example.net"
GOOD2 = "good2@example.net"
BAD_TEXT = "no such user here"
REJECT_BAD = h.reject_rcpt_restrictions(BAD, BAD_TEXT)

MSG = (b"From: sender@example.org\r\nTo: good1@example.net, "
       b"bad@example.net, good2@example.net\r\nSubject: lmtp test\r\n"
       b"Date: Mon, 23 Nov 2026 15:00:00 +0000\r\n"
       b"Message-ID: <lmtp-test@example.org>\r\n\r\n"
       b"one\r\n..two\r\nthree\r\n")


@unittest.skipUnless(h.IS_ROOT, "a private Postfix needs root")
class LmtpPostfixTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        front, dead_filter, reinj, lmtp = h.free_ports(4)
        cls.sink = h.Sink(cls.tmp, "sink")
        cls.postfix = h.Postfix(cls.tmp, front, dead_filter, reinj,
                                cls.sink.port,
                                reinj_rcpt_restrictions=REJECT_BAD)
        cls.fd = h.Filterd(cls.tmp, "fd", listen=[(lmtp, "lmtp", "default")],
                           banks={"default": {
                               "forward": ["127.0.0.1:%d" % reinj]}})
        cls.start_for_class(cls.sink, cls.postfix, cls.fd)

    def test_per_recipient_replies(self):
        c = h.SmtpClient(self.fd.port, timeout=30)
        self.addCleanup(c.close)
        self.assertEqual(c.greeting().code, 220)
        self.assertEqual(c.ehlo(verb="LHLO").code, 250)
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
        for r in (GOOD1, BAD, GOOD2):
            reply = c.cmd("RCPT TO:<%s>" % r)
            self.assertEqual(reply.code, 250, "%s: %r" % (r, reply))
        r354, first = c.data(MSG, 40)
        self.assertEqual(r354.code, 354, r354)
        replies = [first] + c.replies(2, 30)
        self.assertEqual(replies[0].code, 250, replies)
        self.assertEqual(replies[1].code, 554, replies)
        self.assertEqual(replies[1].enhanced, "5.7.1", replies)
        self.assertIn(BAD_TEXT, replies[1].text, replies)
        self.assertEqual(replies[2].code, 250, replies)
        self.assertEqual(c.cmd("QUIT").code, 221)

        self.assertTrue(self.sink.wait_count(1, 20),
                        "nothing relayed; postfix log:\n%s" %
                        self.postfix.log()[-3000:])
        dumps = self.sink.dumps()
        self.assertEqual(len(dumps), 1, dumps)
        self.assertEqual(dumps[0].sender, SENDER)
        self.assertEqual(sorted(dumps[0].rcpts), sorted([GOOD1, GOOD2]))
        self.assertEqual(h.strip_leading_received(dumps[0].body),
                         h.sink_view(MSG))
        lines = self.fd.wait_messages(1, 5) or []
        self.assertEqual(len(lines), 1, self.fd.log_text()[-2000:])
        # Partly rejected by the next hop: still "Passed CLEAN", with
        # whatever action set filterd logs for the mix.
        self.assertTrue(lines[0].passed, lines[0])
        self.assertEqual(lines[0].rcpts, [GOOD1, BAD, GOOD2], lines[0])


class LmtpSinkTest(h.PeerTestCase):
    """LMTP in, smtp-sink out: every recipient gets its own reply."""

    def lmtp_send(self, fd, rcpts):
        return h.send_message(fd.port, SENDER, rcpts, MSG, helo="LHLO",
                              timeout=30)

    def test_all_accepted(self):
        sink = h.Sink(self.tmp, "sink-ok").start()
        self.addCleanup(sink.stop)
        fd = h.Filterd(self.tmp, "fd-ok",
                       listen=[(h.free_port(), "lmtp", "default")],
                       banks={"default": {"forward": [sink.addr]}})
        fd.start()
        self.addCleanup(fd.stop)
        replies = self.lmtp_send(fd, [GOOD1, GOOD2, BAD])
        self.assertEqual([r.code for r in replies], [250, 250, 250],
                         replies)
        self.assertTrue(sink.wait_count(1, 10))
        dumps = sink.dumps()
        self.assertEqual(len(dumps), 1, dumps)
        self.assertEqual(dumps[0].rcpts, [GOOD1, GOOD2, BAD])
        self.assertEqual(dumps[0].body, h.sink_view(MSG))

    def test_all_hops_down(self):
        d1, d2 = h.refusing_ports(self, 2)
        fd = h.Filterd(self.tmp, "fd-down",
                       listen=[(h.free_port(), "lmtp", "default")],
                       banks={"default": {"forward": [
                           "127.0.0.1:%d" % d1, "127.0.0.1:%d" % d2]}})
        fd.start()
        self.addCleanup(fd.stop)
        replies = self.lmtp_send(fd, [GOOD1, GOOD2])
        self.assertEqual([r.code for r in replies], [451, 451], replies)
        self.assertEqual([r.enhanced for r in replies], ["4.4.1", "4.4.1"],
                         replies)


if __name__ == "__main__":
    unittest.main(verbosity=2)
