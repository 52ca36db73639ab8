"""test_fuzz18 - what fuzzing issue 18's new readers found, and what
their cost is, seen from outside (attack 18b).

- A TNEF file whose title and data come before any attAttachRenddata
  (libytnef keeps it in starting_attach, which TNEFFree() leaves): the
  child leaks the file's size on every such message, for max_requests
  messages (fuzz input tests/fuzz/regress/tnef-leak-starting-attach).
- A TNEF of 10,000 tiny files, one of a 40 MB file: the child's peak
  (harness.children_peak_mb) stays bounded; the verdict is CLEAN or
  UNCHECKED, never a dead child.

Real peers: smtp-sink, filterd with libclamav and a test signature
database; TNEF streams made here (struct)."""

import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_attack18 as a18  # noqa: E402
from test_checks_unchecked import (UncheckedTestCase,  # noqa: E402
                                   with_attachment)
from test_checks import RCPT, SENDER  # noqa: E402
from test_embedded18 import attr, tnef_files  # noqa: E402


def tnef_before_renddata(title, data):
    """A TNEF whose only file has no attAttachRenddata before it."""
    return (struct.pack("<IH", 0x223E9F78, 0x0101) +
            attr(1, 0x00089006, struct.pack("<I", 0x00010000)) +
            attr(2, 0x00018010, title + b"\0") +
            attr(2, 0x0006800F, data))


