"""test_attack12 - an outsider against the running filterd (issue 12).

Every test here was written by an outside tester as an attack and failed
on the code it was written against; each docstring starts with "ATTACK:"
and says what filterd did and which promise of issue 12 ("Hardening and
threat model") or of the common product rules it breaks. They assert the
promise, so they pass once the defect is fixed.

Peers are real: filterd as root with user = nobody (as the integration
tests run it), filterd-nanny next to it, sinks on loopback.

A "compromised child" is simulated by writing through the child's own
mapping of run_dir/scoreboard (/proc/PID/mem): exactly the bytes a child
running as `user` can store, since every child maps the whole file
read-write and shared."""

import os
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SENDER = "sender@example.org"
RCPT = "rcpt@example.net"

# struct sb_header / struct sb_slot of scoreboard.h (SB_VERSION 3).
SB_MAGIC = 0x42534446
SB_COUNTERS = 136 * 8          # struct sb_counters: 136 uint64_t
SB_HEADER = 72 + SB_COUNTERS + 8
SB_SLOT = 96 + SB_COUNTERS
H_MASTER_PID = 20
H_CHILD_TIMEOUT = 32
H_MASTER_START = 72 + SB_COUNTERS
S_PID, S_STATE, S_MSG_START, S_MAIL_ID = 0, 8, 16, 48
SB_RECEIVING = 3
HOSTILE_SLOT = 1000             # far above any slot the master gives out


def nanny_bin():
    return os.path.join(os.path.dirname(h.filterd_bin()), "filterd-nanny")


def scoreboard_mapping(pid):
    """(start address, path, writable) of pid's mapping of a scoreboard."""
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and fields[5].endswith("/scoreboard"):
                start = int(fields[0].split("-")[0], 16)
                return start, fields[5], fields[1].startswith("rw")
    return None, None, False


def child_store(pid, base, offset, data):
    """Store data at offset of the scoreboard through the child's own
    mapping (what code running in that child can do): True, or False
    when the mapping does not let the child write there."""
    fd = os.open("/proc/%d/mem" % pid, os.O_RDWR)
    try:
        return os.pwrite(fd, data, base + offset) == len(data)
    except OSError:
        return False
    finally:
        os.close(fd)


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


