"""test_checks_archives - archives found by content, and walked.

A zip sent as statement.pdf (application/pdf), a zip inside a member
called inner.dat, a tar.gz called holiday.jpg: archives are opened
because of what they are, not what they say they are, as amavisd-new
does with file(1). An archive that cannot be walked (encrypted, corrupt,
truncated) is UNCHECKED, never CLEAN; one with UTF-8 member names is
walked like any other, although filterd never calls setlocale.

Real peers: smtp-sink, filterd with libclamav and a test signature
database (test_checks.signature_db), archives made by Python's zipfile and
tarfile, and an encrypted zip made here with PKWARE's traditional
encryption (checked against zipfile, which can decrypt it)."""

import io
import os
import struct
import sys
import tarfile
import unittest
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_checks import b64, message, multipart, zipped  # noqa: E402
from test_checks_unchecked import (UncheckedTestCase,  # noqa: E402
                                   with_attachment, zip_of)


# ---------------------------------------------------------------------------
# Archives
# ---------------------------------------------------------------------------

def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def zipcrypto(data, password, crc):
    """data encrypted with PKWARE's traditional zip encryption."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(b):
        keys[0] = (keys[0] >> 8) ^ CRC_TABLE[(keys[0] ^ b) & 0xff]
        keys[1] = ((keys[1] + (keys[0] & 0xff)) * 134775813 + 1) & 0xffffffff
        keys[2] = (keys[2] >> 8) ^ CRC_TABLE[(keys[2] ^ (keys[1] >> 24)) &
                                            0xff]
    for b in password:
        update(b)
    out = bytearray()
    for p in os.urandom(11) + bytes([crc >> 24]) + data:
        t = (keys[2] | 2) & 0xffff
        out.append(p ^ (((t * (t ^ 1)) >> 8) & 0xff))
        update(p)
    return bytes(out)


def encrypted_zip(members, password=b"secret"):
    """A zip whose members (name, data) are stored, encrypted."""
    local, central = b"", b""
    for name, data in members:
        n = name.encode()
        crc = zlib.crc32(data)
        enc = zipcrypto(data, password, crc)
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 1, 0, 0, 0,
                             crc, len(enc), len(data), len(n), 0) + n + enc
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 1,
                               0, 0, 0, crc, len(enc), len(data), len(n), 0,
                               0, 0, 0, 0, offset) + n
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(members),
                      len(members), len(central), len(local), 0)
    out = local + central + end
    # The test's own check: it is a zip that the password opens.
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        for name, data in members:
            assert z.read(name, pwd=password) == data
    return out


def corrupt_zip():
    """A well-formed directory over a member whose deflate data is bad."""
    data = bytearray(zip_of([("report.txt", os.urandom(64) * 200)]))
    at = 30 + len("report.txt")
    data[at:at + 4] = b"\xff\xff\xff\xff"  # BTYPE 11: reserved
    return bytes(data)


def truncated_zip():
    z = zip_of([("first.txt", b"first member\n"),
                ("second.bin", os.urandom(20000))])
    return z[:len(z) // 2]


class ArchiveContentTest(UncheckedTestCase):
    """Archives found by content; archives that cannot be walked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_checking_filterd(
            banks=[("tempfail", "TF",
                    dict(final_unchecked_destiny="tempfail"))],
            max_decoded_size=10 << 20)

    def assert_banned(self, msg, *words):
        r = self.send("reject", msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        self.assertIn("BANNED:", r.text)
        for w in words:
            self.assertIn(w, r.text)
        self.assertEqual(self.new_dumps(), [])

    def test_zip_named_and_typed_as_pdf_is_opened(self):
        z = zipped("statement.pdf.scr", b"not really a screen saver")
        self.assert_banned(with_attachment(
            "statement.pdf", z, b"application/pdf", "renamed zip"),
            "statement.pdf,statement.pdf.scr")

    def test_zip_in_a_member_with_any_name_is_opened(self):
        inner = zipped("evil.exe", b"MZ not really")
        outer = zipped("inner.dat", inner)
        self.assert_banned(with_attachment(
            "outer.zip", outer, b"application/zip", "inner dat"),
            "inner.dat,evil.exe")

    def test_tar_gz_named_as_a_picture_is_opened(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            data = b"not a screen saver"
            info = tarfile.TarInfo("setup/install.scr")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        self.assert_banned(with_attachment(
            "holiday.jpg", buf.getvalue(), b"image/jpeg", "renamed tgz"),
            "holiday.jpg,setup/install.scr")

    def test_skipping_through_a_tar_gz_counts_as_decoding(self):
        """Getting past a member of a compressed stream decompresses it,
        read or not: 12 MiB of members against max_decoded_size 10 MiB."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            for name in ("a.bin", "b.bin"):
                info = tarfile.TarInfo(name)
                info.size = 6 << 20
                tf.addfile(info, io.BytesIO(b"\0" * info.size))
        r = self.send("default", with_attachment(
            "data.tar.gz", buf.getvalue(), b"application/gzip", "big tgz"))
        self.assert_passed_unchecked(
            r, "big tgz", "decoded content exceeds max_decoded_size")

    def test_zip_sent_as_base64_text_is_opened(self):
        z = zipped("run.pif", b"pif")
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n"
             b"Content-Transfer-Encoding: base64\r\n", b64(z))]),
            "zip as text")
        self.assert_banned(msg, "run.pif")

    def test_encrypted_zip_is_unchecked_and_passed(self):
        z = encrypted_zip([("secret.txt", b"the plan\n"),
                           ("notes.txt", b"more\n")])
        r = self.send("default", with_attachment(
            "plan.zip", z, b"application/zip", "encrypted zip"))
        self.assert_passed_unchecked(r, "encrypted zip", "encrypted")
        self.assertTrue([l for l in self.fd.log_lines()
                         if "UNCHECKED-ENCRYPTED" in l],
                        self.fd.log_text()[-2000:])

    def test_encrypted_zip_renamed_is_unchecked(self):
        z = encrypted_zip([("secret.txt", b"the plan\n")])
        r = self.send("default", with_attachment(
            "plan.pdf", z, b"application/pdf", "encrypted renamed"))
        self.assert_passed_unchecked(r, "encrypted renamed", "encrypted")

    def test_bank_that_tempfails_unchecked_still_does(self):
        z = encrypted_zip([("secret.txt", b"the plan\n")])
        r = self.send("tempfail", with_attachment(
            "plan.zip", z, b"application/zip", "encrypted tf"))
        self.assertEqual((r.code, r.enhanced), (451, "4.3.0"), r)
        self.assertIn("UNCHECKED: encrypted", r.text)
        self.assertEqual(self.new_dumps(), [])

    def test_corrupt_zip_is_unchecked(self):
        r = self.send("default", with_attachment(
            "report.zip", corrupt_zip(), b"application/zip", "corrupt zip"))
        self.assert_passed_unchecked(r, "corrupt zip", "archive")

    def test_truncated_zip_is_unchecked(self):
        r = self.send("default", with_attachment(
            "files.bin", truncated_zip(), b"application/octet-stream",
            "truncated zip"))
        self.assert_passed_unchecked(r, "truncated zip", "archive")

    def test_utf8_member_name_is_read(self):
        """filterd never calls setlocale: libarchive warns about UTF-8
        names in the C locale. That warning alone is no reason to stop
        walking, nor to call the archive UNCHECKED."""
        z = zip_of([("résumé.txt", b"cv\n"), ("notes.txt", b"notes\n")])
        r = self.send("default", with_attachment(
            "cv.zip", z, b"application/zip", "utf8 clean"))
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        msg = self.delivered("utf8 clean")
        self.assertIsNone(msg["X-Amavis-Alert"])
        self.assertIn("Passed CLEAN", self.log_line("utf8 clean"))

    def test_member_after_a_utf8_name_is_checked(self):
        z = zip_of([("résumé.txt", b"cv\n"), ("evil.exe", b"MZ")])
        self.assert_banned(with_attachment(
            "cv.zip", z, b"application/zip", "utf8 then exe"),
            "cv.zip,evil.exe")

    def test_utf8_banned_name_is_read(self):
        z = zip_of([("évil.exe", b"MZ")])
        self.assert_banned(with_attachment(
            "cv.zip", z, b"application/zip", "utf8 exe"), ".exe")



if __name__ == "__main__":
    unittest.main(verbosity=2)
