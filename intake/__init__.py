"""Flask web app: intake API, chat gateway and public pages (app factory)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from intake.settings import Settings


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the web app; settings come from the environment unless overridden."""
    from intake import (
        chat_gateway,
        escalations_api,
        openapi,
        pages,
        proxies,
        referrals_api,
        storage,
    )

    app = Flask(__name__, static_folder=None)
    app.config["SETTINGS"] = Settings.from_env(overrides or {})
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    proxies.init_app(app)  # the client's address behind TRUSTED_PROXIES reverse proxies
    storage.init_app(app)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(referrals_api.blueprint)
    app.register_blueprint(escalations_api.blueprint)
    app.register_blueprint(chat_gateway.blueprint)
    chat_gateway.init_app(app)  # rate limits
    app.register_blueprint(openapi.blueprint)  # /api/v1/openapi.json, JSON errors
    from intake import security, staff

    staff.init_app(app)
    security.init_app(app)  # cookies, CSRF on every form (not the /api/ JSON), CSP
    return app
