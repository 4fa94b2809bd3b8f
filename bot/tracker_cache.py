"""Rasa's SQL tracker store, with the trackers of live conversations kept in memory.

Profiled under load (docs/profile.md), a third of the Rasa server's time went on reading every
event of a conversation back from SQLite and rebuilding the tracker at each message, work
that grows with the length of the conversation. This store writes every event through to
SQLite exactly as `SQLTrackerStore` does, and also keeps the tracker it just saved. The next
message of that conversation takes the kept tracker instead of rebuilding it, but only if the
database holds no newer event for the conversation (one indexed query), so the database stays
the source of truth: another process that wrote to the conversation, or a message whose
processing failed before it was saved, makes the store read from SQLite as before.

A turn's tracker that cannot be read or written is never quietly replaced. Rasa wraps every
tracker store in `FailSafeTrackerStore`, which keeps a tracker it could not save in memory
(and logs the database error, SQL parameters and all) and starts a new conversation when one
cannot be read. This store handles its own failures instead: it records them for the turn
(`watching_turn`, used by `bot.runtime.rest_channel`, which then answers 503 so the patient
is asked to send the message again), writes nothing more in a turn whose tracker could not be
read, logs only the conversation id and the kind of error, and hides SQL parameters (the
patient's words) from every database error message.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 500
_STORED = "_events_stored"  # on a tracker: how many of its events SQLite holds

# The failures of the turn being handled (a list shared by everything the turn awaits).
_TURN_FAILURES: ContextVar[list[str] | None] = ContextVar("tracker_failures", default=None)


@contextmanager
def watching_turn() -> Iterator[list[str]]:
    """Collect, in the list yielded, what this store could not read or write in the turn."""
    failures: list[str] = []
    token = _TURN_FAILURES.set(failures)
    try:
        yield failures
    finally:
        _TURN_FAILURES.reset(token)


def _record_failure(what: str, sender_id: str, error: Exception) -> None:
    reason = f"{type(error).__name__}: {getattr(error, 'orig', None) or type(error).__name__}"
    # The conversation id and the database's own reason: never the statement's parameters.
    logger.error("tracker store: could not %s conversation %s (%s)", what, sender_id, reason)
    failures = _TURN_FAILURES.get()
    if failures is not None:
        failures.append(what)


def _sqlite_wal_normal_sync(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class CachedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that reuses the tracker it saved last for each recent conversation."""

    def __init__(self, *args: Any, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens a new SQLite connection for every query (NullPool); keep
            # one open per thread instead. Several Rasa processes share the file: in WAL mode
            # readers never wait for a writer, and a commit does not wait for the disk (a
            # crash may lose the last turns, never corrupt the file).
            self.engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
            sa.event.listen(self.engine, "connect", _sqlite_wal_normal_sync)
        else:
            # A database server (cluster mode, docs/scaling.md) may restart: each pooled
            # connection is tested before a turn uses it, so a restart costs no turn.
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.engine.hide_parameters = True  # no patient words in any database error
        self.cache_size = int(cache_size)
        # sender id -> (the tracker as saved, id of the last event stored for it)
        self._saved: OrderedDict[str, tuple[DialogueStateTracker, int | None]] = OrderedDict()
        self.failing_since: float | None = None  # a save failed, and none has worked since

    def health(self) -> tuple[bool, str]:
        """Whether conversations can be stored: the database answers, and the last save worked."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as error:
            return False, f"the tracker store cannot be read ({type(error).__name__})"
        if self.failing_since is not None:
            seconds = time.monotonic() - self.failing_since
            return False, f"saving conversations has failed for {seconds:.0f} s"
        return True, "ok"

    def _last_event_id(self, sender_id: str) -> int | None:
        """Id of the conversation's newest stored event (asked twice a message)."""
        table = self.SQLEvent.__table__
        if self.engine.dialect.name == "sqlite":
            # The pooled SQLite connection directly: SQLAlchemy's statement handling cost
            # more than the indexed query itself.
            connection = self.engine.raw_connection()
            try:
                sql = f"SELECT max(id) FROM {table.name} WHERE sender_id = ?"  # noqa: S608
                return connection.cursor().execute(sql, (sender_id,)).fetchone()[0]
            finally:
                connection.close()  # back to the pool
        query = sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender_id)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The events not stored yet: counted when this store last saw the tracker.

        A tracker this store did not hand out or save falls back to Rasa's count query.
        """
        stored = tracker.__dict__.get(_STORED)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The kept tracker when it is still the latest state, else rebuilt from SQLite.

        The kept tracker is handed out once: Rasa changes it while handling the message, and
        only a successful save puts it back.
        """
        try:
            kept = self._saved.pop(sender_id, None)
            if kept is not None and kept[1] == self._last_event_id(sender_id):
                return kept[0]
            tracker = await super().retrieve(sender_id)
        except sa.exc.SQLAlchemyError as error:
            _record_failure("read", sender_id, error)
            raise
        if tracker is not None:  # holds exactly the stored events of the latest session
            tracker.__dict__[_STORED] = len(tracker.events)
        return tracker

    def _event_row(self, sender_id: str, event: Event) -> dict[str, Any]:
        """The events-table row `SQLTrackerStore.save` writes for an event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the new events to SQLite, then keep the tracker for the next message.

        The rows are those of `SQLTrackerStore.save`, written in one statement instead of one
        ORM object each (the ORM's bookkeeping was a tenth of a Rasa process's time).

        Nothing is written in a turn that has already failed (a tracker that could not be
        read would otherwise be saved as a new conversation over the real one); a write that
        fails is recorded for the turn and not raised, so Rasa keeps no copy of it anywhere.
        """
        failures = _TURN_FAILURES.get()
        if failures:
            return
        await self.stream_events(tracker)
        table = self.SQLEvent.__table__
        try:
            with self.session_scope() as session:
                events = self._additional_events(session, tracker)
                rows = [self._event_row(tracker.sender_id, event) for event in events]
                if rows:
                    session.execute(table.insert(), rows)
                session.commit()
        except sa.exc.SQLAlchemyError as error:
            self.failing_since = self.failing_since or time.monotonic()
            self._saved.pop(tracker.sender_id, None)  # the next turn reads what was stored
            _record_failure("save", tracker.sender_id, error)
            return
        self.failing_since = None
        tracker.__dict__[_STORED] = len(tracker.events)
        self._saved.pop(tracker.sender_id, None)
        self._saved[tracker.sender_id] = (tracker, self._last_event_id(tracker.sender_id))
        while len(self._saved) > self.cache_size:
            self._saved.popitem(last=False)
