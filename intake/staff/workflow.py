"""The referral status workflow: which status may follow which, and one change recorded with
who, when and why (for one referral or many at once), plus the triage fields staff set:
priority and who the referral is assigned to."""

from __future__ import annotations

from sqlite_utils import Database

from intake.staff import audit

STATUSES = {
    "new": "New",
    "in_review": "In review",
    "accepted": "Accepted",
    "redirected": "Redirected",
    "closed": "Closed",
}
# Still waiting for the service (highlighted when they wait too long).
OPEN_STATUSES = ("new", "in_review")
# Which status can follow which. A closed referral can be reopened for review.
TRANSITIONS = {
    "new": ("in_review", "closed"),
    "in_review": ("accepted", "redirected", "closed", "new"),
    "accepted": ("closed", "in_review"),
    "redirected": ("closed", "in_review"),
    "closed": ("in_review",),
}


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, ())


def change_status(
    db: Database, reference: str, from_status: str, to_status: str, reason: str
) -> bool:
    """Move one referral on if it is still in from_status; False when someone else moved it
    first or the move is not allowed. Recorded in its history and the audit log."""
    if not allowed(from_status, to_status):
        return False
    changed_at = audit.now_iso()
    with db.conn:
        cursor = db.execute(
            "UPDATE referrals SET status = ?, updated_at = ? WHERE reference = ? AND status = ?",
            [to_status, changed_at, reference, from_status],
        )
        if cursor.rowcount == 1:
            db.execute(
                "INSERT INTO status_changes "
                "(reference, from_status, to_status, reason, changed_by, changed_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [reference, from_status, to_status, reason.strip(), audit.actor_name(), changed_at],
            )
    if cursor.rowcount != 1:
        return False
    audit.record("change_status", "referral", reference, {"from": from_status, "to": to_status})
    return True


def set_assignee(db: Database, reference: str, username: str | None) -> bool:
    """Assign the referral to a staff user (None: to nobody)."""
    with db.conn:
        cursor = db.execute(
            "UPDATE referrals SET assigned_to = ? WHERE reference = ?", [username, reference]
        )
    if cursor.rowcount == 1:
        audit.record("assign" if username else "unassign", "referral", reference,
                     {"to": username} if username else {})  # fmt: skip
    return cursor.rowcount == 1


def set_priority(db: Database, reference: str, priority: str | None) -> bool:
    """The priority staff chose (None: back to the suggestion)."""
    with db.conn:
        cursor = db.execute(
            "UPDATE referrals SET priority = ? WHERE reference = ?", [priority, reference]
        )
    if cursor.rowcount == 1:
        audit.record("set_priority", "referral", reference, {"priority": priority or "suggested"})
    return cursor.rowcount == 1
