"""test_checks_unchecked - what cannot be checked, and what failed.

Content that cannot be checked (over a scan limit, ambiguous MIME; the
archives are in test_checks_archives) is UNCHECKED: by default passed, as
amavisd-new does, with "X-Amavis-Alert: UNCHECKED, <reason>". A check that
fails (a libclamav error, a temporary file that cannot be written) is a
temporary failure of the message, 451 4.3.0, whatever the bank says about
UNCHECKED. The shipped limits scan what the hop accepts.

Every peer is real: smtp-sink, filterd with libclamav and a test signature
database built here (test_checks.signature_db), real zip and tar archives.
The scanner failures are real too: a file size limit (RLIMIT_FSIZE, which
filterd inherits) makes libclamav's or filterd's own temporary files fail
to grow past 2 MiB, as a full tmp_dir would, while the small spool files
of the test messages are written."""

import email
import io
import os
import re
import resource
import sys
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_checks import (EICAR, RCPT, SENDER, attachment,  # noqa: E402
                         message, multipart, signature_db)

BANNED = {"banned_filename": ["(?i)\\.(exe|scr|pif)$"],
          "banned_type": ["^application/x-dosexec$"],
          "banned_double_extension": True}
# Our own reason texts: words, numbers, punctuation; never message text.
ALERT_RE = re.compile(r"^UNCHECKED, [A-Za-z0-9 .,:;()=_/+-]+$")


