"""What the intake API accepts: JSON Schemas, and validation that names each wrong field.

One source of truth. The same schema dicts validate every request (jsonschema, draft 2020-12)
and are published, unchanged, in the OpenAPI document (intake/openapi.py), so the document
cannot drift from the code. The few rules JSON Schema cannot say (a date of birth in the
past, a real date and time) are checked after the schema and described in the schema's
`description`. `x-problem` is the message a patient-safe client sees when a field is wrong.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

Problem = dict[str, str]

REFERENCE_PATTERN = "^MIS-[0-9A-Z]{4}-[0-9A-Z]{4}$"
POSTCODE_PATTERN = "^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"
DATE_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
ESCALATION_ID_PATTERN = "^[0-9a-f]{32}$"
RED_FLAG_ID_PATTERN = "^[a-z][a-z0-9_]{0,63}$"
LEVELS = ("emergency", "urgent", "soon")
SOURCES = ("message", "screening", "check_question")
EARLIEST_BIRTH = date(1900, 1, 1)
# JSON objects and lists inside one another, the body itself counting as one: a referral
# needs 3 (body, signposting, a card). Deeper bodies are refused before the schema is checked.
MAX_DEPTH = 32

BODY_PROBLEM = "the body must be a JSON object"


def text(max_length: int, description: str) -> dict[str, Any]:
    """A required piece of text: not blank, at most `max_length` characters."""
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": max_length,
        "pattern": r"\S",
        "description": description,
        "x-problem": "must be a non-empty string",
    }


def optional_text(description: str, max_length: int = 2000) -> dict[str, Any]:
    return {
        "type": ["string", "null"],
        "maxLength": max_length,
        "description": description,
        "x-problem": "must be text or null",
    }


def optional_value(description: str) -> dict[str, Any]:
    return {
        "type": ["string", "boolean", "null"],
        "maxLength": 200,
        "description": description,
        "x-problem": "must be text, true or false, or null",
    }


SIGNPOST_CARD = {
    "type": "object",
    "description": "A signposting card as the chat showed it.",
    "properties": {
        name: {"type": "string", "maxLength": 500} for name in ("id", "title", "url", "summary")
    },
}

SIGNPOSTING = {
    "type": "array",
    "maxItems": 50,
    "items": {
        "anyOf": [{"type": "string", "maxLength": 64}, SIGNPOST_CARD],
        "x-problem": "must be a signposting id, or a card whose id, title, url and summary "
        "are text",
    },
    "description": "The self-help offered in the conversation: ids, or cards.",
    "x-problem": "must be a list of signposting ids or cards",
}

DATE_TIME = {
    "type": "string",
    "maxLength": 40,
    "pattern": DATE_TIME_PATTERN,
    "description": "ISO 8601 date and time with a time zone, a real one",
    "examples": ["2026-11-22T10:00:00+00:00"],
    "x-problem": "must be an ISO 8601 date and time with a time zone",
}

REFERRAL_SCHEMA: dict[str, Any] = {
    "title": "Referral",
    "description": (
        "A completed self-referral, as the action server builds it from the conversation. "
        "Fields not listed here are kept as they are. "
        f"A body nested more than {MAX_DEPTH} levels deep is refused."
    ),
    "type": "object",
    "x-problem": BODY_PROBLEM,
    "required": ["reference", "conversation_id", "consent", "patient", "problem"],
    "properties": {
        "reference": {
            "type": "string",
            "maxLength": 13,
            "pattern": REFERENCE_PATTERN,
            "description": "The reference the patient was given; the API is idempotent on it.",
            "examples": ["MIS-7K3P-QD9X"],
            "x-problem": "must look like MIS-7K3P-QD9X",
        },
        "conversation_id": text(128, "The chat conversation (Rasa sender id)."),
        "submitted_at": DATE_TIME,
        "consent": {
            "const": True,
            "description": "The patient agreed to continue.",
            "x-problem": "must be true: the patient agreed to continue",
        },
        "escalated": {
            "type": "boolean",
            "description": "The conversation escalated a red flag before this referral.",
            "x-problem": "must be true or false",
        },
        "eligibility": {
            "type": "object",
            "x-problem": "must be a JSON object",
            "additionalProperties": optional_value("an eligibility answer"),
        },
        "patient": {
            "type": "object",
            "x-problem": "must be a JSON object",
            "required": ["full_name", "date_of_birth", "postcode", "phone"],
            "properties": {
                "full_name": text(100, "The patient's name."),
                "date_of_birth": {
                    "type": "string",
                    "format": "date",
                    "maxLength": 10,
                    "description": "YYYY-MM-DD, in the past and not before 1900-01-01.",
                    "examples": ["1980-03-14"],
                    "x-problem": "must be a date as YYYY-MM-DD",
                },
                "postcode": {
                    "type": "string",
                    "maxLength": 8,
                    "pattern": POSTCODE_PATTERN,
                    "examples": ["ST4 6QG"],
                    "x-problem": "must look like ST4 6QG (upper case, one space)",
                },
                "phone": text(30, "A UK phone number as the patient gave it."),
            },
            "additionalProperties": optional_text("another personal detail"),
        },
        "problem": {
            "type": "object",
            "x-problem": "must be a JSON object",
            "required": ["body_area"],
            "properties": {"body_area": text(40, "Where the problem is, e.g. knee.")},
            "additionalProperties": optional_text("an answer about the problem"),
        },
        "red_flag_screening": {
            "type": "object",
            "description": "Screening question (red-flag id) -> the patient's answer.",
            "x-problem": "must be a JSON object",
            "propertyNames": {"pattern": RED_FLAG_ID_PATTERN, "maxLength": 64},
            "additionalProperties": {"enum": ["yes", "no"], "x-problem": "must be yes or no"},
        },
        "signposting": SIGNPOSTING,
    },
}

RED_FLAG_ID = {
    "type": "string",
    "maxLength": 64,
    "pattern": RED_FLAG_ID_PATTERN,
    "description": "An id from the red-flag catalogue (content/red_flags.yml).",
    "x-problem": "must be a red-flag id",
}

ESCALATION_SCHEMA: dict[str, Any] = {
    "title": "Escalation",
    "description": (
        "A red-flag escalation in a conversation, recorded for staff. "
        f"A body nested more than {MAX_DEPTH} levels deep is refused."
    ),
    "type": "object",
    "x-problem": BODY_PROBLEM,
    "required": ["id", "conversation_id", "level", "code", "source", "occurred_at"],
    "properties": {
        "id": {
            "type": "string",
            "maxLength": 32,
            "pattern": ESCALATION_ID_PATTERN,
            "description": "Unique id chosen by the sender; the API is idempotent on it.",
            "x-problem": "must be 32 lower-case hex characters",
        },
        "conversation_id": text(128, "The chat conversation (Rasa sender id)."),
        "level": {"enum": list(LEVELS), "x-problem": f"must be one of {', '.join(LEVELS)}"},
        "code": RED_FLAG_ID,
        "codes": {
            "type": "array",
            "maxItems": 50,
            "items": RED_FLAG_ID,
            "description": "Every red flag found, most serious first.",
            "x-problem": "must be a list of red-flag ids",
        },
        "source": {"enum": list(SOURCES), "x-problem": f"must be one of {', '.join(SOURCES)}"},
        "occurred_at": DATE_TIME,
    },
}

_REQUIRED = re.compile(r"^'(?P<name>.+)' is a required property$")


def _field(path: list[Any]) -> str:
    return ".".join(str(part) for part in path) or "body"


def _message(error: Any) -> str:
    if error.validator == "maxLength":
        return f"must be at most {error.validator_value} characters"
    if error.validator == "maxItems":
        return f"must have at most {error.validator_value} items"
    schema = error.schema if isinstance(error.schema, dict) else {}
    return schema.get("x-problem") or error.message


def _whole_pattern(validator, pattern: str, instance: Any, schema: dict[str, Any]):
    """JSON Schema's `pattern` as ECMA-262 reads it: an anchored "$" is the very end of the
    string (Python's re lets "$" match before a final newline, so "ST4 6QG\n" passed)."""
    if not isinstance(instance, str):
        return
    strict = (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
    )
    if not re.search(strict, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _whole_pattern})


