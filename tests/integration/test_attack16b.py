"""test_attack16b - an outside attack on the virus scan's parts path.

Issue 16 (mime200) scans a message whose text parts hold nothing that
libclamav's mail parser would unpack (scan_clamav_text_marked) without
that parser: the message as sent, then each part as a file of its own.
Each test here is content libclamav 1.4's mail parser finds (checked
with clamscan on the same bytes) that the parts path does not: the
marker scan reads lines otherwise than libclamav does (a bare CR ends a
line for libclamav, a NUL byte is dropped by it), libclamav checks links
against the phishing lists in every text part but text/plain inside a
multipart, not only in text/html. (BinHex in text holds: filterd
decodes it itself, mime_embedded.)

Each test sends one message and expects the client's view of a found
virus: 554 5.7.0 and no copy at the next hop. Peers are real: filterd
with libclamav and the test signature database (test_checks), a
WireSink next hop."""

import base64
import binascii
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_checks import (EICAR, WireChecksCase, message,  # noqa: E402
                         multipart)

TEXT = b"Content-Type: text/plain; charset=us-ascii\r\n"
PROSE = (b"This is the mail system at host mx.example.org.\r\n\r\n"
         b"Your message could not be delivered; it follows.\r\n\r\n")
SPOOF = (b"<p>Please sign in: <a href=\"http://198.51.100.66/login\">"
         b"https://www.paypal.com/signin</a></p>")


def b64_lines(data):
    return base64.encodebytes(data).rstrip(b"\n").split(b"\n")


def quoted_message_lines():
    """A returned message's lines: headers, then EICAR base64."""
    return [b"From: a@example.org", b"To: b@example.net",
            b"Subject: returned",
            b"Content-Type: application/octet-stream; name=\"e.com\"",
            b"Content-Transfer-Encoding: base64", b""] + b64_lines(EICAR)


def uu_lines(name, data):
    out = [b"begin 644 " + name]
    for i in range(0, len(data), 45):
        out.append(binascii.b2a_uu(data[i:i + 45]).rstrip(b"\n"))
    return out + [b"`", b"end"]


def with_text_part(body, subject, ctype=TEXT):
    """A multipart message: a greeting, then body in a part of ctype."""
    return message(multipart([(TEXT, b"hello\r\n"), (ctype, body)]),
                   subject)


class VirusCase(WireChecksCase):
    """assert_found: the signature name found, the message refused;
    assert_virus: the test signature so, nowhere in the message as
    sent."""

    def assert_found(self, msg, name):
        r, copies = self.send(msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                         "%r; %s" % (r, self.fd.log_text()[-600:]))
        self.assertIn("VIRUS: " + name, r.text)
        self.assertEqual(copies, [])

    def assert_virus(self, msg):
        self.assertNotIn(EICAR, msg)
        self.assert_found(msg, "Eicar-Test-Signature")


