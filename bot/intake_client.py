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


def post_referral(referral: dict[str, Any]) -> str:
    """POST the referral; return the reference the intake API stored it under."""
    try:
        response = requests.post(
            f"{intake_url()}/api/v1/referrals",
            json=referral,
            headers={"Authorization": f"Bearer {os.environ['INTAKE_API_TOKEN']}"},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise IntakeUnavailable(type(error).__name__) from error
    if response.status_code not in (200, 201):
        raise IntakeUnavailable(f"HTTP {response.status_code}")
    return response.json()["reference"]
