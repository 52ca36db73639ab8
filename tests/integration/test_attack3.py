"""test_attack3 - second-round review of issue 11's fixes (attacker 3).

Every test here was written by an outside reviewer as an attack and failed
on the code it was written against; each docstring starts with "ATTACK:"
and says what filterd did and what the product promises instead. They
assert the promise, so they pass once the defect is fixed.

Peers are real: filterd with libclamav and a test signature database
(test_checks.signature_db), and a WireSink next hop that keeps the exact
bytes of each copy."""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_attack_content import AttackBase, mail_id  # noqa: E402
from test_attack2 import GTUBE, AttackCase  # noqa: E402
from test_checks import (EICAR, attachment, b64, message,  # noqa: E402
                         multipart, uuencoded, zipped)

SENDER = "sender@example.org"
RCPT = "rcpt@example.net"


def peak_mb(test, msg, rcpts=("x@elsewhere.example",)):
    """The reply to msg and the largest VmHWM (MB) of a child meanwhile."""
    peak = {}
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for pid in test.fd.children():
                try:
                    with open("/proc/%d/status" % pid) as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                peak[pid] = int(line.split()[1]) // 1024
                except OSError:
                    pass
            time.sleep(0.02)
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        r = h.send_message(test.port, SENDER, list(rcpts), msg, timeout=120)
    finally:
        stop.set()
        t.join(5)
    return r, max(peak.values() or [0])


