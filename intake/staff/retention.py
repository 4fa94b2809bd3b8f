"""The retention rule: closed referrals, and conversation transcripts, older than N days go.

- A closed referral is deleted when it was last changed (closed) more than N days ago,
  with its status history. Referrals that are not closed are kept, however old.
- A conversation's transcript is deleted (from the Rasa tracker store and from the search
  copy) when its last message is more than N days old and no kept referral comes from it.
- An abandoned conversation, one with no referral and no escalation from it, goes sooner:
  when its last message is more than ABANDONED_RETENTION_DAYS (30, never more than N) old.
- A conversation whose referral or escalation the action server's outbox still holds (not
  yet delivered) is kept, however old; the outbox itself is purged by outbox_upkeep.py.
- Escalation records and the audit log are kept (they hold no conversation text).

Rasa writes to the tracker store while this runs, and gives up on a write that waits longer
than its SQLite busy timeout: every deletion is made in batches of at most BATCH rows, each
its own short transaction, so no write waits longer than one batch.

Settings: RETENTION_DAYS (365, N), ABANDONED_RETENTION_DAYS (30), TRACKER_DB, OUTBOX_DB and
OUTBOX_BODY_DAYS (30; see outbox_upkeep.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from intake.outbox_status import DELIVERED, outbox_connection
from intake.settings import Settings
from intake.staff.outbox_upkeep import OutboxRetention, purge_outbox
from intake.staff.transcripts import tracker_connection

BATCH = 200


@dataclass(frozen=True)
class RetentionResult:
    days: int
    cutoff: str
    referrals: int
    conversations: int
    tracker_events: int
    abandoned_days: int | None = None  # None: abandoned conversations had no rule of their own
    abandoned: int = 0  # of `conversations`, those with no referral from them
    outbox: OutboxRetention | None = None  # None: the outbox was not looked at

    def summary(self, *, dry_run: bool = False) -> str:
        verb = "would delete" if dry_run else "deleted"
        text = (
            f"retention ({self.days} days, before {self.cutoff}): {verb} {self.referrals} "
            f"closed referrals, {self.conversations} conversation transcripts "
            f"({self.tracker_events} tracker events)"
        )
        if self.abandoned_days is not None:
            text += f", {self.abandoned} of them with no referral (kept {self.abandoned_days} days)"
        if self.outbox is not None:
            text += "; " + self.outbox.summary(dry_run=dry_run)
        return text

    def audit_detail(self) -> dict[str, Any]:
        """What the audit log keeps of a run: counts only."""
        return {
            "referrals": self.referrals,
            "conversations": self.conversations,
            "tracker_events": self.tracker_events,
            "abandoned_conversations": self.abandoned,
            "outbox": self.outbox.purge.counts() if self.outbox and self.outbox.found else None,
        }


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


def _held_by_outbox(outbox_path: Path | None) -> set[str]:
    """Conversations whose referral or escalation the outbox still holds (has a body of)."""
    if outbox_path is None:
        return set()
    with outbox_connection(outbox_path) as outbox:
        if outbox is None:
            return set()
        bodies = outbox.execute(
            "SELECT body FROM outbox WHERE body IS NOT NULL AND status != ?", [DELIVERED]
        )
        held = set()
        for (body,) in bodies:
            try:
                held.add(str(json.loads(body).get("conversation_id") or ""))
            except (ValueError, AttributeError):
                continue
    return held - {""}


def _delete_tracker_events(tracker_path: Path, conversations: list[str]) -> int:
    """Delete the conversations' events, BATCH events to a transaction; how many."""
    deleted = 0
    with tracker_connection(tracker_path, write=True) as tracker:
        if tracker is None:
            return 0
        for chunk in _chunks(conversations):
            marks = ", ".join("?" * len(chunk))
            while True:
                with tracker:  # one short transaction, committed before the next
                    count = tracker.execute(
                        "DELETE FROM events WHERE id IN (SELECT id FROM events "
                        f"WHERE sender_id IN ({marks}) LIMIT {BATCH})",
                        chunk,
                    ).rowcount
                deleted += count
                if count < BATCH:
                    break
    return deleted


