"""The referral queue: filters, pagination (newest first) and full-text search, under a
banner saying what waits in the action server's outbox, and what failed there."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app, render_template, request
from flask_login import current_user
from sqlite_utils import Database
from werkzeug.datastructures import MultiDict

from intake import outbox_status, storage
from intake.staff import audit, display, transcripts, triage
from intake.staff.blueprint import blueprint
from intake.staff.workflow import OPEN_STATUSES, STATUSES

PAGE_SIZE = 25


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
DATE_OF_BIRTH = payload_field("$.patient.date_of_birth")
_PAIN = payload_field("$.problem.pain_score")
PAIN = (
    f"(CASE WHEN typeof({_PAIN}) IN ('integer', 'real') THEN CAST({_PAIN} AS INTEGER) "
    f"WHEN trim({_PAIN}) GLOB '[0-9]' OR trim({_PAIN}) GLOB '10' "
    f"THEN CAST(trim({_PAIN}) AS INTEGER) END)"
)
WORK_STATUS = payload_field("$.problem.work_status")
# Work risk, for sorting: off work, then at risk, then in work, then the rest.
WORK_RISK = (
    f"(CASE {WORK_STATUS} WHEN 'off_work' THEN 3 WHEN 'at_risk' THEN 2 "
    "WHEN 'working' THEN 1 ELSE 0 END)"
)
SCREENING_YES = (
    "(SELECT count(*) FROM json_each(CASE WHEN json_valid(r.payload) THEN r.payload END, "
    "'$.red_flag_screening') WHERE json_each.value = 'yes')"
)
AGE = (
    f"(CASE WHEN {DATE_OF_BIRTH} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN "
    f"CAST(strftime('%Y', 'now') AS INTEGER) - CAST(substr({DATE_OF_BIRTH}, 1, 4) AS INTEGER)"
    f" - (strftime('%m-%d', 'now') < substr({DATE_OF_BIRTH}, 6, 5)) END)"
)
DAYS_WAITING = "CAST(julianday('now') - julianday(r.received_at) AS INTEGER)"
CHANNEL = (
    "COALESCE(r.channel, (SELECT t.channel FROM transcripts t "
    "WHERE t.conversation_id = r.conversation_id))"
)
SUGGESTED = triage.sql(PAIN, WORK_STATUS, "r.duration_days", SCREENING_YES, ESCALATED)
PRIORITY = f"COALESCE(r.priority, {SUGGESTED})"
PRIORITY_RANK = f"(CASE {PRIORITY} WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END)"
DUPLICATE = (
    "(EXISTS (SELECT 1 FROM referrals d WHERE d.reference != r.reference AND "
    "((r.nhs_key IS NOT NULL AND d.nhs_key = r.nhs_key) OR "
    "(r.person_key IS NOT NULL AND d.person_key = r.person_key))))"
)
# No ODS code for the patient's GP practice: the practice was not in the ICB's list (kept as
# typed), or the patient did not give one. The GP registration decides eligibility, so staff
# check it before accepting the referral.
PRACTICE_TO_CHECK = f"(COALESCE(trim({payload_field('$.eligibility.gp_ods_code')}), '') = '')"
LIST_COLUMNS = f"""
    r.reference, r.status, r.received_at, r.updated_at, r.conversation_id,
    {BODY_AREA} AS body_area, {ESCALATED} AS escalated,
    {payload_field("$.patient.full_name")} AS full_name,
    {DATE_OF_BIRTH} AS date_of_birth
"""
WORKLIST_COLUMNS = f"""{LIST_COLUMNS},
    {AGE} AS age, {PAIN} AS pain_score, {WORK_STATUS} AS work_status,
    {payload_field("$.problem.duration")} AS duration, r.duration_days,
    {DAYS_WAITING} AS days_waiting, {CHANNEL} AS channel,
    r.priority AS set_priority, {SUGGESTED} AS suggested_priority, {PRIORITY} AS priority,
    r.assigned_to, {DUPLICATE} AS duplicate, {PRACTICE_TO_CHECK} AS practice_to_check
