"""Validation of a posted referral: each problem names the field and what is wrong."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

REFERENCE = re.compile(r"^MIS-[0-9A-Z]{4}-[0-9A-Z]{4}$")
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")

# field path -> (required, check returning an error message or None)
Problem = dict[str, str]


def _text(max_length: int):
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return "must be a non-empty string"
        if len(value) > max_length:
            return f"must be at most {max_length} characters"
        return None

    return check


def _pattern(pattern: re.Pattern, example: str):
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not pattern.match(value):
            return f"must look like {example}"
        return None

    return check


def _iso_date(value: Any) -> str | None:
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        return "must be a date as YYYY-MM-DD"
    return "must be in the past" if parsed >= date.today() else None


def _true(value: Any) -> str | None:
    return None if value is True else "must be true: the patient agreed to continue"


FIELDS = {
    "reference": _pattern(REFERENCE, "MIS-7K3P-QD9X"),
    "conversation_id": _text(128),
    "consent": _true,
    "patient.full_name": _text(100),
    "patient.date_of_birth": _iso_date,
    "patient.postcode": _pattern(POSTCODE, "ST4 6QG (upper case, one space)"),
    "patient.phone": _text(30),
    "problem.body_area": _text(40),
}


def _lookup(payload: dict[str, Any], path: str) -> Any:
    value: Any = payload
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


_MISSING = object()


def validate_referral(payload: Any) -> list[Problem]:
    """An empty list when the referral is acceptable."""
    if not isinstance(payload, dict):
        return [{"field": "", "message": "the body must be a JSON object"}]
    problems = []
    for path, check in FIELDS.items():
        value = _lookup(payload, path)
        message = "is required" if value is _MISSING else check(value)
        if message:
            problems.append({"field": path, "message": message})
    return problems
