"""The retention rule: closed referrals, and conversation transcripts, older than N days go.

- A closed referral is deleted when it was last changed (closed) more than N days ago,
  with its status history. Referrals that are not closed are kept, however old.
- A conversation's transcript is deleted (from the Rasa tracker store and from the search
  copy) when its last message is more than N days old and no kept referral comes from it.
- Escalation records and the audit log are kept (they hold no conversation text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlite_utils import Database

from intake.staff.transcripts import tracker_connection

CHUNK = 500


@dataclass(frozen=True)
class RetentionResult:
    days: int
    cutoff: str
    referrals: int
    conversations: int
    tracker_events: int

    def summary(self, *, dry_run: bool = False) -> str:
        verb = "would delete" if dry_run else "deleted"
        return (
            f"retention ({self.days} days, before {self.cutoff}): {verb} {self.referrals} "
            f"closed referrals, {self.conversations} conversation transcripts "
            f"({self.tracker_events} tracker events)"
        )


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def run_retention(
    db: Database,
    tracker_path: Path,
    days: int,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> RetentionResult:
    if days < 1:
        raise ValueError("the retention age must be at least 1 day")
    now = now or datetime.now(timezone.utc)
    cutoff_time = now - timedelta(days=days)
    cutoff = cutoff_time.isoformat(timespec="seconds")

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
    old_conversations = {s for s, (last, _) in spoke.items() if last < cutoff_time.timestamp()}
    # Search copies whose conversation is no longer in the tracker store, and are old.
    old_conversations |= {
        row[0]
        for row in db.execute(
            "SELECT conversation_id FROM transcripts WHERE updated_at < ?", [cutoff]
        )
        if row[0] not in spoke
    }
    doomed = sorted(old_conversations - kept_conversations)
    events = sum(spoke[s][1] for s in doomed if s in spoke)
    if dry_run:
        return RetentionResult(days, cutoff, len(old_referrals), len(doomed), events)

    events = 0
    with tracker_connection(tracker_path, write=True) as tracker:
        if tracker is not None:
            with tracker:
                for chunk in _chunks(doomed):
                    marks = ", ".join("?" * len(chunk))
                    events += tracker.execute(
                        f"DELETE FROM events WHERE sender_id IN ({marks})", chunk
                    ).rowcount
    with db.conn:
        for chunk in _chunks(doomed):
            marks = ", ".join("?" * len(chunk))
            db.execute(f"DELETE FROM transcripts WHERE conversation_id IN ({marks})", chunk)
        for chunk in _chunks(old_referrals):
            marks = ", ".join("?" * len(chunk))
            db.execute(f"DELETE FROM status_changes WHERE reference IN ({marks})", chunk)
            db.execute(f"DELETE FROM referrals WHERE reference IN ({marks})", chunk)
    return RetentionResult(days, cutoff, len(old_referrals), len(doomed), events)
