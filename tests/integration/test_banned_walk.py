"""test_banned_walk - banned names and types at every depth (issue 18).

The banned check walks everything a message carries: MIME parts, encoded
attached messages, archives found by content inside archives, messages
inside archives, whatever the names' charsets. Each item is checked by
every name it is known by (for a zip member: its central directory's,
its local header's and Unicode Path names) and by its type, declared,
detected (libmagic) and as an amavis-style short type (".exe-ms").

Each attack here is rejected with the banned item named in the reply,
and the same content with a harmless file at the bottom passes CLEAN: a
check that rejects everything would prove nothing. A corpus of real
archive layouts (zip with directory entries, zip64, stored and deflated,
tar in ustar, gnu, pax and v7 forms, tar.gz/.bz2/.xz, and 7z, cpio and
ISO 9660 made by bsdtar) is walked without a false UNCHECKED, and the
same layout with evil.exe inside is rejected.

Real peers: smtp-sink, filterd with libclamav and a test signature
database; archives made by Python's zipfile and tarfile and by bsdtar
(libarchive-tools)."""

import bz2
import gzip
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_attack_content import pe_executable, zip_names  # noqa: E402
from test_checks import attachment, b64, message, multipart  # noqa: E402
from test_checks_unchecked import (PLAIN, UncheckedTestCase,  # noqa: E402
                                   ambiguous, with_attachment, zip_of)

EXE = b"MZ" + b"\0" * 100  # what the name says; the content is no matter
TXT = b"just notes\n"


def tar_of(members, fmt=tarfile.PAX_FORMAT, mode="w", encoding="utf-8"):
    """A tar (compressed as mode says) of (name, data) members."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt,
                      encoding=encoding, errors="surrogateescape") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_raw_name(raw, data, utf8_flag=False):
    """A zip of one stored member whose name is the bytes raw (in no
    charset the zip declares, unless utf8_flag)."""
    flags = 0x800 if utf8_flag else 0
    crc = zlib.crc32(data)
    local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, flags, 0, 0, 0,
                        crc, len(data), len(data), len(raw), 0) + raw + data
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, flags,
                          0, 0, 0, crc, len(data), len(data), len(raw), 0,
                          0, 0, 0, 0, 0) + raw
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(central),
                      len(local), 0)
    return local + central + end


def zip_hidden(listed, hidden, data=b"hello"):
    """A zip whose central directory lists listed, with a member named
    hidden before it that only its local header names: streaming
    extractors show it, Explorer does not."""
    local, central = b"", b""
    for name, in_cd in ((hidden, False), (listed, True)):
        n = name.encode()
        crc = zlib.crc32(data)
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 0, 0, 0,
                             crc, len(data), len(data), len(n), 0) + n + data
        if in_cd:
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20,
                                   20, 0, 0, 0, 0, crc, len(data),
                                   len(data), len(n), 0, 0, 0, 0, 0,
                                   offset) + n
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(central),
                      len(local), 0)
    return local + central + end


def rfc822_base64(inner):
    """A message/rfc822 part sent base64 (mail programs decode it)."""
    return (b"Content-Type: message/rfc822\r\n"
            b"Content-Transfer-Encoding: base64\r\n", b64(inner))


def mixed(bottom_name, bottom):
    """Issue 18's mix: an encoded message/rfc822 holding a zip sent as
    a PDF, holding a PAX tar with a non-ASCII name and a harmless
    member first, holding bottom_name."""
    tar = tar_of([("données/ä.txt", TXT), (bottom_name, bottom)])
    z = zip_of([("lisez-moi.txt", TXT), ("archivé.dat", tar)])
    inner = message(multipart([
        (b"Content-Type: text/plain\r\n", b"see the statement\r\n"),
        attachment("statement.pdf", z, b"application/pdf")]), "inner")
    return message(multipart([
        (b"Content-Type: text/plain\r\n", b"forwarded\r\n"),
        rfc822_base64(inner)]), "mix %s" % bottom_name)


def bsdtar(fmt, members, filt=None):
    """An archive bsdtar writes in format fmt (and filter filt) of
    (name, data) members, or None when bsdtar is not installed."""
    if shutil.which("bsdtar") is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "src")
        for name, data in members:
            path = os.path.join(src, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        out = os.path.join(d, "out")
        cmd = ["bsdtar", "--format", fmt, "-cf", out, "-C", src]
        if filt:
            cmd[1:1] = ["--" + filt]
        subprocess.run(cmd + [n for n, _ in members], check=True,
                       timeout=30, capture_output=True)
        with open(out, "rb") as f:
            return f.read()


def zip_with_dirs(members, method=zipfile.ZIP_DEFLATED, zip64=False):
    """A zip with directory entries before its members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        dirs = sorted({os.path.dirname(n) + "/" for n, _ in members
                       if "/" in n})
        for d in dirs:
            z.writestr(zipfile.ZipInfo(d), b"")
        for name, data in members:
            with z.open(name, "w", force_zip64=zip64) as f:
                f.write(data)
    return buf.getvalue()


