"""Sign-in, sign-out, idle expiry, and the rule that every staff page needs a signed-in user.

The guard runs before every request to the staff blueprint, so a route added later is
protected without remembering a decorator; only PUBLIC_ENDPOINTS are open.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from intake import storage
from intake.staff import audit, sign_in_throttle, users
from intake.staff.blueprint import blueprint

PUBLIC_ENDPOINTS = {"staff.sign_in", "staff.static", "staff.nhsuk_asset"}
LAST_SEEN = "staff_last_seen"
# The user's session version when this session signed in: signing out (anywhere), a password
# reset or a deactivation moves the version on, and every older session ends (a copied
# cookie is worth nothing after sign-out).
SESSION_VERSION = "staff_session_version"

login_manager = LoginManager()
login_manager.login_view = "staff.sign_in"
login_manager.login_message = "Sign in to see this page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_id: str) -> users.StaffUser | None:
    return users.load_user(storage.database(), user_id)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


def role_required(role: str) -> Callable:
    """Only users with this role (403 for the others)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated or current_user.role != role:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


@blueprint.before_request
def _require_signed_in_and_not_idle():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if session.get(SESSION_VERSION) != users.session_version(storage.database(), current_user.id):
        _end_session()
        return login_manager.unauthorized()
    idle_seconds = current_app.config["SETTINGS"].staff_idle_minutes * 60
    last_seen = session.get(LAST_SEEN, 0)
    if time.time() - last_seen > idle_seconds:
        audit.record("sign_out_idle", "staff_user", current_user.username)
        _end_session()
        flash("You were signed out because you had not used the app for a while.")
        return redirect(url_for("staff.sign_in", next=request.full_path))
    session[LAST_SEEN] = int(time.time())
    return None


@blueprint.before_request
def _forms_not_json():
    """Staff pages take HTML forms. Flask-WTF would read a JSON body as the form instead (and
    one that is not an object, such as null, failed with an HTTP 500): 415 Unsupported Media
    Type. After the sign-in guard, so an anonymous request is still sent to sign in."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
        abort(415)


@blueprint.after_request
def _never_cache(response):
    """Staff pages hold patient data: no browser or proxy keeps a copy."""
    if request.endpoint not in ("staff.static", "staff.nhsuk_asset"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _end_session() -> None:
    logout_user()
    session.clear()


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


def _safe_next(target: str | None) -> str:
    """Only a path inside the staff app, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/staff/"):
            return target
    return url_for("staff.queue")


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    error = None
    status = 200
    if form.validate_on_submit():
        username = form.username.data.strip().lower()[:64]
        db = storage.database()
        attempt = sign_in_throttle.begin(db, username, request.remote_addr or "unknown")
        if isinstance(attempt, sign_in_throttle.Refused):
            audit.record("sign_in_refused", "staff_user", username)
            error = f"Too many wrong passwords: wait {attempt.minutes} minutes, then try again."
            return render_template("staff/sign_in.html", form=form, error=error), 429
        user = users.authenticate(db, username, form.password.data)
        sign_in_throttle.finish(db, attempt, succeeded=user is not None)
        if user is None:
            audit.record("sign_in_failed", "staff_user", username)
            error = "The username or password is not right."
            status = 401
        else:
            session.clear()  # a fresh session: nothing carried over from before sign-in
            login_user(user)
            session.permanent = True
            session[SESSION_VERSION] = users.session_version(db, user.id)
            session[LAST_SEEN] = int(time.time())
            audit.record("sign_in", "staff_user", user.username)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("staff/sign_in.html", form=form, error=error), status


@blueprint.post("/sign-out")
def sign_out():
    audit.record("sign_out", "staff_user", current_user.username)
    users.end_sessions(storage.database(), current_user.id)
    _end_session()
    flash("You have signed out.")
    return redirect(url_for("staff.sign_in"))


@blueprint.get("/")
def home():
    return redirect(url_for("staff.queue"))
