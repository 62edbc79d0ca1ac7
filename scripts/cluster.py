"""A 3-node MariaDB Galera cluster behind HAProxy, on loopback, with its data under .local/cluster.

    .venv/bin/python scripts/cluster.py start | stop | status | kill-node N | restart-node N

- Nodes listen on 127.0.0.1:3411-3413 (Galera group 4571-4573, IST 4581-4583, SST 4591-4593).
- HAProxy (``.local/cluster/haproxy.cfg``) listens on 127.0.0.1:3410 with node 1 the writer
  and nodes 2 and 3 as ``backup`` (one writer at a time), and on 127.0.0.1:3409 round-robin over
  all three (multi-writer). A node is "up" only while its check agent (127.0.0.1:3421-3423,
  this file's ``agent`` command) answers 200, i.e. while the node says it is Synced and ready;
  sessions are cut when a node is marked down and moved back when the writer returns.
- A node that died is restarted as ``galera_recovery`` does it: ``mariadbd --wsrep-recover``
  reads the last committed position from InnoDB, and ``--wsrep-start-position`` hands it to
  Galera, so the node catches up by IST from the donor's gcache instead of a full SST (which
  would block the donor, i.e. the writer, for the whole copy).

Never touches the shared MariaDB on 3306. Uses pymysql (run it with the project's venv python).
"""

import argparse
import contextlib
import hashlib
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pymysql

ROOT = Path(__file__).resolve().parent.parent


def cluster_dir() -> Path:
    """Where the cluster keeps its data: ``.local/cluster`` (or ``$CLUSTER_DIR``).

    As root the nodes run as ``mysql``, which must be able to reach that folder; when the
    checkout lies under a private home (``/root`` is 0700), the data goes to /var/tmp instead
    and ``.local/cluster`` becomes a link to it.
    """
    wanted = Path(os.environ.get("CLUSTER_DIR", ROOT / ".local" / "cluster"))
    if os.geteuid() != 0 or wanted.exists() or not shutil.which("runuser"):
        return wanted.resolve()
    existing = wanted.parent
    while not existing.exists():
        existing = existing.parent
    reachable = subprocess.run(  # noqa: S603
        ["runuser", "-u", "mysql", "--", "test", "-x", str(existing)],  # noqa: S607
        check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ).returncode == 0  # fmt: skip
    if reachable:
        return wanted
    digest = hashlib.sha1(str(ROOT).encode()).hexdigest()[:10]  # noqa: S324 (a name, not a secret)
    elsewhere = Path("/var/tmp") / f"loyalty-cluster-{digest}"  # noqa: S108 (root-owned, 0755)
    elsewhere.mkdir(parents=True, exist_ok=True)
    wanted.parent.mkdir(parents=True, exist_ok=True)
    wanted.symlink_to(elsewhere)
    return elsewhere


BASE = cluster_dir()
NODES = (1, 2, 3)
HOST = "127.0.0.1"
WRITER_PORT = 3410  # HAProxy: node 1 writes, 2 and 3 are backups
MULTI_WRITER_PORT = 3409  # HAProxy: round-robin over the three nodes
STATS_PORT = 3408  # HAProxy's stats page (CSV at /;csv)
CLUSTER_NAME = "loyalty"
GALERA_CANDIDATES = ("/usr/lib/galera/libgalera_smm.so", "/usr/lib/libgalera_smm.so")
PACKAGES = {"mariadbd": "mariadb-server", "haproxy": "haproxy", "rsync": "rsync"}
# gcache keeps the recent write sets a rejoining node needs for IST; a node that was away
# longer than gcache covers falls back to SST. 256M is hours of this service's writes.
GCACHE_SIZE = "256M"


def mysql_port(node: int) -> int:
    return 3410 + node


def group_port(node: int) -> int:
    return 4570 + node


def ist_port(node: int) -> int:
    return 4580 + node


