"""Rows in the action server's outbox file (made by bot/outbox.py itself), back-dated at will."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot import outbox


def put(
    path: Path,
    record_id: str,
    status: str,
    *,
    age: timedelta = timedelta(0),
    kind: str = "referral",
    conversation_id: str = "c" * 32,
    last_error: str | None = "ConnectionError",
) -> None:
    """One record `age` old (created then; delivered then too when delivered)."""
    box = outbox.Outbox(path, "http://127.0.0.1:9", "not-a-token-not-a-token")
    body = {
        "reference" if kind == "referral" else "id": record_id,
        "conversation_id": conversation_id,
        "patient": {"full_name": "Sam Sample", "phone": "07700 900123"},
    }
    assert box.add(kind, record_id, body) == outbox.ADDED
    at = (datetime.now(timezone.utc) - age).isoformat(timespec="seconds")
    delivered = status == outbox.DELIVERED
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "UPDATE outbox SET status = ?, created_at = ?, delivered_at = ?, last_error = ?, "
            "body = CASE WHEN ? THEN NULL ELSE body END, attempts = 3, next_attempt_at = ? "
            "WHERE kind = ? AND record_id = ?",
            [status, at, at if delivered else None, None if delivered else last_error,
             delivered, time.time() + 3600, kind, record_id],
        )  # fmt: skip
    conn.close()


def rows(path: Path) -> dict[str, dict[str, Any]]:
    """record_id -> row."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return {r["record_id"]: dict(r) for r in conn.execute("SELECT * FROM outbox")}
    finally:
        conn.close()
