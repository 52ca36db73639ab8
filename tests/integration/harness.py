"""harness - run filterd between real mail peers on loopback.

Integration tests start every peer themselves (filterd, smtp-sink,
smtp-source, a private Postfix instance) with all files under one temporary
directory, and stop each of them by pid at the end.  Nothing here kills by
name, and every wait is bounded in time.

Standard library only.  Environment:
    FILTERD_BIN        absolute path of the filterd binary (default:
                       <repo>/build/bin/filterd)
    FILTERD_TEST_KEEP  when set to 1, temporary directories are kept (their
                       path is printed) so that logs can be read afterwards.
    FILTERD_SANITIZE   the -fsanitize= list the binaries were built with
                       (set by ctest in a FILTERD_SANITIZE build): tests
                       that measure a child's memory are skipped
                       (rss_test).
    FILTERD_WRAPPER    a command (split like a shell's words) that runs the
                       master Filterd.start starts, e.g. valgrind with its
                       options (tests/sanitize/valgrind-pool).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LOCALHOST = "127.0.0.1"

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
POSTQUEUE = shutil.which("postqueue") or "/usr/sbin/postqueue"
SWAKS = shutil.which("swaks") or "/usr/bin/swaks"

IS_ROOT = os.geteuid() == 0


def filterd_bin():
    """filterd_bin - the binary under test; fail loudly when it is missing."""
    path = os.environ.get("FILTERD_BIN") or os.path.join(REPO, "build", "bin",
                                                         "filterd")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError("filterd binary not found or not executable: %s "
                           "(set FILTERD_BIN)" % path)
    return os.path.abspath(path)


SANITIZED = os.environ.get("FILTERD_SANITIZE", "")

# rss_test - for a test whose point is a child's resident size: skipped in
# a sanitizer build, where that size is mostly ASan's (shadow memory,
# redzones, the quarantine of freed blocks) and a huge message parses many
# times slower; the plain build's run asserts the bound.
rss_test = unittest.skipIf(
    SANITIZED, "built with -fsanitize=%s: a child's RSS is ASan's shadow, "
    "redzones and quarantine, not filterd's (the plain build checks it)"
    % SANITIZED)


def rules_engine():
    """rules_engine - the spam rules' engine of the filterd under test,
    "vectorscan+pcre2" or "pcre2" (a build without Vectorscan), as its
    -V says. When FILTERD_WITH_VECTORSCAN (set by ctest from the build's
    WITH_VECTORSCAN result) is ON, a binary without Vectorscan is an
    error, not a reason to skip."""
    out = subprocess.run([filterd_bin(), "-V"], capture_output=True,
                         text=True, timeout=30).stdout
    m = re.search(r"\(spam rules: ([a-z0-9+]+)\)", out)
    if m is None or m.group(1) not in ("vectorscan+pcre2", "pcre2"):
        raise RuntimeError("filterd -V names no rule engine: %r" % out)
    want = os.environ.get("FILTERD_WITH_VECTORSCAN", "")
    if want == "ON" and m.group(1) != "vectorscan+pcre2":
        raise RuntimeError("the build has Vectorscan but %s -V says %r"
                           % (filterd_bin(), out))
    if want == "OFF" and m.group(1) != "pcre2":
        raise RuntimeError("the build has no Vectorscan but %s -V says %r"
                           % (filterd_bin(), out))
    return m.group(1)


def need_vectorscan(what):
    """need_vectorscan - skip (unittest.SkipTest) a test of Vectorscan's
    own facts (its databases, their cache, its paths) when the filterd
    under test is built without it; what names the test."""
    if rules_engine() != "vectorscan+pcre2":
        raise unittest.SkipTest(
            "%s: filterd is built without Vectorscan (WITH_VECTORSCAN); "
            "its rules run on PCRE2 alone" % what)


def filterd_wrapper():
    """filterd_wrapper - the words of FILTERD_WRAPPER (none when unset)."""
    import shlex
    return shlex.split(os.environ.get("FILTERD_WRAPPER", ""))


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def wait_until(pred, timeout=10.0, interval=0.05):
    """wait_until - poll pred() until it is truthy or timeout seconds pass.

    Returns pred's last value (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# Ports for the servers tests start, below the kernel's ephemeral range
# (32768-60999 on Linux): a port bind(0) hands out is one any process's
# next connect() may take as its local port, and one another test run in
# parallel is handed next. Random ports here, each tried by bind, collide
# only if two tests pick the same one in the same instant.
TEST_PORTS = (10000, 30000)


# Ports this process handed out: never handed out again, so that two
# servers of one test (a Sink picked after the ports of a Postfix that
# has not bound them yet) cannot be given the same port.
_HANDED_OUT = set()


def _bound_test_port():
    """A socket bound to a free port of TEST_PORTS (not listening) that
    this process has not handed out before."""
    import random
    for _ in range(1000):
        port = random.randrange(*TEST_PORTS)
        if port in _HANDED_OUT:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((LOCALHOST, port))
            _HANDED_OUT.add(port)
            return s
        except OSError:
            s.close()
    raise RuntimeError("no free port in %d-%d" % TEST_PORTS)


def free_ports(count):
    """free_ports - count distinct free TCP ports on 127.0.0.1, for
    servers the test starts (TEST_PORTS).

    All sockets stay bound until every port is chosen, so the ports are
    distinct."""
    socks = []
    try:
        for _ in range(count):
            socks.append(_bound_test_port())
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


