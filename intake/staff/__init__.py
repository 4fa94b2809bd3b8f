"""Staff review app at /staff: sign-in, the referral queue, referral details, transcripts,
status workflow, escalations, CSV export, audit log, retention (see intake/README.md)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from intake.staff import (  # noqa: F401  (each module adds its routes to the blueprint)
    admin,
    assets,
    auth,
    cli,
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
    return {"status_labels": queue.STATUSES}


@blueprint.app_template_filter("when")
def _when(value: Any, seconds: bool = False) -> str:
    """An ISO time or datetime as 'YYYY-MM-DD HH:MM' (UTC), with ':SS' if asked."""
    if value is None or value == "":
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("T", " ")[: 19 if seconds else 16]


LABEL_WORDS = {"nhs": "NHS", "gp": "GP", "line1": "line 1", "min": "minimum"}


@blueprint.app_template_filter("field_label")
def _field_label(key: Any) -> str:
    """A payload key as a label: 'gp_practice' -> 'GP practice'."""
    words = [LABEL_WORDS.get(word, word) for word in str(key).split("_")]
    label = " ".join(words)
    return label[:1].upper() + label[1:]
