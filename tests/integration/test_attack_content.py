"""test_attack_content - hostile content against the checks (review of
issue 11's fixes).

Every test here was written by an outside reviewer as an attack and failed
on the code it was written against; each docstring starts with "ATTACK:"
and says what a recipient's mail program sees, what filterd did, and what
the product promises instead. They assert the promise, so they pass once
the defect is fixed.

Peers are real: filterd with libclamav and a signature database built here
(test_checks.signature_db: EICAR, assembled at run time), and a WireSink
next hop that keeps the exact bytes of each copy."""

import io
import os
import struct
import sys
import unittest
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_checks import (EICAR, WireChecksCase, attachment,  # noqa: E402
                         b64, message, multipart, zipped)

SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
TEXT = (b"Content-Type: text/plain\r\n", b"see attachment\r\n")


def zip_names(local, central, data=b"hello"):
    """A zip of one stored member whose local header names it local and
    whose central directory (what extractors list) names it central."""
    if len(local) != len(central):
        raise ValueError("names of the same length only")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(central, data)
    raw = bytearray(buf.getvalue())
    i = raw.find(b"PK\x03\x04")
    n = struct.unpack("<H", raw[i + 26:i + 28])[0]
    raw[i + 30:i + 30 + n] = local.encode()
    return bytes(raw)


def zip_unicode_path(name, upath, data=b"hello"):
    """A zip of one stored member named name (the name field Windows
    shows), with an Info-ZIP Unicode Path extra field (0x7075) saying
    upath."""
    n, up = name.encode(), upath.encode()
    extra = struct.pack("<HHBI", 0x7075, 5 + len(up), 1, zlib.crc32(n)) + up
    crc = zlib.crc32(data)
    local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 0, 0, 0, crc,
                        len(data), len(data), len(n), len(extra)) + \
        n + extra + data
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 0, 0,
                          0, crc, len(data), len(data), len(n), len(extra),
                          0, 0, 0, 0, 0) + n + extra
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(central),
                      len(local), 0)
    return local + central + end


def pe_executable():
    """A minimal PE32 image: what libmagic calls a Windows executable."""
    mz = bytearray(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
    mz += b"\x00" * (0x3c - len(mz)) + struct.pack("<I", 0x80)
    mz += b"\x00" * (0x80 - len(mz))
    pe = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x14c, 1, 0, 0, 0, 0xe0,
                                     0x102)
    opt = struct.pack("<HBB", 0x10b, 0, 0) + b"\x00" * (0xe0 - 4)
    return bytes(mz) + pe + opt + b"\x00" * 512


class AttackBase(WireChecksCase):
    """filterd (libclamav, banned names, every destiny "reject") in front
    of a WireSink."""

    def log_line(self, mail_id):
        lines = [l for l in self.fd.log_lines()
                 if "%s: Passed" % mail_id in l or
                 "%s: Blocked" % mail_id in l]
        return lines[-1] if lines else ""

    def assert_not_passed_clean(self, r, copies):
        """Blocked, or passed only with the UNCHECKED alert: never a copy
        that looks checked and clean."""
        for tx in copies:
            head = tx.data.split(b"\r\n\r\n", 1)[0]
            self.assertIn(b"X-Amavis-Alert: UNCHECKED", head,
                          "passed as clean: %r; %s" % (
                              r, self.log_line(mail_id(r))))

    def assert_banned(self, r, copies, what):
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                         "%r (copies %d); log: %s" % (
                             r, len(copies), self.log_line(mail_id(r))))
        self.assertIn("BANNED:", r.text)
        self.assertIn(what, r.text)
        self.assertEqual(copies, [])


def mail_id(r):
    import re
    m = re.search(r"id=([A-Za-z0-9_-]+)", r.text)
    return m.group(1) if m else "?"


