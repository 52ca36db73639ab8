"""test_checks_embedded - every name a mail program shows, checked.

Issue 18, cases 3 to 5 and the names of files hidden in text: a
message/rfc822 part sent base64 or quoted-printable whose inner message
attaches evil.exe; name= and filename= that differ; a uuencoded,
begin-base64, yEnc or BinHex 4.0 evil.exe in a text part (whatever its transfer
encoding), and an uuencoded zip holding one. With banned_filename
"\\.(exe|scr|com|bat)$" and final_banned_destiny = reject each is
rejected with the name in the reply; the same with harmless names passes
CLEAN; text that merely says "begin" passes CLEAN; a block cut short is
UNCHECKED, never CLEAN. Names with CR LF or of 5,000 bytes reach the
reply escaped, on one line, within SMTP's 512 bytes.

Real peers: smtp-sink, filterd with libclamav and a test signature
database (test_checks.signature_db); the blocks are made by Python's
binascii and base64, and yEnc and BinHex encoders written here from the
yEnc 1.3 and BinHex 4.0 specifications (libclamav's own BinHex decoder
finds the test signature in a .hqx attachment ours makes: the encoder is
checked by a decoder that is not ours)."""

import base64
import binascii
import os
import quopri
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_checks import (EICAR, attachment, b64, message,  # noqa: E402
                         multipart, uuencoded, zipped)
from test_checks_unchecked import UncheckedTestCase  # noqa: E402

NOTES = b"just some notes\r\n" * 8
BAN = dict(banned_filename=["\\.(exe|scr|com|bat)$"],
           final_banned_destiny="reject", final_virus_destiny="reject")


def yenc(name, data):
    """A yEnc block (yEnc 1.3): bytes + 42, critical ones escaped."""
    out = bytearray()
    for b in data:
        c = (b + 42) & 0xff
        if c in (0, 10, 13, 61):
            out += b"=" + bytes([(c + 64) & 0xff])
        else:
            out.append(c)
    lines = [bytes(out[i:i + 128]) for i in range(0, len(out), 128)]
    return (b"=ybegin line=128 size=%d name=%s\r\n" % (len(data),
                                                      name.encode()) +
            b"\r\n".join(lines) + b"\r\n=yend size=%d\r\n" % len(data))


BINHEX_CHARS = ("!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`"
       "abcdefhijklmpqr")


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xffff
    return crc


def binhex(name, data):
    """A BinHex 4.0 block (runs of 4 or more run-length encoded)."""
    n = name.encode()
    head = (bytes([len(n)]) + n + b"\0" + b"TEXT" + b"ttxt" + b"\0\0" +
            struct.pack(">II", len(data), 0))
    raw = (head + struct.pack(">H", crc16(head)) + data +
           struct.pack(">H", crc16(data)) + struct.pack(">H", 0))
    rle, i = bytearray(), 0
    while i < len(raw):
        b, k = raw[i], 1
        while i + k < len(raw) and raw[i + k] == b and k < 255:
            k += 1
        if b == 0x90:
            rle += b"\x90\x00"
            k = 1
        elif k >= 4:
            rle += bytes([b, 0x90, k])
        else:
            rle += bytes([b]) * k
        i += k
    bits, nbits, out = 0, 0, []
    for b in rle:
        bits, nbits = (bits << 8) | b, nbits + 8
        while nbits >= 6:
            nbits -= 6
            out.append(BINHEX_CHARS[(bits >> nbits) & 63])
    if nbits:
        out.append(BINHEX_CHARS[(bits << (6 - nbits)) & 63])
    text = ":" + "".join(out) + ":"
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return ("(This file must be converted with BinHex 4.0)\r\n\r\n" +
            "\r\n".join(lines) + "\r\n").encode()


def begin_base64(name, data):
    return (b"begin-base64 644 " + name.encode() + b"\r\n" + b64(data) +
            b"====\r\n")


def text_part(body, cte=None):
    """A text/plain part: body as is, or base64 / quoted-printable."""
    headers = b"Content-Type: text/plain; charset=us-ascii\r\n"
    if cte == "base64":
        return (headers + b"Content-Transfer-Encoding: base64\r\n",
                b64(body))
    if cte == "quoted-printable":
        return (headers + b"Content-Transfer-Encoding: quoted-printable"
                b"\r\n", quopri.encodestring(body.replace(b"\r\n", b"\n"))
                .replace(b"\n", b"\r\n"))
    return headers, body


def with_text(body, subject, cte=None):
    return message(multipart([text_part(body, cte)]), subject)


def inner_message(name, data):
    return message(multipart([
        (b"Content-Type: text/plain\r\n", b"hi\r\n"),
        attachment(name, data)], boundary=b"inner0"), "inner " + name)


