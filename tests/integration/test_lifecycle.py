"""test_lifecycle - the master's life and its children's deaths, from outside.

A reload that cannot bind a new listener is rejected and leaves the
running pool as it was; a message whose content makes a header field of
any length passes; every way a child can die (SIGKILL while receiving or
forwarding or in the virus scan, an abort, child_timeout, filterd-nanny
--kill-stuck) leaves nothing in tmp_dir but what live children own, and
the front MTA no 250; root follows no symlink a child could plant; and a
filterd that detaches tells its caller whether it started."""

import base64
import ctypes
import email
import io
import json
import os
import pwd
import re
import signal
import socket
import stat
import struct
import sys
import threading
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_checks as tc  # noqa: E402

SENDER = "from@example.org"
RCPT = "to@example.net"
BODY = (b"Subject: lifecycle\r\nMessage-ID: <lifecycle@example.org>\r\n\r\n"
        b"hello\r\n")


def nanny_bin():
    return os.path.join(os.path.dirname(h.filterd_bin()), "filterd-nanny")


class StallHop(h.ScriptedServer):
    """StallHop - a next hop that accepts and never speaks; connected is
    set when filterd has connected (the child is then forwarding, its
    spool file written)."""

    def __init__(self):
        super().__init__(backlog=8)
        self.connected = threading.Event()

    def serve(self, conn):
        self.connected.set()
        self.stopping.wait(60)


class Inotify:
    """Inotify - names created in watched directories (Linux inotify
    through ctypes: the standard library has no binding)."""

    IN_CREATE = 0x100

    def __init__(self):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.wds = {}

    def watch(self, path):
        wd = self.libc.inotify_add_watch(self.fd, path.encode(),
                                         self.IN_CREATE)
        if wd >= 0:
            self.wds[wd] = path

    def created(self):
        """created - paths created since the last call."""
        out = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            off = 0
            while off < len(data):
                wd, _, _, n = struct.unpack_from("iIII", data, off)
                name = data[off + 16:off + 16 + n].rstrip(b"\0").decode()
                out.append(os.path.join(self.wds.get(wd, "?"), name))
                off += 16 + n

    def close(self):
        os.close(self.fd)


def tree(path):
    """tree - every path under path, relative, sorted (no symlink
    followed)."""
    out = []
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(root, n), path))
    return sorted(out)


def zipped(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


class LifecycleCase(h.PeerTestCase):
    """A directory of its own per test: sinks, logs and tmp_dir start
    empty."""

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)

    def filterd(self, forward, **conf):
        return h.Filterd(self.tmp, banks={"default": {"forward": [forward]}},
                         **conf)

    def open_data(self, port):
        """A session that has sent DATA and the first half of a message."""
        c = h.open_data(port, SENDER, RCPT, BODY[:30])
        self.addCleanup(c.close)
        return c

    def send_one(self, port, body=BODY):
        return h.send_message(port, SENDER, [RCPT], body, timeout=20)

    def only_child(self, fd):
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10),
                        fd.children())
        return fd.children()[0]

    def assert_no_250(self, c):
        """The session of a dead child drops; it never says 250."""
        try:
            r = c.reply(timeout=25)
        except (h.SmtpError, OSError):
            c.close()
            return
        c.close()
        self.assertNotEqual(r.code, 250, r)

    def assert_tmp_clean(self, fd, dead):
        """tmp_dir, once the master reaped dead and replaced it, holds
        nothing but the private directories of live children, empty
        (every child is idle)."""
        tmp_dir = fd.params["tmp_dir"]
        self.assertTrue(h.wait_until(
            lambda: dead not in fd.children() and fd.children(), 15),
            "the master did not replace %d" % dead)
        time.sleep(0.3)

        def leftovers():
            live = {"child.%d" % p for p in fd.children()}
            return [p for p in tree(tmp_dir)
                    if p.split(os.sep)[0] not in live or os.sep in p]
        h.wait_until(lambda: not leftovers(), 5)
        self.assertEqual(leftovers(), [],
                         "left in tmp_dir after child %d died" % dead)


