"""test_checks - content checks with a real libclamav engine, end to end.

No signature database can be downloaded: the test builds its own, a
one-line .hdb with the md5 of the EICAR test file, which it assembles at
run time from two halves (no file in the repository is a test virus).
Each policy bank gives the categories a different destiny; every blocked
message must be missing at the sink, every passed one must be there with
the header fields amavis would add."""

import base64
import email
import hashlib
import io
import os
import sys
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" +
         b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
GTUBE = (b"XJS*C4JDBQADN1.NSBN3*2IDNEN*" +
         b"GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X")
SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
OTHER = "other@elsewhere.example"


def message(body, subject="test", extra_headers=b""):
    """A message; body may be bytes or (MIME headers, body) from
    multipart()."""
    if isinstance(body, tuple):
        extra_headers, body = extra_headers + body[0], body[1]
    return (b"From: sender@example.org\r\nTo: rcpt@example.net\r\n"
            b"Subject: " + subject.encode() + b"\r\n"
            b"Message-ID: <" + subject.replace(" ", "-").encode() +
            b"@example.org>\r\n" + extra_headers + b"\r\n" + body)


def multipart(parts, boundary=b"b0undary"):
    """parts: list of (headers, body); returns (headers, body)."""
    hdrs = (b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
            b"boundary=\"" + boundary + b"\"\r\n")
    out = b"preamble\r\n"
    for ph, pb in parts:
        out += b"--" + boundary + b"\r\n" + ph + b"\r\n" + pb + b"\r\n"
    return hdrs, out + b"--" + boundary + b"--\r\n"


def b64(data):
    raw = base64.encodebytes(data)
    return raw.replace(b"\n", b"\r\n")


def zipped(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, data)
    return buf.getvalue()


def attachment(name, data, ctype=b"application/octet-stream"):
    return (b"Content-Type: " + ctype + b"; name=\"" + name.encode() +
            b"\"\r\nContent-Disposition: attachment; filename=\"" +
            name.encode() + b"\"\r\nContent-Transfer-Encoding: base64\r\n",
            b64(data))


def eicar_zip_in_rfc822():
    inner = message(multipart([
        (b"Content-Type: text/plain\r\n", b"see attachment\r\n"),
        attachment("docs.zip", zipped("eicar.com", EICAR),
                   b"application/zip")]), "inner")
    return message(multipart([
        (b"Content-Type: text/plain\r\n", b"forwarded\r\n"),
        (b"Content-Type: message/rfc822\r\n", inner)]), "outer")


def signature_db(db):
    """A hash signature (the exact file) and a hex one (anywhere)."""
    with open(os.path.join(db, "test.hdb"), "w") as f:
        f.write("%s:%d:Eicar-Test-Signature\n" %
                (hashlib.md5(EICAR).hexdigest(), len(EICAR)))
    with open(os.path.join(db, "test.ndb"), "w") as f:
        f.write("Eicar-Test-Signature-Body:0:*:%s\n" % EICAR.hex())


class ChecksTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        db = cls.tmp.sub("clamdb")
        signature_db(db)
        cls.db = db
        cls.sink = h.Sink(cls.tmp, "sink").start()
        ports = h.free_ports(5)
        cls.ports = dict(zip(("discard", "reject", "bounce", "pass",
                              "lmtp"), ports))
        fwd = [cls.sink.addr]
        banned = {"banned_filename": ["(?i)\\.(exe|scr|pif)$"],
                  "banned_double_extension": True}
        cls.fd = h.Filterd(
            cls.tmp, "fd",
            listen=[(cls.ports["discard"], "smtp", "default"),
                    (cls.ports["reject"], "smtp", "REJ"),
                    (cls.ports["bounce"], "smtp", "BNC"),
                    (cls.ports["pass"], "smtp", "PASSUNCHECKED"),
                    (cls.ports["lmtp"], "lmtp", "default")],
            banks={
                "default": dict(forward=fwd, spam_tag_level=-999.0,
                                spam_subject_tag="***SPAM*** ", **banned),
                "REJ": dict(final_virus_destiny="reject",
                            final_banned_destiny="reject"),
                "BNC": dict(final_virus_destiny="bounce",
                            final_banned_destiny="bounce",
                            final_spam_destiny="bounce"),
                "PASSUNCHECKED": dict(final_unchecked_destiny="pass"),
            },
            local_domains=["example.net"],
            message_size_limit=5000000,
            raw='clamav { database = "%s" }' % db)
        try:
            cls.fd.start()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fd.stop()
        cls.sink.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.seen = {d.path for d in self.sink.dumps()}

    def new_dumps(self, wait_for=0):
        if wait_for:
            h.wait_until(lambda: len(self.new_dumps()) >= wait_for, 10)
        return [d for d in self.sink.dumps() if d.path not in self.seen]

    def send(self, listener, msg, rcpts=(RCPT,), sender=SENDER, helo="EHLO"):
        return h.send_message(self.ports[listener], sender, list(rcpts), msg,
                              helo=helo, timeout=30)

    def log_line(self, subject):
        lines = [l for l in self.fd.log_lines()
                 if "<%s@example.org>" % subject.replace(" ", "-") in l]
        self.assertTrue(lines, self.fd.log_text()[-3000:])
        return lines[-1]

    def assert_nothing_delivered(self):
        self.assertEqual(self.new_dumps(), [])

    def test_eicar_plain_is_discarded(self):
        r = self.send("discard", message(EICAR + b"\r\n", "eicar plain"))
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        self.assertIn("discarded", r.text)
        self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assert_nothing_delivered()
        line = self.log_line("eicar-plain")
        self.assertIn("Blocked INFECTED", line)

    def test_eicar_base64_attachment_is_rejected(self):
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"hello\r\n"),
            attachment("eicar.txt", EICAR, b"text/plain")]), "eicar b64")
        r = self.send("reject", msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assert_nothing_delivered()
        self.assertIn("{RejectedInbound}", self.log_line("eicar-b64"))

    def test_eicar_in_zip_in_rfc822_bounce_is_suppressed(self):
        """A virus's sender is likely forged: BOUNCE sends no DSN."""
        r = self.send("bounce", eicar_zip_in_rfc822())
        self.assertEqual(r.code, 250, r)
        self.assertIn("DSN suppressed", r.text)
        self.assert_nothing_delivered()
        line = self.log_line("outer")
        self.assertIn("INFECTED", line)
        self.assertIn("NoBounceInbound", line)

    def test_banned_exe_in_zip_bounces_with_a_dsn(self):
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"invoice attached\r\n"),
            attachment("invoice.zip", zipped("invoice.pdf.exe",
                                             b"MZ not really"),
                       b"application/zip")]), "banned zip")
        r = self.send("bounce", msg)
        self.assertEqual(r.code, 250, r)
        self.assertIn("DSN sent", r.text)
        dumps = self.new_dumps(wait_for=1)
        self.assertEqual(len(dumps), 1, dumps)
        dsn = dumps[0]
        self.assertEqual((dsn.sender, dsn.rcpts), ("", [SENDER]))
        body = dsn.body.decode("utf-8", "replace")
        self.assertIn("BANNED: application/zip,invoice.zip,invoice.pdf.exe",
                      body)
        self.assertIn("Final-Recipient: rfc822; %s" % RCPT, body)
        self.assertIn("Blocked BANNED", self.log_line("banned-zip"))

    def test_banned_double_extension_plain_part(self):
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"hi\r\n"),
            attachment("report.doc.scr", b"harmless")]), "banned double")
        r = self.send("reject", msg)
        self.assertEqual(r.code, 554, r)
        self.assertIn("BANNED:", r.text)
        self.assert_nothing_delivered()

    def test_gtube_is_spam_tagged_and_passed(self):
        r = self.send("discard", message(GTUBE + b"\r\n", "gtube"))
        self.assertEqual(r.code, 250, r)
        dumps = self.new_dumps(wait_for=1)
        self.assertEqual(len(dumps), 1)
        msg = email.message_from_bytes(dumps[0].body)
        self.assertEqual(msg["X-Spam-Flag"], "YES")
        self.assertTrue(float(msg["X-Spam-Score"]) >= 1000, msg)
        self.assertIn("GTUBE=1000", msg["X-Spam-Status"])
        self.assertEqual(msg["Subject"], "***SPAM*** gtube")
        self.assertIn("X-Virus-Scanned", msg)
        self.assertIn("Passed SPAM", self.log_line("gtube"))

    def test_clean_message_gets_the_expected_headers(self):
        body = b"Just a clean note.\r\n..a dotted line\r\n"
        r = self.send("discard", message(body, "clean"))
        self.assertEqual(r.code, 250, r)
        dumps = self.new_dumps(wait_for=1)
        self.assertEqual(len(dumps), 1)
        msg = email.message_from_bytes(dumps[0].body)
        self.assertTrue(msg["X-Virus-Scanned"].startswith("filterd at "))
        self.assertEqual(msg["X-Spam-Flag"], "NO")
        self.assertEqual(msg["Subject"], "clean")
        # The message itself is untouched below the added fields.
        self.assertTrue(dumps[0].body.endswith(h.sink_view(
            message(body, "clean"))), dumps[0].body)
        self.assertIn("Passed CLEAN", self.log_line("clean"))

    def test_spam_headers_only_for_local_recipients(self):
        """One copy with X-Spam-* for the local domain, one without."""
        r = self.send("lmtp", message(GTUBE + b"\r\n", "two copies"),
                      rcpts=(RCPT, OTHER), helo="LHLO")
        self.assertEqual([x.code for x in r], [250, 250], r)
        dumps = self.new_dumps(wait_for=2)
        self.assertEqual(len(dumps), 2, dumps)
        by_rcpt = {d.rcpts[0]: email.message_from_bytes(d.body)
                   for d in dumps}
        self.assertEqual(by_rcpt[RCPT]["X-Spam-Flag"], "YES")
        self.assertEqual(by_rcpt[RCPT]["Subject"], "***SPAM*** two copies")
        self.assertIsNone(by_rcpt[OTHER]["X-Spam-Flag"])
        self.assertEqual(by_rcpt[OTHER]["Subject"], "two copies")
        self.assertIn("X-Virus-Scanned", by_rcpt[OTHER])

    def test_ambiguous_mime_is_unchecked_and_tempfailed(self):
        msg = (b"From: a@example.org\r\nSubject: ambiguous\r\n"
               b"Message-ID: <ambiguous@example.org>\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=\"one\"; "
               b"boundary=\"two\"\r\n\r\n--one\r\nContent-Type: text/plain"
               b"\r\n\r\nA\r\n--two\r\nContent-Type: text/plain\r\n\r\n"
               b"B\r\n--one--\r\n")
        r = self.send("discard", msg)
        self.assertEqual(r.code // 100, 4, r)
        self.assertIn("UNCHECKED", r.text)
        self.assert_nothing_delivered()
        # A bank that passes unchecked mail lets it through, marked.
        r = self.send("pass", msg)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(len(self.new_dumps(wait_for=1)), 1)

    def test_deep_nesting_is_unchecked(self):
        body = b"bottom\r\n"
        for i in range(100):
            b = b"n%d" % i
            body = (b"Content-Type: multipart/mixed; boundary=\"" + b +
                    b"\"\r\n\r\n--" + b + b"\r\n" + body + b"\r\n--" + b +
                    b"--\r\n")
        msg = (b"From: a@example.org\r\nSubject: deep\r\nMessage-ID: "
               b"<deep@example.org>\r\nMIME-Version: 1.0\r\n" + body)
        r = self.send("discard", msg)
        self.assertEqual(r.code // 100, 4, r)
        self.assertIn("UNCHECKED", r.text)
        self.assert_nothing_delivered()
        # The child survived: the next message goes through.
        r = self.send("discard", message(b"after\r\n", "after deep"))
        self.assertEqual(r.code, 250, r)


if __name__ == "__main__":
    unittest.main(verbosity=2)