@unittest.skipUnless(h.IS_ROOT, "needs root: filterd drops to nobody")
class ScoreboardAttack(h.PeerTestCase):
    """What a child (user nobody) can make root's tools do through the
    scoreboard, and who else can read it."""

    def setUp(self):
        super().setUp()
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)
        sink = self.start(h.Sink(self.tmp))
        self.fd = self.start(h.Filterd(
            self.tmp, banks={"default": {"forward": [sink.addr]}},
            min_servers=1, max_servers=2, child_timeout=60))
        self.assertTrue(h.wait_until(lambda: self.fd.children(), 10))
        self.sb_path = os.path.join(self.fd.params["run_dir"], "scoreboard")

    def victim(self):
        """A root process that has nothing to do with filterd."""
        p = subprocess.Popen(["sleep", "60"])
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait()))
        return p

    def compromised_child(self):
        """(pid, scoreboard address) of a child, or None when no child
        maps the scoreboard writable (then no child can forge it)."""
        child = self.fd.children()[0]
        self.assertEqual(uid_of(child), 65534, "child not running as nobody")
        base, path, writable = scoreboard_mapping(child)
        if not writable:
            return None
        self.assertEqual(path, self.sb_path)
        with open(self.sb_path, "rb") as f:
            hdr = f.read(20)
        magic, version, n_slots, slot_size, header_size = \
            struct.unpack("<5I", hdr)
        self.assertEqual((magic, version, slot_size, header_size),
                         (SB_MAGIC, 3, SB_SLOT, SB_HEADER),
                         "scoreboard layout changed; update the offsets")
        return child, base

    def forge(self, header, pid):
        """As a compromised child: the header fields given ({offset:
        bytes}) and a slot saying pid is stuck in a message. False when
        the child cannot store them (the attack is then impossible)."""
        got = self.compromised_child()
        if got is None:
            return False
        child, base = got
        off = SB_HEADER + HOSTILE_SLOT * SB_SLOT
        stores = list(header.items()) + [
            (off + S_STATE, struct.pack("<I", SB_RECEIVING)),
            (off + S_MSG_START, struct.pack("<q", 1)),
            (off + S_MAIL_ID, b"AAAAAAAAAAAA\0"),
            (off + S_PID, struct.pack("<i", pid))]
        return all(child_store(child, base, o, d) for o, d in stores)

    def kill_stuck(self):
        return h.run([nanny_bin(), "-c", self.fd.conf_path, "--kill-stuck",
                      "--grace", "1"], timeout=30)

    def test_child_makes_root_nanny_kill_any_process(self):
        """ATTACK: a compromised child (uid nobody) writes into the
        scoreboard it maps read-write a slot with pid = any process of
        the machine (here a root `sleep`), an old msg_start_ms, and a
        master_pid of a process that does not exist; `filterd-nanny
        --kill-stuck`, run by root as README says, trusts both and sends
        SIGTERM/SIGKILL to that process (with the master "gone" it does
        not even check that the pid is a child of the master). A child
        must not be able to reach beyond itself: the nanny may only
        signal processes that are really filterd's children."""
        victim = self.victim()
        if not self.forge({H_MASTER_PID: struct.pack("<i", 0x3ffffff0)},
                          victim.pid):
            return  # the child cannot write the scoreboard: holds
        p = self.kill_stuck()
        time.sleep(0.2)
        self.assertIsNone(victim.poll(),
                          "root's nanny killed pid %d (not filterd's) for "
                          "the child: %s" % (victim.pid, p.stdout.decode()))

    def test_child_forges_master_pid_and_root_nanny_kills(self):
        """ATTACK: the same with the master alive as far as the nanny can
        tell: the child sets master_pid to the victim's parent (here pid
        of the test, for a daemon it is 1 or its supervisor) and
        master_start to 0 ("unknown"); the nanny's check "the pid is a
        child of master_pid" then passes, and it kills the victim."""
        victim = self.victim()
        if not self.forge({H_MASTER_PID: struct.pack("<i", os.getpid()),
                           H_MASTER_START: struct.pack("<Q", 0)},
                          victim.pid):
            return  # the child cannot write the scoreboard: holds
        p = self.kill_stuck()
        time.sleep(0.2)
        self.assertIsNone(victim.poll(),
                          "root's nanny killed pid %d (not filterd's) for "
                          "the child: %s" % (victim.pid, p.stdout.decode()))

    def test_master_gone_root_nanny_kills_nothing(self):
        """A forged slot (pid = a root process) left behind by a child
        whose master was then killed -9: filterd.pid is still there,
        but no master holds its lock, so `--kill-stuck` signals nothing
        and exits 1 saying filterd is not running (before, with the
        master gone, it did not even check whose child the pid was)."""
        victim = self.victim()
        if not self.forge({}, victim.pid):
            return  # the child cannot write the scoreboard: holds
        pid_file = os.path.join(self.fd.params["run_dir"], "filterd.pid")
        self.assertTrue(os.path.exists(pid_file))
        self.fd.proc.kill()
        self.fd.proc.wait(10)
        self.assertTrue(os.path.exists(pid_file))
        p = self.kill_stuck()
        time.sleep(0.2)
        self.assertIsNone(victim.poll(),
                          "root's nanny killed pid %d with the master gone: "
                          "%s" % (victim.pid, p.stdout.decode()))
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn(b"filterd is not running", p.stderr)

    def test_child_forges_child_timeout_and_root_nanny_kills_sibling(self):
        """A compromised child sets the header's child_timeout to 1 s:
        its healthy sibling, 2 s into a message (the front MTA is
        sending it), looks stuck, and `--kill-stuck` (root) killed it
        on the scoreboard's word. child_timeout is the configuration's
        (60 s here): nothing a child writes in the header may get a
        process killed that its own slot does not say is stuck."""
        import json
        c = h.open_data(self.fd.port, SENDER, RCPT, b"Subject: slow\r\n")
        self.addCleanup(c.close)

        def receiving():
            p = h.run([nanny_bin(), "-c", self.fd.conf_path, "--json"],
                      timeout=20)
            kids = [k["pid"] for k in json.loads(p.stdout)["children"]
                    if k["state"] == "receiving"]
            return kids and kids[0]
        sibling = h.wait_until(receiving, 10, 0.1)
        self.assertTrue(sibling, "no child receiving")
        self.assertTrue(h.wait_until(
            lambda: [p for p in self.fd.children() if p != sibling], 10))
        child = [p for p in self.fd.children() if p != sibling][0]
        base, path, writable = scoreboard_mapping(child)
        if not writable or not child_store(
                child, base, H_CHILD_TIMEOUT, struct.pack("<I", 1)):
            return  # the child cannot write the header: holds
        time.sleep(2.2)
        p = self.kill_stuck()
        self.assertTrue(h.pid_alive(sibling),
                        "root's nanny killed healthy child %d on a forged "
                        "child_timeout: %s" % (sibling, p.stdout.decode()))
        self.assertIn(b"killed 0 stuck children", p.stdout)

    def test_scoreboard_not_readable_by_others(self):
        """ATTACK: run_dir is 0755 and the scoreboard 0644, so any local
        user reads every child's mail_id and the front MTA's queue id of
        the message in hand, and every counter. Issue 12: "run_dir, the
        scoreboard, the PDP socket and quarantine files are not readable
        or writable by others"."""
        def read_as_daemon():
            os.setgid(1)
            os.setgroups([])
            os.setuid(1)
        p = subprocess.run(["head", "-c", "4", self.sb_path],
                           preexec_fn=read_as_daemon, capture_output=True,
                           timeout=10)
        self.assertNotEqual(p.returncode, 0,
                            "uid 1 (daemon) read %s (%s, in %s)" % (
                                self.sb_path,
                                oct(os.stat(self.sb_path).st_mode),
                                oct(os.stat(os.path.dirname(
                                    self.sb_path)).st_mode)))


