"""The cluster's lock store (bot/runtime/lock_store.py) against a real Redis server: one holder
of a conversation's lock at a time across nodes, a dead holder's lock freed by its lifetime,
and a lock half-taken while Redis did not answer freed when it answers again."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from rasa.core.lock_store import LockError

from bot.runtime.lock_store import AtomicRedisLockStore
from scripts.running_stack import free_port

NODES = 3
TURNS_PER_NODE = 15


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    program = shutil.which("redis-server")
    if program is None:
        pytest.fail("redis-server is not installed: run `make setup` as root, then retry.")
    port = free_port()
    server = subprocess.Popen(
        [program, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    try:
        yield port
    finally:
        os.kill(server.pid, signal.SIGCONT)  # in case a test stopped it
        server.terminate()
        server.wait(timeout=10)


def store(port: int, **kwargs) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(host="127.0.0.1", port=port, socket_timeout=1, **kwargs)


def test_nodes_handling_one_conversation_never_overlap(redis_port):
    """Each node (its own store, thread and event loop) runs many turns of one conversation;
    every turn's time inside the lock is disjoint from every other's."""
    spans: list[tuple[float, float]] = []
    guard = threading.Lock()

    def node() -> None:
        lock_store = store(redis_port)

        async def turns() -> None:
            for _ in range(TURNS_PER_NODE):
                async with lock_store.lock("conversation-a"):
                    entered = time.monotonic()
                    await asyncio.sleep(0.005)
                    left = time.monotonic()
                with guard:
                    spans.append((entered, left))

        asyncio.run(turns())

    threads = [threading.Thread(target=node) for _ in range(NODES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(spans) == NODES * TURNS_PER_NODE
    ordered = sorted(spans)
    for (_, left), (entered, _) in zip(ordered, ordered[1:], strict=False):
        assert entered >= left, "two nodes held one conversation's lock at once"


def test_other_conversations_are_not_held_up(redis_port):
    lock_store = store(redis_port)

    async def both() -> float:
        async with lock_store.lock("conversation-b"):
            started = time.monotonic()
            async with lock_store.lock("conversation-c"):
                return time.monotonic() - started

    assert asyncio.run(both()) < 0.5


def test_a_lock_left_by_a_dead_node_is_freed_by_its_lifetime(redis_port):
    other = store(redis_port)  # a node that takes the lock and dies: never releases it
    dead_node = other.red.lock(f"{other.key_prefix}mutex:conversation-d", timeout=1)
    assert dead_node.acquire(blocking=False)

    async def take() -> float:
        started = time.monotonic()
        async with store(redis_port).lock("conversation-d"):
            return time.monotonic() - started

    waited = asyncio.run(take())
    assert 0.5 < waited < 3


def test_a_lock_waited_for_too_long_fails_the_turn(redis_port):
    holder = store(redis_port)

    async def blocked() -> None:
        async with (
            holder.lock("conversation-e", lock_lifetime=5),
            store(redis_port).lock("conversation-e", lock_lifetime=0.3),
        ):
            pass

    with pytest.raises(LockError):
        asyncio.run(blocked())


def test_a_lock_half_taken_while_redis_stalled_is_freed_when_it_answers(redis_port):
    """Redis stops answering while a node asks for a lock: the turn fails (the node cannot
    know whether Redis took the lock); once Redis answers, the node's health check frees it,
    so the conversation is not held up for the lock's whole lifetime."""
    node = store(redis_port)
    pid = int(redis.Redis(port=redis_port).info("server")["process_id"])

    async def one_turn(lifetime: float) -> None:
        async with node.lock("conversation-f", lock_lifetime=lifetime):
            pass

    os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(redis.RedisError):
            asyncio.run(one_turn(60))
        ok, detail = node.health()
        assert not ok and "lock store" in detail
    finally:
        os.kill(pid, signal.SIGCONT)
    assert node.health() == (True, "ok")  # frees what the failed call may have taken

    async def next_turn() -> float:
        started = time.monotonic()
        async with store(redis_port).lock("conversation-f"):  # another node
            return time.monotonic() - started

    assert asyncio.run(next_turn()) < 1
