"""Conversations that escalated (red flags), whether or not a referral was made."""

from __future__ import annotations

from flask import render_template, request

from intake import storage
from intake.referral_schema import LEVELS  # the levels the intake API accepts
from intake.staff import audit, red_flags
from intake.staff.blueprint import blueprint
from intake.staff.queue import PAGE_SIZE, page_number


@blueprint.get("/escalations")
def escalations():
    db = storage.database()
    level = request.args.get("level", "")
    level = level if level in LEVELS else ""
    where, params = ("e.level = ?", [level]) if level else ("1", [])
    page = page_number(request.args)
    total = db.execute(f"SELECT count(*) FROM escalations e WHERE {where}", params).fetchone()[0]
    rows = list(
        db.query(
            "SELECT e.conversation_id, e.level, e.code, e.source, e.occurred_at, "
            "(SELECT group_concat(reference, ' ') FROM referrals r "
            " WHERE r.conversation_id = e.conversation_id) AS refs "
            f"FROM escalations e WHERE {where} ORDER BY e.occurred_at DESC, e.id "
            "LIMIT ? OFFSET ?",
            [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE],
        )
    )
    audit.record(
        "view_escalations", "escalations", f"page {page}", {"level": level, "results": total}
    )
    return render_template(
        "staff/escalations.html",
        rows=rows,
        level=level,
        levels=LEVELS,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
        flag_title=red_flags.title,
    )
