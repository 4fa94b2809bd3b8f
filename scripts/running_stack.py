"""The whole stack (scripts/stack.py) started on free loopback ports with its own state.

Used by the integration and browser tests, `make eval` and `make bench`: each run gets fresh
databases and logs under a directory of its own, talks to the processes over HTTP only,
and stops them with SIGTERM.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from intake.settings import read_dotenv
from scripts.layout import ROOT

READY_TIMEOUT_SECONDS = 240
PORT_NAMES = ("WEB_PORT", "RASA_PORT", "ACTION_PORT")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """Every descendant process of `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of one process from /proc/<pid>/status (VmRSS now, VmHWM peak)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class RunningStack:
    """`python -m scripts.stack` on free ports, with state under `state_dir`."""

    module = "scripts.stack"

    def __init__(self, state_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.state_dir = state_dir
        self.ports = {name: free_port() for name in PORT_NAMES}
        env = {**os.environ, **(extra_env or {})}
        processes = int(env.get("RASA_PROCESSES", "2"))
        self.rasa_ports = [self.ports["RASA_PORT"], *(free_port() for _ in range(processes - 1))]
        self.env = {
            **os.environ,
            **{name: str(port) for name, port in self.ports.items()},
            "RASA_PORTS": ",".join(str(port) for port in self.rasa_ports),
            "INTAKE_DB": str(state_dir / "intake.db"),
            "TRACKER_DB": str(state_dir / "tracker.db"),
            "OUTBOX_DB": str(state_dir / "outbox.db"),
            "LOG_DIR": str(state_dir / "log"),
            **(extra_env or {}),
        }
        secrets = {**read_dotenv(ROOT / ".env"), **self.env}
        self.token = secrets["INTAKE_API_TOKEN"]
        # What the chat gateway sends Rasa's REST channel (bot/runtime/rest_channel.py).
        self.rasa_headers = {"Authorization": f"Bearer {secrets['RASA_CHANNEL_TOKEN']}"}
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.ready_seconds: float | None = None
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_ready(self) -> None:
        """Block until the stack prints that it is ready; AssertionError with its output if not."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            seen.append(line)
            if line.startswith("stack: ready"):
                self.ready_seconds = time.monotonic() - self.started
                return
        raise AssertionError(f"stack did not become ready: {''.join(seen)}")

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def say(self, sender: str, text: str) -> list[dict]:
        """One patient message over Rasa's REST channel; the bot's replies."""
        response = requests.post(
            self.url("RASA_PORT", "/webhooks/rest/webhook"),
            json={"sender": sender, "message": text},
            headers={**self.rasa_headers, "X-Conversation-Id": sender},  # as the gateway sends
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def processes(self) -> dict[str, list[int]]:
        """PIDs of each service (rasa, action-server, web), found by command line."""
        found: dict[str, list[int]] = {"rasa": [], "action-server": [], "web": []}
        for pid in children(self.process.pid):
            line = command_line(pid)
            if "rasa_sdk" in line or "bot.runtime.action_server" in line:
                found["action-server"].append(pid)
            elif "-m bot.runtime.server run" in line:  # every Rasa process
                found["rasa"].append(pid)
            elif "gunicorn" in line:
                found["web"].append(pid)
        return found

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


class RunningCluster(RunningStack):
    """`python -m scripts.cluster` (cluster mode) on free ports, with state under `state_dir`.

    RASA_PORT and ACTION_PORT are the load balancer's fronts. PostgreSQL runs as the
    `postgres` user when this runs as root, so `state_dir` must be searchable by others.
    """

    module = "scripts.cluster"

    def __init__(self, state_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.cluster_dir = state_dir / "cluster"
        self.rasa_node_ports = [free_port() for _ in range(3)]
        self.action_node_ports = [free_port() for _ in range(2)]
        self.server_ports = {
            name: free_port() for name in ("BALANCER_STATS_PORT", "POSTGRES_PORT", "REDIS_PORT")
        }
        env = {
            **{name: str(port) for name, port in self.server_ports.items()},
            "RASA_NODE_PORTS": ",".join(map(str, self.rasa_node_ports)),
            "ACTION_NODE_PORTS": ",".join(map(str, self.action_node_ports)),
            "CLUSTER_DIR": str(self.cluster_dir),
            **(extra_env or {}),
        }
        super().__init__(state_dir, env)
        self.rasa_ports = [self.ports["RASA_PORT"]]  # the load balancer: bare REST goes there

    def processes(self) -> dict[str, list[int]]:
        """As the stack's, plus the servers: postgres (with its workers), redis, haproxy."""
        found = {**super().processes(), "postgres": [], "redis": [], "haproxy": []}
        for pid in children(self.process.pid):
            line = command_line(pid)
            for name in ("postgres", "redis", "haproxy"):
                if name in line.split(" ", 1)[0] or line.startswith(f"{name}:"):
                    found[name].append(pid)
        return found

    def pid_of(self, marker: str) -> int:
        """The one process of the cluster whose command line holds `marker` (e.g. "--port 5101")."""
        found = [pid for pid in children(self.process.pid) if f"{marker} " in command_line(pid)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} processes with {marker!r} in their command line")
        return found[0]
