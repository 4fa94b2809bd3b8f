"""Password guessing, throttled atomically by (username, address) and by address.

Each attempt is written as "pending" in the same write transaction that counts the earlier
ones (BEGIN IMMEDIATE), so parallel attempts cannot all slip through one count; a pending
attempt counts as a failure until the password check says otherwise.

- One username from one address: after MAX_FAILURES failures, that pair waits FIRST_WAIT
  from its latest failure, doubling with every further MAX_FAILURES, up to LONGEST_WAIT.
  Another address (the real user at their desk) is not locked out by someone else's guesses.
- One address, any usernames: after ADDRESS_FAILURES failures within ADDRESS_WINDOW, it waits
  until the window has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlite_utils import Database

MAX_FAILURES = 5
FIRST_WAIT = timedelta(minutes=15)
LONGEST_WAIT = timedelta(hours=24)
ADDRESS_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)
COUNTED = ("failed", "pending")


@dataclass(frozen=True)
class Refused:
    minutes: int  # how long to wait, rounded up


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def pair_wait(failures: int) -> timedelta:
    """How long a (username, address) pair waits after `failures` failures (0: no wait)."""
    if failures < MAX_FAILURES:
        return timedelta(0)
    doublings = min(failures // MAX_FAILURES - 1, 16)  # 15 minutes * 2**7 is past a day
    return min(LONGEST_WAIT, FIRST_WAIT * 2**doublings)


def begin(db: Database, username: str, address: str, now: datetime | None = None) -> int | Refused:
    """The id of this attempt, recorded as pending; or Refused with the wait."""
    now = now or datetime.now(timezone.utc)
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        failures, latest = conn.execute(
            "SELECT count(*), max(at) FROM sign_in_attempts WHERE username = ? AND address = ?"
            f" AND at >= ? AND outcome IN {COUNTED}",
            [username, address, _iso(now - LONGEST_WAIT)],
        ).fetchone()
        from_address = conn.execute(
            f"SELECT count(*) FROM sign_in_attempts WHERE address = ? AND at >= ?"
            f" AND outcome IN {COUNTED}",
            [address, _iso(now - ADDRESS_WINDOW)],
        ).fetchone()[0]
        wait = timedelta(0)
        if latest is not None:
            wait = pair_wait(failures) - (now - datetime.fromisoformat(latest))
        if from_address >= ADDRESS_FAILURES:
            wait = max(wait, ADDRESS_WINDOW)
        if wait > timedelta(0):
            conn.execute("COMMIT")
            return Refused(minutes=max(1, -(-int(wait.total_seconds()) // 60)))
        attempt = conn.execute(
            "INSERT INTO sign_in_attempts (username, address, at, outcome)"
            " VALUES (?, ?, ?, 'pending')",
            [username, address, _iso(now)],
        ).lastrowid
        conn.execute("COMMIT")
        return attempt
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def finish(db: Database, attempt: int, succeeded: bool) -> None:
    """Mark the attempt failed; or, on success, clear it and the pair's earlier failures."""
    with db.conn:
        if not succeeded:
            db.execute("UPDATE sign_in_attempts SET outcome = 'failed' WHERE id = ?", [attempt])
            return
        db.execute(
            "UPDATE sign_in_attempts SET outcome = 'cleared' WHERE outcome IN ('failed', "
            "'pending') AND (username, address) = (SELECT username, address FROM "
            "sign_in_attempts WHERE id = ?)",
            [attempt],
        )
