"""test_relay - smtp-source -> filterd -> smtp-sink, many messages.

Every message smtp-source hands to filterd must arrive at the sink exactly
once with its envelope, and be logged once with its own mail_id."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "from@example.org"
RCPT = "to@example.net"


class RelayTest(h.PeerTestCase):

    def source(self, port, messages, sessions, extra=()):
        argv = [h.SMTP_SOURCE, "-c", "-m", str(messages), "-s",
                str(sessions), "-l", "2048", "-f", SENDER, "-t", RCPT] + \
            list(extra) + ["%s:%d" % (h.LOCALHOST, port)]
        p = h.run(argv, timeout=45)
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, "smtp-source failed: %s" % out)
        return out

    def check_delivery(self, sink, fd, n):
        self.assertTrue(sink.wait_count(n, 15),
                        "sink has %d of %d messages" % (sink.count(), n))
        dumps = sink.dumps()
        self.assertEqual(len(dumps), n, "duplicates at the sink")
        for d in dumps:
            self.assertEqual(d.sender, SENDER, d)
            self.assertEqual(d.rcpts, [RCPT], d)
            # smtp-source -l 2048 sends its headers plus 2048 bytes of
            # payload; the payload lines must all be there.
            self.assertGreaterEqual(len(d.body), 2048, d)
        lines = fd.wait_messages(n, 10) or fd.message_lines()
        passed = [l for l in lines if l.result == h.PASSED]
        self.assertEqual(len(passed), n, "log:\n" + fd.log_text()[-3000:])
        self.assertEqual(len(lines), n, "other result lines in the log")
        ids = [l.mail_id for l in passed]
        for l in passed:
            self.assertIsNotNone(l.mail_id, l)
            self.assertEqual(len(l.mail_id), 12, l)
            self.assertEqual(l.sender, SENDER, l)
            self.assertEqual(l.rcpts, [RCPT], l)
            self.assertIsNotNone(l.size, l)
            self.assertIsNotNone(l.ms, l)
            self.assertIn("queued_as: ", l.text)
        self.assertEqual(len(set(ids)), n, "mail_ids are not distinct")

    def test_50_messages_5_sessions(self):
        sink = self.start(h.Sink(self.tmp, "sink50"))
        fd = self.start(h.Filterd(self.tmp, "fd50",
                                  banks={"default": {"forward": [sink.addr]}}))
        self.source(fd.port, 50, 5)
        self.check_delivery(sink, fd, 50)

    def test_many_transactions_per_session(self):
        # -d: smtp-source sends the next message over the same connection,
        # as Postfix does under load.
        sink = self.start(h.Sink(self.tmp, "sinkd"))
        fd = self.start(h.Filterd(self.tmp, "fdd",
                                  banks={"default": {"forward": [sink.addr]}}))
        self.source(fd.port, 30, 3, ["-d"])
        self.check_delivery(sink, fd, 30)

    def test_sigterm_drains_and_exits(self):
        sink = self.start(h.Sink(self.tmp, "sinkterm"))
        fd = self.start(h.Filterd(self.tmp, "fdterm",
                                  banks={"default": {"forward": [sink.addr]}}))
        self.source(fd.port, 5, 2)
        self.check_delivery(sink, fd, 5)
        kids = fd.children()
        status = fd.stop()
        self.assertEqual(status, 0, "exit status after SIGTERM; log:\n" +
                         fd.log_text()[-2000:])
        self.assertEqual(fd.leftover_children, [],
                         "children %r outlived the master" % kids)
        self.assertFalse(h.port_open(fd.port), "listener still open")

    def test_sighup_reload(self):
        sink_a = self.start(h.Sink(self.tmp, "sink-a"))
        sink_b = self.start(h.Sink(self.tmp, "sink-b"))
        fd = self.start(h.Filterd(self.tmp, "fdhup", banks={
            "default": {"forward": [sink_a.addr]}}))
        self.source(fd.port, 2, 1)
        self.assertTrue(sink_a.wait_count(2, 10))
        old = set(fd.children())
        self.assertTrue(old, "no children")
        fd.banks["default"]["forward"] = [sink_b.addr]
        fd.write_conf()
        fd.signal(h.signal.SIGHUP)
        # The old generation retires; wait until none of it is left.
        gone = h.wait_until(lambda: fd.children() and
                            not old & set(fd.children()), 10)
        self.assertTrue(gone, "old children %r still running after SIGHUP;"
                        " log:\n%s" % (old & set(fd.children()),
                                       fd.log_text()[-2000:]))
        self.assertTrue(fd.running(), "master died on SIGHUP")
        self.source(fd.port, 4, 2)
        self.assertTrue(sink_b.wait_count(4, 10),
                        "after reload: %d at the new next hop, %d at the "
                        "old" % (sink_b.count(), sink_a.count() - 2))
        self.assertEqual(sink_a.count(), 2, "old next hop used after "
                         "reload")

    def test_config_check(self):
        fd = h.Filterd(self.tmp, "fdcheck", banks={
            "default": {"forward": ["127.0.0.1:25"]}})
        p = fd.check_conf()
        self.assertEqual(p.returncode, 0, p.stderr)
        # An unknown parameter on a known line.
        text = fd.conf_text().splitlines()
        text.insert(3, "no_such_parameter = 1")
        with open(fd.conf_path, "w") as f:
            f.write("\n".join(text) + "\n")
        p = h.run([self.bin, "-t", "-c", fd.conf_path], timeout=20)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("%s:4:" % fd.conf_path, err)
        # A value out of range.
        fd.params["max_recipients"] = 0
        p = fd.check_conf()
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 1, err)
        line = [i + 1 for i, l in enumerate(fd.conf_text().splitlines())
                if l.startswith("max_recipients")][0]
        self.assertIn("%s:%d:" % (fd.conf_path, line), err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
