"""test_dsn - SMTP in, next hop refuses some recipients for good.

One SMTP reply cannot say "delivered to these, refused for those". Like
amavisd-new, filterd then sends the sender a DSN itself (through the bank's
notify hops) and answers 250; when the DSN cannot be sent, the message is
temporarily failed instead, so that no refusal is lost. The next hop is a
real Postfix reinjection smtpd that refuses one recipient."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "sender@example.org"
GOOD = "good@example.net"
BAD = "bad@example.net"
BAD_TEXT = "no such user here"
REJECT_BAD = h.reject_rcpt_restrictions(BAD, BAD_TEXT)
MSG = (b"From: sender@example.org\r\nTo: good@example.net, bad@example.net\r\n"
       b"Subject: dsn test\r\nMessage-ID: <dsn-test@example.org>\r\n\r\n"
       b"hello\r\n")


@unittest.skipUnless(h.IS_ROOT, "a private Postfix needs root")
class DsnTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        front, dead_filter, cls.reinj = h.free_ports(3)
        cls.sink = h.Sink(cls.tmp, "sink")
        cls.postfix = h.Postfix(cls.tmp, front, dead_filter, cls.reinj,
                                cls.sink.port,
                                reinj_rcpt_restrictions=REJECT_BAD)
        cls.start_for_class(cls.sink, cls.postfix)

    def filterd(self, name, notify):
        fd = h.Filterd(self.tmp, name, banks={"default": {
            "forward": ["127.0.0.1:%d" % self.reinj], "notify": notify}})
        fd.start()
        self.addCleanup(fd.stop)
        return fd

    def dumps_for(self, rcpt, before):
        """The dumps for rcpt that were not there before."""
        return [d for d in self.sink.dumps()
                if rcpt in d.rcpts and d.path not in before]

    def test_mixed_refusal_sends_a_dsn_and_250(self):
        fd = self.filterd("fd-dsn", ["127.0.0.1:%d" % self.reinj])
        seen = {d.path for d in self.sink.dumps()}
        before = len(seen)
        replies = h.send_message(fd.port, SENDER, [GOOD, BAD], MSG,
                                 timeout=30)
        final = replies
        self.assertEqual(final.code, 250, replies)
        self.assertTrue(self.sink.wait_count(before + 2, 20),
                        self.postfix.log()[-3000:])
        original = self.dumps_for(GOOD, seen)
        self.assertEqual(len(original), 1)
        self.assertEqual(original[0].rcpts, [GOOD])
        dsn = self.dumps_for(SENDER, seen)
        self.assertEqual(len(dsn), 1, self.sink.dumps())
        self.assertEqual(dsn[0].sender, "")
        body = dsn[0].body.decode("utf-8", "replace")
        self.assertIn("multipart/report; report-type=delivery-status", body)
        self.assertIn("Final-Recipient: rfc822; %s" % BAD, body)
        self.assertIn("Action: failed", body)
        self.assertIn("Status: 5.7.1", body)
        self.assertIn("Diagnostic-Code: smtp; 554 5.7.1", body)
        self.assertIn(BAD_TEXT, body)
        self.assertIn("The next mail server refused it", body)
        self.assertIn("It was delivered to its other recipients.", body)
        self.assertNotIn("content filter blocked", body)
        self.assertIn("Message-ID: <dsn-test@example.org>", body)
        self.assertNotIn("Final-Recipient: rfc822; %s" % GOOD, body)
        log = fd.log_text()
        self.assertIn("{RelayedInbound,BouncedInbound}", log)
        self.assertIn("sender notified: DSN", log)

    def test_dsn_not_deliverable_means_4xx(self):
        dead, = h.refusing_ports(self, 1)
        fd = self.filterd("fd-nodsn", ["127.0.0.1:%d" % dead])
        replies = h.send_message(fd.port, SENDER, [GOOD, BAD], MSG,
                                 timeout=30)
        final = replies
        self.assertEqual((final.code, final.enhanced), (451, "4.3.0"),
                         replies)
        self.assertIn("cannot send the DSN now", final.text)
        self.assertIn("cannot send DSN", fd.log_text())

    def test_null_sender_gets_no_dsn(self):
        fd = self.filterd("fd-null", ["127.0.0.1:%d" % self.reinj])
        before = len(self.sink.dumps())
        replies = h.send_message(fd.port, "", [GOOD, BAD], MSG, timeout=30)
        self.assertEqual(replies.code, 250, replies)
        self.assertTrue(self.sink.wait_count(before + 1, 20))
        self.assertIn("{RelayedInbound,NoBounceInbound}", fd.log_text())
        self.assertIn("no DSN (null sender)", fd.log_text())
        self.assertEqual(len(self.sink.dumps()), before + 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
