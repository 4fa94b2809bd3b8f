"""Bulk actions on the worklist: the ticked referrals assigned to me (or to nobody), or
moved to one status with one reason (each change recorded as if made one by one)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from intake import storage
from intake.staff import workflow
from intake.staff.blueprint import blueprint
from intake.staff.queue import QueueFilters, page_number, render_queue

MAX_SELECTED = 500
MAX_REASON = 1000


def _queue_args() -> MultiDict:
    """The queue's filters, sort and page as the form carried them."""
    parsed = parse_qs(request.form.get("return_to", "")[:2000], keep_blank_values=False)
    return MultiDict([(key, value) for key, values in parsed.items() for value in values])


@blueprint.post("/queue/bulk")
def bulk_action():
    args = _queue_args()
    filters = QueueFilters.from_request(args)
    references = list(dict.fromkeys(request.form.getlist("reference")))[:MAX_SELECTED]
    action = request.form.get("action", "")
    to_status = request.form.get("to_status", "")
    reason = request.form.get("reason", "").strip()
    errors: list[tuple[str, str]] = []
    if not references:
        errors.append(("select-all-help", "Select at least one referral."))
    if action == "status":
        if to_status not in workflow.STATUSES:
            errors.append(("bulk-to-status", "Choose the status to move them to."))
        if not reason:
            errors.append(("bulk-reason", "Give a reason for the change."))
        elif len(reason) > MAX_REASON:
            errors.append(("bulk-reason", f"The reason must be {MAX_REASON} characters or fewer."))
    elif action not in ("assign", "unassign"):
        errors.append(("bulk-to-status", "Choose what to do with the selected referrals."))
    if errors:
        form = {"references": references, "to_status": to_status, "reason": reason}
        return render_queue(filters, page_number(args), errors=errors, form=form, status_code=400)
    db = storage.database()
    if action == "status":
        changed, left = 0, []
        for reference in references:
            row = db.execute(
                "SELECT status FROM referrals WHERE reference = ?", [reference]
            ).fetchone()
            if row and workflow.change_status(db, reference, row[0], to_status, reason):
                changed += 1
            else:
                left.append(reference)
        label = workflow.STATUSES[to_status].lower()
        message = f"{changed} referral{'' if changed == 1 else 's'} moved to {label}."
        if left:
            shown = ", ".join(left[:20]) + ("..." if len(left) > 20 else "")
            message += f" Not moved (that status cannot follow theirs): {len(left)}: {shown}."
        flash(message)
    else:
        username = current_user.username if action == "assign" else None
        done = sum(workflow.set_assignee(db, reference, username) for reference in references)
        flash(
            f"{done} referral{'' if done == 1 else 's'} "
            + ("assigned to you." if username else "no longer assigned to anyone.")
        )
    query = urlencode(list(args.items(multi=True)))
    return redirect(url_for("staff.queue") + (f"?{query}" if query else ""))
