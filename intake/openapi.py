"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json (public).

Request schemas are the very dicts the API validates with (intake/referral_schema.py), and
tests/unit/test_openapi.py checks that every /api/v1 route in the app's URL map is documented and
nothing else is. Also here: JSON error bodies for any HTTP error under /api/ (unknown path,
wrong method, body too large), so API clients never get an HTML page.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from intake import storage
from intake.chat_gateway import CONVERSATION_ID_PATTERN, MAX_MESSAGE_CHARS
from intake.referral_schema import ESCALATION_SCHEMA, LEVELS, REFERENCE_PATTERN, REFERRAL_SCHEMA
from intake.referrals_api import FHIR_JSON, LIST_LIMIT

blueprint = Blueprint("openapi", __name__, url_prefix="/api/v1")

API_VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {
        401: "no valid bearer token",
        403: "a browser origin that is not allowed",
        404: "not found",
        409: "a different record already has this reference or id",
        413: "the body is too large",
        422: "not valid: `problems` names each field and what is wrong",
        429: "rate limit reached; see Retry-After",
        503: "the assistant is not available",
    }
    return {str(code): _json(_ref("Error"), meaning[code]) for code in codes}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}  # fmt: skip


SINCE = _query(
    "since", "only those at or after this ISO 8601 date or date and time", {"type": "string"}
)
BEARER = [{"bearerToken": []}]


def _schemas() -> dict[str, Any]:
    stored = {
        "type": "object",
        "required": ["reference", "status", "received_at", "updated_at", "escalated", "referral"],
        "properties": {
            "reference": {"type": "string", "pattern": REFERENCE_PATTERN},
            "status": {"enum": list(storage.STATUSES)},
            "received_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "escalated": {"type": "boolean"},
            "referral": _ref("Referral"),
        },
    }
    return {
        "Referral": copy.deepcopy(REFERRAL_SCHEMA),
        "Escalation": copy.deepcopy(ESCALATION_SCHEMA),
        "StoredReferral": stored,
        "ReferralList": {
            "type": "object",
            "required": ["referrals"],
            "properties": {"referrals": {"type": "array", "items": _ref("StoredReferral")}},
        },
        "FhirBundle": {
            "type": "object",
            "description": (
                "A FHIR R4 Bundle of type collection: Patient, ServiceRequest, "
                "QuestionnaireResponse and its Questionnaire, the GP practice (Organization) "
                "and a Flag per escalated red flag (docs/fhir.md). UK Core identifier systems: "
                "https://fhir.nhs.uk/Id/nhs-number, https://fhir.nhs.uk/Id/ods-organization-code."
            ),
            "required": ["resourceType", "type", "entry"],
            "properties": {
                "resourceType": {"const": "Bundle"},
                "type": {"const": "collection"},
                "entry": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["fullUrl", "resource"],
                        "properties": {
                            "fullUrl": {"type": "string", "pattern": "^urn:uuid:"},
                            "resource": {"type": "object", "required": ["resourceType", "id"]},
                        },
                    },
                },
            },
        },
        "StoredEscalation": {
            **copy.deepcopy(ESCALATION_SCHEMA),
            "title": "StoredEscalation",
            "required": [*ESCALATION_SCHEMA["required"], "codes", "received_at"],
            "properties": {
                **copy.deepcopy(ESCALATION_SCHEMA["properties"]),
                "received_at": {"type": "string"},
            },
        },
        "EscalationList": {
            "type": "object",
            "required": ["escalations"],
            "properties": {"escalations": {"type": "array", "items": _ref("StoredEscalation")}},
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {
                            "field": {"type": "string", "description": "dotted path, or body"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        },
        "ChatMessage": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "message": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_MESSAGE_CHARS,
                    "pattern": r"\S",
                },
                "conversation_id": {
                    "type": "string",
                    "pattern": CONVERSATION_ID_PATTERN,
                    "description": "From the previous reply; leave out to start a conversation.",
                },
            },
        },
        "ChatReply": {
            "type": "object",
            "required": ["conversation_id", "messages"],
            "properties": {
                "conversation_id": {"type": "string", "pattern": CONVERSATION_ID_PATTERN},
                "messages": {
                    "type": "array",
                    "description": "Rasa REST channel messages (text, buttons, custom markers).",
                    "items": {"type": "object"},
                },
            },
        },
    }


# The path parameter of every route under /api/v1/referrals/{reference}.
REFERENCE_IN_PATH = {
    "name": "reference",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
}


