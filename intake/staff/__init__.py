"""Staff review app at /staff: sign-in, the triage worklist, referral details, transcripts,
status workflow, escalations, CSV export, audit log, retention (see intake/README.md)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from intake.staff import (  # noqa: F401  (each module adds its routes to the blueprint)
    admin,
    assets,
    auth,
    bulk,
    cli,
    display,
    escalations,
    exports,
    queue,
    referral_views,
    transcripts,
)
from intake.staff.blueprint import blueprint


def init_app(app: Flask) -> None:
    auth.init_app(app)
    cli.init_app(app)
    app.register_blueprint(blueprint)


@blueprint.context_processor
def _template_globals() -> dict[str, Any]:
    signed_in = current_user and current_user.is_authenticated
    return {
        "status_labels": queue.STATUSES,
        "new_escalations": escalations.count_new() if signed_in else 0,
    }


blueprint.add_app_template_filter(display.local_time, "when")
blueprint.add_app_template_filter(display.field_label, "field_label")
blueprint.add_app_template_filter(display.pain, "pain")
blueprint.add_app_template_global(display.value_label, "field_value")
blueprint.add_app_template_global(display.iso, "iso_time")
