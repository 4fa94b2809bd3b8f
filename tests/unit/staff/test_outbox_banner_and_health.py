"""How many referrals wait in the action server's outbox, and for how long, is shown to staff
(a banner on the queue) and to monitoring (/healthz): read from the outbox file, read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import outbox
from intake import outbox_status
from tests.unit.staff.conftest import make_staff_app
from tests.unit.staff.outbox_rows import put

ZEROS = {
    "pending": 0,
    "oldest_pending_seconds": 0,
    "token_refused": 0,
    "dead_letter": 0,
    "rejected": 0,
    "need_operator": 0,
}
RASA_UP = [{"process": 1, "ok": True, "status": "ok"}]


@pytest.fixture(autouse=True)
def rasa_answers(monkeypatch):
    """Rasa's part of /healthz is tested in test_chat_gateway.py; here it is up."""
    monkeypatch.setattr("intake.chat_gateway.rasa_health", lambda: RASA_UP)


def test_a_refused_token_is_read_as_the_outbox_records_it():
    assert {f"HTTP {status}" for status in outbox.TOKEN_REFUSALS} == set(
        outbox_status.TOKEN_REFUSED
    )


def test_the_statuses_are_the_ones_the_outbox_writes():
    assert (outbox_status.PENDING, outbox_status.DELIVERED) == (outbox.PENDING, outbox.DELIVERED)
    assert (outbox_status.REJECTED, outbox_status.DEAD_LETTER) == (
        outbox.REJECTED,
        outbox.DEAD_LETTER,
    )


def test_health_without_an_outbox_file_is_ok_with_zeros(staff_app, anonymous, tmp_path):
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "rasa": RASA_UP, "outbox": ZEROS}
    assert not (tmp_path / "outbox.db").exists()  # read, never made


def test_health_counts_what_waits_and_is_ok_while_it_is_recent(staff_app, anonymous, tmp_path):
    put(tmp_path / "outbox.db", "MIS-WAIT-0001", "pending", age=timedelta(seconds=30))
    put(tmp_path / "outbox.db", "MIS-DONE-0001", "delivered", age=timedelta(days=2))
    body = anonymous.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["outbox"]["pending"] == 1
    assert 30 <= body["outbox"]["oldest_pending_seconds"] < 90


@pytest.mark.parametrize(
    ("status", "age", "last_error", "counted"),
    [
        ("pending", timedelta(hours=2), "ConnectionError", "pending"),
        ("pending", timedelta(seconds=5), "HTTP 401", "token_refused"),
        (outbox.DEAD_LETTER, timedelta(seconds=5), "HTTP 503", "dead_letter"),
        ("rejected", timedelta(seconds=5), "HTTP 422", "rejected"),
    ],
)
def test_health_is_degraded_but_up_when_something_waits_too_long_or_failed(
    staff_app, anonymous, tmp_path, status, age, last_error, counted
):
    put(tmp_path / "outbox.db", "MIS-LATE-0001", status, age=age, last_error=last_error)
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["outbox"][counted] == 1
    assert "MIS-" not in response.text and "Sam" not in response.text  # counts only


def test_how_long_is_too_long_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTBOX_ALERT_SECONDS", "10800")
    app = make_staff_app(tmp_path, monkeypatch)
    put(tmp_path / "outbox.db", "MIS-LATE-0001", "pending", age=timedelta(hours=2))
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "ok"
    assert 7200 <= body["outbox"]["oldest_pending_seconds"] < 7300


def test_the_queue_tells_staff_what_waits_and_what_failed(staff_app, clinician, tmp_path):
    path = tmp_path / "outbox.db"
    put(path, "MIS-WAIT-0001", "pending", age=timedelta(hours=3, minutes=5))
    put(path, "MIS-WAIT-0002", "pending", age=timedelta(minutes=1))
    put(path, "esc-1", "pending", kind="escalation", age=timedelta(minutes=20))
    put(path, "MIS-DEAD-0001", outbox.DEAD_LETTER, age=timedelta(days=1))
    put(path, "MIS-REFU-0001", "rejected", age=timedelta(days=1), last_error="HTTP 422")
    put(path, "MIS-DONE-0001", "delivered", age=timedelta(days=1))
    page = " ".join(clinician.get("/staff/queue").text.split())
    assert "2 referrals are waiting to be delivered, the oldest for 3 hours" in page
    assert "1 escalation record is waiting to be delivered, the oldest for 20 minutes" in page
    assert "2 failed and need an operator" in page
    assert "Sam Sample" not in page  # the outbox's bodies are not shown


def test_a_refused_token_is_named_on_the_queue(staff_app, clinician, tmp_path):
    put(tmp_path / "outbox.db", "MIS-WAIT-0001", "pending", last_error="HTTP 403")
    page = " ".join(clinician.get("/staff/queue").text.split())
    assert "1 referral is waiting to be delivered" in page
    assert "INTAKE_API_TOKEN" in page


def test_no_banner_when_nothing_waits(staff_app, clinician, tmp_path):
    assert "waiting to be delivered" not in clinician.get("/staff/queue").text
    put(tmp_path / "outbox.db", "MIS-DONE-0001", "delivered")
    page = clinician.get("/staff/queue").text
    assert "waiting to be delivered" not in page and "need an operator" not in page


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(5, "5 seconds"), (60, "1 minute"), (150, "2 minutes"), (7200, "2 hours"),
     (3 * 86400 + 5, "3 days"), (86400, "24 hours")],
)  # fmt: skip
def test_how_long_reads_naturally(seconds, said):
    assert outbox_status.how_long(seconds) == said
