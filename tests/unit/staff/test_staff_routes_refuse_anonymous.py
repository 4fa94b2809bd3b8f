"""Every staff route and every intake API route refuses a request that is not signed in
(or has no bearer token). The routes come from the app's URL map, so a route added later is
checked without touching this test."""

import pytest
from werkzeug.routing import Rule

from intake import create_app

# Open on purpose: the sign-in page and the staff stylesheets; the chat gateway (the public
# widget talks to it) and the public OpenAPI document.
PUBLIC = ("/staff/sign-in", "/staff/static/", "/api/v1/chat", "/api/v1/openapi.json")
GUARDED_PREFIXES = ("/staff", "/api/")


def _app(tmp_path, monkeypatch):
    monkeypatch.setenv("INTAKE_API_TOKEN", "test-token-not-a-secret-0123456789")
    monkeypatch.setenv("FLASK_SECRET_KEY", "test-secret-key-not-a-secret-0123456789")
    app = create_app({"intake_db": tmp_path / "intake.db", "tracker_db": tmp_path / "t.db"})
    # CSRF would refuse the POSTs first; switch it off to prove sign-in alone guards them.
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _guarded(rule: Rule) -> bool:
    return rule.rule.startswith(GUARDED_PREFIXES) and not rule.rule.startswith(PUBLIC)


def _url(rule: Rule) -> str:
    url = rule.rule
    for argument in rule.arguments:
        url = url.replace(f"<{argument}>", "MIS-7K3P-QD9X")
        url = url.replace(f"<path:{argument}>", "x/y").replace(f"<int:{argument}>", "1")
    return url


def _requests(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if _guarded(rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, _url(rule)))
    return found


def test_the_walk_finds_the_staff_and_api_routes(tmp_path, monkeypatch):
    found = _requests(_app(tmp_path, monkeypatch))
    assert ("GET", "/staff/queue") in found
    assert ("POST", "/staff/referrals/MIS-7K3P-QD9X/status") in found
    assert ("POST", "/api/v1/referrals") in found
    assert ("GET", "/api/v1/escalations") in found
    assert not [url for _, url in found if url.startswith(("/staff/sign-in", "/api/v1/chat"))]


def _let_through(app) -> list[tuple[str, str, int]]:
    """Guarded routes that answered an anonymous request with anything but a refusal."""
    client = app.test_client()
    found = []
    for method, url in _requests(app):
        response = client.open(url, method=method, json={} if method != "GET" else None)
        if url.startswith("/staff"):
            refused = response.status_code in (401, 403) or (
                response.status_code == 302
                and response.headers["Location"].startswith("/staff/sign-in")
            )
        else:
            refused = response.status_code == 401
        if not refused:
            found.append((method, url, response.status_code))
    return found


def test_every_staff_and_intake_api_route_refuses_an_unauthenticated_request(tmp_path, monkeypatch):
    assert _let_through(_app(tmp_path, monkeypatch)) == []


def test_the_walk_would_catch_a_route_left_open(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch)
    app.add_url_rule("/api/v1/leak", "leak", lambda: {"open": True})
    assert _let_through(app) == [("GET", "/api/v1/leak", 200)]


@pytest.mark.parametrize("url", ["/staff/queue", "/staff/admin/audit"])
def test_a_wrong_bearer_token_or_session_cookie_does_not_open_a_staff_page(anonymous, url):
    anonymous.set_cookie("session", "forged.cookie.value")
    response = anonymous.get(url, headers={"Authorization": "Bearer anything"})
    assert response.status_code == 302
