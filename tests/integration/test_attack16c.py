"""test_attack16c - an outside attack on 1030508 (issue 16): parts that
libclamav's mail parser scanned are not scanned again.

On the mail-parser path (phishing lists in the database, a marker line,
odd MIME) filterd scans the message whole with libclamav's mail parser,
then each leaf part as a file of its own unless that parser's scan came
back CLEAN and a pre-scan callback noted a file with the part's size and
SHA-256 (scan_clamav_seen_has). The claim: the same bytes, engine and
options give the same verdict, and a limit that stops a scan is reported
(UNCHECKED). Each test here is a message whose part a standalone scan
finds (clamscan on the part's bytes) and libclamav's mail parser does
not, although it took the part out and noted it:

- a logical signature with Container:CL_TYPE_ANY (the file scanned at
  the top, as filterd's part scan does): inside the mail parser the
  part's container is CL_TYPE_MAIL, so it cannot match there;
- max_scansize reached inside the mail parser's scan by what an
  earlier part unpacks to: libclamav's CAB reader (libmspack.c) then cuts
  what it extracts to the budget left, silently (no
  Heuristics.Limits.Exceeded), and the CAB part is not scanned again;
  with libclamav's clean cache on (the default) the cut CAB is also
  cached clean, which a second scan of it would hit, also in a later
  ordinary message that takes the parts path (CachePoisonTest, not new
  with 1030508).

And two on the line logic (scan_clamav_lines), with no phishing list:
the 999-byte split of libclamav's mail parser is applied to a text part
after decoding, but libclamav splits the raw quoted-printable lines
before decoding them: a quoted message whose header lines follow 999 raw
bytes of =41 escapes starts lines only for libclamav (clamscan finds the
EICAR in it); and the split is not applied to header fields at all: a
Content-Type after 999 bytes of a header field is a header field of its
own for libclamav alone, which then reads another MIME structure (a
Content-Transfer-Encoding in a part's header field alike).

All failed on 1030508 (the two cache ones and the line ones before it
too). The fixes: libclamav's mail parser now leaves out the files whose
bytes are one of the parts (scan_clamav_skip), which filterd scans as
files of their own, at the top and with a scan's full limits; libclamav's
clean cache is off by default (clamav.disable_cache), and nothing is
left out while it is on; a line start that only the 999-byte split makes
counts with any marker in the check of the message as it stands
(scan_clamav_raw_marked).

Each test sends one message and expects the client's view of a found
virus: 554 5.7.0 and no copy at the next hop. Peers are real: filterd
with libclamav and the test signature database (test_checks), a
WireSink next hop."""

import io
import os
import struct
import sys
import unittest
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_attack16b import (TEXT, PROSE, VirusCase,  # noqa: E402
                            quoted_message_lines, with_text_part)
from test_checks import (EICAR, attachment, b64, message,  # noqa: E402
                         multipart)

PHISHING = {"test.pdb": "H:paypal.com\n"}
TOP = b"FILTERD-TOP-LEVEL-ONLY-PAYLOAD"


def cab(name, data):
    """A Microsoft cabinet holding one file, MSZIP-compressed (each
    32 KiB block deflated on its own, no checksums): data is not in it
    as is, so only what libclamav extracts from it can match."""
    blocks = []
    for i in range(0, len(data), 32768):
        chunk = data[i:i + 32768]
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        comp = b"CK" + c.compress(chunk) + c.flush()
        blocks.append(struct.pack("<IHH", 0, len(comp), len(chunk)) + comp)
    fname = name.encode() + b"\0"
    data_off = 36 + 8 + 16 + len(fname)
    total = data_off + sum(len(b) for b in blocks)
    head = b"MSCF" + struct.pack("<IIIIIBBHHHHH", 0, total, 0, 36 + 8, 0,
                                 3, 1, 1, 1, 0, 0, 0)
    folder = struct.pack("<IHH", data_off, len(blocks), 1)
    entry = struct.pack("<IIHHHH", len(data), 0, 0, 0x5a21, 0, 0x20) + fname
    return head + folder + entry + b"".join(blocks)