class TextPartTest(VirusCase):
    """The test signature database, no phishing list."""

    def test_message_quoted_in_text_after_bare_cr(self):
        """Its lines end in a bare CR (SMTP content, kept as such): a
        line end for libclamav, none for the marker scan."""
        body = (PROSE + b"The original:\r" +
                b"\r".join(quoted_message_lines()) + b"\r\n")
        self.assert_virus(with_text_part(body, "cr bounce"))

    def test_message_quoted_in_text_with_nul_bytes(self):
        """A NUL in each marker line's name: libclamav drops NULs as it
        reads the message, the marker scan does not."""
        lines = [ln.replace(b":", b"\0:", 1) if b":" in ln[:30] else ln
                 for ln in quoted_message_lines()]
        body = PROSE + b"\r\n".join(lines) + b"\r\n"
        self.assert_virus(with_text_part(body, "nul bounce"))

    def test_uuencoded_file_whose_begin_line_has_a_nul(self):
        """'beg\\0in 644 e.com': libclamav reads 'begin 644 e.com' and
        decodes; neither the marker scan nor filterd's own embedded-file
        decoder sees a begin line."""
        uu = uu_lines(b"e.com", EICAR)
        uu[0] = b"beg\0in" + uu[0][5:]
        body = PROSE + b"\r\n".join(uu) + b"\r\n"
        self.assert_virus(with_text_part(body, "nul uu"))

    def test_uuencoded_file_after_999_bytes_of_a_line(self):
        """libclamav reads a message in lines of at most 999 bytes
        (mbox.c getline_from_mbox, RFC2821LENGTH): the rest of a longer
        line is a line of its own, here a begin line. The marker scan
        and the embedded-file decoder see one line starting with 'x'."""
        body = (PROSE + b"x" * 999 + b"\r\n".join(uu_lines(b"e.com", EICAR)) +
                b"\r\n")
        self.assert_virus(with_text_part(body, "long uu"))

    def test_uuencoded_file_after_a_soft_line_break(self):
        """Quoted-printable: 'x=' joins the begin line to the one before
        it in the decoded text, but libclamav's mail parser decodes a
        uuencoded file from the lines as they stand (held before the
        check of the message's raw lines too; pinned with it)."""
        body = (PROSE + b"see below=\r\n" +
                b"\r\n".join(uu_lines(b"e.com", EICAR)) + b"\r\n")
        self.assert_virus(with_text_part(
            body, "qp uu", TEXT + b"Content-Transfer-Encoding: "
            b"quoted-printable\r\n"))

    def test_uuencoded_file_in_an_application_part_after_prose(self):
        """A 7bit application/octet-stream part, whose begin line is not
        at its start: only text parts are read for the header markers
        (held before the check of the message's raw lines too; pinned
        with it)."""
        body = PROSE + b"\r\n".join(uu_lines(b"e.com", EICAR)) + b"\r\n"
        self.assert_virus(with_text_part(
            body, "app uu", b"Content-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: 7bit\r\n"))


class PartTypeTest(VirusCase):
    """A part whose type is not text/*: the marker scan and filterd's own
    decoder of files in text (mime_embedded) read text/* parts only;
    libclamav's mail parser decodes a uuencoded file in a plain/text or
    foo/bar part too (message.c: plain/text by likeness, an unknown type
    as no MIME). 1 KB of prose first keeps the begin line out of what
    libclamav reads to type the part scanned as a file."""

    def check(self, ctype, block, subject):
        body = PROSE * 20 + b"\r\n".join(block) + b"\r\n"
        self.assert_virus(with_text_part(
            body, subject, b"Content-Type: " + ctype + b"\r\n"))

    def test_uuencoded_file_in_a_plain_text_part(self):
        self.check(b"plain/text", uu_lines(b"e.com", EICAR), "uu plain")

    def test_uuencoded_file_in_a_foo_bar_part(self):
        self.check(b"foo/bar", uu_lines(b"e.com", EICAR), "uu foo")


HTML_PART = (b"Content-Type: text/html; charset=us-ascii\r\n",
             b"<html><body><p>see the text version</p></body></html>\r\n")


def outside_parts(where, block, html=True, text=b"hello\r\n"):
    """A multipart message with block in its preamble or epilogue."""
    parts = [(TEXT, text)] + ([HTML_PART] if html else [])
    hdrs, body = multipart(parts)
    if where == "preamble":
        body = body.replace(b"preamble\r\n", b"preamble\r\n" + block, 1)
    else:
        body += block
    return message((hdrs, body), where + (" html" if html else ""))