def refusing_ports(test, count):
    """refusing_ports - count ports on 127.0.0.1 that refuse connections
    until the test ends: bound, never listening, so no other test run in
    parallel can be handed one and answer on it (as a port that was only
    free a moment ago can)."""
    ports = []
    for _ in range(count):
        s = _bound_test_port()
        test.addCleanup(s.close)
        ports.append(s.getsockname()[1])
    return ports


def port_open(port, host=LOCALHOST):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port, timeout=10.0, host=LOCALHOST, proc=None):
    """wait_port - wait until something accepts on port (bounded).

    When proc (a Popen) is given, stop waiting as soon as it has exited."""
    def ready():
        if proc is not None and proc.poll() is not None:
            return "exited"
        return port_open(port, host)
    r = wait_until(ready, timeout, 0.05)
    return r is True


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def child_pids(ppid):
    """child_pids - pids whose parent is ppid (read from /proc)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid and fields[0] != "Z":
            out.append(int(name))
    return out


def vm_hwm_kb(pid):
    """vm_hwm_kb - a process's peak resident size (VmHWM, kB), or None
    when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def children_peak_mb(fd, action):
    """children_peak_mb - run action() while watching the children of
    filterd fd: (what action returned, the largest VmHWM a child reached,
    in MB; 0 when none was seen)."""
    import threading
    peak = {}
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for pid in fd.children():
                kb = vm_hwm_kb(pid)
                if kb is not None:
                    peak[pid] = kb // 1024
            time.sleep(0.02)
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        result = action()
    finally:
        stop.set()
        t.join(5)
    return result, max(peak.values() or [0])


def stop_popen(proc, timeout=10.0, sig=signal.SIGTERM):
    """stop_popen - signal proc by pid, wait bounded, then SIGKILL.

    Returns the exit status (negative: killed by that signal)."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def stop_tree(proc, kids, timeout=10.0):
    """stop_tree - stop_popen(proc), then wait (bounded) for the children
    it had, kids, and kill by pid those still alive; returns (exit status,
    the pids that had to be killed)."""
    status = stop_popen(proc, timeout)
    left = [p for p in kids
            if wait_until(lambda: not pid_alive(p), 3, 0.05) is False]
    for p in left:
        kill_pid(p)
    return status, left


def read_text(path):
    """read_text - a log file as text ("" while it does not exist)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def kill_pid(pid, timeout=5.0):
    """kill_pid - SIGTERM one pid, wait bounded, then SIGKILL it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_until(lambda: not pid_alive(pid), timeout, 0.05):
            return


def run(argv, timeout=30, check=False, **kw):
    """run - run a command with a time limit, capturing its output."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s %s" % (
            " ".join(argv), p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace")))
    return p


class TempDir:
    """TempDir - one world-readable temporary directory per test class."""

    def __init__(self, prefix="filterd-it-"):
        self.path = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.path, 0o755)

    def sub(self, name, mode=0o755):
        p = os.path.join(self.path, name)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
        return p

    def file(self, name):
        return os.path.join(self.path, name)

    def cleanup(self):
        if os.environ.get("FILTERD_TEST_KEEP") == "1":
            sys.stderr.write("kept %s\n" % self.path)
            return
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


# ---------------------------------------------------------------------------
# Message helpers
# ---------------------------------------------------------------------------

def dot_stuff(msg):
    """dot_stuff - SMTP transparency (RFC 5321 4.5.2) for a CRLF message.

    A '.' is doubled at the start of the message and after every LF (a bare
    LF too; tests keep dots away from bare-LF lines to stay unambiguous)."""
    out = re.sub(rb"(?m)^\.", b"..", msg)
    return out


def data_payload(msg):
    """data_payload - bytes to send after 354: stuffed message + CRLF.CRLF.

    A message that does not end with a line end gets CRLF before the dot."""
    body = dot_stuff(msg)
    if not body.endswith(b"\n"):
        body += b"\r\n"
    elif not body.endswith(b"\r\n"):
        body = body[:-1] + b"\r\n"
    return body + b".\r\n"


def sink_view(msg):
    """sink_view - what smtp-sink's dump holds for message msg.

    msg is the content as the client meant it (before dot-stuffing).  The
    dump turns CRLF into LF, drops bare CR, and a last line without line end
    was ended by the CRLF of the terminator."""
    if not msg.endswith(b"\n"):
        msg += b"\r\n"
    return msg.replace(b"\r\n", b"\n").replace(b"\r", b"")


def strip_leading_received(body):
    """strip_leading_received - drop leading Received: header fields."""
    lines = body.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].lower().startswith(b"received:"):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return b"\n".join(lines[i:])


# ---------------------------------------------------------------------------
# smtp-sink
# ---------------------------------------------------------------------------

def _angle(arg):
    m = re.match(r"\s*<([^>]*)>", arg)
    if m:
        return m.group(1)
    return arg.split()[0] if arg.split() else ""


class Dump:
    """Dump - one message captured by smtp-sink -d."""

    def __init__(self, path, raw):
        self.path = path
        self.raw = raw
        self.client_addr = None
        self.proto = None
        self.helo = None
        self.mail_args = None
        self.rcpt_args = []
        self.complete = False
        lines = raw.split(b"\n")
        i = 0
        while i < len(lines):
            line = lines[i].decode("utf-8", "replace")
            i += 1
            if line.startswith("X-Client-Addr: "):
                self.client_addr = line[15:]
            elif line.startswith("X-Client-Proto: "):
                self.proto = line[16:]
            elif line.startswith("X-Helo-Args: "):
                self.helo = line[13:]
            elif line.startswith("X-Mail-Args: "):
                self.mail_args = line[13:]
            elif line.startswith("X-Rcpt-Args: "):
                self.rcpt_args.append(line[13:])
            elif line.startswith("Received: "):
                while i < len(lines) and lines[i][:1] == b"\t":
                    i += 1
                break
            else:
                break
        rest = b"\n".join(lines[i:])
        # The dump ends with the message's last LF plus one empty line.
        self.complete = rest.endswith(b"\n\n") or rest == b"\n"
        self.body = rest[:-1] if self.complete else rest
        self.sender = _angle(self.mail_args) if self.mail_args else None
        self.rcpts = [_angle(a) for a in self.rcpt_args]

    def __repr__(self):
        return "<Dump %s from=%r to=%r %d bytes>" % (
            os.path.basename(self.path), self.sender, self.rcpts,
            len(self.body))


