"""test_attack13 - an outside attack on quarantine release (issue 13).

A real filterd with a private MariaDB and its AM.PDP socket (the set-up of
test_release), attacked by (a) a client of the PDP socket who wants mail
released that he may not release, or wants to stall a child or inject
text, and (b) a sender whose message lands in quarantine and who wants
its release to misbehave.

Attack13Findings: each test is a finding; it fails on the code as merged
(70d0a64) and says in its docstring what goes wrong and why it matters.
Attack13Holds: attacks that failed; they pass and should stay."""

import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_release as tr  # noqa: E402
import test_release_cli as trc  # noqa: E402

SENDER = tr.SENDER
RCPTS = tr.RCPTS


def release_bin():
    return os.path.join(os.path.dirname(h.filterd_bin()), "filterd-release")


class ScriptedHop(h.WireSink):
    """ScriptedHop - a WireSink whose RCPT reply depends on the address:
    rcpt_replies maps a substring of the RCPT line to the reply line."""

    def __init__(self, rcpt_replies=None, data_reply=None, drop_after_dot=False):
        super().__init__()
        self.rcpt_replies = dict(rcpt_replies or {})
        self.data_reply = data_reply
        self.drop_after_dot = drop_after_dot

    def serve(self, conn):
        buf = b""
        tx = None

        def send(line):
            conn.sendall(line.encode() + b"\r\n")
        send("220 scripted ESMTP")
        while not self.stopping.is_set():
            while b"\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\n", 1)
            line = line.rstrip(b"\r")
            verb = line.split(b" ", 1)[0].upper()
            if verb in (b"EHLO", b"LHLO"):
                send("250-scripted")
                send("250-8BITMIME")
                send("250 ENHANCEDSTATUSCODES")
            elif verb == b"MAIL":
                tx = h.WireTransaction(None, [])
                tx.mail = line
                send("250 2.1.0 Ok")
            elif verb == b"RCPT":
                reply = "250 2.1.5 Ok"
                for k, v in self.rcpt_replies.items():
                    if k.encode() in line:
                        reply = v
                if reply.startswith("2"):
                    tx.rcpts.append(line)
                send(reply)
            elif verb == b"DATA":
                if not tx or not tx.rcpts:
                    send("554 5.5.1 Error: no valid recipients")
                    continue
                send("354 go ahead")
                while not (buf.startswith(b".\r\n") or
                           b"\r\n.\r\n" in buf):
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                if buf.startswith(b".\r\n"):
                    tx.data, buf = b"", buf[3:]
                else:
                    end = buf.index(b"\r\n.\r\n")
                    tx.data, buf = buf[:end + 2], buf[end + 5:]
                with self.lock:
                    self.transactions.append(tx)
                if self.drop_after_dot:
                    return
                send(self.data_reply or "250 2.0.0 Ok: queued")
                tx = None
            elif verb == b"RSET":
                tx = None
                send("250 2.0.0 Ok")
            elif verb == b"QUIT":
                send("221 2.0.0 Bye")
                return
            else:
                send("250 2.0.0 Ok")


class Attack13Case(tr.ReleaseTest):
    """test_release's set-up (MariaDB, sinks, a filterd with pdp_socket),
    without its tests."""

    def quarantine_to(self, fd, subject, rcpts, local=False, msg=None,
                      sender=SENDER):
        """A virus to rcpts; (mail_id, secret, pt, quar_type, quar_loc)."""
        r = h.send_message(fd.local_port if local else fd.port, sender,
                           rcpts, msg or tr.virus(subject), timeout=30)
        self.assertEqual(r.code, 250, r)
        mail_id = re.search(r"id=([A-Za-z0-9_+-]{12})", r.text).group(1)
        rows = tr.q(self.db, "SELECT secret_id, partition_tag, quar_type, "
                    "quar_loc FROM msgs WHERE mail_id = '%s'" % mail_id)
        self.assertEqual(len(rows), 1, rows)
        return (mail_id,) + tuple(rows[0])

    def hop(self, **kw):
        s = ScriptedHop(**kw)
        self.start(s)
        return s

    def cli(self, fd, *args, timeout=60):
        return h.run([release_bin(), "-s", fd.sock] + list(args),
                     timeout=timeout)


# test_release's tests run in test_release, not here.
for _name in dir(tr.ReleaseTest):
    if _name.startswith("test"):
        setattr(Attack13Case, _name, None)