class OutsidePartsTest(VirusCase):
    """What a multipart's preamble and epilogue hold is in no part:
    libclamav's mail parser unpacks it (a uuencoded file, a quoted
    message), the parts path reads it only as the raw message. Before
    mime200 an HTML part sent such a message to the mail parser."""

    def test_uuencoded_file_in_the_preamble_with_html(self):
        self.assert_virus(outside_parts(
            "preamble", b"\r\n".join(uu_lines(b"e.com", EICAR)) + b"\r\n"))

    def test_uuencoded_file_in_the_epilogue_with_html(self):
        self.assert_virus(outside_parts(
            "epilogue", b"\r\n".join(uu_lines(b"e.com", EICAR)) + b"\r\n"))

    def test_message_quoted_in_the_preamble_with_html(self):
        self.assert_virus(outside_parts(
            "preamble", b"\r\n".join(quoted_message_lines()) + b"\r\n"))

    def test_message_quoted_in_the_epilogue_with_html(self):
        self.assert_virus(outside_parts(
            "epilogue", b"\r\n" + b"\r\n".join(quoted_message_lines()) +
            b"\r\n"))

    def test_uuencoded_file_in_the_preamble_with_a_prose_from_line(self):
        """Before c03b594 a text line beginning 'From ' sent the message
        to the mail parser."""
        self.assert_virus(outside_parts(
            "preamble", b"\r\n".join(uu_lines(b"e.com", EICAR)) + b"\r\n",
            html=False, text=b"Thanks.\r\nFrom what I hear it is good.\r\n"))

    def test_uuencoded_file_in_the_preamble(self):
        self.assert_virus(outside_parts(
            "preamble", b"\r\n".join(uu_lines(b"e.com", EICAR)) + b"\r\n",
            html=False))


def signed(parts, sub=b"signed"):
    """multipart/signed (or another subtype): parts, then a signature."""
    hdrs, body = multipart(list(parts) + [(
        b"Content-Type: application/pgp-signature\r\n", b"sig\r\n")])
    return hdrs.replace(b"multipart/mixed", b"multipart/" + sub), body


EICAR_PART = (b"Content-Type: application/octet-stream; name=\"e.com\"\r\n"
              b"Content-Transfer-Encoding: base64\r\n",
              b"\r\n".join(b64_lines(EICAR)) + b"\r\n")


class SignedTest(VirusCase):
    """libclamav's mail parser reads one part of a multipart/signed or
    multipart/parallel (mbox.c: its text part, else the first) and none
    of the others, nor a text part of an unknown disposition. A text part with a marker line sends the message to
    that parser, and the parts are then scanned on their own only when
    they hold embedded files: the attachment is scanned by nothing."""

    def test_attachment_of_a_signed_message_with_a_from_line(self):
        text = (TEXT, b"Hi,\r\nFrom: the team\r\n")
        self.assert_virus(message(signed([text, EICAR_PART]), "signed"))

    def test_text_part_of_an_unknown_disposition_with_a_from_line(self):
        """libclamav's mail parser passes over a text part whose
        Content-Disposition is neither inline nor attachment (mbox.c
        do_multipart: 'Text type ... is not supported')."""
        text = (TEXT, b"Hi,\r\nFrom: the team\r\n")
        part = (b"Content-Type: text/plain\r\n"
                b"Content-Transfer-Encoding: base64\r\n"
                b"Content-Disposition: x-foo\r\n",
                b"\r\n".join(b64_lines(EICAR)) + b"\r\n")
        self.assert_virus(message(multipart([text, part]), "disposition"))

    def test_attachment_of_a_parallel_message_with_a_from_line(self):
        text = (TEXT, b"Hi,\r\nFrom: the team\r\n")
        self.assert_virus(message(signed([text, EICAR_PART], b"parallel"),
                                  "parallel"))


