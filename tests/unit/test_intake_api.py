"""The intake API stores each referral exactly once and explains every refusal in JSON."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlite_utils import Database
from werkzeug.serving import make_server

from intake import create_app
from tests.conftest import TEST_TOKEN

REFERENCE = "MIS-7K3P-QD9X"
ESCALATION = {
    "id": "0" * 32,
    "conversation_id": "0123456789abcdef0123456789abcdef",
    "level": "urgent",
    "code": "septic_arthritis",
    "codes": ["septic_arthritis"],
    "source": "message",
    "occurred_at": "2026-11-23T10:00:00+00:00",
}
PROTECTED = [
    ("post", "/api/v1/referrals"),
    ("get", "/api/v1/referrals"),
    ("get", f"/api/v1/referrals/{REFERENCE}"),
    ("post", "/api/v1/escalations"),
    ("get", "/api/v1/escalations"),
]


def fields(response) -> list[str]:
    return [problem["field"] for problem in response.get_json()["problems"]]


def row(app, reference: str = REFERENCE) -> dict:
    db = Database(app.config["SETTINGS"].intake_db)
    [found] = list(db["referrals"].rows_where("reference = ?", [reference]))
    return found


# --- the bearer token ------------------------------------------------------------------------


BAD_AUTHORIZATION = [
    None,
    "Bearer wrong-token-wrong-token-wrong",
    f"Basic {TEST_TOKEN}",
    f"bearer{TEST_TOKEN}",
    "Bearer ",
    TEST_TOKEN,
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_intake_route_refuses_a_missing_or_bad_token(client, referral, method, path):
    for header in BAD_AUTHORIZATION:
        headers = {"Authorization": header} if header else {}
        response = getattr(client, method)(path, json=referral, headers=headers)
        assert response.status_code == 401, header
        assert response.get_json() == {"error": "a valid bearer token is required"}
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_refused_token_stores_nothing(client, auth, referral):
    client.post("/api/v1/referrals", json=referral, headers={"Authorization": "Bearer nope"})
    assert client.get(f"/api/v1/referrals/{REFERENCE}", headers=auth).status_code == 404


# --- storing and reading back ----------------------------------------------------------------


def test_a_referral_is_stored_and_read_back_with_every_field(client, auth, referral):
    created = client.post("/api/v1/referrals", json=referral, headers=auth)
    assert created.status_code == 201
    read = client.get(f"/api/v1/referrals/{REFERENCE}", headers=auth)
    assert read.status_code == 200
    assert read.json["status"] == "new" and read.json["escalated"] is False
    assert read.json["referral"] == referral
    assert read.json == created.json


def test_fields_the_schema_does_not_list_are_kept(client, auth, referral):
    referral["signposting"] = ["back_pain_nhs", "selfback"]
    referral["problem"]["goals"] = "walking the dog"
    client.post("/api/v1/referrals", json=referral, headers=auth)
    stored = client.get(f"/api/v1/referrals/{REFERENCE}", headers=auth).json["referral"]
    assert stored["signposting"] == ["back_pain_nhs", "selfback"]
    assert stored["problem"]["goals"] == "walking the dog"


def test_the_queue_columns_are_filled_for_the_staff_app(app, client, auth, referral):
    referral["patient"]["full_name"] = "Sam Sample"
    referral["problem"].update(daily_impact="struggle with stairs", goals="walking the dog")
    client.post("/api/v1/referrals", json=referral, headers=auth)
    stored = row(app)
    assert stored["body_area"] == "knee"
    assert stored["escalated"] == 0
    assert stored["updated_at"] == stored["received_at"]
    for text in (REFERENCE, "Sam Sample", "ST4 6QG", "knee", "stairs", "walking the dog"):
        assert text in stored["search_text"]
    assert "07700" not in stored["search_text"]  # the phone number is not searched


@pytest.mark.parametrize("words", ["Sample", "stairs", "ST4", "QD9X"])
def test_the_staff_full_text_search_finds_a_stored_referral(app, client, auth, referral, words):
    referral["patient"]["full_name"] = "Sam Sample"
    referral["problem"]["daily_impact"] = "struggle with stairs"
    client.post("/api/v1/referrals", json=referral, headers=auth)
    db = Database(app.config["SETTINGS"].intake_db)
    found = db.execute(
        "SELECT r.reference FROM referrals r JOIN referrals_fts f ON f.rowid = r.rowid "
        "WHERE referrals_fts MATCH ?",
        [db.quote_fts(words)],
    ).fetchall()
    assert found == [(REFERENCE,)]


def test_a_referral_whose_conversation_escalated_earlier_is_flagged(app, client, auth, referral):
    escalation = {**ESCALATION, "conversation_id": referral["conversation_id"]}
    assert client.post("/api/v1/escalations", json=escalation, headers=auth).status_code == 201
    client.post("/api/v1/referrals", json=referral, headers=auth)
    assert row(app)["escalated"] == 1
    assert client.get(f"/api/v1/referrals/{REFERENCE}", headers=auth).json["escalated"] is True


def test_the_same_escalation_again_is_stored_once_and_a_different_one_under_its_id_is_a_409(
    client, auth
):
    """Escalations agree with referrals: once, a different body under a used id was answered
    200 and silently dropped."""
    assert client.post("/api/v1/escalations", json=ESCALATION, headers=auth).status_code == 201
    assert client.post("/api/v1/escalations", json=ESCALATION, headers=auth).status_code == 200
    changed = {**ESCALATION, "level": "urgent" if ESCALATION["level"] != "urgent" else "soon"}
    answer = client.post("/api/v1/escalations", json=changed, headers=auth)
    assert answer.status_code == 409
    stored = client.get("/api/v1/escalations", headers=auth).json["escalations"]
    assert [e["level"] for e in stored] == [ESCALATION["level"]]


def test_an_escalation_after_the_referral_flags_it_too(app, client, auth, referral):
    client.post("/api/v1/referrals", json=referral, headers=auth)
    assert row(app)["escalated"] == 0
    escalation = {**ESCALATION, "conversation_id": referral["conversation_id"]}
    client.post("/api/v1/escalations", json=escalation, headers=auth)
    assert row(app)["escalated"] == 1


def test_a_referral_that_says_it_escalated_is_flagged(app, client, auth, referral):
    client.post("/api/v1/referrals", json={**referral, "escalated": True}, headers=auth)
    assert row(app)["escalated"] == 1


# --- idempotency -----------------------------------------------------------------------------


def test_posting_the_same_referral_again_is_idempotent(client, auth, referral):
    first = client.post("/api/v1/referrals", json=referral, headers=auth)
    again = client.post("/api/v1/referrals", json=referral, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    listed = client.get("/api/v1/referrals", headers=auth).json["referrals"]
    assert [r["reference"] for r in listed] == [REFERENCE]


def test_the_same_referral_with_its_keys_in_another_order_is_the_same(client, auth, referral):
    client.post("/api/v1/referrals", json=referral, headers=auth)
    shuffled = json.dumps(dict(reversed(list(referral.items()))))
    again = client.post(
        "/api/v1/referrals", data=shuffled, content_type="application/json", headers=auth
    )
    assert again.status_code == 200


def test_a_different_referral_with_a_used_reference_is_a_conflict(client, auth, referral):
    client.post("/api/v1/referrals", json=referral, headers=auth)
    changed = copy.deepcopy(referral)
    changed["patient"]["postcode"] = "WS11 1DB"
    response = client.post("/api/v1/referrals", json=changed, headers=auth)
    assert response.status_code == 409
    assert response.json == {"error": "a different referral already has this reference"}
    stored = client.get(f"/api/v1/referrals/{REFERENCE}", headers=auth).json
    assert stored["referral"]["patient"]["postcode"] == "ST4 6QG"


@pytest.fixture
def served(app) -> Iterator[list[str]]:
    """The app over real HTTP twice (two servers, one database file): concurrent writers."""
    second = create_app({"intake_db": app.config["SETTINGS"].intake_db})
    servers = [make_server("127.0.0.1", 0, each, threaded=True) for each in (app, second)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [f"http://127.0.0.1:{server.server_port}" for server in servers]
    for server in servers:
        server.shutdown()


def test_concurrent_posts_of_one_reference_over_http_store_one_record(app, served, auth, referral):
    barrier = threading.Barrier(24)

    def post(index: int) -> tuple[int, str]:
        barrier.wait()
        response = requests.post(
            f"{served[index % 2]}/api/v1/referrals", json=referral, headers=auth, timeout=30
        )
        return response.status_code, response.json()["reference"]

    with ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(post, range(24)))
    assert sorted(status for status, _ in answers) == [200] * 23 + [201]
    assert {reference for _, reference in answers} == {REFERENCE}
    db = Database(app.config["SETTINGS"].intake_db)
    assert db["referrals"].count == 1
    assert db.execute("SELECT COUNT(*) FROM referrals_fts").fetchone() == (1,)


def test_concurrent_posts_of_one_reference_with_different_bodies_keep_the_first(
    app, served, auth, referral
):
    bodies = []
    for index in range(12):
        body = copy.deepcopy(referral)
        body["problem"]["duration"] = f"{index + 1} weeks"
        bodies.append(body)

    def post(index: int) -> int:
        return requests.post(
            f"{served[index % 2]}/api/v1/referrals", json=bodies[index], headers=auth, timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(pool.map(post, range(12)))
    assert statuses == [201] + [409] * 11
    assert Database(app.config["SETTINGS"].intake_db)["referrals"].count == 1


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda r: r.pop("reference"), "reference", "is required"),
        (lambda r: r.update(reference="12345"), "reference", "must look like MIS-7K3P-QD9X"),
        (lambda r: r.update(reference=REFERENCE + "\n"), "reference", "at most 13"),
        (lambda r: r.update(conversation_id="   "), "conversation_id", "non-empty"),
        (lambda r: r.update(consent=False), "consent", "must be true"),
        (lambda r: r.update(consent="yes"), "consent", "must be true"),
        (lambda r: r.update(submitted_at="yesterday"), "submitted_at", "ISO 8601"),
        (lambda r: r.update(submitted_at="2026-02-30T10:00:00Z"), "submitted_at", "ISO 8601"),
        (lambda r: r.update(patient="Sam Sample"), "patient", "JSON object"),
        (lambda r: r["patient"].update(postcode="st4 6qg"), "patient.postcode", "upper case"),
        # "$" is the end of the text: a trailing newline once passed every pattern
        (lambda r: r["patient"].update(postcode="ST4 6QG\n"), "patient.postcode", "upper case"),
        (lambda r: r.update(reference=r["reference"] + "\n"), "reference", ""),
        (lambda r: r["patient"].update(date_of_birth="14/03/1980"), "patient.date_of_birth", ""),
        (lambda r: r["patient"].update(date_of_birth="2999-01-01"), "patient.date_of_birth", ""),
        (lambda r: r["patient"].update(date_of_birth="1980-02-30"), "patient.date_of_birth", ""),
        (lambda r: r["patient"].update(full_name=""), "patient.full_name", "non-empty"),
        (lambda r: r["patient"].update(full_name="x" * 101), "patient.full_name", "at most 100"),
        (lambda r: r["patient"].update(email=5), "patient.email", "text or null"),
        (lambda r: r["patient"].pop("phone"), "patient.phone", "is required"),
        (lambda r: r.pop("problem"), "problem", "is required"),
        (lambda r: r["problem"].pop("body_area"), "problem.body_area", "is required"),
        (lambda r: r.update(red_flag_screening={"cauda_equina": "maybe"}),
         "red_flag_screening.cauda_equina", "yes or no"),
        (lambda r: r.update(escalated="no"), "escalated", "true or false"),
    ],
)  # fmt: skip
def test_an_invalid_referral_is_refused_naming_the_field_and_the_problem(
    client, auth, referral, change, field, message
):
    change(referral)
    response = client.post("/api/v1/referrals", json=referral, headers=auth)
    assert response.status_code == 422
    assert response.json["error"] == "the referral is not valid"
    problems = {p["field"]: p["message"] for p in response.json["problems"]}
    assert field in problems, problems
    assert message in problems[field]
    assert client.get(f"/api/v1/referrals/{REFERENCE}", headers=auth).status_code == 404


def test_every_wrong_field_is_named_at_once(client, auth):
    body = {"reference": "x", "patient": {"postcode": 3}, "consent": True}
    response = client.post("/api/v1/referrals", json=body, headers=auth)
    assert set(fields(response)) == {
        "reference",
        "conversation_id",
        "problem",
        "patient.full_name",
        "patient.date_of_birth",
        "patient.postcode",
        "patient.phone",
    }


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        ("not json", "text/plain", "must be JSON, sent with Content-Type: application/json"),
        ('{"reference": ', "application/json", "is not valid JSON"),
        ("", "application/json", "is not valid JSON"),
        ("[" * 5000 + "]" * 5000, "application/json", "is not valid JSON"),
        ('{"reference": "\\ud800"}', "application/json", "holds text that is not valid Unicode"),
        ('["a referral"]', "application/json", "the body must be a JSON object"),
        ('"MIS-7K3P-QD9X"', "application/json", "the body must be a JSON object"),
        ("null", "application/json", "the body must be a JSON object"),
    ],
    ids=[
        "text",
        "truncated",
        "empty",
        "deeply-nested",
        "lone-surrogate",
        "array",
        "string",
        "null",
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/referrals", "/api/v1/escalations"])
def test_a_body_that_is_not_a_json_object_gets_a_json_error(
    client, auth, path, data, content_type, message
):
    response = client.post(path, data=data, content_type=content_type, headers=auth)
    assert response.status_code == 422
    assert response.json["problems"] == [{"field": "body", "message": message}]


@pytest.mark.parametrize("path", ["/api/v1/referrals", "/api/v1/escalations"])
def test_an_oversized_body_is_refused_with_a_json_413(client, auth, referral, path):
    referral["problem"]["goals"] = "x" * (70 * 1024)
    response = client.post(path, json=referral, headers=auth)
    assert response.status_code == 413
    assert response.get_json() == {"error": "the body is too large: at most 65536 bytes"}


def test_an_oversized_body_without_a_token_is_still_only_a_401_or_413(client, referral):
    referral["problem"]["goals"] = "x" * (70 * 1024)
    assert client.post("/api/v1/referrals", json=referral).status_code in (401, 413)


# --- reading: 404, filters, wrong methods ----------------------------------------------------


def test_an_unknown_reference_is_a_json_404(client, auth):
    response = client.get("/api/v1/referrals/MIS-0000-0000", headers=auth)
    assert response.status_code == 404
    assert response.get_json() == {"error": "no referral has this reference"}


def test_an_unknown_api_path_is_a_json_404_and_a_wrong_method_a_json_405(client, auth):
    missing = client.get("/api/v1/nothing-here", headers=auth)
    assert missing.status_code == 404 and "openapi.json" in missing.get_json()["error"]
    wrong = client.delete(f"/api/v1/referrals/{REFERENCE}", headers=auth)
    assert wrong.status_code == 405 and "error" in wrong.get_json()
    assert "GET" in wrong.headers["Allow"]


def test_the_list_filters_by_status_and_date(client, auth, referral):
    client.post("/api/v1/referrals", json=referral, headers=auth)
    assert len(client.get("/api/v1/referrals?status=new", headers=auth).json["referrals"]) == 1
    assert client.get("/api/v1/referrals?status=closed", headers=auth).json["referrals"] == []
    future = client.get("/api/v1/referrals?since=2999-01-01", headers=auth)
    assert future.json["referrals"] == []
    past = client.get("/api/v1/referrals?since=2000-01-01T00:00:00%2B00:00", headers=auth)
    assert len(past.json["referrals"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/v1/referrals?status=lost", "status"),
        ("/api/v1/referrals?since=last-tuesday", "since"),
        ("/api/v1/escalations?level=later", "level"),
        ("/api/v1/escalations?since=soon", "since"),
    ],
)
def test_a_bad_list_filter_is_refused_naming_it(client, auth, query, field):
    response = client.get(query, headers=auth)
    assert response.status_code == 422
    assert fields(response) == [field]


# --- escalations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "not-hex"}, "id"),
        ({"level": "later"}, "level"),
        ({"code": "Cauda Equina"}, "code"),
        ({"codes": ["ok", "Not OK"]}, "codes.1"),
        ({"codes": "cauda_equina"}, "codes"),
        ({"source": "rumour"}, "source"),
        ({"occurred_at": "now"}, "occurred_at"),
        ({"conversation_id": ""}, "conversation_id"),
    ],
)
def test_an_invalid_escalation_is_refused_naming_the_field(client, auth, change, field):
    response = client.post("/api/v1/escalations", json={**ESCALATION, **change}, headers=auth)
    assert response.status_code == 422
    assert field in fields(response)


def test_an_escalation_is_stored_once_and_listed(client, auth):
    assert client.post("/api/v1/escalations", json=ESCALATION, headers=auth).status_code == 201
    again = client.post("/api/v1/escalations", json=ESCALATION, headers=auth)
    assert again.status_code == 200 and again.json == {"id": ESCALATION["id"]}
    listed = client.get("/api/v1/escalations?level=urgent", headers=auth).json["escalations"]
    assert [e["code"] for e in listed] == ["septic_arthritis"]
    assert listed[0]["codes"] == ["septic_arthritis"]
