"""test_embedded18 - files inside files, as the fix of issue 18's
outside attack reads them (helper B): Outlook's TNEF (winmail.dat),
uuencoded mail, uuencode outside text parts and in archive members,
bare CR line ends, begin lines that are prose.

test_attack18 holds the attacks; these are their harmless twins (the
same layout with a .txt at the bottom passes CLEAN, so the fix does not
ban by layout), the other names a TNEF file has (its long name in the
MAPI properties), TNEF found by content and inside a zip, a TNEF stream
cut short (UNCHECKED, never CLEAN), and text that only looks like a
block.

Real peers: smtp-sink, filterd with libclamav and a test signature
database; TNEF streams and archives made here (struct, zipfile)."""

import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_attack18 as a18  # noqa: E402
from test_banned_walk import BannedAsserts  # noqa: E402
from test_checks import attachment, message, multipart  # noqa: E402
from test_checks_unchecked import (PLAIN, UncheckedTestCase,  # noqa: E402
                                   with_attachment, zip_of)

BODY = a18.BODY


def attr(level, attr_id, value):
    """One TNEF attribute: level, id, size, value, checksum."""
    return (struct.pack("<BII", level, attr_id, len(value)) + value +
            struct.pack("<H", sum(value) & 0xffff))


def tnef_files(files):
    """A TNEF stream of (title, long name or None, data) files."""
    out = (struct.pack("<IH", 0x223E9F78, 0x0101) +
           attr(1, 0x00089006, struct.pack("<I", 0x00010000)) +
           attr(1, 0x00078008, b"IPM.Microsoft Mail.Note\0"))
    for title, long_name, data in files:
        out += attr(2, 0x00069002, struct.pack("<HIHHI", 1, 0xffffffff, 0,
                                               0, 0))
        out += attr(2, 0x00018010, title + b"\0")
        out += attr(2, 0x0006800F, data)
        if long_name is not None:
            v = long_name + b"\0"
            v += b"\0" * (-len(v) % 4)
            # One property: PR_ATTACH_LONG_FILENAME, PT_STRING8.
            props = struct.pack("<IIII", 1, 0x3707 << 16 | 0x001E, 1,
                                len(long_name) + 1) + v
            out += attr(2, 0x00069005, props)
    return out


