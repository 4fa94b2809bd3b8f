"""Retention and operator actions on the action server's outbox file (bot/outbox.py).

The retention command (intake/staff/retention.py) purges what the outbox no longer needs:
- delivered records (their body was cleared on delivery) are not touched here: the action
  server that delivered them forgets them after OUTBOX_KEEP_DAYS (bot/outbox.py), each node
  its own file in cluster mode, so there is one owner of that deletion;
- records the intake API refused for good (`rejected`; the patient was told to phone) lose
  their body once OUTBOX_BODY_DAYS old, and are deleted once older than the retention age;
- records still waiting (`pending`) once OUTBOX_BODY_DAYS old are dead-lettered: no longer
  tried, but kept with their body and shown to staff and on /healthz, never deleted here;
  dead letters stay until an operator requeues or dismisses them
  (`flask --app intake.wsgi outbox --requeue ID | --dismiss ID`).
A record in flight (claimed by a deliverer) is left alone. Every change is a short
transaction of at most BATCH records, so the action server waits for one batch at most.

Settings: OUTBOX_DB (the file; none there means nothing to do, and none is made) and
OUTBOX_BODY_DAYS (30).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from intake.outbox_status import DEAD_LETTER, PENDING, REJECTED, outbox_connection

BATCH = 200


@dataclass(frozen=True)
class OutboxPurge:
    rejected_deleted: int = 0
    bodies_cleared: int = 0
    dead_lettered: int = 0

    def counts(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class OutboxRetention:
    """What the purge did (or would do), and what waits afterwards; found=False: no file."""

    found: bool
    purge: OutboxPurge = OutboxPurge()
    waiting: int = 0
    need_operator: int = 0

    def summary(self, *, dry_run: bool = False) -> str:
        if not self.found:
            return "outbox: no file"
        p = self.purge
        delete, clear, dead = (
            ("would delete", "would clear", "would dead-letter")
            if dry_run
            else ("deleted", "cleared", "dead-lettered")
        )
        return (
            f"outbox: {delete} {p.rejected_deleted} rejected records, "
            f"{clear} {p.bodies_cleared} rejected bodies, {dead} "
            f"{p.dead_lettered} pending records; {self.waiting} waiting, "
            f"{self.need_operator} need an operator"
        )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _rules(cutoff: str, body_cutoff: str, in_flight: float) -> dict[str, tuple[str, str, list]]:
    """name: (the records it takes, as a WHERE clause and its values; what it does to them)."""
    return {
        "rejected_deleted": (
            "status = ? AND created_at < ?", "DELETE FROM outbox", [REJECTED, cutoff]
        ),
        "bodies_cleared": (
            "status = ? AND body IS NOT NULL AND created_at < ? AND created_at >= ?",
            "UPDATE outbox SET body = NULL",
            [REJECTED, body_cutoff, cutoff],
        ),
        "dead_lettered": (
            "status = ? AND created_at < ? AND (claimed_until IS NULL OR claimed_until < ?)",
            f"UPDATE outbox SET status = '{DEAD_LETTER}', claimed_until = NULL",
            [PENDING, body_cutoff, in_flight],
        ),
    }  # fmt: skip


def _apply_in_batches(conn: sqlite3.Connection, where: str, change: str, values: list) -> int:
    """Apply `change` to the records `where` takes, BATCH at a time, each batch committed."""
    done, last = 0, 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            ids = [
                row[0]
                for row in conn.execute(
                    f"SELECT rowid FROM outbox WHERE rowid > ? AND {where} ORDER BY rowid LIMIT ?",
                    [last, *values, BATCH],
                )
            ]
            if ids:
                marks = ", ".join("?" * len(ids))
                done += conn.execute(f"{change} WHERE rowid IN ({marks})", ids).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if len(ids) < BATCH:
            return done
        last = ids[-1]


def purge_outbox(
    path: Path, days: int, body_days: int, *, now: datetime, dry_run: bool = False
) -> OutboxRetention:
    """The outbox part of the retention rule (see the module's docstring)."""
    cutoff = _iso(now - timedelta(days=days))
    body_cutoff = _iso(now - timedelta(days=min(days, body_days)))
    rules = _rules(cutoff, body_cutoff, time.time())
    done: dict[str, int] = {}
    with outbox_connection(path, write=not dry_run) as conn:
        if conn is None:
            return OutboxRetention(found=False)
        for name, (where, change, values) in rules.items():
            if dry_run:
                done[name] = conn.execute(
                    f"SELECT count(*) FROM outbox WHERE {where}", values
                ).fetchone()[0]
            else:
                done[name] = _apply_in_batches(conn, where, change, values)
        # What waits afterwards (in a dry run: would wait), counted the same both ways.
        dead_where, _, dead_values = rules["dead_lettered"]
        kept_where, _, kept_values = rules["bodies_cleared"]
        waiting, need_operator = conn.execute(
            f"SELECT count(*) FILTER (WHERE status = ? AND NOT ({dead_where})), "
            f"count(*) FILTER (WHERE status = ? OR ({dead_where}) OR (status = ? "
            f"AND body IS NOT NULL AND created_at >= ? AND NOT ({kept_where}))) FROM outbox",
            [PENDING, *dead_values, DEAD_LETTER, *dead_values, REJECTED, cutoff, *kept_values],
        ).fetchone()
    return OutboxRetention(True, OutboxPurge(**done), waiting, need_operator)


def _act_on(
    path: Path, record_ids: tuple[str, ...], statuses: tuple[str, ...], change: str
) -> list[dict[str, Any]]:
    """Apply `change` to the named records that are in one of `statuses`; those records."""
    if not record_ids:
        return []
    with outbox_connection(path, write=True) as conn:
        if conn is None:
            return []
        ids, states = ", ".join("?" * len(record_ids)), ", ".join("?" * len(statuses))
        where = f"record_id IN ({ids}) AND status IN ({states})"
        conn.execute("BEGIN IMMEDIATE")
        try:
            chosen = [
                dict(row)
                for row in conn.execute(
                    f"SELECT kind, record_id, last_error FROM outbox WHERE {where}",
                    [*record_ids, *statuses],
                )
            ]
            conn.execute(f"{change} WHERE {where}", [*record_ids, *statuses])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return chosen


def requeue(path: Path, record_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    """Dead letters back to the queue, due at once with a fresh count of tries.

    Records refused for good are not resent: the same record would be refused again.
    """
    return _act_on(
        path,
        record_ids,
        (DEAD_LETTER,),
        f"UPDATE outbox SET status = '{PENDING}', attempts = 0, next_attempt_at = 0, "
        "claimed_until = NULL",
    )


def dismiss(path: Path, record_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    """Forget dead letters and rejected records an operator has dealt with; never a record
    still being retried."""
    return _act_on(path, record_ids, (DEAD_LETTER, REJECTED), "DELETE FROM outbox")
