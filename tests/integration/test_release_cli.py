"""test_release_cli - filterd-release, the quarantine release CLI.

Against a Python AM.PDP server that records the bytes of each request and
answers scripted setreply lines: the amavisd-release argument forms give
the exact request bytes; the exit status is 0 only when every recipient
got a 2xx, 75 on a 4xx or an unreachable socket, 1 on a 5xx or bad input
(the worst over all lines with "-"); nothing the server says reaches the
terminal unescaped.

Against a private MariaDB and a real filterd that quarantined mail:
--list (sort order, --json, --category, --recipient, --since) and --show
of a message quarantined in SQL and of one in a local gzip file; and one
release of each end to end, through filterd's own AM.PDP service."""

import getpass
import json
import os
import signal
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_checks import (EICAR, attachment, message, multipart,  # noqa: E402
                         signature_db)

ID = "AbCdEfGh1_-2"
OK = ("setreply=250 2.0.0 from%20MTA(smtp:[127.0.0.1]:12525):%20250%202.0.0"
      "%20Ok\r\n")


def release_bin():
    """release_bin - filterd-release, next to the filterd under test."""
    path = os.path.join(os.path.dirname(h.filterd_bin()), "filterd-release")
    if not os.access(path, os.X_OK):
        raise RuntimeError("filterd-release not found: %s" % path)
    return path


class PdpServer:
    """PdpServer - an AM.PDP server on a unix socket: records each request
    (its bytes up to and with the empty line) and answers the next scripted
    response (a string sent as is; None: close the connection)."""

    CLOSE = "\0close"  # at the end of a response: then close

    def __init__(self, path, responses):
        self.path = path
        self.closed = 0
        self.responses = list(responses)
        self.requests = []
        self.connections = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(10)
                self._serve(conn)
            self.closed += 1

    def _serve(self, conn):
        data = b""
        while True:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                try:
                    more = conn.recv(65536)
                except OSError:
                    return
                if not more:
                    return
                data += more
                continue
            self.requests.append(data[:end + 4])
            data = data[end + 4:]
            reply = self.responses.pop(0) if self.responses else None
            if reply is None:
                return
            close = reply.endswith(self.CLOSE)
            reply = reply[:-len(self.CLOSE)] if close else reply
            conn.sendall(reply.encode("latin-1"))
            if close:
                return

    def stop(self):
        self.done = True
        self.thread.join(5)
        self.sock.close()


