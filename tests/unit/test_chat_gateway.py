"""The chat gateway limits size and rate, and lets only allowed browser origins in.

Rasa is not started here (the stack integration test talks to the real one through the
gateway); RASA_URL points at a closed port, so a message that passes every check gets the
gateway's own 503, which is all these tests need to see that it was let through.
"""

from __future__ import annotations

import pytest

from intake import create_app
from intake.conversation_ids import public_id
from intake.settings import Settings
from tests.conftest import TEST_SECRET_KEY, TEST_TOKEN

# Ids as the gateway issues them: the conversation, then its signature.
RASA_ID = "0123456789abcdef0123456789abcdef"
CONVERSATION = public_id(TEST_SECRET_KEY, RASA_ID)
OTHER_CONVERSATION = public_id(TEST_SECRET_KEY, "fedcba9876543210fedcba9876543210")
RASA_TOKEN = "test-rasa-channel-token-not-a-secret"
ALLOWED = "http://127.0.0.1:8000"
CLOSED_PORT = "http://127.0.0.1:9"


@pytest.fixture
def make_client(tmp_path, monkeypatch):
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)

    def make(**overrides):
        settings = {
            "intake_db": tmp_path / "intake.db",
            "tracker_db": tmp_path / "tracker.db",
            "rasa_url": CLOSED_PORT,
            **overrides,
        }
        return create_app(settings).test_client()

    return make


def say(client, conversation: str | None = CONVERSATION, address="192.0.2.10", **headers):
    body = {"message": "my knee hurts"}
    if conversation:
        body["conversation_id"] = conversation
    return client.post(
        "/api/v1/chat", json=body, headers=headers, environ_base={"REMOTE_ADDR": address}
    )


def test_an_empty_or_oversized_message_is_refused(make_client):
    client = make_client()
    assert client.post("/api/v1/chat", json={"message": "  "}).status_code == 400
    assert client.post("/api/v1/chat", json={}).status_code == 400
    assert client.post("/api/v1/chat", data="hello").status_code == 400
    too_long = client.post("/api/v1/chat", json={"message": "x" * 1001})
    assert too_long.status_code == 413
    assert too_long.get_json() == {"error": "message must be at most 1000 characters"}


def test_a_body_over_the_request_limit_is_a_json_413(make_client):
    response = make_client().post("/api/v1/chat", json={"message": "x" * 70_000})
    assert response.status_code == 413 and "too large" in response.get_json()["error"]


def test_when_rasa_is_down_the_patient_gets_a_clear_503(make_client):
    response = say(make_client())
    assert response.status_code == 503
    assert "not available" in response.get_json()["error"]


def test_one_conversation_is_limited_and_another_is_not(make_client):
    client = make_client(chat_rate_per_conversation="3/minute")
    assert [say(client).status_code for _ in range(3)] == [503] * 3
    limited = say(client)
    assert limited.status_code == 429
    assert "please wait" in limited.get_json()["error"]
    assert int(limited.headers["Retry-After"]) > 0
    assert say(client, OTHER_CONVERSATION).status_code == 503


def test_new_conversations_from_one_address_are_limited_together(make_client):
    client = make_client(chat_rate_per_conversation="2/minute")
    assert [say(client, None).status_code for _ in range(2)] == [503, 503]
    assert say(client, None).status_code == 429
    assert say(client, None, address="192.0.2.99").status_code == 503


def test_one_address_is_limited_across_its_conversations(make_client):
    client = make_client(chat_rate_per_address="4/minute")
    conversations = [public_id(TEST_SECRET_KEY, f"{index:032x}") for index in range(5)]
    statuses = [say(client, conversation).status_code for conversation in conversations]
    assert statuses == [503] * 4 + [429]
    assert say(client, address="198.51.100.7").status_code == 503  # another address


def test_the_default_limits_are_generous(make_client):
    client = make_client()
    assert all(say(client).status_code == 503 for _ in range(30))
    assert say(client).status_code == 429


