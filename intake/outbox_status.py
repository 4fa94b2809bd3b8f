"""What waits in the action server's outbox (bot/outbox.py), for /healthz and the staff queue.

The file is read by its path, read-only: intake never imports bot/, so the statuses below are
the ones bot/outbox.py writes (a test keeps them equal). Counts, ages and record ids only,
never a record's body. No file (the action server has not run yet), or no table in it, reads
as an empty outbox; a file that cannot be read says so (`unreadable`).

Settings: OUTBOX_DB (default var/outbox.db, as the action server's); OUTBOX_ALERT_SECONDS
(900), how long a record may wait before the health check says `degraded`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from intake.other_databases import existing_table

PENDING, DELIVERED, REJECTED, DEAD_LETTER = "pending", "delivered", "rejected", "dead_letter"
TOKEN_REFUSED = ("HTTP 401", "HTTP 403")  # the record waits for INTAKE_API_TOKEN to be fixed


@contextmanager
def outbox_connection(path: Path, *, write: bool = False) -> Iterator[sqlite3.Connection | None]:
    """The outbox file, read-only unless asked (and never created); None when there is none.

    Autocommit: a writer says BEGIN IMMEDIATE and COMMIT itself, a batch at a time.
    """
    mode = "rw" if write else "ro"
    with existing_table(path, "outbox", mode=mode, timeout=5, isolation_level=None) as connection:
        if connection is not None:
            connection.row_factory = sqlite3.Row
        yield connection


@dataclass(frozen=True)
class Waiting:
    count: int
    oldest_seconds: int


@dataclass(frozen=True)
class OutboxStatus:
    waiting: dict[str, Waiting] = field(default_factory=dict)  # pending, by kind
    token_refused: int = 0  # pending, and the last try's token was refused (401, 403)
    dead_letter: int = 0  # given up after OUTBOX_MAX_ATTEMPTS, or waited past OUTBOX_BODY_DAYS
    rejected: int = 0  # refused for good by the intake API
    rejected_kept: int = 0  # ... and still holding the record (an operator may need it)
    unreadable: bool = False

    @property
    def pending(self) -> int:
        return sum(each.count for each in self.waiting.values())

    @property
    def oldest_pending_seconds(self) -> int:
        return max((each.oldest_seconds for each in self.waiting.values()), default=0)

    @property
    def need_operator(self) -> int:
        return self.dead_letter + self.rejected_kept

    def degraded(self, alert_seconds: float) -> bool:
        return (
            self.unreadable
            or self.need_operator > 0
            or self.token_refused > 0
            or self.oldest_pending_seconds > alert_seconds
        )

    def as_json(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            "pending": self.pending,
            "oldest_pending_seconds": self.oldest_pending_seconds,
            "token_refused": self.token_refused,
            "dead_letter": self.dead_letter,
            "rejected": self.rejected,
            "need_operator": self.need_operator,
        }
        if self.unreadable:
            counts["unreadable"] = True
        return counts


def _age(created_at: str | None, now: float) -> int:
    try:
        return max(0, int(now - datetime.fromisoformat(created_at or "").timestamp()))
    except ValueError:
        return 0


def read_status(path: Path, *, now: float | None = None) -> OutboxStatus:
    """How many records wait, failed or were refused, and how long the oldest has waited."""
    now = time.time() if now is None else now
    try:
        with outbox_connection(path) as conn:
            if conn is None:
                return OutboxStatus()
            waiting = {
                row["kind"]: Waiting(row["count"], _age(row["oldest"], now))
                for row in conn.execute(
                    "SELECT kind, count(*) AS count, min(created_at) AS oldest FROM outbox "
                    "WHERE status = ? GROUP BY kind ORDER BY kind",
                    [PENDING],
                )
            }
            marks = ", ".join("?" * len(TOKEN_REFUSED))
            token_refused, dead_letter, rejected, rejected_kept = conn.execute(
                "SELECT "
                f"count(*) FILTER (WHERE status = ? AND last_error IN ({marks})), "
                "count(*) FILTER (WHERE status = ?), "
                "count(*) FILTER (WHERE status = ?), "
                "count(*) FILTER (WHERE status = ? AND body IS NOT NULL) FROM outbox",
                [PENDING, *TOKEN_REFUSED, DEAD_LETTER, REJECTED, REJECTED],
            ).fetchone()
    except sqlite3.Error:
        return OutboxStatus(unreadable=True)
    return OutboxStatus(waiting, token_refused, dead_letter, rejected, rejected_kept)


def records_needing_attention(path: Path) -> list[dict[str, Any]]:
    """Every record not delivered, oldest first: ids, status, tries and last error, no body."""
    with outbox_connection(path) as conn:
        if conn is None:
            return []
        return [
            dict(row)
            for row in conn.execute(
                "SELECT kind, record_id, status, attempts, last_error, created_at, "
                "body IS NOT NULL AS has_body FROM outbox WHERE status != ? "
                "ORDER BY created_at, kind, record_id",
                [DELIVERED],
            )
        ]


UNITS = (("second", 1, 60), ("minute", 60, 3600), ("hour", 3600, 172800), ("day", 86400, None))


def how_long(seconds: float) -> str:
    """A wait in words: '40 seconds', '12 minutes', '5 hours', '3 days' (rounded down)."""
    unit, size = next((u, s) for u, s, below in UNITS if below is None or seconds < below)
    count = int(seconds // size)
    return f"{count} {unit}{'' if count == 1 else 's'}"
