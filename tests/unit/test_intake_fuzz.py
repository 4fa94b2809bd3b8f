"""Schema-driven and arbitrary-input fuzzing of /api/v1: no input makes the API answer 500.

For each endpoint, hypothesis draws requests from a mix: bodies generated from the OpenAPI
document's own request schema (hypothesis-jsonschema), such bodies with one field broken or
removed, arbitrary JSON, and arbitrary bytes under various content types. Every answer must
be one the document lists for that operation, JSON, and never a 5xx (except the chat
gateway's documented 503: Rasa is not running here). FUZZ_EXAMPLES (default 200) examples
per endpoint; the counts are printed (pytest -s) and checked.
"""

from __future__ import annotations

import copy
import json
import string
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from intake import create_app
from intake.openapi import document
from intake.referral_schema import (
    MAX_DEPTH,
    nesting_depth,
    validate_escalation,
    validate_referral,
)
from tests.conftest import TEST_SECRET_KEY, TEST_TOKEN, VALID_REFERRAL
from tests.support.fuzz import fuzz_settings

FUZZ = fuzz_settings("FUZZ_EXAMPLES", 200)
EXAMPLES = FUZZ.max_examples
AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
DOCUMENT = document()
SCHEMAS = DOCUMENT["components"]["schemas"]
CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def request_schema(path: str) -> dict[str, Any]:
    ref = DOCUMENT["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return SCHEMAS[ref["$ref"].rsplit("/", 1)[1]]


@st.composite
def one_field_broken(draw, schema: dict[str, Any]) -> dict[str, Any]:
    body = draw(from_schema(schema))
    field = draw(st.sampled_from(sorted(body)))
    if draw(st.booleans()):
        body.pop(field)
    else:
        body[field] = draw(json_values)
    return body


def requests_for(path: str) -> st.SearchStrategy[tuple[str, Any]]:
    """("schema" | "broken" | "json", body) or ("bytes", (data, content type))."""
    schema = request_schema(path)
    return st.one_of(
        from_schema(schema).map(lambda body: ("schema", body)),
        one_field_broken(schema).map(lambda body: ("broken", body)),
        json_values.map(lambda body: ("json", body)),
        st.tuples(st.binary(max_size=300), st.sampled_from(CONTENT_TYPES)).map(
            lambda raw: ("bytes", raw)
        ),
    )


def documented(path: str, method: str) -> set[int]:
    return {int(code) for code in DOCUMENT["paths"][path][method]["responses"]}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app for all examples; Rasa points nowhere, chat limits out of the way."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app(
        {
            "intake_db": folder / "intake.db",
            "tracker_db": folder / "tracker.db",
            "rasa_url": "http://127.0.0.1:9",  # nothing listens: the gateway answers 503
            "chat_rate_per_conversation": "1000000/minute",
            "chat_rate_per_address": "1000000/minute",
        }
    )
    yield app
    monkeypatch.undo()


@pytest.fixture(scope="module")
def counts():
    seen: dict[str, Counter] = {}
    yield seen
    print("\nfuzzing examples:", json.dumps(seen, sort_keys=True))


def send(app, path: str, case: tuple[str, Any]):
    kind, payload = case
    client = app.test_client()
    if kind == "bytes":
        data, content_type = payload
        return client.post(path, data=data, content_type=content_type, headers=AUTH)
    return client.post(path, json=payload, headers=AUTH)


def check_answer(response, path: str, method: str) -> None:
    assert response.status_code in documented(path, method), response.status_code
    assert response.is_json
    if response.status_code >= 400:
        assert isinstance(response.get_json().get("error"), str)


@pytest.mark.slow  # property-based, about 15 s: run by make test
@pytest.mark.parametrize(
    ("path", "validate"),
    [("/api/v1/referrals", validate_referral), ("/api/v1/escalations", validate_escalation)],
)
def test_fuzzed_posts_are_stored_or_refused_as_documented_never_500(
    fuzz_app, counts, path, validate
):
    seen = counts.setdefault(f"POST {path}", Counter())

    @FUZZ
    @given(requests_for(path))
    def check(case):
        seen[case[0]] += 1
        response = send(fuzz_app, path, case)
        check_answer(response, path, "post")
        kind, body = case
        if kind != "bytes":
            problems = validate(body)
            assert response.status_code == (422 if problems else response.status_code)
            if not problems:
                assert response.status_code in (200, 201, 409)
        if kind == "schema" and path.endswith("referrals") and response.status_code in (200, 201):
            assert response.get_json()["referral"] == body

    check()
    assert sum(seen.values()) == EXAMPLES
    assert seen["schema"] > 0 and seen["json"] > 0 and seen["broken"] > 0


@pytest.mark.slow  # property-based: run by make test
def test_fuzzed_chat_messages_never_make_the_gateway_fail(fuzz_app, counts):
    path = "/api/v1/chat"
    seen = counts.setdefault(f"POST {path}", Counter())

    @FUZZ
    @given(requests_for(path))
    def check(case):
        seen[case[0]] += 1
        response = send(fuzz_app, path, case)
        check_answer(response, path, "post")
        assert response.status_code in (400, 413, 503)  # 503: Rasa is not running here

    check()
    assert sum(seen.values()) == EXAMPLES


