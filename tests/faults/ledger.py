"""ledger - a sender that behaves like an MTA queue, next hops that fail
on cue, and the ledger that says where every message went.

The fault matrix (tests/faults/test_faults_*.py) runs each case as:

    led = Ledger(case name)
    q = QueueSender(filterd port, led, sessions=4, per_session=5)
    q.run(count, deadline, during=callable doing the fault)
    report = led.close(sinks, allow_duplicates=..., may_refuse=...)

QueueSender keeps every message that did not get a 250 (a 4xx, a
dropped connection, a timeout) and sends it again on a new connection
until the deadline, several sessions at a time, each carrying several
messages with RSET in between (as Postfix's connection cache does). A
message that got a 5xx is given up on, as an MTA bounces it.

Every message carries a unique Message-ID and an X-Ledger-Id header; its
body ends with a line naming it, so a truncated copy is seen. At the end
the ledger puts each message in exactly one class:

    delivered   the sender got a 250 and it is at a sink exactly once
    refused     the sender got a 5xx the case allows (may_refuse) and
                it is at no sink
    held        the sender still holds it after a 4xx (or a lost reply)
                at the deadline, and it is at no sink

and fails the case for anything else: LOST (a 250, at no sink), a
refusal the case does not call for, a refused message at a sink, a copy
that is not whole, a copy no one sent, a virus at a sink (a check
that could not finish let it through). Copies beyond the first are
counted as duplicates; they fail the case unless it allows at-least-once
(README.md of this folder says where). A held message already at a sink
(the next hop took it, its reply was lost) counts as a duplicate to be:
the front MTA will send it again.

Standard library only; every loop bounded in count and time.
"""

import os
import re
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import harness as h  # noqa: E402

LEDGER_RE = re.compile(rb"^X-Ledger-Id: (\S+)\s*$", re.M)

# Case volume: the default run stays within the test command's budget;
# --long (FILTERD_FAULTS_LONG=1) carries a few hundred per case.
LONG = os.environ.get("FILTERD_FAULTS_LONG") == "1"


def volume(default, long=None):
    """volume - messages for a case: default, or long (5x) under --long."""
    return (long or default * 5) if LONG else default


class Entry:
    """Entry - one message of the ledger and what the sender saw."""

    def __init__(self, lid, run, kind="clean", rcpts=None):
        self.lid = lid
        self.kind = kind        # clean | virus | zipvirus (EICAR attached)
        self.msgid = "<%s.%s@faults.test>" % (lid, run)
        self.rcpts = list(rcpts or [RCPT])
        # Per recipient: new | held | delivered | refused, and replies.
        self.rstate = {r: "new" for r in self.rcpts}
        self.rreplies = {r: [] for r in self.rcpts}
        self.replies = []       # every final answer, as text
        self.attempts = 0

    def pending(self):
        """pending - the recipients still to send to."""
        return [r for r in self.rcpts if self.rstate[r] in ("new", "held")]

    def mark(self, rcpts, state, reply):
        for r in rcpts:
            self.rstate[r] = state
            self.rreplies[r].append(reply)

    @property
    def state(self):
        """state - the message's: held while a recipient is, else
        delivered when one was, else refused."""
        st = set(self.rstate.values())
        if st & {"new", "held"}:
            return "new" if st == {"new"} else "held"
        return "delivered" if "delivered" in st else "refused"

    def message(self):
        if self.kind in ("virus", "zipvirus"):
            return self.virus_message()
        body = "".join("line %d of %s: the quick brown fox\r\n" % (i, self.lid)
                       for i in range(20))
        return ("From: <sender@faults.test>\r\n"
                "To: <rcpt@faults.test>\r\n"
                "Subject: fault matrix %s\r\n"
                "Message-ID: %s\r\n"
                "X-Ledger-Id: %s\r\n"
                "\r\n%s"
                "end of %s\r\n" % (self.lid, self.msgid, self.lid, body,
                                   self.lid)).encode()


    def virus_message(self):
        """virus_message - EICAR attached (base64), then the end line;
        for kind "zipvirus" inside a zip, after 300 KB of noise (the
        scanner needs room in tmp_dir to look inside)."""
        import base64
        eicar = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
                 b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
        if self.kind == "zipvirus":
            import io
            import random
            import zipfile
            noise = random.Random(self.lid).randbytes(300000)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("big.bin", noise + eicar)
            eicar = buf.getvalue()
        b64 = base64.encodebytes(eicar).decode().replace("\n", "\r\n")
        return ("From: <sender@faults.test>\r\n"
                "To: <rcpt@faults.test>\r\n"
                "Subject: fault matrix %s\r\n"
                "Message-ID: %s\r\n"
                "X-Ledger-Id: %s\r\n"
                "MIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=\"b0\"\r\n"
                "\r\n--b0\r\nContent-Type: text/plain\r\n\r\n"
                "see attachment\r\n--b0\r\n"
                "Content-Type: application/octet-stream; name=\"e.com\"\r\n"
                "Content-Disposition: attachment; filename=\"e.com\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s"
                "--b0--\r\nend of %s\r\n" % (
                    self.lid, self.msgid, self.lid, b64, self.lid)).encode()


