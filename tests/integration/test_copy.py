"""test_copy - the copy of a message that filterd forwards (issue 11).

What the next hop receives, compared byte for byte (a WireSink keeps the
exact DATA bytes): spam fields from outside removed for local recipients
(items 7, amavisd-new's remove_existing_spam_headers), the subject tag
applied to a header section of any size, every field filterd adds well
formed whatever its value (configuration, rule names), a next hop that
answers 354 with no recipient accepted (item 8e), and the defanged copy
of a message with ambiguous MIME (item 5c)."""

import email
import email.policy
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

GTUBE = (b"XJS*C4JDBQADN1.NSBN3*2IDNEN*" +
         b"GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X")
SENDER = "sender@example.org"
LOCAL = "rcpt@example.net"
OTHER = "other@elsewhere.example"

# Spam rules whose names make a long X-Spam-Status: many rules with
# 40-character names (over 4 KiB together) and one name of 1,200 octets,
# longer than a header line may be (RFC 5322 2.1.1: 998).
MANY_RULES = ["R%03d_%s" % (i, "X" * 35) for i in range(150)]
LONG_RULE = "LONG_" + "Y" * 1195
RULE_MARK = b"filterd-copy-many-rules-marker"


def rules_text():
    out = []
    for name in MANY_RULES + [LONG_RULE]:
        out.append("body %s /%s/" % (name, RULE_MARK.decode()))
        out.append("score %s 0.001" % name)
    return "\n".join(out) + "\n"


def message(subject, body=b"hello\r\n", extra=b""):
    return (b"From: sender@example.org\r\nTo: rcpt@example.net\r\n"
            b"Subject: " + subject + b"\r\n" + extra +
            b"Message-ID: <" + re.sub(rb"\W", b"-", subject) +
            b"@example.org>\r\n\r\n" + body)


def unstuff(data):
    """unstuff - a WireSink transaction's DATA bytes as the message."""
    if data.startswith(b".."):
        data = data[1:]
    return data.replace(b"\r\n..", b"\r\n.")


def header_of(msg):
    end = msg.find(b"\r\n\r\n")
    return msg if end < 0 else msg[:end + 2]


def fields(header):
    """fields - the header section as a list of fields, each with its
    continuation lines (bytes, CRLF kept)."""
    out = []
    for line in header.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and out:
            out[-1] += line + b"\r\n"
        else:
            out.append(line + b"\r\n")
    return out


def drop_fields(msg, names):
    """drop_fields - msg without its leading fields named in names."""
    fs = fields(header_of(msg))
    i = 0
    while i < len(fs) and fs[i].split(b":", 1)[0].lower() in names:
        i += 1
    return msg[sum(len(f) for f in fs[:i]):]


OUR_SPAM_FIELDS = (b"x-spam-flag", b"x-spam-score", b"x-spam-level",
                   b"x-spam-status")


class CopyTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rules = cls.tmp.file("rules.cf")
        with open(rules, "w") as f:
            f.write(rules_text())
        cls.sink = h.WireSink()
        cls.ports = dict(zip(("main", "taginj"), h.free_ports(2)))
        cls.fd = h.Filterd(
            cls.tmp, "fd",
            listen=[(cls.ports["main"], "smtp", "default"),
                    (cls.ports["taginj"], "smtp", "TAGINJ")],
            banks={"default": dict(forward=[cls.sink.addr],
                                   spam_tag_level=-999.0,
                                   spam_subject_tag="***SPAM*** ")},
            local_domains=["example.net"],
            message_size_limit=5000000,
            spam_rules=[rules],
            # A tag from a bank file: libconfuse turns the escapes into
            # CR LF, as an operator's typo or a generated file could.
            raw='bank TAGINJ { spam_subject_tag = '
                '"***SPAM***\\r\\nBcc: victim@example.com\\r\\n " }')
        cls.start_for_class(cls.sink, cls.fd)

    def send(self, msg, rcpts=(LOCAL,), listener="main"):
        before = len(self.sink.transactions)
        r = h.send_message(self.ports[listener], SENDER, list(rcpts), msg,
                           timeout=30)
        self.assertEqual(r.code, 250, r)
        self.assertTrue(self.sink.wait_count(before + 1, 10))
        h.wait_until(lambda: False, 0.2)  # a second copy, if any
        with self.sink.lock:
            new = self.sink.transactions[before:]
        return {tuple(re.findall(rb"<([^>]*)>", b"".join(tx.rcpts))):
                unstuff(tx.data) for tx in new}

    def test_forged_spam_fields_removed_for_local_recipients(self):
        forged = (b"X-Spam-Flag: NO\r\n"
                  b"X-Spam-Score: -50\r\n"
                  b"x-spam-level: \r\n"
                  b"X-Spam-Status: No, score=-50.0 required=5.0\r\n"
                  b"\ttests=[USER_IN_WHITELIST] autolearn=no\r\n"
                  b"  whitelisted\r\n"
                  b"X-Virus-Scanned: by a forger\r\n"
                  b"X-Amavis-Alert: nothing to see, forged\r\n"
                  b"X-Spam-Report:\r\n * -50 USER_IN_WHITELIST\r\n")
        msg = message(b"forged spam fields", extra=forged)
        copies = self.send(msg, rcpts=(LOCAL, OTHER))
        self.assertEqual(sorted(copies), sorted([(LOCAL.encode(),),
                                                 (OTHER.encode(),)]))
        local = copies[(LOCAL.encode(),)]
        hdr = header_of(local)
        names = [f.split(b":", 1)[0].lower() for f in fields(hdr)]
        for n in OUR_SPAM_FIELDS:
            self.assertEqual(names.count(n), 1, hdr)
        for text in (b"-50", b"whitelisted", b"USER_IN_WHITELIST",
                     b"forger", b"nothing to see", b"X-Spam-Report"):
            self.assertNotIn(text, hdr)
        # Below our own fields, the original without the forged ones,
        # byte for byte.
        self.assertEqual(drop_fields(local, OUR_SPAM_FIELDS),
                         message(b"forged spam fields"))
        # A recipient outside local_domains gets the message as sent.
        self.assertEqual(copies[(OTHER.encode(),)], msg)

    def test_subject_tag_beyond_256k_of_header(self):
        """The subject tag does not depend on the header's size: 300 KiB
        of fields (one of them 100 KiB on one line, so fields straddle
        every read of the spool) before the Subject."""
        filler = b"".join(b"X-Filler-%05d: %s\r\n" % (i, b"f" * 60)
                          for i in range(3000))
        filler += b"X-Long: " + b"L" * 100000 + b"\r\n"
        msg = (b"From: sender@example.org\r\n" + filler +
               b"Subject: big header\r\n\r\n" + GTUBE + b"\r\n")
        self.assertGreater(len(msg), 300 * 1024)
        copy = self.send(msg)[(LOCAL.encode(),)]
        subject = re.findall(rb"\r\nSubject:[^\r]*\r\n", copy)
        self.assertEqual(subject, [b"\r\nSubject: ***SPAM*** big header\r\n"])
        self.assertTrue(drop_fields(copy, OUR_SPAM_FIELDS) == msg.replace(
            b"Subject: big", b"Subject: ***SPAM*** big"),
            "the copy differs from the message beyond its Subject")

    def test_subject_tag_cannot_add_a_field(self):
        msg = message(b"tag injection", GTUBE + b"\r\n")
        copy = self.send(msg, listener="taginj")[(LOCAL.encode(),)]
        hdr = header_of(copy)
        parsed = email.message_from_bytes(copy, policy=email.policy.compat32)
        self.assertIsNone(parsed["Bcc"], hdr)
        self.assertFalse(re.search(rb"(?im)^bcc", hdr), hdr)
        subject = [f for f in fields(hdr) if f.startswith(b"Subject:")]
        self.assertEqual(len(subject), 1, hdr)
        self.assertTrue(subject[0].startswith(b"Subject: ***SPAM***"),
                        subject)
        self.assertTrue(subject[0].endswith(b"tag injection\r\n"), subject)
        # Everything else is the original, as sent.
        self.assertEqual(drop_fields(copy, OUR_SPAM_FIELDS),
                         msg.replace(b"Subject: tag injection\r\n",
                                     subject[0]))

    def test_long_spam_status_is_folded(self):
        msg = message(b"many rules", RULE_MARK + b"\r\n")
        copy = self.send(msg)[(LOCAL.encode(),)]
        hdr = header_of(copy)
        for line in hdr.split(b"\r\n"):
            self.assertLessEqual(len(line), 998, line[:80])
        self.assertNotIn(b"\r\n\r\n", hdr)
        status = [f for f in fields(hdr) if f.startswith(b"X-Spam-Status:")]
        self.assertEqual(len(status), 1)
        self.assertGreater(len(status[0]), 4096)
        flat = re.sub(rb"\s+", b"", status[0])
        for name in MANY_RULES + [LONG_RULE]:
            self.assertIn(name.encode() + b"=0.001", flat)
        self.assertEqual(drop_fields(copy, OUR_SPAM_FIELDS), msg)