class Sink:
    """Sink - an smtp-sink that dumps each message to its own file."""

    def __init__(self, tmp, name="sink", port=None, args=(), lmtp=False):
        self.tmp = tmp
        self.name = name
        self.port = port or free_port()
        self.args = list(args) + (["-L"] if lmtp else [])
        self.dir = tmp.sub(name + "-dumps", 0o777)
        self.proc = None
        self.out = tmp.file(name + ".out")

    @property
    def addr(self):
        return "%s:%d" % (LOCALHOST, self.port)

    def start(self):
        argv = [SMTP_SINK]
        if IS_ROOT:
            argv += ["-u", "nobody"]
        argv += ["-d", os.path.join(self.dir, "%H%M%S.")] + self.args + [
            "%s:%d" % (LOCALHOST, self.port), "100"]
        with open(self.out, "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=out,
                                         stdin=subprocess.DEVNULL)
        if not wait_port(self.port, 10, proc=self.proc):
            raise RuntimeError("smtp-sink %s did not start: %s" % (
                self.name, open(self.out, "rb").read()))
        return self

    def files(self):
        try:
            return sorted(os.path.join(self.dir, f)
                          for f in os.listdir(self.dir))
        except FileNotFoundError:
            return []

    def dumps(self, complete_only=True):
        out = []
        for p in self.files():
            try:
                with open(p, "rb") as f:
                    d = Dump(p, f.read())
            except FileNotFoundError:
                continue
            if d.complete or not complete_only:
                out.append(d)
        out.sort(key=lambda d: (os.path.getmtime(d.path)
                                if os.path.exists(d.path) else 0, d.path))
        return out

    def count(self):
        return len(self.dumps())

    def wait_count(self, n, timeout=10.0):
        """wait_count - wait until at least n complete dumps exist."""
        return wait_until(lambda: self.count() >= n, timeout, 0.05) and \
            self.count()

    def stop(self):
        return stop_popen(self.proc, 5)


class Silent:
    """Silent - a TCP listener that accepts connections but never speaks.

    A next hop that times out.  Connections stay open until stop()."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOCALHOST, self.port))
        self.sock.listen(16)

    @property
    def addr(self):
        return "%s:%d" % (LOCALHOST, self.port)

    def stop(self):
        self.sock.close()


class WireTransaction:
    """WireTransaction - what a WireSink saw of one mail transaction."""

    def __init__(self, helo, xforward):
        self.helo = helo
        self.xforward = list(xforward)
        self.mail = None        # the MAIL command line, without CRLF
        self.rcpts = []         # the RCPT command lines
        self.data = None        # bytes after 354 up to (not incl.) ".\r\n"

    @property
    def sender(self):
        m = re.match(rb"MAIL FROM:\s*<([^>]*)>", self.mail or b"", re.I)
        return m.group(1).decode("utf-8", "replace") if m else None


class ScriptedServer:
    """ScriptedServer - a TCP peer on loopback whose behaviour a test
    scripts: one thread accepts, one thread per connection runs
    serve(conn) (a subclass's; the connection is closed after it, and an
    OSError ends it quietly). stop() closes the listener and every
    connection and joins the threads (bounded). Standard library only."""

    def __init__(self, port=None, backlog=32):
        import threading
        self._threading = threading
        self.port = port or free_port()
        self.backlog = backlog
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = []
        self.conns = []
        self.sock = None

    @property
    def addr(self):
        return "%s:%d" % (LOCALHOST, self.port)

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOCALHOST, self.port))
        self.sock.listen(self.backlog)
        self.sock.settimeout(0.2)
        self._thread(self._accept)
        return self

    def _thread(self, target, *args):
        t = self._threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(30)
            with self.lock:
                self.conns.append(conn)
            self._thread(self._run, conn)

    def _run(self, conn):
        try:
            self.serve(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def serve(self, conn):
        raise NotImplementedError

    def stop(self):
        self.stopping.set()
        if self.sock:
            self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for t in self.threads:
            t.join(5)


class WireSink(ScriptedServer):
    """WireSink - a minimal SMTP next hop that keeps the exact wire bytes.

    smtp-sink's dumps turn CRLF into LF and cannot advertise SMTPUTF8; this
    one records each transaction's DATA bytes exactly as sent, still
    dot-stuffed, and advertises what it is told to.  batches lists, per
    read from a client, the verbs of the commands that read brought (what
    a client pipelined in one write, on loopback)."""

    EXTENSIONS = ("PIPELINING", "SIZE 10240000", "8BITMIME", "SMTPUTF8",
                  "ENHANCEDSTATUSCODES", "XFORWARD NAME ADDR PORT PROTO "
                  "HELO IDENT SOURCE")

    def __init__(self, port=None, extensions=EXTENSIONS):
        super().__init__(port)
        self.extensions = list(extensions)
        self.transactions = []
        self.batches = []

    def serve(self, conn):
        buf = b""
        helo = None
        xforward = []
        tx = None
        queued = 0
        batch = []

        def send(line):
            conn.sendall(line.encode() + b"\r\n")
        send("220 wire-sink ESMTP")
        while not self.stopping.is_set():
            while b"\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                batch = []
                with self.lock:
                    self.batches.append(batch)
            line, buf = buf.split(b"\n", 1)
            line = line.rstrip(b"\r")
            verb = line.split(b" ", 1)[0].upper()
            batch.append(verb.decode(errors="replace"))
            if verb in (b"EHLO", b"LHLO"):
                helo = line
                ext = ["wire-sink"] + self.extensions
                for i, e in enumerate(ext):
                    send("250%s%s" % (" " if i == len(ext) - 1 else "-",
                                      e))
            elif verb == b"HELO":
                helo = line
                send("250 wire-sink")
            elif verb == b"XFORWARD":
                xforward.append(line)
                send("250 2.0.0 Ok")
            elif verb == b"MAIL":
                tx = WireTransaction(helo, xforward)
                tx.mail = line
                send("250 2.1.0 Ok")
            elif verb == b"RCPT" and tx is not None:
                tx.rcpts.append(line)
                send("250 2.1.5 Ok")
            elif verb == b"DATA" and tx is not None and tx.rcpts:
                send("354 End data with <CR><LF>.<CR><LF>")
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
                queued += 1
                with self.lock:
                    self.transactions.append(tx)
                send("250 2.0.0 Ok: queued as WIRE%d" % queued)
                tx = None
                xforward = []
            elif verb in (b"RSET", b"NOOP"):
                if verb == b"RSET":
                    tx = None
                send("250 2.0.0 Ok")
            elif verb == b"QUIT":
                send("221 2.0.0 Bye")
                return
            elif verb in (b"RCPT", b"DATA"):
                send("503 5.5.1 Error: bad sequence")
            else:
                send("502 5.5.2 Error: command not recognized")

    def wait_count(self, n, timeout=10.0):
        return wait_until(lambda: len(self.transactions) >= n, timeout)


def crlf(msg):
    """crlf - msg with every bare LF made CRLF (what goes on the wire)."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", msg)


