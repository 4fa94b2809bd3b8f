"""The audit log: who viewed or changed patient data, what, which record and when.

Rows name the record (a referral reference, a conversation id) and the action, never the
patient data itself: search words, reasons and answers stay out of it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from flask_login import current_user
from sqlite_utils import Database

from intake import storage


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def actor_name() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.username
    return "anonymous"


def record(
    action: str,
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
    *,
    actor: str | None = None,
    db: Database | None = None,
) -> None:
    """Write one audit row and commit it at once."""
    db = db or storage.database()
    with db.conn:
        db.execute(
            "INSERT INTO audit_log (at, actor, action, target_type, target_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                now_iso(),
                actor or actor_name(),
                action,
                target_type,
                target_id,
                json.dumps(detail or {}, sort_keys=True),
            ],
        )
