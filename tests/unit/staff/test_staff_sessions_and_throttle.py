"""Signing out ends the session for good (a copied cookie no longer opens a page, from any
client), and password guessing is throttled atomically by (username, address) and by
address, with a growing wait, so parallel guesses cannot slip past the count and nobody
can lock a colleague out from another machine."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from werkzeug.serving import make_server

from intake import storage
from intake.staff import users
from intake.staff.sign_in_throttle import (
    ADDRESS_FAILURES,
    FIRST_WAIT,
    LONGEST_WAIT,
    MAX_FAILURES,
    pair_wait,
)
from tests.unit.staff.conftest import (
    ADMIN,
    CLINICIAN,
    csrf_token,
    make_staff_app,
    rows,
    sign_in,
)


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def test_a_session_cookie_saved_before_sign_out_opens_nothing_after_it(staff_app, clinician):
    saved = cookie_of(clinician)
    other = staff_app.test_client()  # another browser replaying the copied cookie
    other.set_cookie("session", saved, domain="localhost")
    assert other.get("/staff/queue").status_code == 200  # the copy works while signed in
    token = csrf_token(clinician, "/staff/queue")
    assert clinician.post("/staff/sign-out", data={"csrf_token": token}).status_code == 302
    replay = staff_app.test_client()
    replay.set_cookie("session", saved, domain="localhost")
    assert replay.get("/staff/queue").status_code == 302
    assert other.get("/staff/queue").status_code == 302


def test_a_password_reset_ends_the_users_sessions(staff_app, clinician):
    with staff_app.app_context():
        users.create_user(storage.database(), CLINICIAN[0], "a-new-password-123", "clinician",
                          update=True)  # fmt: skip
    assert clinician.get("/staff/queue").status_code == 302


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_guesses_from_one_address_do_not_lock_the_user_out_elsewhere(staff_app):
    attacker = from_address(staff_app, "192.0.2.66")
    for _ in range(MAX_FAILURES):
        assert sign_in(attacker, CLINICIAN[0], "guess-guess-guess").status_code == 401
    assert sign_in(attacker, *CLINICIAN).status_code == 429  # even the right password
    assert sign_in(from_address(staff_app, "198.51.100.7"), *CLINICIAN).status_code == 302


def test_one_address_guessing_many_usernames_is_throttled(staff_app):
    guesser = from_address(staff_app, "192.0.2.99")
    for n in range(ADDRESS_FAILURES):
        assert sign_in(guesser, f"user.{n:03d}", "guess-guess-guess").status_code == 401
    assert sign_in(guesser, *ADMIN).status_code == 429
    assert sign_in(from_address(staff_app, "198.51.100.8"), *ADMIN).status_code == 302


def test_a_success_clears_the_pairs_earlier_failures(staff_app):
    client = from_address(staff_app, "192.0.2.5")
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, CLINICIAN[0], "guess-guess-guess")
    assert sign_in(client, *CLINICIAN).status_code == 302
    client = from_address(staff_app, "192.0.2.5")
    for _ in range(MAX_FAILURES - 1):
        assert sign_in(client, CLINICIAN[0], "guess-guess-guess").status_code == 401
    assert sign_in(client, *CLINICIAN).status_code == 302


def test_the_wait_grows_with_each_further_run_of_failures():
    assert pair_wait(MAX_FAILURES - 1) == timedelta(0)
    assert pair_wait(MAX_FAILURES) == FIRST_WAIT
    assert pair_wait(2 * MAX_FAILURES) == 2 * FIRST_WAIT
    assert pair_wait(3 * MAX_FAILURES) == 4 * FIRST_WAIT
    assert pair_wait(100 * MAX_FAILURES) == LONGEST_WAIT


def test_thirty_parallel_guesses_over_http_get_at_most_the_allowed_checks(tmp_path, monkeypatch):
    """Once, 30 parallel attempts were all checked: the count and the attempt are now one
    write transaction, so at most MAX_FAILURES passwords are ever tried."""
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")  # plain http on loopback
    staff_app = make_staff_app(tmp_path, monkeypatch)
    server = make_server("127.0.0.1", 0, staff_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    def attempt(_: int) -> int:
        with requests.Session() as browser:
            page = browser.get(f"{base}/staff/sign-in", timeout=30).text
            token = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
            answer = browser.post(
                f"{base}/staff/sign-in",
                data={"csrf_token": token, "username": CLINICIAN[0], "password": "guess-guess"},
                timeout=60,
            )
            return answer.status_code

    try:
        with ThreadPoolExecutor(max_workers=30) as pool:
            codes = list(pool.map(attempt, range(30)))
    finally:
        server.shutdown()
    assert codes.count(401) == MAX_FAILURES and codes.count(429) == 30 - MAX_FAILURES, codes
    checked = rows(staff_app, "SELECT count(*) AS n FROM audit_log WHERE action = 'sign_in_failed'")
    assert checked[0]["n"] == MAX_FAILURES
