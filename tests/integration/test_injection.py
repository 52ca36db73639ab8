"""test_injection - text from a message or a peer never forges a reply or a
log line, and outcomes never count as client errors.

Reply injection: a banned zip member whose name holds CR LF and a complete
"250 ..." reply must give the front MTA exactly one reply line per reply
(SMTP: one for the DATA; LMTP: one per recipient), each at most 512 octets
with its CR LF (RFC 5321 4.5.3.1.5), printable ASCII only; the command after
it gets its own reply. A next hop whose refusal text holds control and 8-bit
bytes has them passed on escaped. filterd's log (stderr, -f) gets no forged
line and no control bytes.

Error limit: per-recipient outcomes (policy rejects, a next hop's refusals)
are not client errors: an LMTP session with 25 refused recipients goes on
to its next message; 20 client errors still end it with 421.

The ClamAV/banned setup is test_checks' (a signature DB built at run time);
the refusing next hop is scripted here (Python threads, loopback only)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_checks as tc  # noqa: E402

SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
FORGED_NAME = "notes\r\n250 2.0.0 forged reply\r\nx.scr"
HOP_TEXT = b"bad\x01ctl\x7fdel\xffhigh\rcr user"
HOP_TEXT_SAFE = b"bad\\x01ctl\\x7fdel\\xffhigh\\rcr user"
REPLY_MAX = 512  # octets of one reply line with its CR LF


class RefusingHop(h.ScriptedServer):
    """RefusingHop - a next hop that refuses every recipient at RCPT with
    "550 5.1.1 " + text (raw bytes, as given), or with at="DATA" takes
    the recipients and answers DATA with "451 4.3.0 " + text; everything
    else is accepted as a plain SMTP server without extensions would."""

    def __init__(self, text, at="RCPT"):
        super().__init__(backlog=16)
        self.text = text
        self.at = at

    def serve(self, conn):
        buf = b""
        conn.sendall(b"220 refusing-hop ESMTP\r\n")
        while not self.stopping.is_set():
            while b"\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\n", 1)
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb in (b"EHLO", b"HELO", b"LHLO"):
                out = b"250 refusing-hop"
            elif verb == b"MAIL":
                out = b"250 2.1.0 Ok"
            elif verb == b"RCPT" and self.at == "RCPT":
                out = b"550 5.1.1 " + self.text
            elif verb == b"RCPT":
                out = b"250 2.1.5 Ok"
            elif verb == b"DATA" and self.at == "DATA":
                out = b"451 4.3.0 " + self.text
            elif verb in (b"RSET", b"NOOP"):
                out = b"250 2.0.0 Ok"
            elif verb == b"QUIT":
                conn.sendall(b"221 2.0.0 Bye\r\n")
                return
            elif verb == b"DATA":
                out = b"554 5.5.1 Error: no valid recipients"
            else:
                out = b"502 5.5.2 Error: command not recognized"
            conn.sendall(out + b"\r\n")


def banned_zip_message(member, subject):
    return tc.message(tc.multipart([
        (b"Content-Type: text/plain\r\n", b"see attachment\r\n"),
        tc.attachment("notes.zip", tc.zipped(member, b"harmless"),
                      b"application/zip")]), subject)


def plain_message(subject):
    return tc.message(b"hello\r\n", subject)


class EdgeCase(h.PeerTestCase):
    """One filterd for the class: SMTP and LMTP listeners whose bank
    rejects banned mail, and SMTP and LMTP listeners whose next hop
    refuses every recipient with HOP_TEXT."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        db = cls.tmp.sub("clamdb")
        tc.signature_db(db)
        cls.sink = h.Sink(cls.tmp, "sink")
        cls.hop = RefusingHop(HOP_TEXT)
        cls.data_hop = RefusingHop(HOP_TEXT, "DATA")
        names = ("smtp_rej", "lmtp_rej", "smtp_hop", "lmtp_hop",
                 "smtp_data_hop", "smtp_bounce")
        cls.ports = dict(zip(names, h.free_ports(len(names))))
        banned = {"banned_filename": ["(?i)\\.(exe|scr|pif)$"],
                  "banned_double_extension": True}
        cls.fd = h.Filterd(
            cls.tmp, "fd",
            listen=[(cls.ports["smtp_rej"], "smtp", "REJ"),
                    (cls.ports["lmtp_rej"], "lmtp", "REJ"),
                    (cls.ports["smtp_hop"], "smtp", "HOP"),
                    (cls.ports["lmtp_hop"], "lmtp", "HOP"),
                    (cls.ports["smtp_data_hop"], "smtp", "DATAHOP"),
                    (cls.ports["smtp_bounce"], "smtp", "BOUNCE")],
            banks={
                "default": dict(forward=[cls.sink.addr], **banned),
                "REJ": dict(final_banned_destiny="reject"),
                "HOP": dict(forward=[cls.hop.addr]),
                "DATAHOP": dict(forward=[cls.data_hop.addr]),
                "BOUNCE": dict(final_banned_destiny="bounce",
                               notify=[cls.sink.addr]),
            },
            max_recipients=30,
            message_size_limit=5000000,
            raw='clamav { database = "%s" }' % db)
        cls.start_for_class(cls.sink, cls.hop, cls.data_hop, cls.fd)

    def client(self, listener, verb):
        c = h.SmtpClient(self.ports[listener], timeout=30)
        self.addCleanup(c.close)
        self.assertEqual(c.greeting().code, 220)
        self.assertEqual(c.ehlo(verb=verb).code, 250)
        return c

    def transaction(self, c, rcpts, msg):
        """MAIL, RCPT..., DATA and the message with its final dot; returns
        nothing: the caller reads what comes back."""
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
        for r in rcpts:
            self.assertEqual(c.cmd("RCPT TO:<%s>" % r).code, 250)
        self.assertEqual(c.cmd("DATA").code, 354)
        c.send(h.data_payload(msg))

    def rest_of_session(self, c, commands=("NOOP", "QUIT")):
        """Send commands in one write, then read every byte until the
        server closes: the reply lines to what was pending, raw."""
        c.send(b"".join(x.encode() + b"\r\n" for x in commands))
        self.assertTrue(c.at_eof(30), "session not closed: %r" % c.buf)
        data, c.buf = c.buf, b""
        lines = data.split(b"\r\n")
        self.assertEqual(lines[-1], b"", "no CR LF at the end: %r" % data)
        return lines[:-1]

    def assert_safe_line(self, line):
        self.assertLessEqual(len(line) + 2, REPLY_MAX,
                             "%d octets: %r..." % (len(line), line[:100]))
        bad = [b for b in line if b < 0x20 or b >= 0x7f]
        self.assertEqual(bad, [], "unsafe bytes in %r" % line)

    def assert_log_safe(self):
        with open(self.fd.log_path, "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8")  # invalid UTF-8 would raise
        for line in text.split("\n"):
            self.assertFalse(line.startswith("250 2.0.0 forged"), line)
            ctl = [c for c in line if ord(c) < 0x20 or ord(c) == 0x7f]
            self.assertEqual(ctl, [], "control bytes in log line %r" % line)