def zeros_zip(sizes):
    """A zip of files of zeros (a few KB for megabytes unpacked)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i, n in enumerate(sizes):
            z.writestr("zeros%d.bin" % i, b"\0" * n)
    return buf.getvalue()


class ContainerTest(VirusCase):
    """A logical signature for files scanned at the top (Container:
    CL_TYPE_ANY: cli_recursion_stack_get_type(ctx, -2) of the first
    layer). filterd's part scan is such a scan; inside libclamav's mail
    parser the part's container is CL_TYPE_MAIL. clamscan finds the part
    alone and not the message."""

    DB = dict(PHISHING, **{
        "top.ldb": "Filterd-Top-Only;Engine:51-255,Container:CL_TYPE_ANY,"
                   "Target:0;0;%s\n" % TOP.hex()})

    def test_top_level_signature_in_an_attachment(self):
        part = b"some document text\r\n" + TOP + b"\r\n"
        self.assert_found(message(multipart([
            (TEXT, b"hello\r\n"), attachment("doc.bin", part)]),
            "container any"), "Filterd-Top-Only")


def cab_after_zeros():
    """A zip unpacking to 8.9 MB of zeros, then a CAB whose file holds
    EICAR after 2 MB of zeros. With max_scansize 10 MB the mail parser's
    scan has under 2 MB left when it reaches the CAB's file: libmspack.c
    extracts that much (max_size = maxscansize - scansize) and scans it,
    no alert. Alone the CAB is found (clamscan, same limits)."""
    payload = b"\0" * 2000000 + EICAR + b"\0" * 100
    return message(multipart([
        (TEXT, b"hello\r\n"),
        attachment("zeros.zip", zeros_zip([4500000, 4400000]),
                   b"application/zip"),
        attachment("e.cab", cab("e.com", payload),
                   b"application/vnd.ms-cab-compressed")]), "cab budget")


class ScanSizeTest(VirusCase):
    """max_filesize and max_scansize as scan_clamav_agree() asks for a
    message_size_limit of 5 MB (twice it for the scan size); the clean
    cache off, so only the skipped part scan is at stake."""

    DB = PHISHING
    CLAMAV = ("max_filesize = 5000000 max_scansize = 10000000 "
              "disable_cache = true")

    def test_cab_after_a_zip_of_zeros(self):
        self.assert_virus(cab_after_zeros())


class ScanSizeCacheTest(VirusCase):
    """The same with the shipped clean-cache setting (it was on, the
    default then: the CAB cut short was cached clean by the mail
    parser's scan, so a part scan of it was answered from the cache)."""

    DB = PHISHING
    CLAMAV = "max_filesize = 5000000 max_scansize = 10000000"

    def test_cab_after_a_zip_of_zeros_with_the_cache(self):
        self.assert_virus(cab_after_zeros())


def the_cab():
    """The CAB of cab_after_zeros() alone, in an ordinary message."""
    payload = b"\0" * 2000000 + EICAR + b"\0" * 100
    return message(multipart([
        (TEXT, b"hello\r\n"),
        attachment("e.cab", cab("e.com", payload),
                   b"application/vnd.ms-cab-compressed")]), "cab alone")


class CachePoisonTest(VirusCase):
    """No phishing list, one child (min and max_servers 1), the shipped
    clean-cache setting (on, the default then). A first message with a marker line (a
    quoted header) goes through libclamav's mail parser, where the CAB
    after the zip of zeros is cut to the scan size left and cached
    clean (no limit reported, so nothing keeps it out of the cache:
    emax_reached() is not called). A second, ordinary message with the
    same CAB takes the parts path, without the mail parser: its part
    scan of the CAB, a fresh budget, is answered from libclamav's clean
    cache. (Not new with 1030508: the cache was on before it.)"""

    CONF = {"min_servers": 1, "max_servers": 1}
    CLAMAV = "max_filesize = 5000000 max_scansize = 10000000"

    def test_cab_cached_clean_by_an_earlier_message(self):
        hdrs, body = multipart([
            (TEXT, b"hello\r\nFrom: the team\r\n"),
            attachment("zeros.zip", zeros_zip([4500000, 4400000]),
                       b"application/zip"),
            attachment("e.cab", cab("e.com", b"\0" * 2000000 + EICAR +
                                    b"\0" * 100),
                       b"application/vnd.ms-cab-compressed")])
        first = message((hdrs, body), "cab poison")
        r, _ = self.send(first)
        self.assertIn(r.code, (250, 554), r)
        self.assert_virus(the_cab())


QP = TEXT + b"Content-Transfer-Encoding: quoted-printable\r\n"


class QuotedPrintableLinesTest(VirusCase):
    """No phishing list: a text part sends the message to libclamav's
    mail parser only when scan_clamav_text_marked() finds a marker line
    in the decoded part."""

    def test_message_quoted_after_999_raw_bytes_of_escapes(self):
        """Each header line of a quoted message follows 333 '=41' (999
        raw bytes) on its raw line: libclamav's getline_from_mbox() ends
        a line there, then decodes each line; decoded, the line is 333
        'A' and the header, no marker at its start, and 333 + 60 bytes
        is far from the 999 split of the decoded text. Every '=' of the
        quoted lines is written =3D: valid quoted-printable, decoded
        alike by GMime and libclamav (d.qp.otherwise stays 0)."""
        lines = [ln.replace(b"=", b"=3D") for ln in quoted_message_lines()]
        lines = [b"=41" * 333 + ln if b":" in ln[:30] else ln
                 for ln in lines]
        self.assert_virus(with_text_part(
            PROSE + b"\r\n".join(lines) + b"\r\n", "qp 999", QP))



class HeaderSplitTest(VirusCase):
    """No phishing list. A header field longer than 999 bytes: libclamav's
    mail parser reads its rest as a header field of its own (mbox.c
    getline_from_mbox, then parseEmailFile), here a Content-Type that
    makes the message a multipart/mixed for it alone, coming after the
    message's own application/octet-stream (which it then overrides).
    GMime reads one application/octet-stream part, in which it is no
    text part for scan_clamav_text_marked() and the raw lines hold no
    encoded content (scan_clamav_raw_marked): the parts path scans the
    message and the part as they stand, base64 text. clamscan finds the
    EICAR attachment of the multipart it reads (and nothing without the
    long field)."""

    def test_content_type_after_999_bytes_of_a_header_field(self):
        hidden = (b"X-Pad: " + b"a" * 992 +
                  b"Content-Type: multipart/mixed; boundary=\"zzz\"\r\n")
        body = (b"--zzz\r\nContent-Type: application/octet-stream; "
                b"name=\"e.com\"\r\nContent-Transfer-Encoding: base64\r\n"
                b"\r\n" + b64(EICAR) + b"--zzz--\r\n")
        self.assert_virus(message(
            body, "hidden content type",
            b"MIME-Version: 1.0\r\nContent-Type: "
            b"application/octet-stream\r\n" + hidden))

    def test_transfer_encoding_after_999_bytes_of_a_part_header_field(self):
        """The same inside a part: a Content-Disposition whose quoted
        parameter runs past 999 bytes into 'Content-Transfer-Encoding:
        base64'. libclamav decodes the part as base64 (clamscan finds
        the EICAR; not with X-Content-Transfer-Encoding there); GMime
        reads a 7bit application/octet-stream part of base64 text."""
        pad = b"Content-Disposition: attachment; x=\""
        hdrs = (b"Content-Type: application/octet-stream; name=\"e.com\"\r\n"
                + pad + b"a" * (999 - len(pad)) +
                b"Content-Transfer-Encoding: base64\r\n")
        self.assert_virus(message(multipart([(TEXT, b"hello\r\n"),
                                             (hdrs, b64(EICAR))]),
                                  "part header split"))

if __name__ == "__main__":
    unittest.main()
