"""`make bench`: concurrent simulated patients complete whole referrals through the chat gateway.

Starts the stack on free ports with fresh state, then for each load level runs N patients
(asyncio + aiohttp), each waiting a think time between a reply and their next message, and
records every turn's latency. Reports p50/p95/p99, turns per second, errors and each process's
peak resident memory; runs the same load against Rasa's bare REST channel so the gateway's
overhead shows as a ratio; steps the load up to find the most patients held at p95 <= 1 s.
Writes docs/performance.md.

    python -m scripts.bench [--think 3] [--think-spread 0] [--levels 150,200,250,300]

By default every patient waits exactly the think time. `--think-spread 0.5` draws each wait
uniformly from 50 % to 150 % of it instead (same mean): with a fixed wait, patients served
together come back together, so the queue stays bunched (docs/profile.md).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from scripts.layout import ROOT
from scripts.running_stack import RunningCluster, RunningStack, memory_kib
from scripts.simulated_patient import PERSONAS, answer_for, last_text, referral_marker

REPORT = ROOT / "docs" / "performance.md"
P95_CEILING_SECONDS = 1.0
# The gateway's own limits are for the public; the load generator is one address.
BENCH_ENV = {
    "CHAT_RATE_PER_CONVERSATION": "100000/minute",
    "CHAT_RATE_PER_ADDRESS": "1000000/minute",
}


KEPT_LOGS = ROOT / "var" / "log" / "bench-errors"


@dataclass
class Run:
    label: str
    patients: int
    think: float
    spread: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error_kinds: Counter[str] = field(default_factory=Counter)
    completed: int = 0
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(self.error_kinds.values())

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


class Channel:
    """One way in: the public chat gateway, or Rasa's bare REST channel."""

    def __init__(self, stack: RunningStack, gateway: bool) -> None:
        self.gateway = gateway
        self.rasa_headers = stack.rasa_headers
        # Bare REST: each conversation always to the same Rasa process, as the gateway does.
        self.urls = (
            [stack.url("WEB_PORT", "/api/v1/chat")]
            if gateway
            else [f"http://127.0.0.1:{port}/webhooks/rest/webhook" for port in stack.rasa_ports]
        )

    async def say(
        self, session: aiohttp.ClientSession, conversation: str | None, text: str
    ) -> tuple[str | None, list[dict]]:
        body = (
            {"message": text, **({"conversation_id": conversation} if conversation else {})}
            if self.gateway
            else {"sender": conversation, "message": text}
        )
        url = self.urls[zlib.crc32((conversation or "").encode()) % len(self.urls)]
        headers = None if self.gateway else {**self.rasa_headers, "X-Conversation-Id": conversation}
        async with session.post(url, json=body, headers=headers) as response:
            response.raise_for_status()
            data = await response.json()
        if self.gateway:
            return data["conversation_id"], data["messages"]
        return conversation, data


async def patient(run: Run, channel: Channel, session: aiohttp.ClientSession, index: int) -> None:
    """One simulated patient holding a whole referral conversation."""
    persona = PERSONAS[index % len(PERSONAS)]
    conversation = None if channel.gateway else f"bench-{run.label}-{index}"
    think, spread = run.think, run.spread
    await asyncio.sleep(random.uniform(0, think))  # arrive spread over one think time
    text: str | None = persona.opening
    for _ in range(60):
        started = time.perf_counter()
        try:
            conversation, replies = await channel.say(session, conversation, text)
        except (aiohttp.ClientError, asyncio.TimeoutError, KeyError) as error:
            run.error_kinds[f"request failed: {type(error).__name__} {error}"[:120]] += 1
            return
        run.latencies.append(time.perf_counter() - started)
        if referral_marker(replies):
            run.completed += 1
            return
        text = answer_for(persona, replies)
        if text is None:
            run.error_kinds[f"no answer to: {last_text(replies)}"[:120]] += 1
            return
        await asyncio.sleep(random.uniform(think * (1 - spread), think * (1 + spread)))
    run.error_kinds["still going after 60 messages"] += 1


async def load(run: Run, channel: Channel) -> None:
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(patient(run, channel, session, i) for i in range(run.patients)))
        run.seconds = time.perf_counter() - started