"""
# Sortable columns: query value -> (SQL, label). Rows without the value come last.
SORTS = {
    "received": ("r.received_at", "Received"),
    "age": (AGE, "Age"),
    "body_area": (BODY_AREA, "Body area"),
    "pain": (PAIN, "Pain"),
    "duration": ("r.duration_days", "Duration"),
    "work": (WORK_RISK, "Work risk"),
    "waiting": (DAYS_WAITING, "Days waiting"),
    "channel": (CHANNEL, "Channel"),
    "priority": (PRIORITY_RANK, "Priority"),
}
DEFAULT_SORT = ("received", "desc")
# Columns whose first click shows the highest first (the most pressing).
HIGHEST_FIRST = ("received", "pain", "work", "waiting", "priority")
ASSIGNED = {"me": "Assigned to me", "none": "Not assigned"}


@dataclass
class QueueFilters:
    status: str = ""
    body_area: str = ""
    escalated: str = ""  # "yes", "no" or "" for both
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""
    assigned: str = ""  # "me", "none" or "" for anyone
    priority: str = ""
    channel: str = ""
    waiting: str = ""  # "over": open referrals waiting longer than the alert
    sort: str = DEFAULT_SORT[0]
    dir: str = DEFAULT_SORT[1]
    username: str = ""  # who "me" is
    waiting_days: int = 14
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: MultiDict, username: str = "", waiting_days: int = 14) -> QueueFilters:
        def one_of(name: str, allowed: Any) -> str:
            value = args.get(name, "")
            return value if value in allowed else ""

        filters = cls(
            status=one_of("status", STATUSES),
            body_area=args.get("body_area", "").strip()[:64],
            escalated=one_of("escalated", ("yes", "no")),
            q=search_words(args.get("q", "")),
            assigned=one_of("assigned", ASSIGNED),
            priority=one_of("priority", triage.PRIORITIES),
            channel=one_of("channel", storage.CHANNELS),
            waiting=one_of("waiting", ("over",)),
            sort=one_of("sort", SORTS) or DEFAULT_SORT[0],
            dir=one_of("dir", ("asc", "desc")) or DEFAULT_SORT[1],
            username=username,
            waiting_days=waiting_days,
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

    @classmethod
    def from_request(cls, args: MultiDict | None = None) -> QueueFilters:
        """The filters in the request, "me" being the signed-in user."""
        return cls.from_args(
            request.args if args is None else args,
            username=current_user.username if current_user.is_authenticated else "",
            waiting_days=current_app.config["SETTINGS"].staff_waiting_alert_days,
        )

    def query_args(self, **changes: str) -> dict[str, str]:
        """The filters and sort as URL query arguments (for pagination, sorting, next and
        previous, the CSV export), with any changes; defaults left out."""
        values = {
            "status": self.status,
            "body_area": self.body_area,
            "escalated": self.escalated,
            "received_from": self.received_from.isoformat() if self.received_from else "",
            "received_to": self.received_to.isoformat() if self.received_to else "",
            "q": self.q,
            "assigned": self.assigned,
            "priority": self.priority,
            "channel": self.channel,
            "waiting": self.waiting,
            "sort": "" if self.sort == DEFAULT_SORT[0] else self.sort,
            "dir": "" if (self.sort, self.dir) == DEFAULT_SORT else self.dir,
            **changes,
        }
        return {key: value for key, value in values.items() if value}

    def sort_args(self, column: str) -> dict[str, str]:
        """The query arguments that sort by this column (again: the other way round)."""
        if self.sort == column:
            direction = "desc" if self.dir == "asc" else "asc"
        else:
            direction = "desc" if column in HIGHEST_FIRST else "asc"
        args = self.query_args(sort=column, dir=direction)
        if (column, direction) == DEFAULT_SORT:
            args.pop("sort", None)
            args.pop("dir", None)
        return args

    def aria_sort(self, column: str) -> str:
        if self.sort != column:
            return "none"
        return "ascending" if self.dir == "asc" else "descending"

    @property
    def more_filters_used(self) -> bool:
        return bool(
            self.body_area or self.escalated or self.received_from or self.received_to
            or self.channel or self.waiting or self.priority
        )  # fmt: skip

    def audit_detail(self) -> dict[str, Any]:
        """What was asked for, without the search words (they may be a patient's name)."""
        detail: dict[str, Any] = {k: v for k, v in self.query_args().items() if k != "q"}
        if self.q:
            detail["search"] = True
        return detail

    def where(self, db: Database, *, with_status: bool = True) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if self.status and with_status:
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
        if self.assigned == "me":
            clauses.append("r.assigned_to = ?")
            params.append(self.username)
        elif self.assigned == "none":
            clauses.append("r.assigned_to IS NULL")
        if self.priority:
            clauses.append(f"{PRIORITY} = ?")
            params.append(self.priority)
        if self.channel:
            clauses.append(f"{CHANNEL} = ?")
            params.append(self.channel)
        if self.waiting:
            marks = ", ".join("?" * len(OPEN_STATUSES))
            clauses.append(f"r.status IN ({marks}) AND {DAYS_WAITING} > ?")
            params += [*OPEN_STATUSES, self.waiting_days]
        if self.q:
            clauses.append(search_clause(self.q))
            match = storage.fts_match(self.q) or ""
            params += [match, match, *(storage.identifier_forms(self.q) or [""])]
        return (" AND ".join(clauses) or "1"), params

    def order_by(self) -> str:
        expression = SORTS[self.sort][0]
        direction = "ASC" if self.dir == "asc" else "DESC"
        return f"({expression}) IS NULL, {expression} {direction}, r.received_at DESC, r.reference"


def search_clause(q: str) -> str:
    """Referrals whose own fields, or whose patient's words in the conversation, match; or
    whose phone number is one typed in the search (any spacing)."""
    phones = ", ".join("?" * max(1, len(storage.identifier_forms(q))))
    return (
        "(r.rowid IN (SELECT rowid FROM referrals_fts WHERE referrals_fts MATCH ?)"
        " OR r.conversation_id IN (SELECT t.conversation_id FROM transcripts t"
        " JOIN transcripts_fts f ON f.rowid = t.rowid WHERE transcripts_fts MATCH ?)"
        f" OR r.phone_key IN ({phones}))"
    )


def find_referrals(
    db: Database,
    filters: QueueFilters,
    *,
    limit: int,
    offset: int = 0,
    columns: str = LIST_COLUMNS,
) -> tuple[list[dict[str, Any]], int]:
    """One page of matching referrals in the asked order, and how many match in all."""
    if filters.q and storage.fts_match(filters.q) is None:
        return [], 0  # nothing to look for (only punctuation)
    where, params = filters.where(db)
    total = db.execute(f"SELECT count(*) FROM referrals r WHERE {where}", params).fetchone()[0]
    rows = list(
        db.query(
            f"SELECT {columns} FROM referrals r WHERE {where} "
            f"ORDER BY {filters.order_by()} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    )
    return rows, total


def status_counts(db: Database, filters: QueueFilters) -> dict[str, int]:
    """How many referrals of each status match the other filters."""
    if filters.q and storage.fts_match(filters.q) is None:
        return {status: 0 for status in STATUSES}
    where, params = filters.where(db, with_status=False)
    counted = dict(
        db.execute(
            f"SELECT r.status, count(*) FROM referrals r WHERE {where} GROUP BY r.status", params
        ).fetchall()
    )
    return {status: counted.get(status, 0) for status in STATUSES}


def neighbours(db: Database, filters: QueueFilters, reference: str) -> dict[str, Any] | None:
    """The referrals before and after this one in the filtered, sorted queue, and where it
    is in it; None when it is not in the queue so filtered."""
    if filters.q and storage.fts_match(filters.q) is None:
        return None
    where, params = filters.where(db)
    row = db.execute(
        f"SELECT previous, next, position, total FROM (SELECT r.reference, "
        f"lag(r.reference) OVER w AS previous, lead(r.reference) OVER w AS next, "
        f"row_number() OVER w AS position, count(*) OVER () AS total "
        f"FROM referrals r WHERE {where} WINDOW w AS (ORDER BY {filters.order_by()})) "
        "WHERE reference = ?",
        [*params, reference],
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("previous", "next", "position", "total"), row, strict=True))


def matching_conversations(db: Database, q: str, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """Conversations whose transcript matches, with or without a referral."""
    match = storage.fts_match(q)
    if match is None:
        return []
    return list(
        db.query(
            "SELECT t.conversation_id, t.updated_at, "
            "snippet(transcripts_fts, 0, '[', ']', ' ... ', 12) AS snippet, "
            "(SELECT group_concat(reference, ' ') FROM referrals r "
            " WHERE r.conversation_id = t.conversation_id) AS refs "
            "FROM transcripts_fts JOIN transcripts t ON t.rowid = transcripts_fts.rowid "
            "WHERE transcripts_fts MATCH ? ORDER BY rank LIMIT ?",
            [match, limit],
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


def render_queue(
    filters: QueueFilters,
    page: int,
    *,
    errors: list[tuple[str, str]] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
):
    """The worklist page; errors (field id, message) go in the summary at its top."""
    db = storage.database()
    settings = current_app.config["SETTINGS"]
    conversations: list[dict[str, Any]] = []
    transcripts.refresh_index(db, settings.tracker_db)  # the search copy and each channel
    if filters.q:
        conversations = matching_conversations(db, filters.q)
    rows, total = find_referrals(
        db, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, columns=WORKLIST_COLUMNS
    )
    pages = max(1, -(-total // PAGE_SIZE))
    audit.record(
        "search" if filters.q else "view_queue",
        "queue",
        f"page {page}",
        {**filters.audit_detail(), "results": total},
    )
    return render_template(
        "staff/queue.html",
        outbox_notes=outbox_notes(outbox_status.read_status(settings.outbox_db)),
        filters=filters,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        statuses=STATUSES,
        counts=status_counts(db, filters),
        sorts=SORTS,
        assigned_choices=ASSIGNED,
        priorities=display.words("priorities"),
        channels=display.registry()["values"].get("channel", {}),
        open_statuses=OPEN_STATUSES,
        body_areas=body_areas(db),
        conversations=conversations,
        errors=errors or [],
        form=form or {},
    ), status_code


@blueprint.get("/queue")
def queue():
    return render_queue(QueueFilters.from_request(), page_number(request.args))
