"""Start the action server, the Rasa server and the web app; stop them all together.

Used by `make run` and by the integration tests. Ports and paths come from the
environment (defaults in DEFAULTS), secrets from .env. Each process logs to
var/log/<name>.log. Ctrl-C or SIGTERM stops every process, then this one exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from intake.settings import read_dotenv  # one reader of .env for the app and the stack
from scripts.layout import MODEL_FILE, ROOT, VAR

DEFAULTS = {
    "WEB_PORT": "8000",
    "RASA_PORT": "5005",
    # Rasa server processes: each serves its own share of conversations (the gateway sends a
    # conversation always to the same one), so both cores serve turns. Ports RASA_PORT,
    # RASA_PORT + 1, ... unless RASA_PORTS lists them (comma-separated).
    "RASA_PROCESSES": "2",
    "ACTION_PORT": "5055",
    "INTAKE_DB": str(VAR / "intake.db"),
    "TRACKER_DB": str(VAR / "tracker.db"),
    "OUTBOX_DB": str(VAR / "outbox.db"),  # the action server's outbox (bot/outbox.py)
    "LOG_DIR": str(VAR / "log"),
    "MODEL": str(MODEL_FILE),
}
START_TIMEOUT_SECONDS = 180
STOP_TIMEOUT_SECONDS = 15


@dataclass
class Service:
    name: str
    port_variable: str
    command: list[str]
    health_path: str
    process: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)  # this process's own variables
    probe: Callable[[], bool] | None = None  # readiness, for a service without HTTP health
    stop_signal: signal.Signals = signal.SIGTERM

    def port(self, env: dict[str, str]) -> int:
        return int(env[self.port_variable])

    def health_url(self, env: dict[str, str]) -> str:
        return f"http://127.0.0.1:{self.port(env)}{self.health_path}"

    def is_ready(self, env: dict[str, str]) -> bool:
        return self.probe() if self.probe else is_healthy(self.health_url(env))


class StackError(Exception):
    """Something that stops the stack starting, said in one line."""


def rasa_ports(env: dict[str, str]) -> list[str]:
    """The Rasa processes' ports: RASA_PORTS if given, else RASA_PROCESSES from RASA_PORT up."""
    if env.get("RASA_PORTS"):
        return [port.strip() for port in env["RASA_PORTS"].split(",") if port.strip()]
    try:
        first, count = int(env["RASA_PORT"]), int(env["RASA_PROCESSES"])
    except ValueError:
        raise StackError("RASA_PORT and RASA_PROCESSES must be whole numbers") from None
    if not 1 <= count <= 8:
        raise StackError(f"RASA_PROCESSES must be from 1 to 8, not {count}")
    return [str(first + offset) for offset in range(count)]


def stack_environment() -> dict[str, str]:
    """Defaults, then .env, then the caller's environment (which wins)."""
    env = {**DEFAULTS, **read_dotenv(ROOT / ".env"), **os.environ}
    env["SANIC_HOST"] = "127.0.0.1"  # the action server binds to loopback only
    env["INTAKE_URL"] = f"http://127.0.0.1:{env['WEB_PORT']}"
    ports = rasa_ports(env)
    env["RASA_PORT"] = ports[0]
    env["RASA_PORTS"] = ",".join(ports)
    for number, port in enumerate(ports[1:], start=2):
        env[f"RASA_PORT_{number}"] = port
    env["RASA_URL"] = ",".join(f"http://127.0.0.1:{port}" for port in ports)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no calls home from a health service
    return env


def rasa_command(port: str, model: str, endpoints: str = "endpoints.yml") -> list[str]:
    """One Rasa server process on loopback `port`."""
    return [
        sys.executable,
        "-m",
        "bot.runtime.server",  # rasa, with one profiled speed-up (see the module)
        "run",
        "--model",
        model,
        "--endpoints",
        endpoints,
        "--credentials",
        "credentials.yml",
        "--interface",
        "127.0.0.1",
        "--port",
        port,
    ]  # fmt: skip


def action_server_command(port: str) -> list[str]:
    """rasa-sdk's server, taking only calls that carry ACTION_SERVER_TOKEN."""
    return [sys.executable, "-m", "bot.runtime.action_server", "--actions", "bot.actions",
            "--port", port]  # fmt: skip


def rasa_service(env: dict[str, str], number: int) -> Service:
    """The number-th Rasa server process (1 listens on RASA_PORT, 2 on RASA_PORT_2, ...)."""
    port_variable = "RASA_PORT" if number == 1 else f"RASA_PORT_{number}"
    command = rasa_command(env[port_variable], env["MODEL"])
    name = "rasa" if number == 1 else f"rasa-{number}"
    return Service(name, port_variable, command, "/webhooks/rest/")


def web_service(env: dict[str, str]) -> Service:
    """The Flask app (intake API, staff app, chat gateway) under gunicorn."""
    return Service(
        "web",
        "WEB_PORT",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{env['WEB_PORT']}",
            "--workers",
            "2",
            "--threads",  # a thread waits out each Rasa turn: 100 patients need many
            "32",
            "--graceful-timeout",
            "5",
            # Keep idle connections longer than clients do (browsers and aiohttp close theirs
            # after about 15 s): with gunicorn's 2 s, a patient who took 3 s to type could
            # send on a connection gunicorn was closing, and get "connection reset".
            "--keep-alive",
            "75",
            "--preload",  # migrate the intake database once, before the workers fork
            "intake.wsgi:app",
        ],  # fmt: skip
        "/healthz",
    )


def services(env: dict[str, str]) -> list[Service]:
    return [
        Service(
            "action-server", "ACTION_PORT", action_server_command(env["ACTION_PORT"]), "/health"
        ),
        *(rasa_service(env, number) for number in range(1, len(env["RASA_PORTS"].split(",")) + 1)),
        web_service(env),
    ]


