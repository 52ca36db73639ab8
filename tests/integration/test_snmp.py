"""test_snmp - filterd-snmp as an AgentX subagent of a real snmpd.

snmpd runs as AgentX master on a private socket and a loopback UDP port;
filterd passes some mail; filterd-snmp attaches; snmpwalk over
FILTERD-MIB (from snmp-mib/, names resolved from the MIB file) must give
the same counters as filterd-nanny --json, one process-table row per
child, and every instance must be named by the MIB.  When filterd
restarts, the subagent follows the new scoreboard without a restart of
its own.

Skipped, saying so, only when snmpd or the net-snmp tools are missing or
snmpd cannot start here."""

import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SNMPD = shutil.which("snmpd") or "/usr/sbin/snmpd"
SNMPWALK = shutil.which("snmpwalk") or "/usr/bin/snmpwalk"
SNMPGET = shutil.which("snmpget") or "/usr/bin/snmpget"
MIB_DIR = os.path.join(h.REPO, "snmp-mib")
# The IETF modules FILTERD-MIB imports, for systems without them.
MIB_DIRS = "+%s:%s" % (MIB_DIR, os.path.join(MIB_DIR, "ietf"))
ROOT = "1.3.6.1.3.7281"
IN_MSGS = ROOT + ".1.1.1.0"

STATES = ["idle", "greeting", "receiving", "parsing", "virus", "spam", "sql",
          "forwarding", "replying"]
CCATS = ["clean", "spammy", "spam", "unchecked", "banned", "virus"]
ACTIONS = ["passed", "discarded", "bounced", "rejected", "quarantined",
           "tempfailed"]
HISTS = ["total", "receive", "virus", "banned", "spam", "forward"]
FLAT = [("InMsgs", "msgs_in"), ("InBytes", "bytes_in"),
        ("OutBytes", "bytes_out"), ("NextHopFailures", "nexthop_failures"),
        ("NextHopFailovers", "nexthop_failovers"),
        ("SqlFailures", "sql_failures"), ("SqlFailovers", "sql_failovers"),
        ("Releases", "releases"), ("Requeues", "requeues"),
        ("ReleaseFailures", "release_failures")]


def expected(doc):
    """expected - FILTERD-MIB instance -> value, from nanny's JSON."""
    c = doc["counters"]
    want = {}
    for mib, key in FLAT:
        want["filterd%s.0" % mib] = c[key]
    for name in CCATS:
        cap = name.capitalize()
        want["filterdMsgs%s.0" % cap] = c["msgs_ccat"][name]
        want["filterdRcpts%s.0" % cap] = c["rcpts_ccat"][name]
    for name in ACTIONS:
        cap = "TempFailed" if name == "tempfailed" else name.capitalize()
        want["filterdMsgs%s.0" % cap] = c["msgs_action"][name]
        want["filterdRcpts%s.0" % cap] = c["rcpts_action"][name]
    for mib, key in [("Children", "children_total"),
                     ("ChildrenBusy", "busy"), ("ChildrenIdle", "idle"),
                     ("BusyPercent", "busy_percent"),
                     ("ChildrenStuck", "stuck"),
                     ("ChildTimeout", "child_timeout"),
                     ("MinServers", "min_servers"),
                     ("MaxServers", "max_servers"),
                     ("ChildStarts", "child_starts"),
                     ("ChildExits", "child_exits"),
                     ("ChildKills", "child_kills"),
                     ("MasterPid", "master_pid")]:
        want["filterd%s.0" % mib] = doc[key]
    want["filterdMasterAlive.0"] = 1 if doc["master_alive"] else 2
    for name in STATES:
        want["filterdState%s.0" % name.capitalize()] = doc["by_state"][name]
    for i, name in enumerate(HISTS):
        hist = doc["histograms"][name]
        want["filterdHistName.%d" % (i + 1)] = name
        want["filterdHistCount.%d" % (i + 1)] = hist["count"]
        want["filterdHistSumMs.%d" % (i + 1)] = hist["sum_ms"]
        for b, bucket in enumerate(hist["buckets"]):
            want["filterdBucketBound.%d.%d" % (i + 1, b + 1)] = \
                bucket["le"] if bucket["le"] is not None else 4294967295
            want["filterdBucketCount.%d.%d" % (i + 1, b + 1)] = \
                bucket["count"]
    for ch in doc["children"]:
        row = ch["slot"] + 1
        want["filterdProcPid.%d" % row] = ch["pid"]
        want["filterdProcGeneration.%d" % row] = ch["generation"]
        want["filterdProcState.%d" % row] = STATES.index(ch["state"]) + 1
        want["filterdProcMailId.%d" % row] = ch["mail_id"]
        want["filterdProcQueueId.%d" % row] = ch["queue_id"]
        want["filterdProcBytes.%d" % row] = ch["bytes"]
        want["filterdProcMessages.%d" % row] = ch["messages"]
    return want


