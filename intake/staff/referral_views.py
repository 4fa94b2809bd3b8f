"""One referral: every field the patient gave (in words, from the field registry), the
red-flag answers, the signposting, its timeline (status changes, notes, contact attempts);
its triage (priority with the suggestion, assignment, other referrals of the same person,
previous and next in the queue as filtered); the status workflow (who, when and why for
every change); and its download as a FHIR R4 Bundle (intake/fhir.py)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from intake import fhir, storage
from intake.field_registry import field_order
from intake.referral_schema import MAX_DEPTH
from intake.staff import audit, display, duplicates, notes, red_flags, triage, workflow
from intake.staff.blueprint import blueprint
from intake.staff.queue import PRACTICE_TO_CHECK, QueueFilters, neighbours
from intake.staff.workflow import OPEN_STATUSES, STATUSES, TRANSITIONS

# Sections of the payload shown under their own heading, in this order; anything else
# the payload holds is shown too, under "Other details".
SECTIONS = {
    "patient": "Patient",
    "problem": "Problem",
    "eligibility": "Eligibility",
}
# How much of a stored value too deep or too odd to lay out is shown, as text.
SHOWN_CHARS = 2000
# Fields in the order content/referral_fields.yml lists them, after the referral's own
# details; fields not named here follow in alphabetical order.
FIELD_ORDER = (
    *("reference", "submitted_at", "conversation_id", "consent"),
    *field_order(),  # content/referral_fields.yml
    *("area", "pregnancy_pelvic_pain"),
)


class StatusForm(FlaskForm):
    to_status = SelectField("New status", validators=[DataRequired()])
    reason = TextAreaField(
        "Reason for the change",
        validators=[DataRequired("Give a reason for the change."), Length(max=1000)],
    )
    from_status = HiddenField()


def _referral(reference: str) -> dict[str, Any]:
    rows = list(storage.database()["referrals"].rows_where("reference = ?", [reference]))
    if not rows:
        abort(404)
    return rows[0]


def _status_form(status: str) -> StatusForm:
    form = StatusForm()
    form.to_status.choices = [(s, STATUSES[s]) for s in TRANSITIONS.get(status, ())]
    if not form.from_status.data:
        form.from_status.data = status
    return form


def _ordered(value: Any, depth: int = 0) -> Any:
    """A payload section with its fields in FIELD_ORDER (nested sections too). Past
    MAX_DEPTH levels (the intake API refuses deeper bodies; an older row may hold one) the
    rest is shown as JSON text, so rendering never recurses without end."""
    if not isinstance(value, (dict, list)):
        return value
    if depth >= MAX_DEPTH:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (ValueError, RecursionError):
            text = "..."
        return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + " ..."
    if isinstance(value, list):
        return [_ordered(item, depth + 1) for item in value]
    rank = {name: n for n, name in enumerate(FIELD_ORDER)}
    keys = sorted(value, key=lambda key: (rank.get(key, len(rank)), str(key)))
    return {key: _ordered(value[key], depth + 1) for key in keys}


def _payload(record: dict[str, Any]) -> dict[str, Any]:
    """The stored referral as an object in FIELD_ORDER; a row that is not one (not JSON,
    nested past Python's recursion limit, not an object) shows what it holds."""
    try:
        payload = json.loads(record["payload"])
    except (TypeError, ValueError, RecursionError):
        payload = str(record["payload"])[:SHOWN_CHARS]
    if not isinstance(payload, dict):
        payload = {"payload": payload}
    return _ordered(payload)


def _screening(answers: Any) -> list[dict[str, str]]:
    if not isinstance(answers, dict):
        return []
    return [
        {
            "code": str(code),
            "title": red_flags.title(str(code)),
            "question": red_flags.question(str(code)),
            "answer": str(answer),
        }
        for code, answer in answers.items()
    ]


def _days_waiting(record: dict[str, Any]) -> int | None:
    try:
        received = datetime.fromisoformat(record["received_at"])
    except (TypeError, ValueError):
        return None
    return (datetime.now(timezone.utc) - received).days


def nav_args() -> dict[str, str]:
    """The queue's filters and sort this page was opened with, kept on every link and form."""
    return QueueFilters.from_request().query_args()


def _render(
    record: dict[str, Any],
    form: StatusForm,
    status_code: int = 200,
    errors: list[tuple[str, str]] | None = None,
    note_form: dict[str, str] | None = None,
):
    db = storage.database()
    payload = _payload(record)
    sections = [(title, payload.get(key)) for key, title in SECTIONS.items() if key in payload]
    shown = {*SECTIONS, "red_flag_screening", "signposting"}
    top = {k: v for k, v in payload.items() if k not in shown and not isinstance(v, dict)}
    other = {k: v for k, v in payload.items() if k not in shown and isinstance(v, dict)}
    escalations = list(
        db.query(
            "SELECT level, code, source, occurred_at FROM escalations "
            "WHERE conversation_id = ? ORDER BY occurred_at",
            [record["conversation_id"]],
        )
    )
    [check] = db.execute(
        f"SELECT {PRACTICE_TO_CHECK} FROM referrals r WHERE r.reference = ?", [record["reference"]]
    ).fetchall()
    signposting = payload.get("signposting")
    escalated = bool(escalations or record.get("escalated"))
    suggestion = triage.suggest(triage.facts_of(payload, record.get("duration_days"), escalated))
    filters = QueueFilters.from_request()
    waiting = _days_waiting(record)
    return render_template(
        "staff/referral.html",
        record=record,
        top=top,
        sections=sections,
        other=other,
        screening=_screening(payload.get("red_flag_screening")),
        has_screening="red_flag_screening" in payload,
        signposting=signposting if isinstance(signposting, list) else None,
        signposting_raw=signposting,
        timeline=notes.timeline(db, record["reference"]),
        escalations=escalations,
        flag_title=red_flags.title,
        statuses=STATUSES,
        form=form,
        errors=errors or [],
        note_form=note_form or {},
        suggestion=suggestion,
        priorities=display.words("priorities"),
        contact_methods=display.words("contact_methods"),
        contact_outcomes=display.words("contact_outcomes"),
        duplicates=duplicates.others(db, record),
        practice_to_check=bool(check[0]),
        nav=neighbours(db, filters, record["reference"]),
        nav_args=filters.query_args(),
        waiting=waiting,
        overdue=record["status"] in OPEN_STATUSES
        and waiting is not None
        and waiting > current_app.config["SETTINGS"].staff_waiting_alert_days,
    ), status_code


def _back(reference: str):
    return redirect(url_for("staff.referral", reference=reference, **nav_args()))


def _form_errors(form: StatusForm) -> list[tuple[str, str]]:
    return [(name, error) for name, errors in form.errors.items() for error in errors
            if name != "csrf_token"]  # fmt: skip


@blueprint.get("/referrals/<reference>")
def referral(reference: str):
    record = _referral(reference)
    audit.record("view_referral", "referral", reference)
    return _render(record, _status_form(record["status"]))


@blueprint.get("/referrals/<reference>/fhir")
def referral_fhir(reference: str):
    exported = fhir.export(reference)
    if exported is None:
        abort(404)
    audit.record("export_fhir", "referral", reference)
    filename = re.sub(r"[^A-Za-z0-9-]", "_", reference)
    return Response(
        json.dumps(exported, ensure_ascii=False, indent=2),
        content_type="application/fhir+json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}-fhir.json"'},
    )


@blueprint.post("/referrals/<reference>/status")
def change_status(reference: str):
    record = _referral(reference)
    form = _status_form(record["status"])
    if not form.validate_on_submit():
        return _render(record, form, 400, _form_errors(form))
    moved = form.from_status.data == record["status"] and workflow.change_status(
        storage.database(), reference, record["status"], form.to_status.data, form.reason.data
    )
    if not moved:
        flash("Someone else changed the status while you were reading: check it and try again.")
        return _back(reference)
    flash(f"Status changed to {STATUSES[form.to_status.data].lower()}.")
    return _back(reference)


@blueprint.post("/referrals/<reference>/assign")
def assign(reference: str):
    _referral(reference)
    me = request.form.get("action") != "unassign"
    workflow.set_assignee(storage.database(), reference, current_user.username if me else None)
    flash("Assigned to you." if me else "No longer assigned to anyone.")
    return _back(reference)


@blueprint.post("/referrals/<reference>/priority")
def set_priority(reference: str):
    record = _referral(reference)
    priority = request.form.get("priority", "")
    if priority not in (*triage.PRIORITIES, "suggested"):
        return _render(record, _status_form(record["status"]), 400,
                       [("priority", "Choose a priority.")])  # fmt: skip
    chosen = None if priority == "suggested" else priority
    workflow.set_priority(storage.database(), reference, chosen)
    label = display.words("priorities").get(chosen or "", "the suggestion")
    flash(f"Priority set to {label.lower() if chosen else label}.")
    return _back(reference)


@blueprint.post("/referrals/<reference>/notes")
def add_note(reference: str):
    record = _referral(reference)
    entry = notes.NoteInput.from_form(request.form)
    errors = entry.problems(display.words("contact_methods"), display.words("contact_outcomes"))
    if errors:
        return _render(record, _status_form(record["status"]), 400, errors, entry.as_form())
    notes.add(storage.database(), reference, entry)
    flash("Contact attempt recorded." if entry.kind == notes.CONTACT else "Note added.")
    return _back(reference)
