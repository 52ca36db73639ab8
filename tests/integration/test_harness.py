#!/usr/bin/env python3
"""test_harness - the test harness keeps its own promises.

A peer the harness started is stopped by the harness, whatever the test
does: here, a class whose setUpClass fails after start_for_class() has
started a peer (unittest calls no tearDownClass then). Before class
cleanups did it, the peer (an smtp-sink here; MariaDB and Postfix in
test_release when `filterd-sql init` failed) kept running after the run.
"""
import io
import os
import unittest

import harness as h


class FailsAfterStart(h.PeerTestCase):
    """Starts a class peer, then fails: what a failing setup step does."""

    started = []

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sink = h.Sink(cls.tmp)
        cls.start_for_class(sink)
        cls.started.append((sink.proc.pid, cls.tmp.path))
        raise RuntimeError("a setup step failed after the peers started")

    def test_never_runs(self):
        self.fail("setUpClass failed: no test of the class runs")


def alive(pid):
    """alive - pid is a process that has not been reaped or ended."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] not in "ZX"
    except OSError:
        return False


class ClassCleanupTest(unittest.TestCase):
    def test_failed_setupclass_stops_class_peers(self):
        FailsAfterStart.started.clear()
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(
            FailsAfterStart)
        result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
        self.assertEqual(len(result.errors), 1, result.errors)
        self.assertIn("a setup step failed", result.errors[0][1])
        self.assertEqual(len(FailsAfterStart.started), 1)
        pid, tmp = FailsAfterStart.started[0]
        self.assertTrue(h.wait_until(lambda: not alive(pid), 5),
                        "smtp-sink %d still runs" % pid)
        self.assertFalse(os.path.exists(tmp), tmp)


if __name__ == "__main__":
    unittest.main(defaultTest="ClassCleanupTest")
