"""Hardening, through the real processes: no turn lost silently, no patient words in any log,
no call taken without the token of the process that should make it, private files private.

Each test reproduces a finding of the security review against `python -m scripts.stack`.
"""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from pathlib import Path

import requests

from scripts.running_stack import RunningStack
from scripts.simulated_patient import TYPICAL, complete_referral

# Obviously fake details, as TYPICAL gives them and as a patient might type them in one go.
DETAILS_MESSAGE = (
    "I'm Sam Sample, NHS number 485 777 3457, born 2nd November 1971, "
    "12 Example Street WS11 1DB, phone 07700 900123, sam.sample@example.com"
)
PERSONAL = ["Sam Sample", "485 777 3457", "4857773457", "2nd November 1971",
            "12 Example Street", "WS11 1DB", "07700 900123", "sam.sample@example.com"]  # fmt: skip


class Conversation:
    """One patient over the public chat gateway, as the widget talks to it."""

    def __init__(self, stack: RunningStack) -> None:
        self.url = stack.url("WEB_PORT", "/api/v1/chat")
        self.conversation_id: str | None = None

    def send(self, text: str) -> requests.Response:
        body = {"message": text, "conversation_id": self.conversation_id}
        response = requests.post(self.url, json=body, timeout=60)
        if response.ok:
            self.conversation_id = response.json()["conversation_id"]
        return response

    def say(self, text: str) -> list[dict]:
        response = self.send(text)
        assert response.status_code == 200, response.text
        return response.json()["messages"]


def user_texts(stack: RunningStack, sender: str) -> list[str]:
    import json

    with sqlite3.connect(stack.env["TRACKER_DB"]) as connection:
        rows = connection.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
            [sender],
        ).fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


def hold_write_lock(path: str, seconds: float, held: threading.Event) -> None:
    """Another connection holds the tracker store's write lock (as a long purge could)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def test_a_turn_that_cannot_be_stored_fails_with_503_and_is_stored_when_sent_again(stack):
    patient = Conversation(stack)
    patient.say("Hi, I'd like to refer myself about my knee")
    sender = patient.conversation_id[:32]
    held = threading.Event()
    locker = threading.Thread(
        target=hold_write_lock, args=(stack.env["TRACKER_DB"], 9.0, held), daemon=True
    )
    locker.start()
    assert held.wait(5)
    refused = patient.send("yes please")
    locker.join()

    assert refused.status_code == 503, "a turn that was not stored must not look answered"
    assert "again" in refused.json()["error"]
    rasa_logs = " ".join(
        path.read_text(errors="replace") for path in Path(stack.env["LOG_DIR"]).glob("rasa*.log")
    )
    assert f"could not save conversation {sender}" in rasa_logs, "the tracker store said why"
    assert f"turn of conversation {sender} failed: save" in rasa_logs, "and the channel failed it"
    assert "yes please" not in user_texts(stack, sender), "nothing half-stored"
    rasa_urls = [f"http://127.0.0.1:{port}" for port in stack.rasa_ports]
    holder = rasa_urls[int(sender, 16) % len(rasa_urls)]  # the gateway's choice of process
    health = requests.get(f"{holder}/webhooks/rest/", timeout=5)
    assert health.status_code == 503 and "failed" in health.json()["status"]
    overall = requests.get(stack.url("WEB_PORT", "/healthz"), timeout=10).json()
    assert overall["status"] == "degraded"
    assert [p["ok"] for p in overall["rasa"]].count(False) == 1

    replies = patient.say("yes please")  # the patient sends it again: it is taken
    assert replies
    assert user_texts(stack, sender)[-1] == "yes please"
    assert all(
        requests.get(f"{url}/webhooks/rest/", timeout=5).status_code == 200 for url in rasa_urls
    ), "healthy again once a save works"
    assert requests.get(stack.url("WEB_PORT", "/healthz"), timeout=10).json()["rasa"] == [
        {"process": n, "ok": True, "status": "ok"} for n in range(1, len(rasa_urls) + 1)
    ]


def test_the_rasa_channel_and_the_action_server_refuse_calls_without_their_token(stack):
    made_up = {"sender": "made-up", "message": "hello"}
    no_token = requests.post(stack.url("RASA_PORT", "/webhooks/rest/webhook"), json=made_up)
    wrong = requests.post(
        stack.url("RASA_PORT", "/webhooks/rest/webhook"),
        json=made_up,
        headers={"Authorization": "Bearer not-the-token-at-all-0123456789"},
    )
    assert (no_token.status_code, wrong.status_code) == (401, 401)
    health = requests.get(
        stack.url("RASA_PORT", "/webhooks/rest/"),
        headers={"Authorization": "Bearer not-the-token-at-all-0123456789"},
    )
    assert health.status_code == 401, "a gateway with a wrong token hears so from its health check"

    tracker = {"sender_id": "made-up", "slots": {}, "latest_message": {}, "events": []}
    call = {"next_action": "action_submit_referral", "sender_id": "made-up", "tracker": tracker,
            "domain": {}, "version": "3.6.21"}  # fmt: skip
    refused = requests.post(stack.url("ACTION_PORT", "/webhook"), json=call, timeout=10)
    assert refused.status_code == 401
    assert requests.get(stack.url("ACTION_PORT", "/health"), timeout=5).status_code == 200


def test_no_patient_detail_reaches_any_log_and_every_private_file_is_private(stack):
    patient = Conversation(stack)
    patient.say(TYPICAL.opening)
    held = threading.Event()
    locker = threading.Thread(
        target=hold_write_lock, args=(stack.env["TRACKER_DB"], 9.0, held), daemon=True
    )
    locker.start()
    assert held.wait(5)
    assert patient.send(DETAILS_MESSAGE).status_code == 503  # a turn Rasa could not handle
    locker.join()
    patient.say(DETAILS_MESSAGE)  # and the same words in a turn that works
    outcome = complete_referral(patient.say, TYPICAL, max_messages=40)
    assert outcome.completed, outcome

    logs = sorted(Path(stack.env["LOG_DIR"]).glob("*.log"))
    assert {path.name for path in logs} >= {"action-server.log", "rasa.log", "web.log"}
    for path in logs:
        text = path.read_text(errors="replace").lower()
        found = [detail for detail in PERSONAL if detail.lower() in text]
        assert not found, f"{path.name} holds {found}"

    state = Path(stack.env["TRACKER_DB"]).parent
    private = [Path(stack.env[name]) for name in ("INTAKE_DB", "TRACKER_DB", "OUTBOX_DB")]
    for path in [*private, *logs]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    for folder in (state, Path(stack.env["LOG_DIR"])):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder.name