RCPT = "rcpt@faults.test"


class Report:
    """Report - the figures of one case, and its failures."""

    def __init__(self, name):
        self.name = name
        self.sent = self.delivered = self.refused = self.held = 0
        self.duplicates = 0
        self.held_at_sink = 0
        self.retried = 0        # messages that needed more than one try
        self.dsns = 0           # recipients refused by a DSN after a 250
        self.failures = []

    def figures(self):
        return ("%s: sent %d / delivered %d / refused %d / held %d / "
                "duplicates %d" % (self.name, self.sent, self.delivered,
                                   self.refused, self.held, self.duplicates))

    def __str__(self):
        out = self.figures()
        if self.failures:
            out += "\n  " + "\n  ".join(self.failures[:20])
            if len(self.failures) > 20:
                out += "\n  ... %d more" % (len(self.failures) - 20)
        return out


class Ledger:
    """Ledger - every message a case sends, by ledger id."""

    def __init__(self, name):
        self.name = name
        self.run = "%x%x" % (os.getpid(), int(time.time() * 1000) & 0xffffff)
        self.entries = {}
        self.lock = threading.Lock()

    def new(self, count, kind=None, rcpts=None):
        """new - count entries to rcpts (RCPT when None); kind(i) names
        each one's content (clean when None)."""
        base = len(self.entries)
        out = []
        for i in range(base, base + count):
            e = Entry("%s-%05d" % (self.name, i), self.run,
                      kind(i) if kind else "clean", rcpts)
            self.entries[e.lid] = e
            out.append(e)
        return out

    def pending(self):
        with self.lock:
            return [e for e in self.entries.values()
                    if e.state in ("new", "held")]

    def close(self, copies, allow_duplicates=False, may_refuse=None):
        """close - the report; copies is {(ledger id, recipient): [message
        bytes, ...]} of everything the sinks hold (sink_copies()). Each
        recipient of each message is one line of the ledger.
        may_refuse(entry, reply text) says whether a 5xx is one the case
        calls for."""
        r = Report(self.name)
        for lid, rcpt in copies:
            if lid not in self.entries or \
                    rcpt not in self.entries[lid].rcpts + ["DSN"]:
                r.failures.append("%s: at a sink for <%s>, never sent"
                                  % (lid, rcpt))
        for e in self.entries.values():
            r.retried += e.attempts > 1
            dsns = copies.get((e.lid, "DSN"), [])
            for rcpt in e.rcpts:
                self._close_one(r, e, rcpt, copies.get((e.lid, rcpt), []),
                                allow_duplicates, may_refuse, dsns)
        if r.duplicates and not allow_duplicates:
            r.failures.append("%d duplicates where at-least-once is not "
                              "allowed" % r.duplicates)
        return r

    def _close_one(self, r, e, rcpt, got, allow_duplicates, may_refuse,
                   dsns=()):
        """_close_one - one recipient of one message into the report. A
        recipient the sender heard a 250 for, at no sink, but named in a
        DSN to the sender about the message (SMTP: some recipients
        taken, others refused for good) is refused, by DSN."""
        who = e.lid if e.rcpts == [RCPT] else "%s <%s>" % (e.lid, rcpt)
        replies = e.rreplies[rcpt] or ["(none)"]
        st = e.rstate[rcpt]
        r.sent += 1
        if got and e.kind in ("virus", "zipvirus"):
            r.failures.append("%s: a virus at a sink (%s)"
                              % (who, replies[-1]))
        for m in got:
            if not m.rstrip().endswith(("end of %s" % e.lid).encode()):
                r.failures.append("%s: copy at the sink is not whole "
                                  "(%d bytes)" % (who, len(m)))
        told = [d for d in dsns if ("<%s>" % rcpt).encode() in d]
        if st == "delivered" and not got and told:
            r.refused += 1
            r.dsns += 1
            m = re.search(rb"(?m)^Diagnostic-Code: smtp; ?(.*)$", told[-1])
            why = m.group(1).decode(errors="replace") if m else "DSN"
            if may_refuse is None or not may_refuse(e, why):
                r.failures.append("%s: refused by DSN without cause: %s"
                                  % (who, why))
            if len(told) > 1:
                r.duplicates += len(told) - 1
            return
        if st == "delivered":
            if not got:
                r.failures.append("%s: LOST: 250 (%s) but at no sink"
                                  % (who, replies[-1]))
                return
            r.delivered += 1
            r.duplicates += len(got) - 1
        elif st == "refused":
            r.refused += 1
            if got:
                r.failures.append("%s: refused (%s) but at a sink"
                                  % (who, replies[-1]))
            if may_refuse is None or not may_refuse(e, replies[-1]):
                r.failures.append("%s: refused without cause: %s"
                                  % (who, replies[-1]))
        else:
            r.held += 1
            if got:
                r.held_at_sink += 1
                r.duplicates += len(got)
                if not allow_duplicates:
                    r.failures.append(
                        "%s: held after %r but at a sink (the front "
                        "MTA would send it again)" % (who, replies[-1:]))


