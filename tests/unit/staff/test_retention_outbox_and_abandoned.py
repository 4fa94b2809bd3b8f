"""Retention beyond referrals: abandoned conversations (no referral from them) go after their
own, shorter age; the action server's outbox loses what it no longer needs, while records
not yet delivered are dead-lettered and kept, never deleted; and the purge deletes in small
batches, each committed on its own, so Rasa can write to the tracker store meanwhile."""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from bot import outbox
from intake import storage
from intake.staff import retention
from tests.unit.staff.conftest import Tracker, make_referral, make_staff_app, rows, store
from tests.unit.staff.outbox_rows import put
from tests.unit.staff.outbox_rows import rows as outbox_rows

NOW = datetime.now(timezone.utc)
DAY = timedelta(days=1)


def _seed_conversations(app, tracker: Tracker) -> None:
    """a: no referral, 40 days; b: no referral, 20 days; c: an open referral, 40 days;
    d: an escalation and no referral, 40 days; e: its referral still in the outbox, 40 days;
    f: no referral, 40 days, only in the search copy."""
    for name, age in (("a", 40), ("b", 20), ("c", 40), ("d", 40), ("e", 40)):
        tracker.user(name * 32, f"chat {name}", NOW - age * DAY)
        tracker.bot(name * 32, "Thank you.", NOW - age * DAY)
    store(app, make_referral("MIS-OPEN-0001", "c" * 32), received=NOW - 40 * DAY)
    with app.app_context():
        storage.store_escalation(
            {"id": "esc-d", "conversation_id": "d" * 32, "level": "emergency",
             "code": "cauda_equina", "source": "screening",
             "occurred_at": (NOW - 40 * DAY).isoformat()}
        )  # fmt: skip
        db = storage.database()
        with db.conn:
            db["transcripts"].insert(
                {"conversation_id": "f" * 32, "text": "Patient: chat f", "last_event_id": 0,
                 "updated_at": (NOW - 40 * DAY).isoformat(timespec="seconds")}
            )  # fmt: skip
    put(app.config["SETTINGS"].outbox_db, "MIS-WAIT-0001", "pending", conversation_id="e" * 32)


def test_abandoned_conversations_go_after_30_days_and_the_others_follow_their_referral(
    staff_app, tracker, tmp_path
):
    _seed_conversations(staff_app, tracker)
    result = staff_app.test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "deleted 0 closed referrals, 2 conversation transcripts (2 tracker events)" in (
        result.output
    )
    assert "2 of them with no referral (kept 30 days)" in result.output
    assert tracker.count("a" * 32) == 0
    assert tracker.count("b" * 32) == 2  # not 30 days old yet
    assert tracker.count("c" * 32) == 2  # its referral is kept
    assert tracker.count("d" * 32) == 2  # escalated: staff open it from the escalations page
    assert tracker.count("e" * 32) == 2  # its referral has not reached intake yet
    assert "f" * 32 not in {
        r["conversation_id"] for r in rows(staff_app, "SELECT * FROM transcripts")
    }
    [run] = rows(staff_app, "SELECT detail FROM audit_log WHERE action = 'retention_run'")
    assert json.loads(run["detail"])["abandoned_conversations"] == 2


def test_the_age_for_abandoned_conversations_is_a_setting_and_an_option(tmp_path, monkeypatch):
    monkeypatch.setenv("ABANDONED_RETENTION_DAYS", "50")
    app = make_staff_app(tmp_path, monkeypatch)
    assert app.config["SETTINGS"].abandoned_retention_days == 50
    tracker = Tracker(app.config["SETTINGS"].tracker_db)
    _seed_conversations(app, tracker)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["retention", "--dry-run"])
    assert "would delete 0 closed referrals, 0 conversation transcripts" in result.output
    result = runner.invoke(args=["retention", "--abandoned-days", "10"])
    assert "3 conversation transcripts" in result.output  # a, b and f
    assert tracker.count("a" * 32) == tracker.count("b" * 32) == 0
    assert tracker.count("c" * 32) == 2


def test_a_dry_run_counts_abandoned_conversations_and_deletes_nothing(staff_app, tracker):
    _seed_conversations(staff_app, tracker)
    result = staff_app.test_cli_runner().invoke(args=["retention", "--dry-run"])
    assert "would delete 0 closed referrals, 2 conversation transcripts" in result.output
    assert tracker.count("a" * 32) == 2


def _seed_outbox(path) -> None:
    put(path, "D-OLD", "delivered", age=400 * DAY)
    put(path, "D-NEW", "delivered", age=10 * DAY)
    put(path, "R-OLD", "rejected", age=400 * DAY, last_error="HTTP 422")
    put(path, "R-MID", "rejected", age=40 * DAY, last_error="HTTP 422")
    put(path, "R-NEW", "rejected", age=10 * DAY, last_error="HTTP 422")
    put(path, "P-MID", "pending", age=40 * DAY, last_error="HTTP 401")
    put(path, "P-NEW", "pending", age=timedelta(hours=1))
    put(path, "X-OLD", outbox.DEAD_LETTER, age=400 * DAY, kind="escalation")