class ScriptedHop(h.ScriptedServer):
    """ScriptedHop - a next hop that refuses recipients named refuse*@
    and still answers 354 to DATA when it accepted none (a pipelining
    server may). It keeps, per session, the bytes it read in the data
    state and how that ended: ".\r\n" (a message, empty or not) or the
    client closing the connection."""

    def __init__(self):
        super().__init__(backlog=8)
        self.sessions = []       # list of lists of (data, ended_by_dot)
        self.delivered = []      # data of messages taken (accepted rcpts)

    def serve(self, conn):
        datas = []
        with self.lock:
            self.sessions.append(datas)
        buf = b""
        accepted = 0

        def send(line):
            conn.sendall(line.encode() + b"\r\n")
        send("220 scripted ESMTP")
        while True:
            while b"\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\n", 1)
            verb = line.rstrip(b"\r").split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                send("250-scripted")
                send("250-PIPELINING")
                send("250 8BITMIME")
            elif verb == b"MAIL":
                accepted = 0
                send("250 2.1.0 Ok")
            elif verb == b"RCPT":
                if b"<refuse" in line.lower():
                    send("550 5.1.1 No such user")
                else:
                    accepted += 1
                    send("250 2.1.5 Ok")
            elif verb == b"DATA":
                send("354 End data with <CR><LF>.<CR><LF>")
                data = buf
                buf = b""
                while not (data.startswith(b".\r\n") or
                           b"\r\n.\r\n" in data):
                    chunk = conn.recv(65536)
                    if not chunk:
                        with self.lock:
                            datas.append((data, False))
                        return
                    data += chunk
                if data.startswith(b".\r\n"):
                    data, buf = b"", data[3:]
                else:
                    end = data.index(b"\r\n.\r\n")
                    data, buf = data[:end + 2], data[end + 5:]
                with self.lock:
                    datas.append((data, True))
                    if accepted:
                        self.delivered.append(data)
                send("250 2.0.0 Ok: queued" if accepted else
                     "554 5.5.1 Error: no valid recipients")
                accepted = 0
            elif verb in (b"RSET", b"NOOP", b"XFORWARD"):
                accepted = 0 if verb == b"RSET" else accepted
                send("250 2.0.0 Ok")
            elif verb == b"QUIT":
                send("221 2.0.0 Bye")
                return
            else:
                send("502 5.5.2 Error: command not recognized")


