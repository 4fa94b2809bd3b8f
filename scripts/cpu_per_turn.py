"""CPU time per patient turn in each service: `python -m scripts.cpu_per_turn [--gateway]`.

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
from scripts.running_stack import RunningStack
from scripts.simulated_patient import PERSONAS, Say, complete_referral


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="msk-cpu-") as state:
        stack = RunningStack(Path(state), BENCH_ENV)
        try:
            stack.wait_ready()
            processes = stack.processes()
            pids = [pid for group in processes.values() for pid in group]
            warm = uuid.uuid4().hex
            complete_referral(lambda text: stack.say(warm, text), PERSONAS[0])
            before = {pid: cpu_seconds(pid) for pid in pids}
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
            after = {pid: cpu_seconds(pid) for pid in pids}
        finally:
            stack.stop()
    turns = len(latencies)
    latencies.sort()
    print(f"cpu_per_turn: {turns} turns, p50 {latencies[turns // 2] * 1000:.0f} ms, ", end="")
    print(f"p95 {latencies[int(turns * 0.95)] * 1000:.0f} ms (one patient at a time)")
    for name, group in processes.items():
        used = sum(after[pid] - before[pid] for pid in group)
        print(f"cpu_per_turn: {name:14} {used / turns * 1000:5.1f} ms CPU per turn")


if __name__ == "__main__":
    main()