@h.rss_test
class AttachedMemoryAttack(AttackBase):
    """What an attached message costs a child: mime_bounds counts the
    spool only, the attached messages mime_parse decodes are given to
    GMime unbounded."""

    BANK = {"bypass_virus_checks": True}
    CONF = {"message_size_limit": 30000000, "max_requests": 1}

    def assert_bounded(self, msg):
        r, peak = peak_mb(self, msg)
        self.assertIn(r.code, (250, 451, 552, 554), r)
        self.assertLess(peak, 10 * len(msg) // 1000000 + 40,
                        "child peak %d MB for a %d MB message; %r" % (
                            peak, len(msg) // 1000000, r))

    def test_header_field_in_text_that_looks_like_mail(self):
        """ATTACK: a text/plain part whose content starts "From: ..." is
        opened as an attached message (mime_walk_is_message) and parsed
        by GMime; its 10 MB header field is content to mime_bounds, so
        the bound that keeps GMime's decoding (some 60 bytes per byte)
        in check never sees it."""
        inner = (b"From: a@example.org\r\nX-Words: " + b"x " * 5000000 +
                 b"\r\n\r\nbody\r\n")
        msg = message(multipart([(b"Content-Type: text/plain\r\n",
                                  inner)]), "attached-field")
        self.assert_bounded(msg)

    def test_many_parts_in_a_base64_message_rfc822(self):
        """ATTACK: a message/rfc822 part sent base64 holding 200,000
        empty MIME parts: its delimiters are base64 in the spool, so
        mime_bounds counts none of them, and GMime builds the whole tree
        of the decoded message (some 2 KB a part) before the walk stops
        at max_mime_parts."""
        body = b"".join(b"--b1\r\nContent-Type: application/octet-stream"
                        b"\r\n\r\nx\r\n" for _ in range(200000))
        inner = (b"From: a@example.org\r\nMIME-Version: 1.0\r\n"
                 b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n" +
                 body + b"--b1--\r\n")
        msg = message(multipart([
            (b"Content-Type: message/rfc822\r\n"
             b"Content-Transfer-Encoding: base64\r\n", b64(inner))]),
            "attached-parts")
        self.assert_bounded(msg)


class BoundsMaskAttack(AttackCase):
    """Spam or a banned part that also trips mime_bounds (a cheap thing
    for a sender)."""

    def spam_passes(self, extra, body):
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(banks={"default": {
            "forward": [sink.addr], "final_spam_destiny": "discard"}},
            quarantine_dir=os.path.join(self.tmp.path, "q"))
        msg = (b"From: a@example.org\r\nSubject: spam\r\n" + extra +
               b"\r\n" + GTUBE + b"\r\n" + body)
        r = h.send_message(fd.port, SENDER, [RCPT], msg)
        time.sleep(0.5)
        self.assertEqual(sink.count(), 0,
                         "spam passed as UNCHECKED: %r\n%s" % (
                             r, fd.log_text()[-600:]))
        self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)

    def test_spam_with_many_dash_lines_is_still_spam(self):
        """ATTACK: 3,001 lines that begin with "--" (12 KB: a long
        signature, a diff) make mime_bounds refuse the message to GMime;
        mime_parse then leaves no spam views, scan_spam returns without
        scoring (spam_scanned 0), and GTUBE (score 1000) is passed as
        UNCHECKED though the bank says final_spam_destiny = discard: the
        spam check (the built-in rules and spamd alike) is skipped by
        anyone who adds a few KB of dashes."""
        self.spam_passes(b"", b"--\r\n" * 3001)

    def test_spam_with_many_header_fields_is_still_spam(self):
        """ATTACK: the same with 10,001 short header fields (70 KB)."""
        self.spam_passes(b"X-A: x\r\n" * 10001, b"")


    def test_banned_attachment_with_many_dash_lines_is_still_banned(self):
        """ATTACK: the same trick for banned names: a part named
        invoice.exe, then 3,001 "--" lines after the closing delimiter
        (the epilogue, which no mail program shows). GMime never sees the
        message, so the banned check has no parts to look at and finds
        nothing; the message is UNCHECKED, whose default destiny passes
        it, and the .exe that final_banned_destiny = reject refuses is
        delivered (with an X-Amavis-Alert the recipient's program does
        not show). A check that could not run must not let through what
        the policy bans: the names are in the part headers of the first
        few KB."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(banks={"default": {
            "forward": [sink.addr], "final_banned_destiny": "reject",
            "banned_filename": ["(?i)\\.exe$"]}},
            quarantine_dir=os.path.join(self.tmp.path, "q"))
        hdrs, body = multipart([
            (b"Content-Type: text/plain\r\n", b"see attachment\r\n"),
            attachment("invoice.exe", b"MZ" + b"\0" * 200)])
        control = message((hdrs, body), "banned")
        r = h.send_message(fd.port, SENDER, [RCPT], control)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        msg = message((hdrs, body + b"--\r\n" * 3001), "banned")
        r = h.send_message(fd.port, SENDER, [RCPT], msg)
        time.sleep(0.5)
        self.assertEqual(sink.count(), 0,
                         "banned part passed as UNCHECKED: %r\n%s" % (
                             r, fd.log_text()[-600:]))
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)


class SpamViewAttack(AttackCase):
    """What the built-in spam rules are given to read."""

    def test_spam_in_a_base64_attached_message_is_still_spam(self):
        """ATTACK: spam forwarded as an attachment. Sent as
        message/rfc822 (7bit), GMime parses it in place, its text is in
        the spam views and GTUBE is discarded (the control). Sent base64,
        the same attachment is opened by mime_walk_attached for the
        virus and banned checks, but its parts are marked attached and
        "add nothing to the spam views": the rules never see GTUBE and
        the message is delivered CLEAN. Encoding the attachment is all
        it takes to hide spam from the built-in rules (spamd, when one is
        configured, gets the raw message)."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(banks={"default": {
            "forward": [sink.addr], "final_spam_destiny": "discard"}},
            quarantine_dir=os.path.join(self.tmp.path, "q"))
        inner = (b"From: a@example.org\r\nSubject: offer\r\n\r\n" +
                 GTUBE + b"\r\n")
        for cte, body in ((b"7bit", inner), (b"base64", b64(inner))):
            with self.subTest(cte=cte):
                n = sink.count()
                msg = message(multipart([
                    (b"Content-Type: text/plain\r\n", b"fyi\r\n"),
                    (b"Content-Type: message/rfc822\r\n"
                     b"Content-Transfer-Encoding: " + cte + b"\r\n", body)]),
                    "fwd spam")
                r = h.send_message(fd.port, SENDER, [RCPT], msg)
                time.sleep(0.5)
                self.assertEqual(sink.count(), n, "spam delivered: %r\n%s" % (
                    r, fd.log_text()[-400:]))
                self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)


