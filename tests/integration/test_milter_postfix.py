"""test_milter_postfix - filterd before the queue of a real Postfix.

swaks -> private Postfix smtpd (smtpd_milters -> filterd's milter
process) -> queue -> smtp-sink. A virus is refused at the end of DATA
(swaks sees the 554), a clean message reaches the sink with filterd's
header fields, quarantined spam waits in the hold queue, and with the
milter process gone Postfix tempfails (milter_default_action = tempfail):
nothing is accepted unchecked. The milter process killed in the middle
of a transaction: that message is tempfailed, the master starts a new
one, the next message passes. Postfix runs with the lines of
contrib/postfix/main.cf-milter as shipped."""

import json
import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_checks import EICAR, GTUBE, signature_db  # noqa: E402

SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
MILTER_PID_RE = re.compile(r"filterd-test\[(\d+)\]: milter listening on")


def message(tag, body):
    return (b"From: sender@example.org\r\nTo: rcpt@example.net\r\n"
            b"Subject: " + tag.encode() + b"\r\nMessage-ID: <" +
            tag.encode() + b"@example.org>\r\nX-Spam-Flag: NO\r\n\r\n" +
            body + b"\r\n")


def contrib_lines(port):
    """contrib/postfix/main.cf-milter as shipped, with the test's port."""
    path = os.path.join(h.REPO, "contrib", "postfix", "main.cf-milter")
    with open(path) as f:
        lines = [l for l in f.read().splitlines()
                 if l.strip() and not l.startswith("#")]
    return [l.replace("inet:127.0.0.1:10029", "inet:127.0.0.1:%d" % port)
            for l in lines]


@unittest.skipUnless(h.IS_ROOT, "a private Postfix needs root")
class MilterPostfixTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        db = cls.tmp.sub("clamdb")
        signature_db(db)
        front, filt, reinj, mport = h.free_ports(4)
        cls.mport = mport
        cls.sink = h.Sink(cls.tmp, "sink")
        cls.postfix = h.Postfix(
            cls.tmp, front, filt, reinj, cls.sink.port,
            extra_main=["content_filter ="] + contrib_lines(mport))
        cls.fd = h.Filterd(
            cls.tmp, "fd", banks={"default": dict(
                forward=["127.0.0.1:9"], final_virus_destiny="reject",
                final_spam_destiny="discard", milter_hold=True)},
            min_servers=1, max_servers=2,
            raw='clamav { database = "%s" }\n'
                'milter { socket = "inet:%d@127.0.0.1" }' % (db, mport))
        cls.start_for_class(cls.sink, cls.fd, cls.postfix)
        if not h.wait_until(lambda: cls.milter_pid() is not None, 10):
            raise RuntimeError("no milter process:\n" + cls.fd.log_text())

    @classmethod
    def milter_pid(cls, after=0):
        pids = [int(p) for p in MILTER_PID_RE.findall(cls.fd.log_text())]
        pids = [p for p in pids if p != after and h.pid_alive(p)]
        return pids[-1] if pids else None

    def swaks(self, tag, body):
        path = self.tmp.file(tag + ".eml")
        with open(path, "wb") as f:
            f.write(message(tag, body)[:-2])
        return h.swaks(self.postfix.front_port, SENDER, RCPT, path)

    def dumps_with(self, tag):
        return [d for d in self.sink.dumps()
                if ("<%s@example.org>" % tag).encode() in d.body]

    def held(self):
        """held - the queue ids in Postfix's hold queue (postqueue -j)."""
        p = h.run([h.POSTQUEUE, "-c", self.postfix.etc, "-j"], timeout=20)
        return [json.loads(l)["queue_id"] for l in
                p.stdout.decode().splitlines()
                if l.strip() and json.loads(l).get("queue_name") == "hold"]

    def test_virus_refused_at_end_of_data(self):
        status, out, qid = self.swaks("virus", EICAR)
        self.assertNotEqual(status, 0, out)
        self.assertRegex(out, r"<\*\*\s+554 5\.7\.0 ")
        self.assertIsNone(qid, out)

    def test_clean_delivered_with_headers(self):
        status, out, qid = self.swaks("clean", b"hello")
        self.assertEqual(status, 0, out)
        self.assertTrue(h.wait_until(lambda: self.dumps_with("clean"), 20),
                        self.postfix.log()[-3000:])
        body = self.dumps_with("clean")[0].body
        self.assertIn(b"X-Virus-Scanned: filterd at ", body)
        # The forged field from outside is gone.
        self.assertNotIn(b"X-Spam-Flag: NO", body)
        self.assertIn("Queue-ID: %s" % qid, self.fd.log_text())

    def test_quarantined_spam_held(self):
        status, out, qid = self.swaks("spam", GTUBE)
        self.assertEqual(status, 0, out)
        self.assertTrue(h.wait_until(lambda: qid in self.held(), 10),
                        self.postfix.queue())
        self.assertFalse(self.dumps_with("spam"))

    def test_milter_killed_mid_message_then_restarted(self):
        old = self.milter_pid()
        with h.SmtpClient(self.postfix.front_port, timeout=30) as c:
            self.assertEqual(c.greeting().code, 220)
            self.assertEqual(c.cmd("EHLO client.example.org").code, 250)
            self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
            self.assertEqual(c.cmd("RCPT TO:<%s>" % RCPT).code, 250)
            os.kill(old, signal.SIGKILL)
            r = c.cmd("DATA")
            if r.code == 354:
                c.send(h.dot_stuff(message("killed", b"x")) + b".\r\n")
                r = c.reply()
            self.assertEqual(r.code // 100, 4, r)
        self.assertTrue(h.wait_until(
            lambda: self.milter_pid(after=old) is not None, 10),
            self.fd.log_text()[-2000:])
        status, out, qid = self.swaks("after-kill", b"hello")
        self.assertEqual(status, 0, out)
        self.assertTrue(h.wait_until(
            lambda: self.dumps_with("after-kill"), 20))
        self.assertFalse(self.dumps_with("killed"))

    def test_zz_filterd_stopped_postfix_tempfails(self):
        self.fd.stop()
        status, out, qid = self.swaks("stopped", b"hello")
        self.assertNotEqual(status, 0, out)
        self.assertRegex(out, r"<\*\*\s+4\d\d ")
        self.assertIsNone(qid, out)
        self.assertEqual(self.postfix.queue_ids(), self.held())


if __name__ == "__main__":
    unittest.main()
