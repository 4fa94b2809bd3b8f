"""Post a completed referral to the intake API (intake/), authenticated by bearer token."""

from __future__ import annotations

import os
from typing import Any

import requests

TIMEOUT_SECONDS = 5


class IntakeUnavailable(Exception):
    """The intake API could not be reached or refused the referral."""


def intake_url() -> str:
    return os.environ.get("INTAKE_URL", f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8000')}")


def _post(path: str, record: dict[str, Any]) -> requests.Response:
    """POST a JSON record with the bearer token; IntakeUnavailable unless 200 or 201."""
    try:
        response = requests.post(
            f"{intake_url()}{path}",
            json=record,
            headers={"Authorization": f"Bearer {os.environ['INTAKE_API_TOKEN']}"},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise IntakeUnavailable(type(error).__name__) from error
    if response.status_code not in (200, 201):
        raise IntakeUnavailable(f"HTTP {response.status_code}")
    return response


def post_referral(referral: dict[str, Any]) -> str:
    """POST the referral; return the reference the intake API stored it under."""
    return _post("/api/v1/referrals", referral).json()["reference"]


def post_escalation(escalation: dict[str, Any]) -> None:
    """POST an escalation record for staff; IntakeUnavailable when it was not stored."""
    _post("/api/v1/escalations", escalation)
