"""test_checks - content checks with a real libclamav engine, end to end.

No signature database can be downloaded: the test builds its own, a
one-line .hdb with the md5 of the EICAR test file, which it assembles at
run time from two halves (no file in the repository is a test virus).
Each policy bank gives the categories a different destiny; every blocked
message must be missing at the sink, every passed one must be there with
the header fields amavis would add."""

import base64
import binascii
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
# A signature anchored at offset 0: it matches a MIME part that starts with
# these bytes when the part is scanned as a file of its own.
PART_MARK = b"FILTERD-PART-START-MARK"


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
        f.write("Filterd-Part-Start:0:0:%s\n" % PART_MARK.hex())


class WireChecksCase(h.PeerTestCase):
    """WireChecksCase - filterd (libclamav with signature_db, banned names
    and types, VIRUS and BANNED rejected, UNCHECKED passed) in front of a
    WireSink, which keeps the exact bytes of each copy. A subclass's BANK
    and CONF add to or change the bank and the configuration, its DB adds
    files (name: text) to the signature directory, its CLAMAV settings
    to the clamav block."""

    BANK = {}
    CONF = {}
    DB = {}
    CLAMAV = ""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        db = cls.tmp.sub("clamdb")
        signature_db(db)
        for name, text in cls.DB.items():
            with open(os.path.join(db, name), "w") as f:
                f.write(text)
        cls.sink = h.WireSink()
        cls.port = h.free_port()
        bank = dict(forward=[cls.sink.addr], final_virus_destiny="reject",
                    final_banned_destiny="reject",
                    final_unchecked_destiny="pass",
                    banned_filename=["(?i)\\.(exe|scr|pif)$"],
                    banned_type=["^application/x-dosexec$"],
                    banned_double_extension=True)
        bank.update(cls.BANK)
        conf = dict(local_domains=["example.net"], message_size_limit=5000000)
        conf.update(cls.CONF)
        cls.fd = h.Filterd(cls.tmp, "fd",
                           listen=[(cls.port, "smtp", "default")],
                           banks={"default": bank},
                           raw='clamav { database = "%s" %s }' %
                           (db, cls.CLAMAV), **conf)
        cls.start_for_class(cls.sink, cls.fd)

    def send(self, msg):
        """send - one message to RCPT; (final reply, copies delivered)."""
        n = len(self.sink.transactions)
        r = h.send_message(self.port, SENDER, [RCPT], msg, timeout=60)
        if r.code == 250:
            self.sink.wait_count(n + 1, 10)
        return r, self.sink.transactions[n:]


def uuencoded(name, data):
    lines = [binascii.b2a_uu(data[i:i + 45]) for i in range(0, len(data), 45)]
    return (b"begin 644 " + name.encode() + b"\n" + b"".join(lines) +
            b"`\nend\n").replace(b"\n", b"\r\n")


class ChecksTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        db = cls.tmp.sub("clamdb")
        signature_db(db)
        cls.db = db
        cls.sink = h.Sink(cls.tmp, "sink")
        ports = h.free_ports(5)
        cls.ports = dict(zip(("discard", "reject", "bounce", "tempfail",
                              "lmtp"), ports))
        fwd = [cls.sink.addr]
        banned = {"banned_filename": ["(?i)\\.(exe|scr|pif)$"],
                  "banned_type": ["^application/x-dosexec$"],
                  "banned_double_extension": True}
        cls.fd = h.Filterd(
            cls.tmp, "fd",
            listen=[(cls.ports["discard"], "smtp", "default"),
                    (cls.ports["reject"], "smtp", "REJ"),
                    (cls.ports["bounce"], "smtp", "BNC"),
                    (cls.ports["tempfail"], "smtp", "TFUNCHECKED"),
                    (cls.ports["lmtp"], "lmtp", "default")],
            banks={
                "default": dict(forward=fwd, spam_tag_level=-999.0,
                                spam_subject_tag="***SPAM*** ", **banned),
                "REJ": dict(final_virus_destiny="reject",
                            final_banned_destiny="reject"),
                "BNC": dict(final_virus_destiny="bounce",
                            final_banned_destiny="bounce",
                            final_spam_destiny="bounce"),
                "TFUNCHECKED": dict(final_unchecked_destiny="tempfail"),
            },
            local_domains=["example.net"],
            message_size_limit=5000000,
            raw='clamav { database = "%s" }' % db)
        cls.start_for_class(cls.sink, cls.fd)

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

    def test_uuencoded_eicar_in_text_is_found(self):
        """uuencode inside a text body is not MIME: libclamav's own mail
        parser unpacks it, so such a message goes to it whole."""
        body = b"the file, as promised:\r\n\r\n" + \
            uuencoded("eicar.com", EICAR) + b"bye\r\n"
        r = self.send("discard", message(body, "eicar uu"))
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assert_nothing_delivered()
        self.assertIn("Blocked INFECTED", self.log_line("eicar-uu"))

    def test_eicar_in_base64_text_body(self):
        """A single text part in base64: decoded, then scanned."""
        r = self.send("discard", message(
            b64(b"hello\r\n" + EICAR + b"\r\n"), "eicar b64 text",
            b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
            b"Content-Transfer-Encoding: base64\r\n"))
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assert_nothing_delivered()

    def test_part_is_scanned_as_a_file_of_its_own(self):
        """An unencoded part is scanned from the spool as a file: a
        signature anchored at offset 0 matches where the part starts and
        nowhere else."""
        def with_part(body, subject):
            return message(multipart([
                (b"Content-Type: text/plain\r\n", b"hello\r\n"),
                (b"Content-Type: application/octet-stream\r\n", body)]),
                subject)
        r = self.send("discard", with_part(PART_MARK + b" data\r\n",
                                           "part start"))
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        self.assertIn("VIRUS: Filterd-Part-Start", r.text)
        self.assert_nothing_delivered()
        r = self.send("discard", with_part(b"x" + PART_MARK + b"\r\n",
                                           "part later"))
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        self.assertIn("Passed CLEAN", self.log_line("part-later"))
        self.assertEqual(len(self.new_dumps(wait_for=1)), 1)

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

    def test_banned_detected_type_under_a_harmless_name(self):
        """An executable sent as "report.pdf": libmagic sees what it is."""
        exe = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
               + b"\x00" * 200)
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"the report\r\n"),
            attachment("report.pdf", exe, b"application/pdf")]),
            "detected type")
        r = self.send("reject", msg)
        self.assertEqual(r.code, 554, r)
        self.assertIn("BANNED: application/pdf,application/x-dosexec,"
                      "report.pdf", r.text)
        self.assert_nothing_delivered()

    def test_banned_detected_type_inside_a_zip(self):
        """The member is named notes.txt; its content is an executable."""
        exe = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
               + b"\x00" * 200)
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"notes\r\n"),
            attachment("notes.zip", zipped("notes.txt", exe),
                       b"application/zip")]), "detected in zip")
        r = self.send("reject", msg)
        self.assertEqual(r.code, 554, r)
        self.assertIn("notes.zip,application/x-dosexec,notes.txt", r.text)
        self.assert_nothing_delivered()

    def test_banned_name_in_tar_gz(self):
        import tarfile
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            info = tarfile.TarInfo("setup/install.scr")
            data = b"not really a screensaver"
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"files\r\n"),
            attachment("files.tar.gz", buf.getvalue(),
                       b"application/gzip")]), "banned tar")
        r = self.send("reject", msg)
        self.assertEqual(r.code, 554, r)
        self.assertIn("files.tar.gz,setup/install.scr", r.text)
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

    def assert_passed_unchecked(self, r, subject, reason):
        """Passed as amavisd-new passes UNCHECKED mail: marked."""
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        dumps = self.new_dumps(wait_for=1)
        self.assertEqual(len(dumps), 1, dumps)
        self.seen.update(d.path for d in dumps)
        alert = email.message_from_bytes(dumps[0].body)["X-Amavis-Alert"]
        self.assertEqual(alert, "UNCHECKED, " + reason)
        self.assertIn("Passed UNCHECKED (%s)" % reason,
                      self.log_line(subject))

    def test_ambiguous_mime_is_unchecked_and_passed(self):
        msg = (b"From: a@example.org\r\nSubject: ambiguous\r\n"
               b"Message-ID: <ambiguous@example.org>\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=\"one\"; "
               b"boundary=\"two\"\r\n\r\n--one\r\nContent-Type: text/plain"
               b"\r\n\r\nA\r\n--two\r\nContent-Type: text/plain\r\n\r\n"
               b"B\r\n--one--\r\n")
        r = self.send("discard", msg)
        self.assert_passed_unchecked(
            r, "ambiguous",
            "ambiguous MIME (conflicting parameter at offset 97)")
        # A bank that tempfails unchecked mail still does.
        r = self.send("tempfail", msg)
        self.assertEqual((r.code, r.enhanced), (451, "4.3.0"), r)
        self.assertIn("UNCHECKED: ambiguous MIME", r.text)
        self.assert_nothing_delivered()

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
        self.assert_passed_unchecked(r, "deep", "MIME nesting deeper than 20")
        # The child survived: the next message goes through.
        r = self.send("discard", message(b"after\r\n", "after deep"))
        self.assertEqual(r.code, 250, r)

