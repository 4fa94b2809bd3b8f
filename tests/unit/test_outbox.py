"""The action server's outbox: written before the patient is told, delivered exactly once.

The intake API here is the real app served over HTTP on a loopback port (started late, or
never, to play "intake is down"); the outbox is a real SQLite file in the test's folder.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher
from werkzeug.serving import make_server

from bot import outbox
from bot.actions.escalation import ActionEscalateRedFlag
from bot.actions.submission import ActionSubmitReferral
from tests.conftest import TEST_TOKEN, make_tracker
from tests.support.referral_slots import COMPLETE

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Intake:
    """The intake app over real HTTP on a fixed port, started and stopped at will.

    Counts the POSTs that reach it, to show that each record is sent once.
    """

    def __init__(self, app, port: int) -> None:
        self.app, self.port = app, port
        self.url = f"http://127.0.0.1:{port}"
        self.posts: list[str] = []
        self.server = None

    def _counting(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            self.posts.append(environ["PATH_INFO"])
        return self.app(environ, start_response)

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self._counting, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.url}{path}", headers=AUTH, timeout=5)


@pytest.fixture
def intake(app, monkeypatch) -> Iterator[Intake]:
    """Not started: a test starts it when intake should be up."""
    server = Intake(app, free_port())
    monkeypatch.setenv("INTAKE_URL", server.url)
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("OUTBOX_RETRY_BASE_SECONDS", "0.2")
    monkeypatch.setenv("OUTBOX_RETRY_MAX_SECONDS", "0.5")
    monkeypatch.setenv("OUTBOX_POLL_SECONDS", "0.5")
    yield server
    outbox.stop_all()
    server.stop()


def outbox_rows(tmp_path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(tmp_path / "outbox.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM outbox ORDER BY created_at")]
    finally:
        conn.close()


def submit(slots: dict[str, Any] | None = None) -> tuple[list[dict], list[dict]]:
    """Run action_submit_referral as the action server would: (messages, events)."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({**COMPLETE, **(slots or {})}, sender="conv-outbox")
    events = asyncio.run(ActionSubmitReferral().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def marker(messages: list[dict]) -> dict[str, str]:
    [found] = [m["custom"]["referral"] for m in messages if "referral" in (m.get("custom") or {})]
    return found


def wait_for(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_with_intake_up_the_referral_is_sent_at_once_and_the_outbox_forgets_its_body(
    intake, tmp_path
):
    intake.start()
    messages, events = submit()
    sent = marker(messages)
    assert sent["status"] == "submitted"
    assert [m.get("response") for m in messages][:2] == [
        "utter_referral_submitted",
        "utter_what_happens_next",
    ]
    assert {"event": "slot", "name": "referral_reference", "value": sent["reference"]} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events
    ]
    stored = intake.get(f"/api/v1/referrals/{sent['reference']}")
    assert stored.status_code == 200
    assert stored.json()["referral"]["patient"]["full_name"] == COMPLETE["full_name"]
    [row] = outbox_rows(tmp_path)
    assert (row["status"], row["attempts"], row["body"]) == ("delivered", 1, None)


@pytest.mark.parametrize(
    "slots",
    [
        {"communication_needs": "deaf in one ear, please text"},
        {"communication_needs_stated": "Hi, I'm deaf so no phone calls please"},
    ],
)
def test_a_patient_who_told_us_of_a_need_to_talk_with_us_is_not_told_it_will_be_by_phone(
    intake, slots
):
    """A deaf tester was told "they will contact you, usually by phone"."""
    intake.start()
    messages, _ = submit(slots)
    said = [m.get("response") for m in messages]
    assert "utter_what_happens_next_with_needs" in said and "utter_what_happens_next" not in said


def test_with_intake_down_the_patient_is_told_it_is_safe_and_queued(intake, tmp_path):
    messages, events = submit()
    queued = marker(messages)
    assert queued["status"] == "queued"
    first = messages[0]
    assert first["response"] == "utter_referral_queued"
    assert first["reference"] == queued["reference"]
    [row] = outbox_rows(tmp_path)
    assert row["status"] == "pending" and row["record_id"] == queued["reference"]
    assert json.loads(row["body"])["patient"]["full_name"] == COMPLETE["full_name"]
    assert row["last_error"] == "ConnectionError"  # what went wrong, never what was sent


def test_the_wording_for_a_queued_referral_says_it_is_safe_and_gives_the_reference():
    import yaml

    with open("content/responses.yml") as file:
        [variant] = yaml.safe_load(file)["responses"]["utter_referral_queued"]
    assert "{reference}" in variant["text"]
    assert "safe" in variant["text"] and "queue" in variant["text"]


def test_a_queued_referral_is_delivered_once_when_intake_comes_back(intake, tmp_path):
    messages, _ = submit()
    reference = marker(messages)["reference"]
    time.sleep(0.5)  # a few failed retries with intake still down
    assert outbox_rows(tmp_path)[0]["attempts"] >= 2
    intake.start()
    wait_for(lambda: outbox_rows(tmp_path)[0]["status"] == "delivered")
    assert intake.get(f"/api/v1/referrals/{reference}").status_code == 200
    time.sleep(1.2)  # the worker keeps running: nothing is sent again
    assert intake.posts == ["/api/v1/referrals"]
    assert len(intake.get("/api/v1/referrals").json()["referrals"]) == 1


def test_the_same_referral_confirmed_twice_is_sent_once(intake, tmp_path):
    intake.start()
    first, _ = submit()
    reference = marker(first)["reference"]
    again, _ = submit({"referral_reference": reference})
    assert marker(again) == {"reference": reference, "status": "submitted"}
    assert intake.posts == ["/api/v1/referrals"]
    assert len(outbox_rows(tmp_path)) == 1


def test_a_changed_referral_under_a_used_reference_gets_a_new_reference(intake, tmp_path):
    intake.start()
    first, _ = submit()
    reference = marker(first)["reference"]
    changed, _ = submit({"referral_reference": reference, "phone": "07700 900456"})
    new = marker(changed)
    assert new["status"] == "submitted" and new["reference"] != reference
    stored = intake.get(f"/api/v1/referrals/{new['reference']}").json()
    assert stored["referral"]["patient"]["phone"] == "07700 900456"
    assert intake.get(f"/api/v1/referrals/{reference}").status_code == 200


def test_a_referral_the_api_refuses_for_good_is_kept_and_the_patient_told_to_phone(
    intake, tmp_path
):
    intake.start()
    messages, events = submit({"consent": False})  # the intake API refuses it: 422
    assert [m.get("response") for m in messages] == ["utter_referral_not_delivered"]
    assert "phone" in messages[0]
    assert not any(e.get("name") == "referral_reference" for e in events)
    [row] = outbox_rows(tmp_path)
    assert (row["status"], row["last_error"]) == ("rejected", "HTTP 422")
    assert row["body"] is not None  # kept for an operator


def test_a_wrong_token_is_retried_not_given_up(intake, tmp_path, monkeypatch):
    monkeypatch.setenv("INTAKE_API_TOKEN", "not-the-token-not-the-token")
    intake.start()
    messages, _ = submit()
    assert marker(messages)["status"] == "queued"
    assert outbox_rows(tmp_path)[0]["last_error"] == "HTTP 401"
    time.sleep(0.6)
    assert outbox_rows(tmp_path)[0]["status"] == "pending"


def test_when_the_outbox_cannot_be_written_nothing_is_promised(intake, tmp_path, monkeypatch):
    monkeypatch.setenv("OUTBOX_DB", str(tmp_path))  # a folder, not a file
    intake.start()
    messages, _ = submit()
    assert [m.get("response") for m in messages] == ["utter_referral_not_delivered"]
    assert intake.posts == []


def test_an_escalation_with_intake_down_is_queued_and_delivered_later(intake, tmp_path):
    tracker = make_tracker(
        {"requested_slot": "pain_score"},
        text="...",
        intent="red_flag",
        entities=[{"entity": "red_flag", "value": "cauda_equina"}],
        sender="conv-escalation",
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionEscalateRedFlag().run(dispatcher, tracker, {}))
    assert dispatcher.messages[-1]["custom"]["escalation"]["level"] == "emergency"
    [row] = outbox_rows(tmp_path)
    assert (row["kind"], row["status"]) == ("escalation", "pending")
    intake.start()
    wait_for(lambda: outbox_rows(tmp_path)[0]["status"] == "delivered")
    [stored] = intake.get("/api/v1/escalations").json()["escalations"]
    assert (stored["conversation_id"], stored["code"]) == ("conv-escalation", "cauda_equina")


def test_many_deliverers_on_one_outbox_send_each_record_once(intake, tmp_path):
    """Several threads (or action-server processes) share the file: claims keep them apart."""
    box = outbox.Outbox(tmp_path / "outbox.db", intake.url, TEST_TOKEN)
    references = [f"MIS-0000-{index:04d}" for index in range(20)]
    for reference in references:
        body = {**make_referral_body(), "reference": reference}
        assert box.add("referral", reference, body) == outbox.ADDED
    make_all_due(tmp_path)  # as if the process that added them died before its first try
    intake.start()
    boxes = [outbox.Outbox(tmp_path / "outbox.db", intake.url, TEST_TOKEN) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        delivered = sum(pool.map(lambda each: each.deliver_due(), boxes))
    assert delivered == 20
    assert sorted(intake.posts) == ["/api/v1/referrals"] * 20
    assert box.counts() == {"delivered": 20}


def make_all_due(tmp_path) -> None:
    conn = sqlite3.connect(tmp_path / "outbox.db")
    with conn:
        conn.execute("UPDATE outbox SET next_attempt_at = 0")
    conn.close()


def test_a_record_whose_first_try_never_happened_is_taken_over_by_the_worker(intake, tmp_path):
    """The process wrote the row and died before trying: the next worker delivers it."""
    box = outbox.Outbox(tmp_path / "outbox.db", intake.url, TEST_TOKEN)
    box.add("referral", "MIS-0000-0001", {**make_referral_body(), "reference": "MIS-0000-0001"})
    assert box.due() == []  # reserved for the adder's own first try, for a few seconds
    make_all_due(tmp_path)
    intake.start()
    outbox.start_delivery(box)
    wait_for(lambda: box.status("referral", "MIS-0000-0001") == outbox.DELIVERED)
    assert intake.posts == ["/api/v1/referrals"]


def make_referral_body() -> dict[str, Any]:
    from bot.actions.submission import build_referral

    return build_referral(make_tracker(dict(COMPLETE)), "MIS-0000-0000")


def test_the_backoff_doubles_up_to_its_cap():
    backoff = outbox.Backoff(base_seconds=2, max_seconds=30)
    delays = [backoff.delay(attempts) for attempts in range(1, 8)]
    for delay, exact in zip(delays, [2, 4, 8, 16, 30, 30, 30], strict=True):
        assert 0.8 * exact <= delay <= exact


def test_a_rebuilt_copy_of_a_record_is_the_same_content():
    body = make_referral_body()
    assert outbox.content_digest(body) == outbox.content_digest(
        {**body, "submitted_at": "2030-01-01T00:00:00+00:00"}
    )
    assert outbox.content_digest(body) != outbox.content_digest({**body, "consent": False})


def test_a_retried_submission_of_the_same_conversation_is_the_same_referral(intake, tmp_path):
    """Once, the same tracker posted twice to action_submit_referral stored two referrals with
    different references: the reference now comes from the conversation and the referral's
    number in it."""
    intake.start()
    first, _ = submit()
    retried, _ = submit()  # the same tracker again: no reference slot was saved
    assert marker(first) == marker(retried)
    assert intake.posts == ["/api/v1/referrals"]
    assert len(intake.get("/api/v1/referrals").json()["referrals"]) == 1


def test_a_second_problem_in_the_same_conversation_gets_its_own_reference():
    from bot.actions.submission import reference_for, referrals_sent_before

    first = reference_for("conv-outbox", 0)
    assert re.fullmatch(r"MIS-[0-9A-Z]{4}-[0-9A-Z]{4}", first)
    assert reference_for("conv-outbox", 0) == first
    assert reference_for("conv-outbox", 1) != first
    assert reference_for("another-conversation", 0) != first
    sent = [{"event": "action", "name": "action_submit_referral"}]
    assert referrals_sent_before(make_tracker({}, events=sent)) == 1


def test_a_referral_dead_lettered_at_its_first_try_is_not_promised(intake, tmp_path, monkeypatch):
    monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("INTAKE_URL", "http://127.0.0.1:9")  # nothing answers: not delivered
    messages, _ = submit()
    assert [m.get("response") for m in messages] == ["utter_referral_not_delivered"]
    assert outbox_rows(tmp_path)[0]["status"] == "dead_letter"


def test_the_action_server_alone_forgets_delivered_records_after_its_keep_days(tmp_path):
    """One owner deletes delivered rows: the action server (OUTBOX_KEEP_DAYS); the retention
    command leaves them (tests/unit/staff/test_retention_outbox_and_abandoned.py)."""
    box = outbox.Outbox(tmp_path / "outbox.db", "http://127.0.0.1:9", TEST_TOKEN)
    for record_id, age_days in (("old", 40), ("new", 5)):
        box.add("referral", record_id, {"reference": record_id})
        delivered_at = time.strftime(
            "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - age_days * 86400)
        )
        with sqlite3.connect(box.path) as conn:
            conn.execute(
                "UPDATE outbox SET status = ?, body = NULL, delivered_at = ? WHERE record_id = ?",
                [outbox.DELIVERED, delivered_at, record_id],
            )
    pending = box.add("referral", "waiting", {"reference": "waiting"})
    assert pending == outbox.ADDED
    assert box.prune(keep_days=30) == 1
    assert box.counts() == {outbox.DELIVERED: 1, outbox.PENDING: 1}
