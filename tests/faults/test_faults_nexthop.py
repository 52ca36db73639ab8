"""test_faults_nexthop - the fault matrix: next hops that answer badly
(their down, stalled and failback cases: test_faults_hopdown.py).

Each case sends its messages through filterd with QueueSender (an MTA
queue in miniature) and ends with the ledger (ledger.py): every message
at a sink exactly once, refused with a 5xx the case calls for, or still
held by the sender; then no spool file left, no child beyond
max_servers, and the scoreboard's passed count equal to the deliveries.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ledger as L  # noqa: E402


every = L.every


def refused_by_hop(code):
    """refused_by_hop - a 5xx the next hop gave, passed on."""
    return lambda e, reply: reply.startswith(code)


class TestNextHopReplies(L.FaultCase):
    """A next hop answering 4xx and 5xx at each stage, and dropping the
    connection after the final dot without a reply."""

    def stage_case(self, stage, reply, may_refuse=None, **kw):
        sink = self.start(L.FaultSink(every(3, stage, reply)))
        fd = self.filterd([sink.addr])
        return self.ledger_case("%s-%s" % (stage.lower(), reply.split()[0]),
                                fd,
                                [sink], L.volume(60), may_refuse=may_refuse,
                                **kw)

    def test_4xx_mail(self):
        self.stage_case("MAIL", "451 4.3.0 try later", retries=True)

    def test_4xx_rcpt(self):
        self.stage_case("RCPT", "450 4.2.0 mailbox busy", retries=True)

    def test_4xx_data(self):
        self.stage_case("DATA", "451 4.3.0 try later", retries=True)

    def test_4xx_dot(self):
        self.stage_case("DOT", "451 4.3.0 queue full", retries=True)

    def test_5xx_mail(self):
        self.stage_case("MAIL", "550 5.7.1 sender refused",
                        may_refuse=refused_by_hop("550"), retries=False)

    def test_5xx_rcpt(self):
        self.stage_case("RCPT", "550 5.1.1 no such user",
                        may_refuse=refused_by_hop("550"), retries=False)

    def test_5xx_data(self):
        self.stage_case("DATA", "554 5.5.0 no data for you",
                        may_refuse=refused_by_hop("554"), retries=False)

    def test_5xx_dot(self):
        self.stage_case("DOT", "554 5.7.1 content refused",
                        may_refuse=refused_by_hop("554"), retries=False)

    def test_drop_after_dot(self):
        """The next hop took the message and the reply was lost: the
        one place where at-least-once is allowed (README)."""
        r = self.stage_case("DOT", "drop", allow_duplicates=True,
                            retries=True)
        self.assertGreater(r.duplicates, 0, "the case did not happen")


class TestNextHopBrokenReplies(L.FaultCase):
    """A next hop whose reply to the final dot is cut short or garbled:
    it did not take the message, and filterd may not say 250."""

    def broken_case(self, name, raw):
        sink = self.start(L.FaultSink(
            lambda k, st: (raw,) if st == "DOT" and k % 3 == 0 else None))
        fd = self.filterd([sink.addr])
        return self.ledger_case(name, fd, [sink], L.volume(60),
                                retries=True)

    def test_multiline_cut_short(self):
        self.broken_case("dot-250-cut", "250-2.0.0 Ok\r\n")

    def test_code_changes_inside_reply(self):
        self.broken_case("dot-250-451", "250-2.0.0 Ok\r\n451 4.3.0 no\r\n")

    def test_garbage_reply(self):
        self.broken_case("dot-garbage", "2 ok\r\n")

    def test_reply_without_line_end(self):
        self.broken_case("dot-no-crlf", "250 2.0.0 Ok")

    def test_421_at_mail(self):
        sink = self.start(L.FaultSink(
            lambda k, st: ("421 4.3.2 shutting down\r\n",)
            if st == "MAIL" and k % 3 == 0 else None))
        fd = self.filterd([sink.addr])
        self.ledger_case("mail-421", fd, [sink], L.volume(60), retries=True)

    def test_hop_closes_idle_sessions(self):
        """A next hop that closes every session once its message is
        done, without a word (its idle timeout): the kept session is
        found closed and replaced by a fresh one, not a 4xx (README)."""
        sink = self.start(L.FaultSink(
            lambda k, st: "drop" if st == "RSET" else None))
        fd = self.filterd([sink.addr])
        self.ledger_case("hop-idle-close", fd, [sink], L.volume(60),
                         retries=False)


if __name__ == "__main__":
    unittest.main()
