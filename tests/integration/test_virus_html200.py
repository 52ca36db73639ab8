"""test_virus_html200 - what libclamav finds in HTML parts, pinned.

A message with an HTML part goes to libclamav's own mail parser, which
checks its links against the phishing lists of the database (.pdb, .wdb,
.gdb, and those in .cvd/.cld/.cud containers) and normalises the HTML a
second time to do so. Without such a list there is nothing to check the
links against, and the HTML part can be scanned as a file of its own like
any other part (issue 16, the 200 KB MIME message). These tests pin what
must be found either way: the test signature in a data: URI of an HTML
part (libclamav decodes those when it scans HTML), with and without the
HTML tags that make libclamav type it as HTML, in an HTML part sent base64
or quoted-printable (libclamav reads an HTML part only normalised, in
lower case: the test signature as such in HTML text is not found, on
either path); and, with a phishing list in the database, a link
whose text shows another host than it goes to (libclamav's
Heuristics.Phishing.Email.SSL-Spoof). Without a phishing list that link
passes: there is nothing to check it against.

Peers are real: filterd with libclamav and the test signature database
(test_checks.signature_db, plus a one-line .pdb for the phishing class), a
WireSink next hop."""

import base64
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_checks import (EICAR, WireChecksCase, attachment,  # noqa: E402
                         b64, message, multipart)

TEXT = (b"Content-Type: text/plain; charset=us-ascii\r\n",
        b"see the HTML version\r\n")
DATA_URI = (b"<img src=\"data:image/png;base64," +
            base64.b64encode(EICAR) + b"\" alt=\"logo\">")
SPOOF = (b"<p>Please sign in: <a href=\"http://198.51.100.66/login\">"
         b"https://www.paypal.com/signin</a></p>")


def html_page(inner):
    return (b"<html><head><title>Your order</title></head><body>\r\n"
            b"<p>Dear customer, your order has been shipped.</p>\r\n" +
            inner + b"\r\n</body></html>\r\n")


def html_part(html, cte=None):
    """An HTML part as (headers, body), sent as is or base64/QP."""
    hdr = b"Content-Type: text/html; charset=utf-8\r\n"
    if cte == "base64":
        return (hdr + b"Content-Transfer-Encoding: base64\r\n", b64(html))
    if cte == "qp":
        qp = b"".join(b"=%02X" % c for c in html)
        qp = b"=\r\n".join(qp[i:i + 72] for i in range(0, len(qp), 72))
        return (hdr + b"Content-Transfer-Encoding: quoted-printable\r\n",
                qp)
    return (hdr + b"Content-Transfer-Encoding: 7bit\r\n", html)


def alternative(parts, boundary=b"alt0"):
    """multipart/alternative, as mail programs send text + HTML."""
    hdrs, body = multipart(parts, boundary)
    return hdrs.replace(b"multipart/mixed", b"multipart/alternative"), body


class HtmlPartTest(WireChecksCase):
    """The test signature database, no phishing list: the spoofed link
    passes, there is nothing to check it against."""

    PHISHING = False

    def assert_virus(self, msg):
        r, copies = self.send(msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                         "%r; %s" % (r, self.fd.log_text()[-600:]))
        self.assertIn("VIRUS: Eicar-Test-Signature", r.text)
        self.assertEqual(copies, [])

    def test_data_uri_in_html_part(self):
        msg = message(alternative([TEXT, html_part(html_page(DATA_URI))]),
                      "html data uri")
        self.assertNotIn(EICAR, msg)
        self.assert_virus(msg)

    def test_data_uri_in_html_part_without_html_tags(self):
        """No <html>: only the Content-Type says it is HTML."""
        html = (b"Dear customer,\r\nyour order has been shipped.\r\n" * 3 +
                DATA_URI + b"\r\n")
        msg = message(alternative([TEXT, html_part(html)]),
                      "bare html data uri")
        self.assertNotIn(EICAR, msg)
        self.assert_virus(msg)

    def test_data_uri_after_10_kb_of_text_in_html_part(self):
        """libclamav types it as text, not HTML, by its first bytes."""
        html = (b"Dear customer, your order has been shipped and will "
                b"arrive soon.\r\n" * 150 + DATA_URI + b"\r\n")
        msg = message(alternative([TEXT, html_part(html)]),
                      "late html data uri")
        self.assertNotIn(EICAR, msg)
        self.assert_virus(msg)

    def test_data_uri_in_base64_html_part(self):
        msg = message(multipart([TEXT, html_part(html_page(DATA_URI),
                                                 "base64")]),
                      "b64 html data uri")
        self.assert_virus(msg)

    def test_data_uri_in_quoted_printable_html_part(self):
        msg = message(alternative([TEXT, html_part(html_page(DATA_URI),
                                                   "qp")]),
                      "qp html data uri")
        self.assertNotIn(base64.b64encode(EICAR), msg)
        self.assert_virus(msg)

    def assert_spoof(self, msg):
        """Found with a phishing list (PHISHING), else passed CLEAN."""
        r, copies = self.send(msg)
        if self.PHISHING:
            self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                             "%r; %s" % (r, self.fd.log_text()[-600:]))
            self.assertIn("VIRUS: Heuristics.Phishing.Email.SSL-Spoof",
                          r.text)
            self.assertEqual(copies, [])
            return
        self.assertEqual(r.code, 250, r)
        self.assertEqual(len(copies), 1)
        head = copies[0].data.split(b"\r\n\r\n", 1)[0]
        self.assertNotIn(b"X-Amavis-Alert", head)

    def test_spoofed_link_in_html_part(self):
        self.assert_spoof(message(alternative([TEXT, html_part(
            html_page(SPOOF))]), "html spoof"))

    def test_spoofed_link_in_base64_html_part(self):
        self.assert_spoof(message(multipart([TEXT, html_part(
            html_page(SPOOF), "base64")]), "b64 html spoof"))


    def test_bounce_quoted_in_a_text_part(self):
        """A message quoted in text from its mbox "From " line on, its
        attachment base64: libclamav's mail parser unpacks it."""
        inner = message(multipart([TEXT, attachment("e.com", EICAR)],
                                  b"inner0"), "returned")
        body = (b"This is the mail system at host mx.example.org.\r\n\r\n"
                b"Your message could not be delivered; it follows.\r\n\r\n"
                b"From sender@example.org Sat Dec  5 08:43:33 2026\r\n" +
                inner)
        msg = message(alternative([(
            b"Content-Type: text/plain; charset=us-ascii\r\n", body),
            html_part(html_page(b"<p>see the text version</p>"))]),
            "bounce in text")
        self.assertNotIn(EICAR, msg)
        self.assert_virus(msg)

    def test_prose_line_beginning_from(self):
        """Prose whose line begins "From " is clean, whichever path."""
        html = html_page(b"<p>Thanks for the figures.\r\nFrom years of "
                         b"the same team work, the draft is good.</p>")
        msg = message(alternative([(
            b"Content-Type: text/plain; charset=us-ascii\r\n",
            b"Thanks.\r\nFrom what I hear the draft is good.\r\n"),
            html_part(html)]), "prose from")
        r, copies = self.send(msg)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(len(copies), 1)


class PhishingListTest(HtmlPartTest):
    """The test signatures and a phishing list naming paypal.com: the
    same messages, and the spoofed link is found."""

    DB = {"test.pdb": "H:paypal.com\n"}
    PHISHING = True


if __name__ == "__main__":
    unittest.main()