class Fuzz18Test(UncheckedTestCase):
    """One filterd with one child (min_servers = max_servers = 1, so
    every message goes to the same child), messages up to 60 MB."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_checking_filterd(banks=[("evil", "A18", a18.A18)],
                                   min_servers=1, max_servers=1,
                                   message_size_limit=60000000)

    def peak(self, listener, msg):
        return h.children_peak_mb(self.fd, lambda: self.send(listener, msg))

    @h.rss_test
    def test_tnef_file_before_renddata_does_not_leak(self):
        """Nine messages with a 4 MB TNEF file before attAttachRenddata
        to the one child: its peak after the first and after all nine
        differ by less than 12 MB (a leak: 32 MB more)."""
        t = tnef_before_renddata(b"a.txt", b"x" * (4 << 20))
        r, first = self.peak("default", with_attachment(
            "winmail.dat", t, b"application/ms-tnef", "tnef leak 0"))
        self.assertEqual(r.code, 250, r)
        last = first
        for i in range(1, 9):
            r, last = self.peak("default", with_attachment(
                "winmail.dat", t, b"application/ms-tnef",
                "tnef leak %d" % i))
            self.assertEqual(r.code, 250, r)
        sys.stderr.write("\n  child peak: %d MB after 1, %d MB after 9\n"
                         % (first, last))
        self.assertLess(last - first, 12,
                        "the child grew by %d MB over 8 messages"
                        % (last - first))

    def test_tnef_before_renddata_banned(self):
        """The same layout naming evil.exe is still banned."""
        t = tnef_before_renddata(b"evil.exe", a18.BODY)
        r = self.send("evil", with_attachment(
            "winmail.dat", t, b"application/ms-tnef", "tnef pre evil"))
        self.assertEqual(r.code, 554, r)
        self.assertIn("evil.exe", r.text)

    def test_tnef_unicode_long_name_banned(self):
        """Outlook 2007 and later store PR_ATTACH_LONG_FILENAME as
        PT_UNICODE (UTF-16LE): title EVIL~1.TXT, long name evil.exe in
        UTF-16. Outlook saves it as evil.exe: banned by that name."""
        name = "evil.exe".encode("utf-16-le") + b"\0\0"
        props = (struct.pack("<IIII", 1, 0x3707 << 16 | 0x001F, 1,
                             len(name)) + name + b"\0" * (-len(name) % 4))
        t = tnef_files([(b"EVIL~1.TXT", None, a18.BODY)])
        t += attr(2, 0x00069005, props)
        r = self.send("evil", with_attachment(
            "winmail.dat", t, b"application/ms-tnef", "tnef utf16"))
        self.assertEqual(r.code, 554, "%r; %s" % (
            r, self.log_line("tnef utf16")))
        self.assertIn("evil.exe", r.text)


class TnefCostTest(UncheckedTestCase):
    """A fresh child for each message (max_requests 1), so its peak is
    that message's; messages up to 60 MB, max_archive_files and
    max_mime_parts 20,000 (so 10,000 TNEF files are all read)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_checking_filterd(min_servers=1, max_servers=2,
                                   max_requests=1,
                                   message_size_limit=60000000,
                                   max_archive_files=20000,
                                   max_mime_parts=20000)

    def send(self, listener, msg):
        # 10,000 files take ~4 s of scanning alone on 2 cores, and ten
        # times that beside the rest of ctest -j2: no speed is asserted.
        return h.send_message(self.ports[listener], SENDER, [RCPT], msg,
                              timeout=180)

    def peak(self, listener, msg):
        return h.children_peak_mb(self.fd, lambda: self.send(listener, msg))

    @h.rss_test
    def test_tnef_ten_thousand_files(self):
        """10,000 files of 8 bytes: CLEAN, the child stays small."""
        t = tnef_files([(b"f%05d.txt" % i, None, b"12345678")
                        for i in range(10000)])
        start = time.monotonic()
        r, peak = self.peak("default", with_attachment(
            "winmail.dat", t, b"application/ms-tnef", "tnef many"))
        sys.stderr.write("\n  %d KB of TNEF: child peak %d MB, %.1f s\n"
                         % (len(t) >> 10, peak, time.monotonic() - start))
        self.assertEqual(r.code, 250, r)
        line = self.log_line("tnef many")
        sys.stderr.write("  %s ... %s\n" % (line[line.index("Passed"):][:16],
                                            line[line.rindex("size:"):]))
        self.assertIn("CLEAN", line)
        self.assertLess(peak, 150)

    @h.rss_test
    def test_tnef_forty_mb_file(self):
        """One 40 MB file: CLEAN or UNCHECKED, the child's peak within
        a few copies of it."""
        t = tnef_files([(b"big.txt", None, b"y" * (40 << 20))])
        start = time.monotonic()
        r, peak = self.peak("default", with_attachment(
            "winmail.dat", t, b"application/ms-tnef", "tnef big"))
        sys.stderr.write("\n  40 MB TNEF file: child peak %d MB, %.1f s\n"
                         % (peak, time.monotonic() - start))
        self.assertEqual(r.code, 250, r)
        line = self.log_line("tnef big")
        sys.stderr.write("  %s ... %s\n" % (line[line.index("Passed"):][:60],
                                            line[line.rindex("size:"):]))
        self.assertLess(peak, 400)

    def test_libytnef_lines_stay_out_of_the_log(self):
        """A TNEF whose checksums do not match: libytnef printf()s
        "ERROR: Checksum mismatch" to the child's standard output, which
        under -f is the master's (here the log file): lines outside
        msg_*, without ident or queue id, one per bad attribute, a
        message's worth of them. None may appear."""
        t = bytearray(tnef_files([(b"a%d.txt" % i, None, b"x")
                                  for i in range(50)]))
        i = 6
        while i < len(t):
            n = struct.unpack("<I", t[i + 5:i + 9])[0]
            t[i + 9 + n] ^= 0x55
            i += 9 + n + 2
        r = self.send("default", with_attachment(
            "winmail.dat", bytes(t), b"application/ms-tnef", "tnef sums"))
        self.assertEqual(r.code, 250, r)
        self.log_line("tnef sums")
        # max_requests 1: that child exits (flushing its stdio); wait
        # for the next message's child to have answered too.
        r = self.send("default", with_attachment(
            "a.txt", b"hello\r\n", b"text/plain", "after sums"))
        self.assertEqual(r.code, 250, r)
        time.sleep(0.5)
        text = self.fd.log_text()
        self.assertNotIn("Checksum mismatch", text,
                         "%d lines of libytnef in the log"
                         % text.count("Checksum mismatch"))


if __name__ == "__main__":
    unittest.main()
