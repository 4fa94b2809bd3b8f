"""Referral and escalation storage in SQLite (WAL mode) through sqlite-utils."""

from __future__ import annotations

import fcntl
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlite_utils import Database

from intake import migrations

# The staff workflow's statuses (intake/staff/queue.py shows them); a new referral is "new".
STATUSES = ("new", "in_review", "accepted", "redirected", "closed")

# Free-text answers about the problem that staff search (with reference, name, postcode, area).
SEARCHED_PROBLEM_FIELDS = (
    "body_area",
    "side",
    "duration",
    "daily_impact",
    "work_role",
    "treatments_tried",
    "goals",
)


def init_app(app: Flask) -> None:
    """Create the database and tables if needed; close the per-request connection."""
    migrate(app.config["SETTINGS"].intake_db)
    app.teardown_appcontext(_close)


def migrate(path: Path) -> None:
    """Bring the database to the latest schema, one process at a time.

    gunicorn starts its workers together, each building the app: without the lock two of
    them could migrate a new database at once ("database is locked", or a migration twice).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".migrate-lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        db = Database(path)
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            db.enable_wal()
            migrations.apply(db)
        finally:
            db.close()


def database() -> Database:
    """This request's connection."""
    if "db" not in g:
        g.db = Database(current_app.config["SETTINGS"].intake_db)
        g.db.execute("PRAGMA busy_timeout = 5000")
    return g.db


def _close(_error: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class StoreResult:
    record: dict[str, Any]
    created: bool
    conflict: bool


def canonical_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def search_text(payload: dict[str, Any]) -> str:
    """What the staff full-text search (referrals_fts) finds a referral by, as plain text."""
    patient = payload.get("patient") or {}
    problem = payload.get("problem") or {}
    parts = [payload.get("reference"), patient.get("full_name"), patient.get("postcode")]
    parts += [problem.get(name) for name in SEARCHED_PROBLEM_FIELDS]
    return " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def store_referral(payload: dict[str, Any]) -> StoreResult:
    """Insert the referral once: the same body again is a no-op, a different one a conflict."""
    db = database()
    digest = canonical_hash(payload)
    received = now()
    row = {
        "reference": payload["reference"],
        "status": "new",
        "received_at": received,
        "conversation_id": payload.get("conversation_id", ""),
        "payload": json.dumps(payload, sort_keys=True),
        "payload_sha256": digest,
        "body_area": payload["problem"]["body_area"],
        "updated_at": received,
        "search_text": search_text(payload),
        "flagged": 1 if payload.get("escalated") is True else 0,
    }
    columns = [column for column in row if column != "flagged"]
    # escalated: the payload says so, or an escalation for this conversation is already here
    # (one arriving later sets it in store_escalation). One statement, so no race between them.
    with db.conn:
        cursor = db.execute(
            f"INSERT OR IGNORE INTO referrals ({', '.join(columns)}, escalated) "
            f"VALUES ({', '.join(':' + column for column in columns)}, "
            "CASE WHEN :flagged = 1 OR EXISTS (SELECT 1 FROM escalations "
            "WHERE conversation_id = :conversation_id) THEN 1 ELSE 0 END)",
            row,
        )
    created = cursor.rowcount == 1
    stored = get_referral(payload["reference"])
    assert stored is not None
    return StoreResult(stored, created, conflict=not created and stored["payload_sha256"] != digest)


def get_referral(reference: str) -> dict[str, Any] | None:
    rows = list(database()["referrals"].rows_where("reference = ?", [reference]))
    return rows[0] if rows else None


def public_view(record: dict[str, Any]) -> dict[str, Any]:
    """The stored referral as the API returns it."""
    return {
        "reference": record["reference"],
        "status": record["status"],
        "received_at": record["received_at"],
        "updated_at": record.get("updated_at") or record["received_at"],
        "escalated": bool(record.get("escalated")),
        "referral": json.loads(record["payload"]),
    }


def store_escalation(record: dict[str, Any]) -> StoreResult:
    """Insert an escalation once (idempotent on its id), as referrals are stored: the same
    escalation again is not a new one; a different one under a used id is a conflict and
    the stored one is kept.

    A referral already stored for the same conversation is marked escalated.
    """
    row = {
        "id": record["id"],
        "conversation_id": record["conversation_id"],
        "level": record["level"],
        "code": record["code"],
        "codes": json.dumps(record.get("codes") or [record["code"]]),
        "source": record["source"],
        "occurred_at": record["occurred_at"],
        "received_at": now(),
    }
    db = database()
    with db.conn:
        cursor = db.execute(
            f"INSERT OR IGNORE INTO escalations ({', '.join(row)}) "
            f"VALUES ({', '.join(':' + column for column in row)})",
            row,
        )
        stored = db["escalations"].get(row["id"])
        created = cursor.rowcount == 1
        compared = [k for k in row if k != "received_at"]
        conflict = not created and any(stored[k] != row[k] for k in compared)
        if not conflict:
            db.execute(
                "UPDATE referrals SET escalated = 1 WHERE conversation_id = ? AND escalated = 0",
                [record["conversation_id"]],
            )
    return StoreResult(stored, created, conflict)


def escalation_view(row: dict[str, Any]) -> dict[str, Any]:
    """A stored escalation as the API returns it."""
    return {**row, "codes": json.loads(row["codes"])}