class Attack13Findings(Attack13Case):
    """Findings: each fails on the code as merged."""

    def test_mail_file_of_another_message_is_released(self):
        """The secret authorizes one mail_id, but mail_file (which the
        client chooses) may name any other quarantined message: a user
        holding the release link (mail_id + secret_id) of one of his own
        quarantined messages gets any other user's file-quarantined mail
        sent to an address of his choice (recipient=). amavisd-new reads
        the stored X-Quarantine-ID and dies "Stored quarantine ID '%s'
        does not match requested ID '%s'" (Notify.pm msg_from_quarantine);
        filterd strips X-Quarantine-ID without looking at it."""
        fd = self.filterd()
        mine = self.quarantine_to(fd, "mine", ["mallory@example.net"],
                                  local=True)
        theirs = self.quarantine_to(fd, "victim secret payroll",
                                    ["ceo@example.net"], local=True)
        self.assertEqual((mine[3], theirs[3]), ("F", "F"))
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", mine[0]),
            ("secret_id", mine[1]), ("quar_type", "F"),
            ("mail_file", theirs[4]),
            ("recipient", "<mallory@example.net>")])
        got = [d for d in self.new(self.release_sink)
               if b"victim secret payroll" in d.body]
        self.assertEqual(got, [], "another message's file was released "
                         "with my secret: %r" % (resp,))
        self.assertTrue(tr.replies(resp)[0].startswith("450 4.5.0 "), resp)

    def test_quoted_recipient_with_space_gets_250_nothing_to_do(self):
        """A blocked recipient with a quoted local part ("john doe"@...,
        valid RFC 5321, accepted by filterd's SMTP server and written so
        in X-Envelope-To-Blocked) is skipped by the release as a "bad
        recipient"; with no other recipient the answer is "250 2.5.0 No
        recipients, nothing to do", and filterd-release exits 0: the
        front end marks as released a message nobody received (the very
        complaint issue 13 is about). amavisd-new parses the field with
        parse_address_list and releases to the quoted address."""
        hop = self.hop()
        fd = self.filterd(default={"release": [hop.addr]})
        rcpt = '"john doe"@example.net'
        m = self.quarantine_to(fd, "quoted rcpt", [rcpt])
        p = self.cli(fd, m[0], m[1])
        delivered = [t for t in hop.transactions
                     if any(rcpt.encode() in r for r in t.rcpts)]
        self.assertTrue(delivered or p.returncode != 0,
                        "exit %d, nothing delivered to %s: %r" % (
                            p.returncode, rcpt, p.stdout + p.stderr))

    def test_quoted_recipient_with_angles_redirects_release(self):
        """A sender picks the recipient "x><attacker@evil.example><"@
        example.net (a quoted local part, accepted by filterd's SMTP
        server). The release splits X-Envelope-To-Blocked at '<' and '>'
        without regard to quotes and sends the released message to
        attacker@evil.example (and to the bogus '"x' and '"@example.net'),
        an address that never was a recipient of the message."""
        hop = self.hop()
        fd = self.filterd(default={"release": [hop.addr]})
        rcpt = '"x><attacker@evil.example><"@example.net'
        m = self.quarantine_to(fd, "angles", [rcpt])
        resp = self.pdp(fd).ask([("request", "release"), ("mail_id", m[0]),
                                 ("secret_id", m[1])])
        time.sleep(0.5)
        rcpt_lines = [r for t in hop.transactions for r in t.rcpts]
        self.assertFalse([r for r in rcpt_lines
                          if r.upper().startswith(
                              b"RCPT TO:<ATTACKER@EVIL.EXAMPLE>")],
                         (rcpt_lines, resp))
        self.assertTrue(all(rcpt.encode() in r for r in rcpt_lines),
                        (rcpt_lines, resp))

    def old_amavis_file(self, fd, name, text):
        qdir = os.path.join(self.tmp.path, fd.name, "quarantine", "spam",
                            name[0])
        os.makedirs(qdir, exist_ok=True)
        with open(os.path.join(qdir, name + ".gz"), "wb") as f:
            f.write(gzip.compress(text))
        return "spam/%s/%s.gz" % (name[0], name)

    def test_old_amavis_file_sender_picks_recipients(self):
        """An amavisd-new file without X-Envelope-To-Blocked (older
        amavis; filterd releases it to X-Envelope-To, test_release): the
        original message's own header, written by the sender, holds an
        X-Envelope-To-Blocked: <attacker@evil.example> below Subject.
        amavisd-new reads envelope fields only in the prefix (it stops at
        the first other field) and releases to X-Envelope-To; filterd
        takes the first such field anywhere in the header section and
        releases to the attacker's address instead."""
        fd = self.filterd(pdp_bank="noauth")
        mf = self.old_amavis_file(fd, "QoldAmavis01", (
            b"Return-Path: <%s>\nX-Envelope-To: <%s>\n"
            b"X-Quarantine-ID: <QoldAmavis01>\nX-Spam-Flag: YES\n"
            b"Subject: old amavis\nFrom: a@example.org\n"
            b"X-Envelope-To-Blocked: <attacker@evil.example>\n\nbody\n" %
            (SENDER.encode(), RCPTS[0].encode())))
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", "QoldAmavis01"),
            ("quar_type", "Z"), ("mail_file", mf)])
        dumps = self.new(self.release_sink, 1)
        self.assertEqual([d.rcpts for d in dumps], [[RCPTS[0]]], resp)

    def test_old_amavis_file_sender_picks_envelope_sender(self):
        """An amavisd-new file whose prefix has Return-Path (not
        X-Envelope-From): a sender-written X-Envelope-From: <forged@...>
        in the original header beats the stored Return-Path, so the
        release goes out with a MAIL FROM of the attacker's choice
        (bounces and DSNs to him). amavisd-new takes the first of
        Return-Path/X-Envelope-From in the prefix only."""
        fd = self.filterd(pdp_bank="noauth")
        mf = self.old_amavis_file(fd, "QoldAmavis02", (
            b"Return-Path: <%s>\nX-Envelope-To: <%s>\n"
            b"X-Envelope-To-Blocked: <%s>\n"
            b"X-Quarantine-ID: <QoldAmavis02>\n"
            b"Subject: old amavis\nFrom: a@example.org\n"
            b"X-Envelope-From: <forged@evil.example>\n\nbody\n" %
            (SENDER.encode(), RCPTS[0].encode(), RCPTS[0].encode())))
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", "QoldAmavis02"),
            ("quar_type", "Z"), ("mail_file", mf)])
        dumps = self.new(self.release_sink, 1)
        self.assertEqual([d.sender for d in dumps], [SENDER], resp)

    def hold_children(self, fd, n, data, source=None, port=None,
                      trickle=None, seconds=8.0):
        """Open n PDP connections, each sends data (and trickle every
        0.5 s while the attack lasts); returns the sockets and a stop
        event."""
        socks = []
        for _ in range(n):
            if port:
                s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                             source_address=(source, 0))
            else:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                s.connect(fd.sock)
            s.sendall(data)
            socks.append(s)
            self.addCleanup(s.close)
        stop = threading.Event()

        def drip():
            end = time.time() + seconds
            while not stop.is_set() and time.time() < end:
                for s in socks:
                    try:
                        s.sendall(trickle)
                    except OSError:
                        pass
                stop.wait(0.5)
        if trickle:
            t = threading.Thread(target=drip, daemon=True)
            t.start()
            self.addCleanup(t.join, seconds + 2)
        self.addCleanup(stop.set)
        return socks

    def smtp_greeted(self, fd, timeout):
        try:
            with h.SmtpClient(fd.port, timeout=timeout) as c:
                return c.greeting().code == 220
        except (h.SmtpError, OSError):
            return False

    def test_pdp_clients_hold_every_child_smtp_starves(self):
        """max_servers PDP connections that stop in the middle of a
        request (request=release and no empty line) hold every child:
        PDP is served by the same pool as SMTP, with no share of its
        own, and only smtpd_timeout (300 s by default) frees them. The
        front MTA's connections wait unanswered meanwhile: any member
        of pdp_group (or any local user, with an inet listener on
        loopback) can stop mail. Here max_servers = 4 and smtpd_timeout
        = 60: no SMTP greeting comes within 10 s."""
        fd = self.filterd(smtpd_timeout=60)
        self.assertTrue(self.smtp_greeted(fd, 10))
        self.hold_children(fd, 4, b"request=release\r\n")
        time.sleep(1)
        self.assertTrue(self.smtp_greeted(fd, 10),
                        "no SMTP greeting while 4 PDP clients idle")

    def test_refused_pdp_client_holds_a_child(self):
        """A client NOT in pdp_clients gets its 554, but the child then
        reads what it sends "briefly and bounded" (pdp_linger: 64 lines,
        2 s each): a refused client that sends a line every 0.5 s keeps
        the child for 64 lines, and max_servers of them starve SMTP.
        Someone the ACL refuses should not be able to hold the pool."""
        port = h.free_port()
        fd = self.filterd(listen=[(port, "am.pdp", "default")],
                          pdp_clients=["127.0.0.1/32"], smtpd_timeout=60)
        self.assertTrue(h.wait_port(port, 10))
        self.assertTrue(self.smtp_greeted(fd, 10))
        self.hold_children(fd, 4, b"x\r\n", source="127.0.0.2", port=port,
                           trickle=b"x\r\n", seconds=14)
        time.sleep(1)
        self.assertTrue(self.smtp_greeted(fd, 10),
                        "no SMTP greeting while 4 refused PDP clients "
                        "trickle")

    def test_show_follows_a_symlink_out_of_the_quarantine(self):
        """filterd-release --show (run by an admin, often root) opens
        quarantine_dir/V/virus-ID with gzopen(), following a symlink:
        whoever can write in quarantine_dir (the filterd user, that is
        every child) makes V/virus-VsymLink0001 point at /etc/shadow and
        the admin's --show prints it as a "message". The server side
        opens with O_NOFOLLOW and refuses (Attack13Holds
        test_auth_attacks_refused); --show should too."""
        qdir = self.tmp.sub("showq")
        os.makedirs(os.path.join(qdir, "V"), exist_ok=True)
        secret = os.path.join(self.tmp.path, "not-a-message.txt")
        with open(secret, "w") as f:
            f.write("root: secret-hash-line\n")
        os.symlink(secret, os.path.join(qdir, "V", "virus-VsymLink0001"))
        conf = os.path.join(self.tmp.path, "show.conf")
        with open(conf, "w") as f:
            f.write('quarantine_dir = "%s"\n' % qdir)
        for arg in ("V/virus-VsymLink0001", "VsymLink0001"):
            p = h.run([release_bin(), "-c", conf, "--show", arg], timeout=30)
            self.assertNotIn(b"secret-hash-line", p.stdout, arg)
            self.assertNotEqual(p.returncode, 0, arg)

    def test_8bit_requested_by_goes_out_without_8bitmime(self):
        """requested_by with 8-bit bytes becomes Resent-From with raw
        8-bit bytes, but the 8-bit scan of pdp_spool_copy covers only the
        stored header and body, not the fields it puts in front: a 7-bit
        message goes out with an 8-bit header field and no BODY=8BITMIME
        (nor SMTPUTF8), which the next hop may reject or mangle."""
        hop = self.hop()
        fd = self.filterd(default={"release": [hop.addr]})
        m = self.quarantine_to(fd, "eight", [RCPTS[0]],
                               msg=b"Subject: plain\r\nFrom: a@example.org"
                               b"\r\n\r\n" + tr.virus("x").split(
                                   b"\r\n\r\n", 1)[1])
        rep = tr.replies(self.pdp(fd).ask([
            ("request", "release"), ("mail_id", m[0]), ("secret_id", m[1]),
            ("requested_by", "<j\u00f6rg@example.com>")]))
        self.assertTrue(hop.wait_count(1), rep)
        t = hop.transactions[0]
        if any(b >= 0x80 for b in t.data):
            self.assertRegex(t.mail.upper(), rb"BODY=8BITMIME|SMTPUTF8",
                             (t.mail, t.data[:300]))

    def test_cli_exits_0_on_one_reply_for_three_recipients(self):
        """filterd-release names three recipients; the server answers a
        single "250 2.5.0 No recipients, nothing to do" (what filterd
        itself answers when it skipped every recipient, see
        test_quoted_recipient_with_space_gets_250_nothing_to_do). The CLI
        prints it and exits 0, though two of the three recipients got no
        reply at all: "exit 0 only if every recipient got a 2xx" cannot
        hold when the replies do not match the recipients named (amavis
        answers one setreply per recipient)."""
        path = os.path.join(self.tmp.path, "fake-%d.sock" % os.getpid())
        srv = trc.PdpServer(path, ["setreply=250 2.5.0 No%20recipients,"
                                   "%20nothing%20to%20do\r\n\r\n"])
        self.addCleanup(srv.stop)
        p = h.run([release_bin(), "-s", path, "AbCdEfGh1_-2",
                   "a@x.example", "b@x.example", "c@x.example"], timeout=30)
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_half_request_delays_stop(self):
        """A PDP client that sends "request=release" and then nothing
        keeps filterd from stopping for smtpd_timeout (300 s by default;
        60 s here): the stop interrupt is armed only between requests
        (pdp_serve). Unlike an SMTP transaction, a half-read AM.PDP
        request holds nothing that could be lost, yet any member of
        pdp_group can hold every stop and restart (systemd then kills
        at TimeoutStopSec). amavisd-new's children end on SIGTERM."""
        fd = self.filterd(smtpd_timeout=60)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(fd.sock)
        self.addCleanup(s.close)
        s.sendall(b"request=release\r\n")
        time.sleep(0.5)
        fd.proc.send_signal(signal.SIGTERM)
        try:
            fd.proc.wait(15)
        except subprocess.TimeoutExpired:
            s.close()  # lets the child go
            self.fail("filterd still running 15 s after SIGTERM, held by "
                      "a half AM.PDP request")


