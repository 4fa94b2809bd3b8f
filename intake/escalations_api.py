"""Escalations API: every red-flag escalation, recorded by the action server for staff."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from intake import storage
from intake.referral_schema import LEVELS, validate_escalation
from intake.referrals_api import (
    LIST_LIMIT,
    BodyError,
    _error,
    checked_date_time,
    invalid_body,
    json_body,
    require_token,
)

blueprint = Blueprint("escalations_api", __name__, url_prefix="/api/v1/escalations")


@blueprint.post("")
@require_token
def create_escalation():
    try:
        payload = json_body()
    except BodyError as error:
        return invalid_body(error, "escalation")
    problems = validate_escalation(payload)
    if problems:
        return _error(422, "the escalation is not valid", problems)
    result = storage.store_escalation(payload)
    if result.conflict:
        return _error(
            409,
            "an escalation with this id is already stored with different contents",
            [{"field": "id", "message": "is already used"}],
        )
    return jsonify({"id": payload["id"]}), 201 if result.created else 200


@blueprint.get("")
@require_token
def list_escalations():
    where, params, problems = [], [], []
    level = request.args.get("level")
    if level is not None:
        if level in LEVELS:
            where.append("level = ?")
            params.append(level)
        else:
            problems.append({"field": "level", "message": f"must be one of {', '.join(LEVELS)}"})
    if (conversation := request.args.get("conversation_id")) is not None:
        where.append("conversation_id = ?")
        params.append(conversation)
    since, since_problems = checked_date_time("since")
    problems += since_problems
    if problems:
        return _error(422, "the query is not valid", problems)
    if since:
        where.append("occurred_at >= ?")
        params.append(since)
    rows = storage.database()["escalations"].rows_where(
        " AND ".join(where) or None, params, order_by="occurred_at desc", limit=LIST_LIMIT
    )
    return jsonify({"escalations": [storage.escalation_view(row) for row in rows]})