def zip_of(members, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def with_attachment(name, data, ctype, subject):
    return message(multipart([
        (b"Content-Type: text/plain\r\n", b"see the attachment\r\n"),
        attachment(name, data, ctype)]), subject)


def ambiguous(first, second, subject):
    """Two boundary= values: GMime reads one, another parser the other."""
    return (b"From: a@example.org\r\nTo: rcpt@example.net\r\nSubject: " +
            subject.encode() + b"\r\nMessage-ID: <" +
            subject.replace(" ", "-").encode() +
            b"@example.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"one\"; "
            b"boundary=\"two\"\r\n\r\n--one\r\n" + first[0] + b"\r\n" +
            first[1] + b"\r\n--two\r\n" + second[0] + b"\r\n" + second[1] +
            b"\r\n--two--\r\n--one--\r\n")


PLAIN = (b"Content-Type: text/plain\r\n", b"just text\r\n")


class UncheckedTestCase(h.SinkWatch, h.PeerTestCase):
    """Shared helpers: a sink, what arrived there, the log line."""

    @classmethod
    def start_peers(cls, names):
        """A test signature database, a sink, and a port per name (for
        the class's filterd, which the caller starts)."""
        cls.db = cls.tmp.sub("clamdb")
        signature_db(cls.db)
        cls.sink = h.Sink(cls.tmp, "sink")
        cls.ports = dict(zip(names, h.free_ports(len(names))))

    @classmethod
    def start_checking_filterd(cls, banks=(), **conf):
        """start_peers, then the class's filterd: a listener "default"
        (bank default: BANNED, forward to the sink), "reject" (bank REJ:
        viruses and banned parts rejected), and one per (name, bank,
        values) of banks; conf adds top-level parameters."""
        names = ("default", "reject") + tuple(b[0] for b in banks)
        cls.start_peers(names)
        listen = [(cls.ports["default"], "smtp", "default"),
                  (cls.ports["reject"], "smtp", "REJ")]
        bank_values = {"default": dict(forward=[cls.sink.addr], **BANNED),
                       "REJ": dict(final_virus_destiny="reject",
                                   final_banned_destiny="reject")}
        for name, bank, values in banks:
            listen.append((cls.ports[name], "smtp", bank))
            bank_values[bank] = values
        conf.setdefault("message_size_limit", 5000000)
        cls.fd = h.Filterd(cls.tmp, "fd", listen=listen, banks=bank_values,
                           raw='clamav { database = "%s" }' % cls.db,
                           **conf)
        cls.start_for_class(cls.sink, cls.fd)

    def send(self, listener, msg):
        return h.send_message(self.ports[listener], SENDER, [RCPT], msg,
                              timeout=30)

    def log_line(self, subject):
        tag = "<%s@example.org>" % subject.replace(" ", "-")
        lines = [l for l in self.fd.log_lines()
                 if tag in l and h.LOG_RESULT_RE.search(l)]
        self.assertTrue(lines, self.fd.log_text()[-3000:])
        return lines[-1]

    def delivered(self, subject):
        """The one new copy at the sink, parsed."""
        dumps = self.new_dumps(wait_for=1)
        self.assertEqual(len(dumps), 1, (subject, dumps))
        return email.message_from_bytes(dumps[0].body)

    def assert_passed_unchecked(self, r, subject, reason):
        """250, delivered with our alert header, logged Passed UNCHECKED."""
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        msg = self.delivered(subject)
        alert = msg["X-Amavis-Alert"]
        self.assertIsNotNone(alert, msg)
        self.assertRegex(alert, ALERT_RE)
        self.assertIn(reason, alert)
        line = self.log_line(subject)
        self.assertIn("Passed UNCHECKED (", line)
        self.assertIn(reason, line)
        return msg

    def assert_defanged(self, msg, original, subject, reason):
        """The copy is defanged, saying why in our words: the original
        whole, base64, in a text/plain attachment; the log says why."""
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        parts = msg.get_payload()
        self.assertEqual(len(parts), 2, msg.as_string()[:3000])
        self.assertIn("too large or too deeply nested",
                      parts[0].get_payload())
        self.assertNotIn("ambiguous", parts[0].get_payload())
        self.assertEqual(parts[1].get_content_type(), "text/plain")
        self.assertEqual(parts[1].get_payload(decode=True), original)
        mail_id = re.search(r"mail_id: (\S+),",
                            self.log_line(subject)).group(1)
        self.assertTrue([l for l in self.fd.log_lines()
                         if "%s: defang: %s" % (mail_id, reason) in l],
                        self.fd.log_text()[-2000:])


class AmbiguousMimeTest(UncheckedTestCase):
    """Ambiguous MIME (CVE-2024-28054): UNCHECKED, defanged, and still
    checked for viruses and banned parts as far as it can be read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_checking_filterd()

    def test_ambiguous_mime_is_unchecked_and_defanged(self):
        msg = ambiguous(PLAIN, PLAIN, "ambiguous")
        r = self.send("default", msg)
        msg = self.assert_passed_unchecked(r, "ambiguous", "ambiguous MIME (")
        line = self.log_line("ambiguous")
        mail_id = re.search(r"mail_id: (\S+),", line).group(1)
        self.assertTrue([l for l in self.fd.log_lines()
                         if "%s: defang: ambiguous MIME (" % mail_id in l],
                        self.fd.log_text()[-2000:])

    def test_ambiguous_mime_reason_is_our_own_text(self):
        """The conflicting header's name and the boundary values come from
        the message: none of it reaches the reason."""
        msg = (b"From: a@example.org\r\nSubject: hostile\r\nMessage-ID: "
               b"<hostile@example.org>\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=\"EVIL\"; "
               b"boundary=\"X-Forged: yes\"\r\n\r\n--EVIL\r\n"
               b"Content-Type: text/plain\r\n\r\nA\r\n--EVIL--\r\n")
        r = self.send("default", msg)
        self.assertEqual(r.code, 250, r)
        alert = self.delivered("hostile")["X-Amavis-Alert"]
        self.assertRegex(alert, ALERT_RE)
        self.assertNotIn("EVIL", alert)
        self.assertNotIn("Forged", alert)
        self.assertNotIn("boundary", alert)

    def test_ambiguous_mime_is_still_banned_checked(self):
        msg = ambiguous(PLAIN, attachment("evil.exe", b"MZ"), "ambig exe")
        r = self.send("reject", msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        self.assertIn("BANNED:", r.text)
        self.assertIn("evil.exe", r.text)

    def test_ambiguous_mime_is_virus_checked_in_either_reading(self):
        eicar = attachment("eicar.txt", EICAR, b"text/plain")
        for subject, first, second in (("ambig v1", eicar, PLAIN),
                                       ("ambig v2", PLAIN, eicar)):
            r = self.send("reject", ambiguous(first, second, subject))
            self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                             (subject, r))
            self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assertEqual(self.new_dumps(), [])


    def test_two_content_type_fields_are_read_both_ways(self):
        """Two Content-Type fields: a text/plain body for one parser, a
        multipart with a base64 attachment for another."""
        body = (b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n" +
                b"\r\n".join(attachment("e.txt", EICAR, b"text/plain")) +
                b"\r\n--b--\r\n")
        mp = b"Content-Type: multipart/mixed; boundary=\"b\"\r\n"
        tp = b"Content-Type: text/plain\r\n"
        for subject, fields in (("two types 1", tp + mp),
                                ("two types 2", mp + tp)):
            msg = (b"From: a@example.org\r\nSubject: " + subject.encode() +
                   b"\r\nMIME-Version: 1.0\r\n" + fields +
                   b"Content-Transfer-Encoding: 7bit\r\n\r\n" + body)
            r = self.send("reject", msg)
            self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                             (subject, r))
            self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assertEqual(self.new_dumps(), [])


    def test_two_subject_fields_are_not_ambiguous_mime(self):
        """Fields that do not shape the MIME structure: a bad header, not
        ambiguous MIME; the message is checked and passed as it is."""
        msg = (b"From: a@example.org\r\nSubject: one\r\nSubject: two\r\n"
               b"Message-ID: <two-subjects@example.org>\r\n\r\nhi\r\n")
        r = self.send("default", msg)
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        self.assertIsNone(self.delivered("two subjects")["X-Amavis-Alert"])
        self.assertIn("Passed CLEAN", self.log_line("two subjects"))


class LargeMailTest(UncheckedTestCase):
    """The shipped limits: what the hop accepts, it can scan."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_peers(())
        # message_size_limit and clamav's limits as shipped.
        cls.fd = h.Filterd(
            cls.tmp, "fd", banks={"default": {"forward": [cls.sink.addr]}},
            min_servers=1, max_servers=1, message_size_limit=None,
            smtpd_timeout=60, raw='clamav { database = "%s" }' % cls.db)
        cls.start_for_class(cls.sink, cls.fd)

    def test_31mb_message_with_22mb_attachment(self):
        msg = with_attachment("data.bin", os.urandom(22 << 20),
                              b"application/octet-stream", "large mail")
        self.assertGreater(len(msg), 31000000)
        r = h.send_message(self.fd.port, SENDER, [RCPT], msg, timeout=120)
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        got = self.delivered("large mail")
        self.assertTrue(got["X-Virus-Scanned"], got.keys())
        self.assertIsNone(got["X-Amavis-Alert"])
        self.assertIn("Passed CLEAN", self.log_line("large mail"))
        self.assertNotIn("is below message_size_limit", self.fd.log_text())


class ScanLimitTest(UncheckedTestCase):
    """Content over clamav.max_filesize is scanned as far as the limit goes:
    what is found there counts; the rest is UNCHECKED, never an error."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_peers(())
        cls.fd = h.Filterd(
            cls.tmp, "fd", banks={"default": {"forward": [cls.sink.addr]}},
            message_size_limit=5000000, smtpd_timeout=60,
            raw='clamav { database = "%s"  max_filesize = 1048576 }' % cls.db)
        cls.start_for_class(cls.sink, cls.fd)

    def send(self, msg):
        return h.send_message(self.fd.port, SENDER, [RCPT], msg, timeout=60)

    def test_load_warns_when_limits_disagree(self):
        self.assertIn("clamav.max_filesize 1048576 is below "
                      "message_size_limit 5000000", self.fd.log_text())

    def test_virus_at_the_start_of_an_oversized_part_is_found(self):
        r = self.send(with_attachment(
            "big.bin", EICAR + os.urandom(2 << 20),
            b"application/octet-stream", "big virus"))
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)
        self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assertEqual(self.new_dumps(), [])

    def test_clean_oversized_part_is_unchecked_and_passed(self):
        r = self.send(with_attachment(
            "big.bin", os.urandom(2 << 20), b"application/octet-stream",
            "big clean"))
        msg = self.assert_passed_unchecked(r, "big clean", "MaxFileSize")
        self.assertIsNone(msg["X-Virus-Scanned"])


def many_parts(n, extra, subject):
    """n small text parts and then extra, as one multipart message."""
    return message(multipart(
        [(b"Content-Type: text/plain\r\n", b"part %d\r\n" % i)
         for i in range(n)] + extra), subject)


class MimeBoundsTest(UncheckedTestCase):
    """What GMime would build is bounded before it builds it: past the
    bound the message is UNCHECKED without the parse (one pass over the
    spool), and libclamav's own mail parser still scans it whole."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_checking_filterd(max_mime_parts=5,
                                   max_header_field_size=2048)

    def test_parts_past_the_bound_are_unchecked_unparsed(self):
        # 5 parts allow 2 * 5 + 1000 lines that begin with "--".
        r = self.send("default", many_parts(1100, [], "many parts"))
        self.assert_passed_unchecked(
            r, "many parts", "more than 5 MIME parts: over 1010 boundary "
            "lines")

    def test_parts_within_the_bound_are_parsed(self):
        r = self.send("default", many_parts(400, [], "some parts"))
        # GMime's walk tells the exact limit.
        self.assert_passed_unchecked(r, "some parts", "more than 5 MIME "
                                     "parts")
        self.assertNotIn("boundary lines", self.log_line("some parts"))

    def test_virus_past_the_part_bound_is_found(self):
        eicar = attachment("eicar.bin", EICAR)
        r = self.send("reject", many_parts(1100, [eicar], "parts virus"))
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assertEqual(self.new_dumps(), [])


    def test_long_header_field_is_unchecked_unparsed(self):
        words = b"X-Words: " + b"x " * 1100 + b"\r\n"
        r = self.send("default", message(b"hi\r\n", "long field", words))
        self.assert_passed_unchecked(
            r, "long field", "a header field longer than 2048 bytes")

    def test_long_folded_field_in_a_part_is_unchecked(self):
        folded = b"X-Words: x\r\n" + b" folded\r\n" * 300
        part = (b"Content-Type: text/plain\r\n" + folded, b"hi\r\n")
        r = self.send("default", message(multipart([PLAIN, part]),
                                         "long part field"))
        self.assert_passed_unchecked(
            r, "long part field", "a header field longer than 2048 bytes")

    def test_virus_beside_a_long_header_field_is_found(self):
        words = b"X-Words: " + b"x " * 1100 + b"\r\n"
        r = self.send("reject", message(multipart([
            PLAIN, attachment("eicar.bin", EICAR)]), "field virus", words))
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assertEqual(self.new_dumps(), [])

    def test_banned_name_past_the_bounds_is_found(self):
        """GMime never sees it (a long header field), but the names its
        part headers declare are still checked, decoded as GMime
        decodes them (RFC 2231 here)."""
        words = b"X-Words: " + b"x " * 1100 + b"\r\n"
        part = (b"Content-Type: application/octet-stream\r\n"
                b"Content-Disposition: attachment;\r\n"
                b" filename*=utf-8''evil%2Eexe\r\n", b"TVqQAA==\r\n")
        r = self.send("reject", message(multipart([PLAIN, part]),
                                        "bounds banned", words))
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        self.assertIn("BANNED", r.text)
        self.assertIn("evil.exe", r.text)
        self.assertEqual(self.new_dumps(), [])

    def test_many_header_fields_are_unchecked_unparsed(self):
        fields = b"X-A: x\r\n" * 10001
        r = self.send("default", message(b"hi\r\n", "many fields", fields))
        self.assert_passed_unchecked(r, "many fields",
                                     "more than 10000 header fields")

    def test_unparsed_mime_is_defanged(self):
        """Past the bounds GMime never sees the message: its parts were
        never checked for banned names, so no mail program may open
        them as they are."""
        original = many_parts(1100, [], "unparsed defanged")
        r = self.send("default", original)
        reason = "more than 5 MIME parts: over 1010 boundary lines"
        msg = self.assert_passed_unchecked(r, "unparsed defanged", reason)
        self.assert_defanged(msg, original, "unparsed defanged", reason)

    def test_parts_left_out_at_the_part_limit_are_defanged(self):
        original = many_parts(40, [], "part limit defanged")
        r = self.send("default", original)
        reason = "more than 5 MIME parts"
        msg = self.assert_passed_unchecked(r, "part limit defanged", reason)
        self.assert_defanged(msg, original, "part limit defanged", reason)

    def test_parsed_mime_is_not_defanged(self):
        """The control: within the limits, the copy is the message."""
        original = many_parts(3, [], "parsed as is")
        r = self.send("default", original)
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        msg = self.delivered("parsed as is")
        self.assertEqual(len(msg.get_payload()), 3, msg)
        mail_id = re.search(r"mail_id: (\S+),",
                            self.log_line("parsed as is")).group(1)
        self.assertEqual([l for l in self.fd.log_lines()
                          if "%s: defang" % mail_id in l], [])


