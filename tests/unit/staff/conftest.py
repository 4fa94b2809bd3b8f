"""Staff app fixtures: an app on temporary intake and tracker databases, signed-in clients,
referrals and conversations for obviously fake patients."""

from __future__ import annotations

import copy
import json
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from intake import create_app, storage
from intake.staff import users

TEST_TOKEN = "test-token-not-a-secret-0123456789"
TEST_SECRET_KEY = "test-secret-key-not-a-secret-0123456789"
CLINICIAN = ("casey.clinician", "clinician-password-123")
ADMIN = ("ada.admin", "admin-password-12345")

# The Rasa SQL tracker store's table, as Rasa 3.6 creates it.
TRACKER_SCHEMA = """
CREATE TABLE events (
    id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT,
    PRIMARY KEY (id)
);
CREATE INDEX ix_events_sender_id ON events (sender_id);
"""


class Tracker:
    """A tracker store file with conversations written the way Rasa writes them."""

    def __init__(self, path: Path):
        self.path = path
        with sqlite3.connect(path) as connection:
            connection.executescript(TRACKER_SCHEMA)

    def add(self, conversation_id: str, kind: str, at: datetime, **data: Any) -> None:
        event = {"event": kind, "timestamp": at.timestamp(), **data}
        with sqlite3.connect(self.path) as connection:
            connection.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
                [conversation_id, kind, at.timestamp(), json.dumps(event)],
            )

    def user(self, conversation_id: str, text: str, at: datetime) -> None:
        self.add(conversation_id, "user", at, text=text, parse_data={"intent": {"name": "x"}})

    def bot(self, conversation_id: str, text: str | None, at: datetime, **message: Any) -> None:
        self.add(conversation_id, "bot", at, text=text, data={"custom": None, **message})

    def slot(self, conversation_id: str, at: datetime) -> None:
        self.add(conversation_id, "slot", at, name="full_name", value="Sam Sample")

    def count(self, conversation_id: str) -> int:
        with sqlite3.connect(self.path) as connection:
            return connection.execute(
                "SELECT count(*) FROM events WHERE sender_id = ?", [conversation_id]
            ).fetchone()[0]


@pytest.fixture(autouse=True)
def _quick_password_hashes(monkeypatch):
    """Cheap argon2id parameters in tests (the app uses argon2-cffi's defaults)."""
    monkeypatch.setattr(
        users, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def staff_app(tmp_path, monkeypatch) -> Flask:
    return make_staff_app(tmp_path, monkeypatch)


def make_staff_app(tmp_path, monkeypatch) -> Flask:
    """The app on temporary databases, with a clinician and an admin."""
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)
    app = create_app({"intake_db": tmp_path / "intake.db", "tracker_db": tmp_path / "tracker.db"})
    with app.app_context():
        db = storage.database()
        users.create_user(db, *CLINICIAN, "clinician")
        users.create_user(db, *ADMIN, "admin")
    return app


@pytest.fixture
def tracker(staff_app) -> Tracker:
    return Tracker(staff_app.config["SETTINGS"].tracker_db)


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token from a form on the page at url."""
    page = client.get(url)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str):
    token = csrf_token(client, "/staff/sign-in")
    return client.post(
        "/staff/sign-in",
        data={"csrf_token": token, "username": username, "password": password},
    )


@pytest.fixture
def anonymous(staff_app) -> FlaskClient:
    return staff_app.test_client()


@pytest.fixture
def clinician(staff_app) -> FlaskClient:
    client = staff_app.test_client()
    assert sign_in(client, *CLINICIAN).status_code == 302
    return client


@pytest.fixture
def admin(staff_app) -> FlaskClient:
    client = staff_app.test_client()
    assert sign_in(client, *ADMIN).status_code == 302
    return client


# A whole referral as the action server builds it (bot/actions/submission.py), fake patient.
REFERRAL: dict[str, Any] = {
    "reference": "MIS-7K3P-QD9X",
    "conversation_id": "0123456789abcdef0123456789abcdef",
    "submitted_at": "2026-11-22T10:00:00+00:00",
    "consent": True,
    "eligibility": {
        "meets_min_age": True,
        "gp_practice": "Example Street Surgery",
        "gp_in_area": True,
        "already_under_service": False,
        "area": "in_area",
        "pregnancy_pelvic_pain": None,
    },
    "patient": {
        "full_name": "Sam Sample",
        "date_of_birth": "1971-11-02",
        "nhs_number": "4857773457",
        "postcode": "WS11 1DB",
        "address_line1": "12 Example Street",
        "phone": "07700 900123",
        "email": "sam.sample@example.com",
        "contact_permissions": "both",
        "communication_needs": None,
    },
    "problem": {
        "body_area": "knee",
        "side": "right",
        "onset": "injury",
        "duration": "3 months",
        "pain_score": 6,
        "daily_impact": "I struggle with stairs",
        "work_status": "working",
        "work_role": "delivery driver",
        "treatments_tried": "ibuprofen",
        "goals": "playing football with my son",
    },
    "red_flag_screening": {"septic_arthritis": "no"},
}


def make_referral(reference: str, conversation_id: str, **patient: Any) -> dict[str, Any]:
    payload = copy.deepcopy(REFERRAL)
    payload["reference"] = reference
    payload["conversation_id"] = conversation_id
    payload["patient"].update(patient)
    return payload


def store(
    app: Flask,
    payload: dict[str, Any],
    *,
    received: datetime | None = None,
    status: str | None = None,
) -> None:
    """Store a referral the way the intake API does, then back-date or re-status it."""
    with app.app_context():
        storage.store_referral(payload)
        db = storage.database()
        with db.conn:
            if received:
                stamp = received.astimezone(timezone.utc).isoformat(timespec="seconds")
                db.execute(
                    "UPDATE referrals SET received_at = ?, updated_at = ? WHERE reference = ?",
                    [stamp, stamp, payload["reference"]],
                )
            if status:
                db.execute(
                    "UPDATE referrals SET status = ? WHERE reference = ?",
                    [status, payload["reference"]],
                )


def rows(app: Flask, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    with app.app_context():
        return list(storage.database().query(sql, params or []))