class InjectionTest(EdgeCase):

    def test_smtp_forged_member_name_is_one_reply(self):
        c = self.client("smtp_rej", "EHLO")
        self.transaction(c, [RCPT], banned_zip_message(FORGED_NAME,
                                                       "forged smtp"))
        lines = self.rest_of_session(c)
        self.assertEqual(len(lines), 3, lines)
        self.assertTrue(lines[0].startswith(b"554 5.7.0 "), lines)
        self.assertIn(b"BANNED", lines[0])
        self.assertIn(b"notes\\r\\n250 2.0.0 forged reply\\r\\nx.scr",
                      lines[0])
        self.assertEqual(lines[1], b"250 2.0.0 Ok", lines)
        self.assertTrue(lines[2].startswith(b"221 "), lines)
        for line in lines:
            self.assert_safe_line(line)
        h.wait_until(lambda: "forged-smtp" in self.fd.log_text(), 5)
        self.assert_log_safe()
        self.assertIn("notes\\r\\n250 2.0.0 forged reply\\r\\nx.scr",
                      self.fd.log_text())

    def test_lmtp_forged_member_name_one_reply_per_recipient(self):
        c = self.client("lmtp_rej", "LHLO")
        self.transaction(c, [RCPT, "second@example.net"],
                         banned_zip_message(FORGED_NAME, "forged lmtp"))
        lines = self.rest_of_session(c)
        self.assertEqual(len(lines), 4, lines)
        for line in lines[:2]:
            self.assertTrue(line.startswith(b"554 5.7.0 "), lines)
        self.assertEqual(lines[2], b"250 2.0.0 Ok", lines)
        self.assertTrue(lines[3].startswith(b"221 "), lines)
        for line in lines:
            self.assert_safe_line(line)
        h.wait_until(lambda: "forged-lmtp" in self.fd.log_text(), 5)
        self.assert_log_safe()

    def test_long_member_name_reply_within_512_octets(self):
        name = "x" * 2043 + ".scr"
        self.assertEqual(len(name), 2047)
        c = self.client("smtp_rej", "EHLO")
        self.transaction(c, [RCPT], banned_zip_message(name, "long name"))
        lines = self.rest_of_session(c)
        self.assertEqual(len(lines), 3, [l[:80] for l in lines])
        self.assertTrue(lines[0].startswith(b"554 5.7.0 "), lines[0][:80])
        self.assertIn(b"id=", lines[0])
        self.assertEqual(lines[1], b"250 2.0.0 Ok")
        for line in lines:
            self.assert_safe_line(line)

    def test_next_hop_reply_bytes_are_escaped(self):
        c = self.client("smtp_hop", "EHLO")
        self.transaction(c, [RCPT], plain_message("hop bytes"))
        lines = self.rest_of_session(c)
        self.assertEqual(len(lines), 3, lines)
        self.assertTrue(lines[0].startswith(b"550 5.1.1 "), lines)
        self.assertIn(HOP_TEXT_SAFE, lines[0])
        self.assertEqual(lines[1], b"250 2.0.0 Ok", lines)
        for line in lines:
            self.assert_safe_line(line)
        h.wait_until(lambda: "hop-bytes" in self.fd.log_text(), 5)
        self.assert_log_safe()
        # The summary line says what the next hop answered.
        line = [l for l in self.fd.log_lines()
                if "hop-bytes" in l and h.LOG_RESULT_RE.search(l)][-1]
        self.assertIn("{RejectedInbound}", line)
        self.assertIn(", refused: <%s> 550 5.1.1 %s" % (
            RCPT, HOP_TEXT_SAFE.decode()), line)

    def test_next_hop_data_reply_bytes_are_escaped_in_log(self):
        """A refusal of DATA is logged (and named in our 451)."""
        c = self.client("smtp_data_hop", "EHLO")
        self.transaction(c, [RCPT], plain_message("hop data bytes"))
        lines = self.rest_of_session(c)
        self.assertEqual(len(lines), 3, lines)
        self.assertTrue(lines[0].startswith(b"451 4.4.1 "), lines)
        self.assertIn(HOP_TEXT_SAFE, lines[0])
        for line in lines:
            self.assert_safe_line(line)
        self.assertTrue(h.wait_until(
            lambda: HOP_TEXT_SAFE.decode() in self.fd.log_text(), 5),
            self.fd.log_text()[-2000:])
        self.assert_log_safe()

    def test_dsn_carries_a_forged_name_escaped(self):
        """A policy bounce: the DSN names the banned member; its CR LF
        must not start a field or a MIME part in the DSN we write."""
        name = ("notes\r\nBcc: victim@example.com\r\n\r\n--fake\r\n"
                "Content-Type: text/html\r\n\r\nx\x7fy.scr")
        seen = {d.path for d in self.sink.dumps()}
        c = self.client("smtp_bounce", "EHLO")
        self.transaction(c, [RCPT], banned_zip_message(name, "forged dsn"))
        lines = self.rest_of_session(c)
        self.assertTrue(lines[0].startswith(b"250 2.5.0 "), lines)
        self.assertIn(b"DSN sent", lines[0])
        self.assertTrue(h.wait_until(
            lambda: [d for d in self.sink.dumps() if d.path not in seen], 10))
        dsn = [d for d in self.sink.dumps() if d.path not in seen]
        self.assertEqual([d.rcpts for d in dsn], [[SENDER]])
        body = dsn[0].body
        ours = body.split(b"Content-Type: text/rfc822-headers")[0]
        for line in ours.replace(b"\r\n", b"\n").split(b"\n"):
            self.assertFalse(line.startswith(b"Bcc:"), line)
            self.assertFalse(line.startswith(b"--fake"), line)
            self.assertFalse(line.startswith(b"Content-Type: text/html"),
                             line)
            self.assertLessEqual(len(line), 998, line[:120])
            bad = [b for b in line if (b < 0x20 and b != 9) or b >= 0x7f]
            self.assertEqual(bad, [], "unsafe bytes in %r" % line)
        self.assertIn(b"notes\\r\\nBcc: victim@example.com\\r\\n", ours)
        self.assertIn(b"x\\x7fy.scr", ours)
        self.assertIn(b"The content filter blocked it", ours)
        self.assertNotIn(b"delivered to its other recipients", ours)


