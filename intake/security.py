"""App-wide web security: session cookies, CSRF on every form, headers and the
Content-Security-Policy (flask-talisman).

CSRF is checked on every POST, PUT, PATCH and DELETE except under /api/: the JSON APIs there
authenticate with a bearer token (intake API) or use no cookies at all (chat gateway), so a
forged cross-site request gains nothing. The rule goes by path, so it holds for routes and
blueprints registered in any order.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError, CSRFProtect

csrf = CSRFProtect()

# Same-origin only, no inline scripts or styles anywhere (the public page loads the widget's
# JS and CSS from /widget/, the staff app its CSS from /staff/static/).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    secure = settings.session_cookie_secure
    app.secret_key = settings.secret_key
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        # Flask-Login's remember-me cookie is never set (no "remember me"), but just in case:
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_DURATION=timedelta(minutes=settings.staff_idle_minutes),
        # Idle expiry: the cookie lives this long after the last request (refreshed each one);
        # intake/staff/auth.py also checks the last request time on the server.
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.staff_idle_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by _csrf_outside_json_apis instead
    )
    csrf.init_app(app)

    @app.before_request
    def _csrf_outside_json_apis() -> None:
        if app.config.get("WTF_CSRF_ENABLED", True) and not request.path.startswith("/api/"):
            csrf.protect(apply_exemptions=True)

    @app.errorhandler(CSRFError)
    def _csrf_refused(_error: CSRFError):
        message = (
            "This form has expired or did not come from this site: reload the page and try again."
        )
        return message, 400, {"Content-Type": "text/plain; charset=utf-8"}

    Talisman(
        app,
        force_https=False,  # served on http://127.0.0.1 behind whatever terminates TLS
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="SAMEORIGIN",
        session_cookie_secure=secure,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
    )
