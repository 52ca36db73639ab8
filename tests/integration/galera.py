"""galera - a throw-away three-node MariaDB Galera cluster on loopback.

The recipe of /work/shared/TEST-PEERS.md ("A three-node MariaDB Galera
cluster on loopback"), in the tests' own code: each node has its own
datadir, tmpdir, socket and ports (SQL, gcomm, IST, SST), all under the
test's temporary directory. Node 1 is bootstrapped with
--wsrep-new-cluster, the others join one after another (a donor serves
one state transfer at a time). kill(n) SIGKILLs a node; rejoin(n) runs
it once with --wsrep-recover and starts it at the recovered position,
so it gets an incremental state transfer (IST), not a full copy.

Not a test module (ctest runs test_*.py only)."""

import os
import re
import shutil
import signal
import subprocess
import time

import harness as h

PROVIDER = "/usr/lib/galera/libgalera_smm.so"


def available():
    """available - can this machine run a Galera node? (None, or why not)"""
    if not os.path.exists(PROVIDER):
        return "galera-4 is not installed (%s)" % PROVIDER
    if not shutil.which("rsync"):
        return "rsync (the state transfer method) is not installed"
    if not h.IS_ROOT:
        return "needs root (mariadbd runs as user mysql)"
    return None


class GaleraNode:
    """GaleraNode - one mariadbd of the cluster."""

    def __init__(self, cluster, n, ports):
        self.cluster = cluster
        self.n = n
        self.port, self.gcomm, self.ist, self.sst = ports
        self.root = os.path.join(cluster.tmp.path, "galera%d" % n)
        self.datadir = os.path.join(self.root, "data")
        self.tmpdir = os.path.join(self.root, "tmp")
        self.socket = os.path.join(self.root, "sock")
        self.errlog = os.path.join(self.root, "err.log")
        self.database = cluster.database
        self.user = cluster.user
        self.password = cluster.password
        self.proc = None

    def log(self):
        return h.read_text(self.errlog)

    def options(self):
        c = self.cluster
        return [
            h.MARIADBD, "--no-defaults", "--user=mysql",
            "--datadir=" + self.datadir, "--tmpdir=" + self.tmpdir,
            "--socket=" + self.socket, "--port=%d" % self.port,
            "--bind-address=" + h.LOCALHOST,
            "--pid-file=" + os.path.join(self.root, "pid"),
            "--log-error=" + self.errlog,
            "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=2",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
            "--binlog-format=ROW", "--default-storage-engine=InnoDB",
            "--innodb-autoinc-lock-mode=2", "--wsrep-on=ON",
            "--wsrep-provider=" + PROVIDER,
            "--wsrep-cluster-name=filterd_test",
            "--wsrep-cluster-address=gcomm://" + ",".join(
                "127.0.0.1:%d" % m.gcomm for m in c.nodes),
            "--wsrep-node-name=node%d" % self.n,
            "--wsrep-node-address=127.0.0.1:%d" % self.gcomm,
            "--wsrep-node-incoming-address=127.0.0.1:%d" % self.port,
            "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:%d;"
            "ist.recv_addr=127.0.0.1:%d;gcache.size=64M" % (self.gcomm,
                                                            self.ist),
            "--wsrep-sst-receive-address=127.0.0.1:%d" % self.sst,
            "--wsrep-sst-method=rsync", "--wsrep-log-conflicts=ON",
        ]

    def install(self):
        for d in (self.root, self.tmpdir):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
            shutil.chown(d, "mysql", "mysql")
        h.run([h.MARIADB_INSTALL_DB, "--no-defaults", "--user=mysql",
               "--datadir=" + self.datadir, "--tmpdir=" + self.tmpdir,
               "--skip-test-db", "--auth-root-authentication-method=socket",
               "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M"],
              timeout=120, check=True)

    def launch(self, *extra):
        for f in (self.socket, self.socket + ".lock"):
            if os.path.exists(f):
                os.unlink(f)
        self.proc = subprocess.Popen(self.options() + list(extra),
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def status(self):
        """status - (state comment, cluster size, cluster status), or None"""
        if not self.running() or not os.path.exists(self.socket):
            return None
        p = h.run([h.MARIADB, "--no-defaults", "-uroot",
                   "--socket=" + self.socket, "-N", "-B", "-e",
                   "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM "
                   "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN "
                   "('WSREP_LOCAL_STATE_COMMENT', 'WSREP_CLUSTER_SIZE', "
                   "'WSREP_CLUSTER_STATUS')"], timeout=10)
        if p.returncode != 0:
            return None
        v = dict(line.split("\t", 1) for line in
                 p.stdout.decode().splitlines() if "\t" in line)
        return (v.get("WSREP_LOCAL_STATE_COMMENT"),
                int(v.get("WSREP_CLUSTER_SIZE", "0")),
                v.get("WSREP_CLUSTER_STATUS"))

    def wait_synced(self, size, timeout=120):
        def ready():
            if not self.running():
                return "exited"
            return self.status() == ("Synced", size, "Primary")
        if h.wait_until(ready, timeout, 0.3) is not True:
            raise RuntimeError("galera node %d not synced (%s):\n%s" % (
                self.n, self.status(), self.log()[-3000:]))

    def sql(self, query, database=None, check=True):
        """sql - statements as root over the socket; rows of the last
        result as lists of strings (NULL as None). Reads are causal
        (wsrep_sync_wait = 1): they see what any node committed before."""
        argv = [h.MARIADB, "--no-defaults", "--socket=" + self.socket,
                "--default-character-set=utf8mb4", "-uroot", "--batch",
                "--skip-column-names", "--raw", "-e",
                "SET SESSION wsrep_sync_wait = 1; " + query]
        if database:
            argv.append(database)
        p = h.run(argv, timeout=60)
        if check and p.returncode != 0:
            raise RuntimeError("galera node %d: %s\n%s" % (
                self.n, p.stderr.decode(errors="replace"), query[:2000]))
        return [[None if v == "NULL" else v for v in line.split("\t")]
                for line in p.stdout.decode("utf-8", "replace").splitlines()]

    def dsn(self):
        return "mysql://%s:%s@127.0.0.1:%d/%s" % (
            self.user, self.password, self.port, self.database)

    def kill(self):
        """kill - SIGKILL, as a crash would."""
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        h.stop_popen(self.proc, timeout=30)

    def recovered_position(self):
        """recovered_position - "uuid:seqno" read by --wsrep-recover from
        InnoDB after a crash, or None (then a full transfer it is)."""
        rlog = os.path.join(self.root, "recover.log")
        argv = [a for a in self.options()
                if not a.startswith("--log-error=")]
        h.run(argv + ["--wsrep-recover", "--log-error=" + rlog],
              timeout=120)
        m = re.findall(r"WSREP: Recovered position: *([0-9a-f-]+:-?\d+)",
                       h.read_text(rlog))
        if not m or m[-1].endswith(":-1"):
            return None
        return m[-1]


class GaleraCluster:
    """GaleraCluster - nodes started by start(), stopped by stop().

    node(n) is node n (1-based). start() creates `database` and `user`
    (for 127.0.0.1, all privileges on it) once the cluster is Synced."""

    def __init__(self, tmp, size=3, database="filterd", user="filterd",
                 password="secret"):
        self.tmp = tmp
        self.database = database
        self.user = user
        self.password = password
        ports = h.free_ports(4 * size)
        self.nodes = [GaleraNode(self, i + 1, ports[4 * i:4 * i + 4])
                      for i in range(size)]

    def node(self, n):
        return self.nodes[n - 1]

    def alive(self):
        return [m for m in self.nodes if m.running()]

    def start(self, timeout=120):
        t0 = time.monotonic()
        for m in self.nodes:
            m.install()
        first = self.nodes[0]
        first.launch("--wsrep-new-cluster")
        first.wait_synced(1, timeout)
        for i, m in enumerate(self.nodes[1:], start=2):
            m.launch()
            m.wait_synced(i, timeout)
        for m in self.nodes:
            m.wait_synced(len(self.nodes), timeout)
        first.sql(
            "CREATE DATABASE `{db}`; "
            "CREATE USER '{u}'@'127.0.0.1' IDENTIFIED BY '{p}'; "
            "GRANT ALL ON `{db}`.* TO '{u}'@'127.0.0.1'".format(
                db=self.database, u=self.user, p=self.password))
        self.start_seconds = time.monotonic() - t0
        return self

    def kill(self, n):
        self.node(n).kill()

    def wait_size(self, size, timeout=60):
        """wait_size - every live node Synced in a cluster of size."""
        for m in self.alive():
            m.wait_synced(size, timeout)

    def rejoin(self, n, timeout=120):
        """rejoin - start a killed node again at its recovered position
        (IST); returns how it caught up, from its log."""
        m = self.node(n)
        self.wait_size(len(self.alive()), timeout)  # the dead one evicted
        pos = m.recovered_position()
        off = len(h.read_text(m.errlog))
        m.launch(*(["--wsrep-start-position=" + pos] if pos else []))
        self.wait_size(len(self.alive()), timeout)
        tail = h.read_text(m.errlog)[off:]
        how = re.findall(r"(?:SST|IST) completed on joiner|"
                         r"Receiving IST: \d+ writesets", tail)
        return ";".join(how) or "?"

    def stop(self):
        for m in reversed(self.nodes):
            m.stop()
