"""Referral and escalation storage in SQLite (WAL mode) through sqlite-utils."""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlite_utils import Database

from intake import migrations
from intake.field_registry import searched

# The staff workflow's statuses (intake/staff/queue.py shows them); a new referral is "new".
STATUSES = ("new", "in_review", "accepted", "redirected", "closed")

# The referral's fields staff search by (with its reference): identifiers and free text.
# The phone number is matched by its digits (phone_key), not through the text index.
SEARCHED_PATIENT_FIELDS = searched("patient")  # content/referral_fields.yml
SEARCHED_PROBLEM_FIELDS = searched("problem")


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
            refresh_derived(db)
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


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# Identifiers typed in many ways: a run of digits with spaces, hyphens or brackets (NHS and
# phone numbers), and UK postcodes with or without their space.
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?\d[\d \t()-]{4,}\d(?!\w)")
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2}\d[A-Za-z\d]?) ?(\d[A-Za-z]{2})(?![A-Za-z0-9])"
)
MIN_IDENTIFIER_DIGITS = 6


def _digits(run: str) -> str:
    digits = re.sub(r"\D", "", run)
    if run.lstrip().startswith("+44"):  # +44 7700 900123 is 07700 900123
        digits = "0" + digits[2:]
    return digits


def identifier_forms(text: str) -> list[str]:
    """The compact forms of the NHS numbers, phone numbers and postcodes in the text:
    "485 777 3457" -> "4857773457", "+44 7700 900123" -> "07700900123", "ws11 1db" ->
    "WS111DB". Indexed beside the text, and put in place of them in a search, so each is
    found however it was typed."""
    forms = [_digits(m.group(0)) for m in _DIGIT_RUN.finditer(text)]
    forms = [form for form in forms if len(form) >= MIN_IDENTIFIER_DIGITS]
    forms += [(m.group(1) + m.group(2)).upper() for m in _POSTCODE.finditer(text)]
    return forms


def normalise_identifiers(text: str) -> str:
    """The text with each NHS number, phone number and postcode in its compact form."""
    text = _POSTCODE.sub(lambda m: (m.group(1) + m.group(2)).upper(), text)

    def compact(match: re.Match) -> str:
        digits = _digits(match.group(0))
        return digits if len(digits) >= MIN_IDENTIFIER_DIGITS else match.group(0)

    return _DIGIT_RUN.sub(compact, text)


def fts_match(query: str) -> str | None:
    """A full-text MATCH expression for what staff typed: each word as a quoted phrase (all
    must match), identifiers in their compact form; never FTS syntax, so no query can fail.
    None when there is no word to look for."""
    words = re.findall(r"\w+", normalise_identifiers(query))
    return " ".join(f'"{word}"' for word in words[:32]) or None


def search_text(payload: dict[str, Any]) -> str:
    """What the staff full-text search (referrals_fts) finds a referral by, as plain text:
    the referral's own fields (never the assistant's words), identifiers also compact."""
    patient = payload.get("patient") or {}
    problem = payload.get("problem") or {}
    if not isinstance(patient, dict):
        patient = {}
    if not isinstance(problem, dict):
        problem = {}
    parts = [_text(payload.get("reference"))]
    parts += [_text(patient.get(name)) for name in SEARCHED_PATIENT_FIELDS]
    parts += [_text(problem.get(name)) for name in SEARCHED_PROBLEM_FIELDS]
    text = " ".join(part for part in parts if part)
    return " ".join([text, *identifier_forms(text)]).strip()


# Durations as the conversation stores them ("3 months", "2.5 years", "since March 2024").
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(day|week|fortnight|month|year)s?\b", re.I)
_SINCE_YEAR = re.compile(r"\bsince\s+(?:([A-Za-z]+)\s+)?(\d{4})\b", re.I)
_UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "year": 365}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def duration_days(text: Any, on: date | None = None) -> int | None:
    """How many days a stored duration is, for sorting; None when it cannot be read."""
    if not isinstance(text, str):
        return None
    match = _DURATION.search(text)
    if match:
        return int(float(match.group(1)) * _UNIT_DAYS[match.group(2).lower()])
    since = _SINCE_YEAR.search(text)
    if since:
        month = since.group(1) or ""
        number = _MONTHS.index(month[:3].lower()) + 1 if month[:3].lower() in _MONTHS else 1
        on = on or date.today()
        days = (on - date(int(since.group(2)), number, 1)).days
        return days if days >= 0 else None
    return None


def person_keys(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """(NHS number's ten digits, folded name + date of birth): how duplicates are matched."""
    patient = payload.get("patient") if isinstance(payload.get("patient"), dict) else {}
    digits = re.sub(r"\D", "", _text(patient.get("nhs_number")))
    name = " ".join(_text(patient.get("full_name")).casefold().split())
    born = _text(patient.get("date_of_birth"))
    return (digits if len(digits) == 10 else None), (f"{name}|{born}" if name and born else None)


def phone_key(payload: dict[str, Any]) -> str | None:
    """The phone number's digits (+44 read as 0), which a search for it is matched against."""
    patient = payload.get("patient") if isinstance(payload.get("patient"), dict) else {}
    digits = _digits(_text(patient.get("phone")))
    return digits if len(digits) >= MIN_IDENTIFIER_DIGITS else None


# Bumped when what derived_columns fills changes: migrate() refills the older rows.
DERIVED_VERSION = 1
CHANNELS = ("web", "kiosk")


def derived_columns(payload: dict[str, Any], received_at: str = "") -> dict[str, Any]:
    """The columns the staff worklist searches, sorts and matches by, from the payload."""
    problem = payload.get("problem") if isinstance(payload.get("problem"), dict) else {}
    try:
        on = date.fromisoformat(received_at[:10]) if received_at else None
    except ValueError:
        on = None
    nhs_key, person_key = person_keys(payload)
    channel = payload.get("channel")
    return {
        "search_text": search_text(payload),
        "duration_days": duration_days(problem.get("duration"), on),
        "nhs_key": nhs_key,
        "person_key": person_key,
        "phone_key": phone_key(payload),
        "channel": channel if channel in CHANNELS else None,
        "derived_version": DERIVED_VERSION,
    }


def refresh_derived(db: Database) -> int:
    """Fill the derived columns of rows stored before DERIVED_VERSION; how many."""
    stale = db.execute(
        "SELECT reference, payload, received_at FROM referrals WHERE derived_version < ?",
        [DERIVED_VERSION],
    ).fetchall()
    with db.conn:
        for reference, text, received_at in stale:
            try:
                payload = json.loads(text)
            except (TypeError, ValueError, RecursionError):
                payload = {}
            columns = derived_columns(payload if isinstance(payload, dict) else {}, received_at)
            db.execute(
                f"UPDATE referrals SET {', '.join(f'{k} = :{k}' for k in columns)} "
                "WHERE reference = :reference",
                {**columns, "reference": reference},
            )
    return len(stale)


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
        **derived_columns(payload, received),
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