# ---------------------------------------------------------------------------
# filterd
# ---------------------------------------------------------------------------

def _conf_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(_conf_value(x) for x in v) + "}"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


# "Passed CLEAN {RelayedInbound}", "Blocked MTA-BLOCKED {TempFailedInbound}"
# and whatever other verdict/action sets filterd may log.
LOG_RESULT_RE = re.compile(
    r"\b((?:Passed|Blocked) [A-Z][-A-Z]*(?: \(.*?\))? \{[^}]*\})")
PASSED = "Passed CLEAN {RelayedInbound}"
BLOCKED = "Blocked MTA-BLOCKED {TempFailedInbound}"


class LogLine:
    """LogLine - the fields of one per-message summary line."""

    def __init__(self, text):
        self.text = text
        m = LOG_RESULT_RE.search(text)
        self.result = m.group(1) if m else None
        self.passed = bool(self.result and
                           self.result.startswith("Passed CLEAN"))
        m = re.search(r"mail_id: ([^\s,]+)", text)
        self.mail_id = m.group(1) if m else None
        m = re.search(r"size: (\d+)", text)
        self.size = int(m.group(1)) if m else None
        m = re.search(r"queued_as: ([^,]*)", text)
        self.queued_as = m.group(1).strip() if m else None
        m = re.search(r"Queue-ID: ([^,\s]+)", text)
        self.queue_id = m.group(1) if m else None
        m = re.search(r"<([^<>]*)> -> ((?:<[^<>]*>,?)+)", text)
        self.sender = m.group(1) if m else None
        self.rcpts = re.findall(r"<([^<>]*)>", m.group(2)) if m else []
        m = re.search(r"(\d+) ms\b", text)
        self.ms = int(m.group(1)) if m else None

    def __repr__(self):
        return "<LogLine %r>" % self.text