def test_retention_purges_the_outbox_and_dead_letters_what_waited_too_long(staff_app, tmp_path):
    path = tmp_path / "outbox.db"  # OUTBOX_DB in tests (tests/conftest.py)
    assert staff_app.config["SETTINGS"].outbox_db == path
    _seed_outbox(path)
    result = staff_app.test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert (
        "outbox: deleted 1 rejected records, cleared 1 rejected bodies, "
        "dead-lettered 1 pending records; 1 waiting, 3 need an operator"
    ) in result.output
    after = outbox_rows(path)
    # delivered records are the action server's to forget (OUTBOX_KEEP_DAYS): one owner
    assert set(after) == {"D-OLD", "D-NEW", "R-MID", "R-NEW", "P-MID", "P-NEW", "X-OLD"}
    assert after["R-MID"]["body"] is None and after["R-MID"]["last_error"] == "HTTP 422"
    assert after["R-NEW"]["body"] is not None  # an operator may still need it
    assert after["P-MID"]["status"] == outbox.DEAD_LETTER  # no longer retried ...
    assert json.loads(after["P-MID"]["body"])["reference"] == "P-MID"  # ... and not lost
    assert after["P-NEW"]["status"] == outbox.PENDING and after["P-NEW"]["body"]
    assert after["X-OLD"]["status"] == outbox.DEAD_LETTER and after["X-OLD"]["body"]
    [run] = rows(staff_app, "SELECT detail FROM audit_log WHERE action = 'retention_run'")
    assert json.loads(run["detail"])["outbox"] == {
        "rejected_deleted": 1,
        "bodies_cleared": 1,
        "dead_lettered": 1,
    }
    again = staff_app.test_cli_runner().invoke(args=["retention"])
    assert "outbox: deleted 0 rejected records, cleared 0 rejected bodies, " in (again.output)
    assert set(outbox_rows(path)) == set(after)  # dead letters are kept, however old


def test_an_outbox_dry_run_changes_nothing(staff_app, tmp_path):
    path = tmp_path / "outbox.db"
    _seed_outbox(path)
    before = outbox_rows(path)
    result = staff_app.test_cli_runner().invoke(args=["retention", "--dry-run"])
    assert (
        "outbox: would delete 1 rejected records, would clear 1 rejected bodies, "
        "would dead-letter 1 pending records; 1 waiting, 3 need an operator"
    ) in result.output
    assert outbox_rows(path) == before


def test_the_age_of_outbox_bodies_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTBOX_BODY_DAYS", "60")
    app = make_staff_app(tmp_path, monkeypatch)
    _seed_outbox(tmp_path / "outbox.db")
    result = app.test_cli_runner().invoke(args=["retention"])
    assert "cleared 0 rejected bodies, dead-lettered 0 pending records" in result.output


def test_without_an_outbox_file_retention_says_so_and_makes_none(staff_app, tmp_path):
    result = staff_app.test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "outbox: no file" in result.output
    assert not (tmp_path / "outbox.db").exists()


def test_the_conversation_of_a_record_the_outbox_holds_is_kept(staff_app, tracker, tmp_path):
    tracker.user("e" * 32, "old chat whose referral was refused", NOW - 400 * DAY)
    put(tmp_path / "outbox.db", "R-NEW", "rejected", age=10 * DAY, conversation_id="e" * 32)
    staff_app.test_cli_runner().invoke(args=["retention"])
    assert tracker.count("e" * 32) == 1


def test_the_purge_commits_in_small_batches_so_rasa_can_write_meanwhile(
    staff_app, tracker, monkeypatch
):
    """Before each batch, another connection that will not wait at all can write: no
    transaction is held across batches."""
    old = NOW - 400 * DAY
    with sqlite3.connect(tracker.path) as conn:
        conn.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) "
            "VALUES (?, 'user', ?, '{}')",
            [(f"old-{n:04d}", old.timestamp()) for n in range(650) for _ in range(2)],
        )
    writes: list[str] = []
    statements: list[str] = []
    rasa = sqlite3.connect(tracker.path, timeout=0)  # Rasa, were it never to wait

    def trace(statement: str) -> None:
        statements.append(statement.split()[0].upper())
        if statement.lstrip().upper().startswith("DELETE"):
            try:
                with rasa:
                    rasa.execute(
                        "INSERT INTO events (sender_id, type_name, timestamp, data) "
                        "VALUES ('live', 'user', ?, '{}')",
                        [NOW.timestamp()],
                    )
                writes.append("ok")
            except sqlite3.OperationalError as error:
                writes.append(str(error))

    original = retention.tracker_connection

    @contextmanager
    def traced(path, *, write=False):
        with original(path, write=write) as connection:
            if connection is not None and write:
                connection.set_trace_callback(trace)
            yield connection

    monkeypatch.setattr(retention, "tracker_connection", traced)
    result = staff_app.test_cli_runner().invoke(args=["retention"])
    rasa.close()
    assert result.exit_code == 0, result.output
    assert "650 conversation transcripts (1300 tracker events)" in result.output
    assert set(writes) == {"ok"}
    assert len(writes) >= 1300 // retention.BATCH
    assert statements.count("COMMIT") >= 1300 // retention.BATCH
    assert retention.BATCH <= 200
    assert tracker.count("live") == len(writes)
