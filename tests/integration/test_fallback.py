"""test_fallback - next hops of a bank are tried in order.

A next hop that refuses the connection, times out, says 421 at the greeting
or soft-rejects MAIL/RCPT is skipped for the next one; when every next hop
fails the client gets 451 4.4.1 and nothing is delivered anywhere."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "alice@example.org"
RCPT = "bob@example.net"
MSG = (b"From: alice@example.org\r\nTo: bob@example.net\r\n"
       b"Subject: fallback\r\nMessage-ID: <fb@example.org>\r\n\r\n"
       b"fallback body line 1\r\nline 2\r\n")


class FallbackTest(h.PeerTestCase):

    def sink(self, name, args=()):
        return self.start(h.Sink(self.tmp, name, args=args))

    def filterd(self, name, hops, **conf):
        return self.start(h.Filterd(self.tmp, name,
                                    banks={"default": {"forward": hops}},
                                    **conf))

    def send(self, fd):
        return h.send_message(fd.port, SENDER, [RCPT], MSG, timeout=40)

    def assert_relayed_via(self, fd, reply, sink, others=()):
        """The reply names sink as the MTA, sink has the message, and no
        other sink has a (complete) message."""
        self.assertEqual(reply.code, 250, reply)
        self.assertEqual(reply.enhanced, "2.0.0", reply)
        m = re.match(r"2\.0\.0 Ok, id=([^,\s]+), from MTA\(smtp:"
                     r"\[127\.0\.0\.1\]:%d\): (.*)$" % sink.port,
                     reply.lines[0])
        self.assertTrue(m, "reply does not match the contract: %r" % reply)
        self.assertIn("2.0.0 Ok", m.group(2),
                      "next hop's reply not quoted: %r" % reply)
        mail_id = m.group(1)
        self.assertTrue(sink.wait_count(1, 10), "nothing at %s" % sink.name)
        dumps = sink.dumps()
        self.assertEqual(len(dumps), 1, dumps)
        self.assertEqual(dumps[0].sender, SENDER)
        self.assertEqual(dumps[0].rcpts, [RCPT])
        self.assertEqual(dumps[0].body, h.sink_view(MSG))
        for o in others:
            self.assertEqual(o.dumps(), [], "message also at %s" % o.name)
        lines = fd.wait_messages(1, 5) or []
        self.assertEqual(len(lines), 1, fd.log_text()[-2000:])
        self.assertEqual(lines[0].result, h.PASSED, lines[0])
        self.assertEqual(lines[0].mail_id, mail_id,
                         "mail_id in reply and log differ")

    def test_first_hop_refuses_connection(self):
        dead, = h.refusing_ports(self, 1)
        s2 = self.sink("s2-refused")
        fd = self.filterd("fd-refused", ["127.0.0.1:%d" % dead, s2.addr])
        self.assert_relayed_via(fd, self.send(fd), s2)

    def test_first_hop_421_greeting(self):
        s1 = self.sink("s1-421", ["-Q", "connect"])
        s2 = self.sink("s2-421")
        fd = self.filterd("fd-421", [s1.addr, s2.addr])
        self.assert_relayed_via(fd, self.send(fd), s2, [s1])

    def test_first_hop_soft_rejects_mail(self):
        s1 = self.sink("s1-mail", ["-r", "mail"])
        s2 = self.sink("s2-mail")
        fd = self.filterd("fd-mail", [s1.addr, s2.addr])
        self.assert_relayed_via(fd, self.send(fd), s2, [s1])

    def test_first_hop_soft_rejects_rcpt(self):
        s1 = self.sink("s1-rcpt", ["-r", "rcpt"])
        s2 = self.sink("s2-rcpt")
        fd = self.filterd("fd-rcpt", [s1.addr, s2.addr])
        self.assert_relayed_via(fd, self.send(fd), s2, [s1])

    def test_first_hop_times_out(self):
        silent = h.Silent()
        self.peers.append(silent)
        s2 = self.sink("s2-silent")
        fd = self.filterd("fd-silent", [silent.addr, s2.addr],
                          forward_connect_timeout=2, forward_timeout=2)
        self.assert_relayed_via(fd, self.send(fd), s2)

    def check_all_down(self, fd, sinks):
        reply = self.send(fd)
        self.assertEqual(reply.code, 451, reply)
        self.assertEqual(reply.enhanced, "4.4.1", reply)
        lines = fd.wait_messages(1, 5) or []
        self.assertEqual(len(lines), 1, fd.log_text()[-2000:])
        self.assertEqual(lines[0].result, h.BLOCKED, lines[0])
        for s in sinks:
            self.assertEqual(s.dumps(), [], "message delivered to %s"
                             % s.name)

    def test_all_hops_refuse_connection(self):
        d1, d2 = h.refusing_ports(self, 2)
        fd = self.filterd("fd-alldead", ["127.0.0.1:%d" % d1,
                                         "127.0.0.1:%d" % d2])
        self.check_all_down(fd, [])

    def test_all_hops_fail_each_differently(self):
        dead, = h.refusing_ports(self, 1)
        s1 = self.sink("s1-all", ["-Q", "connect"])
        s2 = self.sink("s2-all", ["-r", "mail"])
        s3 = self.sink("s3-all", ["-r", "rcpt"])
        fd = self.filterd("fd-allfail", ["127.0.0.1:%d" % dead, s1.addr,
                                         s2.addr, s3.addr])
        self.check_all_down(fd, [s1, s2, s3])


if __name__ == "__main__":
    unittest.main(verbosity=2)
