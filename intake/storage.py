"""Referral storage in SQLite (WAL mode) through sqlite-utils."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Flask, current_app, g
from sqlite_utils import Database

from intake import migrations


def init_app(app: Flask) -> None:
    """Create the database and tables if needed; close the per-request connection."""
    path = app.config["SETTINGS"].intake_db
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    db.enable_wal()
    migrations.apply(db)
    db.close()
    app.teardown_appcontext(_close)


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


@dataclass(frozen=True)
class StoreResult:
    record: dict[str, Any]
    created: bool
    conflict: bool


def canonical_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def store_referral(payload: dict[str, Any]) -> StoreResult:
    """Insert the referral once: the same body again is a no-op, a different one a conflict."""
    db = database()
    digest = canonical_hash(payload)
    row = {
        "reference": payload["reference"],
        "status": "new",
        "received_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "conversation_id": payload.get("conversation_id", ""),
        "payload": json.dumps(payload, sort_keys=True),
        "payload_sha256": digest,
    }
    with db.conn:
        cursor = db.execute(
            f"INSERT OR IGNORE INTO referrals ({', '.join(row)}) "
            f"VALUES ({', '.join(':' + column for column in row)})",
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
        "referral": json.loads(record["payload"]),
    }


def store_escalation(record: dict[str, Any]) -> bool:
    """Insert an escalation once (idempotent on its id); True when it was new."""
    row = {
        "id": record["id"],
        "conversation_id": record["conversation_id"],
        "level": record["level"],
        "code": record["code"],
        "codes": json.dumps(record.get("codes") or [record["code"]]),
        "source": record["source"],
        "occurred_at": record["occurred_at"],
        "received_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    db = database()
    with db.conn:
        cursor = db.execute(
            f"INSERT OR IGNORE INTO escalations ({', '.join(row)}) "
            f"VALUES ({', '.join(':' + column for column in row)})",
            row,
        )
    return cursor.rowcount == 1


def escalation_view(row: dict[str, Any]) -> dict[str, Any]:
    """A stored escalation as the API returns it."""
    return {**row, "codes": json.loads(row["codes"])}