class BannedNamesTest(AttackBase):

    def test_content_type_name_beside_a_harmless_filename(self):
        """ATTACK: a part with Content-Disposition filename="run.txt" and
        Content-Type name="run.exe" was passed CLEAN: scan_banned reads
        one name per part (g_mime_part_get_filename: the filename
        parameter when there is one), while mail programs differ in which
        they show and save; amavisd-new checks both. Every name a part
        declares must be checked."""
        part = (b"Content-Type: application/octet-stream; name=\"run.exe\"\r\n"
                b"Content-Disposition: attachment; filename=\"run.txt\"\r\n"
                b"Content-Transfer-Encoding: base64\r\n", b64(b"hello"))
        r, copies = self.send(message(multipart([TEXT, part]), "ct name"))
        self.assert_banned(r, copies, "run.exe")

    def test_empty_filename_does_not_hide_the_content_type_name(self):
        """ATTACK: filename="" in Content-Disposition hid name="run.exe"
        in Content-Type (passed CLEAN); a mail program that finds the
        filename empty uses the name."""
        part = (b"Content-Type: application/octet-stream; name=\"run.exe\"\r\n"
                b"Content-Disposition: attachment; filename=\"\"\r\n"
                b"Content-Transfer-Encoding: base64\r\n", b64(b"hello"))
        r, copies = self.send(message(multipart([TEXT, part]), "empty fn"))
        self.assert_banned(r, copies, "run.exe")

    def test_zip_central_directory_name_is_checked(self):
        """ATTACK: a zip whose local header names the member invoice.txt
        and whose central directory names it invoice.exe was passed
        CLEAN. libarchive reports the local header's name; Windows
        Explorer, 7-Zip, unzip and Python list (and extract to) the
        central directory's name. The name a user gets must be checked
        (or a zip whose two names disagree is at least UNCHECKED)."""
        z = zip_names("invoice.txt", "invoice.exe")
        r, copies = self.send(message(multipart([
            TEXT, attachment("docs.zip", z, b"application/zip")]), "zip cd"))
        if r.code == 250:
            self.assert_not_passed_clean(r, copies)
        else:
            self.assert_banned(r, copies, "invoice.exe")

    def test_zip_unicode_path_field_does_not_hide_the_name(self):
        """ATTACK: a zip member named invoice.exe with an Info-ZIP Unicode
        Path extra field saying invoice.txt was passed CLEAN: libarchive
        reports the extra field's name only, while Windows Explorer
        ignores that field and extracts invoice.exe. Both names must be
        checked."""
        z = zip_unicode_path("invoice.exe", "invoice.txt")
        r, copies = self.send(message(multipart([
            TEXT, attachment("docs.zip", z, b"application/zip")]), "zip up"))
        if r.code == 250:
            self.assert_not_passed_clean(r, copies)
        else:
            self.assert_banned(r, copies, "invoice.exe")

    def test_attached_eml_is_opened(self):
        """ATTACK: a forwarded message attached as fwd.eml
        (application/octet-stream), holding run.exe, was passed CLEAN:
        only parts GMime itself parses as message/rfc822 are walked.
        Mail programs open .eml attachments and their attachments;
        amavisd-new decodes any part whose content is mail (its "mail"
        decoder)."""
        inner = message(multipart([TEXT, attachment("run.exe", b"hello")]),
                        "inner eml")
        r, copies = self.send(message(multipart([
            TEXT, attachment("fwd.eml", inner)]), "eml"))
        self.assert_banned(r, copies, "run.exe")

    def test_base64_message_rfc822_is_opened(self):
        """ATTACK: a message/rfc822 part sent base64-encoded (RFC 2046
        forbids it, mail programs decode it), holding run.exe, was passed
        CLEAN: GMime parses the encoded text as the inner message and
        finds no parts."""
        inner = message(multipart([TEXT, attachment("run.exe", b"hello")]),
                        "inner b64")
        part = (b"Content-Type: message/rfc822\r\n"
                b"Content-Transfer-Encoding: base64\r\n", b64(inner))
        r, copies = self.send(message(multipart([TEXT, part]), "rfc822 b64"))
        if r.code == 250:
            self.assert_not_passed_clean(r, copies)
        else:
            self.assert_banned(r, copies, "run.exe")


