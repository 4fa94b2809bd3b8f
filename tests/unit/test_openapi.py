"""The OpenAPI document at /api/v1/openapi.json is true to the code."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator, RefResolver

from bot.actions.submission import build_referral, new_reference
from intake.referral_schema import ESCALATION_SCHEMA, REFERRAL_SCHEMA
from tests.conftest import make_tracker
from tests.support.referral_slots import COMPLETE

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")  # no token: the document is public
    assert response.status_code == 200
    return response.get_json()


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for a schema inside the document ($refs resolved against it)."""
    return Draft202012Validator(
        schema,
        resolver=RefResolver.from_schema(document),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def request_schema(document: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    return document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def response_schema(document, path: str, method: str, status: int) -> dict[str, Any] | None:
    documented = document["paths"][path][method]["responses"]
    assert str(status) in documented, f"{method.upper()} {path} answered {status}, undocumented"
    content = documented[str(status)].get("content")
    return content["application/json"]["schema"] if content else None


def api_routes(app) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) for every /api/v1 rule the app serves."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        methods = set(rule.methods) - {"HEAD"}
        if getattr(rule, "provide_automatic_options", False):
            methods.discard("OPTIONS")  # Flask's own answer, not a route of ours
        found |= {(path, method.lower()) for method in methods}
    return found


def documented_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, operations in document["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }


def test_every_api_route_is_documented_and_every_documented_route_exists(app, document):
    assert api_routes(app) == documented_routes(document)


def test_path_parameters_match_the_routes(document):
    for path, operations in document["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, f"{method} {path}"


def test_the_request_schemas_are_the_ones_the_api_validates_with(document):
    schemas = document["components"]["schemas"]
    assert schemas["Referral"] == REFERRAL_SCHEMA
    assert schemas["Escalation"] == ESCALATION_SCHEMA
    assert request_schema(document, "/api/v1/referrals") == {
        "$ref": "#/components/schemas/Referral"
    }
    assert request_schema(document, "/api/v1/escalations") == {
        "$ref": "#/components/schemas/Escalation"
    }


def test_every_reference_in_the_document_resolves(document):
    resolver = RefResolver.from_schema(document)
    text = repr(document)
    refs = set(re.findall(r"'\$ref': '([^']+)'", text))
    assert refs
    for ref in refs:
        resolver.resolve(ref)


def test_the_documented_schema_accepts_a_real_referral_and_the_api_stores_it(
    client, auth, document
):
    referral = build_referral(make_tracker(dict(COMPLETE)), new_reference())
    schema = validator(document, request_schema(document, "/api/v1/referrals"))
    assert list(schema.iter_errors(referral)) == []
    response = client.post("/api/v1/referrals", json=referral, headers=auth)
    assert response.status_code == 201
    body_schema = response_schema(document, "/api/v1/referrals", "post", 201)
    assert list(validator(document, body_schema).iter_errors(response.get_json())) == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda r: r.pop("reference"),
        lambda r: r.update(consent=False),
        lambda r: r["patient"].update(postcode="nowhere"),
        lambda r: r["patient"].update(date_of_birth="14/03/1980"),
        lambda r: r["problem"].pop("body_area"),
        lambda r: r.update(red_flag_screening={"cauda_equina": "perhaps"}),
    ],
)
def test_the_documented_schema_rejects_a_broken_referral_as_the_api_does(
    client, auth, document, break_it
):
    referral = build_referral(make_tracker(dict(COMPLETE)), new_reference())
    broken = copy.deepcopy(referral)
    break_it(broken)
    schema = validator(document, request_schema(document, "/api/v1/referrals"))
    assert list(schema.iter_errors(broken)) != []
    response = client.post("/api/v1/referrals", json=broken, headers=auth)
    assert response.status_code == 422
    error_schema = response_schema(document, "/api/v1/referrals", "post", 422)
    assert list(validator(document, error_schema).iter_errors(response.get_json())) == []


def test_real_answers_match_their_documented_status_and_schema(client, auth, document, referral):
    other = {**referral, "conversation_id": "someone-else"}
    escalation = {
        "id": "a" * 32,
        "conversation_id": "conv-1",
        "level": "soon",
        "code": "inflammatory_arthritis",
        "codes": ["inflammatory_arthritis"],
        "source": "screening",
        "occurred_at": "2026-11-23T10:00:00+00:00",
    }
    reference = referral["reference"]
    calls = [
        ("post", "/api/v1/referrals", "/api/v1/referrals", referral, auth),
        ("post", "/api/v1/referrals", "/api/v1/referrals", referral, auth),
        ("post", "/api/v1/referrals", "/api/v1/referrals", other, auth),
        ("post", "/api/v1/referrals", "/api/v1/referrals", referral, {}),
        ("get", "/api/v1/referrals", "/api/v1/referrals?status=new", None, auth),
        ("get", "/api/v1/referrals", "/api/v1/referrals?status=nope", None, auth),
        ("get", "/api/v1/referrals/{reference}", f"/api/v1/referrals/{reference}", None, auth),
        ("get", "/api/v1/referrals/{reference}", "/api/v1/referrals/MIS-0000-0000", None, auth),
        ("post", "/api/v1/escalations", "/api/v1/escalations", escalation, auth),
        ("post", "/api/v1/escalations", "/api/v1/escalations", escalation, auth),
        ("post", "/api/v1/escalations", "/api/v1/escalations", {"id": 1}, auth),
        ("get", "/api/v1/escalations", "/api/v1/escalations", None, auth),
        ("get", "/api/v1/escalations", "/api/v1/escalations?level=x", None, auth),
        ("post", "/api/v1/chat", "/api/v1/chat", {"message": ""}, {}),
        ("post", "/api/v1/chat", "/api/v1/chat", {"message": "x" * 1001}, {}),
        ("options", "/api/v1/chat", "/api/v1/chat", None, {"Origin": "http://evil.example"}),
        ("get", "/api/v1/openapi.json", "/api/v1/openapi.json", None, {}),
    ]
    seen = set()
    for method, documented_path, url, body, headers in calls:
        response = getattr(client, method)(url, json=body, headers=headers)
        schema = response_schema(document, documented_path, method, response.status_code)
        if schema is not None:
            errors = list(validator(document, schema).iter_errors(response.get_json()))
            assert errors == [], f"{method} {url} -> {response.status_code}: {errors[0].message}"
        seen.add(response.status_code)
    assert {200, 201, 400, 401, 403, 404, 409, 413, 422} <= seen
