"""Notes and contact attempts on a referral: their own entries (who, when, what), apart from
status changes, each in the audit log (which names the entry, never its words); and the
referral's timeline, all of them in time order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database
from werkzeug.datastructures import MultiDict

from intake.staff import audit

NOTE = "note"
CONTACT = "contact_attempt"
MAX_TEXT = 2000


@dataclass(frozen=True)
class NoteInput:
    kind: str
    text: str
    method: str = ""
    outcome: str = ""

    @classmethod
    def from_form(cls, form: MultiDict) -> NoteInput:
        kind = CONTACT if form.get("kind") == CONTACT else NOTE
        return cls(
            kind=kind,
            text=form.get("text", "").strip(),
            method=form.get("method", "") if kind == CONTACT else "",
            outcome=form.get("outcome", "") if kind == CONTACT else "",
        )

    def problems(self, methods: dict[str, str], outcomes: dict[str, str]) -> list[tuple[str, str]]:
        """(field id, message) for each thing wrong; the ids are the form's."""
        errors = []
        if self.kind == CONTACT:
            if self.method not in methods:
                errors.append(("contact-method", "Choose how you tried to contact the patient."))
            if self.outcome not in outcomes:
                errors.append(("contact-outcome", "Choose what happened."))
            if len(self.text) > MAX_TEXT:
                errors.append(("contact-text", f"The note must be {MAX_TEXT} characters or fewer."))
        elif not self.text:
            errors.append(("note-text", "Write the note."))
        elif len(self.text) > MAX_TEXT:
            errors.append(("note-text", f"The note must be {MAX_TEXT} characters or fewer."))
        return errors

    def as_form(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "method": self.method,
                "outcome": self.outcome}  # fmt: skip


def add(db: Database, reference: str, entry: NoteInput) -> int:
    with db.conn:
        cursor = db.execute(
            "INSERT INTO referral_notes "
            "(reference, kind, method, outcome, text, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                reference,
                entry.kind,
                entry.method or None,
                entry.outcome or None,
                entry.text,
                audit.actor_name(),
                audit.now_iso(),
            ],  # fmt: skip
        )
    detail = {"method": entry.method, "outcome": entry.outcome} if entry.kind == CONTACT else {}
    audit.record(
        "add_contact_attempt" if entry.kind == CONTACT else "add_note",
        "referral",
        reference,
        {**detail, "entry": cursor.lastrowid},
    )
    return int(cursor.lastrowid or 0)


def timeline(db: Database, reference: str) -> list[dict[str, Any]]:
    """Status changes, notes and contact attempts, oldest first."""
    entries = [
        {"kind": "status", "at": row["changed_at"], "by": row["changed_by"], **row}
        for row in db.query(
            "SELECT from_status, to_status, reason, changed_by, changed_at FROM status_changes "
            "WHERE reference = ? ORDER BY changed_at, id",
            [reference],
        )
    ]
    entries += [
        {"at": row["created_at"], "by": row["created_by"], **row}
        for row in db.query(
            "SELECT kind, method, outcome, text, created_by, created_at, id FROM referral_notes "
            "WHERE reference = ? ORDER BY created_at, id",
            [reference],
        )
    ]
    return sorted(entries, key=lambda entry: entry["at"] or "")
