"""Shared fixtures: a web app on a temporary database, and tracker builders for actions."""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker

from intake import create_app

# The action server's outbox (bot/outbox.py) never lives in var/ during tests: records that
# tests queue must not be delivered later to a real intake database.
os.environ["OUTBOX_DB"] = str(Path(tempfile.mkdtemp(prefix="outbox-")) / "outbox.db")


@pytest.fixture(autouse=True)
def _own_outbox(tmp_path, monkeypatch):
    """Each test queues into its own outbox file."""
    monkeypatch.setenv("OUTBOX_DB", str(tmp_path / "outbox.db"))


FOLDER_MARKERS = {"unit": ("unit",), "integration": ("integration", "slow"),
                  "browser": ("browser", "slow")}  # fmt: skip


FOLDER_ORDER = ("unit", "integration", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its folder (tests/unit, tests/integration, tests/browser) and run the
    folders in that order: Playwright's sync API leaves an event loop running in the main
    thread, which later asyncio.run() calls in units cannot share."""
    here = Path(__file__).parent

    def folder(item: pytest.Item) -> str:
        return item.path.relative_to(here).parts[0]

    for item in items:
        for name in FOLDER_MARKERS.get(folder(item), ()):
            item.add_marker(name)
    rank = {name: index for index, name in enumerate(FOLDER_ORDER)}
    items.sort(key=lambda item: rank.get(folder(item), len(rank)))


TEST_TOKEN = "test-token-not-a-secret-0123456789"
TEST_SECRET_KEY = "test-secret-key-not-a-secret-0123456789"

VALID_REFERRAL: dict[str, Any] = {
    "reference": "MIS-7K3P-QD9X",
    "conversation_id": "0123456789abcdef0123456789abcdef",
    "submitted_at": "2026-11-22T10:00:00+00:00",
    "consent": True,
    "patient": {
        "full_name": "Alex Example",
        "date_of_birth": "1980-03-14",
        "postcode": "ST4 6QG",
        "phone": "07700 900123",
    },
    "problem": {"body_area": "knee", "side": "right", "duration": "3 months"},
}


@pytest.fixture
def referral() -> dict[str, Any]:
    """A fresh copy of a valid referral for an obviously fake patient."""
    return copy.deepcopy(VALID_REFERRAL)


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)
    return create_app({"intake_db": tmp_path / "intake.db", "tracker_db": tmp_path / "tracker.db"})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TEST_TOKEN}"}


def make_tracker(
    slots: dict[str, Any],
    text: str = "",
    sender: str = "test-sender",
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    confidence: float = 1.0,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker mid-way through the referral form, as the action server receives it."""
    return Tracker(
        sender_id=sender,
        slots=slots,
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
        },
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": "referral_form"},
        latest_action_name="action_listen",
    )