def zip_bomb(size):
    """A zip whose one member inflates to size bytes of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("zeros.bin", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                member.write(chunk)
    return buf.getvalue()


def child_peak_kb(fd):
    """The largest peak RSS (VmHWM, kB) among filterd's children."""
    return max([h.vm_hwm_kb(pid) or 0 for pid in fd.children()] + [0])


class ChecksBadInputTest(h.PeerTestCase):
    """Hostile and broken input: checked or UNCHECKED, never a crash."""

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.db = self.tmp.sub("clamdb")
        signature_db(self.db)
        self.sink = self.start(h.Sink(self.tmp, "sink"))
        self.fd = self.start(h.Filterd(
            self.tmp, "fd", banks={"default": {"forward": [self.sink.addr]}},
            min_servers=1, max_servers=1, message_size_limit=60000000,
            smtpd_timeout=60, raw='clamav { database = "%s" }' % self.db))

    def send(self, msg, subject):
        return h.send_message(self.fd.port, SENDER, [RCPT], msg, timeout=60)

    def assert_checked_or_unchecked(self, r, subject):
        """250: checked and passed, or passed UNCHECKED (the default);
        never a failure, and the one child is still there for the next
        message."""
        self.assertEqual(r.code, 250, r)
        r2 = self.send(message(b"next\r\n", "next"), "next")
        self.assertEqual(r2.code, 250, (subject, r2))
        self.assertFalse([l for l in self.fd.log_lines()
                          if "killed by signal" in l], self.fd.log_text())

    def test_zip_bomb(self):
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"hi\r\n"),
            attachment("bomb.zip", zip_bomb(200 << 20),
                       b"application/zip")]), "bomb")
        r = self.send(msg, "bomb")
        self.assertEqual(r.code, 250, r)
        self.assertTrue(h.wait_until(lambda: self.new_count() == 1, 10))
        self.assertIn("UNCHECKED, archive member exceeds max_decoded_size",
                      self.sink.dumps()[0].body.decode())
        self.assert_checked_or_unchecked(r, "bomb")

    def new_count(self):
        return len(self.sink.dumps())

    def test_invalid_base64_part(self):
        msg = message(multipart([
            (b"Content-Type: application/octet-stream; name=\"x.bin\"\r\n"
             b"Content-Transfer-Encoding: base64\r\n",
             b"!!!! this is *not* base64 ~~~~\r\n====\r\n")]), "bad b64")
        self.assert_checked_or_unchecked(self.send(msg, "bad b64"), "b64")

    @h.rss_test
    def test_50mb_single_line_body(self):
        body = b"x" * (50 << 20) + b"\r\n"
        r = self.send(message(body, "huge line"), "huge line")
        self.assert_checked_or_unchecked(r, "huge line")
        # Streamed, never held whole: far below the message's 50 MB.
        self.assertLess(child_peak_kb(self.fd), 40 << 10,
                        "a child's peak RSS grew with the message")

    @h.rss_test
    def test_24mb_body_scanned_in_bounded_memory(self):
        # Under clamav.max_filesize (50 MiB), so libclamav reads all of it,
        # twice (the message, then its one text part): through its aging
        # map, which gives pages back, never a whole copy on the heap.
        r = self.send(message(b"small\r\n", "small"), "small")
        self.assertEqual(r.code, 250, r)
        before = child_peak_kb(self.fd)
        body = (b"y" * 1022 + b"\r\n") * (24 << 10)
        r = self.send(message(body, "big body"), "big body")
        self.assertEqual(r.code, 250, r)
        self.assertIn("Passed CLEAN", self.fd.log_text())
        self.assertLess(child_peak_kb(self.fd) - before, 20 << 10,
                        "a child's peak RSS grew by a copy of the message")

    def test_zero_byte_message(self):
        # DATA, then the dot at once. Postfix never sends one (cleanup
        # adds Received:), and GMime finds no message in it: UNCHECKED,
        # passed as such (it will never become checkable); the virus
        # check scans nothing instead of failing on an empty window.
        with h.SmtpClient(self.fd.port, timeout=30) as c:
            c.greeting()
            c.ehlo()
            self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
            self.assertEqual(c.cmd("RCPT TO:<%s>" % RCPT).code, 250)
            self.assertEqual(c.cmd("DATA").code, 354)
            r = c.cmd(".")
        self.assertEqual(r.code, 250, r)
        self.assertIn("Passed UNCHECKED (no parsable message)",
                      self.fd.log_text())
        self.assertNotIn("virus scan", self.fd.log_text())
        self.assertTrue(h.wait_until(lambda: self.new_count() == 1, 10))
        self.assertIn("X-Amavis-Alert: UNCHECKED, no parsable message",
                      self.sink.dumps()[0].body.decode())
        self.assert_checked_or_unchecked(r, "zero bytes")

    def test_header_without_colon(self):
        msg = (b"From: sender@example.org\r\nThis line has no colon\r\n"
               b"Subject: nocolon\r\nMessage-ID: <nocolon@example.org>\r\n"
               b"\r\nbody\r\n")
        self.assert_checked_or_unchecked(self.send(msg, "nocolon"),
                                         "nocolon")

    def test_message_without_body(self):
        msg = (b"From: sender@example.org\r\nSubject: nobody\r\n"
               b"Message-ID: <nobody@example.org>\r\n")
        r = self.send(msg, "nobody")
        self.assertEqual(r.code, 250, r)
        self.assert_checked_or_unchecked(r, "nobody")

    def test_names_in_broken_encodings(self):
        msg = message(multipart([
            (b"Content-Type: application/octet-stream\r\n"
             b"Content-Disposition: attachment; "
             b"filename*=utf-8''%FF%FE%C3%28bad\r\n", b"a\r\n"),
            (b"Content-Type: application/octet-stream; "
             b"name=\"=?x-unknown?Q?=E9t=E9?=.txt\"\r\n", b"b\r\n"),
            (b"Content-Type: application/octet-stream; "
             b"name=\"=?utf-8?B?!!!?=\"\r\n", b"c\r\n")]), "names")
        self.assert_checked_or_unchecked(self.send(msg, "names"), "names")

    def test_new_signatures_on_sighup(self):
        """SIGHUP builds a new engine in the master; children rotate."""
        marker = b"FILTERD-RELOAD-TEST-" + b"MARKER-7d1e2f"
        r = self.send(message(marker + b"\r\n", "before"), "before")
        self.assertEqual(r.code, 250, r)
        with open(os.path.join(self.db, "reload.ndb"), "w") as f:
            f.write("Filterd-Reload-Marker:0:*:%s\n" % marker.hex())
        self.fd.signal(h.signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "clamav: 3 signatures" in self.fd.log_text() and
            "generation 2" in self.fd.log_text(), 20), self.fd.log_text())
        r = self.send(message(marker + b"\r\n", "after"), "after")
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        self.assertIn("VIRUS: Filterd-Reload-Marker", r.text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
