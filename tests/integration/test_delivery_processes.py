"""Nothing is lost, with real processes: intake down, the referral is queued; intake up, it is
delivered exactly once, also after the action server restarted in between.

The action server is the real one (`python -m rasa_sdk --actions bot.actions`), called on its
/webhook as the Rasa server calls it; the intake web app is the real one under gunicorn, on a
port that nothing listens on until the test starts it. Retry backoff is shortened by
environment so the whole test takes seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from scripts.layout import ROOT
from tests.conftest import TEST_SECRET_KEY, TEST_TOKEN
from tests.support.referral_slots import COMPLETE

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
ACTION_TOKEN = "test-action-server-token-not-a-secret"
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(requests.RequestException):
            result = check()
            if result:
                return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Process:
    """A child process in its own group, logging to a file; stopped with SIGTERM."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def check_running(self) -> None:
        if self.popen.poll() is not None:
            raise AssertionError(f"{self.name} exited: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


class Setting:
    """Ports, files and environment shared by the processes of one test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.web_port, self.action_port = free_port(), free_port()
        self.intake_url = f"http://127.0.0.1:{self.web_port}"
        self.outbox_db = tmp / "outbox.db"
        self.access_log = tmp / "access.log"
        self.env = {
            **os.environ,
            "INTAKE_URL": self.intake_url,
            "INTAKE_API_TOKEN": TEST_TOKEN,
            "FLASK_SECRET_KEY": TEST_SECRET_KEY,
            "INTAKE_DB": str(tmp / "intake.db"),
            "TRACKER_DB": str(tmp / "tracker.db"),
            "OUTBOX_DB": str(self.outbox_db),
            "ACTION_SERVER_TOKEN": ACTION_TOKEN,
            "OUTBOX_RETRY_BASE_SECONDS": "0.3",
            "OUTBOX_RETRY_MAX_SECONDS": "1",
            "OUTBOX_POLL_SECONDS": "1",
            "SANIC_HOST": "127.0.0.1",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }
        self.processes: list[Process] = []

    def start_action_server(self) -> Process:
        command = [sys.executable, "-m", "bot.runtime.action_server", "--actions", "bot.actions",
                   "--port", str(self.action_port)]  # fmt: skip
        server = Process("action server", command, self.env, self.tmp / "actions.log")
        self.processes.append(server)

        def healthy() -> bool:
            server.check_running()
            url = f"http://127.0.0.1:{self.action_port}/health"
            return requests.get(url, timeout=2).status_code == 200

        wait_for(healthy, START_SECONDS, "the action server")
        return server

    def start_intake(self) -> Process:
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.web_port}",
                   "--workers", "2", "--access-logfile", str(self.access_log),
                   "intake.wsgi:app"]  # fmt: skip
        web = Process("intake", command, self.env, self.tmp / "intake.log")
        self.processes.append(web)

        def healthy() -> bool:
            web.check_running()
            return requests.get(f"{self.intake_url}/healthz", timeout=2).status_code == 200

        wait_for(healthy, START_SECONDS, "the intake web app")
        return web

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def run_action(self, action: str, slots: dict[str, Any], sender: str, **message) -> dict:
        """Call the action server as the Rasa server does, with the conversation's tracker."""
        tracker = {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {
                "text": message.get("text", "yes"),
                "intent": {"name": message.get("intent", "affirm"), "confidence": 1.0},
                "entities": message.get("entities", []),
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
        response = requests.post(
            f"http://127.0.0.1:{self.action_port}/webhook",
            json={
                "next_action": action,
                "sender_id": sender,
                "tracker": tracker,
                "domain": {},
                "version": "3.6.21",
            },  # fmt: skip
            headers={"Authorization": f"Bearer {ACTION_TOKEN}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def outbox(self) -> list[dict[str, Any]]:
        conn = sqlite3.connect(self.outbox_db)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in conn.execute("SELECT * FROM outbox ORDER BY kind")]
        finally:
            conn.close()

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.intake_url}{path}", headers=AUTH, timeout=5)

    def posts_logged(self, path: str) -> list[str]:
        """Access-log lines of POSTs to `path` that the intake web app answered."""
        if not self.access_log.exists():
            return []
        return [line for line in self.access_log.read_text().splitlines()
                if f'"POST {path} ' in line]  # fmt: skip


@pytest.fixture
def setting(tmp_path) -> Iterator[Setting]:
    running = Setting(tmp_path)
    yield running
    running.stop_all()


def referral_marker(reply: dict) -> dict[str, str]:
    [marker] = [
        r["custom"]["referral"] for r in reply["responses"] if "referral" in (r.get("custom") or {})
    ]
    return marker


def submit_referral(setting: Setting, sender: str) -> tuple[dict, dict[str, str]]:
    reply = setting.run_action("action_submit_referral", dict(COMPLETE), sender)
    return reply, referral_marker(reply)


def test_queued_while_intake_is_down_then_delivered_once_after_an_action_server_restart(
    setting,
):
    actions = setting.start_action_server()
    reply, marker = submit_referral(setting, "conv-sam-sample")
    assert marker["status"] == "queued"
    reference = marker["reference"]
    queued = [r for r in reply["responses"] if r.get("response") == "utter_referral_queued"]
    assert queued and queued[0]["reference"] == reference  # the wording gets the reference
    assert {"event": "slot", "name": "referral_reference", "value": reference} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in reply["events"]
    ]
    setting.run_action(
        "action_escalate_red_flag",
        {"requested_slot": "pain_score"},
        "conv-other-patient",
        text="...",
        intent="red_flag",
        entities=[{"entity": "red_flag", "value": "cauda_equina"}],
    )
    assert [(row["kind"], row["status"]) for row in setting.outbox()] == [
        ("escalation", "pending"),
        ("referral", "pending"),
    ]

    actions.stop()  # pending records survive the restart: they are on disk
    assert [row["status"] for row in setting.outbox()] == ["pending", "pending"]
    setting.start_action_server()
    setting.start_intake()

    stored = wait_for(
        lambda: (
            setting.get(f"/api/v1/referrals/{reference}").status_code == 200
            and setting.get(f"/api/v1/referrals/{reference}").json()
        ),
        20,
        "the queued referral to arrive",
    )
    assert stored["referral"]["patient"]["full_name"] == COMPLETE["full_name"]
    assert stored["referral"]["conversation_id"] == "conv-sam-sample"
    escalations = wait_for(
        lambda: setting.get("/api/v1/escalations").json()["escalations"], 20, "the escalation"
    )
    assert [(e["conversation_id"], e["code"]) for e in escalations] == [
        ("conv-other-patient", "cauda_equina")
    ]
    wait_for(lambda: all(row["status"] == "delivered" for row in setting.outbox()), 10, "delivered")
    assert all(row["body"] is None for row in setting.outbox())

    time.sleep(2.5)  # the worker goes on polling: nothing is sent again
    assert len(setting.posts_logged("/api/v1/referrals")) == 1
    assert len(setting.posts_logged("/api/v1/escalations")) == 1
    assert len(setting.get("/api/v1/referrals").json()["referrals"]) == 1

    # The patient confirms again (the same referral): told it is sent, and it is not re-sent.
    slots = {**COMPLETE, "referral_reference": reference}
    again = referral_marker(setting.run_action("action_submit_referral", slots, "conv-sam-sample"))
    assert again == {"reference": reference, "status": "submitted"}
    assert len(setting.posts_logged("/api/v1/referrals")) == 1


def test_queued_while_intake_is_down_then_delivered_once_by_the_running_action_server(setting):
    setting.start_action_server()
    _, marker = submit_referral(setting, "conv-alex-example")
    assert marker["status"] == "queued"
    time.sleep(1)  # let it fail a few more times with backoff
    [row] = setting.outbox()
    assert row["status"] == "pending" and row["attempts"] >= 2
    setting.start_intake()
    wait_for(
        lambda: setting.get(f"/api/v1/referrals/{marker['reference']}").status_code == 200,
        20,
        "the queued referral to arrive",
    )
    wait_for(lambda: setting.outbox()[0]["status"] == "delivered", 10, "marked delivered")
    time.sleep(2.5)
    assert len(setting.posts_logged("/api/v1/referrals")) == 1
    # And with intake up, the next referral is sent at once.
    _, second = submit_referral(setting, "conv-jo-bloggs")
    assert second["status"] == "submitted"
    assert len(setting.get("/api/v1/referrals").json()["referrals"]) == 2
    # The same tracker posted again (a retried call: the reference was never saved) is the
    # same referral, not a third one (once it stored another under a new reference).
    _, retried = submit_referral(setting, "conv-jo-bloggs")
    assert retried["reference"] == second["reference"]
    assert len(setting.get("/api/v1/referrals").json()["referrals"]) == 2