class PhishingSignedTest(VirusCase):
    """With a phishing list (any real database: daily.cvd) every HTML
    part sends the message to libclamav's mail parser: a signed message
    with HTML and an attachment, no marker needed."""

    DB = {"test.pdb": "H:paypal.com\n"}

    def test_attachment_of_a_signed_message_with_html(self):
        html = (b"Content-Type: text/html; charset=us-ascii\r\n",
                b"<html><body><p>see the attachment</p></body></html>\r\n")
        self.assert_virus(message(signed([(TEXT, b"hello\r\n"), html,
                                          EICAR_PART]), "signed html"))

    def test_text_part_of_an_unknown_disposition(self):
        """Every message takes libclamav's mail parser here; a part whose
        bytes it did not scan as a file of its own is scanned by filterd
        (scan_clamav_seen_has), this one included."""
        part = (b"Content-Type: text/plain\r\n"
                b"Content-Transfer-Encoding: base64\r\n"
                b"Content-Disposition: x-foo\r\n",
                b"\r\n".join(b64_lines(EICAR)) + b"\r\n")
        self.assert_virus(message(multipart([(TEXT, b"hi\r\n"), part]),
                                  "phishing disposition"))

    def test_clean_attachments_pass_whole(self):
        """The parts libclamav's mail parser scanned are not scanned
        again: a clean message with attachments still goes on as sent."""
        parts = [(TEXT, b"hello\r\n"),
                 (b"Content-Type: image/png\r\nContent-Transfer-Encoding:"
                  b" base64\r\n", b"\r\n".join(b64_lines(
                      b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)) +
                  b"\r\n")]
        msg = message(multipart(parts), "phishing clean")
        r, copies = self.send(msg)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(len(copies), 1)
        self.assertIn(msg.split(b"\r\n\r\n", 1)[1], copies[0].data)


PHRASE = b"FILTERD-LOCAL-PHISHING-BODY-PHRASE"


class PhishingSignatureTest(VirusCase):
    """A detection signature of the database's own .ndb whose name
    begins Email.Phishing or HTML.Phishing: libclamav loads it only with
    CL_DB_PHISHING (readdb.c cli_loadndb), which scan_clamav_dbopts()
    leaves out when no phishing list is in the directory (7bc9846). A
    site's own body signature then detects nothing, and nothing says so."""

    DB = {"local.ndb": "Email.Phishing.Filterd-Local:0:*:%s\n"
                       "HTML.Phishing.Filterd-Local:0:*:%s\n" %
                       (PHRASE.hex(), PHRASE[::-1].hex())}

    def test_email_phishing_signature_in_a_local_ndb(self):
        self.assert_found(message(b"Dear customer,\r\n" + PHRASE +
                                  b"\r\n", "local email phishing"),
                          "Email.Phishing.Filterd-Local")

    def test_html_phishing_signature_in_a_local_ndb(self):
        self.assert_found(message(b"Dear customer,\r\n" + PHRASE[::-1] +
                                  b"\r\n", "local html phishing"),
                          "HTML.Phishing.Filterd-Local")


class PhishingTextTest(WireChecksCase):
    """The test signatures and a phishing list naming paypal.com.
    libclamav's mail parser checks links in every text part against the
    list, HTML or not (mbox.c: NOMIME falls through to TEXT, checkURLs
    for every text subtype; only text/plain inside a multipart is left
    out); filterd sends only text/html parts to it."""

    DB = {"test.pdb": "H:paypal.com\n"}

    def assert_spoof(self, msg):
        r, copies = self.send(msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                         "%r; %s" % (r, self.fd.log_text()[-600:]))
        self.assertIn("VIRUS: Heuristics.Phishing.Email.SSL-Spoof", r.text)
        self.assertEqual(copies, [])

    def test_spoofed_link_in_a_message_without_mime(self):
        self.assert_spoof(message(b"Dear customer,\r\n" + SPOOF + b"\r\n",
                                  "nomime spoof"))

    def test_spoofed_link_in_a_text_plain_message(self):
        """A single-part text/plain message (not a part of a multipart)."""
        self.assert_spoof(message(
            b"Dear customer,\r\n" + SPOOF + b"\r\n", "plain spoof",
            b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"))

    def test_spoofed_link_in_a_text_enriched_part(self):
        self.assert_spoof(with_text_part(
            b"Dear customer,\r\n" + SPOOF + b"\r\n", "enriched spoof",
            b"Content-Type: text/enriched\r\n"))


if __name__ == "__main__":
    unittest.main()
