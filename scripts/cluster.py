"""`make run-cluster`: the stack on Rasa's own scaling path, shown on one machine's loopback.

    PostgreSQL   every conversation's events (Rasa's SQL tracker store, bot/tracker_cache.py)
    Redis        every conversation's lock (Rasa's RedisLockStore): one turn at a time
    HAProxy      spreads turns over RASA_NODES Rasa nodes and action calls over ACTION_NODES
                 action-server nodes, with health checks; the chat gateway talks to it
    web          the Flask app, as in `make run`

Any Rasa node can serve any turn of any conversation. Each action-server node keeps its own
durable outbox (OUTBOX_DB with the node's number); the intake API's idempotency keeps each
referral stored once whichever node delivers it.

TRACKER_STORE_URL (an SQLAlchemy URL) and LOCK_STORE_URL (redis://) point at servers that
run elsewhere. When unset, this starts its own PostgreSQL and Redis from Debian's packages
(`make setup` installs them when run as root), on loopback, data under CLUSTER_DIR.
Everything else is set by environment too (CLUSTER_DEFAULTS, documented in docs/scaling.md).

A process that exits is started again (as an orchestrator would), and the load balancer
routes around it meanwhile. Ctrl-C or SIGTERM stops the nodes, then the servers.
"""

from __future__ import annotations

import csv
import io
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from scripts.layout import ROOT, VAR
from scripts.stack import (
    DEFAULTS,
    Service,
    Stack,
    StackError,
    action_server_command,
    log_tail,
    make_private,
    rasa_command,
    read_dotenv,
    serve,
    web_service,
)

CLUSTER_DEFAULTS = {
    "RASA_NODES": "3",
    "ACTION_NODES": "2",
    "RASA_PORT": "5005",  # the load balancer's front for the Rasa nodes
    "RASA_NODE_PORT": "5101",  # the first Rasa node; the others count up
    "ACTION_PORT": "5055",  # the load balancer's front for the action-server nodes
    "ACTION_NODE_PORT": "5151",
    "BALANCER_STATS_PORT": "5006",  # HAProxy's statistics page (CSV at /;csv)
    "POSTGRES_PORT": "55432",  # only when this starts its own PostgreSQL
    "REDIS_PORT": "56379",  # only when this starts its own Redis
    "CLUSTER_DIR": str(VAR / "cluster"),
    "TRACKER_CACHE_SIZE": "500",  # trackers each Rasa node keeps in memory (0: none)
    # How HAProxy picks a Rasa node: "conversation" keeps each conversation on one node while
    # it is up (consistent hash of the gateway's X-Conversation-Id), so its tracker stays
    # cached; "roundrobin" sends each turn to the next node.
    "CLUSTER_BALANCE": "conversation",
}
BALANCE = {
    "conversation": "balance hdr(X-Conversation-Id)\n    hash-type consistent",
    "roundrobin": "balance roundrobin",
}
RESTART_DELAY_SECONDS = 1.0
TRACKER_DATABASE = "msk_tracker"
DATABASE_USER = "msk"


def node_ports(env: dict[str, str], first: str, count: str, listed: str) -> list[str]:
    """The nodes' ports: the comma-separated list `listed` if set, else `count` from `first` up."""
    if env.get(listed):
        return [port.strip() for port in env[listed].split(",") if port.strip()]
    try:
        start, number = int(env[first]), int(env[count])
    except ValueError:
        raise StackError(f"{first} and {count} must be whole numbers") from None
    if not 1 <= number <= 16:
        raise StackError(f"{count} must be from 1 to 16, not {number}")
    return [str(start + offset) for offset in range(number)]


