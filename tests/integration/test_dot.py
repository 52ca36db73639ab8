"""test_dot - a line "." that does not end the data keeps its dot.

Only CR LF "." CR LF ends the data. A "." line after a bare LF (or ended
by one) is content: RFC 5321 4.5.2 removes a leading dot only when other
characters follow it, so the next hop must get that line, dot-stuffed
("..") on the wire, and the lines around it unchanged. A WireSink keeps
the exact bytes filterd sends."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
HEAD = b"Subject: dots\r\n\r\n"


class DotAfterBareLfTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wire = h.WireSink()
        cls.fd = h.Filterd(cls.tmp, "fd",
                           banks={"default": {"forward": [cls.wire.addr]}})
        cls.start_for_class(cls.wire, cls.fd)

    def relay(self, payload):
        """Send payload (already on-the-wire form, with its terminator)
        and return the DATA bytes the next hop got (still stuffed)."""
        before = len(self.wire.transactions)
        with h.SmtpClient(self.fd.port, timeout=30) as c:
            self.assertEqual(c.greeting().code, 220)
            self.assertEqual(c.ehlo().code, 250)
            self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
            self.assertEqual(c.cmd("RCPT TO:<%s>" % RCPT).code, 250)
            self.assertEqual(c.cmd("DATA").code, 354)
            c.send(payload)
            r = c.reply(30)
            self.assertEqual(r.code, 250, r)
            self.assertEqual(c.cmd("QUIT").code, 221)
        self.assertTrue(self.wire.wait_count(before + 1, 10))
        data = self.wire.transactions[before].data
        # filterd adds its own header fields in front: look at the body.
        return data[data.index(b"\r\n\r\n") + 4:]

    def test_dot_crlf_after_bare_lf_is_content(self):
        body = self.relay(HEAD + b"a\n.\r\nb\r\n.\r\n")
        self.assertEqual(body, b"a\r\n..\r\nb\r\n")

    def test_dot_bare_lf_is_content(self):
        body = self.relay(HEAD + b"a\r\n.\nb\r\n.\r\n")
        self.assertEqual(body, b"a\r\n..\r\nb\r\n")

    def test_stuffed_dots_after_bare_lf_are_unstuffed(self):
        body = self.relay(HEAD + b"a\n..\r\nb\n.x\r\n.\r\n")
        # ".." is a stuffed ".", ".x" a stuffed "x" (the leading dot of
        # a line with more on it goes, bare LF or not); on the wire the
        # "." is stuffed again.
        self.assertEqual(body, b"a\r\n..\r\nb\r\nx\r\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