class Filterd:
    """Filterd - one filterd master under test.

    Keyword arguments become top-level configuration parameters.  listen is
    a list of (port, protocol[, bank]); banks maps a bank name to its
    parameters (forward = list of "host:port").

    A configuration that does not mention clamav gets clamav { enabled =
    false } unless clamav_off is False: the machine's /var/lib/clamav (the
    built-in database) neither slows the tests nor changes their
    results."""

    IDENT = "filterd-test"

    def __init__(self, tmp, name="filterd", listen=None, banks=None, raw="",
                 clamav_off=True, **conf):
        self.tmp = tmp
        self.name = name
        self.dir = tmp.sub(name)
        self.conf_path = os.path.join(self.dir, "filterd.conf")
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.listen = listen or [(free_port(), "smtp", "default")]
        self.banks = banks if banks is not None else {"default": {}}
        self.params = {
            "syslog_ident": self.IDENT,
            "user": "nobody" if IS_ROOT else "",
            "run_dir": os.path.join(self.dir, "run"),
            "tmp_dir": os.path.join(self.dir, "tmp"),
            # Never the host's /var/lib/filterd (the built-in default).
            "quarantine_dir": os.path.join(self.dir, "quarantine"),
            # Nor the host's /var/cache/filterd: each its own cache.
            "rules_cache_dir": os.path.join(self.dir, "rules-cache"),
            "min_servers": 2,
            "max_servers": 4,
            "smtpd_timeout": 5,
            "message_size_limit": 100000,
            "max_recipients": 5,
            "mynetworks": ["127.0.0.0/8"],
        }
        self.params.update(conf)
        self.raw = raw              # configuration text added verbatim
        self.clamav_off = clamav_off
        self.proc = None
        self.exit_status = None
        self.leftover_children = []

    @property
    def port(self):
        return self.listen[0][0]

    def conf_text(self):
        out = []
        for k, v in self.params.items():
            if v is None:
                continue
            out.append("%s = %s" % (k, _conf_value(v)))
        for entry in self.listen:
            port, proto = entry[0], entry[1]
            bank = entry[2] if len(entry) > 2 else "default"
            out.append('listen "%s:%d" { protocol = "%s"  bank = "%s" }' % (
                LOCALHOST, port, proto, bank))
        for bank, opts in self.banks.items():
            body = " ".join("%s = %s" % (k, _conf_value(v))
                            for k, v in opts.items())
            out.append("bank %s { %s }" % (bank, body))
        if self.raw:
            out.append(self.raw)
        if self.clamav_off and "clamav" not in self.raw:
            out.append("clamav { enabled = false }")
        return "\n".join(out) + "\n"

    def write_conf(self):
        with open(self.conf_path, "w") as f:
            f.write(self.conf_text())
        os.chmod(self.conf_path, 0o644)
        return self.conf_path

    def check_conf(self, timeout=20):
        """check_conf - run filterd -t; returns CompletedProcess."""
        self.write_conf()
        return run([filterd_bin(), "-t", "-c", self.conf_path],
                   timeout=timeout)

    def start(self, wait=True):
        self.write_conf()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                filterd_wrapper() +
                [filterd_bin(), "-f", "-c", self.conf_path],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self.exit_status = None
        # Under a wrapper (valgrind) the start takes many times longer.
        start_timeout = 60 if filterd_wrapper() else 10
        if wait and not wait_port(self.port, start_timeout, proc=self.proc):
            status = stop_popen(self.proc, 3, signal.SIGKILL)
            raise RuntimeError(
                "filterd did not start listening on %d (status %s):\n%s\n"
                "config:\n%s" % (self.port, status, self.log_text(),
                                 self.conf_text()))
        if wait:
            # The port is bound first; the signatures load, then the
            # scoreboard is made and the children fork. Ready is then.
            run_dir = self.params.get("run_dir")
            if run_dir:
                wait_until(lambda: self.proc.poll() is not None or
                           os.path.exists(os.path.join(run_dir,
                                                       "scoreboard")), 30)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def children(self):
        return child_pids(self.proc.pid) if self.running() else []

    def stop(self, timeout=10.0):
        """stop - SIGTERM the master, wait bounded, SIGKILL if needed.

        Children still alive afterwards are recorded in leftover_children
        (tests may assert on it) and then killed by pid."""
        if self.proc is None:
            return None
        self.exit_status, self.leftover_children = stop_tree(
            self.proc, self.children(), timeout)
        return self.exit_status

    def log_text(self):
        return read_text(self.log_path)

    def log_lines(self):
        return self.log_text().splitlines()

    def message_lines(self):
        """message_lines - the per-message summary lines, parsed."""
        return [LogLine(l) for l in self.log_lines()
                if LOG_RESULT_RE.search(l)]

    def wait_messages(self, n, timeout=10.0):
        return wait_until(lambda: len(self.message_lines()) >= n, timeout) \
            and self.message_lines()


# ---------------------------------------------------------------------------
# A raw SMTP/LMTP client
# ---------------------------------------------------------------------------

class Reply:
    """Reply - one (possibly multi-line) SMTP reply."""

    def __init__(self, code, lines, raw):
        self.code = code
        self.lines = lines          # text after "NNN-" / "NNN "
        self.raw = raw              # the bytes as received

    @property
    def text(self):
        return "\n".join(self.lines)

    @property
    def enhanced(self):
        m = re.match(r"([245]\.\d{1,3}\.\d{1,3})\b", self.lines[0]
                     if self.lines else "")
        return m.group(1) if m else None

    def __repr__(self):
        return "<Reply %r>" % self.raw.decode("utf-8", "replace")


class SmtpError(Exception):
    pass


