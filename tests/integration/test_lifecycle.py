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
import subprocess
import sys
import threading
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "from@example.org"
RCPT = "to@example.net"
BODY = (b"Subject: lifecycle\r\nMessage-ID: <lifecycle@example.org>\r\n\r\n"
        b"hello\r\n")


def nanny_bin():
    return os.path.join(os.path.dirname(h.filterd_bin()), "filterd-nanny")


class StallHop:
    """StallHop - a next hop that accepts and never speaks; connected is
    set when filterd has connected (the child is then forwarding, its
    spool file written)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((h.LOCALHOST, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.conns = []
        self.thread = None

    @property
    def addr(self):
        return "%s:%d" % (h.LOCALHOST, self.port)

    def start(self):
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conns.append(conn)
            self.connected.set()

    def stop(self):
        self.stopping.set()
        if self.thread:
            self.thread.join(5)
        for c in self.conns:
            c.close()
        self.sock.close()


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
        c = h.SmtpClient(port)
        self.assertEqual(c.greeting().code, 220)
        self.assertEqual(c.ehlo().code, 250)
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER).code, 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % RCPT).code, 250)
        self.assertEqual(c.cmd("DATA").code, 354)
        c.send(BODY[:30])
        return c

    def send_one(self, port, body=BODY):
        with h.SmtpClient(port) as c:
            c.greeting()
            c.ehlo()
            c.cmd("MAIL FROM:<%s>" % SENDER)
            c.cmd("RCPT TO:<%s>" % RCPT)
            _, r = c.data(body, timeout=20)
            c.cmd("QUIT")
        return r

    def only_child(self, fd):
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 1, 10),
                        fd.children())
        return fd.children()[0]

    def assert_no_250(self, c):
        """The session of a dead child drops; it never says 250."""
        try:
            r = c.reply(timeout=25)
        except h.SmtpError:
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
