"""test_banned_names18 - names the banned check reads since issue 18's
attack (fix18a): a gzip's stored name, a zip appended to another
archive, names as Windows saves them, names from Content-Name and the
other fields, a banned rule PCRE2 gives up on. Each with its harmless
twin, so that none passes by banning everything.

Real peers: smtp-sink, filterd with libclamav and a test signature
database; archives made by Python's gzip, tarfile and zipfile."""

import gzip
import io
import os
import sys
import tarfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_banned_walk import TXT, BannedAsserts, tar_of  # noqa: E402
from test_checks import b64, message, multipart  # noqa: E402
from test_checks_unchecked import (PLAIN, UncheckedTestCase,  # noqa: E402
                                   with_attachment, zip_of)

BODY = b"no executable here, only its name\n"

NAMES = dict(banned_filename=["\\.(exe|scr|com|bat)$"],
             banned_type=["^\\.(exe-ms|dll)$"],
             banned_double_extension=False,
             final_banned_destiny="reject")

# The first pattern backtracks without end on a long word (PCRE2's match
# limit stops it); the second bans any .exe.
SLOW = "^(?:(\\w|\\s)+\\s?)*!$"
ONE = dict(NAMES, banned_filename=[SLOW + "|\\.exe$"], banned_type=[])
TWO = dict(NAMES, banned_filename=[SLOW, "\\.exe$"], banned_type=[])


def gz(name, data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf) as g:
        g.write(data)
    return buf.getvalue()


class BannedNames18Test(BannedAsserts, UncheckedTestCase):
    """One filterd: "names" (the brief's rules, reject), "one" (a rule
    PCRE2 gives up on, ".exe" in the same pattern), "two" (the same
    in two patterns)."""

    LISTENER = "names"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_checking_filterd(banks=[("names", "N18", NAMES),
                                          ("one", "ONE", ONE),
                                          ("two", "TWO", TWO)])

    def test_gzip_stored_name(self):
        """photo.gz whose header names evil.exe (or evil.exe. ) is
        banned, the gzip's name in the reply; one that names photo.jpg,
        and a tar.gz, pass CLEAN."""
        self.assert_banned(with_attachment(
            "photo.gz", gz("evil.exe", BODY), b"application/gzip",
            "gz name"), "photo.gz,evil.exe")
        self.assert_banned(with_attachment(
            "photo.gz", gz("evil.exe. ", BODY), b"application/gzip",
            "gz name dot"), "evil.exe")
        self.assert_clean(with_attachment(
            "photo.gz", gz("photo.jpg", BODY), b"application/gzip",
            "gz name ok"), "gz name ok")
        self.assert_clean(with_attachment(
            "docs.tgz", tar_of([("a/readme.txt", TXT)], mode="w:gz"),
            b"application/gzip", "tgz ok"), "tgz ok")

    def test_gzip_in_a_zip(self):
        """The same gzip as a zip member (found by content)."""
        self.assert_banned(with_attachment(
            "docs.zip", zip_of([("photo.dat", gz("evil.exe", BODY))]),
            b"application/zip", "gz in zip"), "evil.exe")

    def test_zip_after_a_tar(self):
        """A tar then a zip (unzip and 7-Zip read the zip): the zip's
        names are checked; with a harmless zip it passes CLEAN, and so
        does a tar whose last member holds an end record by chance."""
        t = tar_of([("readme.txt", TXT)], tarfile.USTAR_FORMAT)
        self.assert_banned(with_attachment(
            "docs.zip", t + zip_of([("evil.exe", BODY)], zipfile.ZIP_STORED),
            b"application/zip", "tar zip"), "evil.exe")
        self.assert_clean(with_attachment(
            "docs.zip", t + zip_of([("evil.txt", BODY)], zipfile.ZIP_STORED),
            b"application/zip", "tar zip ok"), "tar zip ok")
        chance = tar_of([("readme.txt", b"x" * 100 + b"PK\x05\x06" +
                          b"\xff" * 18)], tarfile.USTAR_FORMAT)
        self.assert_clean(with_attachment(
            "docs.tar", chance, b"application/x-tar", "tar chance"),
            "tar chance")

    def test_zip_after_an_image(self):
        """photo.jpg, a JPEG with a zip after it: 7-Zip opens it and
        lists evil.exe; the harmless twin passes CLEAN."""
        jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2000 + \
            b"\xff\xd9"
        self.assert_banned(with_attachment(
            "photo.jpg", jpeg + zip_of([("evil.exe", BODY)]),
            b"image/jpeg", "jpeg zip"), "photo.jpg,evil.exe")
        self.assert_clean(with_attachment(
            "photo.jpg", jpeg + zip_of([("evil.txt", BODY)]),
            b"image/jpeg", "jpeg zip ok"), "jpeg zip ok")

    def test_trailing_dots_and_spaces_harmless(self):
        """"evil.txt. " is saved as evil.txt: CLEAN."""
        self.assert_clean(with_attachment(
            "docs.zip", zip_of([("evil.txt. ", BODY)]), b"application/zip",
            "trail ok"), "trail ok")

    def test_content_name_field_harmless(self):
        """Content-Name: notes.txt passes CLEAN; evil.exe is banned."""
        for name, ok in ((b"notes.txt", True), (b"evil.exe", False)):
            hdr = (b"Content-Type: application/octet-stream\r\n"
                   b"Content-Name: " + name + b"\r\n"
                   b"Content-Transfer-Encoding: base64\r\n")
            subject = "cn " + name.decode()
            msg = message(multipart([PLAIN, (hdr, b64(BODY))]), subject)
            if ok:
                self.assert_clean(msg, subject)
            else:
                self.assert_banned(msg, "evil.exe")

    def test_x_sun_data_name_of_a_one_part_message(self):
        """A one-part message whose header says X-Sun-Data-Name:
        evil.exe (Thunderbird names its body so): banned."""
        msg = message((b"MIME-Version: 1.0\r\n"
                       b"Content-Type: application/octet-stream\r\n"
                       b"X-Sun-Data-Name: evil.exe\r\n"
                       b"Content-Transfer-Encoding: base64\r\n",
                       b64(BODY)), "sun one part")
        self.assert_banned(msg, "evil.exe")

    def test_rule_that_cannot_finish_is_unchecked(self):
        """A name the rule cannot finish on is UNCHECKED ("banned rule
        could not finish"), not CLEAN; with ".exe" in a second pattern
        of its own it is banned all the same; a short name is CLEAN."""
        name = "a" * 30 + ".exe"
        r = self.send("one", with_attachment(
            name, BODY, b"application/octet-stream", "slow one"))
        self.assert_passed_unchecked(r, "slow one",
                                     "banned rule could not finish")
        self.seen |= {d.path for d in self.sink.dumps()}
        self.assert_banned(with_attachment(
            name, BODY, b"application/octet-stream", "slow two"),
            name, listener="two")
        self.assert_clean(with_attachment(
            "a.txt", BODY, b"application/octet-stream", "slow ok"),
            "slow ok", listener="one")


if __name__ == "__main__":
    unittest.main(verbosity=2)