class ReleaseRequestTest(unittest.TestCase):
    """Argument forms, request bytes and exit status."""

    def setUp(self):
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.path = os.path.join(self.tmp.path, "pdp.sock")
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.stop()

    def serve(self, *responses):
        self.server = PdpServer(self.path, responses)
        return self.server

    def release(self, *args, stdin=None, by="admin@example.com"):
        argv = [release_bin(), "-s", self.path]
        if by:
            argv += ["--requested-by", by]
        p = h.run(argv + list(args), timeout=30, input=stdin)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def test_sql_id_with_partition_and_secret(self):
        self.serve(OK + "\r\n")
        rc, out, err = self.release(ID + "[48]", "4zvezWTdHF4f")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.server.requests, [
            ("request=release\r\nmail_id=%s\r\nsecret_id=4zvezWTdHF4f\r\n"
             "partition_tag=48\r\nrequested_by=<admin@example.com>\r\n\r\n"
             % ID).encode()])
        self.assertEqual(
            out, "250 2.0.0 from MTA(smtp:[127.0.0.1]:12525): 250 2.0.0 Ok\n")

    def test_gzip_file_form(self):
        self.serve(OK + "\r\n")
        rc, out, err = self.release("spam/U/%s.gz" % ID, "sEcReT")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.server.requests[0], (
            "request=release\r\nmail_id=%s\r\nsecret_id=sEcReT\r\n"
            "quar_type=Z\r\nmail_file=spam/U/%s.gz\r\n"
            "requested_by=<admin@example.com>\r\n\r\n" % (ID, ID)).encode())

    def test_plain_file_forms(self):
        self.serve(OK + "\r\n", OK + "\r\n")
        rc, _, err = self.release("virus-" + ID)
        self.assertEqual(rc, 0, err)
        rc, _, err = self.release("A/banned-" + ID)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.server.requests, [
            ("request=release\r\nmail_id=%s\r\nquar_type=F\r\n"
             "mail_file=virus-%s\r\nrequested_by=<admin@example.com>\r\n"
             "\r\n" % (ID, ID)).encode(),
            ("request=release\r\nmail_id=%s\r\nquar_type=F\r\n"
             "mail_file=A/banned-%s\r\nrequested_by=<admin@example.com>\r\n"
             "\r\n" % (ID, ID)).encode()])

    def test_recipient_as_second_argument_and_mixed_replies(self):
        """An '@' in the second argument: recipients, no secret. One line
        per recipient, after it; a 4xx among 2xx exits 75."""
        self.serve(OK + "setreply=450 4.4.1 next%20hop%20down\r\n\r\n")
        rc, out, err = self.release(ID, "alice@example.com",
                                    "b%ob@example.com")
        self.assertEqual(rc, 75, err)
        self.assertEqual(self.server.requests[0], (
            "request=release\r\nmail_id=%s\r\n"
            "requested_by=<admin@example.com>\r\n"
            "recipient=<alice@example.com>\r\n"
            "recipient=<b%%25ob@example.com>\r\n\r\n" % ID).encode())
        self.assertEqual(out.splitlines(), [
            "alice@example.com: 250 2.0.0 from MTA(smtp:[127.0.0.1]:12525):"
            " 250 2.0.0 Ok",
            "b%ob@example.com: 450 4.4.1 next hop down"])

    def test_permanent_failure_exits_1_and_beats_4xx(self):
        self.serve("setreply=554 5.7.1 no%20thanks\r\n\r\n",
                   "setreply=450 4.4.1 later\r\nsetreply=554 5.1.1 unknown\r\n"
                   "setreply=250 2.0.0 Ok\r\n\r\n")
        rc, out, _ = self.release(ID)
        self.assertEqual((rc, out), (1, "554 5.7.1 no thanks\n"))
        rc, out, _ = self.release(ID, "a@x.example", "b@x.example",
                                  "c@x.example")
        self.assertEqual(rc, 1, out)

    def test_request_failure_is_tempfail_without_recipient_prefix(self):
        """amavis' failure answer: one 450 line for a request naming two
        recipients; it is not put on the first recipient; exit 75 (where
        amavisd-release exits 0)."""
        self.serve("setreply=450 4.5.0 Failure:%20Secret_id%20AAAAAAAAAAAA"
                   "%20does%20not%20match\r\nreturn_value=tempfail\r\n"
                   "exit_code=75\r\n\r\n")
        rc, out, _ = self.release(ID, "AAAAAAAAAAAA", "a@x.example",
                                  "b@x.example")
        self.assertEqual(rc, 75)
        self.assertEqual(
            out, "450 4.5.0 Failure: Secret_id AAAAAAAAAAAA does not match\n")

    def test_requeue_and_default_requested_by(self):
        self.serve(OK + "\r\n")
        conf = os.path.join(self.tmp.path, "f.conf")
        with open(conf, "w") as f:
            f.write("myhostname = rel.example\n")
        p = h.run([release_bin(), "-c", conf, "-s", self.path, "--requeue",
                   ID], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.server.requests[0], (
            "request=requeue\r\nmail_id=%s\r\nrequested_by=<%s@rel.example>"
            "\r\n\r\n" % (ID, getpass.getuser())).encode())

    def test_id_starting_with_dash_or_underscore(self):
        """filterd's base64url mail_ids may start with '-' or '_'; after
        "--" the first is no option."""
        self.serve(OK + "\r\n", OK + "\r\n")
        for mid in ("-bCdEfGh1_-2", "_bCdEfGh1_-2"):
            rc, _, err = self.release("--", mid)
            self.assertEqual(rc, 0, err)
        self.assertEqual([r.split(b"\r\n")[1] for r in
                          self.server.requests],
                         [b"mail_id=-bCdEfGh1_-2", b"mail_id=_bCdEfGh1_-2"])

    def test_ids_starting_with_dash_without_double_dash(self):
        """amavisd-release takes no options: an id or secret that begins
        with "-" (one mail_id in 64) is taken as it is, without "--";
        one that begins a long option's name stays that option."""
        self.serve(*([OK + "\r\n"] * 3))
        for args in (("-bCdEfGh1_-2",), ("-bCdEfGh1_-2[7]", "--cretSecret"),
                     ("--requeue", "-bCdEfGh1_-2")):
            rc, _, err = self.release(*args)
            self.assertEqual(rc, 0, err)
        self.assertEqual([r.split(b"\r\n")[:3] for r in
                          self.server.requests],
                         [[b"request=release", b"mail_id=-bCdEfGh1_-2",
                           b"requested_by=<admin@example.com>"],
                          [b"request=release", b"mail_id=-bCdEfGh1_-2",
                           b"secret_id=--cretSecret"],
                          [b"request=requeue", b"mail_id=-bCdEfGh1_-2",
                           b"requested_by=<admin@example.com>"]])
        # A value of -s is the socket's path, not an id.
        rc, _, err = self.release("-s", "-bCdEfGh1_-2", ID, by=None)
        self.assertEqual(rc, 75, err)
        self.assertIn("-bCdEfGh1_-2", err)
        # Not 12 characters of the alphabet: still an option.
        rc, _, err = self.release("-bCdEfGh1_-", by=None)
        self.assertEqual(rc, 1)
        self.assertIn("usage", err)

    def test_socket_missing(self):
        rc, out, err = self.release(ID)
        self.assertEqual(rc, 75)
        self.assertEqual(out, "")
        self.assertIn("cannot reach filterd at %s" % self.path, err)

    def test_socket_from_configuration(self):
        """-c: the socket is pdp_socket of the file; a file with none
        says so and exits 75."""
        self.serve(OK + "\r\n")
        conf = os.path.join(self.tmp.path, "f.conf")
        with open(conf, "w") as f:
            f.write("# no pdp_socket\n")
        p = h.run([release_bin(), "-c", conf, ID], timeout=30)
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertIn(b"no pdp_socket in " + conf.encode(), p.stderr)
        with open(conf, "w") as f:
            f.write('pdp_socket = "%s"\n' % self.path)
        p = h.run([release_bin(), "-c", conf, ID], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.server.requests), 1)

    def test_server_closes_or_says_nothing(self):
        self.serve(None)
        rc, _, err = self.release(ID)
        self.assertEqual(rc, 75)
        self.assertIn("connection ended before the reply did", err)
        self.server.stop()
        os.unlink(self.path)
        self.serve("return_value=continue\r\n\r\n")
        rc, _, err = self.release(ID)
        self.assertEqual(rc, 75)
        self.assertIn("no setreply", err)

    def test_cut_reply_keeps_the_worst(self):
        """A 5xx stays a 5xx when the connection then ends early; a reply
        without an enhanced code is printed without a gap."""
        self.serve("setreply=554 5.7.1 no\r\nsetreply=250 Ok\r\n"
                   + PdpServer.CLOSE)
        rc, out, err = self.release(ID)
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "554 5.7.1 no\n250 Ok\n")
        self.assertIn("connection ended before the reply did", err)

    def test_hostile_reply_is_escaped(self):
        self.serve("setreply=250 2.0.0 ok%1b[31mred%0d%0aforged%c2%9b\r\n\r\n")
        rc, out, _ = self.release(ID)
        self.assertEqual(rc, 0)
        self.assertEqual(out, "250 2.0.0 ok\\x1b[31mred\\r\\nforged"
                              "\\xc2\\x9b\n")

    def test_bad_input(self):
        for args in (["../etc/passwd"], ["spam/../x/%s" % ID],
                     [ID + "[4 8]"], ["bad id"], [ID, "sec\x01ret"],
                     [ID, "a@x.example", "b @x.example"]):
            rc, _, err = self.release(*args)
            self.assertEqual(rc, 1, (args, err))
        rc, _, err = self.release(by=None)
        self.assertEqual(rc, 1)
        self.assertIn("usage:", err)
        many = " ".join([ID] + ["r%d@x.example" % i for i in range(1100)])
        rc, _, err = self.release("-", stdin=many.encode() + b"\n")
        self.assertEqual(rc, 1)
        self.assertIn("line 1: more than 1023 fields", err)

    def test_stdin_one_connection_worst_status(self):
        self.serve(OK + "\r\n", "setreply=450 4.4.1 later\r\n\r\n")
        lines = ("# comment\n\n%s[48] secret1\n  virus-%s.gz  "
                 "a@x.example\n" % (ID, ID))
        rc, out, err = self.release("-", stdin=lines.encode())
        self.assertEqual(rc, 75, err)
        self.assertEqual(self.server.connections, 1)
        self.assertEqual(len(self.server.requests), 2)
        self.assertIn(b"quar_type=Z\r\nmail_file=virus-%s.gz\r\n" %
                      ID.encode(), self.server.requests[1])
        self.assertEqual(out.splitlines()[1],
                         "a@x.example: 450 4.4.1 later")
        self.server.stop()
        os.unlink(self.path)
        # A bad line is a permanent failure of its own; the rest go on.
        self.serve(OK + "\r\n")
        rc, _, err = self.release("-", stdin=b"bad/../id\n%s\n" %
                                  ID.encode())
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(self.server.requests), 1)
        self.assertIn("line 1:", err)


    def test_stdin_reconnects_when_the_server_closed(self):
        """A server that closed the connection between two requests (a
        child at max_requests, an idle timeout) costs a reconnect, not
        the next request, nor a SIGPIPE."""
        import subprocess
        self.serve(OK + "\r\n" + PdpServer.CLOSE, OK + "\r\n")
        p = subprocess.Popen([release_bin(), "-s", self.path, "-"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            p.stdin.write(b"%s\n" % ID.encode())
            p.stdin.flush()
            self.assertTrue(h.wait_until(lambda: self.server.closed == 1))
            p.stdin.write(b"%s[48]\n" % ID.encode())
            p.stdin.close()
            p.wait(20)
            out, err = p.stdout.read(), p.stderr.read()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(len(out.decode().splitlines()), 2, out)
        self.assertEqual(self.server.connections, 2)
        self.assertEqual(len(self.server.requests), 2)


SPAM_RULES = ("body SEVEN /sevenpoints/\nscore SEVEN 7.0\n"
              "body TWELVE /twelvepoints/\nscore TWELVE 12.0\n"
              "body TWENTY /twentypoints/\nscore TWENTY 20.0\n")


class ReleaseSqlTest(h.PeerTestCase):
    """--list and --show against mail a real filterd quarantined."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink = h.Sink(cls.tmp, "sink")
        cls.db = h.MariaDB(cls.tmp, "db")
        cls.start_for_class(cls.sink, cls.db)
        sql_tool = os.path.join(os.path.dirname(h.filterd_bin()),
                                "filterd-sql")
        p = h.run([sql_tool, "-d", cls.db.dsn(), "init"], timeout=60)
        assert p.returncode == 0, p.stderr
        rules = os.path.join(cls.tmp.path, "rules.cf")
        with open(rules, "w") as f:
            f.write(SPAM_RULES)
        clamdb = cls.tmp.sub("clamdb")
        signature_db(clamdb)
        cls.fd = h.Filterd(
            cls.tmp, "fd", spam_rules=[rules], quarantine_gzip=True,
            banks={"default": {
                "forward": [cls.sink.addr], "spam_quarantine": "sql",
                "virus_quarantine": "local",
                "final_spam_destiny": "discard"}},
            raw='sql { storage = {"%s"} }\nclamav { database = "%s" }\n'
                % (cls.db.dsn(), clamdb))
        cls.start_for_class(cls.fd)
        cls.ids = {}
        for word, rcpt in (("twelvepoints", "b@example.net"),
                           ("sevenpoints", "a@example.net"),
                           ("twentypoints", "c@example.net")):
            subject = "=?UTF-8?Q?caf=C3=A9_%s?=" % word
            body = (b"Hello,\r\n" + word.encode() +
                    b" with \x1b[31mcolour\r\n")
            r = h.send_message(cls.fd.port, "sender@example.org",
                               [rcpt, "all@example.net"],
                               message(body, subject), timeout=30)
            assert r.code == 250, r
            cls.ids[word] = r.text.split("id=")[1].split(" ")[0].rstrip(",")
        r = h.send_message(cls.fd.port, "virus@example.org",
                           ["v@example.net"], message(multipart([
                               (b"Content-Type: text/plain\r\n",
                                b"see the attachment\r\n"),
                               attachment("eicar.com", EICAR)]), "virus"),
                           timeout=30)
        assert r.code == 250, r
        cls.ids["virus"] = r.text.split("id=")[1].split(" ")[0].rstrip(",")

    def tool(self, *args):
        p = h.run([release_bin(), "-c", self.fd.conf_path] + list(args),
                  timeout=30)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def listed(self, *args):
        rc, out, err = self.tool("--list", "--json", *args)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def test_list_sorted_by_score_lowest_first(self):
        rows = self.listed("--category", "spam")
        self.assertEqual([r["mail_id"] for r in rows],
                         [self.ids[w] for w in ("sevenpoints", "twelvepoints",
                                                "twentypoints")])
        self.assertEqual([r["score"] for r in rows], [7.0, 12.0, 20.0])
        first = rows[0]
        self.assertEqual(first["sender"], "sender@example.org")
        self.assertEqual(first["recipients"],
                         ["a@example.net", "all@example.net"])
        self.assertEqual(first["category"], "spam")
        self.assertEqual(first["id"], "%s[%s]" % (first["mail_id"],
                                                  first["partition_tag"]))
        self.assertEqual(first["subject"], "caf\u00e9 sevenpoints")
        # Text output: one line per message, the same order.
        rc, out, _ = self.tool("--list", "--category", "S")
        self.assertEqual(rc, 0)
        lines = out.splitlines()
        self.assertEqual(len(lines), 3, out)
        self.assertTrue(lines[0].startswith(self.ids["sevenpoints"] + "["))
        self.assertIn("<sender@example.org> -> <a@example.net>, "
                      "<all@example.net>", lines[0])

    def test_list_sort_time_and_filters(self):
        rows = self.listed("--sort", "time")
        times = [r["time_num"] for r in rows]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertEqual(len(rows), 4)
        self.assertEqual([r["mail_id"] for r in
                          self.listed("--category", "virus")],
                         [self.ids["virus"]])
        self.assertEqual([r["mail_id"] for r in
                          self.listed("--recipient", "C@Example.net")],
                         [self.ids["twentypoints"]])
        self.assertEqual(len(self.listed("--recipient",
                                         "all@example.net")), 3)
        self.assertEqual(self.listed("--since", "2999-01-01"), [])
        self.assertEqual(len(self.listed("--since", "1d")), 4)

    def test_list_hostile_row_is_escaped(self):
        """A row another writer left with control characters in its
        mail_id, sender and subject: escaped in text, valid in JSON."""
        db = self.db.database
        self.db.sql(
            "INSERT INTO maddr (partition_tag, email, domain) VALUES "
            "(1, X'6576696C1B5D303B7469746C6507406578616D706C652E6F7267', "
            "'org.example'); "
            "INSERT INTO msgs (partition_tag, mail_id, secret_id, am_id, "
            "time_num, time_iso, sid, size, host, content, quar_type, "
            "quar_loc, spam_level, subject) SELECT 1, "
            "X'1B5B324A6576696C', '', '', 1, '', id, 0, '', 'S', 'Q', 'x', "
            "99, 'sub\\rject\\n' FROM maddr "
            "WHERE partition_tag = 1; COMMIT", db)
        try:
            rc, out, err = self.tool("--list", "--sort", "time")
            self.assertEqual(rc, 0, err)
            self.assertNotIn("\x1b", out)
            self.assertNotIn("\x07", out)
            self.assertIn("\\x1b[2Jevil[1]", out)
            self.assertIn("<evil\\x1b]0;title\\x07@example.org>", out)
            self.assertIn("sub\\rject\\n", out)
            rows = self.listed("--sort", "time")
            self.assertEqual(rows[-1]["mail_id"], "\x1b[2Jevil")
            self.assertEqual(rows[-1]["sender"],
                             "evil\x1b]0;title\x07@example.org")
        finally:
            self.db.sql("DELETE FROM msgs WHERE partition_tag = 1; "
                        "DELETE FROM maddr WHERE partition_tag = 1; COMMIT",
                        db)

    def test_show_sql(self):
        rc, out, err = self.tool("--show", self.ids["twelvepoints"])
        self.assertEqual(rc, 0, err)
        self.assertIn("(sql)", out.splitlines()[0])
        self.assertIn("  X-Envelope-From: <sender@example.org>\n", out)
        self.assertIn("  X-Envelope-To-Blocked: <b@example.net>,", out)
        self.assertIn("  Subject: caf\u00e9 twelvepoints\n", out)
        self.assertIn("  twelvepoints with \\x1b[31mcolour\n", out)
        self.assertNotIn("\x1b", out)

    def test_show_local_gzip(self):
        mail_id = self.ids["virus"]
        name = "%s/virus-%s.gz" % (mail_id[0], mail_id)
        for arg in (mail_id, name):
            rc, out, err = self.tool("--show", arg)
            self.assertEqual(rc, 0, err)
            self.assertIn("(file %s/%s)" % (self.fd.params["quarantine_dir"],
                                             name), out.splitlines()[0])
            self.assertIn("  X-Envelope-From: <virus@example.org>\n", out)
            self.assertIn("  see the attachment\n", out)
            self.assertIn("application/octet-stream, eicar.com "
                          "(not shown)", out)
            self.assertNotIn("X5O!P%@AP", out)

    def test_show_local_without_sql(self):
        """Without SQL, a bare mail_id is looked for under
        quarantine_dir."""
        conf = os.path.join(self.tmp.path, "nosql.conf")
        with open(conf, "w") as f:
            f.write('quarantine_dir = "%s"\n' %
                    self.fd.params["quarantine_dir"])
        p = h.run([release_bin(), "-c", conf, "--show", self.ids["virus"]],
                  timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"  see the attachment\n", p.stdout)
        p = h.run([release_bin(), "-c", conf, "--show", "ZZZZZZZZZZZZ"],
                  timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"no such message under", p.stderr)

    def test_show_unknown(self):
        rc, _, err = self.tool("--show", "ZZZZZZZZZZZZ")
        self.assertEqual(rc, 1)
        self.assertIn("no such message", err)


class ReleaseEndToEndTest(h.PeerTestCase):
    """filterd-release against filterd's own AM.PDP service: viruses
    quarantined in SQL and in a local gzip file are released to the
    release sink once; a wrong secret delivers nothing and exits 75."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.release_sink = h.Sink(cls.tmp, "release")
        cls.forward_sink = h.Sink(cls.tmp, "forward")
        cls.db = h.MariaDB(cls.tmp, "db")
        cls.start_for_class(cls.release_sink, cls.forward_sink, cls.db)
        sql_tool = os.path.join(os.path.dirname(h.filterd_bin()),
                                "filterd-sql")
        p = h.run([sql_tool, "-d", cls.db.dsn(), "init"], timeout=60)
        assert p.returncode == 0, p.stderr
        clamdb = cls.tmp.sub("clamdb")
        signature_db(clamdb)
        ports = h.free_ports(2)
        cls.sock = os.path.join(cls.tmp.path, "pdp.sock")
        cls.fd = h.Filterd(
            cls.tmp, "fd", listen=[(ports[0], "smtp", "default"),
                                   (ports[1], "smtp", "local")],
            quarantine_gzip=True, pdp_socket=cls.sock, banks={
                "default": {"forward": [cls.forward_sink.addr],
                            "release": [cls.release_sink.addr],
                            "virus_quarantine": "sql"},
                "local": {"virus_quarantine": "local"}},
            raw='sql { storage = {"%s"} }\nclamav { database = "%s" }\n'
                % (cls.db.dsn(), clamdb))
        cls.fd.local_port = ports[1]
        cls.start_for_class(cls.fd)
        assert h.wait_until(lambda: os.path.exists(cls.sock), 10)

    def quarantine(self, port, subject):
        r = h.send_message(port, "sender@example.org",
                           ["one@example.net", "two@example.net"],
                           message(multipart([
                               (b"Content-Type: text/plain\r\n",
                                b"hello\r\n"),
                               attachment("eicar.com", EICAR)]), subject),
                           timeout=30)
        self.assertEqual(r.code, 250, r)
        mail_id = r.text.split("id=")[1].split(" ")[0].rstrip(",")
        return mail_id, self.db.sql(
            "SELECT secret_id, partition_tag, quar_loc FROM msgs WHERE "
            "mail_id = '%s'" % mail_id, self.db.database)[0]

    def release(self, *args):
        p = h.run([release_bin(), "-c", self.fd.conf_path,
                   "--requested-by", "admin@example.com", "--"] +
                  list(args), timeout=60)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def released(self, subject, n):
        h.wait_until(lambda: len([d for d in self.release_sink.dumps()
                                  if subject.encode() in d.body]) >= n, 15)
        return [d for d in self.release_sink.dumps()
                if subject.encode() in d.body]

    def test_release_sql_and_wrong_secret(self):
        mail_id, (secret, pt, loc) = self.quarantine(self.fd.port,
                                                     "e2e sql")
        self.assertEqual(loc, "%s[%s]" % (mail_id, pt))
        rc, out, err = self.release(loc, "AAAAAAAAAAAA")
        self.assertEqual(rc, 75, out + err)
        self.assertRegex(out, r"^450 4\.5\.0 Failure: ")
        rc, out, err = self.release(loc, secret)
        self.assertEqual(rc, 0, out + err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 2, out)
        for line in lines:
            self.assertRegex(line, r"^250 2\.0\.0 ")
        dumps = self.released("e2e sql", 1)
        self.assertEqual(len(dumps), 1, dumps)
        self.assertEqual(dumps[0].rcpts, ["one@example.net",
                                          "two@example.net"])
        self.assertIn(b"Resent-From: <admin@example.com>", dumps[0].body)
        self.assertEqual(self.forward_sink.count(), 0)

    def test_release_local_gzip_file_to_one_recipient(self):
        mail_id, (secret, pt, loc) = self.quarantine(self.fd.local_port,
                                                     "e2e gz")
        self.assertEqual(loc, "%s/virus-%s.gz" % (mail_id[0], mail_id))
        rc, out, err = self.release(loc, secret, "two@example.net")
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"^two@example\.net: 250 2\.0\.0 [^\n]*\n$")
        dumps = self.released("e2e gz", 1)
        self.assertEqual(len(dumps), 1, dumps)
        self.assertEqual(dumps[0].rcpts, ["two@example.net"])


class SecondInstanceTest(h.PeerTestCase):
    """A second filterd whose pdp_socket is the path a running filterd
    serves does not take the socket over: it fails to start, as it does
    on a port in use, and requests there still reach the first."""

    def ask(self, path):
        """ask - an unknown request on path: the reply's first line."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(path)
            s.sendall(b"request=ping\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.split(b"\r\n")[0]

    def test_second_instance_does_not_take_the_socket(self):
        sock = os.path.join(self.tmp.path, "pdp.sock")
        first = h.Filterd(self.tmp, "first", pdp_socket=sock)
        self.start(first)
        self.assertTrue(h.wait_until(lambda: os.path.exists(sock), 10))
        self.assertTrue(self.ask(sock).startswith(b"setreply=502 "))
        second = h.Filterd(self.tmp, "second", pdp_socket=sock)
        self.peers.append(second)
        second.start(wait=False)
        h.wait_until(lambda: not second.running(), 10)
        self.assertFalse(second.running(),
                         "a second filterd took over %s" % sock)
        self.assertNotEqual(second.proc.returncode, 0)
        self.assertIn("in use", second.log_text())
        self.assertTrue(first.running())
        self.assertTrue(self.ask(sock).startswith(b"setreply=502 "))


    def test_rejected_reload_leaves_no_new_socket(self):
        """A reload that names a new pdp_socket and is then rejected (its
        quarantine_dir cannot be made) changes nothing: no socket file nobody
        serves at the new path, the old one still answers."""
        old = os.path.join(self.tmp.path, "old.sock")
        new = os.path.join(self.tmp.path, "new.sock")
        fd = h.Filterd(self.tmp, "reload", pdp_socket=old)
        self.start(fd)
        self.assertTrue(h.wait_until(lambda: os.path.exists(old), 10))
        fd.params["pdp_socket"] = new
        fd.params["quarantine_dir"] = "/dev/null/quarantine"
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reload rejected" in fd.log_text(), 10), fd.log_text())
        self.assertFalse(os.path.exists(new),
                         "a rejected reload left %s" % new)
        self.assertTrue(self.ask(old).startswith(b"setreply=502 "))
        # A reload that is done keeps the socket it reuses.
        fd.params["pdp_socket"] = old
        fd.params["quarantine_dir"] = os.path.join(fd.dir, "quarantine")
        fd.write_conf()
        fd.signal(signal.SIGHUP)
        self.assertTrue(h.wait_until(
            lambda: "reloaded" in fd.log_text(), 10), fd.log_text())
        self.assertTrue(self.ask(old).startswith(b"setreply=502 "))


if __name__ == "__main__":
    unittest.main()
