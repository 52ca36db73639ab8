"""test_protocol - filterd's SMTP/LMTP server side, byte by byte.

Each bad input gets its exact reply code and enhanced status code, and the
session stays usable afterwards where SMTP allows it.  Content is passed
through unchanged apart from dot-stuffing and line-end normalisation."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "sender@example.org"
LIMIT = 100000
SMTPD_TIMEOUT = 5


def simple_msg(tag):
    return (b"From: sender@example.org\r\nTo: rcpt@example.net\r\n"
            b"Subject: " + tag.encode() + b"\r\n\r\nbody of " +
            tag.encode() + b"\r\n")


def tricky_msg():
    """A message that exercises every transparency rule at once."""
    return b"".join([
        b"From: =?UTF-8?Q?J=C3=B6rg?= <sender@example.org>\r\n",
        b"To: rcpt@example.net\r\n",
        b"Subject: Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln \xe2\x80\x93 "
        b"\xe6\x97\xa5\xe6\x9c\xac\r\n",          # raw UTF-8 header value
        b"X-Latin1: caf\xe9 cr\xe8me\r\n",          # raw 8-bit, not UTF-8
        b"Message-ID: <tricky@example.org>\r\n",
        b"MIME-Version: 1.0\r\n",
        b"Content-Type: text/plain; charset=utf-8\r\n",
        b"Content-Transfer-Encoding: 8bit\r\n",
        b"\r\n",
        b"NUL bytes: a\x00b\x00\x00c\r\n",
        b"\x00 leading NUL\r\n",
        b"bare LF line one\nbare LF line two\n",
        b"CRLF line after bare LFs\r\n",
        b".\r\n",                                   # sent as ".."
        b".x\r\n",                                  # sent as "..x"
        b"..x\r\n",                                 # sent as "...x"
        b"...\r\n",                                 # sent as "...."
        b"middle . dot and trailing dot.\r\n",
        b"\r\n",
        b"long: " + b"0123456789" * 500 + b"\r\n",  # a 5006-byte line
        b"8-bit body: \xc3\xa4\xc3\xb6\xc3\xbc \xff\xfe\x80\r\n",
        b"tab\tand  spaces   \r\n",
        b".",                                       # last line: ".", no EOL
    ])


class ProtocolTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink = h.Sink(cls.tmp, "sink")
        smtp_port, lmtp_port = h.free_ports(2)
        cls.fd = h.Filterd(cls.tmp, "fd",
                           listen=[(smtp_port, "smtp", "default"),
                                   (lmtp_port, "lmtp", "default")],
                           banks={"default": {"forward": [cls.sink.addr]}},
                           smtpd_timeout=SMTPD_TIMEOUT,
                           message_size_limit=LIMIT, max_recipients=5)
        cls.start_for_class(cls.sink, cls.fd)
        cls.smtp_port = smtp_port
        cls.lmtp_port = lmtp_port

    # -- helpers ----------------------------------------------------------

    def client(self, port=None, ehlo=True, **kw):
        c = h.SmtpClient(port or self.smtp_port, **kw)
        self.addCleanup(c.close)
        g = c.greeting()
        self.assertEqual(g.code, 220, g)
        if ehlo:
            r = c.ehlo()
            self.assertEqual(r.code, 250, r)
        return c

    def expect(self, c, line, code, enhanced=None):
        r = c.cmd(line)
        self.assertEqual(r.code, code, "%r -> %r" % (line[:80], r))
        if enhanced:
            self.assertEqual(r.enhanced, enhanced,
                             "%r -> %r" % (line[:80], r))
        return r

    def rcpt(self):
        return "%s@example.net" % self.id().rsplit(".", 1)[-1]

    def dumps_for(self, rcpt):
        return [d for d in self.sink.dumps() if rcpt in d.rcpts]

    def wait_dump(self, rcpt, timeout=10):
        h.wait_until(lambda: self.dumps_for(rcpt), timeout)
        dumps = self.dumps_for(rcpt)
        self.assertEqual(len(dumps), 1, "dumps for %s: %r" % (rcpt, dumps))
        return dumps[0]

    def assert_nothing_for(self, rcpt):
        time.sleep(0.5)
        self.assertEqual(self.dumps_for(rcpt), [],
                         "message for %s was forwarded" % rcpt)

    def transaction(self, c, rcpt, msg, mail_params=""):
        self.expect(c, "MAIL FROM:<%s>%s" % (SENDER, mail_params), 250)
        self.expect(c, "RCPT TO:<%s>" % rcpt, 250)
        r354, final = c.data(msg)
        self.assertEqual(r354.code, 354, r354)
        return final

    # -- greeting and EHLO ------------------------------------------------

    def test_ehlo_extensions(self):
        c = self.client(ehlo=False)
        r = c.ehlo()
        self.assertEqual(r.code, 250, r)
        ext = c.extensions
        for kw in ("PIPELINING", "8BITMIME", "SMTPUTF8",
                   "ENHANCEDSTATUSCODES", "SIZE", "XFORWARD"):
            self.assertIn(kw, ext, r)
        self.assertEqual(ext["SIZE"], [str(LIMIT)], r)
        self.assertEqual(sorted(ext["XFORWARD"]), sorted(
            "NAME ADDR PORT PROTO HELO IDENT SOURCE".split()), r)

    def test_helo(self):
        c = self.client(ehlo=False)
        self.expect(c, "HELO client.example.org", 250)
        self.expect(c, "MAIL FROM:<%s>" % SENDER, 250)

    def test_lhlo_on_smtp_listener(self):
        c = self.client(ehlo=False)
        self.expect(c, "LHLO client.example.org", 502, "5.5.1")
        self.expect(c, "MAIL FROM:<%s>" % SENDER, 503, "5.5.1")
        self.expect(c, "EHLO client.example.org", 250)

    def test_ehlo_helo_on_lmtp_listener(self):
        c = self.client(self.lmtp_port, ehlo=False)
        self.expect(c, "EHLO client.example.org", 502, "5.5.1")
        self.expect(c, "HELO client.example.org", 502, "5.5.1")
        r = c.ehlo(verb="LHLO")
        self.assertEqual(r.code, 250, r)
        self.assertIn("PIPELINING", c.extensions, r)
        self.assertIn("ENHANCEDSTATUSCODES", c.extensions, r)

    # -- bad input --------------------------------------------------------

    def test_command_line_too_long(self):
        c = self.client()
        self.expect(c, "NOOP " + "x" * 3000, 500, "5.5.2")
        self.expect(c, "NOOP", 250)
        self.expect(c, "MAIL FROM:<%s> X=%s" % (SENDER, "y" * 5000),
                    500, "5.5.2")
        self.expect(c, "NOOP", 250)
        # The long line left no transaction behind, and a normal one works.
        final = self.transaction(c, self.rcpt(), simple_msg("long"))
        self.assertEqual(final.code, 250, final)
        self.wait_dump(self.rcpt())

    def test_bad_sequence(self):
        c = self.client(ehlo=False)
        self.expect(c, "MAIL FROM:<%s>" % SENDER, 503, "5.5.1")
        self.expect(c, "EHLO client.example.org", 250)
        self.expect(c, "RCPT TO:<%s>" % self.rcpt(), 503, "5.5.1")
        self.expect(c, "DATA", 503, "5.5.1")
        self.expect(c, "MAIL FROM:<%s>" % SENDER, 250)
        self.expect(c, "DATA", 503, "5.5.1")
        self.expect(c, "MAIL FROM:<other@example.org>", 503, "5.5.1")
        self.expect(c, "RCPT TO:<%s>" % self.rcpt(), 250)
        r354, final = c.data(simple_msg("sequence"))
        self.assertEqual(r354.code, 354, r354)
        self.assertEqual(final.code, 250, final)
        d = self.wait_dump(self.rcpt())
        self.assertEqual(d.sender, SENDER, "the second MAIL replaced the "
                         "first one")

    def test_unknown_command(self):
        c = self.client()
        self.expect(c, "FROB nicate", 502, "5.5.2")
        self.expect(c, "NOOP", 250)

    def test_rset_noop_quit(self):
        c = self.client()
        self.expect(c, "NOOP", 250)
        self.expect(c, "RSET", 250)
        self.expect(c, "MAIL FROM:<%s>" % SENDER, 250)
        self.expect(c, "RCPT TO:<%s>" % self.rcpt(), 250)
        self.expect(c, "RSET", 250)
        self.expect(c, "DATA", 503, "5.5.1")    # RSET ended the transaction
        self.expect(c, "MAIL FROM:<%s>" % SENDER, 250)
        self.expect(c, "RSET", 250)
        self.expect(c, "QUIT", 221)
        self.assertTrue(c.at_eof(5), "connection still open after QUIT")
        self.assert_nothing_for(self.rcpt())

    def test_too_many_recipients(self):
        c = self.client()
        self.expect(c, "MAIL FROM:<%s>" % SENDER, 250)
        rcpts = ["r%d-%s" % (i, self.rcpt()) for i in range(7)]
        for r in rcpts[:5]:
            self.expect(c, "RCPT TO:<%s>" % r, 250)
        for r in rcpts[5:]:
            self.expect(c, "RCPT TO:<%s>" % r, 452, "4.5.3")
        r354, final = c.data(simple_msg("rcpts"))
        self.assertEqual(final.code, 250, final)
        d = self.wait_dump(rcpts[0])
        self.assertEqual(d.rcpts, rcpts[:5])

    def test_size_parameter_too_big(self):
        c = self.client()
        self.expect(c, "MAIL FROM:<%s> SIZE=%d" % (SENDER, LIMIT + 1),
                    552, "5.3.4")
        self.expect(c, "NOOP", 250)
        self.expect(c, "MAIL FROM:<%s> SIZE=%d" % (SENDER, 1000), 250)
        self.expect(c, "RCPT TO:<%s>" % self.rcpt(), 250)
        r354, final = c.data(simple_msg("size"))
        self.assertEqual(final.code, 250, final)
        self.wait_dump(self.rcpt())

    def test_message_too_big(self):
        c = self.client()
        big = simple_msg("big") + (b"z" * 998 + b"\r\n") * 150
        final = self.transaction(c, self.rcpt(), big)
        self.assertEqual(final.code, 552, final)
        self.assertEqual(final.enhanced, "5.3.4", final)
        self.assert_nothing_for(self.rcpt())
        self.expect(c, "NOOP", 250)
        rcpt2 = "after-" + self.rcpt()
        final = self.transaction(c, rcpt2, simple_msg("after big"))
        self.assertEqual(final.code, 250, final)
        self.wait_dump(rcpt2)

    def test_idle_timeout(self):
        c = self.client(timeout=SMTPD_TIMEOUT + 10)
        t0 = time.monotonic()
        try:
            r = c.reply(SMTPD_TIMEOUT + 8)
        except h.SmtpError as e:
            self.fail("no 421 4.4.2 after %.1f s idle: %s" % (
                time.monotonic() - t0, e))
        waited = time.monotonic() - t0
        self.assertEqual(r.code, 421, r)
        self.assertEqual(r.enhanced, "4.4.2", r)
        self.assertGreaterEqual(waited, SMTPD_TIMEOUT - 1.5)
        self.assertTrue(c.at_eof(5), "not closed after 421")

    def test_junk_commands_do_not_keep_a_session(self):
        """Only a message moves the idle clock: a client that gives MAIL
        and RCPT, RSET, NOOP... every half second and never DATA gets
        421 4.4.2 once smtpd_timeout has passed since its last message
        (here: since it connected), and the connection closes. Before,
        each command reset smtpd_timeout and the child was held for as
        long as the client liked (test_attack12 DripAttack)."""
        c = self.client(timeout=SMTPD_TIMEOUT + 10)
        cmds = ["MAIL FROM:<%s>" % SENDER, "RCPT TO:<%s>" % self.rcpt(),
                "RSET", "NOOP", "EHLO again.example.org", "VRFY x"]
        codes = []
        for i in range(SMTPD_TIMEOUT * 4):  # at most 2 x smtpd_timeout
            try:
                r = c.cmd(cmds[i % len(cmds)])
            except h.SmtpError:
                codes.append("closed")
                break
            codes.append(r.code)
            if r.code == 421:
                break
            time.sleep(0.5)
        self.assertEqual(codes[-1], 421, codes)
        self.assertEqual(r.enhanced, "4.4.2", r)
        self.assertTrue(c.at_eof(5), "not closed after 421")
        self.assertIn("ended: no message in %d s" % SMTPD_TIMEOUT,
                      self.fd.log_text())

    def test_cached_connection_carries_messages_past_smtpd_timeout(self):
        """Postfix's connection cache: a session carries message after
        message, idle a while between them, each time RSET and then
        MAIL; each message starts the idle clock again, so the session
        lives on well past smtpd_timeout, as with amavisd-new."""
        c = self.client(timeout=SMTPD_TIMEOUT + 10)
        rcpt = self.rcpt()
        t0 = time.monotonic()
        for i in range(3):
            if i:
                time.sleep(SMTPD_TIMEOUT * 0.5)
                self.expect(c, "RSET", 250)
            final = self.transaction(c, rcpt, simple_msg("cached %d" % i))
            self.assertEqual(final.code, 250, final)
        self.assertGreater(time.monotonic() - t0, SMTPD_TIMEOUT)
        self.expect(c, "QUIT", 221)
        h.wait_until(lambda: len(self.dumps_for(rcpt)) >= 3, 10)
        self.assertEqual(len(self.dumps_for(rcpt)), 3)

    # -- XFORWARD ---------------------------------------------------------

    def test_xforward_from_mynetworks(self):
        c = self.client()
        self.expect(c, "XFORWARD NAME=spike.example.com ADDR=192.0.2.77 "
                    "PORT=4711 PROTO=ESMTP", 250)
        self.expect(c, "XFORWARD HELO=spike.example.com IDENT=4QXYZ123 "
                    "SOURCE=REMOTE", 250)
        final = self.transaction(c, self.rcpt(), simple_msg("xforward"))
        self.assertEqual(final.code, 250, final)
        self.wait_dump(self.rcpt())
        lines = [l for l in self.fd.message_lines()
                 if self.rcpt() in l.rcpts]
        self.assertEqual(len(lines), 1, self.fd.log_text()[-2000:])
        self.assertIn("192.0.2.77", lines[0].text)
        self.assertEqual(lines[0].queue_id, "4QXYZ123", lines[0])

    def test_xforward_outside_mynetworks(self):
        sink = h.Sink(self.tmp, "sink-xf").start()
        self.addCleanup(sink.stop)
        fd = h.Filterd(self.tmp, "fd-xf", mynetworks=["127.0.0.2/32"],
                       banks={"default": {"forward": [sink.addr]}})
        fd.start()
        self.addCleanup(fd.stop)
        c = self.client(fd.port, ehlo=False)
        r = c.ehlo()
        self.assertEqual(r.code, 250, r)
        self.assertNotIn("XFORWARD", c.extensions,
                         "XFORWARD offered outside mynetworks")
        self.expect(c, "XFORWARD ADDR=192.0.2.77", 550, "5.7.0")
        self.expect(c, "NOOP", 250)

    # -- content ----------------------------------------------------------

    def check_passthrough(self, msg, mail_params):
        c = self.client()
        final = self.transaction(c, self.rcpt(), msg, mail_params)
        self.assertEqual(final.code, 250, final)
        d = self.wait_dump(self.rcpt())
        self.assertEqual(d.sender, SENDER)
        want = h.sink_view(msg)
        if d.body != want:
            self.fail("content changed in transit:\n%s" % describe_diff(
                want, d.body))

    def wire_filterd(self):
        """A filterd of its own whose next hop records the wire bytes and,
        unlike smtp-sink, offers SMTPUTF8."""
        wire = h.WireSink().start()
        self.addCleanup(wire.stop)
        fd = h.Filterd(self.tmp, "fd-" + self.id().rsplit(".", 1)[-1],
                       banks={"default": {"forward": [wire.addr]}},
                       message_size_limit=LIMIT)
        fd.start()
        self.addCleanup(fd.stop)
        return fd, wire

    def check_wire(self, msg, mail_params):
        fd, wire = self.wire_filterd()
        c = self.client(fd.port)
        final = self.transaction(c, self.rcpt(), msg, mail_params)
        self.assertEqual(final.code, 250, final)
        self.assertTrue(wire.wait_count(1, 10), "nothing forwarded")
        self.assertEqual(len(wire.transactions), 1)
        tx = wire.transactions[0]
        self.assertEqual(tx.sender, SENDER, tx.mail)
        self.assertEqual(tx.rcpts, [b"RCPT TO:<%s>" % self.rcpt().encode()])
        # On the wire: bare LF became CRLF, dots stuffed, nothing else.
        want = h.data_payload(h.crlf(msg))[:-3]
        if tx.data != want:
            self.fail("wire bytes differ:\n%s" % describe_diff(want,
                                                               tx.data))
        return tx

    def test_content_passthrough_8bitmime(self):
        self.check_passthrough(tricky_msg(), " BODY=8BITMIME")

    def test_content_on_the_wire_8bitmime(self):
        tx = self.check_wire(tricky_msg(), " BODY=8BITMIME")
        self.assertIn(b"BODY=8BITMIME", tx.mail.upper())

    def test_content_on_the_wire_smtputf8(self):
        # smtp-sink does not offer SMTPUTF8, and filterd (rightly) will not
        # send a message that needs it to a hop that lacks it; this next
        # hop offers it.
        tx = self.check_wire(tricky_msg(), " SMTPUTF8 BODY=8BITMIME")
        self.assertIn(b"SMTPUTF8", tx.mail.upper())
        self.assertIn(b"BODY=8BITMIME", tx.mail.upper())

    def test_pipelined_commands(self):
        c = self.client()
        r1, r2 = "p1-" + self.rcpt(), "p2-" + self.rcpt()
        c.send("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n"
               % (SENDER, r1, r2))
        codes = [r.code for r in c.replies(4)]
        self.assertEqual(codes, [250, 250, 250, 354])
        msg = simple_msg("pipelined")
        c.send(h.data_payload(msg))
        final = c.reply(30)
        self.assertEqual(final.code, 250, final)
        # Pipelined: the next transaction and QUIT in one write.
        r3 = "p3-" + self.rcpt()
        c.send("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (SENDER, r3))
        self.assertEqual([r.code for r in c.replies(3)], [250, 250, 354])
        c.send(h.data_payload(msg) + b"QUIT\r\n")
        self.assertEqual(c.reply(30).code, 250)
        self.assertEqual(c.reply().code, 221)
        d = self.wait_dump(r1)
        self.assertEqual(d.rcpts, [r1, r2])
        self.assertEqual(d.body, h.sink_view(msg))
        self.wait_dump(r3)

    def test_terminator_split_across_writes(self):
        c = self.client()
        self.expect(c, "MAIL FROM:<%s>" % SENDER, 250)
        self.expect(c, "RCPT TO:<%s>" % self.rcpt(), 250)
        self.expect(c, "DATA", 354)
        # Lines: "first", "..x", "..", "last line", then the terminator,
        # every boundary falling somewhere awkward.
        pieces = [b"Subject: split\r\n\r\nfirst\r", b"\n.", b".x\r\n",
                  b".", b".", b"\r", b"\nlast line", b"\r", b"\n", b".",
                  b"\r", b"\n"]
        for p in pieces:
            c.send(p)
            time.sleep(0.05)
        final = c.reply(30)
        self.assertEqual(final.code, 250, final)
        self.expect(c, "NOOP", 250)
        d = self.wait_dump(self.rcpt())
        self.assertEqual(d.body, b"Subject: split\n\nfirst\n.x\n.\nlast line\n")

    def test_terminator_in_one_byte_writes(self):
        c = self.client()
        self.expect(c, "MAIL FROM:<%s>" % SENDER, 250)
        self.expect(c, "RCPT TO:<%s>" % self.rcpt(), 250)
        self.expect(c, "DATA", 354)
        c.send(b"Subject: bytes\r\n\r\nno newline at end")
        for b in b"\r\n.\r\n":
            time.sleep(0.05)
            c.send(bytes([b]))
        final = c.reply(30)
        self.assertEqual(final.code, 250, final)
        d = self.wait_dump(self.rcpt())
        self.assertEqual(d.body, b"Subject: bytes\n\nno newline at end\n")


def describe_diff(want, got):
    n = 0
    while n < min(len(want), len(got)) and want[n] == got[n]:
        n += 1
    return ("first difference at byte %d (want %d bytes, got %d)\n"
            "want: %r\ngot:  %r" % (n, len(want), len(got),
                                     want[max(0, n - 40):n + 60],
                                     got[max(0, n - 40):n + 60]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