class ErrorLimitTest(EdgeCase):

    RCPTS = ["r%02d@example.net" % i for i in range(25)]

    def refused_twice(self, listener, msg, code):
        c = self.client(listener, "LHLO")
        for n in range(2):
            self.transaction(c, self.RCPTS, msg)
            replies = c.replies(len(self.RCPTS), 30)
            self.assertEqual([r.code for r in replies],
                             [code] * len(self.RCPTS),
                             "message %d: %r" % (n + 1, replies))
        r = c.cmd("NOOP")
        self.assertEqual(r.code, 250, r)
        self.assertEqual(c.cmd("QUIT").code, 221)

    def test_policy_rejects_are_not_client_errors(self):
        self.refused_twice("lmtp_rej",
                           banned_zip_message("a.scr", "many rejects"), 554)

    def test_next_hop_refusals_are_not_client_errors(self):
        self.refused_twice("lmtp_hop", plain_message("many refusals"), 550)

    def test_client_errors_still_end_the_session(self):
        c = self.client("smtp_rej", "EHLO")
        for i in range(19):
            r = c.cmd("BOGUS %d" % i)
            self.assertEqual(r.code, 502, r)
        r = c.cmd("BOGUS last")
        self.assertEqual(r.code, 502, r)
        r = c.reply()
        self.assertEqual(r.code, 421, r)
        self.assertTrue(c.at_eof(5), "not closed after 421")


if __name__ == "__main__":
    unittest.main(verbosity=2)
