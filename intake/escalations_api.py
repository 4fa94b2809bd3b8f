"""Escalations API: every red-flag escalation, recorded by the action server for staff."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request

from intake import storage
from intake.referrals_api import _error, require_token

blueprint = Blueprint("escalations_api", __name__, url_prefix="/api/v1/escalations")

LEVELS = ("emergency", "urgent", "soon")
SOURCES = ("message", "screening")
ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def validate_escalation(payload: Any) -> list[dict[str, str]]:
    """What is wrong with an escalation record, field by field."""
    if not isinstance(payload, dict):
        return [{"field": "body", "problem": "must be a JSON object"}]
    problems = []

    def bad(field: str, problem: str) -> None:
        problems.append({"field": field, "problem": problem})

    if not ID_PATTERN.match(str(payload.get("id", ""))):
        bad("id", "must be 32 lower-case hex characters")
    conversation = payload.get("conversation_id")
    if not isinstance(conversation, str) or not 1 <= len(conversation) <= 128:
        bad("conversation_id", "must be text of 1 to 128 characters")
    if payload.get("level") not in LEVELS:
        bad("level", f"must be one of {', '.join(LEVELS)}")
    if not CODE_PATTERN.match(str(payload.get("code", ""))):
        bad("code", "must be a red-flag id")
    codes = payload.get("codes", [])
    if not isinstance(codes, list) or not all(CODE_PATTERN.match(str(c)) for c in codes):
        bad("codes", "must be a list of red-flag ids")
    if payload.get("source") not in SOURCES:
        bad("source", f"must be one of {', '.join(SOURCES)}")
    try:
        datetime.fromisoformat(str(payload.get("occurred_at")))
    except ValueError:
        bad("occurred_at", "must be an ISO 8601 date and time")
    return problems


@blueprint.post("")
@require_token
def create_escalation():
    payload = request.get_json(silent=True)
    problems = validate_escalation(payload)
    if problems:
        return _error(422, "the escalation is not valid", problems)
    created = storage.store_escalation(payload)
    return jsonify({"id": payload["id"]}), 201 if created else 200


@blueprint.get("")
@require_token
def list_escalations():
    where, params = [], []
    if level := request.args.get("level"):
        where.append("level = ?")
        params.append(level)
    if conversation := request.args.get("conversation_id"):
        where.append("conversation_id = ?")
        params.append(conversation)
    if since := request.args.get("since"):
        where.append("occurred_at >= ?")
        params.append(since)
    rows = storage.database()["escalations"].rows_where(
        " AND ".join(where) or None, params, order_by="occurred_at desc", limit=500
    )
    return jsonify({"escalations": [storage.escalation_view(row) for row in rows]})