def postgres_password(cluster_dir: Path) -> str:
    """The password of this cluster's own PostgreSQL, made once and kept beside its data."""
    path = cluster_dir / "postgres.password"
    if not path.exists():
        cluster_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def lock_store_parts(url: str) -> dict[str, str]:
    """LOCK_STORE_URL (redis://[:password@]host[:port][/db]) as endpoints.cluster.yml reads it."""
    parts = urlsplit(url)
    if parts.scheme != "redis" or not parts.hostname:
        raise StackError(
            f"LOCK_STORE_URL must look like redis://:password@host:6379/1, not {url!r}"
        )
    database = parts.path.strip("/") or "1"
    if not database.isdigit():
        raise StackError(f"LOCK_STORE_URL's database must be a number, not {database!r}")
    return {
        "LOCK_STORE_HOST": parts.hostname,
        "LOCK_STORE_PORT": str(parts.port or 6379),
        "LOCK_STORE_DB": database,
        "LOCK_STORE_PASSWORD": unquote(parts.password or ""),
    }


def cluster_environment() -> dict[str, str]:
    """Defaults, then .env, then the caller's environment (which wins), then what follows."""
    env = {**DEFAULTS, **CLUSTER_DEFAULTS, **read_dotenv(ROOT / ".env"), **os.environ}
    cluster_dir = Path(env["CLUSTER_DIR"])
    env["OWN_POSTGRES"] = "" if env.get("TRACKER_STORE_URL") else "1"
    env["OWN_REDIS"] = "" if env.get("LOCK_STORE_URL") else "1"
    if env["OWN_POSTGRES"]:
        password = quote(postgres_password(cluster_dir), safe="")
        env["TRACKER_STORE_URL"] = (
            f"postgresql://{DATABASE_USER}:{password}@127.0.0.1:{env['POSTGRES_PORT']}"
            f"/{TRACKER_DATABASE}"
        )
    if env["OWN_REDIS"]:  # holds only locks: a new password each start is enough
        env["LOCK_STORE_URL"] = (
            f"redis://:{secrets.token_urlsafe(24)}@127.0.0.1:{env['REDIS_PORT']}/1"
        )
    env.update(lock_store_parts(env["LOCK_STORE_URL"]))
    if env["CLUSTER_BALANCE"] not in BALANCE:
        raise StackError(f"CLUSTER_BALANCE must be one of {', '.join(BALANCE)}")
    env["RASA_NODE_PORTS"] = ",".join(
        node_ports(env, "RASA_NODE_PORT", "RASA_NODES", "RASA_NODE_PORTS")
    )
    env["ACTION_NODE_PORTS"] = ",".join(
        node_ports(env, "ACTION_NODE_PORT", "ACTION_NODES", "ACTION_NODE_PORTS")
    )
    env["RASA_URL"] = f"http://127.0.0.1:{env['RASA_PORT']}"  # the gateway talks to HAProxy
    env["ACTION_SERVER_URL"] = f"http://127.0.0.1:{env['ACTION_PORT']}"
    env["INTAKE_URL"] = f"http://127.0.0.1:{env['WEB_PORT']}"
    env["SANIC_HOST"] = "127.0.0.1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return env


