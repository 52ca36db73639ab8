"""test_virus_mime16 - the test signature wherever mail can hide it.

The virus scan is given the content of every part once (issue 16): these
tests pin what it must still find whatever way it is fed. The test
signature (test_checks.signature_db: EICAR's hash and its body anywhere)
is hidden in a base64 part, a quoted-printable part, a uuencoded block in
a text part, a zip in a part, a zip in a zip, an attached message
(message/rfc822), a part whose Content-Type lies, and the body of a
message whose MIME is broken (a boundary that never comes). A scan that
cannot finish (an archive nested past max_recursion) stays UNCHECKED,
never CLEAN.

In every message but the broken one the signature's bytes are not in the
message as sent: only a decoder finds them. Peers are real: filterd with
libclamav and the test signature database, a WireSink next hop."""

import binascii
import os
import quopri
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_checks import (EICAR, WireChecksCase, attachment,  # noqa: E402
                         b64, message, multipart, zipped)

TEXT = (b"Content-Type: text/plain\r\n", b"see the attachment\r\n")


def uuencode(name, data):
    """A uuencoded block, as uuencode(1) writes it."""
    out = b"begin 644 " + name.encode() + b"\r\n"
    for i in range(0, len(data), 45):
        out += binascii.b2a_uu(data[i:i + 45]).replace(b"\n", b"\r\n")
    return out + b"`\r\nend\r\n"


class HiddenVirusTest(WireChecksCase):
    """filterd (libclamav, VIRUS rejected, UNCHECKED passed)."""

    def assert_virus(self, msg):
        r, copies = self.send(msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                         "%r; %s" % (r, self.fd.log_text()[-600:]))
        self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assertEqual(copies, [])

    def test_base64_part(self):
        msg = message(multipart([TEXT, attachment("a.bin", EICAR)]),
                      "hidden base64")
        self.assertNotIn(EICAR, msg)
        self.assert_virus(msg)

    def test_quoted_printable_part(self):
        # quopri leaves EICAR's bytes as they are but for "="; force
        # every byte encoded so the raw message holds no signature.
        qp = b"".join(b"=%02X" % c for c in EICAR)
        qp = b"=\r\n".join(qp[i:i + 72] for i in range(0, len(qp), 72))
        self.assertEqual(quopri.decodestring(qp.replace(b"\r\n", b"\n")),
                         EICAR)
        msg = message(multipart([TEXT, (
            b"Content-Type: application/octet-stream; name=\"q.com\"\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n", qp)]),
            "hidden qp")
        self.assertNotIn(EICAR, msg)
        self.assert_virus(msg)

    def test_uuencoded_block_in_a_text_part(self):
        body = (b"Here is the file:\r\n\r\n" + uuencode("e.com", EICAR) +
                b"\r\nregards\r\n")
        msg = message(multipart([TEXT, (
            b"Content-Type: text/plain; charset=us-ascii\r\n", body)]),
            "hidden uuencode")
        self.assertNotIn(EICAR, msg)
        self.assert_virus(msg)

    def test_zip_inside_a_part(self):
        msg = message(multipart([TEXT, attachment(
            "d.zip", zipped("e.txt", b"x" * 100 + EICAR + b"y" * 100),
            b"application/zip")]), "hidden zip")
        self.assert_virus(msg)

    def test_zip_in_a_zip(self):
        inner = zipped("in.zip", zipped("e.com", EICAR))
        msg = message(multipart([TEXT, attachment(
            "outer.zip", inner, b"application/zip")]), "hidden zipzip")
        self.assert_virus(msg)

    def test_message_rfc822_attachment(self):
        inner = message(multipart([TEXT, attachment("e.com", EICAR)]),
                        "inner")
        msg = message(multipart([TEXT, (
            b"Content-Type: message/rfc822\r\n"
            b"Content-Disposition: attachment; filename=\"fw.eml\"\r\n",
            inner)]), "hidden rfc822")
        self.assertNotIn(EICAR, msg)
        self.assert_virus(msg)

    def test_lying_content_type(self):
        """A zip sent as image/png under a .png name."""
        msg = message(multipart([TEXT, attachment(
            "photo.png", zipped("e.com", EICAR), b"image/png")]),
            "hidden lying type")
        self.assert_virus(msg)

    def test_lying_text_type(self):
        """A zip sent base64 as text/plain under a .txt name."""
        msg = message(multipart([TEXT, attachment(
            "notes.txt", zipped("e.com", EICAR), b"text/plain")]),
            "hidden lying text")
        self.assert_virus(msg)

    def test_raw_body_of_broken_mime(self):
        """multipart whose boundary never comes: the body as it is."""
        body = (b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                b"boundary=\"never\"\r\n",
                b"--nevr\r\nContent-Type: text/plain\r\n\r\n" + EICAR +
                b"\r\n--nevr--\r\n")
        self.assert_virus(message(body, "hidden broken boundary"))

    def test_base64_after_a_broken_boundary(self):
        """A base64 part whose boundary line is misspelt: a mail program
        may still find it; the decoded signature must be found."""
        body = (b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                b"boundary=\"bnd\"\r\n",
                b"--bnd\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                b"--bnd \r\nContent-Type: application/octet-stream\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(EICAR) +
                b"--bnd--\r\n")
        self.assert_virus(message(body, "hidden broken b64"))


class UnfinishedScanTest(WireChecksCase):
    """A scan that cannot finish is UNCHECKED, never CLEAN."""

    def test_nesting_past_max_recursion_is_unchecked(self):
        data = b"harmless"
        name = "f.txt"
        for i in range(20):  # the shipped max_recursion is 16
            data, name = zipped(name, data), "z%d.zip" % i
        msg = message(multipart([TEXT, attachment(
            name, data, b"application/zip")]), "deep zips")
        r, copies = self.send(msg)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(len(copies), 1)
        head = copies[0].data.split(b"\r\n\r\n", 1)[0]
        self.assertIn(b"X-Amavis-Alert: UNCHECKED", head)


if __name__ == "__main__":
    unittest.main()