class DripAttack(h.PeerTestCase):
    """Clients that never send a message but keep their session busy."""

    def test_noop_drip_holds_every_child_forever(self):
        """ATTACK: any client that can reach the SMTP port (no XFORWARD,
        not in mynetworks) sends NOOP (or RSET) every half second and
        never a message; smtpd_timeout (2 s here) never fires, there is
        no limit on junk commands or on a session's length, so two such
        connections hold both children (max_servers 2) for as long as
        they like and a real message waits in the backlog without end
        (20 s = 10 x smtpd_timeout here). Issue 12's brief: a very long
        session of RSET/NOOP and slow-drip clients must end, in bounded
        time, with no effect on other messages. (Postfix ends such a
        session through smtpd_junk_command_limit; a front MTA's cached
        connection sends RSET and then MAIL at once, so commands that
        move no message forward need not keep a session alive past
        smtpd_timeout.)"""
        tmp = h.TempDir()
        self.addCleanup(tmp.cleanup)
        sink = self.start(h.Sink(tmp))
        fd = self.start(h.Filterd(
            tmp, banks={"default": {"forward": [sink.addr]}},
            min_servers=2, max_servers=2, smtpd_timeout=2,
            mynetworks=["192.0.2.0/24"]))
        self.assertTrue(h.wait_until(lambda: len(fd.children()) == 2, 10))
        stop = threading.Event()
        ended = []

        def drip(verb):
            try:
                c = h.SmtpClient(fd.port, timeout=10)
            except OSError:
                ended.append(verb)
                return
            try:
                c.greeting()
                c.ehlo()
                while not stop.is_set():
                    if c.cmd(verb).code != 250:
                        break
                    stop.wait(0.5)
            except (h.SmtpError, OSError):
                pass
            ended.append(verb)
            c.close()
        threads = [threading.Thread(target=drip, args=(v,), daemon=True)
                   for v in ("NOOP", "RSET")]
        for t in threads:
            t.start()
        self.addCleanup(lambda: [stop.set()] + [t.join(5) for t in threads])
        time.sleep(1)
        result = []

        def send():
            try:
                result.append(h.send_message(
                    fd.port, SENDER, [RCPT],
                    b"Subject: waits\r\n\r\nbody\r\n", timeout=60))
            except Exception as e:  # noqa: B902
                result.append(e)
        t = threading.Thread(target=send, daemon=True)
        t.start()
        t.join(20)
        stop.set()
        self.assertTrue(result and getattr(result[0], "code", None) == 250,
                        "a message waited 20 s behind two NOOP/RSET "
                        "sessions (ended: %s): %r" % (ended, result))


