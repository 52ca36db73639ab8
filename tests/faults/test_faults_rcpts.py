"""test_faults_rcpts - the fault matrix, recipient by recipient.

Messages to two recipients, a next hop that refuses the second one
(every 3rd transaction) for now or for good, through an SMTP listener
(one reply per message) and an LMTP one (one reply per recipient). The
ledger (ledger.py) has one line per recipient of each message.
README.md, "The promise, exactly": over SMTP a recipient refused for now
makes the message a 451, and the recipient the next hop took gets it
again when the front retries (at-least-once); one refused for good
beside one taken makes a 250 and a DSN to the sender; over LMTP only
the refused recipient is retried, and nothing arrives twice.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ledger as L  # noqa: E402

RCPTS = ["one@faults.test", "two@faults.test"]


def second_refused(reply, said):
    """second_refused - rcpt_fault: the next hop answers reply to the
    second recipient of every 3rd transaction (appended to said)."""
    def fault(n, rcpt):
        if rcpt == RCPTS[1] and n % 3 == 0:
            said.append(n)
            return reply
        return None
    return fault


def refused_5xx(e, reply):
    return reply.startswith("550")


class TestRecipients(L.FaultCase):

    def case(self, name, reply, lmtp, **kw):
        self.said = []
        sink = self.start(L.FaultSink(rcpt_fault=second_refused(reply,
                                                                self.said)))
        fd = self.filterd([sink.addr], lmtp=lmtp, max_recipients=5)
        return self.ledger_case(name, fd, [sink], L.volume(45), rcpts=RCPTS,
                                lmtp=lmtp, counters=None, **kw)

    def test_smtp_one_refused_for_now(self):
        """SMTP: 451 for the message; the first recipient, already at
        the next hop, gets it again with the retry (allowed)."""
        r = self.case("smtp-rcpt-4xx", "450 4.2.0 busy", False,
                      allow_duplicates=True, retries=True)
        # One extra copy for the first recipient per 451 heard.
        self.assertEqual(r.duplicates,
                         L.final_codes(self.ledger).get("4", 0))
        self.assertGreater(r.duplicates, 0)

    def test_lmtp_one_refused_for_now(self):
        """LMTP: only the refused recipient is retried: no duplicate."""
        self.case("lmtp-rcpt-4xx", "450 4.2.0 busy", True, retries=True)

    def test_lmtp_one_refused_for_good(self):
        """LMTP: the refused recipient gets the next hop's 550, the
        other the message once."""
        r = self.case("lmtp-rcpt-5xx", "550 5.1.1 no such user", True,
                      may_refuse=refused_5xx, retries=False)
        self.assertEqual(r.refused, len(self.said))

    def test_smtp_one_refused_for_good(self):
        """SMTP: one recipient taken, the other refused for good: 250,
        and the sender is told about the refused one by a DSN (README)
        that names it and the next hop's 550."""
        r = self.case("smtp-rcpt-5xx", "550 5.1.1 no such user", False,
                      may_refuse=lambda e, why: "550" in why,
                      retries=False)
        self.assertEqual(r.dsns, len(self.said))


if __name__ == "__main__":
    unittest.main()