class Embedded18Test(BannedAsserts, UncheckedTestCase):
    """One filterd: "default" (passes and tags), "evil" (bank A18 of
    test_attack18: \\.(exe|scr|com|bat)$, reject)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_checking_filterd(banks=[("evil", "A18", a18.A18)],
                                   max_decoded_size=10 << 20)

    LISTENER = "evil"

    # TNEF

    def test_tnef_harmless_passes(self):
        """winmail.dat holding two text files: CLEAN."""
        t = tnef_files([(b"a.txt", None, BODY),
                        (b"B.TXT", b"notes for the meeting.txt", BODY)])
        self.assert_clean(with_attachment(
            "winmail.dat", t, b"application/ms-tnef", "tnef ok"),
            "tnef ok")

    def test_tnef_long_name_in_mapi(self):
        """The title says EVIL~1.TXT, the long file name Outlook saves
        it by (PR_ATTACH_LONG_FILENAME) is evil.exe: banned by it. The
        second of two files."""
        t = tnef_files([(b"a.txt", None, BODY),
                        (b"EVIL~1.TXT", b"evil.exe", BODY)])
        self.assert_banned(with_attachment(
            "winmail.dat", t, b"application/ms-tnef", "tnef long"),
            "evil.exe")

    def test_tnef_found_by_content(self):
        """Declared application/octet-stream, named att.bin: its
        signature says TNEF."""
        t = tnef_files([(b"evil.exe", None, BODY)])
        self.assert_banned(with_attachment(
            "att.bin", t, b"application/octet-stream", "tnef sig"),
            "evil.exe")

    def test_tnef_in_a_zip(self):
        t = tnef_files([(b"evil.exe", None, BODY)])
        self.assert_banned(with_attachment(
            "mail.zip", zip_of([("winmail.dat", t)]), b"application/zip",
            "tnef in zip"), "evil.exe")

    def test_tnef_cut_short_is_unchecked(self):
        """A stream whose last attribute runs past its end: nothing can
        be said of it, UNCHECKED (not CLEAN)."""
        t = tnef_files([(b"a.txt", None, BODY * 4)])[:-20]
        r = self.send("default", with_attachment(
            "winmail.dat", t, b"application/ms-tnef", "tnef cut"))
        self.assert_passed_unchecked(r, "tnef cut", "TNEF")

    # uuencode

    def test_uuencoded_mail_harmless_passes(self):
        inner = message(multipart([PLAIN, attachment("evil.txt", BODY)]),
                        "inner ok")
        self.assert_clean(a18.text_message(
            b"fwd\r\n" + a18.uu_block(b"fwd.eml", inner), "uu eml ok"),
            "uu eml ok")

    def test_uuencoded_mail_by_content(self):
        """A uuencoded mail named fwd.dat: its head reads as mail."""
        inner = message(multipart([PLAIN, attachment("evil.exe", BODY)]),
                        "inner by content")
        self.assert_banned(a18.text_message(
            b"fwd\r\n" + a18.uu_block(b"fwd.dat", inner), "uu eml dat"),
            "evil.exe")

    def test_uuencoded_attachment_harmless_passes(self):
        self.assert_clean(with_attachment(
            "notes.uue", a18.uu_block(b"notes.txt", BODY),
            b"application/octet-stream", "uue ok"), "uue ok")
        self.assert_clean(with_attachment(
            "docs.zip", zip_of([("readme.txt",
                                 a18.uu_block(b"notes.txt", BODY))]),
            b"application/zip", "uu in zip ok"), "uu in zip ok")

    def test_binary_with_a_begin_word_passes(self):
        """A binary attachment whose head holds a prose begin line: no
        block, CLEAN (on "default", which would tag UNCHECKED)."""
        data = b"begin 2025 with a plan\n\x00\x01\x02" + b"\xff" * 64
        self.assert_clean(with_attachment(
            "data.bin", data, b"application/octet-stream", "bin begin"),
            "bin begin", listener="default")

    def test_bare_cr_harmless_passes(self):
        block = a18.uu_block(b"evil.txt", BODY).replace(b"\r\n", b"\r")
        self.assert_clean(a18.text_message(
            b"see below\r\n" + block + b"\r\n", "uu bare cr ok"),
            "uu bare cr ok")

    def test_name_cut_by_a_bare_cr_is_checked_both_ways(self):
        """begin 644 evil.exe<CR>x.txt: Thunderbird names the file
        evil.exe, a reader of LF lines "evil.exe\\rx.txt" (whose
        next line is uuencode): both names are checked, banned."""
        body = (b"x\r\nbegin 644 evil.exe\rx.txt\r\n" + a18.uu_lines(BODY) +
                b"end\r\n")
        self.assert_banned(a18.text_message(body, "uu cr two"), "evil.exe")

    def test_begin_line_before_junk_is_still_checked_by_name(self):
        """begin 644 run.bat, a junk line, then the uuencoded script:
        no block (the next line is no uuencode, so no UNCHECKED), but
        Thunderbird's lenient decoder shows run.bat all the same: the
        name of a begin line is checked whatever follows it."""
        body = (b"x\r\nbegin 644 run.bat\r\nthis is junk\r\n" +
                a18.uu_lines(b"@echo off\r\ndel /q *\r\n") + b"end\r\n")
        self.assert_banned(a18.text_message(body, "uu junk"), "run.bat")

    def test_broken_block_stays_unchecked(self):
        """A block that starts with uuencoded lines and then breaks is
        still UNCHECKED (only a begin line followed by no encoded line
        is text)."""
        body = (b"x\r\nbegin 644 notes.txt\r\n" + a18.uu_lines(BODY)[:-3] +
                b"\r\nthis is not uuencode\r\nend\r\n")
        r = self.send("default", a18.text_message(body, "uu broken"))
        self.assert_passed_unchecked(r, "uu broken", "not uuencode")


if __name__ == "__main__":
    unittest.main(verbosity=2)