class ReloadTest(LifecycleCase):

    def listen_inodes(self):
        """listen_inodes - {port: socket inode} of LISTEN sockets."""
        out = {}
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":
                    out[int(fields[1].split(":")[1], 16)] = fields[9]
        return out

    def master_sockets(self, fd):
        out = set()
        for n in os.listdir("/proc/%d/fd" % fd.proc.pid):
            try:
                t = os.readlink("/proc/%d/fd/%s" % (fd.proc.pid, n))
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", t)
            if m:
                out.add(m.group(1))
        return out

    def test_rejected_reload_keeps_every_listener(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=2,
                                     max_servers=4))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 2, 10))
        before = sorted(fd.children())
        busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(busy.close)
        busy.bind((h.LOCALHOST, 0))
        busy.listen(1)
        fd.listen.append((busy.getsockname()[1], "smtp", "default"))
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 10), fd.log_text())
        self.assertIn("listen 127.0.0.1:%d" % busy.getsockname()[1],
                      fd.log_text())
        time.sleep(1.5)
        # The pool is as it was: same children, same generation.
        self.assertEqual(sorted(fd.children()), before)
        self.assertNotIn("generation 2", fd.log_text())
        # Every child goes; the master's new ones serve the old listener.
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        self.assertTrue(h.wait_until(
            lambda: len(fd.children()) == 2 and
            not set(fd.children()) & set(before), 15), fd.log_text())
        r = self.send_one(fd.port)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(sink.wait_count(1, 10), 1)
        self.assertNotIn("epoll_ctl", fd.log_text())
        # The next good reload is generation 2: the rejected one counted
        # nothing.
        fd.listen.pop()
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "generation 2" in fd.log_text(), 10), fd.log_text())

    def test_reloads_refused_in_an_included_file_then_mended(self):
        """A typo in an included file (a policy bank, say) refuses the
        reload, each time it is tried, with the file and line; once
        mended, the next reload goes through. libconfuse's include()
        kept each refused file on its include stack: from the eleventh
        refusal on it refused every include ("includes nested too
        deeply") until filterd restarted."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1,
                                     max_servers=2))
        bank = os.path.join(fd.dir, "bank.conf")
        with open(bank, "w") as f:
            f.write("max_servers = 2\n")
        fd.raw = 'include("bank.conf")\n'
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "generation 2" in fd.log_text(), 10), fd.log_text())
        with open(bank, "w") as f:
            f.write("\nmax_servers = = 2\n")
        for i in range(12):
            fd.signal(signal.SIGHUP)
            self.assertTrue(h.wait_until(
                lambda: fd.log_text().count("reload rejected") > i, 10),
                fd.log_text())
        refusals = [line for line in fd.log_text().splitlines()
                    if "reload rejected" in line]
        self.assertEqual(len(refusals), 12, refusals)
        for line in refusals:
            self.assertIn(bank + ":2: unexpected token '='", line)
        with open(bank, "w") as f:
            f.write("max_servers = 3\n")
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "generation 3" in fd.log_text() or
            fd.log_text().count("reload rejected") > 12, 10), fd.log_text())
        self.assertIn("generation 3", fd.log_text())
        self.assertEqual(self.send_one(fd.port).code, 250)
        self.assertEqual(sink.wait_count(1, 10), 1)

    def test_reload_that_moves_tmp_dir_is_rejected(self):
        """tmp_dir holds the working directories of the running children
        and the lock that keeps a second master from clearing them: a
        reload that names another one is rejected and changes nothing."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=2,
                                     max_servers=4))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 2, 10))
        before = sorted(fd.children())
        new = fd.params["tmp_dir"] + "-moved"
        fd.params["tmp_dir"] = new
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 10), fd.log_text())
        self.assertIn("reload rejected, configuration unchanged: tmp_dir "
                      "cannot change on reload; restart filterd",
                      fd.log_text())
        time.sleep(0.5)
        self.assertFalse(os.path.exists(new))
        self.assertEqual(sorted(fd.children()), before)
        self.assertEqual(self.send_one(fd.port).code, 250)

    def test_reload_that_moves_run_dir_is_rejected(self):
        """The pid file and the scoreboard stay where the master made
        them: a reload that names another run_dir is rejected, changes
        nothing (the new directory is not even made) and says why; a
        later good reload goes through, and the stopped master leaves no
        pid file."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=2,
                                     max_servers=4))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 2, 10))
        before = sorted(fd.children())
        old = fd.params["run_dir"]
        pidfile = os.path.join(old, "filterd.pid")
        new = old + "-moved"
        fd.params["run_dir"] = new
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 10), fd.log_text())
        self.assertIn("reload rejected, configuration unchanged: run_dir "
                      "cannot change on reload; restart filterd",
                      fd.log_text())
        time.sleep(0.5)
        self.assertFalse(os.path.exists(new))
        self.assertEqual(sorted(fd.children()), before)
        self.assertNotIn("generation 2", fd.log_text())
        with open(pidfile) as f:
            self.assertEqual(int(f.read()), fd.proc.pid)
        self.assertTrue(os.path.exists(os.path.join(old, "scoreboard")))
        r = self.send_one(fd.port)
        self.assertEqual(r.code, 250, r)
        # Back to the old run_dir: an ordinary reload.
        fd.params["run_dir"] = old
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "generation 2" in fd.log_text(), 10), fd.log_text())
        fd.stop()
        self.assertEqual(fd.exit_status, 0)
        self.assertFalse(os.path.exists(pidfile))
        self.assertFalse(os.path.exists(new))

    def test_reload_keeps_kept_and_closes_removed_listeners(self):
        sink = self.start(h.Sink(self.tmp))
        kept, removed, added = h.free_ports(3)
        fd = self.start(self.filterd(
            sink.addr, listen=[(kept, "smtp"), (removed, "smtp")]))
        self.assertTrue(h.wait_port(removed, 10))
        inodes = self.listen_inodes()
        kept_inode, removed_inode = inodes[kept], inodes[removed]
        fd.listen = [(kept, "smtp"), (added, "smtp")]
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "generation 2" in fd.log_text(), 10), fd.log_text())
        self.assertTrue(h.wait_port(added, 10))
        # The kept listener is the same socket, never closed.
        self.assertEqual(self.listen_inodes().get(kept), kept_inode)
        self.assertIn(kept_inode, self.master_sockets(fd))
        # The removed one is closed by the master and, once the old
        # children are gone, by everybody.
        self.assertNotIn(removed_inode, self.master_sockets(fd))
        self.assertTrue(h.wait_until(lambda: not h.port_open(removed), 10))
        for port in (kept, added):
            r = self.send_one(port)
            self.assertEqual(r.code, 250, r)
        self.assertEqual(sink.wait_count(2, 10), 2)


class PoisonTest(LifecycleCase):

    RULES = 700

    def test_hundreds_of_rule_hits_pass_with_the_whole_field(self):
        names = ["POISON_%04d_" % i for i in range(self.RULES)]
        names = [n + "X" * (40 - len(n)) for n in names]
        rules = self.tmp.file("poison.cf")
        with open(rules, "w") as f:
            for n in names:
                f.write("body %s /poisonword/\nscore %s 0.01\n" % (n, n))
        os.chmod(rules, 0o644)
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr, spam_rules=[rules])
        fd.banks["default"].update(spam_tag_level=1.0, spam_tag2_level=100.0,
                                   spam_kill_level=100.0)
        self.start(fd)
        msg = (b"From: a@example.org\r\nSubject: poison\r\n"
               b"Message-ID: <poison@example.org>\r\n\r\n"
               b"a poisonword in the body\r\n")
        r = self.send_one(fd.port, msg)
        self.assertEqual(r.code, 250, r)
        self.assertEqual(sink.wait_count(1, 10), 1)
        got = email.message_from_bytes(sink.dumps()[0].body)
        status = got["X-Spam-Status"]
        self.assertIsNotNone(status, got)
        self.assertEqual(re.findall(r"POISON_\d{4}_X+=0\.01", status),
                         ["%s=0.01" % n for n in names])
        self.assertEqual(float(got["X-Spam-Score"]), 7.0)
        self.assertNotIn("panic", fd.log_text())
        self.assertNotIn("killed by signal", fd.log_text())


class ChildDeathTest(LifecycleCase):
    """After each kind of death, tmp_dir holds nothing of the dead child,
    and its front end got no 250."""

    def test_normal_operation_leaves_nothing(self):
        sink = self.start(h.Sink(self.tmp))
        db = self.tmp.sub("clamdb")
        with open(os.path.join(db, "test.ndb"), "w") as f:
            f.write("Lifecycle-Test:0:*:%s\n" % b"LIFECYCLE-MARK".hex())
        fd = self.start(self.filterd(sink.addr, min_servers=2,
                                     raw='clamav { database = "%s" }' % db))
        attach = zipped("data.txt", b"zip content\n" * 1000)
        msg = (b"Subject: zip\r\nMIME-Version: 1.0\r\nContent-Type: "
               b"multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: "
               b"text/plain\r\n\r\nsee\r\n--b\r\nContent-Type: "
               b"application/zip; name=a.zip\r\nContent-Transfer-Encoding: "
               b"base64\r\n\r\n" + base64.encodebytes(attach) +
               b"\r\n--b--\r\n")
        for body in (BODY, msg, BODY):
            self.assertEqual(self.send_one(fd.port, body).code, 250)
        self.assertEqual(sink.wait_count(3, 10), 3)
        tmp_dir = fd.params["tmp_dir"]
        live = {"child.%d" % p for p in fd.children()}
        self.assertTrue(set(os.listdir(tmp_dir)) <= live,
                        (os.listdir(tmp_dir), live))
        self.assertEqual([p for p in tree(tmp_dir) if os.sep in p], [])
        # A child's private directory is its own, and nobody else's.
        for name in os.listdir(tmp_dir):
            st = os.lstat(os.path.join(tmp_dir, name))
            self.assertTrue(stat.S_ISDIR(st.st_mode), name)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o700, name)
        fd.stop()
        self.assertEqual(fd.exit_status, 0)
        self.assertEqual(tree(tmp_dir), [])

    def test_sigkill_while_receiving(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr, min_servers=1,
                                     max_servers=1))
        pid = self.only_child(fd)
        c = self.open_data(fd.port)
        os.kill(pid, signal.SIGKILL)
        try:
            c.send(BODY[30:] + b".\r\n")
        except OSError:
            pass  # the connection may be reset already
        self.assert_no_250(c)
        self.assert_tmp_clean(fd, pid)
        self.assertEqual(sink.count(), 0)

    def test_sigkill_leaves_no_quarantine_tmp_copy(self):
        """Where quarantine_dir has no O_TMPFILE (NFS), a child writes its
        quarantine copy as X/.tmp.MAIL_ID.PID and renames it; killed
        meanwhile, it leaves that file, and the master removes it when it
        reaps the child. This file system has O_TMPFILE, so the copy is
        put there by hand for the child's message in hand (its mail_id,
        from the nanny): what is checked is the master's part, and that
        it removes that child's file alone."""
        sink = self.start(h.Sink(self.tmp))
        qdir = os.path.join(self.tmp.path, "quarantine")
        fd = self.start(self.filterd(sink.addr, min_servers=1,
                                     max_servers=1, quarantine_dir=qdir))
        pid = self.only_child(fd)
        c = self.open_data(fd.port)
        p = h.run([nanny_bin(), "-c", fd.conf_path, "--json"], timeout=20)
        kids = [k for k in json.loads(p.stdout)["children"]
                if k["pid"] == pid]
        self.assertEqual(len(kids), 1, p.stdout)
        mail_id = kids[0]["mail_id"]
        self.assertRegex(mail_id, r"^[A-Za-z0-9_-]{12}$")
        sub = os.path.join(qdir, mail_id[0])
        os.makedirs(sub, exist_ok=True)
        partial = os.path.join(sub, ".tmp.%s.%d" % (mail_id, pid))
        other = os.path.join(sub, ".tmp.%s.%d" % (mail_id, pid + 1))
        for path in (partial, other):
            with open(path, "wb") as f:
                f.write(b"\x1f\x8b partial copy")
        os.kill(pid, signal.SIGKILL)
        self.assert_no_250(c)
        self.assert_tmp_clean(fd, pid)
        self.assertFalse(os.path.exists(partial),
                         "the dead child's partial quarantine copy stays")
        self.assertTrue(os.path.exists(other))
        self.assertNotIn("quarantine leftover", fd.log_text())
        self.assertEqual(sink.count(), 0)

    def stalled(self, sig):
        """A child killed with sig while it forwards to a stalled hop."""
        hop = self.start(StallHop())
        fd = self.start(self.filterd(hop.addr, min_servers=1, max_servers=1,
                                     forward_timeout=300))
        pid = self.only_child(fd)
        c = self.open_data(fd.port)
        c.send(BODY[30:] + b".\r\n")
        self.assertTrue(hop.connected.wait(10), fd.log_text())
        os.kill(pid, sig)
        self.assert_no_250(c)
        self.assertTrue(h.wait_until(
            lambda: "child %d killed by signal %d" % (pid, sig)
            in fd.log_text(), 10), fd.log_text())
        self.assert_tmp_clean(fd, pid)
        self.assertEqual(fd.message_lines(), [])

    def test_sigkill_while_forwarding(self):
        self.stalled(signal.SIGKILL)

    def test_abort_while_forwarding(self):
        self.stalled(signal.SIGABRT)

    def test_sigkill_in_the_virus_scan(self):
        """libclamav's per-scan temporary directory goes with the child."""
        sink = self.start(h.Sink(self.tmp))
        db = self.tmp.sub("clamdb")
        with open(os.path.join(db, "test.ndb"), "w") as f:
            f.write("Lifecycle-Test:0:*:%s\n" % b"LIFECYCLE-MARK".hex())
        fd = self.start(self.filterd(
            sink.addr, min_servers=1, max_servers=1,
            message_size_limit=2000000,
            raw='clamav { database = "%s" }' % db))
        pid = self.only_child(fd)
        tmp_dir = fd.params["tmp_dir"]
        ino = Inotify()
        self.addCleanup(ino.close)
        ino.watch(tmp_dir)
        h.wait_until(lambda: os.listdir(tmp_dir), 5)
        for name in os.listdir(tmp_dir):
            ino.watch(os.path.join(tmp_dir, name))
        # Long to scan (inflated by libclamav), short on the wire.
        attach = zipped("zeros.bin", b"\0" * (20 << 20))
        msg = (b"Subject: scan\r\nMIME-Version: 1.0\r\nContent-Type: "
               b"application/zip; name=z.zip\r\nContent-Transfer-Encoding: "
               b"base64\r\n\r\n" + base64.encodebytes(attach))
        c = h.SmtpClient(fd.port)
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<%s>" % SENDER)
        c.cmd("RCPT TO:<%s>" % RCPT)
        self.assertEqual(c.cmd("DATA").code, 354)
        c.send(h.data_payload(msg))
        # Stop the child while one of libclamav's directories exists
        # (each scan makes one; a short scan may be over before SIGSTOP).
        self.addCleanup(lambda: h.pid_alive(pid) and
                        os.kill(pid, signal.SIGKILL))
        seen, live = [], []
        deadline = time.monotonic() + 20
        while not live and time.monotonic() < deadline:
            new = [p for p in ino.created() if "scantemp" in p]
            if not new:
                time.sleep(0.001)
                continue
            seen += new
            os.kill(pid, signal.SIGSTOP)
            live = [p for p in seen if os.path.lexists(p)]
            if not live:
                os.kill(pid, signal.SIGCONT)
        self.assertTrue(live, "no temporary directory of libclamav seen "
                        "while it existed: %s" % seen)
        # It is the child's: under its private directory.
        self.assertTrue(all(os.path.dirname(p) == os.path.join(
            tmp_dir, "child.%d" % pid) for p in live), live)
        os.kill(pid, signal.SIGKILL)
        self.assert_no_250(c)
        self.assert_tmp_clean(fd, pid)
        self.assertEqual(sink.count(), 0)

    def test_child_timeout_and_kill_stuck(self):
        """Two children stalled at the next hop: one dies of SIGALRM at
        child_timeout, the other, stopped, is killed by the nanny."""
        hop = self.start(StallHop())
        fd = self.start(self.filterd(hop.addr, min_servers=2, max_servers=2,
                                     child_timeout=10, forward_timeout=300))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 2, 10))
        c1 = self.open_data(fd.port)
        c1.send(BODY[30:] + b".\r\n")
        self.assertTrue(hop.connected.wait(10))
        busy = set(fd.children())
        c2 = self.open_data(fd.port)
        c2.send(BODY[30:] + b".\r\n")
        self.assertTrue(h.wait_until(lambda: len(hop.conns) == 2, 10))
        # Which child has which session: the nanny knows.
        p = h.run([nanny_bin(), "-c", fd.conf_path, "--json"], timeout=20)
        kids = [k for k in json.loads(p.stdout)["children"]
                if k["state"] == "forwarding"]
        self.assertEqual(len(kids), 2, kids)
        stopped = kids[1]["pid"]
        other = kids[0]["pid"]
        self.assertEqual({stopped, other}, busy | {stopped, other})
        os.kill(stopped, signal.SIGSTOP)
        self.addCleanup(lambda: h.pid_alive(stopped) and
                        os.kill(stopped, signal.SIGKILL))
        # The other one dies of child_timeout.
        self.assertTrue(h.wait_until(
            lambda: "child %d killed by signal %d" % (other, signal.SIGALRM)
            in fd.log_text(), 20), fd.log_text())
        # The stopped child's message may have started a moment after the
        # other's: it is past child_timeout within a few seconds of it.
        runs = []

        def kill_stuck():
            p = h.run([nanny_bin(), "-c", fd.conf_path, "--kill-stuck",
                       "--grace", "1"], timeout=30)
            runs.append(p)
            return p.returncode != 0 or b"killed 0 " not in p.stdout

        self.assertTrue(h.wait_until(kill_stuck, 10), runs[-1].stdout)
        self.assertEqual(runs[-1].returncode, 0,
                         runs[-1].stdout + runs[-1].stderr)
        self.assertIn(b"killed 1 stuck child", runs[-1].stdout)
        for c in (c1, c2):
            self.assert_no_250(c)
        self.assert_tmp_clean(fd, stopped)
        self.assert_tmp_clean(fd, other)
        self.assertEqual(fd.message_lines(), [])

    def test_leftovers_of_an_earlier_run_are_removed(self):
        """A master killed with its children leaves their directories;
        the next start removes them, following no symlink."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr, min_servers=1, max_servers=1)
        tmp_dir = fd.params["tmp_dir"]
        outside = self.tmp.sub("outside")
        with open(os.path.join(outside, "keep.txt"), "w") as f:
            f.write("keep me\n")
        old = os.path.join(tmp_dir, "child.999999")
        os.makedirs(os.path.join(old, "a", "b"))
        with open(os.path.join(old, "a", "b", "spool"), "w") as f:
            f.write("an old message\n")
        os.symlink(outside, os.path.join(old, "link-to-dir"))
        os.symlink(os.path.join(outside, "keep.txt"),
                   os.path.join(old, "a", "link-to-file"))
        with open(os.path.join(tmp_dir, "not-ours"), "w") as f:
            f.write("somebody else's\n")
        self.start(fd)
        pid = self.only_child(fd)
        self.assertTrue(h.wait_until(
            lambda: not os.path.lexists(old), 10), tree(tmp_dir))
        self.assertEqual(sorted(os.listdir(tmp_dir)),
                         sorted(["child.%d" % pid, "not-ours"]))
        self.assertEqual(os.listdir(outside), ["keep.txt"])
        with open(os.path.join(outside, "keep.txt")) as f:
            self.assertEqual(f.read(), "keep me\n")
        self.assertEqual(self.send_one(fd.port).code, 250)


@unittest.skipUnless(h.IS_ROOT, "needs root: the children change user")
class SymlinkTest(LifecycleCase):
    """Root creates and changes nothing through a symlink."""

    def test_pid_file_symlink_is_not_followed(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr)
        run_dir = fd.params["run_dir"]
        os.makedirs(run_dir)
        victim = self.tmp.file("victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        os.symlink(victim, os.path.join(run_dir, "filterd.pid"))
        self.start(fd)
        pidfile = os.path.join(run_dir, "filterd.pid")
        # The pid file is written once the signatures have loaded,
        # after the port is bound.
        self.assertTrue(h.wait_until(
            lambda: not os.path.islink(pidfile) and
            os.path.exists(pidfile) and os.path.getsize(pidfile) > 0, 30))
        with open(victim) as f:
            self.assertEqual(f.read(), "precious\n")
        with open(pidfile) as f:
            self.assertEqual(int(f.read()), fd.proc.pid)

    def test_run_dir_is_not_the_childrens(self):
        """Also when an earlier version gave it to them."""
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr)
        nobody = pwd.getpwnam("nobody")
        os.makedirs(fd.params["run_dir"])
        os.chown(fd.params["run_dir"], nobody.pw_uid, nobody.pw_gid)
        self.start(fd)
        st = os.lstat(fd.params["run_dir"])
        self.assertEqual(st.st_uid, 0)
        self.assertEqual(stat.S_IMODE(st.st_mode) & 0o022, 0)
        st = os.lstat(fd.params["tmp_dir"])
        self.assertEqual(st.st_uid, nobody.pw_uid)

    def test_tmp_dir_symlink_is_not_chowned_on_reload(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.start(self.filterd(sink.addr))
        tmp_dir = fd.params["tmp_dir"]
        target = self.tmp.sub("root-owned", 0o755)
        os.chown(target, 0, 0)
        os.rename(tmp_dir, tmp_dir + ".moved")
        os.symlink(target, tmp_dir)
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text() or
            "generation 2" in fd.log_text(), 10), fd.log_text())
        time.sleep(0.5)
        st = os.stat(target)
        self.assertEqual((st.st_uid, st.st_gid), (0, 0))
        self.assertIn("reload rejected, configuration unchanged: %s: a "
                      "symbolic link" % tmp_dir, fd.log_text())


class DaemonTest(LifecycleCase):
    """Without -f: exit 1 with the reason on stderr when the start fails,
    exit 0 only once it listens."""

    def daemon(self, fd, timeout=60):
        fd.write_conf()
        self.addCleanup(self.stop_daemon, fd.conf_path)
        return h.run([h.filterd_bin(), "-c", fd.conf_path], timeout=timeout)

    def stop_daemon(self, conf_path):
        """stop_daemon - stop, by pid, the daemon started with conf_path
        (its path is this test's own) and the children it left."""
        for pid in self.daemon_pids(conf_path):
            kids = h.child_pids(pid)
            h.kill_pid(pid)
            for k in kids:
                h.kill_pid(k)

    @staticmethod
    def daemon_pids(conf_path):
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % name, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if conf_path.encode() in argv and h.pid_alive(int(name)):
                out.append(int(name))
        return out

    def busy_port(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind((h.LOCALHOST, 0))
        s.listen(1)
        return s.getsockname()[1]

    def test_busy_port_exits_1(self):
        port = self.busy_port()
        fd = self.filterd("127.0.0.1:1", listen=[(port, "smtp")])
        p = self.daemon(fd)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"listen 127.0.0.1:%d" % port, p.stderr)

    def test_bad_clamav_database_exits_1(self):
        db = self.tmp.sub("baddb")
        with open(os.path.join(db, "bad.ndb"), "w") as f:
            f.write("this is not a signature\n")
        fd = self.filterd("127.0.0.1:1",
                          raw='clamav { database = "%s" }' % db)
        p = self.daemon(fd)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"clamav database", p.stderr)
        self.assertFalse(h.port_open(fd.port))

    def test_busy_port_fails_before_the_engines_load(self):
        port = self.busy_port()
        db = self.tmp.sub("baddb")
        with open(os.path.join(db, "bad.ndb"), "w") as f:
            f.write("this is not a signature\n")
        fd = self.filterd("127.0.0.1:1", listen=[(port, "smtp")],
                          raw='clamav { database = "%s" }' % db)
        p = self.daemon(fd)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"listen 127.0.0.1:%d" % port, p.stderr)
        self.assertNotIn(b"clamav", p.stderr)

    def test_good_start_exits_0_and_serves(self):
        sink = self.start(h.Sink(self.tmp))
        fd = self.filterd(sink.addr, min_servers=1)
        p = self.daemon(fd)
        self.assertEqual(p.returncode, 0, p.stderr)
        # Listening before the caller got 0, not some time later.
        self.assertTrue(h.port_open(fd.port))
        with open(os.path.join(fd.params["run_dir"], "filterd.pid")) as f:
            pid = int(f.read())
        self.assertTrue(h.pid_alive(pid))
        self.assertTrue(h.wait_until(lambda: h.child_pids(pid), 10))
        self.assertEqual(self.send_one(fd.port).code, 250)
        self.assertEqual(sink.wait_count(1, 10), 1)
        os.kill(pid, signal.SIGTERM)
        self.assertTrue(h.wait_until(lambda: not h.pid_alive(pid), 15))
        self.assertFalse(h.port_open(fd.port))


