"""test_postfix - filterd as a real Postfix content filter.

swaks -> front smtpd -> scan (content_filter) -> filterd -> reinjection
smtpd -> smtp-sink.  The message arrives intact with its envelope, filterd
logs the XFORWARD client and Postfix's queue ID, and while filterd is down
mail waits in Postfix's queue and arrives once filterd is back."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
CLIENT = "127.0.0.5"      # swaks connects from here; Postfix from 127.0.0.1


def message(tag):
    # Every header Postfix would otherwise add is present, so the only
    # change on the way is the Received: headers Postfix prepends.
    return ("From: Sender <sender@example.org>\n"
            "To: Rcpt <rcpt@example.net>\n"
            "Subject: through postfix (%s)\n"
            "Date: Mon, 23 Nov 2026 15:00:00 +0000\n"
            "Message-ID: <%s@example.org>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=us-ascii\n"
            "\n"
            "first body line of %s\n"
            ".a line that starts with a dot\n"
            "..two dots\n"
            "\n"
            "%s\n"
            "last line\n" % (tag, tag, tag, "x" * 900)).encode()


@unittest.skipUnless(h.IS_ROOT, "a private Postfix needs root")
class PostfixTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        front, filt, reinj = h.free_ports(3)
        cls.sink = h.Sink(cls.tmp, "sink")
        cls.postfix = h.Postfix(cls.tmp, front, filt, reinj, cls.sink.port)
        cls.fd = h.Filterd(cls.tmp, "fd", listen=[(filt, "smtp", "default")],
                           banks={"default": {
                               "forward": ["127.0.0.1:%d" % reinj]}})
        cls.start_for_class(cls.sink, cls.postfix, cls.fd)

    def send(self, tag):
        path = self.tmp.file(tag + ".eml")
        with open(path, "wb") as f:
            # swaks ends DATA with CRLF.CRLF after the data it was given, so
            # a final newline in the file would become an extra empty line.
            f.write(message(tag)[:-1])
        status, out, qid = h.swaks(self.postfix.front_port, SENDER, RCPT,
                                   path, source=CLIENT)
        self.assertEqual(status, 0, out)
        self.assertTrue(qid, "no queue ID in swaks output:\n" + out)
        return qid

    def dumps_with(self, tag):
        return [d for d in self.sink.dumps()
                if ("(%s)" % tag).encode() in d.body]

    def wait_arrival(self, tag, timeout=20):
        ok = h.wait_until(lambda: self.dumps_with(tag), timeout, 0.1)
        self.assertTrue(ok, "%s not delivered; queue:\n%s\npostfix log:\n%s"
                        "\nfilterd log:\n%s" % (
                            tag, self.postfix.queue(),
                            self.postfix.log()[-3000:],
                            self.fd.log_text()[-2000:]))
        dumps = self.dumps_with(tag)
        self.assertEqual(len(dumps), 1, dumps)
        d = dumps[0]
        self.assertEqual(d.sender, SENDER)
        self.assertEqual(d.rcpts, [RCPT])
        self.assertEqual(h.strip_leading_received(d.body),
                         h.sink_view(message(tag)))
        return d

    def log_line_for(self, qid):
        ok = h.wait_until(lambda: [l for l in self.fd.message_lines()
                                   if l.queue_id == qid], 10)
        self.assertTrue(ok, "no log line with Queue-ID: %s in:\n%s" % (
            qid, self.fd.log_text()[-3000:]))
        lines = [l for l in self.fd.message_lines() if l.queue_id == qid]
        self.assertEqual(len(lines), 1, lines)
        return lines[0]

    def check_log_line(self, line):
        self.assertEqual(line.result, h.PASSED, line)
        self.assertIn("[%s]" % CLIENT, line.text,
                      "XFORWARD ADDR not in the log line")
        self.assertEqual(line.sender, SENDER, line)
        self.assertEqual(line.rcpts, [RCPT], line)
        self.assertEqual(len(line.mail_id or ""), 12, line)
        # queued_as: the reinjection smtpd's queue ID of the message.
        self.assertTrue(re.match(r"[0-9A-Za-z]{6,}$", line.queued_as or ""),
                        line)
        self.assertRegex(self.postfix.log(), r"postfix/smtpd\[\d+\]: %s: "
                         r"client=" % re.escape(line.queued_as),
                         "queued_as is not a queue ID of Postfix")

    def test_1_relay_through_postfix(self):
        qid = self.send("first")
        self.wait_arrival("first")
        self.check_log_line(self.log_line_for(qid))

    def test_2_filter_down_mail_stays_queued(self):
        self.fd.stop()
        self.assertFalse(self.fd.running())
        qid = self.send("second")

        def deferred():
            q = self.postfix.queue()
            return qid in q and re.search(
                r"\((?:connect to [^)]*Connection refused|[^)]*\b4\d\d\b"
                r"[^)]*)\)", q) and q
        q = h.wait_until(deferred, 20, 0.2)
        self.assertTrue(q, "message not deferred; queue:\n%s\nlog:\n%s" % (
            self.postfix.queue(), self.postfix.log()[-2000:]))
        self.assertEqual(self.dumps_with("second"), [],
                         "delivered while filterd was down")

        self.fd.start()
        self.postfix.flush_until(lambda: self.dumps_with("second"), 40)
        self.wait_arrival("second", 5)
        self.check_log_line(self.log_line_for(qid))
        self.assertTrue(h.wait_until(lambda: qid not in
                                     self.postfix.queue_ids(), 10),
                        self.postfix.queue())
        # Nothing lost and nothing doubled: one copy of each message.
        self.assertEqual(len(self.dumps_with("first")), 1)
        self.assertEqual(len(self.dumps_with("second")), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
