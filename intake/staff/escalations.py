"""Escalations as work: every conversation where the assistant found a red flag, whether or
not a referral was made, with its state (new, acknowledged, actioned: who and when), the
channel, and whatever contact details the patient gave; a warning when there are none."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlite_utils import Database

from intake import storage
from intake.referral_schema import LEVELS  # the levels the intake API accepts
from intake.staff import audit, contact_details, display, red_flags, transcripts
from intake.staff.blueprint import blueprint
from intake.staff.queue import PAGE_SIZE, page_number

STATES = ("new", "acknowledged", "actioned")
STATE = "COALESCE(w.state, 'new')"
MAX_NOTE = 500


def count_new(db: Database | None = None) -> int:
    """Escalations nobody has acknowledged yet (the header shows this)."""
    db = db or storage.database()
    return db.execute(
        "SELECT count(*) FROM escalations e LEFT JOIN escalation_work w "
        "ON w.escalation_id = e.id WHERE w.state IS NULL OR w.state = 'new'"
    ).fetchone()[0]


@blueprint.get("/escalations")
def escalations():
    db = storage.database()
    settings = current_app.config["SETTINGS"]
    level = request.args.get("level", "")
    level = level if level in LEVELS else ""
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    clauses, params = [], []
    if level:
        clauses.append("e.level = ?")
        params.append(level)
    if state:
        clauses.append(f"{STATE} = ?")
        params.append(state)
    where = " AND ".join(clauses) or "1"
    page = page_number(request.args)
    joined = "FROM escalations e LEFT JOIN escalation_work w ON w.escalation_id = e.id"
    total = db.execute(f"SELECT count(*) {joined} WHERE {where}", params).fetchone()[0]
    transcripts.refresh_index(db, settings.tracker_db)  # each conversation's channel
    rows = list(
        db.query(
            "SELECT e.id, e.conversation_id, e.level, e.code, e.source, e.occurred_at, "
            f"{STATE} AS state, w.acknowledged_by, w.acknowledged_at, w.actioned_by, "
            "w.actioned_at, w.action_note, "
            "(SELECT t.channel FROM transcripts t WHERE t.conversation_id = e.conversation_id)"
            " AS channel, "
            "(SELECT group_concat(reference, ' ') FROM referrals r "
            " WHERE r.conversation_id = e.conversation_id) AS refs "
            f"{joined} WHERE {where} ORDER BY e.occurred_at DESC, e.id LIMIT ? OFFSET ?",
            [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE],
        )
    )
    contacts = contact_details.for_conversations(
        db, settings.tracker_db, [row["conversation_id"] for row in rows]
    )
    audit.record(
        "view_escalations",
        "escalations",
        f"page {page}",
        {"level": level, "state": state, "results": total},
    )
    args = {key: value for key, value in (("level", level), ("state", state)) if value}
    return render_template(
        "staff/escalations.html",
        rows=rows,
        contacts=contacts,
        level=level,
        levels=LEVELS,
        state=state,
        states=display.words("escalation_states"),
        channels=display.registry()["values"].get("channel", {}),
        args=args,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
        flag_title=red_flags.title,
    )


@blueprint.post("/escalations/<escalation_id>/work")
def escalation_work(escalation_id: str):
    """Acknowledge an escalation, or mark it actioned (with what was done): who and when."""
    db = storage.database()
    if db.execute("SELECT 1 FROM escalations WHERE id = ?", [escalation_id]).fetchone() is None:
        return "Not found", 404
    action = request.form.get("action", "")
    note = request.form.get("note", "").strip()[:MAX_NOTE]
    who, when = audit.actor_name(), audit.now_iso()
    with db.conn:
        db.execute(
            "INSERT OR IGNORE INTO escalation_work (escalation_id, state) VALUES (?, 'new')",
            [escalation_id],
        )
        if action == "acknowledge":
            db.execute(
                "UPDATE escalation_work SET state = 'acknowledged', acknowledged_by = ?, "
                "acknowledged_at = ? WHERE escalation_id = ? AND state = 'new'",
                [who, when, escalation_id],
            )
        elif action == "actioned":
            db.execute(
                "UPDATE escalation_work SET state = 'actioned', actioned_by = ?, actioned_at = ?,"
                " action_note = ?, acknowledged_by = COALESCE(acknowledged_by, ?), "
                "acknowledged_at = COALESCE(acknowledged_at, ?) WHERE escalation_id = ?",
                [who, when, note or None, who, when, escalation_id],
            )
        else:
            return "Unknown action", 400
    audit.record(
        "acknowledge_escalation" if action == "acknowledge" else "action_escalation",
        "escalation",
        escalation_id,
    )
    flash(
        "Escalation acknowledged." if action == "acknowledge" else "Escalation marked as actioned."
    )
    args = {k: v for k, v in request.args.items() if k in ("level", "state", "page")}
    return redirect(url_for("staff.escalations", **args) + f"#escalation-{escalation_id}")
