"""Service facts and eligibility settings from content/ (phone number, minimum age, area)."""

from __future__ import annotations

from typing import Literal

from bot.content_store import load

AreaStatus = Literal["in_area", "border", "outside"]


def min_age() -> int:
    return int(load("eligibility")["min_age"])


def pregnancy_question_up_to_age() -> int:
    """The oldest age at which the pregnancy-related pelvic pain question is asked."""
    return int(load("eligibility")["pregnancy_question_up_to_age"])


def service_phone() -> str:
    return str(load("service")["phone"])


def privacy_notice_url() -> str:
    return str(load("service")["privacy_notice_url"])


def area_status(postcode: str) -> AreaStatus:
    """Whether a normalised postcode's district is in, on the border of, or outside the area."""
    district = postcode.split(" ")[0].upper()
    rules = load("eligibility")
    if district in rules["in_area_districts"]:
        return "in_area"
    if district in rules["border_districts"]:
        return "border"
    return "outside"


def service_values() -> dict[str, str]:
    """Service facts that responses may quote ({phone}, {privacy_url})."""
    return {"phone": service_phone(), "privacy_url": privacy_notice_url()}