class CheckConfigTest(LifecycleCase):
    """filterd -t checks what the start checks, binding aside, so that
    systemd's ExecStartPre catches a configuration that cannot start:
    a signature database that does not load, a rule file that cannot be
    read. -t starts nothing and makes no directory."""

    def check(self, fd):
        p = fd.check_conf()
        self.assertFalse(os.path.exists(fd.params["run_dir"]))
        return p

    def test_missing_clamav_database_fails_the_check(self):
        fd = self.filterd("127.0.0.1:1", raw='clamav { database = "%s" }'
                          % os.path.join(self.tmp.path, "no-such-db"))
        p = self.check(fd)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"clamav database", p.stderr)

    def test_unreadable_rule_file_fails_the_check(self):
        fd = self.filterd("127.0.0.1:1", spam_rules=[
            os.path.join(self.tmp.path, "no-such-rules.cf")])
        p = self.check(fd)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"no-such-rules.cf", p.stderr)

    def test_good_configuration_passes(self):
        db = self.tmp.sub("clamdb")
        tc.signature_db(db)
        fd = self.filterd("127.0.0.1:1",
                          raw='clamav { database = "%s" }' % db)
        p = self.check(fd)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"clamav: 3 signatures", p.stderr)
        self.assertNotIn(b"error", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
