"""Intake API: referrals posted by the action server, read back by staff tools and tests.

Every answer is JSON. Refusals say what is wrong: `{"error": ..., "problems": [{"field",
"message"}]}`. The request schemas live in intake/referral_schema.py and are published in
the OpenAPI document (intake/openapi.py).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from intake import fhir, storage
from intake.referral_schema import MAX_DEPTH, encodable, nesting_depth, validate_referral

blueprint = Blueprint("referrals_api", __name__, url_prefix="/api/v1/referrals")

LIST_LIMIT = 500
FHIR_JSON = "application/fhir+json"


def require_token(view: Callable) -> Callable:
    """Refuse a request without the intake bearer token."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        expected = current_app.config["SETTINGS"].intake_api_token
        header = request.headers.get("Authorization", "")
        given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            response, status = _error(401, "a valid bearer token is required")
            response.headers["WWW-Authenticate"] = 'Bearer realm="intake"'
            return response, status
        return view(*args, **kwargs)

    return wrapped


def _error(status: int, message: str, problems: list | None = None):
    body: dict[str, Any] = {"error": message}
    if problems:
        body["problems"] = problems
    return jsonify(body), status


class BodyError(Exception):
    """The request body is not a JSON document this API can read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def json_body() -> Any:
    """The parsed JSON body; BodyError when it is not JSON (NaN and Infinity are not: SQLite
    cannot read them back), not UTF-8, nested too deep, or not storable."""
    if not request.is_json:
        raise BodyError("must be JSON, sent with Content-Type: application/json")
    try:
        payload = json.loads(request.get_data(cache=True), parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise BodyError("is not valid JSON") from None
    if nesting_depth(payload) > MAX_DEPTH:
        raise BodyError(f"is nested more than {MAX_DEPTH} levels deep")
    if not encodable(payload):
        raise BodyError("holds text that is not valid Unicode")
    return payload


def invalid_body(error: BodyError, what: str):
    return _error(422, f"the {what} is not valid", [{"field": "body", "message": error.message}])


def checked_date_time(name: str) -> tuple[str | None, list[dict[str, str]]]:
    """A query parameter that must be an ISO 8601 date or date and time, if given."""
    value = request.args.get(name)
    if value is None:
        return None, []
    try:
        datetime.fromisoformat(value)
    except ValueError:
        message = "must be an ISO 8601 date or date and time, e.g. 2026-11-22T10:00:00+00:00"
        return None, [{"field": name, "message": message}]
    return value, []


@blueprint.post("")
@require_token
def create_referral():
    try:
        payload = json_body()
    except BodyError as error:
        return invalid_body(error, "referral")
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


@blueprint.get("/<reference>/fhir")
@require_token
def get_referral_fhir(reference: str):
    """The referral as a FHIR R4 Bundle (intake/fhir.py, docs/fhir.md)."""
    exported = fhir.export(reference)
    if exported is None:
        return _error(404, "no referral has this reference")
    response = jsonify(exported)
    response.mimetype = FHIR_JSON
    return response


@blueprint.get("")
@require_token
def list_referrals():
    where, params, problems = [], [], []
    status = request.args.get("status")
    if status is not None:
        if status in storage.STATUSES:
            where.append("status = ?")
            params.append(status)
        else:
            message = f"must be one of {', '.join(storage.STATUSES)}"
            problems.append({"field": "status", "message": message})
    since, since_problems = checked_date_time("since")
    problems += since_problems
    if problems:
        return _error(422, "the query is not valid", problems)
    if since:
        where.append("received_at >= ?")
        params.append(since)
    rows = storage.database()["referrals"].rows_where(
        " AND ".join(where) or None, params, order_by="received_at", limit=LIST_LIMIT
    )
    return jsonify({"referrals": [storage.public_view(row) for row in rows]})