class UnknownEncodingTest(AttackBase):

    def eicar_with(self, cte, first=b"text/plain", subject="cte"):
        body = (b"--b0\r\nContent-Type: " + first + b"\r\n\r\nhi\r\n"
                b"--b0\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n" +
                b64(EICAR) + b"--b0--\r\n")
        return message((b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
                        b" boundary=b0\r\n", body), subject)

    def test_html_part_does_not_change_the_verdict(self):
        """The control: with a text/html part beside it, libclamav's own
        mail parser reads the message (scan_run_parts_plain) and finds
        the virus behind "Content-Transfer-Encoding: base64;"."""
        r, copies = self.send(self.eicar_with(b"base64;", b"text/html",
                                              "cte html"))
        self.assertEqual(r.code, 554, r)
        self.assertIn("VIRUS:", r.text)

    def test_virus_behind_an_unknown_transfer_encoding(self):
        """ATTACK: EICAR base64-encoded under "Content-Transfer-Encoding:
        base64;" (also "base64" in quotes, x-base64, a folded value) was
        passed CLEAN. GMime does not know the value, keeps the part as
        it is and warns of nothing, so the message counts as parsed
        cleanly and libclamav only sees GMime's undecoded part; its own
        mail parser, used as soon as the message has a text/html part
        (test above), decodes it and finds the virus, and so do mail
        programs that read the first token of the field. A part whose
        encoding is not understood must not be passed as checked."""
        for cte in (b"base64;", b"\"base64\"", b"x-base64", b"b\r\n ase64"):
            with self.subTest(cte=cte):
                r, copies = self.send(self.eicar_with(cte))
                if r.code == 250:
                    self.assert_not_passed_clean(r, copies)

    def test_virus_in_base64_without_its_padding(self):
        """ATTACK: EICAR base64-encoded with its final "=" left out was
        passed CLEAN: GMime's decoder drops the last, incomplete group
        (EICAR's last two bytes), so neither the hash nor the body
        signature matches what libclamav is given; libclamav's own mail
        parser (with a text/html part beside it) decodes the group and
        finds the virus, as lenient mail programs do. The fast path must
        not see less of a part than the parser it stands in for."""
        import base64
        body = base64.b64encode(EICAR).rstrip(b"=") + b"\r\n"
        for first in (b"text/html", b"text/plain"):
            with self.subTest(first=first):
                r, copies = self.send(message(multipart([
                    (b"Content-Type: " + first + b"\r\n", b"hi\r\n"),
                    (b"Content-Type: application/octet-stream; "
                     b"name=\"a.bin\"\r\nContent-Transfer-Encoding: base64"
                     b"\r\n", body)]), "no padding"))
                if r.code == 250:
                    self.assert_not_passed_clean(r, copies)


