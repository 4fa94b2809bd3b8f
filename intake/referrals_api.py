"""Intake API: referrals posted by the action server, read back by staff tools and tests."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from intake import storage
from intake.referral_schema import validate_referral

blueprint = Blueprint("referrals_api", __name__, url_prefix="/api/v1/referrals")


def require_token(view: Callable) -> Callable:
    """Refuse a request without the intake bearer token."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        expected = current_app.config["SETTINGS"].intake_api_token
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _error(401, "a valid bearer token is required")
        return view(*args, **kwargs)

    return wrapped


def _error(status: int, message: str, problems: list | None = None):
    body: dict[str, Any] = {"error": message}
    if problems:
        body["problems"] = problems
    return jsonify(body), status


@blueprint.post("")
@require_token
def create_referral():
    payload = request.get_json(silent=True)
    problems = validate_referral(payload)
    if problems:
        return _error(422, "the referral is not valid", problems)
    result = storage.store_referral(payload)
    if result.conflict:
        return _error(409, "a different referral already has this reference")
    return jsonify(storage.public_view(result.record)), 201 if result.created else 200


@blueprint.get("/<reference>")
@require_token
def get_referral(reference: str):
    record = storage.get_referral(reference)
    if record is None:
        return _error(404, "no referral has this reference")
    return jsonify(storage.public_view(record))


@blueprint.get("")
@require_token
def list_referrals():
    where, params = [], []
    if status := request.args.get("status"):
        where.append("status = ?")
        params.append(status)
    if since := request.args.get("since"):
        where.append("received_at >= ?")
        params.append(since)
    rows = storage.database()["referrals"].rows_where(
        " AND ".join(where) or None, params, order_by="received_at", limit=500
    )
    return jsonify({"referrals": [storage.public_view(row) for row in rows]})