def _delete_from_intake(db: Database, conversations: list[str], references: list[str]) -> None:
    for chunk in _chunks(conversations):
        marks = ", ".join("?" * len(chunk))
        with db.conn:
            db.execute(f"DELETE FROM transcripts WHERE conversation_id IN ({marks})", chunk)
    for chunk in _chunks(references):
        marks = ", ".join("?" * len(chunk))
        with db.conn:
            db.execute(f"DELETE FROM status_changes WHERE reference IN ({marks})", chunk)
            db.execute(f"DELETE FROM referral_notes WHERE reference IN ({marks})", chunk)
            db.execute(f"DELETE FROM referrals WHERE reference IN ({marks})", chunk)


def run_retention(
    db: Database,
    tracker_path: Path,
    days: int,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    abandoned_days: int | None = None,
    outbox_path: Path | None = None,
    outbox_body_days: int = 30,
) -> RetentionResult:
    """Apply the rule; abandoned_days None gives abandoned conversations no rule of their own
    (the N days), outbox_path None leaves the outbox alone. run_configured() passes both."""
    if days < 1 or (abandoned_days is not None and abandoned_days < 1):
        raise ValueError("the retention age must be at least 1 day")
    now = now or datetime.now(timezone.utc)
    cutoff_time = now - timedelta(days=days)
    cutoff = cutoff_time.isoformat(timespec="seconds")
    abandoned_time = now - timedelta(days=min(days, abandoned_days or days))
    abandoned_cutoff = abandoned_time.isoformat(timespec="seconds")

    old_referrals = [
        row[0]
        for row in db.execute(
            "SELECT reference FROM referrals WHERE status = 'closed' "
            "AND COALESCE(updated_at, received_at) < ?",
            [cutoff],
        )
    ]
    kept_conversations = {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT conversation_id FROM referrals WHERE NOT (status = 'closed' "
            "AND COALESCE(updated_at, received_at) < ?)",
            [cutoff],
        )
    } | _held_by_outbox(outbox_path)
    # Conversations something came of: they follow the N days, the others (abandoned) less.
    followed = {
        row[0]
        for row in db.execute(
            "SELECT conversation_id FROM referrals UNION SELECT conversation_id FROM escalations"
        )
    }

    # Conversations in the tracker store: when each last spoke, and how many events it has.
    spoke: dict[str, tuple[float, int]] = {}
    with tracker_connection(tracker_path) as tracker:
        if tracker is not None:
            spoke = {
                sender: (last or 0.0, count)
                for sender, last, count in tracker.execute(
                    "SELECT sender_id, max(timestamp), count(*) FROM events GROUP BY sender_id"
                )
            }

    def too_old(conversation: str, last: float) -> bool:
        limit = cutoff_time if conversation in followed else abandoned_time
        return last < limit.timestamp()

    old_conversations = {s for s, (last, _) in spoke.items() if too_old(s, last)}
    # Search copies whose conversation is no longer in the tracker store, and are old.
    old_conversations |= {
        row[0]
        for row in db.execute(
            "SELECT conversation_id, updated_at FROM transcripts WHERE updated_at < ?",
            [max(cutoff, abandoned_cutoff)],
        )
        if row[0] not in spoke and row[1] < (cutoff if row[0] in followed else abandoned_cutoff)
    }
    doomed = sorted(old_conversations - kept_conversations)
    abandoned = sum(conversation not in followed for conversation in doomed)
    outbox = None
    if outbox_path is not None:
        outbox = purge_outbox(outbox_path, days, outbox_body_days, now=now, dry_run=dry_run)

    def result(events: int) -> RetentionResult:
        return RetentionResult(
            days, cutoff, len(old_referrals), len(doomed), events,
            abandoned_days, abandoned, outbox,
        )  # fmt: skip

    if dry_run:
        return result(sum(spoke[s][1] for s in doomed if s in spoke))
    events = _delete_tracker_events(tracker_path, doomed)
    _delete_from_intake(db, doomed, old_referrals)
    return result(events)


def run_configured(
    db: Database,
    settings: Settings,
    *,
    days: int | None = None,
    abandoned_days: int | None = None,
    dry_run: bool = False,
) -> RetentionResult:
    """The rule with the ages and files the settings give (days: RETENTION_DAYS unless given)."""
    return run_retention(
        db,
        settings.tracker_db,
        days or settings.retention_days,
        dry_run=dry_run,
        abandoned_days=abandoned_days or settings.abandoned_retention_days,
        outbox_path=settings.outbox_db,
        outbox_body_days=settings.outbox_body_days,
    )