class Snmpd:
    """Snmpd - a private snmpd: AgentX master on a socket in dir."""

    def __init__(self, tmp):
        self.dir = tmp.sub("snmpd", 0o755)
        self.port = h.free_port()
        self.sock = os.path.join(self.dir, "agentx.sock")
        self.log = os.path.join(self.dir, "snmpd.log")
        self.conf = os.path.join(self.dir, "snmpd.conf")
        self.proc = None

    def start(self):
        with open(self.conf, "w") as f:
            f.write("master agentx\nagentXSocket %s\nagentXPerms 0777 0777\n"
                    "rocommunity public 127.0.0.1\n" % self.sock)
        self.proc = subprocess.Popen(
            [SNMPD, "-f", "-Lf", self.log, "-C", "-c", self.conf,
             "udp:127.0.0.1:%d" % self.port],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

        def up():
            if self.proc.poll() is not None:
                return "exited"
            return os.path.exists(self.sock) and self.get(
                "1.3.6.1.2.1.1.3.0").returncode == 0
        return h.wait_until(up, 15, 0.1) is True

    def get(self, *oids):
        return h.run([SNMPGET, "-v2c", "-c", "public", "-On", "-t", "2",
                      "-r", "1", "127.0.0.1:%d" % self.port] + list(oids),
                     timeout=20)

    def walk(self, *opts):
        """walk - FILTERD-MIB by name: {instance: value text}."""
        p = h.run([SNMPWALK, "-v2c", "-c", "public", "-t", "5", "-r", "1",
                   "-M", MIB_DIRS, "-m", "+FILTERD-MIB"] + list(opts) +
                  ["127.0.0.1:%d" % self.port, ROOT], timeout=30)
        if p.returncode != 0:
            raise RuntimeError("snmpwalk failed: %s" % p.stderr.decode())
        return p.stdout.decode().splitlines()

    def logtext(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        return h.stop_popen(self.proc, 10)


class SnmpTest(unittest.TestCase):

    def setUp(self):
        for tool in (SNMPD, SNMPWALK, SNMPGET):
            if not os.access(tool, os.X_OK):
                self.skipTest("%s not installed (apt-get install snmpd snmp)"
                              % tool)
        bindir = os.path.dirname(h.filterd_bin())
        self.agent_bin = os.path.join(bindir, "filterd-snmp")
        self.nanny_bin = os.path.join(bindir, "filterd-nanny")
        for b in (self.agent_bin, self.nanny_bin):
            if not os.access(b, os.X_OK):
                raise RuntimeError("%s not built (WITH_SNMP=ON)" % b)
        self.tmp = h.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.snmpd = Snmpd(self.tmp)
        self.addCleanup(self.snmpd.stop)
        if not self.snmpd.start():
            self.skipTest("snmpd could not start here: %s"
                          % self.snmpd.logtext()[-1000:])
        self.sink = h.Sink(self.tmp).start()
        self.addCleanup(self.sink.stop)
        self.fd = h.Filterd(self.tmp, banks={"default": {
            "forward": [self.sink.addr]}}, min_servers=3, max_servers=3,
            max_requests=1000000)
        self.addCleanup(self.fd.stop)
        self.agent = None
        self.addCleanup(lambda: h.stop_popen(self.agent, 10))

    def start_agent(self):
        self.agent_log = self.tmp.file("filterd-snmp.log")
        with open(self.agent_log, "ab") as log:
            self.agent = subprocess.Popen(
                [self.agent_bin, "-f", "-x", self.snmpd.sock, "-c",
                 self.fd.conf_path], stdin=subprocess.DEVNULL, stdout=log,
                stderr=log)

        def answers():
            if self.agent.poll() is not None:
                return "exited"
            return b"Counter64" in self.snmpd.get(IN_MSGS).stdout
        ok = h.wait_until(answers, 20, 0.2)
        with open(self.agent_log, errors="replace") as f:
            log_text = f.read()
        self.assertIs(ok, True, "subagent not answering:\n%s\nsnmpd:\n%s" % (
            log_text, self.snmpd.logtext()[-2000:]))

    def nanny_json(self):
        p = h.run([self.nanny_bin, "-c", self.fd.conf_path, "--json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def values(self):
        """values - the walk, names resolved, values as numbers/strings."""
        out = {}
        for line in self.snmpd.walk("-OQUsetb"):
            m = re.match(r"^(?:FILTERD-MIB::)?(\S+) = (.*)$", line)
            self.assertTrue(m, line)
            name, value = m.group(1), m.group(2)
            self.assertTrue(name.startswith("filterd"),
                            "instance not named by FILTERD-MIB: %s" % line)
            if value.startswith('"'):
                value = value[1:-1]
            elif re.match(r"^-?\d+$", value):
                value = int(value)
            out[name] = value
        return out

    def test_walk_matches_nanny(self):
        n = 25
        self.fd.start()
        self.assertTrue(h.wait_until(lambda: len(self.fd.children()) == 3,
                                     10))
        p = h.run([h.SMTP_SOURCE, "-s", "4", "-m", str(n), "-l", "3000",
                   "-f", "from@example.org", "-t", "to@example.net",
                   "%s:%d" % (h.LOCALHOST, self.fd.port)], timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.sink.wait_count(n, 20), n)
        self.start_agent()

        doc = self.nanny_json()
        got = self.values()
        want = expected(doc)
        self.assertEqual(doc["counters"]["msgs_in"], n)
        self.assertEqual(got["filterdInMsgs.0"], n)
        self.assertEqual(got["filterdMsgsPassed.0"], n)
        self.assertEqual(got["filterdHistCount.1"], n)
        diffs = {k: (got.get(k), v) for k, v in want.items()
                 if got.get(k) != v}
        self.assertEqual(diffs, {}, "snmpwalk (got) vs nanny (want)")

        # One process-table row per child, and nothing else in the walk.
        rows = {k for k in got if k.startswith("filterdProcPid.")}
        self.assertEqual(len(rows), 3)
        self.assertEqual({got[k] for k in rows}, set(self.fd.children()))
        unexpected = set(got) - set(want) - {
            "filterdUptime.0"} - {k for k in got if re.match(
                r"filterdProc(Msg|State)Seconds\.", k)}
        self.assertEqual(unexpected, set())
        self.assertEqual(len(got), len(want) + 1 + 2 * 3)

        # Types as the MIB declares them.
        typed = "\n".join(self.snmpd.walk("-Os"))
        self.assertRegex(typed, r"filterdInMsgs\.0 = Counter64: %d\b" % n)
        self.assertRegex(typed, r"filterdInBytes\.0 = Counter64: \d+ bytes")
        self.assertRegex(typed, r"filterdChildren\.0 = Gauge32: 3\b")
        self.assertRegex(typed, r"filterdMasterAlive\.0 = INTEGER: true\(1\)")
        self.assertRegex(typed, r"filterdProcState\.\d+ = INTEGER: idle\(1\)")
        self.assertRegex(typed, r"filterdUptime\.0 = Timeticks: \(\d+\)")
        self.assertNotIn("Counter32", typed)

        # filterd restarts: the subagent follows the new scoreboard.
        old_master = doc["master_pid"]
        self.fd.stop()
        self.fd.start()
        self.assertTrue(h.wait_until(lambda: len(self.fd.children()) == 3,
                                     10))

        def restarted():
            v = self.values()
            return v.get("filterdMasterPid.0") == self.fd.proc.pid and v
        v = h.wait_until(restarted, 10, 0.2)
        self.assertTrue(v, "the subagent still shows master %d" % old_master)
        self.assertEqual(v["filterdInMsgs.0"], 0)
        self.assertEqual(self.agent.poll(), None)


class InstalledMibTest(unittest.TestCase):
    """README's snmpwalk line names the MIB where the package puts it
    (cmake --install with prefix /usr; here a temporary prefix), and an
    object the MIB has."""

    SNMPTRANSLATE = shutil.which("snmptranslate") or "/usr/bin/snmptranslate"
    README_MIB = ("-M +/usr/share/filterd/mib:"
                  "/usr/share/filterd/mib/ietf -m +FILTERD-MIB")

    def test_readme_path_is_installed(self):
        with open(os.path.join(h.REPO, "README.md")) as f:
            readme = f.read()
        self.assertIn(self.README_MIB, readme)
        self.assertIn("FILTERD-MIB::filterdMIB", readme)
        build = os.path.dirname(os.path.dirname(h.filterd_bin()))
        with h.TempDir() as tmp:
            p = h.run(["cmake", "--install", build, "--prefix", tmp.path],
                      timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            mibs = self.README_MIB.replace("/usr", tmp.path).split()
            p = h.run([self.SNMPTRANSLATE] + mibs +
                      ["-On", "FILTERD-MIB::filterdMIB"], timeout=20)
            self.assertEqual((p.returncode, p.stdout.decode().strip()),
                             (0, "." + ROOT),
                             p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