class SqlRecordAttack(h.PeerTestCase):
    """What a message's header fields and a next hop's replies put into
    the SQL records."""

    def sql_filterd(self, forward):
        from test_sql import sql_tool
        tmp = h.TempDir()
        self.addCleanup(tmp.cleanup)
        db = self.start(h.MariaDB(tmp, "db"))
        p = h.run([sql_tool(), "-d", db.dsn(), "init"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        fd = self.start(h.Filterd(
            tmp, "fd", banks={"default": {"forward": [forward]}},
            raw='sql { storage = {"%s"} }\n' % db.dsn()))
        return db, fd

    def test_next_hop_reply_bytes_reach_msgrcpt_raw(self):
        """ATTACK: a next hop refuses the recipient with "550 5.1.1 "
        and text holding \\x01, DEL, a bare CR and ESC; filterd
        escapes it in its reply and log line (test_injection) but
        quar_sql_rows copies rc->reply.text as it came into
        msgrcpt.smtp_resp. A peer's text must not reach a record
        unescaped either (product rule 4, issue 12)."""
        from test_injection import RefusingHop
        hop = self.start(RefusingHop(b"bad\x01ctl\x7fdel\rcr\x1b[2Jesc"))
        db, fd = self.sql_filterd(hop.addr)
        r = h.send_message(fd.port, SENDER, [RCPT],
                           b"Subject: hop\r\n\r\nbody\r\n", timeout=30)
        self.assertEqual(r.code // 100, 5, r)
        rows = db.sql("SELECT HEX(smtp_resp) FROM msgrcpt",
                      database=db.database)
        self.assertTrue(rows, "no msgrcpt row; %s" % fd.log_text()[-800:])
        for (hexed,) in rows:
            raw = bytes.fromhex(hexed or "")
            bad = [c for c in raw if c < 0x20 or c == 0x7f]
            self.assertEqual(bad, [], "msgrcpt.smtp_resp holds control "
                             "characters: %r" % raw)

    def test_encoded_words_put_control_characters_into_msgs(self):
        """ATTACK: Subject and From as RFC 2047 encoded-words that decode
        to CR LF, ESC sequences and BEL ("=?UTF-8?B?...?="): GMime
        decodes them (g_mime_header_get_value) and quar_sql_rows stores
        the result in msgs.subject and msgs.from_addr with db_text, which
        only repairs UTF-8: the control bytes reach the columns that
        quarantine web interfaces and reports show. Issue 12: header
        values copied into logs or SQL are bounded and escaped (control
        characters); product rule 4: text from a message never reaches a
        record unescaped. (A raw ESC and BS in Message-ID go to
        msgs.message_id the same way.)"""
        import base64
        sink = self.start(h.WireSink())
        db, fd = self.sql_filterd(sink.addr)

        def ew(text):
            return b"=?UTF-8?B?" + base64.b64encode(text) + b"?="
        subject = b"Invoice\r\nX-Injected: yes\x1b[2J\x1b]0;owned\x07"
        name = b"Bank\r\nBcc: victim@example.net\x1b[31m"
        msg = (b"From: " + ew(name) + b" <a@example.org>\r\n"
               b"Subject: " + ew(subject) + b"\r\n"
               b"Message-ID: <ctl\x1b[5m\x08@example.org>\r\n\r\n"
               b"body\r\n")
        r = h.send_message(fd.port, SENDER, [RCPT], msg, timeout=30)
        self.assertEqual(r.code, 250, r)
        mail_id = r.text.split("id=")[1].split(",")[0]
        rows = db.sql("SELECT HEX(subject), HEX(from_addr), "
                      "HEX(message_id) FROM msgs "
                      "WHERE mail_id = '%s'" % mail_id,
                      database=db.database)
        self.assertEqual(len(rows), 1, rows)
        bad = {}
        for col, hexed in zip(("subject", "from_addr", "message_id"),
                              rows[0]):
            raw = bytes.fromhex(hexed)
            if any(c < 0x20 or c == 0x7f for c in raw):
                bad[col] = raw
        self.assertEqual(bad, {}, "msgs columns hold control characters")


@unittest.skipUnless(h.IS_ROOT, "needs root: runs clients as other users")
class PdpSocketAcl(h.PeerTestCase):
    """Who may talk to pdp_socket (mode 0660, group pdp_group). Holds on
    the code it was written against; no other test connects as a user
    outside the group."""

    def connect_as(self, path, uid, gids):
        code = ("import socket,sys\n"
                "s=socket.socket(socket.AF_UNIX)\n"
                "try:\n s.connect(sys.argv[1])\n"
                "except PermissionError:\n sys.exit(3)\n"
                "s.sendall(b'request=ping\\r\\n\\r\\n')\n"
                "s.settimeout(5)\nprint(s.recv(200))\n")

        def become():
            os.setgroups(gids)
            os.setgid(gids[0])
            os.setuid(uid)
        return subprocess.run(["/usr/bin/python3", "-c", code, path],
                              preexec_fn=become, capture_output=True,
                              timeout=20)

    def test_unix_socket_refuses_users_outside_pdp_group(self):
        import grp
        tmp = h.TempDir()
        self.addCleanup(tmp.cleanup)
        os.chmod(tmp.path, 0o755)
        sock = os.path.join(tmp.path, "pdp.sock")
        gid = grp.getgrnam("nogroup").gr_gid
        self.start(h.Filterd(tmp, pdp_socket=sock, pdp_group="nogroup"))
        st = os.stat(sock)
        self.assertEqual((st.st_mode & 0o777, st.st_gid), (0o660, gid))
        outsider = self.connect_as(sock, 1, [1])
        self.assertEqual(outsider.returncode, 3,
                         "uid 1 without group nogroup reached pdp_socket: "
                         "%r" % outsider)
        member = self.connect_as(sock, 1, [1, gid])
        self.assertEqual(member.returncode, 0, member)
        self.assertIn(b"setreply=", member.stdout, member)


class PdpTcpAcl(h.PeerTestCase):
    """pdp_clients on a dual-stack AM.PDP listener ("[::]:port"), where an
    IPv4 client arrives as ::ffff:a.b.c.d. Holds on the code it was
    written against; the existing ACL tests use IPv4 listeners only."""

    def reply_from(self, port, family, host):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect((host, port))
            s.sendall(b"request=release\r\nmail_id=abcdefABCDEF\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data
        finally:
            s.close()

    def pdp(self, clients):
        tmp = h.TempDir()
        self.addCleanup(tmp.cleanup)
        port = h.free_port()
        fd = self.start(h.Filterd(
            tmp, pdp_clients=clients,
            raw='listen "[::]:%d" { protocol = "am.pdp" bank = "default" }'
                % port))
        self.assertTrue(h.wait_port(port, 10), fd.log_text())
        return port

    def test_ipv6_only_acl_refuses_mapped_ipv4(self):
        port = self.pdp(["::1/128"])
        v4 = self.reply_from(port, socket.AF_INET, "127.0.0.1")
        self.assertIn(b"554", v4, v4)
        v6 = self.reply_from(port, socket.AF_INET6, "::1")
        self.assertNotIn(b"554", v6, v6)
        self.assertIn(b"setreply=", v6, v6)

    def test_ipv4_acl_refuses_ipv6_loopback(self):
        port = self.pdp(["127.0.0.1/32"])
        v6 = self.reply_from(port, socket.AF_INET6, "::1")
        self.assertIn(b"554", v6, v6)
        v4 = self.reply_from(port, socket.AF_INET, "127.0.0.1")
        self.assertNotIn(b"554", v4, v4)
        self.assertIn(b"setreply=", v4, v4)


@unittest.skipUnless(h.IS_ROOT, "needs root: user = nobody")
class MilterSocketAttack(h.PeerTestCase):
    """A milter unix socket the milter process (user) cannot make."""

    def test_unwritable_milter_directory_passes_check_and_is_silent(self):
        """ATTACK: milter { socket = "unix:DIR/m.sock" } with DIR root's
        0755: README says the directory must be one `user` may write,
        yet `filterd -t` exits 0, and at start the milter process
        (nobody) retries smfi_opensocket every 20 ms for child_timeout +
        10 s (490 s by default) without a line in filterd's log, then
        dies and is started again: Postfix tempfails all mail
        (milter_default_action = tempfail) and nothing says why; a
        SIGTERM meanwhile waits for that loop (masters seen still
        draining 10 s after SIGTERM, the retry loop ignores the retire
        signal). The
        check must name the socket, as it does for a missing directory
        (test_milter test_check_looks_at_the_socket)."""
        tmp = h.TempDir()
        self.addCleanup(tmp.cleanup)
        d = tmp.sub("rootonly", 0o755)
        fd = h.Filterd(tmp, raw='milter { socket = "unix:%s/m.sock" }' % d)
        p = fd.check_conf()
        out = (p.stdout + p.stderr).decode(errors="replace")
        self.assertEqual(p.returncode, 1, "filterd -t accepted a milter "
                         "socket nobody can make: %s" % out)
        self.assertIn("m.sock", out)


if __name__ == "__main__":
    unittest.main()