class SmtpClient:
    """SmtpClient - speaks exact bytes and reads replies, with timeouts."""

    def __init__(self, port, host=LOCALHOST, timeout=10.0, source=None):
        self.timeout = timeout
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.transcript = []

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.transcript.append(b"C: " + data[:300])
        self.sock.sendall(data)

    def sendline(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")

    def _readline(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SmtpError("timeout waiting for reply; got %r; "
                                "transcript %r" % (self.buf,
                                                   self.transcript[-6:]))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise SmtpError("connection closed; pending %r; "
                                "transcript %r" % (self.buf,
                                                   self.transcript[-6:]))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def reply(self, timeout=None):
        """reply - read one reply; SmtpError on EOF or timeout."""
        deadline = time.monotonic() + (timeout or self.timeout)
        raw = b""
        lines = []
        code = None
        for _ in range(1000):
            line = self._readline(deadline)
            raw += line
            text = line.rstrip(b"\r\n").decode("utf-8", "replace")
            if len(text) < 3 or not text[:3].isdigit():
                raise SmtpError("malformed reply line %r" % line)
            if code is None:
                code = int(text[:3])
            elif int(text[:3]) != code:
                raise SmtpError("reply code changed inside reply: %r" % raw)
            lines.append(text[4:])
            if text[3:4] != "-":
                break
        self.transcript.append(b"S: " + raw[:300])
        return Reply(code, lines, raw)

    def cmd(self, line, timeout=None):
        self.sendline(line)
        return self.reply(timeout)

    def greeting(self):
        return self.reply()

    def ehlo(self, name="client.example.org", verb="EHLO"):
        r = self.cmd("%s %s" % (verb, name))
        self.extensions = {}
        if r.code == 250:
            for l in r.lines[1:]:
                parts = l.split()
                if parts:
                    self.extensions[parts[0].upper()] = parts[1:]
        return r

    def data(self, msg, timeout=None):
        """data - DATA, the dot-stuffed message, the final dot.

        Returns (354 reply, final reply)."""
        r = self.cmd("DATA")
        if r.code != 354:
            return r, None
        self.send(data_payload(msg))
        return r, self.reply(timeout)

    def replies(self, n, timeout=None):
        return [self.reply(timeout) for _ in range(n)]

    def at_eof(self, timeout=5.0):
        """at_eof - True when the server closes the connection (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return True
            if not chunk:
                return True
            self.buf += chunk
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def send_message(port, sender, rcpts, msg, helo="EHLO", mail_params="",
                 source=None, timeout=30.0):
    """send_message - one complete transaction; returns the final reply(s).

    For LMTP (helo="LHLO") a list of per-recipient replies is returned."""
    with SmtpClient(port, timeout=timeout, source=source) as c:
        g = c.greeting()
        if g.code != 220:
            raise SmtpError("greeting %r" % g)
        r = c.ehlo(verb=helo)
        if r.code != 250:
            raise SmtpError("%s: %r" % (helo, r))
        r = c.cmd("MAIL FROM:<%s>%s" % (sender, mail_params))
        if r.code != 250:
            raise SmtpError("MAIL: %r" % r)
        ok = 0
        for rcpt in rcpts:
            r = c.cmd("RCPT TO:<%s>" % rcpt)
            ok += r.code == 250
        r354, final = c.data(msg, timeout)
        if final is None:
            raise SmtpError("DATA: %r" % r354)
        if helo == "LHLO":
            final = [final] + c.replies(ok - 1, timeout)
        try:
            c.cmd("QUIT", 5)
        except (SmtpError, OSError):
            pass
        return final


# ---------------------------------------------------------------------------
# Test case scaffolding
# ---------------------------------------------------------------------------

def reject_rcpt_restrictions(rcpt, text):
    """reject_rcpt_restrictions - smtpd_recipient_restrictions for a Postfix
    next hop that refuses rcpt for good (554 5.7.1 text) and takes the rest."""
    return ("check_recipient_access inline:{{%s=554 5.7.1 %s}}, "
            "permit_mynetworks, reject" % (rcpt, text))


class PeerTestCase(unittest.TestCase):
    """PeerTestCase - one temporary directory per class, peers per test.

    start(peer) starts a peer (Sink, Filterd, ...) and has it stopped, in
    reverse order, when the test ends. start_for_class(peer, ...) starts
    peers that serve every test of the class, stopped in reverse order
    with the class, also when setUpClass fails after them (unittest does
    not call tearDownClass then, but does run class cleanups)."""

    @classmethod
    def setUpClass(cls):
        cls.bin = filterd_bin()
        cls.tmp = TempDir()
        cls.class_peers = []
        cls.addClassCleanup(cls.stop_class_peers)

    @classmethod
    def stop_class_peers(cls):
        """Stop the class's peers, last first, once; remove its files."""
        while cls.class_peers:
            cls.class_peers.pop().stop()
        cls.tmp.cleanup()

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_peers()

    @classmethod
    def start_for_class(cls, *peers):
        for p in peers:
            cls.class_peers.append(p)
            p.start()

    def setUp(self):
        self.peers = []

    def tearDown(self):
        for p in reversed(self.peers):
            p.stop()

    def start(self, peer):
        self.peers.append(peer)
        return peer.start()


# ---------------------------------------------------------------------------
# A private Postfix instance (see /work/shared/TEST-PEERS.md)
# ---------------------------------------------------------------------------

class Postfix:
    """Postfix - a throw-away Postfix with its own config, queue and log.

    front smtpd :front_port --content_filter--> filter_port (filterd)
    reinjection smtpd :reinj_port --relay--> sink_port (smtp-sink)

    reinj_rcpt_restrictions replaces the reinjection smtpd's
    smtpd_recipient_restrictions (default: permit_mynetworks, reject).
    extra_main: main.cf lines appended (a later line wins), e.g. the
    smtpd_milters of a before-queue setup."""

    def __init__(self, tmp, front_port, filter_port, reinj_port, sink_port,
                 reinj_rcpt_restrictions=None, name="postfix",
                 extra_main=()):
        self.tmp = tmp
        self.front_port = front_port
        self.filter_port = filter_port
        self.reinj_port = reinj_port
        self.sink_port = sink_port
        self.root = tmp.sub(name)
        self.etc = os.path.join(self.root, "etc")
        self.spool = os.path.join(self.root, "spool")
        self.data = os.path.join(self.root, "data")
        self.maillog = os.path.join(self.root, "maillog")
        self.reinj_rcpt_restrictions = (reinj_rcpt_restrictions or
                                        "permit_mynetworks, reject")
        self.extra_main = list(extra_main)
        self.started = False

    def setup(self):
        for d in (self.etc, self.spool, self.data):
            os.makedirs(d, exist_ok=True)
        shutil.chown(self.data, "postfix")
        with open("/etc/postfix/master.cf.proto") as f:
            proto = f.read().splitlines()
        out = []
        replaced = False
        for line in proto:
            if re.match(r"smtp\s+inet\s", line):
                out.append("127.0.0.1:%d inet n - n - - smtpd"
                           % self.front_port)
                replaced = True
            else:
                out.append(line)
        if not replaced:
            raise RuntimeError("no smtp inet line in master.cf.proto")
        out += [
            "scan      unix  -       -       n       -       4       smtp",
            "  -o smtp_send_xforward_command=yes",
            "  -o disable_mime_output_conversion=yes",
            "127.0.0.1:%d inet n -   n       -       8       smtpd"
            % self.reinj_port,
            "  -o content_filter=",
            "  -o receive_override_options=no_unknown_recipient_checks,"
            "no_header_body_checks,no_milters",
            # The value may hold spaces (inline: tables), so it lives in
            # main.cf and is referenced here.
            "  -o smtpd_recipient_restrictions=$filterd_test_reinj_rcpt",
            "  -o mynetworks=127.0.0.0/8",
            "  -o smtpd_authorized_xforward_hosts=127.0.0.0/8",
        ]
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write("\n".join(out) + "\n")
        T = self.root
        main = [
            "compatibility_level = 3.6",
            "queue_directory = %s" % self.spool,
            "data_directory = %s" % self.data,
            "myhostname = front.example.test",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.0/8",
            "mydestination =",
            "relay_domains = example.net",
            "relay_transport = smtp:[127.0.0.1]:%d" % self.sink_port,
            "default_transport = smtp:[127.0.0.1]:%d" % self.sink_port,
            "content_filter = scan:[127.0.0.1]:%d" % self.filter_port,
            "smtp_dns_support_level = disabled",
            "maillog_file = %s" % self.maillog,
            "maillog_file_prefixes = %s" % T,
            "filterd_test_reinj_rcpt = %s" % self.reinj_rcpt_restrictions,
        ] + self.extra_main
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write("\n".join(main) + "\n")

    def cmd(self, *args, timeout=30):
        return run([POSTFIX, "-c", self.etc] + list(args), timeout=timeout)

    def start(self):
        self.setup()
        p = self.cmd("start", timeout=60)
        self.started = True
        ok = p.returncode == 0 and wait_port(self.front_port, 15) and \
            wait_port(self.reinj_port, 15)
        if not ok:
            raise RuntimeError("postfix did not start (%d): %s %s\n%s" % (
                p.returncode, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace"), self.log()))
        return self

    def master_pid(self):
        try:
            with open(os.path.join(self.spool, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        if not self.started:
            return
        pid = self.master_pid()
        self.cmd("stop", timeout=30)
        if pid and not wait_until(lambda: not pid_alive(pid), 10, 0.1):
            kill_pid(pid)
        self.started = False

    def log(self):
        return read_text(self.maillog)

    def queue(self):
        """queue - postqueue -p output (text)."""
        p = run([POSTQUEUE, "-c", self.etc, "-p"], timeout=20)
        return p.stdout.decode("utf-8", "replace")

    def queue_ids(self):
        ids = []
        for line in self.queue().splitlines():
            m = re.match(r"([0-9A-Za-z]{6,})[*!]?\s+\d+\s", line)
            if m:
                ids.append(m.group(1))
        return ids

    def flush(self):
        return run([POSTQUEUE, "-c", self.etc, "-f"], timeout=20)

    def flush_until(self, pred, timeout=40.0, every=3.0):
        """flush_until - postqueue -f every few seconds until pred() holds.

        A flush only moves mail that is already deferred; one that comes
        while the message is still in the active queue does nothing for
        it, and the retry would wait for Postfix's backoff. Returns pred's
        last value (falsy on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            self.flush()
            value = wait_until(pred, min(every, max(0.0, deadline -
                                                    time.monotonic())))
            if value or time.monotonic() >= deadline:
                return value


class SinkWatch:
    """SinkWatch - a test mixin for classes with a sink (self.sink): setUp
    notes the dumps already there; new_dumps() gives the ones since,
    waiting (bounded) for wait_for of them when asked."""

    def setUp(self):
        super().setUp()
        self.seen = {d.path for d in self.sink.dumps()}

    def new_dumps(self, wait_for=0, timeout=20):
        def new():
            return [d for d in self.sink.dumps() if d.path not in self.seen]
        if wait_for:
            wait_until(lambda: len(new()) >= wait_for, timeout)
        return new()


def open_data(port, sender, rcpt, first):
    """open_data - a session that has sent DATA and the bytes first of a
    message (the caller sends the rest, or not)."""
    c = SmtpClient(port)
    for cmd, want in ((None, 220), ("EHLO client.example.org", 250),
                      ("MAIL FROM:<%s>" % sender, 250),
                      ("RCPT TO:<%s>" % rcpt, 250), ("DATA", 354)):
        r = c.greeting() if cmd is None else c.cmd(cmd)
        if r.code != want:
            c.close()
            raise AssertionError("%s: %r, want %d" % (cmd, r, want))
    c.send(first)
    return c


def swaks(port, sender, rcpt, data_file, source=None, extra=()):
    """swaks - send one message; returns (exit status, output, queue id)."""
    argv = [SWAKS, "--server", "%s:%d" % (LOCALHOST, port), "--from",
            sender, "--to", rcpt, "--data", "@" + data_file,
            "--helo", "client.example.org", "--timeout", "20"]
    if source:
        argv += ["--local-interface", source]
    argv += list(extra)
    p = run(argv, timeout=60)
    out = p.stdout.decode("utf-8", "replace") + \
        p.stderr.decode("utf-8", "replace")
    m = re.search(r"<[~-]\s+250 .*queued as (\S+)", out)
    return p.returncode, out, (m.group(1) if m else None)


# ---------------------------------------------------------------------------
# A private MariaDB server (see /work/shared/TEST-PEERS.md)
# ---------------------------------------------------------------------------

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
MARIADB_INSTALL_DB = (shutil.which("mariadb-install-db") or
                      "/usr/bin/mariadb-install-db")
MARIADB = shutil.which("mariadb") or "/usr/bin/mariadb"


def sql_quote(s):
    """sql_quote - s as an SQL string literal."""
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


class MariaDB:
    """MariaDB - a throw-away mariadbd with its data directory, socket, pid
    file and error log under tmp, listening on a free loopback port.

    start() installs the system tables, starts mariadbd (as user mysql when
    run as root), waits (bounded) until it answers, and creates `database`
    with `user` identified by `password` for both 127.0.0.1 (TCP) and
    localhost (the socket). sql(query) runs statements as root over the
    socket with the mariadb client and returns the rows as lists of
    strings. dsn() gives the mysql:// DSN for filterd. stop() stops the
    server by pid."""

    def __init__(self, tmp, name="mariadb", database="filterd",
                 user="filterd", password="secret"):
        self.root = os.path.join(tmp.path, name)
        self.datadir = os.path.join(self.root, "data")
        self.socket = os.path.join(self.root, "sock")
        self.pidfile = os.path.join(self.root, "pid")
        self.errlog = os.path.join(self.root, "err.log")
        self.database = database
        self.user = user
        self.password = password
        self.port = None
        self.proc = None

    def log(self):
        return read_text(self.errlog)

    def _ready(self):
        if self.proc.poll() is not None:
            return "exited"
        if not (os.path.exists(self.socket) and port_open(self.port)):
            return False
        p = run([MARIADB, "--no-defaults", "--socket=" + self.socket,
                 "-uroot", "-e", "SELECT 1"], timeout=10)
        return p.returncode == 0

    def start(self, timeout=60):
        os.makedirs(self.root)
        os.chmod(self.root, 0o755)
        # A tmpdir of its own: at start-up a server removes every #sql*
        # file in its tmpdir, and with /tmp shared it removed the temporary
        # tables of the instance another test had running (ctest -j2:
        # "Unknown table 'mysql.tmp_user_sys'", information_schema queries
        # failing without an error text).
        tmpdir = os.path.join(self.root, "tmp")
        os.makedirs(tmpdir)
        as_mysql = ["--user=mysql"] if IS_ROOT else []
        if IS_ROOT:
            shutil.chown(self.root, "mysql", "mysql")
            shutil.chown(tmpdir, "mysql", "mysql")
        run([MARIADB_INSTALL_DB, "--no-defaults", "--datadir=" + self.datadir,
             "--tmpdir=" + tmpdir,
             "--auth-root-authentication-method=normal"] + as_mysql,
            timeout=120, check=True)
        # The free port may be taken by someone else before mariadbd binds
        # it: then mariadbd exits at once, and another port is tried.
        for attempt in range(3):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [MARIADBD, "--no-defaults", "--datadir=" + self.datadir,
                 "--tmpdir=" + tmpdir,
                 "--socket=" + self.socket, "--port=%d" % self.port,
                 "--bind-address=" + LOCALHOST, "--pid-file=" + self.pidfile,
                 "--log-error=" + self.errlog,
                 "--innodb-buffer-pool-size=64M"] + as_mysql,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ready = wait_until(self._ready, timeout, 0.2)
            if ready is True:
                break
            self.stop()
            if ready != "exited":
                break
        if ready is not True:
            raise RuntimeError("mariadbd did not start:\n%s"
                               % self.log()[-3000:])
        self.sql("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s; "
                 "CREATE USER %s@'localhost' IDENTIFIED BY %s"
                 % (sql_quote(self.user), sql_quote(self.password),
                    sql_quote(self.user), sql_quote(self.password)))
        self.create_database(self.database)
        return self

    def create_database(self, name, grant=True):
        """create_database - a new database; user gets ALL on it."""
        q = "CREATE DATABASE `%s`" % name
        if grant:
            for host in ("127.0.0.1", "localhost"):
                q += "; GRANT ALL ON `%s`.* TO %s@'%s'" % (
                    name, sql_quote(self.user), host)
        self.sql(q)
        return name

    def client(self, args, database=None, user="root", password=None,
               stdin=None, timeout=60):
        """client - run the mariadb client over the socket (a run())."""
        argv = [MARIADB, "--no-defaults", "--socket=" + self.socket,
                "--default-character-set=utf8mb4", "-u" + user]
        if password is not None:
            argv.append("-p" + password)
        argv += list(args)
        if database:
            argv.append(database)
        return run(argv, timeout=timeout, input=stdin)

    def sql(self, query, database=None, check=True):
        """sql - run statements as root; the rows of the last result, each
        a list of strings (NULL as None)."""
        p = self.client(["--batch", "--skip-column-names", "--raw", "-e",
                         query], database)
        if check and p.returncode != 0:
            raise RuntimeError("mariadb: %s\n%s" % (
                p.stderr.decode(errors="replace"), query[:2000]))
        rows = []
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            rows.append([None if v == "NULL" else v
                         for v in line.split("\t")])
        return rows

    def dsn(self, database=None, user=None, password=None, socket=False):
        """dsn - mysql://user:password@127.0.0.1:port/database (or over
        unix(socket)), user and password percent-encoded."""
        from urllib.parse import quote
        user = quote(user or self.user, safe="")
        password = quote(self.password if password is None else password,
                         safe="")
        where = ("unix(%s)" % self.socket if socket
                 else "%s:%d" % (LOCALHOST, self.port))
        return "mysql://%s:%s@%s/%s" % (user, password, where,
                                        database or self.database)

    def stop(self):
        if self.proc is None:
            return
        # mariadbd shuts down cleanly on SIGTERM; give it time, then KILL.
        stop_popen(self.proc, timeout=30)
        self.proc = None
