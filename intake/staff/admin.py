"""Administrator pages: staff users, the audit log, and running the retention rule."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from intake import storage
from intake.staff import audit, users
from intake.staff.auth import role_required
from intake.staff.blueprint import blueprint
from intake.staff.queue import page_number
from intake.staff.retention import run_configured

AUDIT_PAGE_SIZE = 50


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: a confirmed POST."""


@blueprint.get("/admin/users")
@role_required("admin")
def admin_users():
    audit.record("view_users", "staff_users", "")
    return render_template("staff/admin_users.html", users=users.list_users(storage.database()))


@blueprint.get("/admin/audit")
@role_required("admin")
def admin_audit():
    db = storage.database()
    actor = request.args.get("actor", "").strip()[:64]
    action = request.args.get("action", "").strip()[:64]
    clauses, params = [], []
    if actor:
        clauses.append("actor = ?")
        params.append(actor)
    if action:
        clauses.append("action = ?")
        params.append(action)
    where = " AND ".join(clauses) or "1"
    page = page_number(request.args)
    total = db.execute(f"SELECT count(*) FROM audit_log WHERE {where}", params).fetchone()[0]
    rows = list(
        db.query(
            f"SELECT at, actor, action, target_type, target_id, detail FROM audit_log "
            f"WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, AUDIT_PAGE_SIZE, (page - 1) * AUDIT_PAGE_SIZE],
        )
    )
    audit.record("view_audit_log", "audit_log", f"page {page}")
    return render_template(
        "staff/admin_audit.html",
        rows=rows,
        actor=actor,
        action=action,
        page=page,
        pages=max(1, -(-total // AUDIT_PAGE_SIZE)),
        total=total,
    )


@blueprint.route("/admin/retention", methods=["GET", "POST"])
@role_required("admin")
def admin_retention():
    settings = current_app.config["SETTINGS"]
    db = storage.database()
    form = ConfirmForm()
    if form.validate_on_submit():
        result = run_configured(db, settings)
        audit.record("retention_run", "retention", f"{result.days} days", result.audit_detail())
        flash(result.summary())
        return redirect(url_for("staff.admin_retention"))
    preview = run_configured(db, settings, dry_run=True)
    return render_template("staff/admin_retention.html", form=form, preview=preview)
