"""Versioned schema of the intake database (sqlite-utils Migrations, as sqlite-migrate ships).

Append new migrations at the end; never edit one that has shipped. `apply(db)` runs the
pending ones in order, each in its own transaction, recorded in `_sqlite_migrations`.
"""

from __future__ import annotations

from sqlite_migrate import Migrations
from sqlite_utils import Database
from sqlite_utils.db import Table

migrations = Migrations("intake")


def _table(db: Database, name: str) -> Table:
    table = db[name]
    assert isinstance(table, Table)
    return table


@migrations()
def m001_referrals_and_escalations(db: Database) -> None:
    """The foundation tables: referrals (one row per reference) and escalations."""
    _table(db, "referrals").create(
        {
            "reference": str,
            "status": str,
            "received_at": str,
            "conversation_id": str,
            "payload": str,
            "payload_sha256": str,
        },
        pk="reference",
        if_not_exists=True,
    )
    _table(db, "escalations").create(
        {
            "id": str,
            "conversation_id": str,
            "level": str,
            "code": str,
            "codes": str,
            "source": str,
            "occurred_at": str,
            "received_at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    _table(db, "escalations").create_index(["occurred_at"], if_not_exists=True)


@migrations()
def m002_staff_audit_and_workflow(db: Database) -> None:
    """Staff users, the audit log, status history, and referral columns for the queue filters."""
    referrals = _table(db, "referrals")
    referrals.add_column("body_area", str)
    referrals.add_column("escalated", int, not_null_default=0)
    referrals.add_column("updated_at", str)
    referrals.add_column("search_text", str)
    referrals.create_index(["status", "received_at"], if_not_exists=True)
    referrals.enable_fts(["reference", "search_text"], create_triggers=True)
    _table(db, "staff_users").create(
        {
            "id": int,
            "username": str,
            "password_hash": str,
            "role": str,
            "active": int,
            "created_at": str,
        },
        pk="id",
        not_null={"username", "password_hash", "role"},
        defaults={"active": 1},
    )
    _table(db, "staff_users").create_index(["username"], unique=True)
    _table(db, "status_changes").create(
        {
            "id": int,
            "reference": str,
            "from_status": str,
            "to_status": str,
            "reason": str,
            "changed_by": str,
            "changed_at": str,
        },
        pk="id",
        foreign_keys=[("reference", "referrals", "reference")],
    )
    _table(db, "status_changes").create_index(["reference"])
    _table(db, "audit_log").create(
        {
            "id": int,
            "at": str,
            "actor": str,
            "action": str,
            "target_type": str,
            "target_id": str,
            "detail": str,
        },
        pk="id",
    )
    _table(db, "audit_log").create_index(["at"])


def apply(db: Database) -> None:
    """Bring the database up to the latest schema."""
    migrations.apply(db)


@migrations()
def m003_transcript_index(db: Database) -> None:
    """Conversation text copied from the Rasa tracker store, for the staff full-text search.

    Refreshed from the tracker store by intake/staff/transcripts.py (last_event_id says how
    far each copy goes); deleted with the conversation by the retention command.
    """
    _table(db, "transcripts").create(
        {"conversation_id": str, "text": str, "last_event_id": int, "updated_at": str},
        pk="conversation_id",
        if_not_exists=True,
    )
    _table(db, "transcripts").enable_fts(["text"], create_triggers=True)
    _table(db, "referrals").create_index(["conversation_id"], if_not_exists=True)
    _table(db, "escalations").create_index(["conversation_id"], if_not_exists=True)


@migrations()
def m004_sign_in_security(db: Database) -> None:
    """A per-user session version (signing out, a password reset or a deactivation ends every
    session of that user), and each sign-in attempt, for throttling by user and address."""
    if "session_version" not in _table(db, "staff_users").columns_dict:
        _table(db, "staff_users").add_column("session_version", int, not_null_default=0)
    _table(db, "sign_in_attempts").create(
        {"id": int, "username": str, "address": str, "at": str, "outcome": str},
        pk="id",
        if_not_exists=True,
    )
    _table(db, "sign_in_attempts").create_index(["username", "address", "at"], if_not_exists=True)
    _table(db, "sign_in_attempts").create_index(["address", "at"], if_not_exists=True)


@migrations()
def m005_triage_worklist(db: Database) -> None:
    """The triage worklist (issue 24): priority set by staff, assignment, what the queue
    sorts and matches by (filled from each stored payload by storage.py, which also fills
    them for rows stored before this migration: `derived_version`), notes and contact
    attempts, escalations as work, and the channel a conversation came from.

    The transcript search copy is emptied: it held the assistant's words as well as the
    patient's, and is rebuilt from the tracker store (its source) at the next refresh.
    """
    referrals = _table(db, "referrals")
    existing = referrals.columns_dict
    for name, kind in (
        ("priority", str),  # set by staff: high, medium, routine (NULL: not yet)
        ("assigned_to", str),  # a staff username
        ("channel", str),  # web or kiosk, when the payload says so
        ("duration_days", int),
        ("nhs_key", str),  # the NHS number's ten digits, for duplicates
        ("person_key", str),  # folded name + date of birth, for duplicates
        ("phone_key", str),  # the phone number's digits, for search
    ):
        if name not in existing:
            referrals.add_column(name, kind)
    if "derived_version" not in existing:
        referrals.add_column("derived_version", int, not_null_default=0)
    referrals.create_index(["nhs_key"], if_not_exists=True)
    referrals.create_index(["person_key"], if_not_exists=True)
    referrals.create_index(["assigned_to"], if_not_exists=True)
    referrals.create_index(["phone_key"], if_not_exists=True)
    _table(db, "referral_notes").create(
        {
            "id": int,
            "reference": str,
            "kind": str,  # note or contact_attempt
            "method": str,  # contact attempts: phone, text, email, letter
            "outcome": str,  # contact attempts: reached, no_answer, left_message, ...
            "text": str,
            "created_by": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("reference", "referrals", "reference")],
        if_not_exists=True,
    )
    _table(db, "referral_notes").create_index(["reference"], if_not_exists=True)
    _table(db, "escalation_work").create(
        {
            "escalation_id": str,
            "state": str,  # new, acknowledged, actioned
            "acknowledged_by": str,
            "acknowledged_at": str,
            "actioned_by": str,
            "actioned_at": str,
            "action_note": str,
        },
        pk="escalation_id",
        foreign_keys=[("escalation_id", "escalations", "id")],
        if_not_exists=True,
    )
    transcripts = _table(db, "transcripts")
    if "channel" not in transcripts.columns_dict:
        transcripts.add_column("channel", str)
    db.execute("DELETE FROM transcripts")