def copies_of(messages):
    """copies_of - {(ledger id, recipient): [bytes]} from an iterable of
    (message, recipients, sender); a delivery status notification (null
    sender) about a message is filed under (ledger id, "DSN")."""
    out = {}
    for m, rcpts, sender in messages:
        mm = LEDGER_RE.search(m)
        lid = mm.group(1).decode() if mm else "(no ledger id)"
        if sender == "":
            out.setdefault((lid, "DSN"), []).append(m)
            continue
        for rcpt in rcpts:
            out.setdefault((lid, rcpt), []).append(m)
    return out


def sink_copies(*sinks):
    """sink_copies - every message at these sinks (harness.Sink dumps,
    incomplete ones too, or FaultSink transactions), by ledger id."""
    msgs = []
    for s in sinks:
        if isinstance(s, h.Sink):
            msgs += [(d.body, d.rcpts, d.sender)
                     for d in s.dumps(complete_only=False)]
        else:
            msgs += s.transactions_taken()
    return copies_of(msgs)


# ---------------------------------------------------------------------------
# The sender: an MTA queue in miniature
# ---------------------------------------------------------------------------

class QueueSender:
    """QueueSender - sessions threads, each taking up to per_session
    messages the ledger still holds, sending them over one connection
    (RSET between), and giving back what did not get a 250 or a 5xx.
    Between rounds a held message waits retry seconds."""

    def __init__(self, port, ledger, sessions=4, per_session=5,
                 timeout=20.0, retry=0.3, data_pause=0.0, lmtp=False):
        self.port = port
        self.ledger = ledger
        self.sessions = sessions
        self.per_session = per_session
        self.timeout = timeout
        self.retry = retry
        self.lmtp = lmtp
        # A slow client: seconds to pause inside DATA (or a function of
        # the entry giving them).
        self.data_pause = data_pause
        self.lock = threading.Lock()
        self.queue = []
        self.in_flight = 0
        self.connections = 0
        self.connect_failures = 0
        self.stop = threading.Event()

    def _take(self):
        with self.lock:
            now = time.monotonic()
            ready = [x for x in self.queue if x[0] <= now]
            batch = [e for _, e in ready[:self.per_session]]
            for x in ready[:self.per_session]:
                self.queue.remove(x)
            self.in_flight += len(batch)
            return batch

    def _give_back(self, entries):
        with self.lock:
            for e in entries:
                self.in_flight -= 1
                if e.state in ("new", "held"):
                    self.queue.append((time.monotonic() + self.retry, e))

    def _done(self):
        with self.lock:
            return not self.queue and self.in_flight == 0

    def _session(self, batch):
        """_session - one connection carrying batch; marks each entry."""
        left = list(batch)
        try:
            c = h.SmtpClient(self.port, timeout=self.timeout)
        except OSError as e:
            self.connect_failures += 1
            for x in left:
                x.attempts += 1
                x.replies.append("connect: %s" % e)
                x.mark(x.pending(), "held", "connect: %s" % e)
            return
        self.connections += 1
        try:
            g = c.greeting()
            if g.code != 220:
                left[0].attempts += 1
                raise h.SmtpError("greeting %d" % g.code)
            r = c.ehlo("sender.faults.test",
                       verb="LHLO" if self.lmtp else "EHLO")
            if r.code != 250:
                left[0].attempts += 1
                raise h.SmtpError("EHLO %d" % r.code)
            while left:
                e = left[0]
                e.attempts += 1
                final = self._one(c, e)
                left.pop(0)
                if final is None:
                    break
            try:
                c.cmd("QUIT", 5)
            except (h.SmtpError, OSError):
                pass
        except (h.SmtpError, OSError) as ex:
            # A reply lost with the connection: the queue keeps the
            # message (it did not hear a 250) and tries again.
            for x in left:
                if x.pending():
                    x.replies.append("session: %s" % str(ex)[:80])
                    x.mark(x.pending(), "held",
                           "session: %s" % str(ex)[:80])
        finally:
            c.close()

    def _one(self, c, e):
        """_one - one transaction to the recipients e still waits for;
        returns the reply, None when the session cannot go on (421)."""
        todo = e.pending()
        r = c.cmd("MAIL FROM:<sender@faults.test>")
        accepted = []
        mail_ok = r.code == 250
        if mail_ok:
            for rcpt in todo:
                rr = c.cmd("RCPT TO:<%s>" % rcpt)
                text = "%d %s" % (rr.code, rr.text[:120])
                if rr.code == 250:
                    accepted.append(rcpt)
                elif 500 <= rr.code < 600:
                    e.mark([rcpt], "refused", text)
                else:
                    e.mark([rcpt], "held", text)
                r = rr
                if rr.code == 421:
                    break
        finals = []
        if accepted and r.code != 421:
            r = c.cmd("DATA")
            if r.code == 354:
                payload = h.data_payload(e.message())
                pause = self.data_pause(e) if callable(self.data_pause) \
                    else self.data_pause
                if pause:
                    c.send(payload[:len(payload) // 2])
                    time.sleep(pause)
                    payload = payload[len(payload) // 2:]
                c.send(payload)
                # LMTP: one reply per accepted recipient; SMTP: one.
                finals = [c.reply(self.timeout)
                          for _ in (accepted if self.lmtp else [0])]
                r = finals[0]
        if finals:
            for i, rcpt in enumerate(accepted):
                f = finals[i] if self.lmtp else finals[0]
                self._mark(e, [rcpt], f)
        elif mail_ok:
            self._mark(e, accepted, r)      # DATA refused, or nothing
        else:
            self._mark(e, todo, r)          # MAIL refused
        text = "%d %s" % (r.code, r.text[:120])
        e.replies.append(text)
        if r.code == 421:
            e.mark(e.pending(), "held", text)
            return None
        if r.code != 250:
            c.cmd("RSET")
        return r

    @staticmethod
    def _mark(e, rcpts, r):
        text = "%d %s" % (r.code, r.text[:120])
        if r.code == 250:
            e.mark(rcpts, "delivered", text)
        elif 500 <= r.code < 600:
            e.mark(rcpts, "refused", text)
        else:
            e.mark(rcpts, "held", text)

    def _worker(self, deadline):
        for _ in range(100000):
            if self.stop.is_set() or time.monotonic() >= deadline:
                return
            batch = self._take()
            if not batch:
                if self._done():
                    return
                time.sleep(0.05)
                continue
            try:
                self._session(batch)
            finally:
                self._give_back(batch)

    def run(self, entries, deadline, during=None):
        """run - send entries until each got a 250 or a 5xx, or until
        deadline seconds pass; during(sender) runs meanwhile in this
        thread (the fault), and should return once not sender.alive()."""
        with self.lock:
            self.queue += [(0, e) for e in entries]
        end = time.monotonic() + deadline
        threads = [threading.Thread(target=self._worker, args=(end,),
                                    daemon=True)
                   for _ in range(self.sessions)]
        for t in threads:
            t.start()
        try:
            if during is not None:
                during(self)
        finally:
            for t in threads:
                t.join(max(1, end - time.monotonic()) + self.timeout + 5)
        return self

    def delivered(self):
        """delivered - how many messages got a 250 so far."""
        return sum(e.state == "delivered"
                   for e in list(self.ledger.entries.values()))

    def alive(self):
        """alive - True while messages are still queued or in flight."""
        return not self._done()


# ---------------------------------------------------------------------------
# Next hops that fail on cue
# ---------------------------------------------------------------------------

class FaultSink(h.ScriptedServer):
    """FaultSink - an SMTP next hop that keeps each message it took and
    fails on cue (rcpt_fault(n, address) answers one recipient's RCPT
    when it returns a reply line): fault(n, stage) is asked at every stage (MAIL, RCPT,
    DATA, DOT) of its n-th transaction (and at RSET, with the number of
    the last one) and returns None (go on), a reply line to send instead
    ("451 4.3.0 ..."), "drop" (close the connection without a word; at
    DOT the message is taken first: the reply is lost; at RSET a session
    the hop closed while idle), a tuple (raw bytes,) to send before
    closing the connection (a reply cut short; the message is not taken)
    or "stall" (say nothing until the peer gives up), or a number of
    seconds to wait before going on (a slow next hop). Taking a message
    means keeping its bytes before the reply is sent."""

    def __init__(self, fault=None, port=None, rcpt_fault=None):
        super().__init__(port, backlog=64)
        self.fault = fault or (lambda n, stage: None)
        self.rcpt_fault = rcpt_fault or (lambda n, rcpt: None)
        self.taken = []         # (data, [recipients], sender)
        self.tx_count = 0

    def messages(self):
        with self.lock:
            return [t[0] for t in self.taken]

    def transactions_taken(self):
        with self.lock:
            return list(self.taken)

    def _next_tx(self):
        with self.lock:
            self.tx_count += 1
            return self.tx_count

    def _stall(self, conn):
        while not self.stopping.is_set():
            try:
                conn.settimeout(0.5)
                if not conn.recv(65536):
                    return
            except socket.timeout:
                continue

    def serve(self, conn):
        buf = b""
        n = None
        rcpts = []
        sender = None

        def send(line):
            conn.sendall(line.encode() + b"\r\n")

        def act(stage):
            """act - apply the fault; True when it answered instead."""
            f = self.fault(n, stage)
            if isinstance(f, float):
                time.sleep(f)
                f = None
            if f is None:
                return False
            if isinstance(f, tuple):
                conn.sendall(f[0].encode())
                raise OSError("dropped on cue")
            if f == "drop":
                raise OSError("dropped on cue")
            if f == "stall":
                self._stall(conn)
                raise OSError("stalled on cue")
            send(f)
            return True

        send("220 fault-sink ESMTP")
        for _ in range(100000):
            if self.stopping.is_set():
                return
            while b"\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\n", 1)
            verb = line.rstrip(b"\r").split(b" ", 1)[0].upper()
            if verb in (b"EHLO", b"LHLO"):
                send("250-fault-sink")
                send("250-PIPELINING")
                send("250 8BITMIME")
            elif verb == b"HELO":
                send("250 fault-sink")
            elif verb == b"MAIL":
                n = self._next_tx()
                rcpts = []
                m = re.search(rb"<([^>]*)>", line)
                sender = m.group(1).decode() if m else None
                if not act("MAIL"):
                    send("250 2.1.0 Ok")
            elif verb == b"RCPT":
                m = re.search(rb"<([^>]*)>", line)
                addr = m.group(1).decode() if m else ""
                rf = self.rcpt_fault(n, addr)
                if rf is not None:
                    send(rf)
                elif not act("RCPT"):
                    rcpts.append(addr)
                    send("250 2.1.5 Ok")
            elif verb == b"DATA":
                if act("DATA"):
                    continue
                send("354 End data with <CR><LF>.<CR><LF>")
                while not (buf.startswith(b".\r\n") or b"\r\n.\r\n" in buf):
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                if buf.startswith(b".\r\n"):
                    data, buf = b"", buf[3:]
                else:
                    end = buf.index(b"\r\n.\r\n")
                    data, buf = buf[:end + 2], buf[end + 5:]
                data = re.sub(rb"(?m)^\.\.", b".", data)
                f = self.fault(n, "DOT")
                if isinstance(f, float):
                    time.sleep(f)
                    f = None
                if isinstance(f, tuple):
                    # Raw bytes, then the connection closed: not taken.
                    conn.sendall(f[0].encode())
                    return
                if f == "drop":
                    with self.lock:
                        self.taken.append((data, rcpts, sender))
                    return
                if f == "stall":
                    self._stall(conn)
                    return
                if f is not None:
                    send(f)
                    continue
                with self.lock:
                    self.taken.append((data, rcpts, sender))
                send("250 2.0.0 Ok: queued as F%d" % n)
            elif verb in (b"RSET", b"NOOP"):
                if verb == b"RSET" and self.fault(n, "RSET") == "drop":
                    return
                send("250 2.0.0 Ok")
            elif verb == b"QUIT":
                send("221 2.0.0 Bye")
                return
            else:
                send("502 5.5.2 Error: command not recognized")


# ---------------------------------------------------------------------------
# After each case
# ---------------------------------------------------------------------------

def spool_leftovers(fd):
    """spool_leftovers - files left under filterd's tmp_dir (children's
    directories may stay while their child lives; no file may)."""
    out = []
    tmp = fd.params["tmp_dir"]
    if fd.running():
        # Seen from filterd's own mount namespace (tmp_dir may be a
        # tmpfs mounted in a private one).
        tmp = "/proc/%d/root%s" % (fd.proc.pid, tmp)
    for root, dirs, files in os.walk(tmp):
        out += [os.path.join(root, f) for f in files]
    return out


def nanny(fd):
    """nanny - filterd-nanny --json for filterd fd, as a dict."""
    import json
    path = os.path.join(os.path.dirname(h.filterd_bin()), "filterd-nanny")
    p = h.run([path, "-c", fd.conf_path, "--json", "--once"], timeout=20)
    if p.returncode != 0 and not p.stdout:
        raise RuntimeError("filterd-nanny: %s" % p.stderr.decode())
    return json.loads(p.stdout.decode().splitlines()[0])


# ---------------------------------------------------------------------------
# A case of the matrix
# ---------------------------------------------------------------------------

FIGURES = os.environ.get("FILTERD_FAULTS_FIGURES")


class FaultCase(h.PeerTestCase):
    """FaultCase - one temporary directory per class; filterd and its
    sinks per test (stopped by pid when the test ends); ledger_case()
    runs a case and checks what every case must leave behind."""

    max_servers = 4

    def clamdb(self):
        """clamdb - the test signature DB (EICAR), made once per class."""
        from test_checks import signature_db
        path = os.path.join(self.tmp.path, "clamdb")
        if not os.path.isdir(path):
            signature_db(self.tmp.sub("clamdb"))
        return path

    def filterd(self, hops, bank=None, lmtp=False, **conf):
        """filterd - a filterd with checks on (libclamav with the test
        signature DB; a virus is rejected) forwarding to hops."""
        params = dict(min_servers=2, max_servers=self.max_servers,
                      forward_connect_timeout=2, forward_timeout=3,
                      forward_data_timeout=3, smtpd_timeout=5,
                      child_timeout=30)
        params.update(conf)
        b = {"forward": list(hops), "final_virus_destiny": "reject"}
        b.update(bank or {})
        fd = h.Filterd(self.tmp, name="filterd-%s" % self._testMethodName,
                       listen=[(h.free_port(), "lmtp" if lmtp else "smtp",
                                "default")],
                       banks={"default": b}, clamav_off=False,
                       raw='clamav { database = "%s" }' % self.clamdb(),
                       **params)
        return self.ready(self.start(fd))

    def ready(self, fd):
        """ready - wait until fd's scoreboard exists: listeners are bound
        before the engines load, the scoreboard is made after."""
        sb = os.path.join(fd.params["run_dir"], "scoreboard")
        self.assertTrue(h.wait_until(lambda: os.path.exists(sb), 20),
                        "no scoreboard: %s" % fd.log_text()[-2000:])
        return fd

    def ledger_case(self, name, fd, sinks, count, deadline=40.0,
                    during=None, allow_duplicates=False, may_refuse=None,
                    sessions=4, per_session=5, counters="exact",
                    expect_held=False, data_pause=0.0, kind=None,
                    retries=None, rcpts=None, lmtp=False):
        """ledger_case - send count messages through fd until deadline,
        with during(sender) as the fault; then check the ledger against
        the sinks, the spool, the pool and the scoreboard counters.
        retries: True when the fault must cost some message a retry,
        False when none may need one, None when either may happen.
        counters: "exact" (passed == delivered), "atleast" (a child
        killed after its 250 went out may leave its count unfolded, or
        one killed after counting before replying: passed within
        delivered +- the kills), or None (a restarted master starts a new
        scoreboard). Returns the report."""
        if LONG:
            deadline *= 3
        led = Ledger(name)
        entries = led.new(count, kind, rcpts)
        q = QueueSender(fd.port, led, sessions=sessions,
                        per_session=per_session, data_pause=data_pause,
                        lmtp=lmtp)
        self.sender, self.ledger = q, led
        q.run(entries, deadline, during)
        # Let the sinks finish what filterd handed them.
        time.sleep(0.3)
        r = led.close(sink_copies(*sinks), allow_duplicates=allow_duplicates,
                      may_refuse=may_refuse)
        sys.stderr.write("\n  ledger %s (retried %d, connections %d, "
                         "connect failures %d)\n" % (
                             r.figures(), r.retried, q.connections,
                             q.connect_failures))
        passed = False
        try:
            self.assertEqual(r.failures, [], str(r))
            if not expect_held:
                self.assertEqual(r.held, 0, "held at the deadline: %s" % r)
            # The fault must have happened: a case that expects 4xx sees
            # retries, one that does not sees none.
            if retries is True:
                self.assertGreater(r.retried, 0, "no message was retried: "
                                   "the fault did not happen")
            elif retries is False:
                self.assertEqual(r.retried, 0, "messages were retried")
            self.check_after(fd, r, counters)
            passed = True
        finally:
            # The row of tests/faults/run: the figures, and whether the
            # case's checks passed (1) or not (0).
            if FIGURES:
                with open(FIGURES, "a") as f:
                    f.write("%s\t%d\t%d\t%d\t%d\t%d\t%d\n" % (
                        name, r.sent, r.delivered, r.refused, r.held,
                        r.duplicates, passed))
        return r

    def check_after(self, fd, r, counters="exact"):
        """check_after - no spool file left, no child beyond max_servers,
        scoreboard counters equal to the ledger."""
        if not fd.running():
            return
        left = h.wait_until(lambda: not spool_leftovers(fd), 10, 0.1) or \
            spool_leftovers(fd)
        self.assertEqual(spool_leftovers(fd), [],
                         "spool files left: %r" % (left,))
        kids = fd.children()
        self.assertLessEqual(len(kids), fd.params["max_servers"],
                             "children beyond max_servers: %r" % kids)
        if counters is None:
            return
        # The counters of a session are folded when its message ends.
        j = nanny(fd)
        if os.environ.get("FILTERD_FAULTS_DEBUG"):
            sys.stderr.write("  counters %r\n  ledger final replies %r\n" % (
                j["counters"]["msgs_action"], final_codes(self.ledger)))
        passed = j["counters"]["msgs_action"]["passed"]
        if counters == "exact":
            self.assertEqual(passed, r.delivered,
                             "scoreboard passed %d, ledger delivered %d: %s"
                             % (passed, r.delivered, json_short(j)))
            # Every 5xx the sender heard was a rejection filterd
            # counted, every 4xx but a 421 (a session ended) a message
            # it tempfailed.
            acts = j["counters"]["msgs_action"]
            codes = final_codes(self.ledger)
            self.assertEqual((acts["rejected"], acts["tempfailed"]),
                             (codes.get("5", 0), codes.get("4", 0)),
                             "scoreboard (rejected, tempfailed) against "
                             "the 5xx and 4xx the sender heard: %s"
                             % json_short(j))
        else:
            kills = j["child_kills"]
            self.assertLessEqual(abs(passed - r.delivered), kills,
                                 "scoreboard passed %d, ledger delivered "
                                 "%d, kills %d" % (passed, r.delivered,
                                                   kills))


def every(k, stage, reply):
    """every - a FaultSink fault: every k-th transaction gets reply at
    stage."""
    return lambda n, st: reply if st == stage and n % k == 0 else None


def virus_every(k):
    """virus_every - a kind(): every k-th message carries EICAR."""
    return lambda i: "virus" if i % k == k - 1 else "clean"


def virus_refused(e, reply):
    """virus_refused - may_refuse(): the policy rejects a virus
    (final_virus_destiny = reject), nothing else."""
    return e.kind in ("virus", "zipvirus") and reply.startswith("5")


def final_codes(led):
    """final_codes - {first digit: count} of the replies each try got
    (to the final dot, or to MAIL, RCPT or DATA when they refused);
    "421" and "lost" (the session ended) apart."""
    out = {}
    for e in led.entries.values():
        for x in e.replies:
            k = x[0] if x[:1].isdigit() else "lost"
            if x.startswith("421"):
                k = "421"
            out[k] = out.get(k, 0) + 1
    return out


def json_short(j):
    return {k: j.get(k) for k in ("child_starts", "child_exits",
                                  "child_kills", "counters")}