class _Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek in: it writes data descriptors."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)


def zip_streamed(members):
    """A zip written as a stream (flag bit 3: sizes after the data)."""
    out = _Unseekable()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return bytes(out.buf)


def zip_commented(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.comment = b"made by a program that comments its zips"
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


# name -> function of members: the archive in that layout (None: the
# tool that makes it is missing). Members have a directory part.
LAYOUTS = {
    "zip deflated with directories":
        lambda m: zip_with_dirs(m),
    "zip stored": lambda m: zip_with_dirs(m, zipfile.ZIP_STORED),
    "zip bzip2": lambda m: zip_with_dirs(m, zipfile.ZIP_BZIP2),
    "zip64": lambda m: zip_with_dirs(m, zip64=True),
    "zip streamed": zip_streamed,
    "zip with a comment": zip_commented,
    "tar ustar": lambda m: tar_of(m, tarfile.USTAR_FORMAT),
    "tar gnu": lambda m: tar_of(m, tarfile.GNU_FORMAT),
    "tar pax": lambda m: tar_of(m, tarfile.PAX_FORMAT),
    "tar.gz": lambda m: tar_of(m, mode="w:gz"),
    "tar.bz2": lambda m: tar_of(m, mode="w:bz2"),
    "tar.xz": lambda m: tar_of(m, mode="w:xz"),
    "gzip of a tar": lambda m: gzip.compress(tar_of(m)),
    "bzip2 of a tar": lambda m: bz2.compress(tar_of(m)),
    "xz of a tar": lambda m: lzma.compress(tar_of(m)),
    "tar v7 (bsdtar)": lambda m: bsdtar("v7tar", m),
    "7z (bsdtar)": lambda m: bsdtar("7zip", m),
    "cpio odc (bsdtar)": lambda m: bsdtar("cpio", m),
    "cpio newc (bsdtar)": lambda m: bsdtar("newc", m),
    "iso9660 (bsdtar)": lambda m: bsdtar("iso9660", m),
    "zip (bsdtar)": lambda m: bsdtar("zip", m),
    "tar.zst (bsdtar)": lambda m: bsdtar("pax", m, "zstd"),
}


class BannedAsserts:
    """A banned check's two outcomes on the class's LISTENER: refused
    as BANNED naming words, or passed CLEAN without an alert."""

    LISTENER = "reject"

    def assert_banned(self, msg, *words, listener=None):
        r = self.send(listener or self.LISTENER, msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                         "%r; %s" % (r, self.fd.log_text()[-1500:]))
        self.assertIn("BANNED:", r.text)
        for w in words:
            self.assertIn(w, r.text)
        self.reply_is_safe(r)
        self.assertEqual(self.new_dumps(), [])

    def reply_is_safe(self, r):
        """Names in the reply: no CR, and lines within SMTP's 512."""
        for line in r.text.split("\n"):
            self.assertNotIn("\r", line, r)
            self.assertLessEqual(len(line) + 6, 512, r)

    def assert_clean(self, msg, subject, listener=None):
        r = self.send(listener or self.LISTENER, msg)
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"),
                         "%r; %s" % (r, self.fd.log_text()[-1500:]))
        got = self.delivered(subject)
        # Several sends in one test: this copy is seen now.
        self.seen |= {d.path for d in self.sink.dumps()}
        self.assertIsNone(got["X-Amavis-Alert"], got["X-Amavis-Alert"])
        self.assertIn("Passed CLEAN", self.log_line(subject))