class Attack13Holds(Attack13Case):
    """Attacks that failed: these pass and should stay."""

    def test_framing_attacks_keep_the_child(self):
        """Bad framing gets one setreply line with a 5xx and the same
        connection then serves a good request: no request= first,
        request= twice, a 1 MB line, 100,000 attributes, %00, %ZZ, a lone
        %, binary, CR without LF; and the ": " form is accepted."""
        fd = self.filterd()
        m = self.quarantine_to(fd, "framing", RCPTS)
        c = self.pdp(fd)
        pid_before = set(fd.children())
        bad = [
            (b"mail_id=x\r\nrequest=release\r\n\r\n", "500 5.5.2 "),
            (b"request=release\r\nrequest=release\r\nmail_id=" +
             m[0].encode() + b"\r\n\r\n", "500 5.5.2 "),
            (b"request=release\r\nmail_id=" + b"A" * (1 << 20) +
             b"\r\n\r\n", "500 5.5.2 "),
            (b"request=release\r\n" + b"recipient=<a@b.example>\r\n" *
             100000 + b"\r\n", "500 5.5.3 "),
            (b"request=release\r\nmail_id=ab%00cd\r\n\r\n", "500 5.5.2 "),
            (b"request=release\r\nmail_id=ab%ZZcd\r\n\r\n", "500 5.5.2 "),
            (b"request=release\r\nmail_id=abcd%\r\n\r\n", "500 5.5.2 "),
            (b"request=release\r\nmail_id=abcd%4\r\n\r\n", "500 5.5.2 "),
            (b"\x00\xff\xfe\x01binary\r\n\r\n", "500 5.5.2 "),
            (b"request=release\rmail_id=" + m[0].encode() + b"\r\n\r\n",
             "502 5.5.1 "),
            (b"request=release\r\nmail_id=" + m[0].encode() +
             b"\rsecret_id=" + m[1].encode() + b"\r\n\r\n", "501 5.5.4 "),
            (b"request=release%0D%0Amail_id=x\r\n\r\n", "502 5.5.1 "),
        ]
        for data, want in bad:
            c.send(data)
            rep = tr.replies(c.response())
            self.assertEqual(len(rep), 1, (data[:60], rep))
            self.assertTrue(rep[0].startswith(want), (data[:60], rep))
        self.assertEqual(self.new(self.release_sink), [])
        # amavisd-new's "name: value" form, on the same connection.
        c.send(("request: release\r\nmail_id: %s\r\nsecret_id: %s\r\n\r\n" %
                (m[0], m[1])).encode())
        self.assertEqual([r[:4] for r in tr.replies(c.response())],
                         ["250 ", "250 "])
        self.assertEqual(len(self.new(self.release_sink, 1)), 1)
        self.assertTrue(pid_before <= set(fd.children()))
        log = fd.log_text()
        self.assertNotIn("\x00", log)
        self.assertNotIn("\r", log)

    def test_pipelined_requests_in_order_and_eof_mid_request(self):
        """100 requests in one write are answered in order; a client that
        drops mid-request leaves nothing behind and releases nothing."""
        fd = self.filterd()
        m = self.quarantine_to(fd, "pipelined", RCPTS)
        c = self.pdp(fd)
        reqs = []
        for i in range(100):
            reqs.append(b"request=%s\r\nmail_id=*\r\n\r\n" %
                        (b"release" if i % 2 else b"bogus%d" % i))
        c.send(b"".join(reqs))
        for i in range(100):
            rep = tr.replies(c.response())
            self.assertEqual(len(rep), 1, rep)
            self.assertTrue(rep[0].startswith("501 " if i % 2 else "502 "),
                            (i, rep))
        d = self.pdp(fd)
        d.send(("request=release\r\nmail_id=%s\r\nsecret_id=%s\r\n" %
                (m[0], m[1])).encode())
        d.close()
        time.sleep(1)
        self.assertEqual(self.new(self.release_sink), [])
        self.assertEqual(tr.replies(c.ask([("request", "release"),
                                           ("mail_id", "*")]))[0][:4],
                         "501 ")

    def test_auth_attacks_refused(self):
        """Secrets missing, empty, short, long, of another message; a
        mail_id with wildcards or SQL; partition_tag not a number;
        mail_file with "..", absolute, a symlink, a NUL; an unknown
        quar_type: nothing is delivered, each gets a 4xx or 5xx."""
        fd = self.filterd()
        m = self.quarantine_to(fd, "auth", RCPTS)
        other = self.quarantine_to(fd, "auth other", RCPTS)
        qdir = os.path.join(self.tmp.path, fd.name, "quarantine", "V")
        os.makedirs(qdir, exist_ok=True)
        os.symlink("/etc/passwd", os.path.join(qdir, "virus-link"))
        c = self.pdp(fd)
        base = [("request", "release"), ("mail_id", m[0])]
        cases = [
            (base, "450 4.5.0 Failure: Secret_id is required"),
            (base + [("secret_id", "")], "450 4.5.0 "),
            (base + [("secret_id", "A")], "450 4.5.0 "),
            (base + [("secret_id", "A" * 5000)], "450 4.5.0 "),
            (base + [("secret_id", other[1])], "450 4.5.0 "),
            (base + [("secret_id", m[1].upper() if m[1] != m[1].upper()
                      else m[1].lower())], "450 4.5.0 "),
            ([("request", "release"), ("mail_id", "%"),
              ("secret_id", m[1])], "501 5.5.4 "),
            ([("request", "release"), ("mail_id", "a' OR '1'='1"),
              ("secret_id", m[1])], "501 5.5.4 "),
            ([("request", "release"), ("mail_id", "*"),
              ("secret_id", m[1])], "501 5.5.4 "),
            (base + [("secret_id", m[1]), ("partition_tag", "1 OR 1=1")],
             "501 5.5.4 "),
            (base + [("secret_id", m[1]), ("partition_tag", "-1")],
             "501 5.5.4 "),
            (base + [("secret_id", m[1]), ("partition_tag",
                                            "99999999999")], "501 5.5.4 "),
            (base + [("secret_id", m[1]), ("quar_type", "F"),
              ("mail_file", "V/../../../etc/passwd")], "501 5.5.4 "),
            (base + [("secret_id", m[1]), ("quar_type", "F"),
              ("mail_file", "/etc/passwd")], "501 5.5.4 "),
            (base + [("secret_id", m[1]), ("quar_type", "F"),
              ("mail_file", "V/virus-link")], "450 4.5.0 "),
            (base + [("secret_id", m[1]), ("quar_type", "X")], "501 5.5.4 "),
            (base + [("secret_id", m[1]), ("quar_type", "B")], "501 5.5.4 "),
        ]
        for attrs, want in cases:
            rep = tr.replies(c.ask(attrs))
            self.assertEqual(len(rep), 1, (attrs, rep))
            self.assertTrue(rep[0].startswith(want), (attrs, rep))
        c.send(b"request=release\r\nmail_id=" + m[0].encode() +
               b"\r\nsecret_id=" + m[1].encode() +
               b"\r\nmail_file=V/virus%00x\r\n\r\n")
        self.assertTrue(tr.replies(c.response())[0].startswith("500 "))
        self.assertEqual(self.new(self.release_sink), [])
        self.assertEqual(self.new(self.forward_sink), [])
        self.assertNotIn("root:", fd.log_text())

    def test_release_twice_delivers_twice(self):
        """As amavisd-new: a release may be repeated, and each is
        delivered (rs stays 'R')."""
        fd = self.filterd()
        m = self.quarantine_to(fd, "twice", RCPTS)
        c = self.pdp(fd)
        for _ in range(2):
            rep = tr.replies(c.ask([("request", "release"),
                                    ("mail_id", m[0]),
                                    ("secret_id", m[1])]))
            self.assertEqual([r[:4] for r in rep], ["250 ", "250 "])
        self.assertEqual(len(self.new(self.release_sink, 2)), 2)
        self.assertEqual(self.rs(m[0]), ["R", "R"])

    def test_sender_injected_envelope_fields_change_nothing(self):
        """A message whose own header carries X-Envelope-To-Blocked,
        X-Envelope-From, X-Quarantine-ID and Resent-* fields, quarantined
        by filterd (whose prefix comes first): the release goes to the
        blocked recipients with the real sender, and filterd's Resent
        block is in front."""
        hop = self.hop()
        fd = self.filterd(default={"release": [hop.addr]})
        msg = tr.virus("injected").replace(
            b"Subject:", b"X-Envelope-To-Blocked: <attacker@evil.example>\r\n"
            b"X-Envelope-From: <forged@evil.example>\r\n"
            b"X-Quarantine-ID: <AAAAAAAAAAAA>\r\n"
            b"Resent-To: <attacker@evil.example>\r\n"
            b"Return-Path: <forged@evil.example>\r\nSubject:", 1)
        m = self.quarantine_to(fd, "injected", [RCPTS[0]], msg=msg)
        rep = tr.replies(self.pdp(fd).ask([("request", "release"),
                                           ("mail_id", m[0]),
                                           ("secret_id", m[1])]))
        self.assertEqual([r[:4] for r in rep], ["250 "], rep)
        self.assertTrue(hop.wait_count(1))
        t = hop.transactions[0]
        self.assertEqual(t.sender, SENDER)
        self.assertEqual(t.rcpts, [b"RCPT TO:<%s>" % RCPTS[0].encode()])
        self.assertTrue(t.data.startswith(b"Received: from localhost"),
                        t.data[:300])

    def test_override_recipient_and_sender_text_refused(self):
        """recipient= or sender= with CR LF, spaces, angle brackets or
        2,000 bytes is refused (450), nothing goes out; requested_by
        with CR LF does not add a header field."""
        hop = self.hop()
        fd = self.filterd(default={"release": [hop.addr]})
        m = self.quarantine_to(fd, "override", RCPTS)
        c = self.pdp(fd)
        base = [("request", "release"), ("mail_id", m[0]),
                ("secret_id", m[1])]
        for extra in ([("recipient", "<a@b.example>\r\nRCPT TO:<e@x>")],
                      [("recipient", "a b@example.net")],
                      [("recipient", "<a@b.example><e@x.example>")],
                      [("recipient", "x" * 2000 + "@example.net")],
                      [("sender", "s@x\r\nRCPT TO:<e@x.example>")],
                      [("sender", "x" * 2000 + "@example.net")]):
            rep = tr.replies(c.ask(base + extra))
            self.assertEqual(len(rep), 1, (extra, rep))
            self.assertTrue(rep[0].startswith("450 4.5.0 "), (extra, rep))
        time.sleep(0.5)
        self.assertEqual(hop.transactions, [])
        rep = tr.replies(c.ask(base + [
            ("recipient", RCPTS[0]),
            ("requested_by", "<a@b.example>\r\nBcc: evil@x.example")]))
        self.assertEqual([r[:4] for r in rep], ["250 "], rep)
        self.assertTrue(hop.wait_count(1))
        head = hop.transactions[0].data.split(b"\r\n\r\n", 1)[0]
        self.assertNotIn(b"\r\nBcc:", head)
        self.assertIn(b"Resent-From: <a@b.example>", head)

    def test_dot_lines_bare_lf_no_final_newline(self):
        """A stored copy with bare LF, dot lines and no final newline is
        sent CR LF, dot-stuffed, ended by a line of its own."""
        hop = self.hop()
        fd = self.filterd(pdp_bank="noauth", default={"release": [hop.addr]})
        mf = self.old_amavis_file(fd, "QdotLines001", (
            b"X-Envelope-From: <%s>\nX-Envelope-To: <%s>\n"
            b"X-Envelope-To-Blocked: <%s>\nX-Quarantine-ID: <QdotLines001>\n"
            b"Subject: dots\n\n.\n..two\n.\r\nQUIT\nlast" %
            (SENDER.encode(), RCPTS[0].encode(), RCPTS[0].encode())))
        rep = tr.replies(self.pdp(fd).ask([
            ("request", "release"), ("mail_id", "QdotLines001"),
            ("quar_type", "Z"), ("mail_file", mf)]))
        self.assertEqual([r[:4] for r in rep], ["250 "], rep)
        self.assertTrue(hop.wait_count(1))
        data = hop.transactions[0].data
        self.assertTrue(data.endswith(
            b"Subject: dots\r\n\r\n..\r\n...two\r\n..\r\nQUIT\r\nlast\r\n"),
            data)

    old_amavis_file = Attack13Findings.old_amavis_file

    def test_next_hop_replies_per_recipient_are_truthful(self):
        """The release hop rejects one recipient (550) and defers another
        (450), takes the third: three setreply lines with those codes,
        filterd-release exits 1, only the taken one gets rs = 'R'. A hop
        that drops after the dot: 4xx for each, exit 75, no 'R'."""
        rcpts = ["ok@example.net", "bad@example.net", "later@example.net"]
        hop = self.hop(rcpt_replies={"bad@": "550 5.1.1 no such user",
                                     "later@": "450 4.2.0 try later"})
        fd = self.filterd(default={"release": [hop.addr],
                                   "forward": [hop.addr]})
        m = self.quarantine_to(fd, "per rcpt", rcpts)
        p = self.cli(fd, m[0], m[1])
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 1, out + p.stderr.decode())
        self.assertRegex(out, r"(?m)^250 2\.\d\.\d .*\n^550 5\.1\.1 .*\n"
                         r"^450 4\.2\.0 ", out)
        self.assertEqual(self.rs(m[0]), ["R", "-", "-"])
        dropper = self.hop(drop_after_dot=True)
        fd2 = self.filterd(default={"release": [dropper.addr],
                                    "forward": [dropper.addr]})
        m2 = self.quarantine_to(fd2, "dropped", RCPTS)
        p = self.cli(fd2, m2[0], m2[1])
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 75, out + p.stderr.decode())
        self.assertEqual(len(re.findall(r"(?m)^4\d\d ", out)), 2, out)
        self.assertEqual(self.rs(m2[0]), ["-", "-"])

    def test_large_sql_message(self):
        """A message of 30 MB in SQL chunks (1,900 of 16,000 bytes
        appended to a quarantined copy) is released whole."""
        fd = self.filterd(message_size_limit=40 << 20)
        m = self.quarantine_to(fd, "large", [RCPTS[0]])
        line = b"x" * 998 + b"\r\n"
        tr.q(self.db, "INSERT INTO quarantine (partition_tag, mail_id, "
             "chunk_ind, mail_text) SELECT %s, '%s', 1000 + seq, "
             "REPEAT('%s', 16) FROM seq_1_to_1900" % (
                 m[2], m[0], line.decode().replace("\r\n", "\\r\\n")))
        rep = tr.replies(self.pdp(fd).ask([("request", "release"),
                                           ("mail_id", m[0]),
                                           ("secret_id", m[1])]))
        self.assertEqual([r[:4] for r in rep], ["250 "], rep)
        dumps = self.new(self.release_sink, 1, timeout=60)
        self.assertEqual(len(dumps), 1)
        self.assertGreater(len(dumps[0].body), 1900 * 16 * 999)
        self.assertTrue(dumps[0].body.endswith(b"x" * 998 + b"\n"))

    def test_stalling_hop_falls_back_or_tempfails(self):
        """A release hop that never speaks: after forward_timeout the next
        hop (forward) gets the message and the answer is 250. When every
        hop stalls, child_timeout ends the child: filterd-release sees
        the connection drop and exits 75, nothing is marked 'R'."""
        silent = h.Silent()
        self.addCleanup(silent.stop)
        fd = self.filterd(default={"release": [silent.addr]},
                          forward_timeout=2)
        m = self.quarantine_to(fd, "stall", [RCPTS[0]])
        p = self.cli(fd, m[0], m[1])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(len(self.new(self.forward_sink, 1)), 1)
        fd2 = self.filterd(default={"release": [silent.addr],
                                    "forward": [silent.addr]},
                           forward_timeout=60, child_timeout=10)
        m2 = self.quarantine_to(fd2, "stall all", [RCPTS[0]])
        p = self.cli(fd2, m2[0], m2[1], timeout=90)
        self.assertEqual(p.returncode, 75, p.stdout + p.stderr)
        self.assertNotIn(b"250", p.stdout)
        self.assertEqual(self.rs(m2[0]), ["-"])

    def test_8bit_recipient_to_a_hop_without_smtputf8(self):
        """An override recipient with UTF-8 released through a hop that
        does not offer SMTPUTF8: no 2xx, filterd-release does not exit
        0."""
        hop = self.hop()
        fd = self.filterd(default={"release": [hop.addr],
                                   "forward": [hop.addr]})
        m = self.quarantine_to(fd, "utf8", [RCPTS[0]])
        p = self.cli(fd, m[0], m[1], "j\u00f6rg@example.net")
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn(b"\n250 ", b"\n" + p.stdout)
        self.assertEqual(hop.transactions, [])

    def test_null_sender_is_kept(self):
        """A quarantined bounce (MAIL FROM:<>) is released with the null
        sender, not refused for want of one."""
        hop = self.hop()
        fd = self.filterd(default={"release": [hop.addr]})
        m = self.quarantine_to(fd, "bounce", [RCPTS[0]], sender="")
        rep = tr.replies(self.pdp(fd).ask([("request", "release"),
                                           ("mail_id", m[0]),
                                           ("secret_id", m[1])]))
        self.assertEqual([r[:4] for r in rep], ["250 "], rep)
        self.assertTrue(hop.wait_count(1))
        self.assertEqual(hop.transactions[0].mail.split()[1].upper(),
                         b"FROM:<>")

    def test_noauth_inet_listener_refuses_other_clients(self):
        """An inet AM.PDP listener whose bank sets auth_required_release
        = false still refuses an address outside pdp_clients (554 before
        any release); from inside it releases without a secret."""
        port = h.free_port()
        fd = self.filterd(listen=[(port, "am.pdp", "noauth")],
                          pdp_clients=["127.0.0.1/32"])
        m = self.quarantine_to(fd, "inet noauth", [RCPTS[0]])
        self.assertTrue(h.wait_port(port, 10))
        req = b"request=release\r\nmail_id=%s\r\n\r\n" % m[0].encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10,
                                      source_address=("127.0.0.2", 0)) as s:
            s.sendall(req)
            data = s.recv(65536)
        self.assertTrue(data.startswith(b"setreply=554 5.7.1 "), data)
        time.sleep(0.5)
        self.assertEqual(self.new(self.release_sink), [])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(req)
            data = b""
            while not data.endswith(b"\r\n\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertTrue(data.startswith(b"setreply=250 "), data)
        self.assertEqual(len(self.new(self.release_sink, 1)), 1)

    def test_list_json_with_bytes_that_are_not_utf8(self):
        """A row with a mail_id and a sender holding a quote, a backslash
        and bytes that are not UTF-8 (varbinary columns): --list --json
        stays valid JSON, and the text form puts no raw byte >= 0x80 that
        is not UTF-8, nor a control, on the terminal."""
        import json
        fd = self.filterd()
        db = self.db.database
        self.db.sql(
            "INSERT INTO maddr (partition_tag, email, domain) VALUES "
            "(2, X'FF225C0A9B5B3331406578616D706C652E6F7267', "
            "'org.example'); "
            "INSERT INTO msgs (partition_tag, mail_id, secret_id, am_id, "
            "time_num, time_iso, sid, size, host, content, quar_type, "
            "quar_loc, spam_level, subject) SELECT 2, "
            "X'FE225C9B5B324A', '', '', 1, '', id, 0, '', 'S', 'Q', 'x', "
            "-5, 'a\"b\\\\c' FROM maddr WHERE partition_tag = 2; COMMIT", db)
        self.addCleanup(self.db.sql, "DELETE FROM msgs WHERE partition_tag ="
                        " 2; DELETE FROM maddr WHERE partition_tag = 2; "
                        "COMMIT", db)
        p = h.run([release_bin(), "-c", fd.conf_path, "--list", "--json"],
                  timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = json.loads(p.stdout.decode("utf-8"))
        self.assertTrue([r for r in rows
                         if r.get("subject") == 'a"b\\c'], rows)
        p = h.run([release_bin(), "-c", fd.conf_path, "--list"], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        p.stdout.decode("utf-8")  # valid UTF-8 throughout
        self.assertNotIn(b"\x1b", p.stdout)
        self.assertNotIn(b"\xc2\x9b", p.stdout)
        self.assertNotIn(b"\x9b", p.stdout)



class Fix13Checks(Attack13Case):
    """The fixes of issue 13's attack findings, seen from the client."""

    old_amavis_file = Attack13Findings.old_amavis_file
    smtp_greeted = Attack13Findings.smtp_greeted

    def test_unreadable_blocked_recipient_is_a_failure(self):
        """X-Envelope-To-Blocked that is not a list of <addr> (text
        outside brackets, an unterminated quote) answers 450 4.5.0
        naming the field, never "250 No recipients", and nothing goes
        out."""
        fd = self.filterd(pdp_bank="noauth")
        for i, blocked in enumerate((b"<a@example.net>, b@example.net",
                                     b'<"a@example.net>')):
            mid = "QbadBlocked%d" % i
            mf = self.old_amavis_file(fd, mid, (
                b"X-Envelope-From: <%s>\nX-Envelope-To: <%s>\n"
                b"X-Envelope-To-Blocked: %s\nX-Quarantine-ID: <%s>\n"
                b"Subject: bad\n\nbody\n" % (
                    SENDER.encode(), RCPTS[0].encode(), blocked,
                    mid.encode())))
            rep = tr.replies(self.pdp(fd).ask([
                ("request", "release"), ("mail_id", mid),
                ("quar_type", "Z"), ("mail_file", mf)]))
            self.assertEqual(len(rep), 1, rep)
            self.assertTrue(rep[0].startswith("450 4.5.0 Failure: ") and
                            "X-Envelope-To-Blocked" in rep[0], rep)
        time.sleep(0.5)
        self.assertEqual(self.new(self.release_sink), [])

    def test_client_named_file_without_quarantine_id_refused(self):
        """A mail_file named by the client that holds no X-Quarantine-ID
        cannot be tied to the mail_id its secret authorizes: 450."""
        fd = self.filterd(pdp_bank="noauth")
        mf = self.old_amavis_file(fd, "QnoQuarId001", (
            b"X-Envelope-From: <%s>\nX-Envelope-To: <%s>\n"
            b"Subject: no id\n\nbody\n" % (SENDER.encode(),
                                            RCPTS[0].encode())))
        rep = tr.replies(self.pdp(fd).ask([
            ("request", "release"), ("mail_id", "QnoQuarId001"),
            ("quar_type", "Z"), ("mail_file", mf)]))
        self.assertTrue(rep[0].startswith("450 4.5.0 Failure: no stored "
                                          "quarantine ID"), rep)
        time.sleep(0.5)
        self.assertEqual(self.new(self.release_sink), [])

    def test_trickled_request_is_ended_by_pdp_timeout(self):
        """A client that sends one attribute line every 0.5 s never
        waits pdp_timeout for a line, but its request is not complete
        within pdp_timeout (2 s here) of its first line: it gets
        "setreply=421 4.4.2" and the connection ends, well before the
        10 s the trickle would last."""
        fd = self.filterd(pdp_timeout=2)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(fd.sock)
        self.addCleanup(s.close)
        s.sendall(b"request=release\r\n")
        got = b""
        for _ in range(20):
            time.sleep(0.5)
            try:
                s.sendall(b"requested_by=x\r\n")
            except OSError:
                break
            s.settimeout(0.01)
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        self.assertTrue(got.startswith(b"setreply=421 4.4.2 "), got)

    def test_pdp_gets_half_of_max_servers(self):
        """With max_servers = 4, two idle AM.PDP connections are served
        (pdp_timeout 30 s keeps them); a third is told "setreply=421
        4.3.2" within a second and closed, and SMTP is greeted meanwhile. When
        one of the two goes, a new AM.PDP client is served again."""
        fd = self.filterd(pdp_timeout=30)
        held = []
        for _ in range(2):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(fd.sock)
            s.sendall(b"request=release\r\n")
            self.addCleanup(s.close)
            held.append(s)
            time.sleep(0.5)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(fd.sock)
            self.assertTrue(s.recv(4096).startswith(b"setreply=421 4.3.2 "))
        self.assertTrue(self.smtp_greeted(fd, 10))
        held[0].close()
        time.sleep(0.5)
        rep = tr.replies(self.pdp(fd).ask([("request", "release"),
                                           ("mail_id", "*")]))
        self.assertTrue(rep[0].startswith("501 "), rep)

    def test_sequential_clients_are_not_refused_by_the_share(self):
        """Releases one after the other (a script running
        amavisd-release in a loop): the child that served the last one
        may not have seen its client close when the next connects; the
        share must not refuse the next for that (max_servers = 2: a
        share of one)."""
        fd = self.filterd(max_servers=2, min_servers=2)
        refused = []
        for i in range(40):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(10)
                s.connect(fd.sock)
                s.sendall(b"request=release\r\nmail_id=*\r\n\r\n")
                got = b""
                while not got.endswith(b"\r\n\r\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
            if b"4.3.2" in got:
                refused.append(i)
        self.assertEqual(refused, [])


if __name__ == "__main__":
    unittest.main()
