"""How many referrals per second the intake API stores on this machine.

Starts the real web app under gunicorn (as scripts/stack.py does: 2 workers x 8 threads,
unless told otherwise) on a free loopback port with a fresh database in a temporary folder,
then posts distinct, valid referrals from concurrent clients for a fixed time, checks that
every 201 is a row in the database, and prints the figure. Not part of `make test`.

    .venv/bin/python -m scripts.bench_intake [--seconds 10] [--clients 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from scripts.layout import ROOT

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def reference(number: int) -> str:
    chars = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(8))[::-1]
    return f"MIS-{chars[:4]}-{chars[4:]}"


def referral(number: int) -> dict:
    """A valid referral for an obviously fake patient."""
    return {
        "reference": reference(number),
        "conversation_id": f"bench-{number}",
        "submitted_at": "2026-11-22T10:00:00+00:00",
        "consent": True,
        "eligibility": {"meets_min_age": True, "gp_in_area": True, "area": "in_area"},
        "patient": {
            "full_name": "Sam Sample",
            "date_of_birth": "1980-03-14",
            "postcode": "ST4 6QG",
            "phone": "07700 900123",
            "email": "not given",
        },
        "problem": {
            "body_area": "knee",
            "side": "right",
            "duration": "3 months",
            "pain_score": "6",
            "daily_impact": "struggle with stairs",
            "goals": "walking the dog",
        },
        "red_flag_screening": {"fracture_trauma": "no", "septic_arthritis": "no"},
    }


def start_web(folder: Path, port: int, token: str, workers: int, threads: int):
    env = {
        **os.environ,
        "INTAKE_API_TOKEN": token,
        "FLASK_SECRET_KEY": secrets.token_hex(24),
        "INTAKE_DB": str(folder / "intake.db"),
        "TRACKER_DB": str(folder / "tracker.db"),
    }
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "intake.wsgi:app"]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=(folder / "web.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the web app exited: {(folder / 'web.log').read_text()[-1000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        time.sleep(0.1)
    raise SystemExit("the web app did not start in 60 s")


def stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    token = secrets.token_hex(24)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        folder = Path(tmp)
        web = start_web(folder, port, token, args.workers, args.threads)
        url = f"http://127.0.0.1:{port}/api/v1/referrals"
        counter = iter(range(1, 1 << 40))
        lock = threading.Lock()
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        stop_at = time.monotonic() + args.seconds

        def client() -> None:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            while time.monotonic() < stop_at:
                with lock:
                    number = next(counter)
                started = time.perf_counter()
                status = session.post(url, json=referral(number), timeout=30).status_code
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1

        try:
            began = time.monotonic()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.monotonic() - began
        finally:
            stop(web)
        conn = sqlite3.connect(folder / "intake.db")
        (rows,) = conn.execute("SELECT COUNT(*) FROM referrals").fetchone()
        conn.close()

    stored = statuses.get(201, 0)
    ordered = sorted(latencies)
    print(
        f"intake API: {stored / seconds:.0f} referrals/s stored "
        f"({stored} in {seconds:.1f} s; {args.clients} clients, gunicorn {args.workers} "
        f"workers x {args.threads} threads, SQLite WAL)\n"
        f"  latency median {statistics.median(ordered) * 1000:.1f} ms, "
        f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.1f} ms; "
        f"answers {dict(sorted(statuses.items()))}; rows in the database {rows}"
    )
    if rows != stored or set(statuses) != {201}:
        print("bench_intake: not every referral was stored exactly once", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
