"""`flask --app intake.wsgi create-user NAME --role clinician|admin` and `... retention`."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from intake import storage
from intake.staff import audit, users
from intake.staff.retention import run_retention

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
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@with_appcontext
def retention_command(days: int | None, dry_run: bool) -> None:
    """Delete closed referrals and conversation transcripts older than the retention age."""
    settings = current_app.config["SETTINGS"]
    days = days or settings.retention_days
    result = run_retention(storage.database(), settings.tracker_db, days, dry_run=dry_run)
    if not dry_run:
        audit.record(
            "retention_run",
            "retention",
            f"{days} days",
            {
                "referrals": result.referrals,
                "conversations": result.conversations,
                "tracker_events": result.tracker_events,
            },
            actor="cli",
        )
    click.echo(result.summary(dry_run=dry_run))


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(retention_command)
