"""Shared fixtures: a web app on a temporary database, and tracker builders for actions."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rasa_sdk import Tracker

from intake import create_app

TEST_TOKEN = "test-token-not-a-secret-0123456789"

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
    return create_app({"intake_db": tmp_path / "intake.db"})


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
) -> Tracker:
    """A tracker mid-way through the referral form, as the action server receives it."""
    return Tracker(
        sender_id=sender,
        slots=slots,
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "referral_form"},
        latest_action_name="action_listen",
    )