def haproxy_config(env: dict[str, str]) -> str:
    """HAProxy in front of the Rasa nodes and the action-server nodes.

    A node is taken out after three failed health checks a second apart and put back after
    two good ones. Only a request that never reached a node is sent to another one (a failed
    connection, retried on the next node): a turn a node may have handled is never handled
    twice. HAProxy's layer-7 retries (`retry-on`) are not used: with them, a request sent as a
    node died came back 502 on HAProxy 2.6 (seen killing a node between two requests).
    """

    def servers(prefix: str, ports: str) -> str:
        return "\n".join(
            f"    server {prefix}{number} 127.0.0.1:{port} check"
            for number, port in enumerate(ports.split(","), start=1)
        )

    return f"""# Written by scripts/cluster.py at each start; edit that, not this.
global
    maxconn 4096
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog  # one line a request: timings, node, status, how it ended (never a body)
    option dontlog-normal  # only requests that failed or were retried
    timeout connect 2s
    timeout client 90s
    timeout server 60s
    # A request whose connection to a node fails (the node is down or just died) is sent to
    # another node; one that reached a node is never sent again, so no turn is handled twice.
    retries 3
    option redispatch 1
    # One connection per request on both sides: a kept-open connection would outlive a node
    # that died, and the next request on it would fail instead of going to another node.
    option httpclose
    timeout check 3s
    default-server inter 1s fall 3 rise 2

frontend rasa
    bind 127.0.0.1:{env["RASA_PORT"]}
    default_backend rasa_nodes

backend rasa_nodes
    {BALANCE[env["CLUSTER_BALANCE"]]}
    option httpchk GET /webhooks/rest/
    http-check expect status 200
{servers("rasa", env["RASA_NODE_PORTS"])}

frontend actions
    bind 127.0.0.1:{env["ACTION_PORT"]}
    default_backend action_nodes

backend action_nodes
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
{servers("action", env["ACTION_NODE_PORTS"])}

listen stats
    bind 127.0.0.1:{env["BALANCER_STATS_PORT"]}
    stats enable
    stats uri /
    stats refresh 5s
"""


def _program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found:
        return found
    if name in ("postgres", "initdb"):
        versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
        if versions:
            return str(versions[-1])
    package = {"postgres": "postgresql", "initdb": "postgresql"}.get(name, name)
    raise StackError(
        f"{name} is not installed: run `make setup` as root or "
        f"`sudo apt-get install -y {package}`, then retry."
    )


