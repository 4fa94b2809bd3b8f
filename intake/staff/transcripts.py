"""Conversation transcripts, read from the Rasa SQL tracker store (the `events` table).

The tracker store stays the source; the intake database keeps a searchable copy of each
conversation's text (`transcripts`, with FTS), refreshed from the tracker store when staff
search or open a conversation. Only what was said is shown, always as escaped text.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import abort, current_app, render_template
from sqlite_utils import Database

from intake import storage
from intake.other_databases import existing_table
from intake.staff import audit, red_flags
from intake.staff.blueprint import blueprint

SPOKEN = ("user", "bot")


@dataclass
class Line:
    speaker: str  # "patient" or "assistant"
    text: str
    at: datetime
    notes: list[str] = field(default_factory=list)
    tapped: bool = False  # the patient tapped a button: text is the button's title


# A tapped button whose message is not in the transcript (deleted, or sent by an older
# version): the intents whose meaning is plain.
TAPPED_INTENTS = {"/affirm": "Yes", "/deny": "No"}


@contextmanager
def tracker_connection(path: Path, *, write: bool = False) -> Iterator[sqlite3.Connection | None]:
    """The tracker store, read-only unless asked; None when Rasa has not made it yet."""
    with existing_table(path, "events", mode="" if write else "ro", timeout=5) as connection:
        yield connection


def read_events(tracker_path: Path, conversation_id: str) -> list[tuple[int, str, float, str]]:
    """(id, type, timestamp, data) of what was said in one conversation, in order."""
    with tracker_connection(tracker_path) as tracker:
        if tracker is None:
            return []
        return tracker.execute(
            "SELECT id, type_name, timestamp, data FROM events "
            "WHERE sender_id = ? AND type_name IN ('user', 'bot') ORDER BY timestamp, id",
            [conversation_id],
        ).fetchall()


def _notes(message: dict[str, Any]) -> list[str]:
    """What a bot message carried besides its text: buttons and custom markers."""
    notes = []
    buttons = message.get("buttons") or []
    if buttons:
        notes.append("Buttons: " + " | ".join(str(b.get("title", "")) for b in buttons))
    custom = message.get("custom")
    if isinstance(custom, dict):
        if isinstance(custom.get("escalation"), dict):
            escalation = custom["escalation"]
            code = str(escalation.get("code", ""))
            notes.append(
                f"Escalation: {escalation.get('level', '')}, {red_flags.title(code)} ({code})"
            )
        if isinstance(custom.get("signpost"), list):
            titles = [str(card.get("title", "")) for card in custom["signpost"]]
            notes.append("Signposting: " + "; ".join(titles))
        if isinstance(custom.get("referral"), dict):
            referral = custom["referral"]
            notes.append(f"Referral {referral.get('reference', '')} ({referral.get('status', '')})")
        other = set(custom) - {"escalation", "signpost", "referral"}
        if other:
            notes.append("Other content: " + json.dumps({k: custom[k] for k in sorted(other)}))
    elif custom is not None:
        notes.append("Other content: " + json.dumps(custom))
    return notes


def _button_titles(message: dict[str, Any]) -> dict[str, str]:
    """payload -> title of the buttons a bot message offered."""
    buttons = message.get("buttons") or []
    return {
        str(b.get("payload")): str(b.get("title") or "")
        for b in buttons
        if isinstance(b, dict) and b.get("payload")
    }


def _patient_line(text: str, at: datetime, offered: dict[str, str]) -> Line:
    """What the patient said, or the title of the button they tapped (its payload, such as
    /inform{"work_status": "at_risk"}, is never shown as their words)."""
    if text.startswith("/"):
        title = offered.get(text) or TAPPED_INTENTS.get(text.split("{", 1)[0])
        return Line("patient", title or "(a button)", at, tapped=True)
    return Line("patient", text, at)


def _event(data: str) -> dict[str, Any] | None:
    try:
        event = json.loads(data or "{}")
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def transcript_lines(events: list[tuple[int, str, float, str]]) -> list[Line]:
    lines: list[Line] = []
    offered: dict[str, str] = {}  # the buttons of the assistant's latest messages
    for _id, kind, timestamp, data in events:
        event = _event(data)
        if event is None:
            continue
        at = datetime.fromtimestamp(timestamp or 0, tz=timezone.utc)
        text = str(event.get("text") or "")
        if kind == "user":
            lines.append(_patient_line(text, at, offered))
            offered = {}
        else:
            message = event.get("data") if isinstance(event.get("data"), dict) else {}
            offered.update(_button_titles(message))
            notes = _notes(message)
            if text or notes:
                lines.append(Line("assistant", text, at, notes))
    return lines


def channel_of(events: list[tuple[int, str, float, str]]) -> str | None:
    """web or kiosk, as the chat gateway told Rasa in each message's metadata."""
    for _id, kind, _timestamp, data in events:
        event = _event(data) if kind == "user" else None
        metadata = (event or {}).get("metadata")
        if isinstance(metadata, dict):
            if metadata.get("kiosk") or metadata.get("channel") == "kiosk":
                return "kiosk"
            if metadata.get("channel") == "web":
                return "web"
    return None


