"""rawmilter - a bare milter protocol (version 6) client for the attack
tests: what an MTA sends, byte for byte, so that a test can skip steps
or send what no MTA would, and read every reply and modification."""

import socket
import struct


class RawMilter:
    """RawMilter - one connection to a milter on a loopback port."""

    def __init__(self, port, timeout=30):
        self.s = socket.create_connection(("127.0.0.1", port), timeout)

    def close(self):
        self.s.close()

    def send(self, cmd, data=b""):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def read(self):
        """read - one reply: (code byte, data), or (None, b"") at EOF."""
        hdr = self._exact(4)
        if hdr is None:
            return None, b""
        n = struct.unpack(">I", hdr)[0]
        body = self._exact(n)
        if body is None:
            return None, b""
        return body[:1], body[1:]

    def _exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                return None
            out += chunk
        return out

    # Replies that end a command (y: a reply code with its text).
    FINAL = (b"a", b"c", b"r", b"t", b"d", b"y")

    def until_final(self):
        """until_final - the modifications (h, m, -, q, ...; progress
        left out), then the final reply (None at EOF): (list of (code,
        data), (code, data))."""
        mods = []
        while True:
            code, data = self.read()
            if code is None or code in self.FINAL:
                return mods, (code, data)
            if code != b"p":
                mods.append((code, data))

    def step(self, cmd, data=b""):
        self.send(cmd, data)
        return self.read()

    def optneg(self):
        return self.step(b"O", struct.pack(">III", 6, 0x1ff, 0))

    def macro(self, cmd, **kv):
        data = cmd
        for k, v in kv.items():
            data += k.encode() + b"\0" + v.encode() + b"\0"
        self.send(b"D", data)

    def connect(self, host=b"client.example.org", addr=b"192.0.2.1"):
        return self.step(b"C", host + b"\0" + b"4" +
                         struct.pack(">H", 4321) + addr + b"\0")

    def helo(self, name=b"client.example.org"):
        return self.step(b"H", name + b"\0")

    def mail(self, *args):
        return self.step(b"M", b"".join(a + b"\0" for a in args))

    def rcpt(self, addr):
        return self.step(b"R", addr + b"\0")

    def header(self, name, value):
        return self.step(b"L", name + b"\0" + value + b"\0")

    def eoh(self):
        return self.step(b"N")

    def body(self, data):
        return self.step(b"B", data)

    def eom(self):
        self.send(b"E")
        return self.until_final()

    def abort(self):
        self.send(b"A")

    def start(self, sender=b"<sender@example.org>",
              rcpts=(b"<rcpt@example.net>",), qid="4ABC0001"):
        """start - negotiation through the recipients; the replies."""
        out = [self.optneg(), self.connect(), self.helo()]
        self.macro(b"M", i=qid)
        out.append(self.mail(sender))
        for r in rcpts:
            out.append(self.rcpt(r))
        return out
