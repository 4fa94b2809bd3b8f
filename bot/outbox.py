"""The action server's durable outbox: nothing the intake API should have is lost.

A completed referral (or an escalation record) is written here first, to a SQLite file
(OUTBOX_DB, default var/outbox.db; WAL, synchronous=FULL, committed before anything else
happens), and only then delivered: at once, and if that fails, again and again with
exponential backoff by a background thread in the action server, which also picks up
whatever an earlier run left pending. The intake API is idempotent (referrals on their
reference, escalations on their id), so delivering at least once stores exactly once; a row is
marked delivered, and its body (personal details) cleared, once the API has said 200 or 201.

Giving up, always in bounded time and never silently:
- an answer that will not change however often the record is sent (any 4xx but 401, 403,
  408, 425 and 429; 409 is the same reference with a different body) marks the row
  `rejected` at once;
- any other failure (no connection, 5xx, 408, 425, 429) is retried, and after
  OUTBOX_MAX_ATTEMPTS tries the row is dead-lettered (`dead_letter`): no longer tried;
- 401 and 403 (the token is wrong: a configuration fault, fixed in minutes) are retried
  without limit, each logged at ERROR.
Rejected and dead-lettered rows keep their body for an operator: staff see them on the queue
page and /healthz reports them (intake/outbox_status.py reads this file by its path);
`flask --app intake.wsgi outbox` lists, requeues or dismisses them, and the retention
command purges what is no longer needed (intake/staff/outbox_upkeep.py). Log lines name
the kind, record id, HTTP status and attempt, never a record's content.

Settings (environment): OUTBOX_DB; OUTBOX_RETRY_BASE_SECONDS (2) and OUTBOX_RETRY_MAX_SECONDS
(300), the first wait and the cap of the doubling backoff; OUTBOX_MAX_ATTEMPTS (100, 7 to 8
hours with the default backoff), the tries before a row is dead-lettered;
OUTBOX_POLL_SECONDS (10), the longest the worker sleeps before looking for rows written by
another process; OUTBOX_KEEP_DAYS (30), how long delivered rows (no body) are kept;
INTAKE_URL and INTAKE_API_TOKEN, where to deliver.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot import paths
from bot.intake_client import (
    ESCALATIONS_PATH,
    REFERRALS_PATH,
    TIMEOUT_SECONDS,
    Outcome,
    intake_token,
    intake_url,
    post_record,
)

logger = logging.getLogger(__name__)

ROOT = paths.ROOT
PATHS = {"referral": REFERRALS_PATH, "escalation": ESCALATIONS_PATH}

PENDING, DELIVERED, REJECTED, DEAD_LETTER = "pending", "delivered", "rejected", "dead_letter"
ADDED, SAME, DIFFERENT = "added", "same", "different"
DEFAULT_MAX_ATTEMPTS = 100

# Client errors that may pass if sent again: request timeout, too early, too many requests.
RETRYABLE_4XX = frozenset({408, 425, 429})
# The token is refused: the configuration is wrong, not the record. Retried without limit.
TOKEN_REFUSALS = frozenset({401, 403})

# Fields that differ between two builds of the same record (not what it says).
VOLATILE_FIELDS = ("submitted_at",)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def content_digest(body: dict[str, Any]) -> str:
    """What the record says, the time it was built aside: equal for a rebuilt copy."""
    kept = {key: value for key, value in body.items() if key not in VOLATILE_FIELDS}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()


def http_status(outcome: Outcome) -> int | None:
    """The HTTP status of an answer, None when there was none (no connection, timeout)."""
    match = re.fullmatch(r"HTTP (\d{3})", outcome.detail)
    return int(match.group(1)) if match else None


def refused_for_good(outcome: Outcome) -> bool:
    """An answer that will not change however often the same record is sent."""
    status = http_status(outcome)
    client_error = status is not None and 400 <= status < 500
    return outcome.permanent or (
        client_error and status not in RETRYABLE_4XX and status not in TOKEN_REFUSALS
    )


_JITTER = random.Random()  # its own generator: the shared one is left alone


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 2.0
    max_seconds: float = 300.0

    def delay(self, attempts: int) -> float:
        """The wait after `attempts` failed tries: base, 2 x base, 4 x base, ... up to the cap."""
        exact = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return exact * _JITTER.uniform(0.8, 1.0)  # rows queued together spread out


class Outbox:
    """One outbox file and the intake API it delivers to."""

    def __init__(
        self,
        path: Path,
        url: str,
        token: str,
        backoff: Backoff | None = None,
        timeout: float = TIMEOUT_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.path = Path(path)
        self.url = url
        self.token = token
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        self.max_attempts = max(1, int(max_attempts))
        self.worker: DeliveryWorker | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = Database(self.path)
        db.enable_wal()
        db["outbox"].create(
            {
                "kind": str,  # referral or escalation
                "record_id": str,  # the reference, or the escalation id
                "path": str,
                "body": str,  # JSON; NULL once delivered
                "digest": str,
                "status": str,
                "attempts": int,
                "created_at": str,
                "next_attempt_at": float,  # epoch seconds
                "claimed_until": float,  # a delivery is in flight until then
                "delivered_at": str,
                "last_error": str,  # an HTTP status or exception name, never the record
            },
            pk=("kind", "record_id"),
            not_null={"kind", "record_id", "path", "digest", "status"},
            if_not_exists=True,
        )
        db["outbox"].create_index(["status", "next_attempt_at"], if_not_exists=True)
        db.close()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)  # autocommit
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous = FULL")  # committed means on disk
        try:
            yield conn
        finally:
            conn.close()

    def add(self, kind: str, record_id: str, body: dict[str, Any]) -> str:
        """Write a record durably: ADDED, or SAME/DIFFERENT when this id is already here.

        An id already here keeps its first body, so a repeated action delivers one record.
        The worker leaves a new row alone for a moment: the caller tries it at once
        (deliver_now), and the worker takes over if that fails or never happens.
        """
        digest = content_digest(body)
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO outbox (kind, record_id, path, body, digest, status, "
                "attempts, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                [kind, record_id, PATHS[kind], json.dumps(body), digest, PENDING, _now_iso(),
                 time.time() + self.timeout + 5],  # the adder's own first try comes first
            )  # fmt: skip
            if cursor.rowcount == 1:
                return ADDED
            row = self._row(conn, kind, record_id)
        return SAME if row["digest"] == digest else DIFFERENT

    @staticmethod
    def _row(conn: sqlite3.Connection, kind: str, record_id: str) -> sqlite3.Row:
        row = conn.execute(
            "SELECT * FROM outbox WHERE kind = ? AND record_id = ?", [kind, record_id]
        ).fetchone()
        if row is None:
            raise KeyError(f"{kind} {record_id} is not in the outbox")
        return row

    def status(self, kind: str, record_id: str) -> str:
        with self._connect() as conn:
            return self._row(conn, kind, record_id)["status"]

    def deliver(self, kind: str, record_id: str) -> str:
        """Try to deliver one pending record now; its status afterwards.

        A record another thread or process is delivering at this moment stays PENDING here.
        """
        return self._deliver(kind, record_id)[0]

    def _deliver(self, kind: str, record_id: str) -> tuple[str, bool]:
        """(status afterwards, whether this call sent it)."""
        now = time.time()
        with self._connect() as conn:
            claimed = conn.execute(
                "UPDATE outbox SET claimed_until = ? WHERE kind = ? AND record_id = ? "
                "AND status = ? AND (claimed_until IS NULL OR claimed_until < ?)",
                [now + self.timeout + 5, kind, record_id, PENDING, now],
            ).rowcount
            row = self._row(conn, kind, record_id)
        if not claimed:
            return row["status"], False
        outcome = post_record(self.url, self.token, row["path"], json.loads(row["body"]),
                              self.timeout)  # fmt: skip
        attempts = row["attempts"] + 1
        with self._connect() as conn:
            where = [kind, record_id]
            if outcome.delivered:
                conn.execute(
                    "UPDATE outbox SET status = ?, body = NULL, attempts = ?, delivered_at = ?, "
                    "last_error = NULL, claimed_until = NULL WHERE kind = ? AND record_id = ?",
                    [DELIVERED, attempts, _now_iso(), *where],
                )
                if attempts > 1:
                    logger.info("outbox: %s %s delivered at attempt %d", kind, record_id, attempts)
                return DELIVERED, True
            if refused_for_good(outcome):
                conn.execute(
                    "UPDATE outbox SET status = ?, attempts = ?, last_error = ?, "
                    "claimed_until = NULL WHERE kind = ? AND record_id = ?",
                    [REJECTED, attempts, outcome.detail, *where],
                )
                logger.error(
                    "outbox: the intake API refused %s %s for good (%s, attempt %d); kept in %s",
                    kind, record_id, outcome.detail, attempts, self.path,
                )  # fmt: skip
                return REJECTED, False
            token_refused = http_status(outcome) in TOKEN_REFUSALS
            if attempts >= self.max_attempts and not token_refused:
                conn.execute(
                    "UPDATE outbox SET status = ?, attempts = ?, last_error = ?, "
                    "claimed_until = NULL WHERE kind = ? AND record_id = ?",
                    [DEAD_LETTER, attempts, outcome.detail, *where],
                )
                logger.error(
                    "outbox: %s %s not delivered (%s, attempt %d, the last of "
                    "OUTBOX_MAX_ATTEMPTS); dead-lettered for an operator in %s",
                    kind, record_id, outcome.detail, attempts, self.path,
                )  # fmt: skip
                return DEAD_LETTER, False
            wait = self.backoff.delay(attempts)
            conn.execute(
                "UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, "
                "claimed_until = NULL WHERE kind = ? AND record_id = ?",
                [attempts, outcome.detail, time.time() + wait, *where],
            )
        if token_refused:
            logger.error(
                "outbox: the intake API refused the token for %s %s (%s, attempt %d): check "
                "INTAKE_API_TOKEN; next try in %.1f s",
                kind, record_id, outcome.detail, attempts, wait,
            )  # fmt: skip
            return PENDING, False
        logger.warning(
            "outbox: %s %s not delivered (%s, attempt %d); next try in %.1f s",
            kind, record_id, outcome.detail, attempts, wait,
        )  # fmt: skip
        return PENDING, False

    def deliver_now(self, kind: str, record_id: str) -> str:
        """deliver(), and if it is still pending, have the worker schedule its retry."""
        status = self.deliver(kind, record_id)
        if status == PENDING and self.worker is not None:
            self.worker.wake()
        return status

    def due(self, limit: int = 100) -> list[tuple[str, str]]:
        now = time.time()
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT kind, record_id FROM outbox WHERE status = ? AND next_attempt_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until < ?) "
                "ORDER BY next_attempt_at LIMIT ?",
                [PENDING, now, now, limit],
            ).fetchall()
        return [(row["kind"], row["record_id"]) for row in rows]

    def deliver_due(self) -> int:
        """Try every pending record whose time has come; how many this call delivered."""
        return sum(self._deliver(kind, record_id)[1] for kind, record_id in self.due())

    def seconds_until_due(self) -> float | None:
        """How long until the next pending record may be tried; None when none is pending."""
        with self._connect() as conn:
            (next_time,) = conn.execute(
                "SELECT MIN(MAX(next_attempt_at, COALESCE(claimed_until, 0))) FROM outbox "
                "WHERE status = ?",
                [PENDING],
            ).fetchone()
        return None if next_time is None else max(0.0, next_time - time.time())

    def counts(self) -> dict[str, int]:
        with self._connect() as conn:
            rows = conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        return {status: count for status, count in rows}

    def prune(self, keep_days: float) -> int:
        """Forget delivered rows (which hold no body) older than `keep_days`."""
        cutoff = datetime.fromtimestamp(time.time() - keep_days * 86400, timezone.utc)
        with self._connect() as conn:
            return conn.execute(
                "DELETE FROM outbox WHERE status = ? AND delivered_at < ?",
                [DELIVERED, cutoff.isoformat(timespec="seconds")],
            ).rowcount


class DeliveryWorker(threading.Thread):
    """Retries pending records when they are due, for as long as the process runs."""

    def __init__(self, outbox: Outbox, poll_seconds: float, keep_days: float) -> None:
        super().__init__(name=f"outbox-delivery:{outbox.path.name}", daemon=True)
        self.outbox = outbox
        self.poll_seconds = poll_seconds
        self.keep_days = keep_days
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def run(self) -> None:
        pruned_at = 0.0
        while not self._stopping.is_set():
            due = None
            try:
                if time.monotonic() - pruned_at > 3600:
                    self.outbox.prune(self.keep_days)
                    pruned_at = time.monotonic()
                self.outbox.deliver_due()
                due = self.outbox.seconds_until_due()
            except Exception:  # a locked or broken file must not end the retries
                logger.exception("outbox: delivery round failed")
            wait = self.poll_seconds if due is None else min(max(due, 0.05), self.poll_seconds)
            self._wake.wait(wait)
            self._wake.clear()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()


_lock = threading.Lock()
_outboxes: dict[tuple[Any, ...], Outbox] = {}


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        logger.warning("outbox: %s is not a number; using %s", name, default)
        return default


def from_env() -> Outbox:
    """This process's outbox as the environment describes it (one object per description)."""
    path = Path(os.environ.get("OUTBOX_DB", ROOT / "var" / "outbox.db"))
    backoff = Backoff(
        _float_env("OUTBOX_RETRY_BASE_SECONDS", 2.0), _float_env("OUTBOX_RETRY_MAX_SECONDS", 300.0)
    )
    max_attempts = max(1, int(_float_env("OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))
    key = (path.resolve(), intake_url(), intake_token(), backoff, max_attempts)
    with _lock:
        if key not in _outboxes:
            _outboxes[key] = Outbox(
                path, intake_url(), intake_token(), backoff, max_attempts=max_attempts
            )
        return _outboxes[key]


def start_delivery(outbox: Outbox | None = None) -> Outbox:
    """Start the outbox's background worker unless it runs already; the outbox."""
    outbox = outbox or from_env()
    with _lock:
        if outbox.worker is None:
            if not outbox.token:
                logger.warning("outbox: INTAKE_API_TOKEN is not set; deliveries will be refused")
            outbox.worker = DeliveryWorker(
                outbox, _float_env("OUTBOX_POLL_SECONDS", 10.0), _float_env("OUTBOX_KEEP_DAYS", 30)
            )
            outbox.worker.start()
    return outbox


def stop_all() -> None:
    """Stop every worker this process started (tests)."""
    with _lock:
        for outbox in _outboxes.values():
            if outbox.worker is not None:
                outbox.worker.stop()
                outbox.worker = None
        _outboxes.clear()
