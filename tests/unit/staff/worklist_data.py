"""Generated referrals of obviously fake people for the worklist tests (unit and browser):
varied ages, body areas, pain, durations, work, channels and waiting times."""

from __future__ import annotations

import copy
import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from tests.unit.staff.conftest import REFERRAL

AREAS = ("back", "neck", "shoulder", "elbow", "wrist_hand", "hip", "knee", "ankle_foot")
WORK = ("working", "off_work", "at_risk", "not_working", "retired", "student")
DURATIONS = ("3 days", "2 weeks", "5 weeks", "2 months", "6 months", "2 years", "since March 2020")
FIRST = ("Sam", "Alex", "Jo", "Chris", "Pat", "Robin", "Lee", "Kim")


def nhs_number(n: int) -> str:
    """A ten-digit number in the 999 range NHS England keeps for testing (check digit valid)."""
    body = f"999{n:06d}"
    total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 10:
        return nhs_number(n + 100_000)
    return body + str(0 if check == 11 else check)


def generated(n: int, now: datetime | None = None) -> tuple[dict[str, Any], datetime]:
    """Referral number n and when it was received."""
    rng = random.Random(n)
    now = now or datetime.now(timezone.utc)
    payload = copy.deepcopy(REFERRAL)
    payload["reference"] = f"MIS-{n:04d}-FAKE"
    payload["conversation_id"] = f"{n:032x}"
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 60))
    payload["patient"].update(
        full_name=f"{FIRST[n % len(FIRST)]} Testperson{n}",
        date_of_birth=born.isoformat(),
        nhs_number=nhs_number(n),
        phone=f"07700 900{n % 1000:03d}",
        email=f"test{n}@example.com",
    )
    payload["problem"].update(
        body_area=AREAS[n % len(AREAS)],
        pain_score=rng.randrange(0, 11),
        duration=DURATIONS[rng.randrange(len(DURATIONS))],
        work_status=WORK[rng.randrange(len(WORK))],
    )
    payload["red_flag_screening"] = {"septic_arthritis": "yes" if n % 37 == 0 else "no"}
    payload["channel"] = "kiosk" if n % 3 == 0 else "web"
    return payload, now - timedelta(hours=7 * n + 1)
