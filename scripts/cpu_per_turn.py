"""CPU time per patient turn in each service: `python -m scripts.cpu_per_turn [--gateway]`.

`--cluster` measures cluster mode (scripts/cluster.py) instead, its servers included;
`--set NAME=VALUE` sets a variable for the stack (e.g. `--set TRACKER_CACHE_SIZE=0`).

Starts the stack, runs simulated patients one after another (no concurrency, so no queueing
and little noise), and divides each service's CPU time (from /proc) by the number of turns.
Throughput under load varies by 10 % or more from run to run on this machine; CPU per turn
varies by about 1 ms, so it is the figure to compare code changes with.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import requests

from scripts.bench import BENCH_ENV
from scripts.running_stack import RunningCluster, RunningStack
from scripts.simulated_patient import PERSONAS, Say, complete_referral


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_process(processes: dict[str, list[int]]) -> dict[int, float]:
    """CPU seconds so far of every process still running."""
    used = {}
    for pid in (pid for group in processes.values() for pid in group):
        try:
            used[pid] = cpu_seconds(pid)
        except OSError:
            continue  # it has just exited
    return used


def gateway_say(stack: RunningStack) -> Say:
    """A `say` for one patient through the public chat gateway."""
    conversation: dict[str, str] = {}

    def say(text: str) -> list[dict]:
        body = {"message": text, **conversation}
        response = requests.post(stack.url("WEB_PORT", "/api/v1/chat"), json=body, timeout=30)
        response.raise_for_status()
        data = response.json()
        conversation["conversation_id"] = data["conversation_id"]
        return data["messages"]

    return say


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=9)
    parser.add_argument("--gateway", action="store_true", help="through the chat gateway")
    parser.add_argument("--cluster", action="store_true", help="cluster mode")
    parser.add_argument("--set", action="append", default=[], help="NAME=VALUE for the stack")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.set)
    with tempfile.TemporaryDirectory(prefix="msk-cpu-") as state:
        if args.cluster:
            Path(state).chmod(0o711)  # PostgreSQL runs as its own user under root
            stack: RunningStack = RunningCluster(Path(state), {**BENCH_ENV, **extra})
        else:
            stack = RunningStack(Path(state), {**BENCH_ENV, **extra})
        try:
            stack.wait_ready()
            warm = uuid.uuid4().hex
            complete_referral(lambda text: stack.say(warm, text), PERSONAS[0])
            before = cpu_by_process(stack.processes())
            latencies: list[float] = []
            for index in range(args.patients):
                sender = uuid.uuid4().hex
                say = gateway_say(stack) if args.gateway else (lambda t, s=sender: stack.say(s, t))

                def timed(text: str, say: Say = say) -> list[dict]:
                    started = time.perf_counter()
                    replies = say(text)
                    latencies.append(time.perf_counter() - started)
                    return replies

                complete_referral(timed, PERSONAS[index % len(PERSONAS)])
            # processes started meanwhile (database connections) count from zero
            processes = stack.processes()
            after = cpu_by_process(processes)
        finally:
            stack.stop()
    turns = len(latencies)
    latencies.sort()
    print(f"cpu_per_turn: {turns} turns, p50 {latencies[turns // 2] * 1000:.0f} ms, ", end="")
    print(f"p95 {latencies[int(turns * 0.95)] * 1000:.0f} ms (one patient at a time)")
    for name, group in processes.items():
        used = sum(after.get(pid, 0.0) - before.get(pid, 0.0) for pid in group if pid in after)
        print(f"cpu_per_turn: {name:14} {used / turns * 1000:5.1f} ms CPU per turn")


if __name__ == "__main__":
    main()