class MimeDepthTest(UncheckedTestCase):
    """Parts deeper than max_mime_depth are left out of the walk."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_peers(())
        cls.fd = h.Filterd(
            cls.tmp, "fd", banks={"default": dict(
                forward=[cls.sink.addr], bypass_virus_checks=True)},
            max_mime_depth=3)
        cls.start_for_class(cls.sink, cls.fd)

    def test_parts_left_out_at_the_depth_limit_are_defanged(self):
        body = (b"Content-Type: text/plain\r\n", b"deep down\r\n")
        for i in range(5):
            hdrs, text = multipart([body], b"b%d" % i)
            body = (hdrs.split(b"\r\n", 1)[1], text)
        original = message((b"MIME-Version: 1.0\r\n" + body[0], body[1]),
                           "depth defanged")
        r = h.send_message(self.fd.port, SENDER, [RCPT], original,
                           timeout=30)
        reason = "MIME nesting deeper than 3"
        msg = self.assert_passed_unchecked(r, "depth defanged", reason)
        self.assert_defanged(msg, original, "depth defanged", reason)


class MimeBoundsMemoryTest(UncheckedTestCase):
    """What the header of a hostile message costs a child, with the
    shipped limits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_peers(())
        cls.fd = h.Filterd(
            cls.tmp, "fd", banks={"default": dict(
                forward=[cls.sink.addr], bypass_virus_checks=True)},
            max_requests=1, message_size_limit=30000000)
        cls.start_for_class(cls.sink, cls.fd)

    def peak_mb(self, msg):
        """The largest VmHWM of a child while it takes msg (MB)."""
        return h.children_peak_mb(self.fd, lambda: h.send_message(
            self.fd.port, SENDER, [RCPT], msg, timeout=120))

    @h.rss_test
    def test_many_header_fields_cost_memory_in_proportion(self):
        """20 MB of short header fields made a child use 1.5 GB: GMime
        keeps some 600 bytes per field it parses."""
        msg = message(b"hi\r\n", "fields cost", b"X-A: x\r\n" * 2500000)
        r, peak = self.peak_mb(msg)
        self.assertEqual(r.code, 250, r)
        self.assertLess(peak, 10 * len(msg) // 1000000 + 40,
                        "child peak %d MB for a %d MB message" % (
                            peak, len(msg) // 1000000))
        self.assertIn("more than 10000 header fields",
                      self.log_line("fields cost"))

FSIZE = 2 << 20  # the file size limit of ScanFailureTest's filterd


class ScanFailureTest(UncheckedTestCase):
    """A check that fails is a temporary failure, even where the bank
    passes what cannot be checked: a failure is not content."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_peers(("pass", "novirus"))
        fwd = [cls.sink.addr]
        cls.fd = h.Filterd(
            cls.tmp, "fd",
            listen=[(cls.ports["pass"], "smtp", "default"),
                    (cls.ports["novirus"], "smtp", "NOVIRUS")],
            banks={"default": dict(forward=fwd,
                                   final_unchecked_destiny="pass"),
                   "NOVIRUS": dict(forward=fwd,
                                   final_unchecked_destiny="pass",
                                   bypass_virus_checks=True)},
            min_servers=1, max_servers=1, message_size_limit=500000,
            raw='clamav { database = "%s" }' % cls.db)
        cls.start_for_class(cls.sink)
        # filterd and its children inherit the limit; this process (which
        # ignores SIGXFSZ, as filterd does) has it only while it starts.
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE, hard))
        try:
            cls.start_for_class(cls.fd)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    def send(self, listener, msg):
        return h.send_message(self.ports[listener], SENDER, [RCPT], msg,
                              timeout=30)

    def assert_tempfailed(self, r, text):
        self.assertEqual((r.code, r.enhanced), (451, "4.3.0"), r)
        self.assertIn(text, r.text)
        self.assertNotIn("UNCHECKED", r.text)
        self.assertEqual(self.new_dumps(), [])
        # The child is still there, and the next message passes.
        r = self.send("pass", message(b"after\r\n", "after failure"))
        self.assertEqual(r.code, 250, r)

    def test_libclamav_error_is_a_temporary_failure(self):
        # libclamav inflates the member into a temporary file: 8 MiB of
        # zeros, 8 KiB in the message.
        z = zip_of([("zeros.bin", b"\0" * (4 * FSIZE))])
        r = self.send("pass", with_attachment(
            "zeros.zip", z, b"application/zip", "clamav fails"))
        self.assert_tempfailed(r, "virus scan: clamav: ")
        # libclamav's own complaint goes through filterd's log writer.
        log = self.fd.log_text()
        self.assertIn("warning: libclamav error: ", log)
        self.assertNotIn("LibClamAV Error", log)

    def test_archive_extraction_error_is_a_temporary_failure(self):
        # The banned check extracts the inner zip (8 MiB, stored) into a
        # temporary file to look inside it.
        inner = zip_of([("zeros.bin", b"\0" * (4 * FSIZE))],
                       zipfile.ZIP_STORED)
        outer = zip_of([("inner.zip", inner)])
        r = self.send("novirus", with_attachment(
            "outer.zip", outer, b"application/zip", "banned fails"))
        self.assert_tempfailed(r, "banned check: ")


if __name__ == "__main__":
    unittest.main(verbosity=2)