class MemoryWatch:
    """Samples each service's resident memory and keeps the peak of the sum per service."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.peak_kib: dict[str, int] = {}
        self.processes: dict[str, int] = {}  # most processes seen per service
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            for name, pids in self.stack.processes().items():
                kib = sum(memory_kib(pid) for pid in pids)
                self.peak_kib[name] = max(self.peak_kib.get(name, 0), kib)
                self.processes[name] = max(self.processes.get(name, 0), len(pids))
                total += kib
            self.peak_kib["total"] = max(self.peak_kib.get("total", 0), total)
            self._stop.wait(0.5)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(
    stack: RunningStack, label: str, patients: int, think: float, gateway: bool, spread: float = 0
) -> Run:
    run = Run(label, patients, think, spread)
    asyncio.run(load(run, Channel(stack, gateway)))
    print(
        f"bench: {label}: {patients} patients, p95 {run.percentile(0.95) * 1000:.0f} ms, "
        f"{run.turns_per_second:.1f} turns/s, {run.errors} errors, {run.completed} referrals",
        flush=True,
    )
    for kind, count in run.error_kinds.most_common():
        print(f"bench:   error x{count}: {kind}", flush=True)
    return run


def _spread(run: Run) -> str:
    return f" ± {run.spread:.0%}" if run.spread else ""


def row(run: Run) -> str:
    ms = [run.percentile(q) * 1000 for q in (0.5, 0.95, 0.99)]
    return (
        f"| {run.label} | {run.patients} | {run.think:g} s{_spread(run)} | {len(run.latencies)} | "
        f"{ms[0]:.0f} | {ms[1]:.0f} | {ms[2]:.0f} | {run.turns_per_second:.1f} | "
        f"{run.errors} | {run.completed}/{run.patients} |"
    )


def report(
    runs: list[Run], memory: MemoryWatch, ready_seconds: float, held: int, cluster: bool = False
) -> str:
    gateway, bare = runs[1] if len(runs) > 1 else None, runs[2] if len(runs) > 2 else None
    ratio = (
        f"{gateway.percentile(0.95) / bare.percentile(0.95):.2f}"
        if gateway and bare and bare.latencies
        else "n/a"
    )
    mode = (
        [
            "# Performance in cluster mode",
            "",
            "Produced by `make bench-cluster` (`python -m scripts.bench --cluster`): cluster mode",
            "(scripts/cluster.py, docs/scaling.md: PostgreSQL, Redis, HAProxy, 3 Rasa nodes and 2",
            "action-server nodes) on the same 2-core machine as [performance.md](performance.md).",
            "Bare Rasa REST goes through HAProxy to the nodes, as the gateway does.",
            "",
        ]
        if cluster
        else [
            "# Performance",
            "",
            "Produced by `make bench` (`python -m scripts.bench`) on this 2-core machine:",
        ]
    )
    lines = [
        *mode,
        "The whole stack started fresh, simulated patients (scripts/simulated_patient.py) each",
        "completing a referral through the public chat gateway, waiting a think time between a",
        "reply and their next message. Latency is per turn, from sending a message to having every",
        "reply.",
        "",
        "| run | patients | think | turns | p50 ms | p95 ms | p99 ms | turns/s | errors "
        "| referrals |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *[row(run) for run in runs],
        "",
        f"- Cold start of the whole stack (process start to all health checks): "
        f"{ready_seconds:.1f} s.",
        f"- Gateway p95 / bare Rasa REST p95 at the base load: {ratio}.",
        f"- Most concurrent patients held at p95 <= {P95_CEILING_SECONDS:g} s: {held}"
        " (levels tried in the table).",
        "- What limits capacity, with the profile: [profile.md](profile.md).",
        *[
            f"- Errors in {run.label}: "
            + "; ".join(f"{count} x {kind}" for kind, count in run.error_kinds.most_common())
            for run in runs
            if run.errors
        ],
        "",
        "Peak resident memory during the run (sum over each service's processes):",
        "",
        "| process | processes | peak MiB |",
        "| --- | --- | --- |",
        *[
            f"| {name} | {memory.processes.get(name, '')} | {kib / 1024:.0f} |"
            for name, kib in memory.peak_kib.items()
        ],
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--think", type=float, default=3.0)
    parser.add_argument("--think-spread", type=float, default=0.0, help="e.g. 0.5: 50-150 %%")
    parser.add_argument("--patients", type=int, default=100, help="the base load")
    parser.add_argument("--levels", default="150,200,250,300", help="then step up through")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--cluster", action="store_true", help="cluster mode (scripts/cluster.py)")
    args = parser.parse_args()
    random.seed(2026)
    with tempfile.TemporaryDirectory(prefix="msk-bench-") as state:
        if args.cluster:
            Path(state).chmod(0o711)  # PostgreSQL runs as its own user under root
            stack: RunningStack = RunningCluster(Path(state), BENCH_ENV)
        else:
            stack = RunningStack(Path(state), BENCH_ENV)
        runs: list[Run] = []
        try:
            stack.wait_ready()
            with MemoryWatch(stack) as memory:

                def at(label: str, patients: int, gateway: bool = True) -> Run:
                    return measure(stack, label, patients, args.think, gateway, args.think_spread)

                runs.append(at("single patient", 1))
                base = args.patients
                runs.append(at(f"gateway at {base}", base))
                runs.append(at(f"bare Rasa REST at {base}", base, gateway=False))
                held = base if runs[1].percentile(0.95) <= P95_CEILING_SECONDS else 0
                for level in (int(n) for n in args.levels.split(",") if n):
                    run = at(f"gateway at {level}", level)
                    runs.append(run)
                    if run.percentile(0.95) > P95_CEILING_SECONDS or run.errors:
                        break
                    held = level
            text = report(runs, memory, stack.ready_seconds or 0.0, held, args.cluster)
        finally:
            stack.stop()
            if any(run.errors for run in runs):  # the services' own account of each error
                shutil.rmtree(KEPT_LOGS, ignore_errors=True)
                shutil.copytree(Path(state) / "log", KEPT_LOGS)
                print(f"bench: errors: the services' logs are kept in {KEPT_LOGS}")
    args.report.write_text(text)
    print(text)
    print(f"bench: wrote {args.report}")


if __name__ == "__main__":
    main()
