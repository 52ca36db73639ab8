"""test_release - quarantine release and requeue over AM.PDP.

A private MariaDB and a filterd with pdp_socket: viruses are quarantined
to SQL (quar_type Q) and to local files (F, and Z with quarantine_gzip),
then released by talking AM.PDP to the socket from Python (and with
Debian's own amavisd-release, pointed at the socket). Each release must
reach the release sink exactly once with the original envelope, without
the quarantine prefix, with the Resent fields, and mark msgrcpt.rs = 'R';
failures must answer 450 4.5.0 with exit_code=75 and deliver nothing."""

import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_checks import EICAR, attachment, message, multipart  # noqa: E402
from test_checks import signature_db  # noqa: E402
from test_sql import q, sql_tool  # noqa: E402

SENDER = "sender@example.org"
RCPTS = ["one@example.net", "two@example.net"]


def virus(subject):
    return message(multipart([
        (b"Content-Type: text/plain\r\n", b"hello\r\n"),
        attachment("eicar.com", EICAR)]), subject,
        b"X-Spam-Status: No, score=0.1\r\nX-Amavis-Alert: old\r\n")


def enc(v):
    """AM.PDP value encoding (amavisd-new: keep \\041-\\044, \\046-\\176)."""
    return "".join(c if 0x21 <= ord(c) <= 0x7e and c != "%" else
                   "%%%02X" % ord(c) for c in v)


def dec(v):
    return urllib.parse.unquote_to_bytes(v).decode("utf-8", "replace")


class Pdp:
    """Pdp - one AM.PDP connection to a unix socket."""

    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def request(self, attrs):
        return b"".join(("%s=%s\r\n" % (k, enc(v))).encode()
                        for k, v in attrs) + b"\r\n"

    def response(self):
        """response - [(name, decoded value)] up to the empty line."""
        out = []
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("closed; pending %r, got %r" %
                                   (self.buf, out))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            line = line.rstrip(b"\r").decode()
            if line == "":
                return out
            name, value = line.split("=", 1)
            out.append((name, dec(value)))

    def ask(self, attrs):
        self.send(self.request(attrs))
        return self.response()

    def close(self):
        self.sock.close()


def replies(resp):
    return [v for k, v in resp if k == "setreply"]