def sst_port(node: int) -> int:
    return 4590 + node


def agent_port(node: int) -> int:
    return 3420 + node


def node_dir(node: int) -> Path:
    return BASE / f"node{node}"


def datadir(node: int) -> Path:
    return node_dir(node) / "data"


def pid_file(node: int) -> Path:
    return node_dir(node) / "mariadbd.pid"


def log_file(node: int) -> Path:
    return node_dir(node) / "error.log"


def socket_path(node: int) -> Path:
    return node_dir(node) / "mariadbd.sock"


def say(message: str) -> None:
    print(f"cluster: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Installation


def ensure_packages() -> None:
    """Install Debian's mariadb-server, galera-4, haproxy and rsync (rsync SST) when missing."""
    missing = [pkg for exe, pkg in PACKAGES.items() if not find_executable(exe)]
    if not galera_library():
        missing.append("galera-4")
    if missing:
        subprocess.run([str(ROOT / "scripts" / "apt-install.sh"), *missing], check=True)  # noqa: S603


def find_executable(name: str) -> str | None:
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None
    )


def galera_library() -> str | None:
    return next((p for p in GALERA_CANDIDATES if os.path.exists(p)), None)


# ---------------------------------------------------------------------------------------------
# Nodes


def run_as() -> list[str]:
    """As root, nodes run as Debian's ``mysql`` user: the rsync SST daemon would otherwise
    drop to ``nobody`` and be unable to write the joiner's files."""
    return ["--user=mysql"] if os.geteuid() == 0 else []


def own_node_dir(node: int) -> None:
    node_dir(node).mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "mysql:mysql", str(node_dir(node))], check=True)  # noqa: S603,S607


def donors(node: int) -> str:
    """Donor preference of ``node``: the other nodes, highest number (least likely writer) first."""
    return ",".join(f"node{n}" for n in sorted(NODES, reverse=True) if n != node) + ","


def node_options(node: int) -> list[str]:
    """mariadbd's command line for one node (no my.cnf is read: --no-defaults)."""
    members = ",".join(f"{HOST}:{group_port(n)}" for n in NODES)
    provider_options = ";".join(
        [
            f"gmcast.listen_addr=tcp://{HOST}:{group_port(node)}",
            f"ist.recv_addr={HOST}:{ist_port(node)}",
            f"gcache.size={GCACHE_SIZE}",
            # Loopback: notice a dead peer within ~3 s instead of the WAN-minded defaults.
            "evs.suspect_timeout=PT3S",
            "evs.inactive_timeout=PT6S",
            "evs.inactive_check_period=PT0.5S",
            "evs.keepalive_period=PT0.5S",
        ]
    )
    return [
        "--no-defaults",
        *run_as(),
        f"--datadir={datadir(node)}",
        f"--port={mysql_port(node)}",
        f"--bind-address={HOST}",
        f"--socket={socket_path(node)}",
        f"--pid-file={pid_file(node)}",
        f"--log-error={log_file(node)}",
        "--performance-schema=OFF",
        "--innodb-buffer-pool-size=64M",
        "--innodb-log-file-size=48M",
        "--innodb-autoinc-lock-mode=2",  # required by Galera: interleaved auto-increment
        "--innodb-flush-log-at-trx-commit=2",  # durability comes from the other nodes
        "--binlog-format=ROW",
        "--default-storage-engine=InnoDB",
        "--max-connections=300",
        "--wsrep-on=ON",
        f"--wsrep-provider={galera_library()}",
        f"--wsrep-provider-options={provider_options}",
        f"--wsrep-cluster-name={CLUSTER_NAME}",
        f"--wsrep-cluster-address=gcomm://{members}",
        f"--wsrep-node-name=node{node}",
        f"--wsrep-node-address={HOST}:{group_port(node)}",
        f"--wsrep-node-incoming-address={HOST}:{mysql_port(node)}",
        f"--wsrep-sst-receive-address={HOST}:{sst_port(node)}",
        "--wsrep-sst-method=rsync",
        # A state transfer desyncs its donor: prefer the backups to node 1, the usual writer
        # (the trailing comma lets Galera fall back to any node).
        f"--wsrep-sst-donor={donors(node)}",
        "--wsrep-slave-threads=1",
    ]


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def node_pid(node: int) -> int | None:
    return read_pid(pid_file(node))


