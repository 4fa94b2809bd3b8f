"""The outbox gives up in bounded time: at once on an answer that will never change, after
OUTBOX_MAX_ATTEMPTS tries otherwise, and never on a refused token (a configuration fault,
retried and logged as an error). Its log lines name the record, never what it says.

The intake API here is a stub over real HTTP answering whatever status a test sets.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from bot import outbox
from tests.unit.test_outbox import free_port, make_all_due, make_referral_body

REFERENCE = "MIS-DEAD-0001"


class StatusStub:
    """Answers every POST with `status` (201 stores it); counts the POSTs."""

    def __init__(self) -> None:
        self.status = 503
        self.posts = 0
        self.url = f"http://127.0.0.1:{free_port()}"
        port = int(self.url.rsplit(":", 1)[1])
        self.server = make_server("127.0.0.1", port, self._answer, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _answer(self, environ, start_response):
        self.posts += 1
        return Response("{}", status=self.status, mimetype="application/json")(
            environ, start_response
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[StatusStub]:
    server = StatusStub()
    yield server
    server.close()


def make_box(tmp_path, stub: StatusStub, max_attempts: int | None = None) -> outbox.Outbox:
    limit = {} if max_attempts is None else {"max_attempts": max_attempts}
    box = outbox.Outbox(
        tmp_path / "outbox.db", stub.url, "a-token-for-the-stub-only", outbox.Backoff(0.01, 0.01),
        **limit,
    )  # fmt: skip
    box.add("referral", REFERENCE, {**make_referral_body(), "reference": REFERENCE})
    return box


def row(tmp_path) -> dict:
    conn = sqlite3.connect(tmp_path / "outbox.db")
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM outbox").fetchone())
    finally:
        conn.close()


def try_again(box: outbox.Outbox, tmp_path) -> str:
    make_all_due(tmp_path)
    box.deliver_due()
    return box.status("referral", REFERENCE)


@pytest.mark.parametrize("status", [400, 404, 405, 409, 410, 413, 415, 422])
def test_an_answer_that_will_never_change_rejects_the_record_at_once(stub, tmp_path, status):
    """409: the API already holds this reference with a different body; that stays so."""
    stub.status = status
    box = make_box(tmp_path, stub)
    assert box.deliver("referral", REFERENCE) == outbox.REJECTED
    assert try_again(box, tmp_path) == outbox.REJECTED
    assert stub.posts == 1
    stored = row(tmp_path)
    assert stored["last_error"] == f"HTTP {status}" and stored["body"] is not None


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503])
def test_an_answer_that_may_change_is_retried(stub, tmp_path, status):
    stub.status = status
    box = make_box(tmp_path, stub)
    assert box.deliver("referral", REFERENCE) == outbox.PENDING
    assert try_again(box, tmp_path) == outbox.PENDING
    assert stub.posts == 2


def test_after_the_last_allowed_try_the_record_is_dead_lettered_and_kept(stub, tmp_path, caplog):
    box = make_box(tmp_path, stub, max_attempts=3)
    assert box.deliver("referral", REFERENCE) == outbox.PENDING
    assert try_again(box, tmp_path) == outbox.PENDING
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        assert try_again(box, tmp_path) == outbox.DEAD_LETTER
    assert try_again(box, tmp_path) == outbox.DEAD_LETTER  # no longer tried
    assert stub.posts == 3
    stored = row(tmp_path)
    assert (stored["attempts"], stored["last_error"]) == (3, "HTTP 503")
    assert json.loads(stored["body"])["reference"] == REFERENCE  # kept for an operator
    assert box.due() == [] and box.seconds_until_due() is None
    assert any(
        r.levelno == logging.ERROR and REFERENCE in r.getMessage() and "3" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_retried_past_the_limit_and_logged_as_an_error(
    stub, tmp_path, caplog, status
):
    stub.status = status
    box = make_box(tmp_path, stub, max_attempts=2)
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        statuses = [box.deliver("referral", REFERENCE)] + [
            try_again(box, tmp_path) for _ in range(3)
        ]
    assert statuses == [outbox.PENDING] * 4
    stored = row(tmp_path)
    assert (stored["attempts"], stored["last_error"]) == (4, f"HTTP {status}")
    refusals = [r for r in caplog.records if f"HTTP {status}" in r.getMessage()]
    assert len(refusals) == 4 and all(r.levelno == logging.ERROR for r in refusals)
    assert all("INTAKE_API_TOKEN" in r.getMessage() for r in refusals)
    stub.status = 201  # the token is put right: the record goes through
    assert try_again(box, tmp_path) == outbox.DELIVERED


def test_log_lines_name_the_record_and_never_what_it_says(stub, tmp_path, caplog):
    body = make_referral_body()
    patient = body["patient"]
    secrets = [patient[key] for key in ("full_name", "phone", "postcode", "date_of_birth")]
    with caplog.at_level(logging.DEBUG, logger="bot.outbox"):
        for status in (503, 401, 422):
            stub.status = status
            box = make_box(tmp_path / str(status), stub, max_attempts=2)
            box.deliver("referral", REFERENCE)
            make_all_due(tmp_path / str(status))
            box.deliver_due()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.outbox"]
    assert lines and all(REFERENCE in line for line in lines)
    for line in lines:
        assert not any(secret in line for secret in secrets)
        assert "{" not in line  # no JSON of the record
    assert any("HTTP 503" in line and "attempt 2" in line for line in lines)


def test_the_limit_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OUTBOX_DB", str(tmp_path / "outbox.db"))
    monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", "7")
    try:
        assert outbox.from_env().max_attempts == 7
        monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", "0")  # nonsense: at least one try
        assert outbox.from_env().max_attempts == 1
        monkeypatch.delenv("OUTBOX_MAX_ATTEMPTS")
        assert outbox.from_env().max_attempts == outbox.DEFAULT_MAX_ATTEMPTS == 100
    finally:
        outbox.stop_all()
