"""test_checks_decode - parts as mail programs decode and name them.

What a recipient's mail program shows and saves is what the checks must
see: a part under a Content-Transfer-Encoding GMime does not know exactly
("base64;"), base64 cut short or run on past its padding, every name a
part declares (Content-Disposition filename= and Content-Type name=,
RFC 2231 included), and the parts of messages attached in a way GMime
does not open (an .eml file, message/rfc822 sent base64, a part whose
content is mail). Each test failed before filterd decoded, named and
opened them so.

Peers are real: filterd with libclamav and the signature database of
test_checks, banned names and types, every destiny "reject" but
UNCHECKED's ("pass", with the X-Amavis-Alert header), and a WireSink next
hop that keeps the exact bytes of each copy."""

import base64
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_checks import (EICAR, WireChecksCase, attachment,  # noqa: E402
                         b64, message, multipart, zipped)

SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
TEXT = (b"Content-Type: text/plain\r\n", b"see attachment\r\n")


class DecodeBase(WireChecksCase):
    """filterd (libclamav, banned names) in front of a WireSink."""

    def assert_blocked(self, r, copies, what, text):
        """Rejected as what ("BANNED", "VIRUS"), the reply naming text."""
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                         "%r; %s" % (r, self.fd.log_text()[-600:]))
        self.assertIn(what + ":", r.text)
        self.assertIn(text, r.text)
        self.assertEqual(copies, [])

    def assert_unchecked(self, r, copies, why):
        """Passed with the alert saying why it is UNCHECKED."""
        self.assertEqual(r.code, 250, r)
        self.assertEqual(len(copies), 1)
        head = copies[0].data.split(b"\r\n\r\n", 1)[0]
        self.assertIn(b"X-Amavis-Alert: UNCHECKED, " + why.encode(), head,
                      self.fd.log_text()[-600:])


def part_with(cte, body, ctype=b"application/octet-stream"):
    return (b"Content-Type: " + ctype + b"\r\n"
            b"Content-Transfer-Encoding: " + cte + b"\r\n", body)


class EncodingTest(DecodeBase):

    def test_banned_zip_behind_an_odd_encoding(self):
        """A zip holding run.exe under "Content-Transfer-Encoding:
        base64;" was passed CLEAN: GMime took the base64 text as the
        content, so no archive was found in it. Mail programs read the
        first token and save the zip."""
        z = b64(zipped("run.exe", b"MZ hello"))
        for cte in (b"base64;", b"\"base64\"", b"base64 (zip)"):
            with self.subTest(cte=cte):
                r, copies = self.send(message(multipart([
                    TEXT, part_with(cte, z)]), "odd cte zip"))
                self.assert_blocked(r, copies, "BANNED", "run.exe")

    def test_unknown_encoding_is_unchecked(self):
        """An encoding that is no name we know, even by its first token,
        cannot be decoded as a mail program would: UNCHECKED, not CLEAN."""
        for cte in (b"x-base64", b"b\r\n ase64"):
            with self.subTest(cte=cte):
                r, copies = self.send(message(multipart([
                    TEXT, part_with(cte, b64(b"hello"))]), "unknown cte"))
                self.assert_unchecked(
                    r, copies, "unknown Content-Transfer-Encoding (MIME "
                    "part 3)")

    def test_base64_past_its_padding_is_unchecked(self):
        """Decoders disagree on base64 that goes on after its padding
        (some stop, some go on, some skip the "="): no reading is sure."""
        body = base64.b64encode(b"a") + base64.b64encode(b"hello") + b"\r\n"
        r, copies = self.send(message(multipart([
            TEXT, part_with(b"base64", body)]), "past padding"))
        self.assert_unchecked(
            r, copies, "base64 with data after its padding (MIME part 3)")


class SpamViewTest(DecodeBase):

    def test_gtube_behind_an_odd_encoding(self):
        """The spam rules read the text of a part under "base64;" as
        GMime left it, base64, so GTUBE there was passed as not spam;
        mail programs show the decoded text."""
        gtube = (b"XJS*C4JDBQADN1.NSBN3*2IDNEN*" +
                 b"GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n")
        r, copies = self.send(message(multipart([
            TEXT, part_with(b"base64;", b64(gtube), b"text/plain")]),
            "odd cte gtube"))
        self.assertEqual(len(copies), 1, r)
        head = copies[0].data.split(b"\r\n\r\n", 1)[0]
        self.assertIn(b"X-Spam-Flag: YES", head)
        self.assertIn(b"GTUBE=1000", head)


class NamesTest(DecodeBase):

    def test_rfc2231_content_type_name_is_checked(self):
        """name*= (RFC 2231) in Content-Type beside a harmless filename=
        was never checked; mail programs may save by it."""
        part = (b"Content-Type: application/octet-stream; "
                b"name*=utf-8''r%C3%BCn.exe\r\n"
                b"Content-Disposition: attachment; filename=\"a.txt\"\r\n"
                b"Content-Transfer-Encoding: base64\r\n", b64(b"hello"))
        r, copies = self.send(message(multipart([TEXT, part]), "2231"))
        self.assert_blocked(r, copies, "BANNED", "n.exe")

    def test_reason_names_the_name_that_matched(self):
        part = (b"Content-Type: application/octet-stream; name=\"a.txt\"\r\n"
                b"Content-Disposition: attachment; filename=\"run.scr\"\r\n"
                b"Content-Transfer-Encoding: base64\r\n", b64(b"hello"))
        r, copies = self.send(message(multipart([TEXT, part]), "which"))
        self.assert_blocked(r, copies, "BANNED", "run.scr")
        self.assertNotIn("a.txt", r.text)


