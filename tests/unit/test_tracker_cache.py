"""The caching tracker store writes every event to SQLite and never serves a stale tracker."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_cache import CachedSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  postcode:
    type: text
    mappings: [{type: custom}]
"""
)


def store(path) -> CachedSQLTrackerStore:
    return CachedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path), cache_size=2)


def turn(tracker, text: str) -> None:
    for event in (
        UserUttered(text, {"name": "inform"}),
        SlotSet("postcode", text),
        BotUttered(f"got {text}"),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)


def stored_texts(path, sender: str) -> list[str]:
    tracker = asyncio.run(store(path).retrieve(sender))
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


@pytest.fixture
def db(tmp_path):
    return tmp_path / "tracker.db"


def test_the_saved_tracker_is_reused_and_every_event_is_written_once(db):
    tracker_store = store(db)

    async def conversation():
        tracker = await tracker_store.get_or_create_tracker("patient-1")
        for text in ("ST4 6QG", "ST5 1AA", "ST6 2BB"):
            again = await tracker_store.retrieve("patient-1")
            assert again is tracker, "the kept tracker, not one rebuilt from SQLite"
            turn(tracker, text)
            await tracker_store.save(tracker)
        return tracker

    tracker = asyncio.run(conversation())
    assert stored_texts(db, "patient-1") == ["ST4 6QG", "ST5 1AA", "ST6 2BB"]
    assert tracker.get_slot("postcode") == "ST6 2BB"


def test_a_write_by_another_process_makes_the_store_read_sqlite_again(db):
    first, second = store(db), store(db)

    async def conversation():
        tracker = await first.get_or_create_tracker("patient-2")
        turn(tracker, "from the first process")
        await first.save(tracker)
        other = await second.retrieve("patient-2")
        turn(other, "from the second process")
        await second.save(other)
        return await first.retrieve("patient-2"), tracker

    fresh, kept = asyncio.run(conversation())
    assert fresh is not kept
    assert [e.text for e in fresh.events if isinstance(e, UserUttered)] == [
        "from the first process",
        "from the second process",
    ]


def test_a_message_that_failed_before_saving_leaves_no_trace(db):
    tracker_store = store(db)

    async def conversation():
        tracker = await tracker_store.get_or_create_tracker("patient-3")
        turn(tracker, "saved")
        await tracker_store.save(tracker)
        handed_out = await tracker_store.retrieve("patient-3")
        turn(handed_out, "never saved")  # processing failed here
        return await tracker_store.retrieve("patient-3"), handed_out

    after, failed = asyncio.run(conversation())
    assert after is not failed
    assert [e.text for e in after.events if isinstance(e, UserUttered)] == ["saved"]


def test_the_cache_keeps_only_the_most_recent_conversations(db):
    tracker_store = store(db)

    async def conversations():
        for sender in ("a", "b", "c"):
            tracker = await tracker_store.get_or_create_tracker(sender)
            turn(tracker, sender)
            await tracker_store.save(tracker)

    asyncio.run(conversations())
    assert list(tracker_store._saved) == ["b", "c"]
    assert stored_texts(db, "a") == ["a"]


def test_events_are_stored_as_rasas_own_sql_store_stores_them(tmp_path):
    import json
    import sqlite3

    from rasa.core.tracker_store import SQLTrackerStore

    def rows(path) -> list[tuple]:
        with sqlite3.connect(path) as connection:
            query = "SELECT sender_id, type_name, timestamp, intent_name, action_name, data"
            return connection.execute(f"{query} FROM events ORDER BY id").fetchall()

    async def conversation(tracker_store) -> None:
        tracker = await tracker_store.get_or_create_tracker("patient-2")
        for text in ("knee", "ST4 6QG"):
            turn(tracker, text)
            await tracker_store.save(tracker)

    ours, rasas = tmp_path / "ours.db", tmp_path / "rasa.db"
    asyncio.run(conversation(store(ours)))
    asyncio.run(conversation(SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(rasas))))
    ours_rows, rasas_rows = rows(ours), rows(rasas)
    assert [row[1] for row in ours_rows] == ["action"] + ["user", "slot", "bot", "action"] * 2

    def without_times(table):  # each run stamps its own events
        return [(*row[:2], *row[3:5], {**json.loads(row[5]), "timestamp": 0}) for row in table]

    assert without_times(ours_rows) == without_times(rasas_rows)