class BannedWalkTest(BannedAsserts, UncheckedTestCase):
    """filterd: "default" passes and tags, "reject" rejects banned items
    (banned_filename (?i)\\.(exe|scr|pif)$), "types" rejects by amavis'
    short types only (banned_type ^\\.(exe-ms|dll)$)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_checking_filterd(
            banks=[("types", "TYP",
                    dict(banned_filename=[],
                         banned_type=["^\\.(exe-ms|dll)$"],
                         banned_double_extension=False,
                         final_banned_destiny="reject"))],
            max_decoded_size=10 << 20)

    # Issue 18, case 1: names in any charset, and the walk goes on.

    def test_pax_tar_with_a_non_ascii_name_before_the_exe(self):
        t = tar_of([("ä.txt", TXT), ("evil.exe", EXE)])
        self.assert_banned(with_attachment(
            "files.tar", t, b"application/x-tar", "pax utf8"),
            "files.tar,evil.exe")
        t = tar_of([("ä.txt", TXT), ("evil.txt", TXT)])
        self.assert_clean(with_attachment(
            "files.tar", t, b"application/x-tar", "pax utf8 ok"),
            "pax utf8 ok")

    def test_gnu_tar_with_latin1_names(self):
        """A GNU tar written in ISO 8859-1: names that are not UTF-8."""
        t = tar_of([("r\xe9sum\xe9.txt", TXT), ("\xe9vil.exe", EXE)],
                   tarfile.GNU_FORMAT, encoding="latin-1")
        self.assert_banned(with_attachment(
            "cv.tar", t, b"application/x-tar", "gnu latin1"), "vil.exe")
        t = tar_of([("r\xe9sum\xe9.txt", TXT), ("\xe9vil.txt", TXT)],
                   tarfile.GNU_FORMAT, encoding="latin-1")
        self.assert_clean(with_attachment(
            "cv.tar", t, b"application/x-tar", "gnu latin1 ok"),
            "gnu latin1 ok")

    def test_zip_names_in_cp437_and_shift_jis(self):
        """Zip names without the UTF-8 flag are in the sender's code
        page: matched as their bytes, those that are not UTF-8 escaped."""
        for raw, subject in ((b"\x82vil.exe", "cp437 exe"),
                             (b"\x83t\x83@\x83C\x83\x8b.exe", "sjis exe")):
            self.assert_banned(with_attachment(
                "docs.zip", zip_raw_name(raw, EXE), b"application/zip",
                subject), "docs.zip,\\x8")
        self.assert_clean(with_attachment(
            "docs.zip", zip_raw_name(b"\x82vil.txt", TXT),
            b"application/zip", "cp437 ok"), "cp437 ok")

    def test_zip_flagged_utf8_with_bytes_that_are_not(self):
        self.assert_banned(with_attachment(
            "docs.zip", zip_raw_name(b"\xff\xfeevil.exe", EXE, True),
            b"application/zip", "bad utf8 exe"), "evil.exe")

    def test_zip_member_only_a_local_header_names(self):
        """A member the central directory does not list: libarchive's
        seekable reader and Explorer skip it, a streaming extractor
        (Java's ZipInputStream, bsdtar reading a pipe) extracts it."""
        self.assert_banned(with_attachment(
            "docs.zip", zip_hidden("readme.txt", "evil.exe"),
            b"application/zip", "zip hidden"), "evil.exe")
        self.assert_clean(with_attachment(
            "docs.zip", zip_hidden("readme.txt", "notes.txt"),
            b"application/zip", "zip hidden ok"), "zip hidden ok")

    def test_compressed_zip_is_read_by_its_directory_too(self):
        """A zip.gz: libarchive reads a compressed zip as a stream, by
        its local headers; gunzip it and Explorer lists the central
        directory's names. Both are checked."""
        z = gzip.compress(zip_names("invoice.txt", "invoice.exe"))
        self.assert_banned(with_attachment(
            "docs.zip.gz", z, b"application/gzip", "zip gz cd"),
            "invoice.exe")
        z = gzip.compress(zip_names("invoice.txt", "invoice.doc"))
        self.assert_clean(with_attachment(
            "docs.zip.gz", z, b"application/gzip", "zip gz ok"),
            "zip gz ok")

    # Issue 18, case 2: archives inside archives, by content.

    def test_archives_renamed_inside_archives(self):
        inner_tgz = tar_of([("setup/evil.exe", EXE)], mode="w:gz")
        inner_zip = zip_of([("evil.exe", EXE)])
        outer = zip_of([("readme.txt", TXT), ("photo.jpg", inner_tgz),
                        ("inner.dat", inner_zip)])
        self.assert_banned(with_attachment(
            "outer.zip", outer, b"application/zip", "renamed inside"),
            "photo.jpg,setup/evil.exe")
        outer = zip_of([("readme.txt", TXT), ("inner.dat",
                                              zip_of([("a.txt", TXT)]))])
        self.assert_clean(with_attachment(
            "outer.zip", outer, b"application/zip", "renamed inside ok"),
            "renamed inside ok")

    # The mix: encoded rfc822 > renamed zip > non-ASCII PAX tar > exe.

    def test_issue_18_mix(self):
        self.assert_banned(mixed("données/evil.exe", EXE), "evil.exe")
        self.assert_clean(mixed("données/evil.txt", TXT),
                          "mix données/evil.txt")

    # Messages inside archives.

    def test_message_in_a_zip_in_a_message_in_a_zip(self):
        def eml(payload_name, payload):
            return message(multipart([
                (b"Content-Type: text/plain\r\n", b"hi\r\n"),
                attachment(payload_name, payload)]), "inner eml")
        deep = zip_of([("fwd.eml", eml("docs.zip", zip_of([
            ("mail", eml("invoice.exe", EXE))])))])
        self.assert_banned(with_attachment(
            "mail.zip", deep, b"application/zip", "eml zip eml"),
            "invoice.exe")
        deep = zip_of([("fwd.eml", eml("docs.zip", zip_of([
            ("mail", eml("invoice.txt", TXT))])))])
        self.assert_clean(with_attachment(
            "mail.zip", deep, b"application/zip", "eml zip eml ok"),
            "eml zip eml ok")

    def test_messages_in_archives_share_one_budget(self):
        """max_mime_parts counts the parts of every message in every
        archive with those of the message: 400 messages of 4 parts in
        one zip are past the shipped 1,000, UNCHECKED."""
        one = message(multipart([
            (b"Content-Type: text/plain\r\n", b"hi\r\n"),
            (b"Content-Type: text/plain\r\n", b"hi\r\n"),
            attachment("a.txt", TXT)]), "m")
        z = zip_of([("m%03d.eml" % i, one) for i in range(400)])
        r = self.send("default", with_attachment(
            "many.zip", z, b"application/zip", "eml budget"))
        self.assert_passed_unchecked(r, "eml budget", "MIME parts")

    def test_archive_depth_counts_across_a_message_in_an_archive(self):
        """max_archive_depth (4, shipped) counts the archives above a
        message in an archive: a zip holding a mail whose zip nests
        three more is five deep, UNCHECKED; one fewer is walked."""
        def nest(levels):
            z = zip_of([("a.txt", TXT)])
            for _ in range(levels - 1):
                z = zip_of([("more.zip", z)])
            inner = message(multipart([
                PLAIN, attachment("docs.zip", z, b"application/zip")]),
                "depth inner")
            return zip_of([("fwd.eml", inner)])
        r = self.send("default", with_attachment(
            "deep.zip", nest(4), b"application/zip", "depth 5"))
        self.assert_passed_unchecked(r, "depth 5", "max_archive_depth")
        self.seen |= {d.path for d in self.sink.dumps()}
        self.assert_clean(with_attachment(
            "deep.zip", nest(3), b"application/zip", "depth 4"),
            "depth 4", listener="default")

    def test_ambiguous_message_in_a_zip_is_unchecked(self):
        """Ambiguous MIME in a message inside an archive makes the
        message UNCHECKED, as it does in an attached message."""
        inner = ambiguous(PLAIN, attachment("a.txt", TXT), "amb inner")
        r = self.send("default", with_attachment(
            "fwd.zip", zip_of([("fwd.eml", inner)]), b"application/zip",
            "amb in zip"))
        self.assert_passed_unchecked(r, "amb in zip", "ambiguous MIME")

    # Types by content, as amavis' short types.

    def test_short_types(self):
        pe = pe_executable()
        dll = bytearray(pe)
        at = 0x80 + 22
        dll[at + 1] |= 0x20  # IMAGE_FILE_DLL
        self.assert_banned(with_attachment(
            "invoice.pdf", pe, b"application/pdf", "pe as pdf"),
            "application/pdf,.exe-ms,invoice.pdf", listener="types")
        self.assert_banned(with_attachment(
            "lib.bin", bytes(dll), b"application/octet-stream", "dll"),
            ".dll", listener="types")
        self.assert_banned(with_attachment(
            "docs.zip", zip_of([("data.bin", pe)]), b"application/zip",
            "pe in zip"), "docs.zip,.exe-ms,data.bin", listener="types")
        self.assert_clean(with_attachment(
            "invoice.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n",
            b"application/pdf", "real pdf"), "real pdf", listener="types")

    # A corpus of real archive layouts.

    def test_archive_layouts(self):
        harmless = [("docs/readme.txt", TXT), ("docs/notes.txt", TXT)]
        banned = [("docs/readme.txt", TXT), ("docs/evil.exe", EXE)]
        made = 0
        for layout, make in LAYOUTS.items():
            with self.subTest(layout=layout):
                data = make(harmless)
                if data is None:
                    continue
                made += 1
                subject = "layout " + layout.split(" (")[0]
                self.assert_clean(with_attachment(
                    "archive.bin", data, b"application/octet-stream",
                    subject), subject)
                self.assert_banned(with_attachment(
                    "archive.bin", make(banned),
                    b"application/octet-stream", subject + " exe"),
                    "evil.exe")
        self.assertGreaterEqual(made, 15)


if __name__ == "__main__":
    unittest.main(verbosity=2)