def document() -> dict[str, Any]:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MSK self-referral intake API",
            "version": API_VERSION,
            "description": (
                "Referrals and escalations posted by the action server (bearer token "
                "INTAKE_API_TOKEN), and the chat gateway the widget uses (public). Errors are "
                "JSON: `error`, and for invalid input `problems` (field and message)."
            ),
        },
        "paths": {
            "/api/v1/referrals": {
                "post": {
                    "operationId": "createReferral",
                    "summary": "Store a completed referral; idempotent on its reference",
                    "security": BEARER,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Referral")}},
                    },
                    "responses": {
                        "201": _json(_ref("StoredReferral"), "stored"),
                        "200": _json(_ref("StoredReferral"), "already stored with this body"),
                        **_errors(401, 409, 413, 422),
                    },
                },
                "get": {
                    "operationId": "listReferrals",
                    "summary": f"Referrals, oldest first, at most {LIST_LIMIT}",
                    "security": BEARER,
                    "parameters": [
                        _query("status", "only this status", {"enum": list(storage.STATUSES)}),
                        SINCE,
                    ],
                    "responses": {
                        "200": _json(_ref("ReferralList"), "the referrals"),
                        **_errors(401, 422),
                    },
                },
            },
            "/api/v1/referrals/{reference}": {
                "get": {
                    "operationId": "getReferral",
                    "summary": "One referral",
                    "security": BEARER,
                    "parameters": [REFERENCE_IN_PATH],
                    "responses": {
                        "200": _json(_ref("StoredReferral"), "the referral"),
                        **_errors(401, 404),
                    },
                },
            },
            "/api/v1/referrals/{reference}/fhir": {
                "get": {
                    "operationId": "getReferralFhir",
                    "summary": "One referral as a FHIR R4 Bundle (the same export every time)",
                    "security": BEARER,
                    "parameters": [REFERENCE_IN_PATH],
                    "responses": {
                        "200": {
                            "description": "the Bundle",
                            "content": {FHIR_JSON: {"schema": _ref("FhirBundle")}},
                        },
                        **_errors(401, 404),
                    },
                },
            },
            "/api/v1/escalations": {
                "post": {
                    "operationId": "createEscalation",
                    "summary": "Record a red-flag escalation; idempotent on its id",
                    "security": BEARER,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Escalation")}},
                    },
                    "responses": {
                        "201": _json({"type": "object"}, "stored"),
                        "200": _json({"type": "object"}, "already stored"),
                        **_errors(401, 409, 413, 422),
                    },
                },
                "get": {
                    "operationId": "listEscalations",
                    "summary": f"Escalations, newest first, at most {LIST_LIMIT}",
                    "security": BEARER,
                    "parameters": [
                        _query("level", "only this level", {"enum": list(LEVELS)}),
                        _query("conversation_id", "only this conversation", {"type": "string"}),
                        SINCE,
                    ],
                    "responses": {
                        "200": _json(_ref("EscalationList"), "the escalations"),
                        **_errors(401, 422),
                    },
                },
            },
            "/api/v1/chat": {
                "post": {
                    "operationId": "chat",
                    "summary": "Send the patient's message to the assistant; get its replies",
                    "description": (
                        "Public. Rate-limited per conversation and per client address "
                        "(CHAT_RATE_PER_CONVERSATION, CHAT_RATE_PER_ADDRESS). A browser "
                        "Origin must be the app's own or in CHAT_ALLOWED_ORIGINS."
                    ),
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ChatMessage")}},
                    },
                    "responses": {
                        "200": _json(_ref("ChatReply"), "the assistant's replies"),
                        "400": _json(_ref("Error"), "no message"),
                        **_errors(403, 413, 429, 503),
                    },
                },
                "options": {
                    "operationId": "chatPreflight",
                    "summary": "CORS preflight",
                    "security": [],
                    "responses": {
                        "204": {"description": "allowed; Access-Control-Allow-* headers"},
                        **_errors(403),
                    },
                },
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "the OpenAPI document"}},
                }
            },
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}},
        },
    }


@blueprint.get("/openapi.json")
def openapi_json():
    return jsonify(document())


MESSAGES = {
    404: "nothing here: see /api/v1/openapi.json for the routes",
    405: "this method is not allowed here",
}


@blueprint.app_errorhandler(HTTPException)
def json_errors_under_api(error: HTTPException):
    """JSON for HTTP errors under /api/; every other path keeps its usual error page."""
    if not request.path.startswith("/api/") or error.code is None:
        return error
    if error.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        message = f"the body is too large: at most {limit} bytes"
    else:
        message = MESSAGES.get(error.code, error.description or error.name)
    response = jsonify({"error": message})
    response.status_code = error.code
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response
