"""Staff sign in with argon2-hashed passwords; sessions are safe cookies that expire when idle;
every form needs its CSRF token; roles limit the admin pages."""

import re
import time

import pytest

from intake import storage
from intake.staff import users
from intake.staff.auth import LAST_SEEN
from intake.staff.sign_in_throttle import MAX_FAILURES
from tests.unit.staff.conftest import (
    ADMIN,
    CLINICIAN,
    csrf_token,
    make_referral,
    rows,
    sign_in,
    store,
)


def test_a_clinician_signs_in_and_sees_the_queue(anonymous):
    response = sign_in(anonymous, *CLINICIAN)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/queue"
    page = anonymous.get("/staff/queue")
    assert page.status_code == 200
    assert "casey.clinician (clinician)" in page.text


def test_the_session_cookie_is_secure_http_only_and_same_site(anonymous):
    response = sign_in(anonymous, *CLINICIAN)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_passwords_are_stored_as_argon2id_hashes(staff_app):
    stored = rows(staff_app, "SELECT username, password_hash FROM staff_users")
    assert {row["username"] for row in stored} == {CLINICIAN[0], ADMIN[0]}
    for row in stored:
        assert row["password_hash"].startswith("$argon2id$")
        assert CLINICIAN[1] not in row["password_hash"]


def test_a_wrong_password_or_unknown_user_is_refused_with_one_message(anonymous, staff_app):
    wrong = sign_in(anonymous, CLINICIAN[0], "not-the-password")
    unknown = sign_in(anonymous, "nobody.here", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "The username or password is not right." in response.text
    assert anonymous.get("/staff/queue").status_code == 302
    failed = rows(staff_app, "SELECT target_id FROM audit_log WHERE action = 'sign_in_failed'")
    assert [row["target_id"] for row in failed] == [CLINICIAN[0], "nobody.here"]


def test_repeated_wrong_passwords_lock_the_username_for_a_while(anonymous, staff_app):
    for _ in range(MAX_FAILURES):
        assert sign_in(anonymous, CLINICIAN[0], "guess-guess-guess").status_code == 401
    locked = sign_in(anonymous, *CLINICIAN)
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.text
    assert anonymous.get("/staff/queue").status_code == 302
    assert sign_in(staff_app.test_client(), *ADMIN).status_code == 302  # others unaffected
    with staff_app.app_context():
        db = storage.database()
        with db.conn:  # the wait passes
            db.execute("UPDATE sign_in_attempts SET at = '2000-01-01T00:00:00+00:00'")
    assert sign_in(anonymous, *CLINICIAN).status_code == 302


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(clinician, staff_app):
    with staff_app.app_context():
        db = storage.database()
        with db.conn:
            db.execute("UPDATE staff_users SET active = 0 WHERE username = ?", [CLINICIAN[0]])
    assert clinician.get("/staff/queue").status_code == 302
    assert sign_in(staff_app.test_client(), *CLINICIAN).status_code == 401


def test_signing_out_ends_the_session(clinician):
    token = csrf_token(clinician, "/staff/queue")
    response = clinician.post("/staff/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/sign-in"
    assert clinician.get("/staff/queue").status_code == 302


def test_signing_in_goes_on_to_the_page_asked_for_but_never_off_site(anonymous):
    first = anonymous.get("/staff/escalations")
    assert first.headers["Location"] == "/staff/sign-in?next=%2Fstaff%2Fescalations"
    token = csrf_token(anonymous, "/staff/sign-in")
    for target, expected in (
        ("/staff/escalations", "/staff/escalations"),
        ("https://evil.example/", "/staff/queue"),
        ("//evil.example/staff/", "/staff/queue"),
    ):
        client = anonymous.application.test_client()
        token = csrf_token(client, "/staff/sign-in")
        response = client.post(
            "/staff/sign-in",
            query_string={"next": target},
            data={"csrf_token": token, "username": CLINICIAN[0], "password": CLINICIAN[1]},
        )
        assert response.headers["Location"] == expected


def test_an_idle_session_expires(clinician, staff_app):
    idle = staff_app.config["SETTINGS"].staff_idle_minutes * 60
    with clinician.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - idle + 60
    assert clinician.get("/staff/queue").status_code == 200
    with clinician.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - idle - 1
    response = clinician.get("/staff/queue")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in")
    assert clinician.get("/staff/queue").status_code == 302  # the session is gone, not renewed
    assert rows(staff_app, "SELECT 1 FROM audit_log WHERE action = 'sign_out_idle'")


def test_the_session_cookie_lasts_only_the_idle_time(staff_app):
    assert staff_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 30 * 60
    assert staff_app.config["SESSION_REFRESH_EACH_REQUEST"] is True


def test_a_form_without_its_csrf_token_is_refused(anonymous, clinician):
    response = anonymous.post(
        "/staff/sign-in", data={"username": CLINICIAN[0], "password": CLINICIAN[1]}
    )
    assert response.status_code == 400
    assert anonymous.get("/staff/queue").status_code == 302
    assert clinician.post("/staff/sign-out").status_code == 400
    assert clinician.post("/staff/sign-out", data={"csrf_token": "forged"}).status_code == 400
    assert clinician.get("/staff/queue").status_code == 200  # still signed in


@pytest.mark.parametrize("body", ["null", "[]", '"text"', "5", '{"username": "casey"}', "{"])
def test_staff_forms_take_form_data_not_json(anonymous, admin, staff_app, body):
    """Flask-WTF reads a JSON body as the form: one that was not an object (null, a list)
    with a valid CSRF header was an HTTP 500 on every staff form."""
    store(staff_app, make_referral("MIS-JSON-0001", "j" * 32))
    for client, url in (
        (anonymous, "/staff/sign-in"),
        (admin, "/staff/referrals/MIS-JSON-0001/status"),
        (admin, "/staff/admin/retention"),
        (admin, "/staff/sign-out"),
    ):
        token = csrf_token(client, "/staff/sign-in")
        response = client.post(
            url, data=body, content_type="application/json", headers={"X-CSRFToken": token}
        )
        assert response.status_code == 415, (url, response.status_code)
    assert admin.get("/staff/queue").status_code == 200  # still signed in
    assert anonymous.post("/staff/sign-in", json=[]).status_code == 400  # no CSRF token


def test_the_json_apis_need_no_csrf_token(anonymous):
    # They authenticate with a bearer token (or not at all: the chat gateway), not cookies.
    response = anonymous.post("/api/v1/referrals", json={})
    assert response.status_code == 401
    response = anonymous.post("/api/v1/chat", json={"message": ""})
    assert response.status_code != 400 or "CSRF" not in response.text


def test_admin_pages_are_for_admins_only(clinician, admin):
    for url in ("/staff/admin/users", "/staff/admin/audit", "/staff/admin/retention"):
        assert clinician.get(url).status_code == 403
        assert admin.get(url).status_code == 200
    assert CLINICIAN[0] in admin.get("/staff/admin/users").text


def test_create_user_command_adds_a_user_with_a_hashed_password(staff_app, monkeypatch):
    runner = staff_app.test_cli_runner()
    monkeypatch.setenv("STAFF_PASSWORD", "a-long-enough-password")
    result = runner.invoke(args=["create-user", "pat.physio", "--role", "clinician"])
    assert result.exit_code == 0, result.output
    assert "created clinician pat.physio" in result.output
    assert (
        sign_in(staff_app.test_client(), "pat.physio", "a-long-enough-password").status_code == 302
    )
    again = runner.invoke(args=["create-user", "pat.physio", "--role", "admin"])
    assert again.exit_code != 0
    assert "already exists" in again.output
    monkeypatch.setenv("STAFF_PASSWORD", "short")
    weak = runner.invoke(args=["create-user", "lee.weak", "--role", "clinician"])
    assert weak.exit_code != 0
    assert "at least 12 characters" in weak.output


def test_create_user_command_prompts_for_the_password_twice(staff_app, monkeypatch):
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    runner = staff_app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "ada.second", "--role", "admin"],
        input="prompted-password-1\nprompted-password-1\n",
    )
    assert result.exit_code == 0, result.output
    with staff_app.app_context():
        user = users.authenticate(storage.database(), "ada.second", "prompted-password-1")
    assert user is not None and user.is_admin