def schema_problems(schema: dict[str, Any], payload: Any) -> list[Problem]:
    """Each field the schema refuses, once, with what is wrong; in the schema's order."""
    validator = _Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems: dict[str, str] = {}
    for error in validator.iter_errors(payload):
        path = list(error.absolute_path)
        if error.validator == "required":
            match = _REQUIRED.match(error.message)
            field, message = _field([*path, match["name"] if match else "?"]), "is required"
        elif error.validator == "propertyNames":
            field, message = _field(path), "has a key that is not a red-flag id"
        else:
            field, message = _field(path), _message(error)
        problems.setdefault(field, message)
    return [{"field": field, "message": message} for field, message in problems.items()]


def _real_date_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def validate_referral(payload: Any) -> list[Problem]:
    """An empty list when the referral is acceptable."""
    problems = schema_problems(REFERRAL_SCHEMA, payload)
    if problems:
        return problems
    born = date.fromisoformat(payload["patient"]["date_of_birth"])
    if not EARLIEST_BIRTH <= born < date.today():
        problems.append(
            {"field": "patient.date_of_birth", "message": "must be in the past, after 1900"}
        )
    submitted = payload.get("submitted_at")
    if submitted is not None and not _real_date_time(submitted):
        problems.append({"field": "submitted_at", "message": DATE_TIME["x-problem"]})
    return problems


def validate_escalation(payload: Any) -> list[Problem]:
    """An empty list when the escalation record is acceptable."""
    problems = schema_problems(ESCALATION_SCHEMA, payload)
    if not problems and not _real_date_time(payload["occurred_at"]):
        problems.append({"field": "occurred_at", "message": DATE_TIME["x-problem"]})
    return problems


def nesting_depth(payload: Any) -> int:
    """How many JSON objects and lists lie one inside another (without recursing, so a body
    deeper than Python's recursion limit is measured too)."""
    deepest, stack = 0, [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in value)
    return deepest


def encodable(payload: Any) -> bool:
    """False when the JSON holds text SQLite cannot store (lone UTF-16 surrogates)."""
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True