def _as_database_user() -> list[str]:
    """PostgreSQL refuses to run as root: then run it as Debian's `postgres` user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise StackError(
            "running as root needs the `postgres` user: apt-get install -y postgresql"
        ) from None
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


def _open_path_to(folder: Path) -> None:
    """Let the database user reach `folder`: search (x, not read) on the folders above it.

    Only folders of this project, or `folder` itself, are changed; every file in them stays
    0600. Any other folder on the way that the user cannot search is reported instead.
    """
    for parent in reversed([folder, *folder.parents]):
        if parent.stat().st_mode & 0o001:
            continue
        if parent == folder or parent.is_relative_to(ROOT):
            parent.chmod(parent.stat().st_mode | 0o001)
        else:
            raise StackError(
                f"PostgreSQL runs as the `postgres` user, which cannot reach {parent}: "
                "set CLUSTER_DIR to a folder it can reach (e.g. under /tmp or var/)."
            )


class PostgresServer:
    """This cluster's own PostgreSQL: data in CLUSTER_DIR/postgres, listening on loopback."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.cluster_dir = Path(env["CLUSTER_DIR"])
        self.data = self.cluster_dir / "postgres"
        self.sockets = self.cluster_dir / "postgres-run"

    def initialise(self) -> None:
        prefix = _as_database_user()
        for folder in (self.data, self.sockets):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)
            if prefix:
                shutil.chown(folder, "postgres", "postgres")
        if prefix:
            _open_path_to(self.cluster_dir)
        if (self.data / "PG_VERSION").exists():
            return
        password_file = self.sockets / "initial-password"
        password_file.write_text(postgres_password(self.cluster_dir))
        password_file.chmod(0o600)
        if prefix:
            shutil.chown(password_file, "postgres", "postgres")
        done = subprocess.run(
            [
                *prefix,
                _program("initdb"),
                "-D",
                str(self.data),
                "-U",
                DATABASE_USER,
                f"--pwfile={password_file}",
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],  # fmt: skip
            capture_output=True,
            text=True,
        )
        password_file.unlink()
        if done.returncode != 0:
            raise StackError(f"initdb failed: {done.stderr.strip().splitlines()[-1:]}")

    def service(self) -> Service:
        return Service(
            "postgres",
            "POSTGRES_PORT",
            [
                *_as_database_user(),
                _program("postgres"),
                "-D",
                str(self.data),
                "-p",
                self.env["POSTGRES_PORT"],
                "-k",
                str(self.sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ],  # fmt: skip
            "",
            probe=self.answers,
            stop_signal=signal.SIGINT,  # PostgreSQL's fast shutdown
        )

    def _connect(self, database: str):
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1",
            port=int(self.env["POSTGRES_PORT"]),
            user=DATABASE_USER,
            password=postgres_password(self.cluster_dir),
            dbname=database,
            connect_timeout=2,
        )

    def answers(self) -> bool:
        import psycopg2

        try:
            self._connect("postgres").close()
        except psycopg2.Error:
            return False
        return True

    def create_database(self) -> None:
        connection = self._connect("postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TRACKER_DATABASE,))
                if cursor.fetchone() is None:
                    cursor.execute(f"CREATE DATABASE {TRACKER_DATABASE}")
        finally:
            connection.close()


def redis_service(env: dict[str, str]) -> Service:
    """This cluster's own Redis: locks only, so nothing is written to disk."""
    cluster_dir = Path(env["CLUSTER_DIR"])
    config = cluster_dir / "redis.conf"  # the password stays out of the process list
    config.write_text(
        "bind 127.0.0.1\n"
        f"port {env['LOCK_STORE_PORT']}\n"
        f"dir {cluster_dir}\n"
        'save ""\n'
        "appendonly no\n"
        f"requirepass {env['LOCK_STORE_PASSWORD']}\n"
    )
    config.chmod(0o600)

    def answers() -> bool:
        import redis

        try:
            return bool(
                redis.Redis(
                    host=env["LOCK_STORE_HOST"],
                    port=int(env["LOCK_STORE_PORT"]),
                    password=env["LOCK_STORE_PASSWORD"] or None,
                    socket_timeout=1,
                ).ping()
            )
        except redis.RedisError:
            return False

    return Service(
        "redis", "REDIS_PORT", [_program("redis-server"), str(config)], "", probe=answers
    )


def haproxy_service(env: dict[str, str]) -> Service:
    config = Path(env["CLUSTER_DIR"]) / "haproxy.cfg"
    config.write_text(haproxy_config(env))
    config.chmod(0o600)
    return Service(
        "haproxy",
        "BALANCER_STATS_PORT",
        [_program("haproxy"), "-db", "-f", str(config)],
        "/",
        probe=lambda: every_node_up(env),
        stop_signal=signal.SIGUSR1,  # soft stop: finish the requests under way
    )


def balancer_servers(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """HAProxy's statistics of each node ("rasa1", "action2", ...): status, requests served."""
    url = f"http://127.0.0.1:{env['BALANCER_STATS_PORT']}/;csv"
    with urllib.request.urlopen(url, timeout=2) as response:
        text = response.read().decode().lstrip("# ")
    rows = csv.DictReader(io.StringIO(text))
    return {row["svname"]: row for row in rows if row["pxname"] in ("rasa_nodes", "action_nodes")}


def every_node_up(env: dict[str, str]) -> bool:
    """Ready when the load balancer's own checks have found every node up."""
    try:
        servers = balancer_servers(env)
    except OSError:
        return False
    nodes = [name for name in servers if name not in ("BACKEND", "FRONTEND")]
    return bool(nodes) and all(servers[name]["status"] == "UP" for name in nodes)


def outbox_path(env: dict[str, str], node: int) -> str:
    """The durable outbox of the node-th action server."""
    return str(Path(env["CLUSTER_DIR"]) / f"outbox-{node}.db")


def node_services(env: dict[str, str]) -> list[Service]:
    """The action-server nodes and the Rasa nodes, each on its own loopback port."""
    nodes = []
    for number, port in enumerate(env["ACTION_NODE_PORTS"].split(","), start=1):
        name = f"action-server-{number}"
        outbox = outbox_path(env, number)
        nodes.append(
            Service(
                name,
                f"PORT_{name}",
                action_server_command(port),
                "/health",
                env={f"PORT_{name}": port, "OUTBOX_DB": outbox},
            )  # fmt: skip
        )
    for number, port in enumerate(env["RASA_NODE_PORTS"].split(","), start=1):
        name = f"rasa-{number}"
        command = rasa_command(port, env["MODEL"], "endpoints.cluster.yml")
        nodes.append(
            Service(name, f"PORT_{name}", command, "/webhooks/rest/", env={f"PORT_{name}": port})
        )
    return nodes


class Cluster(Stack):
    """The servers (PostgreSQL, Redis), then the nodes, HAProxy and the web app."""

    def __init__(self, env: dict[str, str]) -> None:
        self.postgres = PostgresServer(env) if env["OWN_POSTGRES"] else None
        for service in node_services(env):  # each node's port, for the port and health checks
            env[service.port_variable] = service.env[service.port_variable]
        self.servers: list[Service] = []
        self.front: list[Service] = []
        super().__init__(env, [])
        self.nodes = node_services(env)

    def start(self) -> None:
        cluster_dir = Path(self.env["CLUSTER_DIR"])
        cluster_dir.mkdir(parents=True, exist_ok=True)
        make_private([cluster_dir], [])
        if self.postgres:
            self.postgres.initialise()
            self.servers.append(self.postgres.service())
        if self.env["OWN_REDIS"]:
            self.servers.append(redis_service(self.env))
        web = web_service(self.env)
        # /healthz and the staff app read one outbox: the first action-server node's (a gap:
        # the other nodes' outboxes are not shown; docs/scaling.md)
        web.env = {"OUTBOX_DB": outbox_path(self.env, 1)}
        self.front = [haproxy_service(self.env), web]
        self.services = [*self.servers, *self.nodes, *self.front]
        self.prepare(self.services)
        self.launch(self.servers)
        self.wait_until_healthy(self.servers)
        if self.postgres:
            self.postgres.create_database()
        self.launch([*self.nodes, *self.front])
        self.wait_until_healthy([*self.nodes, *self.front])

    def watch(self) -> None:
        """Start again any process that exits, after a pause, saying so on the console."""
        while True:
            for service in self.services:
                assert service.process is not None
                code = service.process.poll()
                if code is None:
                    continue
                print(
                    f"cluster: {service.name} exited with code {code} "
                    f"({log_tail(self.log_dir / f'{service.name}.log', 1)}); starting it again",
                    flush=True,
                )
                time.sleep(RESTART_DELAY_SECONDS)
                self.launch([service], log_mode="a")
            time.sleep(0.5)

    def stop(self) -> None:
        """The web app and load balancer, then the nodes, then the servers they use."""
        self.stop_processes(self.front)
        self.stop_processes(self.nodes)
        self.stop_processes(self.servers)


def print_urls(env: dict[str, str]) -> None:
    web = f"http://127.0.0.1:{env['WEB_PORT']}"
    tracker = f"own, port {env['POSTGRES_PORT']}" if env["OWN_POSTGRES"] else "TRACKER_STORE_URL"
    locks = f"own, port {env['REDIS_PORT']}" if env["OWN_REDIS"] else "LOCK_STORE_URL"
    print(
        "\nMSK self-referral assistant is running in cluster mode:\n"
        f"  demo page with chat   {web}/\n"
        f"  chat gateway          {web}/api/v1/chat\n"
        f"  Rasa nodes            ports {env['RASA_NODE_PORTS']}, behind {env['RASA_PORT']}\n"
        f"  action-server nodes   ports {env['ACTION_NODE_PORTS']}, behind {env['ACTION_PORT']}\n"
        f"  load balancer stats   http://127.0.0.1:{env['BALANCER_STATS_PORT']}/\n"
        f"  tracker store         PostgreSQL ({tracker})\n"
        f"  lock store            Redis ({locks})\n"
        f"  logs                  {env['LOG_DIR']}/\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )


def main() -> int:
    return serve(lambda: Cluster(cluster_environment()), print_urls)


if __name__ == "__main__":
    sys.exit(main())