def test_a_limit_that_cannot_be_read_stops_the_app_starting(make_client):
    with pytest.raises(RuntimeError, match="CHAT_RATE_PER_ADDRESS"):
        make_client(chat_rate_per_address="lots")


def test_a_preflight_from_an_allowed_origin_is_answered_and_echoed(make_client):
    response = make_client().options(
        "/api/v1/chat",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert "Origin" in response.headers["Vary"]


def test_another_origin_gets_no_cors_headers_and_is_refused(make_client):
    client = make_client()
    evil = {"Origin": "https://evil.example"}
    preflight = client.options("/api/v1/chat", headers=evil)
    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    posted = say(client, **evil)
    assert posted.status_code == 403
    assert posted.get_json() == {"error": "this website may not use the chat"}
    assert "Access-Control-Allow-Origin" not in posted.headers


def test_a_refused_origin_does_not_use_up_the_conversations_limit(make_client):
    client = make_client(chat_rate_per_conversation="2/minute")
    for _ in range(5):
        say(client, Origin="https://evil.example")
    assert say(client).status_code == 503


def test_an_allowed_origin_is_echoed_on_the_answer(make_client):
    response = say(make_client(), Origin=ALLOWED)
    assert response.status_code == 503
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_the_apps_own_origin_is_always_allowed(make_client):
    # The test client's host is localhost: the page and the gateway share the origin.
    response = say(make_client(chat_allowed_origins=()), Origin="http://localhost")
    assert response.status_code == 503
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost"


def test_a_request_without_origin_gets_no_cors_headers(make_client):
    response = say(make_client())
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_allow_list_and_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("WEB_PORT", "8123")
    monkeypatch.delenv("CHAT_ALLOWED_ORIGINS", raising=False)
    default = Settings.from_env({})
    assert default.chat_allowed_origins == ("http://127.0.0.1:8123", "http://localhost:8123")
    monkeypatch.setenv("CHAT_ALLOWED_ORIGINS", "https://www.example.nhs.uk/, https://kiosk.example")
    monkeypatch.setenv("CHAT_RATE_PER_CONVERSATION", "10/minute")
    monkeypatch.setenv("CHAT_RATE_PER_ADDRESS", "50/minute")
    configured = Settings.from_env({})
    assert configured.chat_allowed_origins == (
        "https://www.example.nhs.uk",
        "https://kiosk.example",
    )
    assert (configured.chat_rate_per_conversation, configured.chat_rate_per_address) == (
        "10/minute",
        "50/minute",
    )


def test_a_configured_origin_may_use_the_chat(make_client):
    client = make_client(chat_allowed_origins=("https://www.example.nhs.uk",))
    response = say(client, Origin="https://www.example.nhs.uk")
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.example.nhs.uk"
    assert say(client, Origin=ALLOWED).status_code == 403  # no longer on the list


class FakeRasa:
    """A stand-in for Rasa's REST channel: answers `status` and `body`, keeps what it got."""

    def __init__(
        self, status: int = 200, body: bytes = b"[]", health: tuple[int, bytes] = (200, b"{}")
    ) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[tuple[dict, dict]] = []  # (headers, JSON body)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                import json

                sent = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.received.append((dict(self.headers), sent))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 (http.server's name)
                self.send_response(health[0])
                self.send_header("Content-Length", str(len(health[1])))
                self.end_headers()
                self.wfile.write(health[1])

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_rasa():
    started: list[FakeRasa] = []

    def start(status: int = 200, body: bytes = b"[]", **health) -> FakeRasa:
        started.append(FakeRasa(status, body, **health))
        return started[-1]

    yield start
    for fake in started:
        fake.close()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b'[{"recipient_id": "x", "text": "Hello"}]', 200),
        (500, b"Internal Server Error", 503),
        (503, b'{"error": "the message could not be stored; please send it again"}', 503),
        (200, b"<html>not json</html>", 503),
    ],
)
def test_rasa_replies_are_relayed_and_its_failures_become_a_clear_503(
    make_client, fake_rasa, status, body, expected
):
    rasa = fake_rasa(status, body)
    response = say(make_client(rasa_url=rasa.url, rasa_channel_token=RASA_TOKEN))
    assert response.status_code == expected
    headers, sent = rasa.received[0]
    assert sent["sender"] == RASA_ID, "Rasa gets the conversation, not the signed public id"
    assert headers["Authorization"] == f"Bearer {RASA_TOKEN}"
    assert headers["X-Conversation-Id"] == RASA_ID  # a cluster's balancer keeps it on one node
    if expected == 200:
        assert response.get_json() == {
            "conversation_id": CONVERSATION,
            "messages": [{"recipient_id": "x", "text": "Hello"}],
        }
    else:
        assert "not available" in response.get_json()["error"]


