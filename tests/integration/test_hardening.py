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

import grp
import os
import pwd
import re
import signal
import socket
import stat
import sys
import threading
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


class StallHop(h.ScriptedServer):
    """StallHop - a next hop that accepts and never speaks; connected is
    set when filterd has connected (its spool file is written)."""

    def __init__(self):
        super().__init__(backlog=8)
        self.connected = threading.Event()

    def serve(self, conn):
        self.connected.set()
        self.stopping.wait(30)


def proc_status(pid):
    """proc_status - /proc/PID/status as a dict of field -> text."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


@unittest.skipUnless(h.IS_ROOT, "needs root: the master binds as root")
class RunningFilterdCase(h.PeerTestCase):
    """A filterd started as root with user = nobody, every kind of
    process and file it has: pool children (SMTP and AM.PDP), the
    milter process on a unix socket, pdp_socket in run_dir, a message
    quarantined to a local file and one held by a stalled next hop (its
    spool file in the child's directory). run_dir and quarantine_dir
    are made beforehand open to everybody, as an older package or an
    admin may have left them."""

    GZIP = False

    def setUp(self):
        super().setUp()
        self.nobody = pwd.getpwnam("nobody")
        self.sink = self.start(h.Sink(self.tmp))
        # Started after filterd, stopped before it: the held message's
        # child then ends at once and filterd stops without waiting.
        self.hop = StallHop()
        name = "fd-gz" if self.GZIP else "fd"
        d = os.path.join(self.tmp.path, name)
        self.milter_dir = os.path.join(d, "milter")
        os.makedirs(self.milter_dir)
        os.chown(self.milter_dir, self.nobody.pw_uid, self.nobody.pw_gid)
        ports = h.free_ports(2)
        self.fd = h.Filterd(
            self.tmp, name,
            listen=[(ports[0], "smtp", "default"), (ports[1], "smtp",
                                                    "stall")],
            banks={"default": dict(BANNED, forward=[self.sink.addr]),
                   "stall": {"forward": [self.hop.addr]}},
            raw='milter { socket = "unix:%s/milter.sock" }'
            % self.milter_dir,
            pdp_socket=os.path.join(d, "run", "pdp.sock"),
            quarantine_gzip=self.GZIP, forward_timeout=20,
            min_servers=2)
        # Others' access goes; an admin's group bits stay in the
        # children's directories, not in the master's.
        for k, mode in (("run_dir", 0o777), ("quarantine_dir", 0o757)):
            os.makedirs(self.fd.params[k])
            os.chmod(self.fd.params[k], mode)
        self.start(self.fd)
        self.start(self.hop)
        self.stall_port = ports[1]
        self.assertTrue(h.wait_until(lambda: os.path.exists(
            os.path.join(self.milter_dir, "milter.sock")), 10),
            self.fd.log_text())

    def quarantine_one(self):
        msg = message(multipart([
            (b"Content-Type: text/plain\r\n", b"see\r\n"),
            attachment("setup.exe", b"MZ" + b"\0" * 200)]), "banned exe")
        r = h.send_message(self.fd.port, SENDER, [RCPT], msg)
        self.assertEqual(r.code, 250, r)
        qdir = self.fd.params["quarantine_dir"]
        files = h.wait_until(lambda: [
            os.path.join(dp, f) for dp, _, fs in os.walk(qdir) for f in fs],
            10)
        self.assertEqual(len(files), 1, files)
        return files[0]

    def hold_one(self):
        """A session whose message waits at the stalled hop; returns the
        client (the caller closes it)."""
        c = h.open_data(self.stall_port, SENDER, RCPT,
                        b"Subject: held\r\n\r\nheld\r\n.\r\n")
        self.addCleanup(c.close)
        self.assertTrue(self.hop.connected.wait(10), self.fd.log_text())
        return c


class PrivilegeTest(RunningFilterdCase):
    """Every process that reads mail is nobody for good."""

    def test_children_cannot_be_root_again(self):
        pdp = socket.socket(socket.AF_UNIX)
        self.addCleanup(pdp.close)
        pdp.connect(self.fd.params["pdp_socket"])
        self.hold_one()
        uid, gid = str(self.nobody.pw_uid), str(self.nobody.pw_gid)

        def settled():
            """Every child's status, once none is still root: a child
            the master has just forked is root until it drops, before it
            accepts anything (skel_become_worker)."""
            out = {}
            for pid in self.fd.children():
                try:
                    out[pid] = proc_status(pid)
                except OSError:
                    continue        # gone meanwhile
                if out[pid]["Uid"].split()[0] == "0":
                    return None
            return out
        kids = h.wait_until(settled, 10)
        self.assertTrue(kids, "a child still root after 10 s")
        # Two pool children at least (one serves the stalled message)
        # and the milter process.
        self.assertGreaterEqual(len(kids), 3, kids)
        for pid, st in kids.items():
            with self.subTest(pid=pid, name=st["Name"]):
                self.assertEqual(st["Uid"].split(), [uid] * 4)
                self.assertEqual(st["Gid"].split(), [gid] * 4)
                self.assertEqual(st["Groups"].split(), [gid])
                for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
                    self.assertEqual(int(st[cap], 16), 0, cap)
                self.assertEqual(st["NoNewPrivs"], "1")
        # The master stays root: it binds the listeners of a reload,
        # gives new directories to the user, removes what a dead child
        # left (README "Security").
        self.assertEqual(proc_status(self.fd.proc.pid)["Uid"].split()[0],
                         "0")


class FileModeTest(RunningFilterdCase):
    """Nothing filterd keeps is open to others, and each is owned as
    README "Security" says."""

    def assert_file(self, path, mode, uid, gid, kind=stat.S_ISREG):
        st = os.lstat(path)
        self.assertTrue(kind(st.st_mode), path)
        self.assertEqual(oct(stat.S_IMODE(st.st_mode)), oct(mode), path)
        self.assertEqual((st.st_uid, st.st_gid), (uid, gid), path)

    def test_every_file_is_closed_to_others(self):
        qfile = self.quarantine_one()
        self.hold_one()
        nb, ng = self.nobody.pw_uid, self.nobody.pw_gid
        p = self.fd.params
        isdir, issock = stat.S_ISDIR, stat.S_ISSOCK
        self.assert_file(p["run_dir"], 0o750, 0, ng, isdir)
        self.assert_file(os.path.join(p["run_dir"], "scoreboard"), 0o640,
                         0, ng)
        self.assert_file(os.path.join(p["run_dir"], "filterd.pid"), 0o640,
                         0, ng)
        self.assert_file(p["pdp_socket"], 0o660, nb, ng, issock)
        msock = os.path.join(self.milter_dir, "milter.sock")
        st = os.lstat(msock)
        self.assertTrue(issock(st.st_mode))
        # libmilter makes it as the milter process's umask (007) says.
        self.assertEqual(oct(stat.S_IMODE(st.st_mode)), oct(0o770))
        self.assertEqual((st.st_uid, st.st_gid), (nb, ng))
        self.assert_file(p["tmp_dir"], 0o700, nb, ng, isdir)
        self.assert_file(p["quarantine_dir"], 0o750, nb, ng, isdir)
        self.assert_file(os.path.dirname(qfile), 0o750, nb, ng, isdir)
        self.assert_file(qfile, 0o640, nb, ng)
        name = os.path.basename(qfile)
        if self.GZIP:
            self.assertTrue(name.endswith(".gz"), name)
        else:
            self.assertFalse(name.endswith(".gz"), name)
        spools = []
        for name in os.listdir(p["tmp_dir"]):
            child = os.path.join(p["tmp_dir"], name)
            self.assert_file(child, 0o700, nb, ng, isdir)
            spools += [os.path.join(child, f) for f in os.listdir(child)]
        self.assertTrue(spools, "no spool file of the held message")
        for f in spools:
            self.assert_file(f, 0o600, nb, ng)
        # And nothing else under them is open to others.
        for top in (p["run_dir"], p["tmp_dir"], p["quarantine_dir"],
                    self.milter_dir):
            for dp, dirs, files in os.walk(top):
                for n in dirs + files:
                    st = os.lstat(os.path.join(dp, n))
                    self.assertEqual(stat.S_IMODE(st.st_mode) & 0o007, 0,
                                     os.path.join(dp, n))


class GzipFileModeTest(FileModeTest):
    """The same with quarantine_gzip: Z files."""

    GZIP = True


def ew(data):
    """ew - an RFC 2047 encoded-word (UTF-8, B) of bytes."""
    import base64
    return b"=?UTF-8?B?" + base64.b64encode(data) + b"?="


# What a control, a forged field, a terminal escape, DEL, C1 (NEL, CSI)
# and invalid UTF-8 look like, raw and inside encoded-words.
NASTY = (b"a\r\nX-Injected: yes\x00\x1b[31mred\x7f\xc2\x85nel\xc2\x9bcsi"
         b"\xff\xfebad")
LOG_LINE_MAX = 8191     # bytes of one log line (util/msg.c MSG_LINE_MAX)
SQL_TEXT_MAX = 255      # characters of msgs.subject, from_addr, message_id


def hostile_message(tag):
    """hostile_message - a message whose Subject, From, Message-ID and
    attachment names carry NASTY raw and encoded, and a 10 KB subject."""
    raw = NASTY.replace(b"\r\n", b" ").replace(b"\x00", b"")
    subject = (b"hostile " + tag.encode() + b" \x1b]0;title\x07 " + raw +
               b" " + ew(NASTY) + b" " + b"S" * 10240)
    head = (b"From: " + ew(b"Evil\r\nX-Evil: 1\x00\x1b[2J") +
            b" <evil@example.org>\r\nTo: <" + RCPT.encode() + b">\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Message-ID: <" + tag.encode() + b"\x1b[2J\x7f\xc2\x9b\xff" +
            b"m" * 3000 + b"@example.org>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b0\r\n")
    body = (b"--b0\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
            b"--b0\r\nContent-Type: application/octet-stream; name=\"" +
            ew(b"n\r\nX-Name: 1\x00\x1b.txt") + b"\"\r\n"
            b"Content-Disposition: attachment; filename*=UTF-8''"
            b"d%0D%0AX-Disp:%201%00%1B%7F%C2%85%FF.txt\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
            b"--b0--\r\n")
    return head + b"\r\n" + body


def unsafe_chars(text):
    """unsafe_chars - the controls (C0 but TAB, DEL, C1) in text."""
    return [c for c in text if (ord(c) < 32 and c != "\t") or
            0x7f <= ord(c) <= 0x9f]


class HostileHeaderTest(h.PeerTestCase):
    """Header values reach the log, the SQL columns and the added header
    fields one line, bounded, escaped."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import test_sql as ts
        cls.sink = h.Sink(cls.tmp, "sink")
        cls.db = h.MariaDB(cls.tmp, "db")
        cls.start_for_class(cls.sink, cls.db)
        p = h.run([ts.sql_tool(), "-d", cls.db.dsn(), "init"], timeout=60)
        assert p.returncode == 0, p.stderr
        cls.fd = h.Filterd(
            cls.tmp, "fd",
            banks={"default": dict(BANNED, forward=[cls.sink.addr],
                                   spam_tag_level=-999.0)},
            raw="sql { storage = {\"%s\"} }\n" % cls.db.dsn())
        cls.start_for_class(cls.fd)

    def sql_rows(self, tag):
        """HEX of subject, from_addr, message_id of the message tagged."""
        return self.db.sql(
            "SELECT HEX(subject), HEX(from_addr), HEX(message_id) FROM "
            "msgs WHERE subject LIKE '%%hostile %s %%'" % tag,
            database=self.db.database)

    def test_hostile_headers_are_bounded_and_escaped(self):
        r = h.send_message(self.fd.port, SENDER, [RCPT],
                           hostile_message("t1"))
        self.assertEqual(r.code, 250, r)
        # The log: one line each, printable UTF-8, bounded.
        lines = self.fd.wait_messages(1)
        self.assertTrue(lines, self.fd.log_text())
        with open(self.fd.log_path, "rb") as f:
            log = f.read()
        for raw in log.split(b"\n"):
            self.assertLessEqual(len(raw), LOG_LINE_MAX, raw[:200])
            text = raw.decode("utf-8")      # fails on invalid UTF-8
            self.assertEqual(unsafe_chars(text), [], text[:300])
        for forged in (b"X-Injected", b"X-Evil", b"X-Name", b"X-Disp"):
            for raw in log.split(b"\n"):
                self.assertFalse(raw.startswith(forged), raw[:200])
        # SQL: valid UTF-8, no controls, at most 255 characters.
        rows = h.wait_until(lambda: self.sql_rows("t1"), 10)
        self.assertEqual(len(rows or []), 1, rows)
        for col, hexed in zip(("subject", "from_addr", "message_id"),
                              rows[0]):
            text = bytes.fromhex(hexed).decode("utf-8")
            with self.subTest(column=col):
                self.assertLessEqual(len(text), SQL_TEXT_MAX)
                self.assertEqual(unsafe_chars(text), [], text[:300])
        # The fields filterd adds: each one field, ASCII, well formed.
        dumps = self.sink.dumps()
        got = [d for d in dumps if b"hostile t1" in d.body]
        self.assertEqual(len(got), 1, len(dumps))
        head = got[0].body.split(b"\n\n", 1)[0].split(b"\n")
        first = hostile_message("t1").split(b"\r\n", 1)[0]
        self.assertIn(first, head)
        added = []
        for line in head[:head.index(first)]:
            self.assertRegex(line, rb"^(X-[A-Za-z-]+: |[ \t])[\x20-\x7e\t]*$")
            added.append(line)
        names = [l.split(b":")[0] for l in added if l[:1] not in b" \t"]
        self.assertIn(b"X-Spam-Status", names, added)
        for forged in (b"X-Injected", b"X-Evil", b"X-Name", b"X-Disp"):
            self.assertNotIn(forged, [l.split(b":")[0] for l in head])

    def test_recipient_addresses_with_controls(self):
        """An address with a control is refused at RCPT with a precise
        reply; one with 8-bit bytes (SMTPUTF8, invalid UTF-8 and C1
        too) is taken and reaches the log escaped (the message is then
        tempfailed: the sink offers no SMTPUTF8)."""
        rcpts = {b'"esc\x1bx"@example.net': 501, b'"del\x7fx"@example.net':
                 501, b'"nel\xc2\x85\xffx"@example.net': 250}
        with h.SmtpClient(self.fd.port) as c:
            self.assertEqual(c.greeting().code, 220)
            self.assertEqual(c.ehlo().code, 250)
            r = c.cmd("MAIL FROM:<%s> SMTPUTF8" % SENDER)
            self.assertEqual(r.code, 250, r)
            got = {}
            for rcpt, _ in rcpts.items():
                c.send(b"RCPT TO:<" + rcpt + b">\r\n")
                got[rcpt] = c.reply()
            for rcpt, want in rcpts.items():
                self.assertEqual(got[rcpt].code // 100, want // 100,
                                 (rcpt, got[rcpt]))
                self.assertRegex(got[rcpt].raw, rb"^[\x20-\x7e\r\n]*$")
            r354, final = c.data(hostile_message("t2"))
            # smtp-sink offers no SMTPUTF8: the next hop cannot take it.
            self.assertEqual(final.code, 451, final)
        self.assertTrue(h.wait_until(
            lambda: "Message-ID: <t2" in self.fd.log_text(), 10))
        with open(self.fd.log_path, "rb") as f:
            log = f.read()
        self.assertNotIn(b"\xc2\x85", log)
        self.assertIn(b"nel\\xc2\\x85\\xffx", log)
        for raw in log.split(b"\n"):
            self.assertLessEqual(len(raw), LOG_LINE_MAX, raw[:200])
            self.assertEqual(unsafe_chars(raw.decode("utf-8")), [])


def pdp_ask(host, port, source=None):
    """pdp_ask - one AM.PDP request over TCP; what the server said."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        if source:
            s.bind((source, 0))
        s.connect((host, port))
        s.sendall(b"request=release\r\nmail_id=AAAAAAAAAAAA\r\n"
                  b"secret_id=BBBBBBBBBBBB\r\n\r\n")
        data = b""
        while not data.endswith(b"\r\n\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


class AclTest(h.PeerTestCase):
    """XFORWARD (mynetworks) and the AM.PDP listeners (pdp_clients, the
    unix socket's group) refuse whoever is outside, whatever the form
    of the peer's address: 127.0.0.1, ::1, and ::ffff:127.0.0.1 (an
    IPv4 client of a dual-stack [::] listener)."""

    def filterd(self, name, nets):
        ports = h.free_ports(6)
        sink = self.start(h.Sink(self.tmp, name + "-sink"))
        fd = h.Filterd(
            self.tmp, name, listen=[(ports[0], "smtp", "default")],
            banks={"default": {"forward": [sink.addr]}},
            mynetworks=nets, pdp_clients=nets,
            raw="\n".join(
                'listen "%s:%d" { protocol = "%s" bank = "default" }'
                % (a, p, proto) for a, p, proto in (
                    ("[::1]", ports[1], "smtp"),
                    ("[::]", ports[2], "smtp"),
                    ("127.0.0.1", ports[3], "am.pdp"),
                    ("[::1]", ports[4], "am.pdp"),
                    ("[::]", ports[5], "am.pdp"))))
        self.start(fd)
        for p in ports[3:4]:
            self.assertTrue(h.wait_port(p, 10))
        return fd, ports

    def xforward(self, host, port):
        """The EHLO reply offers XFORWARD, and XFORWARD's reply code."""
        with h.SmtpClient(port, host=host) as c:
            self.assertEqual(c.greeting().code, 220)
            r = c.ehlo()
            offered = "XFORWARD" in r.text
            x = c.cmd("XFORWARD ADDR=192.0.2.7")
            return offered, x.code

    def test_ipv4_network(self):
        fd, p = self.filterd("v4", ["127.0.0.0/8"])
        self.assertEqual(self.xforward("127.0.0.1", p[0]), (True, 250))
        self.assertEqual(self.xforward("::1", p[1]), (False, 550))
        # ::ffff:127.0.0.1 is 127.0.0.1.
        self.assertEqual(self.xforward("127.0.0.1", p[2]), (True, 250))
        self.assertEqual(self.xforward("::1", p[2]), (False, 550))
        self.assertNotIn(b"pdp_clients", pdp_ask("127.0.0.1", p[3]))
        self.assertIn(b"setreply=554 5.7.1 ", pdp_ask("::1", p[4]))
        self.assertNotIn(b"pdp_clients", pdp_ask("127.0.0.1", p[5]))
        self.assertIn(b"setreply=554 5.7.1 ", pdp_ask("::1", p[5]))

    def test_ipv6_network(self):
        fd, p = self.filterd("v6", ["::1/128"])
        self.assertEqual(self.xforward("127.0.0.1", p[0]), (False, 550))
        self.assertEqual(self.xforward("::1", p[1]), (True, 250))
        # ::ffff:127.0.0.1 is not ::1.
        self.assertEqual(self.xforward("127.0.0.1", p[2]), (False, 550))
        self.assertIn(b"setreply=554 5.7.1 ", pdp_ask("127.0.0.1", p[3]))
        self.assertNotIn(b"pdp_clients", pdp_ask("::1", p[4]))
        self.assertIn(b"setreply=554 5.7.1 ", pdp_ask("127.0.0.1", p[5]))

    @unittest.skipUnless(h.IS_ROOT, "needs root: clients of other users")
    def test_unix_socket_needs_the_group(self):
        """pdp_socket is 0660 user:group: a process of another user is
        refused by the kernel unless it is in the group."""
        sock = os.path.join(self.tmp.path, "acl-pdp.sock")
        sink = self.start(h.Sink(self.tmp, "unix-sink"))
        self.start(h.Filterd(self.tmp, "unix", pdp_socket=sock, banks={
            "default": {"forward": [sink.addr]}}))
        self.assertTrue(h.wait_until(lambda: os.path.exists(sock), 10))
        group = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_gid
        daemon = pwd.getpwnam("daemon")
        code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
                "try:\n s.connect(sys.argv[1])\nexcept PermissionError:\n"
                " sys.exit(3)\n")

        def connect(groups):
            def become():
                os.setgroups(groups)
                os.setgid(daemon.pw_gid)
                os.setuid(daemon.pw_uid)
            import subprocess
            # The system's python: the test's may be under /root.
            return subprocess.run(["/usr/bin/python3", "-c", code, sock],
                                  preexec_fn=become, timeout=20).returncode
        self.assertEqual(connect([]), 3)
        self.assertEqual(connect([group]), 0)


class SharedDirectoryTest(h.PeerTestCase):
    """filterd changes the mode and owner of run_dir, tmp_dir and
    quarantine_dir: one set by mistake to a shared directory (sticky,
    as /tmp) is refused at start and left as it was."""

    def test_sticky_directories_are_refused(self):
        for key in ("run_dir", "tmp_dir", "quarantine_dir"):
            with self.subTest(key=key):
                shared = self.tmp.sub("shared-" + key)
                os.chmod(shared, 0o1777)
                fd = h.Filterd(self.tmp, "fd-" + key, **{key: shared})
                fd.start(wait=False)
                self.addCleanup(fd.stop)
                self.assertTrue(h.wait_until(
                    lambda: fd.proc.poll() is not None, 20))
                self.assertNotEqual(fd.proc.returncode, 0)
                self.assertIn("%s: a shared directory" % shared,
                              fd.log_text())
                self.assertEqual(stat.S_IMODE(os.stat(shared).st_mode),
                                 0o1777)
                p = fd.check_conf()
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn(b"a shared directory", p.stderr)


if __name__ == "__main__":
    unittest.main()