def connect_node(node: int, timeout: float = 2) -> pymysql.connections.Connection:
    return pymysql.connect(
        unix_socket=str(socket_path(node)),
        user="root",
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
        autocommit=True,
    )


def wsrep_status(node: int, timeout: float = 2) -> dict[str, str]:
    """The node's ``wsrep_%`` status variables; {} when it does not answer."""
    try:
        with contextlib.closing(connect_node(node, timeout)) as conn, conn.cursor() as cur:
            cur.execute("SHOW GLOBAL STATUS LIKE 'wsrep%%'")
            return {name: value for name, value in cur.fetchall()}
    except pymysql.err.MySQLError:
        return {}


def is_synced(status: dict[str, str]) -> bool:
    return status.get("wsrep_local_state_comment") == "Synced" and status.get("wsrep_ready") == "ON"


def initialise(node: int) -> None:
    if (datadir(node) / "mysql").is_dir():
        return
    datadir(node).mkdir(parents=True, exist_ok=True)
    own_node_dir(node)
    say(f"initialising node {node} in {datadir(node)}")
    with (node_dir(node) / "install.log").open("w") as log:
        subprocess.run(  # noqa: S603
            [find_executable("mariadb-install-db"), "--no-defaults", f"--datadir={datadir(node)}",
             "--auth-root-authentication-method=normal", "--skip-test-db", *run_as()],
            check=True, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def grastate(node: int) -> dict[str, str]:
    """grastate.dat's fields (uuid, seqno, safe_to_bootstrap); {} when absent."""
    path = datadir(node) / "grastate.dat"
    if not path.exists():
        return {}
    fields = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith("#"):
            fields[key.strip()] = value.strip()
    return fields


def recover_position(node: int, timeout: float = 120, grace: float = 10) -> str | None:
    """``uuid:seqno`` of the node's last committed transaction, as galera_recovery finds it.

    ``mariadbd --wsrep-recover`` logs the position, then shuts down. In CI (2026-12) one such run,
    after a kill -9 under 16 writing tills, had not exited after 120 s, and the node never
    restarted (its log was not kept). So once the position is logged the process gets
    ``grace`` seconds to exit and is then killed: its one job is done, and the node's real
    start repeats the crash recovery. If it logs none within ``timeout`` it is killed too, its
    log is printed, and None is returned.
    """
    log = node_dir(node) / "wsrep-recover.log"
    log.unlink(missing_ok=True)
    options = [o for o in node_options(node) if not o.startswith("--log-error=")]
    process = subprocess.Popen(  # noqa: S603
        [find_executable("mariadbd"), *options, f"--log-error={log}", "--wsrep-recover"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline, found = time.monotonic() + timeout, []
    try:
        while time.monotonic() < deadline and process.poll() is None:
            found = logged_positions(log)
            if found:
                deadline = min(deadline, time.monotonic() + grace)
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            say(f"node {node}: --wsrep-recover had not exited; killed it (log: {log})")
            os.killpg(process.pid, signal.SIGKILL)  # its session: nothing it started lingers
        process.wait()
    found = logged_positions(log)
    if not found:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
        say(f"node {node}: no position recovered; Galera decides (a full SST). Log:\n{tail}")
    return found[-1] if found else None


def logged_positions(log: Path) -> list[str]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return re.findall(r"WSREP: Recovered position: (\S+:-?\d+)", text)


def launch(node: int, *extra: str) -> subprocess.Popen:
    """Start mariadbd for ``node`` in the background (does not wait)."""
    own_node_dir(node)
    with (node_dir(node) / "stdout.log").open("a") as out:
        return subprocess.Popen(  # noqa: S603
            [find_executable("mariadbd"), *node_options(node), *extra],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip


def wait_synced(
    node: int, timeout: float = 180, *, process: subprocess.Popen | None = None
) -> dict[str, str]:
    """Wait until ``node`` is Synced; raises RuntimeError after ``timeout`` seconds, or as soon
    as ``process`` (the node's mariadbd, when we started it) has exited."""
    deadline = time.monotonic() + timeout
    status: dict[str, str] = {}
    while time.monotonic() < deadline:
        status = wsrep_status(node)
        if is_synced(status):
            return status
        if process is not None and process.poll() is not None:
            break  # it gave up (its pid file appears only late, after recovery and IST)
        time.sleep(0.5)
    raise RuntimeError(
        f"node {node} is not Synced ({status.get('wsrep_local_state_comment', 'no answer')}); "
        f"see {log_file(node)}"
    )


def start_node(node: int, *extra: str) -> None:
    if node_pid(node):
        return
    initialise(node)
    wait_synced(node, process=launch(node, *extra))
    say(f"node {node} Synced on {HOST}:{mysql_port(node)}")


def restart_node(node: int) -> str | None:
    """Start a stopped or killed node at its recovered position, so that it rejoins by IST.

    Returns the position handed to Galera (None when nothing could be recovered, e.g. a node
    that never started; Galera then decides by itself).
    """
    if node_pid(node):
        return None
    position = recover_position(node)
    say(f"node {node}: recovered position {position}")
    extra = [f"--wsrep-start-position={position}"] if position else []
    start_node(node, *extra)
    return position


def kill_node(node: int) -> None:
    """``kill -9`` the node: a crash, not a shutdown."""
    pid = node_pid(node)
    if pid:
        os.kill(pid, signal.SIGKILL)
        while read_pid(pid_file(node)) == pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
            time.sleep(0.05)
        say(f"node {node} killed (pid {pid})")


def stop_node(node: int) -> None:
    stop_process(node_pid(node))


def bootstrap_node() -> int:
    """The node to start the cluster from: the one Galera marked safe, else the most advanced."""
    states = {n: grastate(n) for n in NODES}
    if not any(states.values()):
        return 1
    for node in NODES:
        if states[node].get("safe_to_bootstrap") == "1":
            return node
    # Nobody shut down last (a crash of everything): pick the highest recovered seqno, as the
    # MariaDB manual says, and mark it safe.
    best, best_seqno = 1, -2
    for node in NODES:
        if not states[node]:
            continue
        position = recover_position(node)
        seqno = int(position.rsplit(":", 1)[1]) if position else -1
        if seqno > best_seqno:
            best, best_seqno = node, seqno
    path = datadir(best) / "grastate.dat"
    path.write_text(re.sub(r"safe_to_bootstrap:\s*0", "safe_to_bootstrap: 1", path.read_text()))
    return best


# ---------------------------------------------------------------------------------------------
# Health check agent: HTTP 200 only while the node is Synced and ready


class NodeWatcher:
    """Polls one node's wsrep state every 0.25 s over a kept connection, so that a health check
    is answered at once from memory (checks stay fast while the machine is busy)."""

    FRESH = 1.5  # seconds: an older answer counts as "down"

    def __init__(self, node: int):
        self.node = node
        self.state = "down"
        self.synced_at = 0.0
        self.seen_at = 0.0

    def poll_forever(self) -> None:
        conn = None
        while True:
            try:
                if conn is None:
                    conn = connect_node(self.node, timeout=1)
                with conn.cursor() as cur:
                    cur.execute(
                        "SHOW GLOBAL STATUS WHERE Variable_name IN "
                        "('wsrep_local_state_comment', 'wsrep_ready')"
                    )
                    status = dict(cur.fetchall())
                self.state = status.get("wsrep_local_state_comment", "unknown")
                self.seen_at = time.monotonic()
                if is_synced(status):
                    self.synced_at = self.seen_at
            except pymysql.err.MySQLError:
                self.state = "down"
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
                conn = None
            time.sleep(0.25)

    def healthy(self) -> bool:
        return time.monotonic() - self.synced_at < self.FRESH and self.synced_at == self.seen_at


class AgentHandler(http.server.BaseHTTPRequestHandler):
    watcher: NodeWatcher

    def do_GET(self):
        ok = self.watcher.healthy()
        body = f"node{self.watcher.node} {self.watcher.state}\n".encode()
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_OPTIONS = do_GET

    def log_message(self, *args):
        pass


def run_agent() -> None:
    """Serve one check port per node until killed (HAProxy ``option httpchk`` polls them)."""
    for node in NODES:
        watcher = NodeWatcher(node)
        threading.Thread(target=watcher.poll_forever, daemon=True).start()
        handler = type(f"Node{node}Agent", (AgentHandler,), {"watcher": watcher})
        server = http.server.ThreadingHTTPServer((HOST, agent_port(node)), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(3600)


def agent_pid_file() -> Path:
    return BASE / "agent.pid"


def start_agent() -> None:
    if read_pid(agent_pid_file()):
        return
    with (BASE / "agent.log").open("a") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, __file__, "agent"], stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    agent_pid_file().write_text(str(process.pid))
    wait_port(agent_port(NODES[-1]))


# ---------------------------------------------------------------------------------------------
# HAProxy


def haproxy_config() -> str:
    writer = "\n".join(
        f"    server node{n} {HOST}:{mysql_port(n)} check port {agent_port(n)}"
        + (" on-marked-up shutdown-backup-sessions" if n == 1 else " backup")
        for n in NODES
    )
    # The round-robin listener follows the writer listener's checks instead of its own.
    multi_writer = "\n".join(
        f"    server node{n} {HOST}:{mysql_port(n)} track writer/node{n}" for n in NODES
    )

    return f"""\
# Rendered by scripts/cluster.py; edit that file, not this one.
global
    maxconn 2000
    stats socket {BASE}/haproxy.sock mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    # Pooled connections sit idle between requests; the pool's own lifetime is shorter.
    timeout client 1h
    timeout server 1h
    timeout check 2s
    # A node is up only while its agent says Synced (a TCP check passes as soon as the port
    # opens, which is before a joining node has caught up).
    option httpchk GET /
    http-check expect status 200
    # Down after 2 failed checks (~1 s), up after 3 good ones. Sessions on a node marked down
    # are cut, so clients reconnect to the new writer; when the writer is back, sessions on the
    # backups are cut so that there is again ONE writer.
    default-server inter 500ms fall 2 rise 3 on-marked-down shutdown-sessions

listen writer
    bind {HOST}:{WRITER_PORT}
{writer}

listen multi_writer
    bind {HOST}:{MULTI_WRITER_PORT}
    balance roundrobin
{multi_writer}

listen stats
    mode http
    bind {HOST}:{STATS_PORT}
    stats enable
    stats uri /
"""


def haproxy_pid_file() -> Path:
    return BASE / "haproxy.pid"


def start_haproxy() -> None:
    config = BASE / "haproxy.cfg"
    config.write_text(haproxy_config())
    if read_pid(haproxy_pid_file()):
        return
    haproxy = find_executable("haproxy")
    subprocess.run([haproxy, "-c", "-q", "-f", str(config)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [haproxy, "-D", "-f", str(config), "-p", str(haproxy_pid_file())], check=True
    )
    wait_port(WRITER_PORT)


def haproxy_servers() -> dict[tuple[str, str], str]:
    """``{(proxy, server): status}`` from HAProxy's stats CSV (UP, DOWN, ...)."""
    import urllib.request

    url = f"http://{HOST}:{STATS_PORT}/;csv"
    with urllib.request.urlopen(url, timeout=2) as response:
        lines = response.read().decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    result = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("svname") not in ("FRONTEND", "BACKEND", None):
            result[(row["pxname"], row["svname"])] = row["status"]
    return result


def wait_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port}")


def wait_haproxy_up(nodes=NODES, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            servers = haproxy_servers()
            if all(servers.get(("writer", f"node{n}")) == "UP" for n in nodes):
                return
        time.sleep(0.25)
    raise RuntimeError(f"HAProxy does not see nodes {nodes} up")


# ---------------------------------------------------------------------------------------------
# Commands


def start() -> None:
    ensure_packages()
    BASE.mkdir(parents=True, exist_ok=True)
    running = [n for n in NODES if node_pid(n)]
    if running:
        # Some nodes are up: the others join them (after a crash, at their recovered position).
        for node in NODES:
            if node not in running:
                restart_node(node)
    else:
        first = bootstrap_node()
        say(f"bootstrapping the cluster from node {first}")
        extra = []
        if grastate(first):
            position = recover_position(first)
            extra = [f"--wsrep-start-position={position}"] if position else []
        start_node(first, "--wsrep-new-cluster", *extra)
        for node in NODES:
            if node != first:
                if grastate(node):
                    restart_node(node)
                else:
                    start_node(node)  # a new node: a full SST from the (idle) donor
    size = wsrep_status(NODES[0]).get("wsrep_cluster_size")
    if size != str(len(NODES)):
        raise RuntimeError(f"cluster size is {size}, expected {len(NODES)}")
    start_agent()
    start_haproxy()
    wait_haproxy_up()
    say(
        f"3 nodes Synced; writer mysql://root@{HOST}:{WRITER_PORT}/loyalty, "
        f"round-robin mysql://root@{HOST}:{MULTI_WRITER_PORT}/loyalty"
    )


def stop_process(pid: int | None, timeout: float = 60) -> None:
    """SIGTERM ``pid`` and wait until it is gone (SIGKILL after ``timeout`` seconds)."""
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return  # it was this process's child and has exited
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def stop() -> None:
    stop_process(read_pid(haproxy_pid_file()), 10)
    stop_process(read_pid(agent_pid_file()), 10)
    # Node 1 last: it is then the one marked safe_to_bootstrap for the next start.
    for node in reversed(NODES):
        stop_node(node)
    say("stopped")


def status() -> int:
    ok = True
    for node in NODES:
        state = wsrep_status(node)
        ok &= is_synced(state)
        print(
            f"node{node} {HOST}:{mysql_port(node)} pid={node_pid(node)} "
            f"state={state.get('wsrep_local_state_comment', 'down')} "
            f"size={state.get('wsrep_cluster_size', '-')} "
            f"seqno={state.get('wsrep_last_committed', '-')}"
        )
    try:
        for (proxy, server), state in sorted(haproxy_servers().items()):
            print(f"haproxy {proxy}/{server} {state}")
    except OSError:
        print("haproxy down")
        ok = False
    return 0 if ok else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("start")
    sub.add_parser("stop")
    sub.add_parser("status")
    sub.add_parser("agent")
    sub.add_parser("haproxy-config")
    for name in ("kill-node", "restart-node"):
        sub.add_parser(name).add_argument("node", type=int, choices=NODES)
    args = parser.parse_args(argv)
    if args.command == "start":
        start()
    elif args.command == "stop":
        stop()
    elif args.command == "status":
        return status()
    elif args.command == "agent":
        run_agent()
    elif args.command == "haproxy-config":
        print(haproxy_config())
    elif args.command == "kill-node":
        kill_node(args.node)
    elif args.command == "restart-node":
        restart_node(args.node)
        wait_haproxy_up([args.node])
    return 0


if __name__ == "__main__":
    sys.exit(main())