def test_pages_carry_a_content_security_policy_and_the_public_page_still_works(anonymous):
    for url in ("/", "/staff/sign-in"):
        response = anonymous.get(url)
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "'unsafe-inline'" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    # The public page still works under the policy: no inline script, and every script and
    # stylesheet it names is served from this site.
    public = anonymous.get("/").text
    scripts = re.findall(r"<script([^>]*)>", public)
    assert scripts and all('src="/' in attributes for attributes in scripts)
    for url in re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))"', public):
        assert anonymous.get(url).status_code == 200, url


def test_staff_pages_are_never_cached(clinician):
    assert clinician.get("/staff/queue").headers["Cache-Control"] == "no-store"


def test_the_staff_pages_use_the_nhsuk_stylesheet_from_node_modules(anonymous):
    page = anonymous.get("/staff/sign-in").text
    assert 'href="/staff/static/nhsuk/nhsuk-frontend.min.css"' in page
    css = anonymous.get("/staff/static/nhsuk/nhsuk-frontend.min.css")
    assert css.status_code == 200, "run the set-up (scripts/setup.sh) to install nhsuk-frontend"
    assert css.mimetype == "text/css"
    assert ".nhsuk-header" in css.text
    assert "https://" not in css.text  # nothing the CSP would block: no remote fonts
    icon = re.search(r"url\((/staff/static/nhsuk/assets/[^)]+)\)", css.text).group(1)
    assert anonymous.get(icon).status_code == 200
    assert anonymous.get("/staff/static/nhsuk/package.json").status_code == 404
