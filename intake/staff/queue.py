"""The referral queue: filters, pagination (newest first) and full-text search, under a
banner saying what waits in the action server's outbox, and what failed there."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app, render_template, request
from sqlite_utils import Database
from werkzeug.datastructures import MultiDict

from intake import outbox_status, storage
from intake.staff import audit, transcripts
from intake.staff.blueprint import blueprint

PAGE_SIZE = 25
STATUSES = {
    "new": "New",
    "in_review": "In review",
    "accepted": "Accepted",
    "redirected": "Redirected",
    "closed": "Closed",
}


def payload_field(path: str) -> str:
    """SQL for one field of a referral's payload. A payload SQLite cannot read as JSON (NaN,
    say, which Python wrote) gives NULL: json_extract would fail the whole query."""
    return f"json_extract(CASE WHEN json_valid(r.payload) THEN r.payload END, '{path}')"


# Storage fills body_area and escalated (m002); older rows and later escalations are covered
# by reading the payload and the escalations table as well.
BODY_AREA = f"COALESCE(r.body_area, {payload_field('$.problem.body_area')})"
ESCALATED = (
    "(COALESCE(r.escalated, 0) = 1 OR EXISTS "
    "(SELECT 1 FROM escalations e WHERE e.conversation_id = r.conversation_id))"
)
LIST_COLUMNS = f"""
    r.reference, r.status, r.received_at, r.updated_at, r.conversation_id,
    {BODY_AREA} AS body_area, {ESCALATED} AS escalated,
    {payload_field("$.patient.full_name")} AS full_name,
    {payload_field("$.patient.date_of_birth")} AS date_of_birth