class DataWithoutRecipientTest(h.PeerTestCase):

    def test_354_without_recipient_does_not_poison_the_session(self):
        """Item 8e: the next hop refuses every RCPT but answers 354 to the
        pipelined DATA. That session is in the data state: it must not be
        kept for the next message (whose commands would become message
        text), nor ended with a dot (an empty message)."""
        hop = self.start(ScriptedHop())
        fd = self.start(h.Filterd(
            self.tmp, "fd354", banks={"default": {"forward": [hop.addr]}},
            min_servers=1, max_servers=1, forward_timeout=5))
        r = h.send_message(fd.port, SENDER, ["refuse@example.net"],
                           message(b"first"), timeout=30)
        self.assertEqual((r.code, r.enhanced), (550, "5.1.1"), r)
        second = message(b"second")
        r = h.send_message(fd.port, SENDER, ["ok@example.net"], second,
                           timeout=30)
        self.assertEqual(r.code, 250, r)
        self.assertTrue(h.wait_until(lambda: hop.delivered, 5))
        with hop.lock:
            sessions = [list(s) for s in hop.sessions]
            delivered = list(hop.delivered)
        self.assertEqual([unstuff(d) for d in delivered], [second])
        for datas in sessions:
            for data, dot in datas:
                self.assertNotIn(b"MAIL FROM", data, sessions)
                self.assertNotIn(b"RSET", data, sessions)
                self.assertFalse(dot and data == b"",
                                 "an empty message was sent: %r" % sessions)
        # The first session was given up in the data state, with no dot.
        self.assertEqual(sessions[0], [(b"", False)], sessions)
        self.assertNotIn("panic", fd.log_text())


class DefangTest(h.PeerTestCase):
    """Ambiguous MIME is forwarded defanged (item 5c). The checks that
    set txn->defang come from another branch of issue 11: until it is
    merged this test fails."""

    def test_ambiguous_mime_is_defanged(self):
        sink = self.start(h.WireSink())
        fd = self.start(h.Filterd(
            self.tmp, "fddefang", banks={"default": {
                "forward": [sink.addr], "final_unchecked_destiny": "pass"}}))
        original = (
            b"From: sender@example.org\r\nTo: rcpt@example.net\r\n"
            b"Subject: two boundaries\r\n"
            b"Message-ID: <two-boundaries@example.org>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"aaa\";\r\n"
            b" boundary=\"bbb\"\r\n\r\n"
            b"--aaa\r\nContent-Type: text/plain\r\n\r\nharmless\r\n"
            b"--bbb\r\nContent-Type: application/octet-stream; "
            b"name=\"x.exe\"\r\n\r\nMZ smuggled\r\n"
            b"--bbb--\r\n--aaa--\r\n")
        r = h.send_message(fd.port, SENDER, [LOCAL], original, timeout=30)
        self.assertEqual(r.code, 250, r)
        mail_id = r.text.split("id=")[1].split(",")[0]
        self.assertTrue(sink.wait_count(1, 10))
        copy = unstuff(sink.transactions[0].data)
        top = header_of(copy)
        names = [f.split(b":", 1)[0].lower() for f in fields(top)]
        self.assertEqual(names.count(b"mime-version"), 1, top)
        self.assertEqual(names.count(b"content-type"), 1, top)
        self.assertNotIn(b"aaa", top)
        self.assertNotIn(b"bbb", top)
        for f in (b"From: sender@example.org\r\n",
                  b"Subject: two boundaries\r\n",
                  b"Message-ID: <two-boundaries@example.org>\r\n"):
            self.assertIn(f, top)
        msg = email.message_from_bytes(copy, policy=email.policy.compat32)
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        parts = msg.get_payload()
        self.assertEqual(len(parts), 2, copy[:3000])
        self.assertEqual(parts[0].get_content_type(), "text/plain")
        self.assertIn(mail_id, parts[0].get_payload())
        self.assertEqual(parts[1]["Content-Transfer-Encoding"], "base64")
        self.assertEqual(parts[1].get_payload(decode=True), original)
        for line in copy.split(b"\r\n"):
            self.assertLessEqual(len(line), 998)
        body = copy[len(top):]
        boundary = msg.get_boundary().encode()
        self.assertEqual(body.count(boundary), 3, body[:2000])


if __name__ == "__main__":
    unittest.main(verbosity=2)