def check_port_free(service: Service, env: dict[str, str]) -> None:
    port = service.port(env)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise StackError(
                f"port {port} ({service.port_variable}, for the {service.name}) is already in use: "
                f"stop whatever uses it (`ss -ltnp | grep :{port}`) or set "
                f"{service.port_variable}=<free port> and retry."
            ) from None


SECRETS = ("INTAKE_API_TOKEN", "FLASK_SECRET_KEY", "RASA_CHANNEL_TOKEN", "ACTION_SERVER_TOKEN")


def check_prerequisites(env: dict[str, str]) -> None:
    for name in SECRETS:
        if not env.get(name):
            raise StackError(f"{name} is not set: run `make run`, which writes it to .env.")
    if not Path(env["MODEL"]).exists():
        raise StackError(f"no trained model at {env['MODEL']}: run `make run`, which trains it.")


def make_private(folders: list[Path], files: list[Path]) -> None:
    """Only this user may read the state: folders 0700, databases and logs 0600.

    Files made from now on are private anyway (`main` sets the umask to 077, and the
    processes inherit it); this also closes up what an older run left open.
    """
    for folder in folders:
        if folder.exists():
            folder.chmod(0o700)
    for path in files:
        for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if part.exists():
                part.chmod(0o600)


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def log_tail(path: Path, lines: int = 5) -> str:
    if not path.exists():
        return ""
    return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])


class Stack:
    def __init__(self, env: dict[str, str], processes: list[Service] | None = None) -> None:
        self.env = env
        self.services = services(env) if processes is None else processes
        self.log_dir = Path(env["LOG_DIR"])

    def start(self) -> None:
        self.prepare(self.services)
        self.launch(self.services)
        self.wait_until_healthy(self.services)

    def prepare(self, processes: list[Service]) -> None:
        """Free ports, secrets and model present, private folders for databases and logs."""
        for service in processes:
            check_port_free(service, self.env)
        check_prerequisites(self.env)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        databases = [Path(self.env[name]) for name in ("INTAKE_DB", "TRACKER_DB", "OUTBOX_DB")]
        for path in databases:
            path.parent.mkdir(parents=True, exist_ok=True)
        make_private([VAR, self.log_dir], databases)

    def launch(self, processes: list[Service], log_mode: str = "w") -> None:
        for service in processes:
            log = (self.log_dir / f"{service.name}.log").open(log_mode)
            make_private([], [Path(log.name)])
            service.process = subprocess.Popen(
                service.command,
                cwd=ROOT,
                env={**self.env, **service.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
            )
            log.close()  # the child holds its own copy

    def wait_until_healthy(self, processes: list[Service]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        pending = list(processes)
        while pending:
            for service in list(pending):
                self.raise_if_exited(service)
                if service.is_ready(self.env):
                    pending.remove(service)
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                raise StackError(
                    f"{names} did not answer its health check in {START_TIMEOUT_SECONDS} s"
                )
            time.sleep(0.25)

    def raise_if_exited(self, service: Service) -> None:
        assert service.process is not None
        if service.process.poll() is not None:
            log = self.log_dir / f"{service.name}.log"
            raise StackError(
                f"the {service.name} exited with code {service.process.returncode}; "
                f"see {log}: {log_tail(log)}"
            )

    def watch(self) -> None:
        """Block until a child exits (an error) or a signal arrives (via KeyboardInterrupt)."""
        while True:
            for service in self.services:
                self.raise_if_exited(service)
            time.sleep(0.5)

    def stop(self) -> None:
        self.stop_processes(self.services)

    def stop_processes(self, processes: list[Service]) -> None:
        """Each its stop signal (SIGTERM), then SIGKILL whatever is left after a grace period."""
        running = [s for s in processes if s.process and s.process.poll() is None]
        for service in running:
            _signal_group(service.process, service.stop_signal)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for service in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for service in processes:
            if service.process:
                _signal_group(service.process, signal.SIGKILL)  # stragglers in the group
                service.process.wait()


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _raise_keyboard_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def print_urls(env: dict[str, str]) -> None:
    web = f"http://127.0.0.1:{env['WEB_PORT']}"
    print(
        "\nMSK self-referral assistant is running:\n"
        f"  demo page with chat   {web}/\n"
        f"  intake API            {web}/api/v1/referrals  (bearer token INTAKE_API_TOKEN in .env)\n"
        f"  chat gateway          {web}/api/v1/chat\n"
        f"  Rasa REST channel     http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/webhook"
        f" ({len(env['RASA_PORTS'].split(','))} processes, ports {env['RASA_PORTS']})\n"
        f"  action server         http://127.0.0.1:{env['ACTION_PORT']}/health\n"
        f"  logs                  {env['LOG_DIR']}/\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )


def serve(build: Callable[[], Stack], announce: Callable[[dict[str, str]], None]) -> int:
    """Build the stack, start it, print its URLs, watch it; stop it on Ctrl-C or SIGTERM."""
    os.umask(0o077)  # databases, logs and folders made by any process: this user's only
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _raise_keyboard_interrupt)
    try:
        stack = build()
    except StackError as error:
        print(f"make: {error}", file=sys.stderr, flush=True)
        return 1
    started = time.monotonic()
    try:
        stack.start()
        print(f"stack: ready in {time.monotonic() - started:.1f} s", flush=True)
        announce(stack.env)
        stack.watch()
    except StackError as error:
        print(f"make: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nstack: stopping...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    return 0


def main() -> int:
    return serve(lambda: Stack(stack_environment()), print_urls)


if __name__ == "__main__":
    sys.exit(main())