class ReleaseTest(h.PeerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.release_sink = h.Sink(cls.tmp, "release")
        cls.forward_sink = h.Sink(cls.tmp, "forward")
        cls.db = h.MariaDB(cls.tmp, "db")
        cls.start_for_class(cls.release_sink, cls.forward_sink, cls.db)
        p = h.run([sql_tool(), "-d", cls.db.dsn(), "init"], timeout=60)
        assert p.returncode == 0, p.stderr
        cls.clamdb = cls.tmp.sub("clamdb")
        signature_db(cls.clamdb)
        cls.n = 0

    def setUp(self):
        super().setUp()
        self.seen = {s: set(s.files()) for s in (self.release_sink,
                                                  self.forward_sink)}

    def filterd(self, name="fd", default=None, pdp_bank=None, listen=(),
                **conf):
        type(self).n += 1
        name = "%s%d" % (name, self.n)
        default = dict(default or {})
        default.setdefault("forward", [self.forward_sink.addr])
        default.setdefault("release", [self.release_sink.addr])
        default.setdefault("virus_quarantine", "sql")
        banks = {"default": default,
                 "local": {"virus_quarantine": "local"},
                 "noauth": {"auth_required_release": False}}
        ports = h.free_ports(2)
        sock = os.path.join(self.tmp.path, name + ".sock")
        raw = ('clamav { database = "%s" }\n'
               'sql { storage = {"%s"} }\n' % (self.clamdb, self.db.dsn()))
        fd = h.Filterd(self.tmp, name, listen=[
            (ports[0], "smtp", "default"), (ports[1], "smtp", "local")] +
            list(listen),
            banks=banks, raw=raw, pdp_socket=sock,
            pdp_bank=pdp_bank or "default", **conf)
        fd.local_port = ports[1]
        fd.sock = sock
        self.start(fd)
        self.assertTrue(h.wait_until(lambda: os.path.exists(sock), 10))
        return fd

    def quarantine(self, fd, subject, local=False):
        """Send a virus; returns (mail_id, secret_id, partition_tag)."""
        r = h.send_message(fd.local_port if local else fd.port, SENDER,
                           RCPTS, virus(subject), timeout=30)
        self.assertEqual(r.code, 250, r)
        mail_id = re.search(r"id=([A-Za-z0-9_+-]{12})", r.text).group(1)
        rows = q(self.db, "SELECT secret_id, partition_tag, quar_type, "
                 "quar_loc FROM msgs WHERE mail_id = '%s'" % mail_id)
        self.assertEqual(len(rows), 1, rows)
        return mail_id, rows[0][0], rows[0][1], rows[0][2], rows[0][3]

    def new(self, sink, wait_for=0, timeout=15):
        """Complete dumps that arrived at sink since setUp."""
        def fresh():
            return [d for d in sink.dumps()
                    if d.path not in self.seen[sink]]
        if wait_for:
            h.wait_until(lambda: len(fresh()) >= wait_for, timeout)
        else:
            time.sleep(0.5)
        return fresh()

    def pdp(self, fd):
        c = Pdp(fd.sock)
        self.addCleanup(c.close)
        return c

    def assert_released(self, dump, mail_id, rcpts=RCPTS,
                        requested_by="<admin@example.com>"):
        self.assertEqual(dump.sender, SENDER)
        self.assertEqual(dump.rcpts, rcpts)
        body = dump.body
        head = body.split(b"\n\n", 1)[0]
        for f in (b"X-Envelope-From", b"X-Envelope-To", b"X-Quarantine-ID",
                  b"X-Envelope-To-Blocked", b"X-Spam-Status",
                  b"X-Amavis-Alert"):
            self.assertNotIn(f + b":", head, body[:600])
        self.assertIn(b"Resent-From: " + requested_by.encode(), head)
        self.assertIn(b"Resent-Date: ", head)
        self.assertRegex(head, rb"Resent-Message-ID: <" +
                         mail_id.encode() + rb"-[A-Za-z0-9_-]{12}@")
        self.assertIn(b"with AM.PDP id rel-", head)
        self.assertIn(b"Subject: ", head)
        self.assertIn(b"eicar.com", body)

    def counters(self, fd):
        """The release counters, from filterd-nanny --json."""
        nanny = os.path.join(os.path.dirname(h.filterd_bin()),
                             "filterd-nanny")
        p = h.run([nanny, "-c", fd.conf_path, "--json"], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        c = json.loads(p.stdout.decode().splitlines()[0])["counters"]
        return (c["releases"], c["requeues"], c["release_failures"])

    def rs(self, mail_id):
        return [r[0].strip() or "-" for r in q(
            self.db, "SELECT rs FROM msgrcpt WHERE mail_id = '%s' ORDER BY "
            "rseqnum" % mail_id)]

    # --- releases that work --------------------------------------------

    def test_release_sql(self):
        fd = self.filterd()
        mail_id, secret, pt, qt, _ = self.quarantine(fd, "rel sql")
        self.assertEqual(qt, "Q")
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", mail_id),
            ("secret_id", secret), ("partition_tag", pt),
            ("quar_type", "Q"), ("requested_by", "<admin@example.com>")])
        rep = replies(resp)
        self.assertEqual(len(rep), 2, resp)
        for r in rep:
            self.assertRegex(r, r"^250 2\.0\.0 from MTA\(.*\): 250 ", resp)
        dumps = self.new(self.release_sink, 1)
        self.assertEqual(len(dumps), 1, dumps)
        self.assert_released(dumps[0], mail_id)
        self.assertEqual(self.new(self.forward_sink), [])
        self.assertEqual(self.rs(mail_id), ["R", "R"])
        self.assertEqual(self.counters(fd), (1, 0, 0))
        self.assertIn("(rel-", fd.log_text())
        self.assertIn("Quarantined message release (<admin@example.com>): "
                      "%s <%s>" % (mail_id, SENDER), fd.log_text())

    def test_release_local_file_found_by_sql(self):
        fd = self.filterd()
        mail_id, secret, pt, qt, loc = self.quarantine(fd, "rel file", True)
        self.assertEqual((qt, loc), ("F", "%s/virus-%s" % (mail_id[0],
                                                           mail_id)))
        # No partition_tag, no quar_type: the msgs row says.
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", mail_id),
            ("secret_id", secret), ("requested_by", "<admin@example.com>")])
        self.assertEqual([r[:4] for r in replies(resp)], ["250 ", "250 "],
                         resp)
        dumps = self.new(self.release_sink, 1)
        self.assertEqual(len(dumps), 1, dumps)
        self.assert_released(dumps[0], mail_id)

    def test_release_gzip_file_by_mail_file(self):
        fd = self.filterd(quarantine_gzip=True)
        mail_id, secret, pt, qt, loc = self.quarantine(fd, "rel gz", True)
        self.assertEqual(qt, "Z")
        self.assertTrue(loc.endswith(".gz"), loc)
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", mail_id),
            ("secret_id", secret), ("quar_type", "Z"), ("mail_file", loc),
            ("partition_tag", pt), ("requested_by", "<admin@example.com>")])
        self.assertEqual([r[:4] for r in replies(resp)], ["250 ", "250 "],
                         resp)
        dumps = self.new(self.release_sink, 1)
        self.assertEqual(len(dumps), 1, dumps)
        self.assert_released(dumps[0], mail_id)
        self.assertEqual(self.rs(mail_id), ["R", "R"])

    def test_override_recipients(self):
        fd = self.filterd()
        mail_id, secret, pt, _, _ = self.quarantine(fd, "rel override")
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", mail_id),
            ("secret_id", secret), ("partition_tag", pt),
            ("recipient", "<two@example.net>"),
            ("recipient", "three@example.net"),
            ("requested_by", "<admin@example.com>")])
        self.assertEqual([r[:4] for r in replies(resp)], ["250 ", "250 "],
                         resp)
        dumps = self.new(self.release_sink, 1)
        self.assertEqual(len(dumps), 1, dumps)
        self.assert_released(dumps[0], mail_id,
                             ["two@example.net", "three@example.net"])
        # Only the released one that was a recipient is marked.
        self.assertEqual(self.rs(mail_id), ["-", "R"])

    def test_missing_secret_allowed_by_bank(self):
        fd = self.filterd(pdp_bank="noauth")
        mail_id, _, pt, _, _ = self.quarantine(fd, "rel noauth")
        resp = self.pdp(fd).ask([("request", "release"),
                                 ("mail_id", mail_id)])
        self.assertEqual([r[:4] for r in replies(resp)], ["250 ", "250 "],
                         resp)
        dumps = self.new(self.release_sink, 1)
        self.assertEqual(len(dumps), 1)
        # No requested_by: Resent-From is the postmaster (documented).
        self.assert_released(dumps[0], mail_id,
                             requested_by="<postmaster@")
        # A secret given is checked even there.
        resp = self.pdp(fd).ask([("request", "release"),
                                 ("mail_id", mail_id),
                                 ("secret_id", "AAAAAAAAAAAA")])
        self.assertEqual(replies(resp)[0][:10], "450 4.5.0 ", resp)

    # --- releases that must not happen -----------------------------------

    def test_wrong_and_missing_secret(self):
        fd = self.filterd()
        mail_id, secret, pt, _, _ = self.quarantine(fd, "rel bad secret")
        c = self.pdp(fd)
        for bad in ("AAAAAAAAAAAA", ""):
            resp = c.ask([("request", "release"), ("mail_id", mail_id),
                          ("secret_id", bad), ("partition_tag", pt)])
            rep = replies(resp)
            self.assertEqual(len(rep), 1, resp)
            self.assertTrue(rep[0].startswith("450 4.5.0 Failure: "), resp)
            self.assertIn(("return_value", "tempfail"), resp)
            self.assertIn(("exit_code", "75"), resp)
        self.assertIn("does not match", replies(c.ask([
            ("request", "release"), ("mail_id", mail_id),
            ("secret_id", "AAAAAAAAAAAA")]))[0])
        self.assertEqual(self.new(self.release_sink), [])
        self.assertEqual(self.new(self.forward_sink), [])
        self.assertEqual(self.rs(mail_id), ["-", "-"])
        self.assertEqual(self.counters(fd), (0, 0, 3))

    def test_several_partitions_need_a_partition_tag(self):
        fd = self.filterd()
        mail_id, secret, pt, _, _ = self.quarantine(fd, "rel partitions")
        q(self.db, "CREATE TEMPORARY TABLE dup AS SELECT * FROM msgs WHERE "
          "mail_id = '%s'; UPDATE dup SET partition_tag = partition_tag + 1;"
          " INSERT INTO msgs SELECT * FROM dup" % mail_id)
        c = self.pdp(fd)
        resp = c.ask([("request", "release"), ("mail_id", mail_id),
                      ("secret_id", secret)])
        self.assertEqual(replies(resp), [
            "450 4.5.0 Failure: Multiple (2) records with same mail_id "
            "exist, specify a partition_tag"], resp)
        self.assertIn(("exit_code", "75"), resp)
        self.assertEqual(self.new(self.release_sink), [])
        # Named, the partition is found.
        resp = c.ask([("request", "release"), ("mail_id", mail_id),
                      ("secret_id", secret), ("partition_tag", pt)])
        self.assertEqual([r[:4] for r in replies(resp)], ["250 ", "250 "],
                         resp)
        self.assertEqual(len(self.new(self.release_sink, 1)), 1)

    def test_release_hop_down_falls_back(self):
        down = h.refusing_ports(self, 2)
        fd = self.filterd(default={
            "release": ["127.0.0.1:%d" % down[0]],
            "notify": ["127.0.0.1:%d" % down[1]]})
        mail_id, secret, pt, _, _ = self.quarantine(fd, "rel fallback")
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", mail_id),
            ("secret_id", secret), ("requested_by", "<admin@example.com>")])
        self.assertEqual([r[:4] for r in replies(resp)], ["250 ", "250 "],
                         resp)
        dumps = self.new(self.forward_sink, 1)
        self.assertEqual(len(dumps), 1, dumps)
        self.assert_released(dumps[0], mail_id)

    def test_all_hops_down(self):
        down = h.refusing_ports(self, 3)
        fd = self.filterd(default={
            "release": ["127.0.0.1:%d" % down[0]],
            "notify": ["127.0.0.1:%d" % down[1]]})
        mail_id, secret, pt, _, _ = self.quarantine(fd, "rel down")
        # The message is in SQL; now take the forward hop away too.
        fd.stop()
        fd.banks["default"]["forward"] = ["127.0.0.1:%d" % down[2]]
        self.start(fd)
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", mail_id),
            ("secret_id", secret)])
        rep = replies(resp)
        self.assertEqual(len(rep), 2, resp)
        for r in rep:
            self.assertRegex(r, r"^4\d\d 4\.", resp)
        self.assertEqual(self.new(self.release_sink), [])
        self.assertEqual(self.new(self.forward_sink), [])
        self.assertEqual(self.rs(mail_id), ["-", "-"])

    def test_requeue_is_checked_again(self):
        fd = self.filterd()
        mail_id, secret, pt, _, _ = self.quarantine(fd, "requeue")
        before = len(fd.message_lines())
        fd.stop()
        fd.banks["default"]["requeue"] = ["127.0.0.1:%d" % fd.port]
        self.start(fd)
        resp = self.pdp(fd).ask([
            ("request", "requeue"), ("mail_id", mail_id),
            ("secret_id", secret)])
        # filterd took it (and blocked it again: 250 2.7.0 discard).
        self.assertEqual([r[:4] for r in replies(resp)], ["250 ", "250 "],
                         resp)
        lines = fd.wait_messages(before + 1)
        self.assertTrue(lines, fd.log_text())
        self.assertIn("Blocked INFECTED", lines[-1].text)
        self.assertEqual(self.new(self.release_sink), [])
        self.assertEqual(self.new(self.forward_sink), [])
        self.assertEqual(self.counters(fd), (0, 1, 0))

    # --- the protocol ---------------------------------------------------

    def test_several_requests_and_split_writes(self):
        fd = self.filterd()
        ids = [self.quarantine(fd, "rel multi %d" % i) for i in range(2)]
        c = self.pdp(fd)
        # Two requests in one write, answered in order.
        c.send(b"".join(c.request([
            ("request", "release"), ("mail_id", i[0]), ("secret_id", i[1]),
            ("recipient", "<%s>" % RCPTS[0])]) for i in ids))
        for _ in ids:
            self.assertEqual([r[:4] for r in replies(c.response())],
                             ["250 "])
        # A third request, one byte per write, LF only.
        data = ("request=release\nmail_id=%s\nsecret_id=%s\nrecipient="
                "<%s>\n\n" % (ids[0][0], ids[0][1], RCPTS[1])).encode()
        for i in range(len(data)):
            c.send(data[i:i + 1])
        self.assertEqual([r[:4] for r in replies(c.response())], ["250 "])
        dumps = self.new(self.release_sink, 3)
        self.assertEqual(len(dumps), 3, dumps)

    def test_bad_requests_keep_the_connection(self):
        fd = self.filterd()
        mail_id, secret, _, _, _ = self.quarantine(fd, "rel garbage")
        c = self.pdp(fd)
        bad = [
            (b"garbage\r\n\r\n", "500 5.5.2 "),
            (b"mail_id=x\r\nrequest=release\r\n\r\n", "500 5.5.2 "),
            (b"request=report\r\nmail_id=x\r\n\r\n", "502 5.5.1 "),
            (b"request=release\r\nmail_id=%zz\r\n\r\n", "500 5.5.2 "),
            (b"request=release\r\nmail_id=a%00b\r\n\r\n", "500 5.5.2 "),
            (b"request=release\r\nmail_id=../../etc\r\n\r\n", "501 5.5.4 "),
            (b"request=release\r\nmail_id=" + mail_id.encode() +
             b"\r\nmail_file=../x\r\n\r\n", "501 5.5.4 "),
            (b"request=release\r\nmail_id=" + b"A" * 100000 + b"\r\n\r\n",
             "500 5.5.2 "),
        ]
        for data, want in bad:
            c.send(data)
            rep = replies(c.response())
            self.assertEqual(len(rep), 1, (data[:60], rep))
            self.assertTrue(rep[0].startswith(want), (data[:60], rep))
        # The same connection still serves a good request.
        resp = c.ask([("request", "release"), ("mail_id", mail_id),
                      ("secret_id", secret)])
        self.assertEqual([r[:4] for r in replies(resp)], ["250 ", "250 "])
        self.assertEqual(len(self.new(self.release_sink, 1)), 1)
        # Nothing a client sent reached the log raw.
        self.assertNotIn("\x00", fd.log_text())

    def test_inet_listener_and_pdp_clients(self):
        port = h.free_port()
        fd = self.filterd(listen=[(port, "am.pdp", "default")],
                          pdp_clients=["127.0.0.1/32"])
        mail_id, secret, _, _, _ = self.quarantine(fd, "rel inet")
        self.assertTrue(h.wait_port(port, 10))
        # From 127.0.0.2: one 5xx setreply line, then the server closes.
        with socket.create_connection(("127.0.0.1", port), timeout=10,
                                      source_address=("127.0.0.2", 0)) as s:
            s.sendall(b"request=release\r\nmail_id=%s\r\n\r\n" %
                      mail_id.encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertTrue(data.startswith(b"setreply=554 5.7.1 "), data)
        self.assertTrue(data.endswith(b"\r\n\r\n"), data)
        self.assertEqual(data.count(b"setreply="), 1, data)
        # From 127.0.0.1 the same listener releases.
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"request=release\r\nmail_id=%s\r\nsecret_id=%s"
                      b"\r\n\r\n" % (mail_id.encode(), secret.encode()))
            data = b""
            while not data.endswith(b"\r\n\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertEqual(data.count(b"setreply=250 2.0.0 "), 2, data)
        self.assertEqual(len(self.new(self.release_sink, 1)), 1)
        self.assertIn("not in pdp_clients", fd.log_text())

    def test_socket_mode_check_and_removal(self):
        fd = self.filterd()
        st = os.stat(fd.sock)
        self.assertEqual(st.st_mode & 0o777, 0o660)
        if h.IS_ROOT:
            # Owner user (nobody), group the user's (pdp_group unset).
            import pwd
            pw = pwd.getpwnam("nobody")
            self.assertEqual((st.st_uid, st.st_gid), (pw.pw_uid, pw.pw_gid))
        # Stopped, filterd leaves no socket nobody serves.
        fd.stop()
        self.assertFalse(os.path.exists(fd.sock))
        # filterd -t says when the socket's directory is missing.
        fd.params["pdp_socket"] = os.path.join(self.tmp.path, "no", "s")
        p = fd.check_conf()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"directory %s/no: No such file or directory" %
                      self.tmp.path.encode(), p.stderr)

    def test_amavis_file_with_lf_and_no_blocked_field(self):
        """A file as an older amavisd-new wrote it: LF line ends,
        Return-Path instead of X-Envelope-From, no X-Envelope-To-Blocked:
        the recipients are X-Envelope-To's."""
        fd = self.filterd(pdp_bank="noauth")
        qdir = os.path.join(self.tmp.path, fd.name, "quarantine", "spam",
                            "Q")
        os.makedirs(qdir, exist_ok=True)
        with open(os.path.join(qdir, "QabcdefGHIJ1.gz"), "wb") as f:
            import gzip
            f.write(gzip.compress(
                b"Return-Path: <%s>\nX-Envelope-To: <%s>,\n <%s>\n"
                b"X-Quarantine-ID: <QabcdefGHIJ1>\nX-Spam-Flag: YES\n"
                b"Subject: old amavis\nFrom: a@example.org\n\nbody\n"
                b".dot line\n" % (SENDER.encode(), RCPTS[0].encode(),
                                  RCPTS[1].encode())))
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", "QabcdefGHIJ1"),
            ("quar_type", "Z"), ("mail_file", "spam/Q/QabcdefGHIJ1.gz"),
            ("requested_by", "<admin@example.com>")])
        self.assertEqual([r[:4] for r in replies(resp)], ["250 ", "250 "],
                         resp)
        dumps = self.new(self.release_sink, 1)
        self.assertEqual(len(dumps), 1, dumps)
        d = dumps[0]
        self.assertEqual((d.sender, d.rcpts), (SENDER, RCPTS))
        self.assertNotIn(b"Return-Path", d.body)
        self.assertNotIn(b"X-Spam-Flag", d.body)
        self.assertTrue(d.body.endswith(b"\n\nbody\n.dot line\n"), d.body)

    def test_gzip_file_cut_short_is_not_released(self):
        """A gzip quarantine file cut short (a disk that filled, a copy
        interrupted): zlib's gzread() ends it with 0 and "unexpected end
        of file" in gzerror(), not -1. Read as the end of the message,
        it released half a message with 250. It must fail the release
        (nothing at the hop, no 250). Before the fix: ['250 ', '250 ']
        and a dump of the first part at the sink."""
        import gzip
        import random
        fd = self.filterd(pdp_bank="noauth")
        qdir = os.path.join(self.tmp.path, fd.name, "quarantine", "spam",
                            "Q")
        os.makedirs(qdir, exist_ok=True)
        rnd = random.Random(17)
        body = b"".join(b"%08x line %d\n" % (rnd.getrandbits(32), i)
                        for i in range(4000))
        whole = gzip.compress(
            b"Return-Path: <%s>\nX-Envelope-To: <%s>\n"
            b"X-Quarantine-ID: <QcutshortGZ1>\nSubject: cut\n"
            b"From: a@example.org\n\n%s" % (SENDER.encode(),
                                             RCPTS[0].encode(), body))
        with open(os.path.join(qdir, "QcutshortGZ1.gz"), "wb") as f:
            f.write(whole[:len(whole) // 2])
        resp = self.pdp(fd).ask([
            ("request", "release"), ("mail_id", "QcutshortGZ1"),
            ("quar_type", "Z"), ("mail_file", "spam/Q/QcutshortGZ1.gz"),
            ("requested_by", "<admin@example.com>")])
        self.assertNotIn("250 ", [r[:4] for r in replies(resp)], resp)
        self.assertEqual(self.new(self.release_sink), [])

    @unittest.skipUnless(h.IS_ROOT, "ownership is set only as root")
    def test_pdp_group(self):
        import grp
        fd = self.filterd(pdp_group="mail")
        st = os.stat(fd.sock)
        self.assertEqual(st.st_gid, grp.getgrnam("mail").gr_gid)
        self.assertEqual(st.st_mode & 0o777, 0o660)

    # --- Debian's own client ----------------------------------------------

    def amavisd_release(self, sock):
        """A copy of amavisd-release that talks to sock."""
        src = "/usr/sbin/amavisd-release"
        if not os.path.exists(src):
            debs = glob.glob("/var/cache/apt/archives/amavisd-new_*.deb")
            if not debs:
                self.skipTest("amavisd-new is not installed")
            root = self.tmp.sub("amavisd-new")
            h.run(["dpkg-deb", "-x", debs[0], root], check=True)
            src = os.path.join(root, "usr/sbin/amavisd-release")
        with open(src) as f:
            text = f.read()
        text, n = re.subn(r"\$socketname = '/var/lib/amavis/amavisd.sock'",
                          "$socketname = '%s'" % sock, text)
        self.assertEqual(n, 1, "socket path not found in amavisd-release")
        path = os.path.join(self.tmp.path, "amavisd-release")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    def test_amavisd_release(self):
        fd = self.filterd()
        mail_id, secret, pt, _, _ = self.quarantine(fd, "rel amavisd")
        tool = self.amavisd_release(fd.sock)
        p = h.run([tool, "%s[%s]" % (mail_id, pt), secret],
                  timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"250 2.0.0", p.stderr + p.stdout)
        dumps = self.new(self.release_sink, 1)
        self.assertEqual(len(dumps), 1, dumps)
        self.assert_released(dumps[0], mail_id,
                             requested_by=dumps[0].body.split(
                                 b"Resent-From: ")[1].split(b"\r")[0]
                             .split(b"\n")[0].decode())
        self.assertEqual(self.rs(mail_id), ["R", "R"])


if __name__ == "__main__":
    unittest.main()