class EmbeddedTest(UncheckedTestCase):
    """Every name a part is known by, files in text included."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Rejections on "ban"; what passes, on "default" (to the sink).
        cls.start_checking_filterd(banks=[("ban", "BAN", BAN)])

    def assert_banned(self, msg, name):
        r = self.send("ban", msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        self.assertIn("BANNED:", r.text)
        self.assertIn(name, r.text)
        self.assertEqual(self.new_dumps(), [])
        return r

    def assert_clean(self, msg, subject):
        r = self.send("default", msg)
        self.assertEqual((r.code, r.enhanced), (250, "2.0.0"), r)
        delivered = self.delivered(subject)
        self.assertIsNone(delivered["X-Amavis-Alert"])
        self.assertIn("Passed CLEAN", self.log_line(subject))
        self.seen = {d.path for d in self.sink.dumps()}

    # Case 3: an encoded message/rfc822 with an .exe ------------------------

    def rfc822(self, name, cte, subject, data=NOTES):
        inner = inner_message(name, data)
        body = (b64(inner) if cte == "base64" else
                quopri.encodestring(inner))
        return message(multipart([
            (b"Content-Type: text/plain\r\n", b"forwarded\r\n"),
            (b"Content-Type: message/rfc822\r\n"
             b"Content-Transfer-Encoding: " + cte.encode() + b"\r\n", body)]),
            subject)

    def test_base64_rfc822_holding_an_exe(self):
        self.assert_banned(self.rfc822("evil.exe", "base64", "r64"),
                           "evil.exe")
        self.assert_clean(self.rfc822("notes.txt", "base64", "r64 ok", NOTES),
                          "r64 ok")

    def test_quoted_printable_rfc822_holding_an_exe(self):
        self.assert_banned(self.rfc822("evil.exe", "quoted-printable",
                                       "rqp"), "evil.exe")
        self.assert_clean(self.rfc822("notes.txt", "quoted-printable",
                                      "rqp ok", NOTES), "rqp ok")

    # Case 4: name= and filename= differ --------------------------------------

    def two_names(self, name, filename, subject, data=NOTES):
        return message(multipart([
            (b"Content-Type: text/plain\r\n", b"hi\r\n"),
            (b"Content-Type: application/octet-stream; name=\"" +
             name.encode() + b"\"\r\nContent-Disposition: attachment; "
             b"filename=\"" + filename.encode() + b"\"\r\n"
             b"Content-Transfer-Encoding: base64\r\n", b64(data))]), subject)

    def test_name_and_filename_both_checked(self):
        self.assert_banned(self.two_names("evil.exe", "a.txt", "n1"),
                           "evil.exe")
        self.assert_banned(self.two_names("a.txt", "evil.bat", "n2"),
                           "evil.bat")
        self.assert_clean(self.two_names("a.txt", "b.txt", "n ok", NOTES), "n ok")

    def test_rfc_2231_pieces_out_of_order(self):
        """filename*1*= before filename*0*=, in UTF-16: GMime keeps
        "UTF-16LE''" and cuts the value at the first NUL ("UTF-16LE''el");
        a mail program that puts the pieces in order saves evil.exe."""
        def enc(s):
            return "".join("%%%02X" % b for b in s.encode("utf-16-le"))
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"hi\r\n"),
            (b"Content-Type: application/octet-stream\r\n"
             b"Content-Disposition: attachment;\r\n filename*1*=" +
             enc("l.exe").encode() + b";\r\n filename*0*=UTF-16LE''" +
             enc("evi").encode() + b"\r\n"
             b"Content-Transfer-Encoding: base64\r\n", b64(NOTES))]),
            "2231 order")
        self.assert_banned(msg, "evil.exe")

    # Case 5 and its kin: files in text ---------------------------------------

    def test_uuencoded_exe_in_text_any_encoding(self):
        for cte in (None, "base64", "quoted-printable"):
            with self.subTest(cte=cte):
                body = (b"the file:\r\n\r\n" + uuencoded("evil.exe", NOTES) +
                        b"bye\r\n")
                self.assert_banned(with_text(body, "uu %s" % cte, cte),
                                   "evil.exe")
                subject = "uu ok %s" % cte
                body = (b"the file:\r\n\r\n" +
                        uuencoded("notes.txt", NOTES) + b"bye\r\n")
                self.assert_clean(with_text(body, subject, cte), subject)

    def test_uuencoded_exe_in_a_bare_text_body(self):
        self.assert_banned(message(b"see\r\n" + uuencoded("run.com", NOTES),
                                   "uu bare"), "run.com")

    def test_yenc_exe_in_text(self):
        body = b"yEnc:\r\n" + yenc("evil.scr", NOTES) + b"\r\n"
        self.assert_banned(with_text(body, "yenc"), "evil.scr")
        body = b"yEnc:\r\n" + yenc("a.txt", NOTES) + b"\r\n"
        self.assert_clean(with_text(body, "yenc ok"), "yenc ok")

    def test_begin_base64_exe_in_text(self):
        self.assert_banned(with_text(begin_base64("evil.exe", NOTES), "bb64"),
                           "evil.exe")

    def test_binhex_exe_in_text(self):
        body = b"Mac file:\r\n" + binhex("evil.exe", NOTES) + b"bye\r\n"
        self.assert_banned(with_text(body, "binhex"), "evil.exe")
        body = b"Mac file:\r\n" + binhex("notes.txt", NOTES) + b"bye\r\n"
        self.assert_clean(with_text(body, "binhex ok"), "binhex ok")

    def test_uuencoded_zip_holding_an_exe(self):
        body = b"zip:\r\n" + uuencoded("docs.zip", zipped("evil.exe", NOTES))
        r = self.assert_banned(with_text(body, "uu zip"), "evil.exe")
        self.assertIn("docs.zip", r.text)
        body = b"zip:\r\n" + uuencoded("docs.zip", zipped("notes.txt", NOTES))
        self.assert_clean(with_text(body, "uu zip ok"), "uu zip ok")

    def test_uuencoded_zip_under_a_harmless_name(self):
        """Found by content, whatever the block's name says."""
        body = b"zip:\r\n" + uuencoded("photo.jpg", zipped("evil.exe", NOTES))
        self.assert_banned(with_text(body, "uu zip jpg"), "evil.exe")

    def test_text_that_says_begin_is_clean(self):
        body = (b"begin the meeting at 9\r\nbegin 64 pages\r\n"
                b"=ybegin of the thread\r\nend\r\n")
        self.assert_clean(with_text(body, "begin text"), "begin text")

    def test_block_cut_short_is_unchecked(self):
        """Its name is checked (harmless), its content cannot be: a
        block without its end line is UNCHECKED, never CLEAN."""
        body = uuencoded("notes.txt", NOTES).replace(b"`\r\nend\r\n", b"")
        r = self.send("default", with_text(body, "uu cut"))
        self.assert_passed_unchecked(r, "uu cut", "without an end line")

    def test_block_cut_short_still_has_its_name_checked(self):
        body = uuencoded("evil.exe", NOTES).replace(b"end\r\n", b"")
        self.assert_banned(with_text(body, "uu cut exe"), "evil.exe")

    def test_thousands_of_blocks_are_bounded(self):
        """More blocks than max_mime_parts: the walk stops, UNCHECKED."""
        block = uuencoded("a.txt", b"x")
        r = self.send("default", with_text(block * 3000, "uu many"))
        self.assert_passed_unchecked(r, "uu many", "MIME parts")

    # Virus: libclamav sees the content of files in text ---------------------

    def assert_virus(self, msg):
        r = self.send("ban", msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        self.assertIn("VIRUS:", r.text)

    def test_eicar_in_files_in_text_is_found(self):
        for cte in (None, "base64", "quoted-printable"):
            for kind, enc in (("uu", uuencoded), ("yenc", yenc),
                              ("bb64", begin_base64), ("binhex", binhex)):
                with self.subTest(cte=cte, kind=kind):
                    self.assert_virus(with_text(
                        b"x\r\n" + enc("eicar.txt", EICAR),
                        "v %s %s" % (kind, cte), cte))

    def test_binhex_encoder_agrees_with_libclamav(self):
        self.assert_virus(message(multipart([attachment(
            "a.hqx", binhex("eicar.com", EICAR),
            b"application/mac-binhex40")]), "hqx"))

    # Names that reach the reply ---------------------------------------------

    def test_crlf_in_an_rfc_2231_name_stays_on_one_line(self):
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"hi\r\n"),
            (b"Content-Type: application/octet-stream\r\n"
             b"Content-Disposition: attachment; filename*=UTF-8''"
             b"a%0D%0A250%20injected%0D%0Ab.exe\r\n"
             b"Content-Transfer-Encoding: base64\r\n", b64(NOTES))]), "crlf")
        r = self.send("ban", msg)
        self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
        self.assertEqual(len(r.lines), 1, r.raw)
        self.assertNotIn(b"\r\n250", r.raw)
        self.assertIn("injected", r.text)
        self.assertIn("b.exe", r.text)

    def test_long_names_stay_within_a_reply_line(self):
        for kind in ("header", "uu"):
            with self.subTest(kind=kind):
                name = "x" * 5000 + ".exe"
                if kind == "header":
                    msg = message(multipart([attachment(name, NOTES)]),
                                  "long " + kind)
                else:
                    msg = with_text(uuencoded(name, NOTES), "long " + kind)
                r = self.send("ban", msg)
                self.assertEqual((r.code, r.enhanced), (554, "5.7.0"), r)
                for line in r.raw.split(b"\r\n"):
                    self.assertLessEqual(len(line), 510, line[:80])


if __name__ == "__main__":
    unittest.main(verbosity=2)
