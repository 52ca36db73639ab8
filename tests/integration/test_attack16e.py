"""test_attack16e - a short outside attack on 9832419 (issue 16): on the
mail-parser path libclamav leaves out a file only when it is one level
below the message (a pre-scan callback counts levels up, a post-scan
callback counts them down) and its bytes are one of filterd's parts.

The attack is on the count: can a file deeper than one level (a zip
member) be taken for one level below the message, so that a decoy part
with its bytes makes libclamav leave it out of its zip's scan, where
only its zip gives a Container:CL_TYPE_ZIP signature its match? Each
test is a message whose zip, holding MEMBER, is no part of filterd's
(uuencoded in a preamble) and sits in a nested message (message/rfc822,
multipart/digest's default, a .eml attachment), with a decoy attachment
with MEMBER's bytes. Each expects the client's view of a found virus:
554 5.7.0, the signature's name, no copy at the next hop. Peers are
real (test_attack16d's set-up: filterd, libclamav with the test's .ldb,
a WireSink next hop).

Broken: test_raw_zip_in_preamble_decoy. A zip as raw bytes in the
preamble (no part of filterd's): libclamav's raw scan of the message
finds it at an offset (ZIP-SFX, scanners.c scanraw) and pushes it as a
layer (cli_recursion_stack_push + cli_unzip_single) without going
through cli_magic_scan, so neither callback runs for it; its member,
two layers below the message, is counted one below it, and a decoy
attachment with the member's bytes makes libclamav leave it out: the
Container:CL_TYPE_ZIP signature passes CLEAN (clamscan finds the same
message). Its control, without the decoy, is found. The others held:
nested messages (message/rfc822, three deep, multipart/digest, a .eml
attachment), members of 0, 5 and 6 bytes before the one, a zip in the
zip with decoys of both."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_attack16b import TEXT, VirusCase, uu_lines  # noqa: E402
from test_attack16d import MEMBER, PHISHING, ZIP_TOKEN, ldb  # noqa: E402
from test_checks import (attachment, message, multipart,  # noqa: E402
                         zipped)


def preamble_zip_body(boundary=b"inner0b"):
    """A multipart (headers, body) whose preamble holds a uuencoded zip
    with MEMBER, and a text part."""
    hdrs, body = multipart([(TEXT, b"inner hello\r\n")], boundary)
    block = b"\r\n".join(uu_lines(b"notes.zip",
                                  zipped("notes.txt", MEMBER))) + b"\r\n"
    body = body.replace(b"preamble\r\n", b"preamble\r\n" + block, 1)
    return hdrs, body


def inner_message():
    return message(preamble_zip_body(), "inner")


def decoy():
    return attachment("notes.txt", MEMBER, b"text/plain")


def rfc822_message(with_decoy):
    parts = [(TEXT, b"forwarded\r\n"),
             (b"Content-Type: message/rfc822\r\n", inner_message())]
    if with_decoy:
        parts.append(decoy())
    return message(multipart(parts), "rfc822 %s" % with_decoy)


def digest_message(with_decoy):
    """multipart/digest: its part has no Content-Type (message/rfc822 by
    default); the decoy is an attachment of the outer multipart/mixed."""
    dh, db = multipart([(b"", inner_message())], b"dig0b")
    dh = dh.replace(b"multipart/mixed", b"multipart/digest")
    parts = [(TEXT, b"digest follows\r\n"), (dh.split(b"\r\n", 1)[1], db)]
    if with_decoy:
        parts.append(decoy())
    return message(multipart(parts), "digest %s" % with_decoy)


def eml_message(with_decoy):
    """The nested message as a base64 .eml attachment (a leaf to GMime,
    a file to libclamav's mail parser)."""
    parts = [(TEXT, b"see eml\r\n"),
             attachment("fwd.eml", inner_message(),
                        b"application/octet-stream")]
    if with_decoy:
        parts.append(decoy())
    return message(multipart(parts), "eml %s" % with_decoy)


def deep_message(with_decoy):
    """rfc822 in rfc822 in rfc822, the zip in the innermost's preamble."""
    inner = inner_message()
    for i in range(3):
        inner = message(multipart([
            (TEXT, b"level %d\r\n" % i),
            (b"Content-Type: message/rfc822\r\n", inner)],
            b"lvl%db" % i), "level %d" % i)
    parts = [(TEXT, b"deep\r\n"),
             (b"Content-Type: message/rfc822\r\n", inner)]
    if with_decoy:
        parts.append(decoy())
    return message(multipart(parts), "deep %s" % with_decoy)


def many_zip(names_data):
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in names_data:
            z.writestr(n, d)
    return buf.getvalue()


def preamble_message(zip_bytes, decoys, subject):
    """A multipart whose preamble holds zip_bytes uuencoded; decoys:
    attachments with those bytes."""
    parts = [(TEXT, b"hello\r\n")]
    for i, d in enumerate(decoys):
        parts.append(attachment("d%d.bin" % i, d))
    hdrs, body = multipart(parts)
    block = b"\r\n".join(uu_lines(b"x.zip", zip_bytes)) + b"\r\n"
    body = body.replace(b"preamble\r\n", b"preamble\r\n" + block, 1)
    return message((hdrs, body), subject)


def stored_zip(name, data):
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(name, data)
    return buf.getvalue()


def raw_zip_preamble_message(with_decoy):
    """A multipart whose preamble holds a zip as raw bytes (stored, no
    bare CR or LF): libclamav's raw scan of the message finds it at an
    offset (ZIP-SFX) and unpacks it in the message's own scan, a layer
    pushed without either callback, so its member is counted one level
    below the message."""
    parts = [(TEXT, b"hello\r\n")]
    if with_decoy:
        parts.append(decoy())
    hdrs, body = multipart(parts)
    body = body.replace(b"preamble\r\n", b"preamble\r\n" +
                        stored_zip("notes.txt", MEMBER) + b"\r\n", 1)
    return message((hdrs, body), "raw zip %s" % with_decoy)


class NestedDecoyTest(VirusCase):
    DB = dict(PHISHING, **{"zipm.ldb": ldb("Filterd-Zip-Member",
                                           "CL_TYPE_ZIP", ZIP_TOKEN)})

    def test_rfc822_decoy(self):
        self.assert_found(rfc822_message(True), "Filterd-Zip-Member")

    def test_rfc822_control(self):
        self.assert_found(rfc822_message(False), "Filterd-Zip-Member")

    def test_digest_decoy(self):
        self.assert_found(digest_message(True), "Filterd-Zip-Member")

    def test_digest_control(self):
        self.assert_found(digest_message(False), "Filterd-Zip-Member")

    def test_eml_decoy(self):
        self.assert_found(eml_message(True), "Filterd-Zip-Member")

    def test_eml_control(self):
        self.assert_found(eml_message(False), "Filterd-Zip-Member")

    def test_deep_rfc822_decoy(self):
        self.assert_found(deep_message(True), "Filterd-Zip-Member")

    def test_small_and_empty_members_first(self):
        """Members of 0 and 5 bytes (libclamav returns before either
        callback) and a 6-byte one before MEMBER; decoys of each."""
        z = many_zip([("e", b""), ("s", b"12345"), ("t", b"123456"),
                      ("notes.txt", MEMBER)])
        self.assert_found(preamble_message(
            z, [b"123456", MEMBER], "small first"), "Filterd-Zip-Member")

    def test_zip_in_zip_decoys(self):
        """MEMBER in a zip in the preamble's zip; decoys of the inner
        zip and of MEMBER."""
        inner = zipped("notes.txt", MEMBER)
        z = many_zip([("a.txt", b"first member\r\n"), ("in.zip", inner)])
        self.assert_found(preamble_message(z, [inner, MEMBER], "zip in zip"),
                          "Filterd-Zip-Member")

    def test_raw_zip_in_preamble_decoy(self):
        self.assert_found(raw_zip_preamble_message(True),
                          "Filterd-Zip-Member")

    def test_raw_zip_in_preamble_control(self):
        self.assert_found(raw_zip_preamble_message(False),
                          "Filterd-Zip-Member")

    def test_deep_rfc822_control(self):
        self.assert_found(deep_message(False), "Filterd-Zip-Member")


if __name__ == "__main__":
    unittest.main()
