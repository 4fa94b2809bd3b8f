"""`flask --app intake.wsgi create-user NAME --role clinician|admin`, `... retention` and
`... outbox` (what waits in the action server's outbox; requeue or dismiss what failed)."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from intake import outbox_status, storage
from intake.staff import audit, outbox_upkeep, users
from intake.staff.retention import run_configured

PASSWORD_VARIABLE = "STAFF_PASSWORD"


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(users.ROLES), required=True)
@click.option("--update", is_flag=True, help="Reset the password and role of an existing user.")
@with_appcontext
def create_user_command(username: str, role: str, update: bool) -> None:
    """Add a staff user; the password is asked for (or read from STAFF_PASSWORD)."""
    password = os.environ.get(PASSWORD_VARIABLE) or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    db = storage.database()
    try:
        created = users.create_user(db, username, password, role, update=update)
    except users.UserProblem as problem:
        raise click.ClickException(str(problem)) from None
    audit.record(
        "create_user" if created else "update_user",
        "staff_user",
        username,
        {"role": role},
        actor="cli",
    )
    click.echo(f"{'created' if created else 'updated'} {role} {username}")


@click.command("retention")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Age in days (default: RETENTION_DAYS, 365).",
)
@click.option(
    "--abandoned-days",
    type=click.IntRange(min=1),
    default=None,
    help="Age in days for conversations with no referral (default: ABANDONED_RETENTION_DAYS, 30).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@with_appcontext
def retention_command(days: int | None, abandoned_days: int | None, dry_run: bool) -> None:
    """Delete closed referrals and conversation transcripts older than the retention age,
    and purge the action server's outbox."""
    settings = current_app.config["SETTINGS"]
    result = run_configured(
        storage.database(), settings, days=days, abandoned_days=abandoned_days, dry_run=dry_run
    )
    if not dry_run:
        audit.record(
            "retention_run", "retention", f"{result.days} days", result.audit_detail(), actor="cli"
        )
    click.echo(result.summary(dry_run=dry_run))


@click.command("outbox")
@click.option(
    "--requeue",
    multiple=True,
    metavar="ID",
    help="Put a dead-lettered record back in the queue, once its cause is put right.",
)
@click.option(
    "--dismiss",
    multiple=True,
    metavar="ID",
    help="Forget a dead-lettered or rejected record that has been dealt with otherwise.",
)
@with_appcontext
def outbox_command(requeue: tuple[str, ...], dismiss: tuple[str, ...]) -> None:
    """List the records in the action server's outbox not yet delivered (never their
    content); requeue or dismiss failed ones by reference or escalation id."""
    path = current_app.config["SETTINGS"].outbox_db
    if not path.is_file():
        click.echo(f"no outbox file at {path}")
        return
    for action, done_word, ids, act in (
        ("requeue", "requeued", requeue, outbox_upkeep.requeue),
        ("dismiss", "dismissed", dismiss, outbox_upkeep.dismiss),
    ):
        if not ids:
            continue
        done = act(path, ids)
        for record in done:
            audit.record(
                f"outbox_{action}",
                "outbox_record",
                record["record_id"],
                {"kind": record["kind"], "last_error": record["last_error"]},
                actor="cli",
            )
        click.echo(f"{done_word} {len(done)} of {len(ids)}")
    for record in outbox_status.records_needing_attention(path):
        body = "" if record["has_body"] else ", record cleared"
        click.echo(
            f"{record['status']:<11} {record['kind']:<10} {record['record_id']}  since "
            f"{record['created_at']}, {record['attempts']} tries, last {record['last_error']}{body}"
        )


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(retention_command)
    app.cli.add_command(outbox_command)