def inner_message(parts, subject="inner"):
    return message(multipart(parts, b"inner0"), subject)


class AttachedTest(DecodeBase):

    def test_zip_in_an_attached_eml(self):
        """An archive inside an attached .eml: walked like any other."""
        inner = inner_message([TEXT, attachment(
            "docs.zip", zipped("run.exe", b"MZ"), b"application/zip")])
        r, copies = self.send(message(multipart([
            TEXT, attachment("fwd.eml", inner)]), "eml zip"))
        self.assert_blocked(r, copies, "BANNED", "run.exe")

    def test_mail_content_under_another_name(self):
        """A part without a name whose content is a mail message (as
        amavisd-new's file(1) tells): opened."""
        inner = inner_message([TEXT, attachment("run.pif", b"hello")])
        r, copies = self.send(message(multipart([
            TEXT, (b"Content-Type: application/octet-stream\r\n"
                   b"Content-Transfer-Encoding: base64\r\n", b64(inner))]),
            "sniffed"))
        self.assert_blocked(r, copies, "BANNED", "run.pif")

    def test_attached_in_attached(self):
        """message/rfc822 sent quoted-printable, holding an .eml."""
        inner = inner_message([TEXT, attachment("run.exe", b"hello")])
        middle = inner_message([TEXT, attachment("a.eml", inner)], "middle")
        qp = middle.replace(b"=", b"=3D")
        r, copies = self.send(message(multipart([
            TEXT, (b"Content-Type: message/rfc822\r\n"
                   b"Content-Transfer-Encoding: quoted-printable\r\n", qp)]),
            "nested"))
        self.assert_blocked(r, copies, "BANNED", "run.exe")

    def test_virus_in_an_attached_eml_is_still_found(self):
        """libclamav still gets the .eml whole, with its mail parser, and
        each of its parts."""
        inner = inner_message([TEXT, attachment("eicar.com", EICAR)])
        for name in ("fwd.eml", "fwd.dat"):
            with self.subTest(name=name):
                r, copies = self.send(message(multipart([
                    TEXT, attachment(name, inner)]), "eml virus"))
                self.assert_blocked(r, copies, "VIRUS",
                                    "Eicar-Test-Signature")

    def test_clean_attached_message_passes_clean(self):
        inner = inner_message([TEXT, attachment("a.pdf", b"%PDF-1.4")])
        r, copies = self.send(message(multipart([
            TEXT, attachment("fwd.eml", inner)]), "eml clean"))
        self.assertEqual(r.code, 250, r)
        head = copies[0].data.split(b"\r\n\r\n", 1)[0]
        self.assertNotIn(b"X-Amavis-Alert", head)
        self.assertIn("Passed CLEAN", self.fd.log_text())

    def test_nothing_left_in_tmp_dir(self):
        """Attached messages are decoded into files unlinked at creation:
        between messages, tmp_dir holds only the children's empty
        directories."""
        inner = inner_message([TEXT, attachment("a.pdf", b"%PDF-1.4")])
        r, _ = self.send(message(multipart([
            TEXT, attachment("fwd.eml", inner)]), "tmp"))
        self.assertEqual(r.code, 250, r)
        tmp_dir = self.fd.params["tmp_dir"]
        left = [os.path.join(root, f) for root, _, files in os.walk(tmp_dir)
                for f in files]
        self.assertEqual(left, [])


class AttachedLimitTest(DecodeBase):
    """Attached messages count against max_decoded_size; a limit reached
    in one part does not hide the parts after it."""

    CONF = {"max_decoded_size": 4096}

    def test_attached_messages_over_max_decoded_size(self):
        inner = inner_message([TEXT, attachment("a.pdf", b"x" * 6000)])
        r, copies = self.send(message(multipart([
            TEXT, attachment("fwd.eml", inner)]), "big eml"))
        self.assert_unchecked(r, copies,
                              "attached messages exceed max_decoded_size")

    def test_banned_name_after_a_message_over_the_limit(self):
        """The walk stopped at the first limit: run.exe after an attached
        message over max_decoded_size was passed UNCHECKED, not BANNED."""
        inner = inner_message([TEXT, attachment("a.pdf", b"x" * 6000)])
        r, copies = self.send(message(multipart([
            TEXT, attachment("fwd.eml", inner),
            attachment("run.exe", b"hello")]), "after big eml"))
        self.assert_blocked(r, copies, "BANNED", "run.exe")

    def test_banned_name_after_nesting_too_deep(self):
        """The same for a part nested deeper than max_mime_depth (GMime
        itself goes 1024 levels deep): run.exe after it was UNCHECKED."""
        part = b"Content-Type: text/plain\r\n\r\nbottom\r\n"
        for i in range(25):
            b = b"n%d" % i
            part = (b"Content-Type: multipart/mixed; boundary=\"" + b +
                    b"\"\r\n\r\n--" + b + b"\r\n" + part + b"\r\n--" + b +
                    b"--\r\n")
        head, body = part.split(b"\r\n\r\n", 1)
        deep = (head + b"\r\n", body)
        r, copies = self.send(message(multipart([
            TEXT, deep, attachment("run.exe", b"hello")]), "after deep"))
        self.assert_blocked(r, copies, "BANNED", "run.exe")


if __name__ == "__main__":
    unittest.main()