class ShippedBankTest(h.PeerTestCase):
    """The shipped policy-banks/default.conf, as a listener bank overlays
    it (its next hop and destinies only)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink = h.WireSink()
        cls.port = h.free_port()
        shipped = os.path.join(h.REPO, "policy-banks", "default.conf")
        cls.fd = h.Filterd(
            cls.tmp, "fd", listen=[(cls.port, "smtp", "T")],
            banks={"T": dict(forward=[cls.sink.addr],
                             final_banned_destiny="reject",
                             banned_quarantine="none")},
            quarantine_dir=cls.tmp.sub("quarantine"),
            raw='include("%s")' % shipped)
        cls.start_for_class(cls.sink, cls.fd)

    def test_shipped_banned_types_catch_a_windows_executable(self):
        """ATTACK: the shipped bank bans executables by type with
        application/x-msdownload, application/x-msdos-program and
        application/hta, none of which libmagic (file 5.44, Debian 12)
        ever returns: it says application/vnd.microsoft.portable-
        executable for a PE image and application/x-dosexec for an MZ
        one. So an .exe sent as report.pdf was passed CLEAN with the
        shipped configuration (the tests use their own banned_type)."""
        n = len(self.sink.transactions)
        r = h.send_message(self.port, SENDER, [RCPT], message(multipart([
            TEXT, attachment("report.pdf", pe_executable(),
                             b"application/pdf")]), "shipped pe"),
            timeout=30)
        self.assertEqual(r.code, 554, r)
        self.assertIn("BANNED:", r.text)
        self.assertEqual(self.sink.transactions[n:], [])


class LogLineTest(AttackBase):

    def test_long_member_name_keeps_the_log_line_whole(self):
        """ATTACK: a banned member name of 9,000 characters comes early in
        the one summary line (the category's reason), and the log writer
        cuts lines at 8 KiB: the line lost its envelope, mail_id, size
        and timing, so whoever counts messages from the log misses it.
        Content must not push the record's own fields out of its line."""
        name = "a" * 9000 + ".exe"
        r, copies = self.send(message(multipart([
            TEXT, attachment("docs.zip", zipped(name, b"x"),
                             b"application/zip")]), "long name"))
        self.assertEqual(r.code, 554, r)
        line = self.log_line(mail_id(r))
        self.assertTrue(line, self.fd.log_text()[-2000:])
        for field in ("<%s>" % RCPT, "mail_id: %s" % mail_id(r), "size: "):
            self.assertIn(field, line, "%d bytes, ending %r" % (
                len(line), line[-80:]))


@h.rss_test
class MemoryTest(AttackBase):
    """What parsing hostile MIME costs a child, in memory."""

    BANK = {"bypass_virus_checks": True}
    CONF = {"message_size_limit": 30000000, "max_requests": 1}

    def peak_mb(self, msg):
        """The largest VmHWM of a child while it takes msg (MB)."""
        return h.children_peak_mb(self.fd, lambda: h.send_message(
            self.port, SENDER, ["x@elsewhere.example"], msg, timeout=120))

    def test_many_mime_parts_cost_memory_in_proportion(self):
        """ATTACK: 10 MB of 200,000 empty MIME parts made a child use
        about 400 MB (GMime builds the whole tree before the walk stops
        at max_mime_parts); at the default message_size_limit (50 MB) one
        message costs a child over 2 GB, ten children 20 GB. Postfix
        passes such a message (it limits MIME depth, not parts)."""
        body = b"".join(b"--b0\r\nContent-Type: application/octet-stream"
                        b"\r\n\r\nx\r\n" for _ in range(200000))
        msg = message((b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
                       b" boundary=b0\r\n", body + b"--b0--\r\n"), "parts")
        r, peak = self.peak_mb(msg)
        self.assertIn(r.code, (250, 451, 554), r)
        self.assertLess(peak, 10 * len(msg) // 1000000 + 40,
                        "child peak %d MB for a %d MB message" % (
                            peak, len(msg) // 1000000))

    def test_long_header_field_costs_memory_in_proportion(self):
        """ATTACK: one 20 MB header field of short words made a child use
        about 1.2 GB: with a warning callback set (mime_parse needs it
        for ambiguous MIME), GMime decodes every field to look for bad
        encoded words, some 60 bytes per word. (Postfix cuts a header
        field at header_size_limit, 100 KB; other front MTAs may not.)"""
        msg = (b"From: a@example.org\r\nX-Words: " + b"x " * 10000000 +
               b"\r\n\r\nbody\r\n")
        r, peak = self.peak_mb(msg)
        self.assertIn(r.code, (250, 451, 552, 554), r)
        self.assertLess(peak, 10 * len(msg) // 1000000 + 40,
                        "child peak %d MB for a %d MB message" % (
                            peak, len(msg) // 1000000))


if __name__ == "__main__":
    unittest.main()
