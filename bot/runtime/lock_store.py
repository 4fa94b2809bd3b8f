"""Rasa's Redis lock store, with the lock taken in one atomic step (cluster mode).

Rasa 3.6's `RedisLockStore` keeps each conversation's ticket queue as one JSON value that it
reads, changes and writes back (`issue_ticket`, `update_lock`, `cleanup`), so two nodes that
receive a message of the same conversation at the same moment can both take the same
ticket and handle the conversation at once, or find the lock deleted under them and fail
the turn (tests/integration/test_cluster.py saw a turn fail so). Rasa's maintainers noted this
(RasaHQ/rasa#3933, "far from atomic"); the fix, `ConcurrentRedisLockStore`, is not in Rasa
Open Source.

`AtomicRedisLockStore` keeps `RedisLockStore`'s connection and settings and replaces only
`lock()`: it takes redis-py's `Lock` (one `SET key token NX PX lifetime`, released by a
script that deletes the key only while it still holds this token). A node that dies while
holding the lock frees it when the lifetime ends; a call that failed half-way because Redis
stopped answering is undone when Redis answers again (`release_orphans`, also run by the
health check the load balancer calls every second). Waiting is a short async poll, so the node
keeps serving other conversations meanwhile. Order among messages of one conversation that
arrive at the very same moment is not kept (a patient's messages arrive one at a time: the
widget sends the next only after the reply).

Named in endpoints.cluster.yml (`type: bot.runtime.lock_store.AtomicRedisLockStore`).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import LockNotOwnedError, RedisError
from redis.lock import Lock

POLL_SECONDS = 0.02
MUTEX = "mutex:"  # beside Rasa's own keys under the same prefix


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """From endpoints.yml (Rasa passes `endpoint_config` to a lock store named by module
        path) or from keyword arguments, as `RedisLockStore` takes them."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        # Locks whose taking or freeing failed half-way (Redis stopped answering): Redis may
        # have taken one after all, and would keep it for its whole lifetime. Freed, if they
        # are still held with this node's token, as soon as Redis answers again.
        self._orphans: list[tuple[Lock, bytes]] = []
        self._orphans_guard = threading.Lock()  # the health check runs in another thread

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,  # Rasa's signature; the poll is fixed
    ) -> AsyncIterator[None]:
        """Hold the conversation's lock while the block runs; LockError after `lock_lifetime`."""
        self.release_orphans()
        held = self.red.lock(self.key_prefix + MUTEX + conversation_id, timeout=lock_lifetime)
        token = uuid.uuid4().hex.encode()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lock_lifetime
        while not self._attempt(held, token):
            if loop.time() > deadline:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(POLL_SECONDS)
        try:
            yield None
        finally:
            self._release(held, token)

    def _attempt(self, held: Lock, token: bytes) -> bool:
        try:
            return held.acquire(blocking=False, token=token)
        except RedisError:
            with self._orphans_guard:
                self._orphans.append((held, token))
            raise

    def _release(self, held: Lock, token: bytes) -> None:
        try:
            held.do_release(token)
        except LockNotOwnedError:
            pass  # the lifetime ran out during the turn
        except RedisError:
            with self._orphans_guard:
                self._orphans.append((held, token))
            raise

    def release_orphans(self) -> None:
        """Free what a failed call may have left held (raises while Redis does not answer)."""
        with self._orphans_guard:
            while self._orphans:
                held, token = self._orphans[-1]
                with suppress(LockNotOwnedError):
                    held.do_release(token)
                self._orphans.pop()

    def health(self) -> tuple[bool, str]:
        """Whether Redis answers; frees any lock a failed call left behind."""
        try:
            self.red.ping()
            self.release_orphans()
        except RedisError as error:
            return False, f"the lock store does not answer ({type(error).__name__})"
        return True, "ok"