def break_events_table(path) -> None:
    """Another connection takes the table away: every read or write of it now fails."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE events RENAME TO events_away")


def test_a_save_that_fails_is_reported_for_the_turn_and_not_kept_anywhere(db, caplog):
    from bot.tracker_cache import watching_turn

    tracker_store = store(db)

    async def conversation():
        tracker = await tracker_store.get_or_create_tracker("patient-4")
        turn(tracker, "saved")
        await tracker_store.save(tracker)
        handed_out = await tracker_store.retrieve("patient-4")
        break_events_table(db)
        turn(handed_out, "Testy McFakeface ST4 6QG")
        with watching_turn() as failures:
            await tracker_store.save(handed_out)  # does not raise: the turn is told instead
        return failures

    failures = asyncio.run(conversation())
    assert failures == ["save"]
    assert "patient-4" not in tracker_store._saved, "a tracker that was not saved is not kept"
    assert tracker_store.health()[0] is False
    assert "McFakeface" not in caplog.text and "ST4 6QG" not in caplog.text
    assert "could not save conversation patient-4" in caplog.text


def test_a_turn_whose_tracker_could_not_be_read_writes_nothing(db):
    from bot.tracker_cache import watching_turn

    tracker_store = store(db)

    async def conversation():
        tracker = await tracker_store.get_or_create_tracker("patient-5")
        turn(tracker, "saved")
        await tracker_store.save(tracker)
        tracker_store._saved.clear()  # as after another process's write
        break_events_table(db)
        with watching_turn() as failures:
            with pytest.raises(sa.exc.OperationalError):  # Rasa's FailSafeTrackerStore catches it
                await tracker_store.retrieve("patient-5")
            fresh = DialogueStateTracker("patient-5", DOMAIN.slots)  # Rasa's new conversation
            turn(fresh, "would hide the real conversation")
            await tracker_store.save(fresh)
        return failures

    failures = asyncio.run(conversation())
    import sqlite3

    with sqlite3.connect(db) as connection:
        connection.execute("ALTER TABLE events_away RENAME TO events")
    assert failures == ["read"]
    assert stored_texts(db, "patient-5") == ["saved"]


def test_the_store_is_healthy_again_once_a_save_works(db):
    import sqlite3

    tracker_store = store(db)

    async def conversation():
        tracker = await tracker_store.get_or_create_tracker("patient-6")
        break_events_table(db)
        turn(tracker, "lost")
        await tracker_store.save(tracker)
        failing = tracker_store.health()
        with sqlite3.connect(db) as connection:
            connection.execute("ALTER TABLE events_away RENAME TO events")
        tracker = await tracker_store.get_or_create_tracker("patient-6")
        turn(tracker, "kept")
        await tracker_store.save(tracker)
        return failing, tracker_store.health()

    failing, healthy = asyncio.run(conversation())
    assert failing[0] is False and "failed" in failing[1]
    assert healthy == (True, "ok")
    assert stored_texts(db, "patient-6") == ["kept"]


def test_database_errors_never_carry_the_statements_parameters(db):
    tracker_store = store(db)
    with pytest.raises(sa.exc.SQLAlchemyError) as raised, tracker_store.engine.connect() as conn:
        conn.execute(sa.text("INSERT INTO nowhere VALUES (:words)"), {"words": "ST4 6QG"})
    assert "ST4 6QG" not in str(raised.value)