class QuotedPrintableAttack(AttackBase):
    """Quoted-printable that GMime decodes otherwise than RFC 2045 says."""

    def eicar_qp(self, soft, first=b"text/plain"):
        """EICAR, quoted-printable, with a soft line break written soft
        in its middle ("$" is plain QP text; "=" never occurs in it)."""
        qp = EICAR[:30] + soft + EICAR[30:] + b"\r\n"
        return message(multipart([
            (b"Content-Type: " + first + b"\r\n", b"hi\r\n"),
            (b"Content-Type: application/octet-stream; name=\"a.com\"\r\n"
             b"Content-Transfer-Encoding: quoted-printable\r\n", qp)]),
            "qp soft break")

    def test_control_plain_soft_break(self):
        """The control: "=" CR LF, a soft line break GMime knows."""
        r, copies = self.send(self.eicar_qp(b"=\r\n"))
        self.assertEqual(r.code, 554, r)
        self.assertIn("VIRUS:", r.text)

    def test_virus_behind_a_soft_break_with_trailing_blanks(self):
        """ATTACK: RFC 2045 6.7 (3): "when decoding a Quoted-Printable
        body, any trailing white space on a line must be deleted", so
        "= " CR LF is a soft line break (Dovecot's qp-decoder, which
        serves IMAP BINARY and Sieve, Python's quopri and MimeKit decode
        it so). GMime keeps "= " and the line break as text; on the fast
        path (parsed cleanly, no HTML) libclamav only gets GMime's
        decoding of the part and the raw message, neither of which holds
        EICAR whole, and the message is passed CLEAN. libclamav's own
        mail parser is not run."""
        for soft in (b"= \r\n", b"=\t\r\n", b"=  \t \r\n"):
            with self.subTest(soft=soft):
                r, copies = self.send(self.eicar_qp(soft))
                if r.code == 250:
                    self.assert_not_passed_clean(r, copies)


class BannedNameGapsAttack(AttackBase):
    """Files a mail program shows by name that the banned check never
    names."""

    def test_banned_name_in_an_inline_uuencoded_file(self):
        """ATTACK: "begin 644 invoice.exe" in a text/plain body is a file
        to Thunderbird (it lists it as an attachment and saves it under
        that name) and to amavisd-new (MIME::Parser extract_uuencode),
        whose banned rules see its name. filterd's banned check looks at
        MIME parts and archive members only, so the name is never
        checked: the .exe that final_banned_destiny = reject refuses is
        passed CLEAN. (libclamav unpacks it for the virus check, so the
        content is seen; its name is not.)"""
        body = (b"the file, as promised:\r\n\r\n" +
                uuencoded("invoice.exe", b"MZ" + b"\0" * 100) + b"bye\r\n")
        r, copies = self.send(message(body, "uu banned"))
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                         "%r; %s" % (r, self.log_line(mail_id(r))))
        self.assertIn("invoice.exe", r.text)

    def test_banned_name_in_a_message_inside_a_zip(self):
        """ATTACK: mime_parse now opens attached messages for the banned
        check, but not one that is an archive member: docs.zip holding
        fwd.eml, itself holding invoice.exe, is passed CLEAN (the member
        names docs.zip lists are checked, not what fwd.eml holds). The
        recipient opens the zip, then the .eml, and sees invoice.exe;
        amavisd-new decodes an extracted member that file(1) calls mail
        with its MIME decoder (its decoders list: 'mail' ->
        do_mime_decode), so its banned rules see the name. (A virus there
        is found: libclamav unpacks it all.)"""
        inner = message(multipart([
            (b"Content-Type: text/plain\r\n", b"hi\r\n"),
            attachment("invoice.exe", b"MZ" + b"\0" * 100)]), "inner")
        r, copies = self.send(message(multipart([
            (b"Content-Type: text/plain\r\n", b"hi\r\n"),
            attachment("docs.zip", zipped("fwd.eml", inner),
                       b"application/zip")]), "zip eml"))
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"),
                         "%r; %s" % (r, self.log_line(mail_id(r))))
        self.assertIn("invoice.exe", r.text)