"""


@dataclass
class QueueFilters:
    status: str = ""
    body_area: str = ""
    escalated: str = ""  # "yes", "no" or "" for both
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: MultiDict) -> QueueFilters:
        filters = cls(
            status=args.get("status", "") if args.get("status") in STATUSES else "",
            body_area=args.get("body_area", "").strip()[:64],
            escalated=args.get("escalated", "") if args.get("escalated") in ("yes", "no") else "",
            q=search_words(args.get("q", "")),
        )
        for name in ("received_from", "received_to"):
            value = args.get(name, "").strip()
            if not value:
                continue
            try:
                setattr(filters, name, date.fromisoformat(value))
            except ValueError:
                filters.problems.append(f"{name.replace('_', ' ')} must be a date (YYYY-MM-DD)")
        return filters

    def query_args(self) -> dict[str, str]:
        """The filters as URL query arguments (for pagination links and the CSV export)."""
        values = {
            "status": self.status,
            "body_area": self.body_area,
            "escalated": self.escalated,
            "received_from": self.received_from.isoformat() if self.received_from else "",
            "received_to": self.received_to.isoformat() if self.received_to else "",
            "q": self.q,
        }
        return {key: value for key, value in values.items() if value}

    def audit_detail(self) -> dict[str, Any]:
        """What was asked for, without the search words (they may be a patient's name)."""
        detail: dict[str, Any] = {k: v for k, v in self.query_args().items() if k != "q"}
        if self.q:
            detail["search"] = True
        return detail

    def where(self, db: Database) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if self.status:
            clauses.append("r.status = ?")
            params.append(self.status)
        if self.body_area:
            clauses.append(f"{BODY_AREA} = ?")
            params.append(self.body_area)
        if self.escalated:
            clauses.append(ESCALATED if self.escalated == "yes" else f"NOT {ESCALATED}")
        if self.received_from:
            clauses.append("r.received_at >= ?")
            params.append(self.received_from.isoformat())
        if self.received_to:
            clauses.append("r.received_at < ?")
            params.append((self.received_to + timedelta(days=1)).isoformat())
        if self.q:
            match = db.quote_fts(self.q)
            clauses.append(
                "(r.rowid IN (SELECT rowid FROM referrals_fts WHERE referrals_fts MATCH ?)"
                " OR r.conversation_id IN (SELECT t.conversation_id FROM transcripts t"
                " JOIN transcripts_fts f ON f.rowid = t.rowid WHERE transcripts_fts MATCH ?))"
            )
            params += [match, match]
        return (" AND ".join(clauses) or "1"), params


def find_referrals(
    db: Database,
    filters: QueueFilters,
    *,
    limit: int,
    offset: int = 0,
    columns: str = LIST_COLUMNS,
) -> tuple[list[dict[str, Any]], int]:
    """One page of matching referrals, newest first, and how many match in all."""
    where, params = filters.where(db)
    total = db.execute(f"SELECT count(*) FROM referrals r WHERE {where}", params).fetchone()[0]
    rows = list(
        db.query(
            f"SELECT {columns} FROM referrals r WHERE {where} "
            "ORDER BY r.received_at DESC, r.reference LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    )
    return rows, total


def matching_conversations(db: Database, q: str, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """Conversations whose transcript matches, with or without a referral."""
    return list(
        db.query(
            "SELECT t.conversation_id, t.updated_at, "
            "snippet(transcripts_fts, 0, '[', ']', ' ... ', 12) AS snippet, "
            "(SELECT group_concat(reference, ' ') FROM referrals r "
            " WHERE r.conversation_id = t.conversation_id) AS refs "
            "FROM transcripts_fts JOIN transcripts t ON t.rowid = transcripts_fts.rowid "
            "WHERE transcripts_fts MATCH ? ORDER BY rank LIMIT ?",
            [db.quote_fts(q), limit],
        )
    )


def body_areas(db: Database) -> list[str]:
    return [
        row[0]
        for row in db.execute(
            f"SELECT DISTINCT {BODY_AREA} AS area FROM referrals r WHERE area IS NOT NULL "
            "ORDER BY area"
        ).fetchall()
    ]


MAX_PAGE = 100_000  # far past any queue; keeps the row offset a small integer


def page_number(args: MultiDict) -> int:
    """The page asked for, from 1 to MAX_PAGE (anything else is page 1 or the last)."""
    try:
        return min(MAX_PAGE, max(1, int(args.get("page", "1"))))
    except ValueError:
        return 1


def search_words(text: str) -> str:
    """The search box's words, without what full-text search would read as its own syntax
    (double quotes) or cannot hold (control characters)."""
    kept = "".join(" " if ch == '"' or not ch.isprintable() else ch for ch in text)
    return " ".join(kept.split())[:200]


WAITING_KINDS = {"referral": ("referral", "referrals"),
                 "escalation": ("escalation record", "escalation records")}  # fmt: skip


def outbox_notes(status: outbox_status.OutboxStatus) -> list[str]:
    """What staff should know of the outbox: records that wait, and records that failed."""
    notes = []
    for kind, waiting in status.waiting.items():
        one, many = WAITING_KINDS.get(kind, (f"{kind} record", f"{kind} records"))
        notes.append(
            f"{waiting.count} {one if waiting.count == 1 else many} "
            f"{'is' if waiting.count == 1 else 'are'} waiting to be delivered, the oldest for "
            f"{outbox_status.how_long(waiting.oldest_seconds)}."
        )
    if status.token_refused:
        notes.append(
            "The intake API refuses the action server's token (INTAKE_API_TOKEN): nothing is "
            "delivered until it is put right."
        )
    if status.need_operator:
        count = status.need_operator
        notes.append(
            f"{count} failed and {'needs' if count == 1 else 'need'} an operator "
            "(flask --app intake.wsgi outbox)."
        )
    if status.unreadable:
        notes.append("The action server's outbox cannot be read: ask an operator to check it.")
    return notes


@blueprint.get("/queue")
def queue():
    db = storage.database()
    filters = QueueFilters.from_args(request.args)
    page = page_number(request.args)
    conversations: list[dict[str, Any]] = []
    if filters.q:
        transcripts.refresh_index(db, current_app.config["SETTINGS"].tracker_db)
        conversations = matching_conversations(db, filters.q)
    rows, total = find_referrals(db, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    audit.record(
        "search" if filters.q else "view_queue",
        "queue",
        f"page {page}",
        {**filters.audit_detail(), "results": total},
    )
    return render_template(
        "staff/queue.html",
        outbox_notes=outbox_notes(
            outbox_status.read_status(current_app.config["SETTINGS"].outbox_db)
        ),
        filters=filters,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        statuses=STATUSES,
        body_areas=body_areas(db),
        conversations=conversations,
    )