def transcript_text(lines: list[Line]) -> str:
    """What the search index holds of a conversation: the patient's own words only (the
    assistant's examples, such as a sample postcode, would match every conversation), with
    NHS numbers, phone numbers and postcodes also in their compact form."""
    said = "\n".join(line.text for line in lines if line.speaker == "patient" and not line.tapped)
    return " ".join([said, *storage.identifier_forms(said)]).strip()


def _index_one(db: Database, tracker_path: Path, conversation_id: str) -> list[Line]:
    events = read_events(tracker_path, conversation_id)
    lines = transcript_lines(events)
    with db.conn:
        if events:
            db["transcripts"].upsert(
                {
                    "conversation_id": conversation_id,
                    "text": transcript_text(lines),
                    "last_event_id": max(event[0] for event in events),
                    "channel": channel_of(events),
                    "updated_at": audit.now_iso(),
                },
                pk="conversation_id",
            )
        else:
            db.execute("DELETE FROM transcripts WHERE conversation_id = ?", [conversation_id])
    return lines


def refresh_index(db: Database, tracker_path: Path) -> int:
    """Copy every conversation that changed since the last refresh; how many were copied."""
    with tracker_connection(tracker_path) as tracker:
        if tracker is None:
            return 0
        newest = tracker.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        seen = db.execute("SELECT max(last_event_id) FROM transcripts").fetchone()[0] or 0
        if newest < seen:  # the tracker store was replaced: copy everything again
            seen = 0
        changed = [
            row[0]
            for row in tracker.execute(
                "SELECT DISTINCT sender_id FROM events "
                "WHERE id > ? AND type_name IN ('user', 'bot')",
                [seen],
            )
        ]
    for conversation_id in changed:
        _index_one(db, tracker_path, conversation_id)
    return len(changed)


@blueprint.get("/conversations/<conversation_id>")
def conversation(conversation_id: str):
    db = storage.database()
    lines = _index_one(db, current_app.config["SETTINGS"].tracker_db, conversation_id)
    referrals = list(
        db.query(
            "SELECT reference, status, received_at FROM referrals WHERE conversation_id = ? "
            "ORDER BY received_at",
            [conversation_id],
        )
    )
    escalations = list(
        db.query(
            "SELECT level, code, source, occurred_at FROM escalations "
            "WHERE conversation_id = ? ORDER BY occurred_at",
            [conversation_id],
        )
    )
    if not (lines or referrals or escalations):
        abort(404)
    audit.record("view_transcript", "conversation", conversation_id, {"lines": len(lines)})
    return render_template(
        "staff/conversation.html",
        conversation_id=conversation_id,
        lines=lines,
        referrals=referrals,
        escalations=escalations,
        flag_title=red_flags.title,
    )
