"""How staff can reach the patient of a conversation: the contact details of a referral made
in it, or else those the patient gave before the conversation stopped (the Rasa tracker
store's slot events, read-only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from intake.staff.transcripts import tracker_connection

CONTACT_FIELDS = ("full_name", "phone", "email", "address_line1", "postcode")
REACH_BY = ("phone", "email", "address_line1")


def _from_referrals(db: Database, conversations: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    marks = ", ".join("?" * len(conversations))
    for conversation_id, payload in db.execute(
        f"SELECT conversation_id, payload FROM referrals WHERE conversation_id IN ({marks}) "
        "ORDER BY received_at",
        conversations,
    ).fetchall():
        try:
            patient = (json.loads(payload) or {}).get("patient") or {}
        except (TypeError, ValueError, AttributeError, RecursionError):
            continue
        if isinstance(patient, dict):
            found[conversation_id] = _kept(patient)
    return found


def _kept(values: dict[str, Any]) -> dict[str, str]:
    return {
        name: str(values[name]).strip()
        for name in CONTACT_FIELDS
        if isinstance(values.get(name), str) and values[name].strip()
    }


def _from_tracker(tracker_path: Path, conversations: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    with tracker_connection(tracker_path) as tracker:
        if tracker is None or not conversations:
            return found
        marks = ", ".join("?" * len(conversations))
        names = ", ".join("?" * len(CONTACT_FIELDS))
        for sender, data in tracker.execute(
            f"SELECT sender_id, data FROM events WHERE sender_id IN ({marks}) "
            f"AND type_name = 'slot' AND json_extract(data, '$.name') IN ({names}) "
            "ORDER BY timestamp, id",
            [*conversations, *CONTACT_FIELDS],
        ).fetchall():
            try:
                event = json.loads(data or "{}")
            except ValueError:
                continue
            values = found.setdefault(sender, {})
            value = event.get("value")
            if isinstance(value, str) and value.strip():
                values[event["name"]] = value.strip()
            else:
                values.pop(str(event.get("name")), None)  # reset: no longer known
    return found


def for_conversations(
    db: Database, tracker_path: Path, conversations: list[str]
) -> dict[str, dict[str, str]]:
    """conversation id -> its contact details (empty when the patient gave none)."""
    conversations = list(dict.fromkeys(conversations))
    if not conversations:
        return {}
    details = _from_tracker(tracker_path, conversations)
    for conversation_id, given in _from_referrals(db, conversations).items():
        details[conversation_id] = {**details.get(conversation_id, {}), **given}
    return {c: details.get(c, {}) for c in conversations}


def reachable(details: dict[str, str]) -> bool:
    """Whether staff have any way to reach the patient."""
    return any(details.get(name) for name in REACH_BY)
