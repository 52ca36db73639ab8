#!/usr/bin/env python3
"""check_exec - no program of filterd can run a shell or another program.

Message content reaches filterd's parsers, never a shell: the programs
(filterd, filterd-nanny, filterd-release, filterd-sql, filterd-snmp)
import none of system, popen, the exec family or posix_spawn (nm -D
--undefined-only of each). There is no allowed use. The libraries they
link are not ours; README "Security" says which of them can run a
program and why message content never makes them (libarchive's external
decompressors are left out by scan_banned.c's banned_filters(), checked
at run time by tests/integration/test_hardening.py NoProgramTest).

Run: python3 tests/static/check_exec.py BINARY...; the self-test sees
/usr/bin/env (which imports execvp) caught.
"""

import os
import re
import subprocess
import sys
import unittest

FORBIDDEN = re.compile(r"^(system|popen|execl|execle|execlp|execv|execve|"
                       r"execvp|execvpe|execveat|fexecve|posix_spawn|"
                       r"posix_spawnp|wordexp)$")
BINARIES = []


def imports(path):
    """imports - the dynamic symbols path takes from its libraries."""
    p = subprocess.run(["nm", "-D", "--undefined-only", path],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("nm %s: %s" % (path, p.stderr))
    out = set()
    for line in p.stdout.splitlines():
        f = line.split()
        if f:
            out.add(f[-1].split("@")[0])
    return out


def forbidden(path):
    return sorted(s for s in imports(path) if FORBIDDEN.match(s))


class ExecTest(unittest.TestCase):

    def test_binaries_were_given(self):
        self.assertTrue(BINARIES, "usage: check_exec.py BINARY...")

    def test_no_program_imports_a_way_to_run_another(self):
        for path in BINARIES:
            with self.subTest(path=os.path.basename(path)):
                self.assertEqual(forbidden(path), [], path)


class SelfTest(unittest.TestCase):

    @unittest.skipUnless(os.path.exists("/usr/bin/env"), "no /usr/bin/env")
    def test_a_program_that_execs_is_caught(self):
        self.assertIn("execvp", forbidden("/usr/bin/env"))


if __name__ == "__main__":
    while len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        BINARIES.append(sys.argv.pop(1))
    unittest.main()