def test_fuzzed_queries_and_references_never_make_the_api_fail(fuzz_app, counts):
    seen = counts.setdefault("GET /api/v1/...", Counter())
    text = st.text(string.printable + "éß€\u0000", max_size=30)

    @FUZZ
    @given(st.sampled_from(["status", "since", "level", "conversation_id", "x"]), text, text)
    def check(name, value, reference):
        seen["query"] += 1
        client = fuzz_app.test_client()
        for path, url in (
            ("/api/v1/referrals", f"/api/v1/referrals?{quote(name)}={quote(value)}"),
            ("/api/v1/escalations", f"/api/v1/escalations?{quote(name)}={quote(value)}"),
            ("/api/v1/referrals/{reference}", f"/api/v1/referrals/{quote(reference, safe='')}"),
        ):
            response = client.get(url, headers=AUTH)
            if path == "/api/v1/referrals/{reference}":
                if response.status_code == 308:  # "//" in the path: routing merges slashes
                    assert "/api/v1/referrals/" in response.headers["Location"]
                    continue
                if response.status_code == 404:  # "/" in the reference: no such route
                    assert response.is_json
                    continue
            check_answer(response, path, "get")

    check()
    assert sum(seen.values()) == EXAMPLES


# --- inputs that once made the staff app answer 500 -------------------------------------------


def nested(levels: int, leaf: Any = "leaf") -> Any:
    """`levels` JSON containers, one inside the other (objects and lists in turn)."""
    value = leaf
    for n in range(levels):
        value = {"x": value} if n % 2 else [value]
    return value


def a_referral(reference: str, **extra: Any) -> dict[str, Any]:
    body = copy.deepcopy(VALID_REFERRAL)
    body["reference"] = reference
    body.update(extra)
    return body


def test_a_body_nested_deeper_than_the_limit_is_refused_naming_the_body(fuzz_app):
    """A referral with a field 400 levels deep was stored, and its staff page was a 500."""
    client = fuzz_app.test_client()
    for levels in (MAX_DEPTH, 400):  # with the body itself: MAX_DEPTH + 1 levels, and more
        response = client.post(
            "/api/v1/referrals",
            json=a_referral("MIS-DEEP-0001", extra=nested(levels)),
            headers=AUTH,
        )
        assert response.status_code == 422
        assert response.get_json() == {
            "error": "the referral is not valid",
            "problems": [
                {"field": "body", "message": f"is nested more than {MAX_DEPTH} levels deep"}
            ],
        }
    escalation = {"id": "e" * 32, "conversation_id": "c" * 32, "level": "soon",
                  "code": "cauda_equina", "source": "message",
                  "occurred_at": "2026-11-22T10:00:00+00:00", "extra": nested(400)}  # fmt: skip
    refused = client.post("/api/v1/escalations", json=escalation, headers=AUTH)
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["field"] == "body"
    assert client.get("/api/v1/referrals/MIS-DEEP-0001", headers=AUTH).status_code == 404
    # At the limit is fine: the body, then MAX_DEPTH - 1 levels inside it.
    at_limit = a_referral("MIS-DEEP-0002", extra=nested(MAX_DEPTH - 1))
    assert client.post("/api/v1/referrals", json=at_limit, headers=AUTH).status_code == 201


def test_nesting_depth_counts_containers_without_recursing():
    assert nesting_depth("text") == 0 and nesting_depth({}) == 1 and nesting_depth([[], {}]) == 2
    assert nesting_depth(nested(5000)) == 5000  # deeper than Python's recursion limit


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_are_refused(fuzz_app, constant):
    """Python reads them, SQLite's json_extract does not: one such referral broke the queue."""
    text = json.dumps(a_referral("MIS-NANN-0001"))[:-1] + f', "extra": {constant}}}'
    response = fuzz_app.test_client().post(
        "/api/v1/referrals", data=text, content_type="application/json", headers=AUTH
    )
    assert response.status_code == 422
    assert response.get_json()["problems"] == [{"field": "body", "message": "is not valid JSON"}]


@pytest.mark.parametrize(
    ("signposting", "field"),
    [
        ([{"id": "a", "title": "A leaflet", "url": 5}], "signposting.0"),
        ([{"id": "a", "url": {"href": "https://www.nhs.uk/"}}], "signposting.0"),
        (["back_pain_nhs", {"title": ["x"]}], "signposting.1"),
        ([7], "signposting.0"),
        ([None], "signposting.0"),
        ("back_pain_nhs", "signposting"),
        ({"back_pain_nhs": True}, "signposting"),
    ],
)
def test_signposting_of_the_wrong_type_is_refused_naming_the_field(fuzz_app, signposting, field):
    """A signposting url that was a number made the staff page a 500."""
    body = a_referral("MIS-SIGN-0009", signposting=signposting)
    response = fuzz_app.test_client().post("/api/v1/referrals", json=body, headers=AUTH)
    assert response.status_code == 422
    assert [problem["field"] for problem in response.get_json()["problems"]] == [field]
    assert validate_referral(body)


@pytest.mark.parametrize(
    "signposting",
    [
        [],
        ["back_pain_nhs", "selfback"],  # what the action server sends: the ids offered
        [{"id": "knee", "title": "Knee pain", "url": "https://www.nhs.uk/", "summary": "Advice"}],
    ],
)
def test_signposting_ids_or_cards_are_accepted(signposting):
    assert validate_referral(a_referral("MIS-SIGN-0001", signposting=signposting)) == []