def test_an_invented_conversation_id_starts_a_new_signed_conversation(make_client, fake_rasa):
    rasa = fake_rasa()
    client = make_client(rasa_url=rasa.url)
    invented = RASA_ID + "0" * 32  # the right shape, not signed by this gateway
    answer = say(client, invented).get_json()
    sender = rasa.received[0][1]["sender"]
    assert sender != RASA_ID, "another patient's conversation cannot be reached by its id"
    assert answer["conversation_id"] == public_id(TEST_SECRET_KEY, sender)
    assert say(client, answer["conversation_id"]).status_code == 200
    assert rasa.received[1][1]["sender"] == sender


def test_inventing_ids_does_not_dodge_the_per_conversation_limit(make_client):
    client = make_client(chat_rate_per_conversation="3/minute")
    invented = [f"{index:064x}" for index in range(5)]
    assert [say(client, given).status_code for given in invented] == [503] * 3 + [429] * 2


def test_behind_trusted_proxies_each_patient_has_their_own_address_limit(make_client):
    def from_behind_proxy(client, patient: str):
        return say(client, None, address="10.0.0.1", **{"X-Forwarded-For": patient})

    trusting = make_client(trusted_proxies=1, chat_rate_per_address="2/minute")
    first = [from_behind_proxy(trusting, "192.0.2.1").status_code for _ in range(3)]
    assert first == [503, 503, 429]
    assert from_behind_proxy(trusting, "192.0.2.2").status_code == 503

    # Without a trusted proxy the header is the client's own words, and changes nothing.
    direct = make_client(chat_rate_per_address="2/minute")
    forged = [from_behind_proxy(direct, f"192.0.2.{n}").status_code for n in range(3)]
    assert forged == [503, 503, 429]


def test_a_trusted_proxy_count_that_cannot_be_read_stops_the_app_starting(monkeypatch):
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)
    for wrong in ("one", "²", "9"):
        monkeypatch.setenv("TRUSTED_PROXIES", wrong)
        with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
            Settings.from_env({})


@pytest.mark.parametrize("given", [CONVERSATION + "\n", CONVERSATION.upper(), "x", 5, None])
def test_only_a_whole_conversation_id_names_a_conversation(make_client, given):
    """Anything else (once: the same id with a trailing newline) starts a new conversation."""
    from intake.chat_gateway import _given_conversation

    app = make_client().application
    with app.test_request_context(json={"message": "hi", "conversation_id": given}):
        assert _given_conversation() is None
    with app.test_request_context(json={"message": "hi", "conversation_id": CONVERSATION}):
        assert _given_conversation() == RASA_ID


def test_healthz_reports_each_rasa_process_and_its_tracker_store(make_client, fake_rasa):
    healthy = fake_rasa(health=(200, b'{"status": "ok"}'))
    failing = fake_rasa(health=(503, b'{"status": "saving conversations has failed for 12 s"}'))
    client = make_client(rasa_url=f"{healthy.url},{failing.url},{CLOSED_PORT}")
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["rasa"] == [
        {"process": 1, "ok": True, "status": "ok"},
        {"process": 2, "ok": False, "status": "saving conversations has failed for 12 s"},
        {"process": 3, "ok": False, "status": "not answering"},
    ]
    assert make_client(rasa_url=healthy.url).get("/healthz").get_json()["status"] == "ok"
