"""HTTP to the intake API (intake/), authenticated by bearer token.

Only bot/outbox.py calls this: every referral and escalation record goes through the durable
outbox, which decides what to do with each Outcome.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_SECONDS = 5
REFERRALS_PATH = "/api/v1/referrals"
ESCALATIONS_PATH = "/api/v1/escalations"

# The intake API refuses these for good: the same body will never be accepted, so retrying
# is pointless (400 bad request, 404 no such route, 409 a different body under this key,
# 413 too large, 422 invalid). Everything else (no connection, 401 a token not yet
# configured, 429, 5xx) may pass later and is retried.
PERMANENT_REFUSALS = frozenset({400, 404, 409, 413, 422})


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    permanent: bool  # refused for good: do not retry
    detail: str  # for logs: an HTTP status or an exception name, never the record


def intake_url() -> str:
    return os.environ.get("INTAKE_URL", f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8000')}")


def intake_token() -> str:
    return os.environ.get("INTAKE_API_TOKEN", "")


def post_record(
    base_url: str, token: str, path: str, record: dict[str, Any], timeout: float = TIMEOUT_SECONDS
) -> Outcome:
    """POST one JSON record; say whether it was stored (200 or 201) or why not."""
    try:
        response = requests.post(
            f"{base_url}{path}",
            json=record,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except requests.RequestException as error:
        return Outcome(False, False, type(error).__name__)
    status = response.status_code
    if status in (200, 201):
        return Outcome(True, False, f"HTTP {status}")
    return Outcome(False, status in PERMANENT_REFUSALS, f"HTTP {status}")