class DelimiterAttack(AttackBase):
    """Delimiter lines that GMime and libclamav's mail parser read
    differently, in MIME that GMime parses cleanly: scan_run believes
    one reading is enough then."""

    VIRUS = (b"Content-Type: application/octet-stream; name=\"a.com\"\r\n"
             b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(EICAR))

    def msg(self, first, body, subject):
        return message((b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
                        b" boundary=b0\r\n", b"--b0\r\nContent-Type: " +
                        first + b"\r\n\r\nhi\r\n" + body), subject)

    def test_virus_after_a_delimiter_with_a_tab(self):
        """ATTACK: "--b0" TAB CR LF is a delimiter (RFC 2046 5.1.1: the
        boundary may be followed by transport padding, spaces and tabs);
        GMime reads the part after it, as the RFC says a reader must.
        libclamav's mail parser does not (it does with spaces): with a text/html part beside
        it, scan_run uses libclamav's reading only, and scans GMime's
        parts only when GMime found the MIME malformed, ambiguous or
        decoded otherwise, which this is not. EICAR in the a.com part is
        passed CLEAN (with text/plain first, GMime's parts are scanned
        and it is found: the control)."""
        body = b"--b0\t\r\n" + self.VIRUS + b"--b0--\r\n"
        for first in (b"text/plain", b"text/html"):
            with self.subTest(first=first):
                r, copies = self.send(self.msg(first, body, "tab delim"))
                if r.code == 250:
                    self.assert_not_passed_clean(r, copies)

    def test_virus_in_a_part_after_the_close_delimiter(self):
        """ATTACK: a part after the close delimiter "--b0--": GMime
        keeps it as the epilogue (no part, no warning), libclamav's mail
        parser reads it as a part and finds EICAR (with a text/html part
        beside it: the control). On the fast path (text/plain only) the
        raw message and GMime's parts are all libclamav is given, and the
        message is passed CLEAN: the fast path sees less than the parser
        it stands in for (the banned check never sees that part's name
        either)."""
        body = b"--b0--\r\n--b0\r\n" + self.VIRUS + b"--b0--\r\n"
        for first in (b"text/html", b"text/plain"):
            with self.subTest(first=first):
                r, copies = self.send(self.msg(first, body, "epilogue"))
                if r.code == 250:
                    self.assert_not_passed_clean(r, copies)


class PerRecipientBypassAttack(h.SinkWatch, h.PeerTestCase):
    """A bank that bypasses the spam and banned checks, and a recipient
    whose SQL policy says bypass_*_checks = 'N' (amavisd-new's opt-in:
    a check runs when any recipient does not bypass it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from test_sql import start_sink_and_db
        start_sink_and_db(cls, """
          INSERT INTO policy (id, policy_name, bypass_spam_checks,
                              bypass_banned_checks)
            VALUES (2, 'opt-in', 'N', 'N');
          INSERT INTO users (id, priority, policy_id, email) VALUES
            (10, 9, 2, 'careful@example.net');
          COMMIT;""")
        cls.fd = h.Filterd(
            cls.tmp, "fd", banks={"default": {
                "forward": [cls.sink.addr], "bypass_spam_checks": True,
                "bypass_banned_checks": True,
                "final_spam_destiny": "discard",
                "final_banned_destiny": "discard",
                "banned_filename": ["(?i)\\.exe$"]}},
            raw='sql { lookup = {"%s"} }' % cls.db.dsn())
        cls.start_for_class(cls.fd)

    def test_recipient_that_does_not_bypass_gets_the_checks(self):
        """ATTACK: decide_found() reads each recipient's bypass_* from
        SQL (a recipient's 'N' overrides the bank's bypass), but
        scan_run runs a check only when the *bank* does not bypass it
        (scan_run_*_wanted). So for a recipient who opted in, GTUBE and
        an invoice.exe attachment are never looked at: spam_scanned and
        banned stay unset and both are delivered, as CLEAN, to the one
        recipient whose policy asks for them to be discarded."""
        for what, msg in (
                ("spam", message(GTUBE + b"\r\n", "opt-in spam")),
                ("banned", message(multipart([
                    (b"Content-Type: text/plain\r\n", b"hi\r\n"),
                    attachment("invoice.exe", b"MZ" + b"\0" * 100)]),
                    "opt-in banned"))):
            with self.subTest(what=what):
                self.seen = {d.path for d in self.sink.dumps()}
                r = h.send_message(self.fd.port, SENDER,
                                   ["careful@example.net"], msg, timeout=30)
                time.sleep(0.5)
                self.assertEqual(self.new_dumps(), [], "%s delivered: %r" % (
                    what, r))
                self.assertEqual((r.code, r.enhanced), (250, "2.7.0"), r)


if __name__ == "__main__":
    unittest.main()
