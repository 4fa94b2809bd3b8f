"""The FHIR export: GET /api/v1/referrals/<reference>/fhir and the staff download give a FHIR
R4 Bundle that a FHIR library (fhir.resources, R4 4.0.1) accepts, with the UK Core identifier
systems, every answer of the referral in a QuestionnaireResponse whose linkIds are in the
bundled Questionnaire, and the same bundle every time."""

from __future__ import annotations

import copy
import itertools
import os
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import fhir.resources
import pytest
from argon2 import PasswordHasher
from fhir.resources import get_fhir_model_class
from fhir.resources.bundle import Bundle
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, RefResolver

from bot.actions.submission import build_referral
from intake import create_app, storage
from intake import fhir as intake_fhir
from intake.openapi import document
from intake.referral_schema import LEVELS, RED_FLAG_ID_PATTERN, validate_referral
from intake.staff import users
from tests.conftest import TEST_SECRET_KEY, TEST_TOKEN, VALID_REFERRAL, make_tracker
from tests.support.referral_slots import COMPLETE
from tests.unit.staff.conftest import CLINICIAN, make_staff_app, rows, sign_in, store

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
REFERENCE = VALID_REFERRAL["reference"]
AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
ESCALATION = {
    "id": "e" * 32,
    "conversation_id": VALID_REFERRAL["conversation_id"],
    "level": "urgent",
    "code": "septic_arthritis",
    "codes": ["septic_arthritis"],
    "source": "screening",
    "occurred_at": "2026-11-22T09:55:00+00:00",
}


def full_referral() -> dict[str, Any]:
    """A whole referral as the action server builds it, with a GP practice ODS code and
    signposting cards and ids."""
    referral = build_referral(make_tracker(dict(COMPLETE)), "MIS-FULL-0001")
    referral["eligibility"]["gp_ods_code"] = "M85001"
    referral["patient"]["communication_needs"] = "large print letters"
    referral["signposting"] = [
        "back_pain_nhs",
        {"id": "knee", "title": "Knee pain", "url": "https://www.nhs.uk/", "summary": "Advice"},
    ]
    return referral


def post(client, body: dict[str, Any], path: str = "/api/v1/referrals") -> None:
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code in (200, 201), response.get_json()


def export(client, reference: str = REFERENCE) -> dict[str, Any]:
    response = client.get(f"/api/v1/referrals/{reference}/fhir", headers=AUTH)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/fhir+json"
    return response.get_json()


def validated(bundle: dict[str, Any]) -> Bundle:
    """The bundle parsed by the FHIR library, and each entry as its own resource class."""
    parsed = Bundle.parse_obj(bundle)
    for entry in bundle["entry"]:
        kind = get_fhir_model_class(entry["resource"]["resourceType"])
        kind.parse_obj(entry["resource"])
    return parsed


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def one(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    [found] = resources(bundle, kind)
    return found


def url_of(bundle: dict[str, Any], kind: str) -> str:
    [found] = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]
    return found


def items(tree: list[dict[str, Any]], parent: str = "") -> dict[str, tuple[str, dict]]:
    """linkId -> (parent linkId, item) over a Questionnaire's or a response's item tree."""
    found = {}
    for item in tree:
        assert item["linkId"] not in found, f"linkId {item['linkId']} twice"
        found[item["linkId"]] = (parent, item)
        found.update(items(item.get("item", []), item["linkId"]))
    return found


def leaves(value: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path, value) for every answer in the stored JSON (empty objects and lists hold none)."""
    if isinstance(value, dict):
        return [leaf for key, child in value.items() for leaf in leaves(child, (*path, key))]
    if isinstance(value, list):
        return [leaf for n, child in enumerate(value) for leaf in leaves(child, (*path, n))]
    return [(path, value)]


def expected_link_id(path: tuple) -> str:
    return "".join("/" + quote(str(part), safe="") for part in path)


ANSWER_TYPES = {
    "valueString": "string",
    "valueBoolean": "boolean",
    "valueInteger": "integer",
    "valueDecimal": "decimal",
}


def check_answers_against_questionnaire(bundle: dict[str, Any], referral: dict[str, Any]):
    """Every answer of the referral is in the QuestionnaireResponse under the linkId of its
    path; every response item is in the Questionnaire, at the same place, of the same type."""
    questionnaire = one(bundle, "Questionnaire")
    response = one(bundle, "QuestionnaireResponse")
    assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    asked, answered = items(questionnaire["item"]), items(response["item"])
    for link, (parent, item) in answered.items():
        assert link in asked, f"{link} is not in the Questionnaire"
        assert asked[link][0] == parent, link
        for reply in item.get("answer", []):
            [kind] = reply
            assert ANSWER_TYPES[kind] == asked[link][1]["type"], link
    found = {}
    for path, value in leaves(referral):
        link = expected_link_id(path)
        assert link in answered, f"{link} is missing"
        found[link] = value
    return answered, found


# --- the bundle for the valid referral -------------------------------------------------------


def test_the_bundle_for_the_valid_referral_parses_as_fhir_r4(client, referral):
    assert fhir.resources.__fhir_version__ == "4.0.1"
    post(client, referral)
    bundle = export(client)
    parsed = validated(bundle)
    assert parsed.type == "collection"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["Patient", "ServiceRequest", "QuestionnaireResponse", "Questionnaire"]
    patient = one(bundle, "Patient")
    assert "identifier" not in patient  # no NHS number given: none exported
    assert patient["name"] == [{"use": "usual", "text": "Alex Example"}]
    assert patient["birthDate"] == "1980-03-14"
    assert patient["address"] == [{"use": "home", "postalCode": "ST4 6QG"}]
    assert patient["telecom"] == [{"system": "phone", "value": "07700 900123"}]
    assert "generalPractitioner" not in patient


def test_every_answer_of_the_valid_referral_is_in_the_questionnaire_response(client, referral):
    post(client, referral)
    bundle = export(client)
    answered, found = check_answers_against_questionnaire(bundle, referral)
    for link, value in found.items():
        [reply] = answered[link][1]["answer"]
        assert list(reply.values()) == [value], link
    assert answered["/problem/body_area"][1]["text"] == "Body area"


def test_a_whole_referral_maps_to_uk_core_identifiers_and_every_resource(client):
    referral = full_referral()
    post(client, referral)
    bundle = export(client, referral["reference"])
    validated(bundle)

    patient = one(bundle, "Patient")
    [nhs_number] = patient["identifier"]
    assert nhs_number["system"] == NHS_NUMBER_SYSTEM
    assert nhs_number["value"] == "9434765870"  # given as "943 476 5870": digits only
    assert patient["address"] == [
        {"use": "home", "line": ["12 Example Street"], "postalCode": "ST4 6QG"}
    ]
    assert patient["telecom"] == [{"system": "phone", "value": "07700 900123"}]  # no email
    assert [e["valueString"] for e in patient["extension"]] == ["large print letters"]

    practice = one(bundle, "Organization")
    assert practice["identifier"] == [{"system": ODS_SYSTEM, "value": "M85001"}]
    assert practice["name"] == "Example Street Surgery"
    assert patient["generalPractitioner"] == [{"reference": url_of(bundle, "Organization")}]

    request = one(bundle, "ServiceRequest")
    patient_url = url_of(bundle, "Patient")
    assert request["status"] == "active" and request["intent"] == "proposal"
    assert request["priority"] == "routine"
    assert request["subject"] == request["requester"] == {"reference": patient_url}
    assert request["supportingInfo"] == [{"reference": url_of(bundle, "QuestionnaireResponse")}]
    assert request["performer"] == [{"display": "MSK Intermediate Service (MIS)"}]
    assert request["reasonCode"] == [{"text": "Body area: knee; Side: right; Onset: injury"}]
    assert not resources(bundle, "Flag")

    answered, found = check_answers_against_questionnaire(bundle, referral)
    for link, value in found.items():
        replies = [list(reply.values()) for reply in answered[link][1].get("answer", [])]
        assert replies == ([] if value is None else [[value]]), link
    assert "/red_flag_screening/septic_arthritis" in answered
    assert "/signposting/1/title" in answered


def test_a_practice_name_alone_is_exported_without_an_identifier(client, referral):
    referral["eligibility"] = {"gp_practice": "Example Street Surgery"}
    post(client, referral)
    bundle = export(client)
    practice = one(bundle, "Organization")
    assert practice == {
        "resourceType": "Organization",
        "id": practice["id"],
        "name": "Example Street Surgery",
    }


@pytest.mark.parametrize(
    ("nhs_number", "exported"),
    [
        ("943 476 5870", "9434765870"),
        ("9434765870", "9434765870"),
        ("not given", None),
        (None, None),
        ("943 476 5871", None),  # fails its check digit
    ],
)
def test_the_nhs_number_is_digits_only_and_left_out_when_not_given(
    client, referral, nhs_number, exported
):
    referral["patient"]["nhs_number"] = nhs_number
    post(client, referral)
    patient = one(export(client), "Patient")
    values = [i["value"] for i in patient.get("identifier", []) if i["system"] == NHS_NUMBER_SYSTEM]
    assert values == ([exported] if exported else [])


def test_a_field_added_later_is_exported_without_a_code_change(client, referral):
    referral["problem"]["sleep_quality"] = "poor"
    referral["follow_up"] = {"preferred_day_2": "Tuesday"}
    post(client, referral)
    answered, _ = check_answers_against_questionnaire(export(client), referral)
    assert answered["/problem/sleep_quality"][1]["text"] == "Sleep quality"
    assert answered["/follow_up/preferred_day_2"][1]["text"] == "Preferred day 2"
    assert answered["/follow_up/preferred_day_2"][1]["answer"] == [{"valueString": "Tuesday"}]


# --- status, priority, escalation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "request_status"),
    [
        ("new", "active"),
        ("in_review", "active"),
        ("accepted", "active"),
        ("redirected", "revoked"),
        ("closed", "completed"),
    ],
)
def test_the_referral_status_maps_to_the_service_request_status(
    app, client, referral, status, request_status
):
    assert set(storage.STATUSES) == {"new", "in_review", "accepted", "redirected", "closed"}
    post(client, referral)
    with app.app_context(), storage.database().conn as connection:
        connection.execute(
            "UPDATE referrals SET status = ? WHERE reference = ?", [status, REFERENCE]
        )
    assert one(export(client), "ServiceRequest")["status"] == request_status


def test_an_escalated_referral_is_urgent_with_a_clinical_flag(client, referral):
    post(client, referral)
    post(client, ESCALATION, "/api/v1/escalations")
    bundle = export(client)
    validated(bundle)
    assert one(bundle, "ServiceRequest")["priority"] == "urgent"
    flag = one(bundle, "Flag")
    assert flag["status"] == "active"
    assert flag["category"][0]["coding"][0]["code"] == "clinical"
    assert flag["code"]["text"] == "septic_arthritis / urgent"
    assert flag["code"]["coding"][0]["code"] == "septic_arthritis"
    assert flag["subject"] == {"reference": url_of(bundle, "Patient")}
    assert flag["period"] == {"start": "2026-11-22T09:55:00Z"}


def test_a_referral_marked_escalated_without_a_record_still_has_a_flag(client, referral):
    referral["escalated"] = True
    post(client, referral)
    bundle = export(client)
    validated(bundle)
    assert one(bundle, "ServiceRequest")["priority"] == "urgent"
    assert one(bundle, "Flag")["code"] == {"text": "escalated"}


# --- the same bundle every time ---------------------------------------------------------------


def test_the_export_is_deterministic_with_uuid5_full_urls(client, referral):
    post(client, referral)
    first, second = export(client), export(client)
    assert first == second
    other = {**copy.deepcopy(referral), "reference": "MIS-0THR-0001"}
    post(client, other)
    third = export(client, "MIS-0THR-0001")
    urls = [entry["fullUrl"] for entry in first["entry"]]
    assert len(set(urls)) == len(urls)
    for entry in first["entry"]:
        value = uuid.UUID(entry["fullUrl"].removeprefix("urn:uuid:"))
        assert entry["fullUrl"].startswith("urn:uuid:") and value.version == 5
        assert entry["resource"]["id"] == str(value)
    assert not set(urls) & {entry["fullUrl"] for entry in third["entry"]}


# --- the API route ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-wrong-token-wrong", TEST_TOKEN])
def test_the_api_route_needs_the_bearer_token(client, referral, header):
    post(client, referral)
    headers = {"Authorization": header} if header else {}
    response = client.get(f"/api/v1/referrals/{REFERENCE}/fhir", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": "a valid bearer token is required"}


def test_an_unknown_reference_is_a_json_404(client):
    response = client.get("/api/v1/referrals/MIS-0000-0000/fhir", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == {"error": "no referral has this reference"}


def test_the_route_is_documented_and_answers_as_documented(client, referral):
    spec = document()
    operation = spec["paths"]["/api/v1/referrals/{reference}/fhir"]["get"]
    assert operation["security"] == [{"bearerToken": []}]
    assert {"200", "401", "404"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/fhir+json"]["schema"]
    post(client, referral)
    checker = Draft202012Validator(schema, resolver=RefResolver.from_schema(spec))
    assert list(checker.iter_errors(export(client))) == []


# --- the staff download -----------------------------------------------------------------------


@pytest.fixture
def staff_app(tmp_path, monkeypatch):
    monkeypatch.setattr(
        users, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    app = make_staff_app(tmp_path, monkeypatch)
    store(app, copy.deepcopy(VALID_REFERRAL))
    return app


def test_a_signed_in_clinician_downloads_the_bundle_and_it_is_audited(staff_app):
    client = staff_app.test_client()
    assert sign_in(client, *CLINICIAN).status_code == 302
    page = client.get(f"/staff/referrals/{REFERENCE}")
    assert f'href="/staff/referrals/{REFERENCE}/fhir"' in page.text
    assert "Download as FHIR (JSON)" in page.text
    response = client.get(f"/staff/referrals/{REFERENCE}/fhir")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{REFERENCE}-fhir.json"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    validated(response.get_json())
    with staff_app.app_context():
        assert response.get_json() == intake_fhir.export(REFERENCE)
    audit = rows(
        staff_app, "SELECT actor, target_id, detail FROM audit_log WHERE action = 'export_fhir'"
    )
    assert audit == [{"actor": CLINICIAN[0], "target_id": REFERENCE, "detail": "{}"}]
    assert client.get("/staff/referrals/MIS-0000-0000/fhir").status_code == 404


def test_an_anonymous_download_is_sent_to_sign_in(staff_app):
    response = staff_app.test_client().get(f"/staff/referrals/{REFERENCE}/fhir")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in")
    assert rows(staff_app, "SELECT 1 FROM audit_log WHERE action = 'export_fhir'") == []


# --- referrals drawn from the API's own schema ------------------------------------------------

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
ZONES = [timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
moments = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.sampled_from(ZONES))


@st.composite
def stored_referrals(draw) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A referral from the OpenAPI document's schema that the API accepts (a birth date and a
    submission time that are real), and escalations for its conversation."""
    body = draw(from_schema(document()["components"]["schemas"]["Referral"]))
    earliest, latest = date(1900, 1, 1), date.today() - timedelta(days=1)
    body["patient"]["date_of_birth"] = draw(st.dates(earliest, latest)).isoformat()
    if "submitted_at" in body:
        body["submitted_at"] = draw(moments).isoformat()
    assume(validate_referral(body) == [])
    escalation = st.fixed_dictionaries(
        {
            "level": st.sampled_from(LEVELS),
            "code": st.from_regex(RED_FLAG_ID_PATTERN.removesuffix("$") + r"\Z"),
            "occurred_at": moments.map(datetime.isoformat),
        }
    )
    return body, draw(st.lists(escalation, max_size=3))


@pytest.mark.slow  # property-based, about 15 s: run by make test
def test_referrals_drawn_from_the_schema_all_export_to_a_valid_bundle(tmp_path, monkeypatch):
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)
    app = create_app({"intake_db": tmp_path / "intake.db", "tracker_db": tmp_path / "t.db"})
    client, numbers = app.test_client(), itertools.count()
    seen = {"examples": 0, "flags": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,  # no .hypothesis/ folder in the tree
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
    @given(stored_referrals())
    def check(case):
        body, escalations = case
        number = next(numbers)
        reference = f"MIS-{number // 10000:04d}-{number % 10000:04d}"  # one per example
        body = {**body, "reference": reference, "conversation_id": f"c{number}"}
        post(client, body)
        for n, record in enumerate(escalations):
            record = {**record, "id": f"{number:016x}{n:016x}", "source": "message"}
            record["conversation_id"] = body["conversation_id"]
            post(client, record, "/api/v1/escalations")
        bundle = export(client, body["reference"])
        validated(bundle)
        answered, found = check_answers_against_questionnaire(bundle, body)
        for link, value in found.items():
            replies = answered[link][1].get("answer", [])
            textless = isinstance(value, str) and not re.search(r"[^\s\x00-\x1f]", value)
            assert len(replies) == (0 if value is None or textless else 1), link
        escalated = bool(escalations) or body.get("escalated") is True
        assert one(bundle, "ServiceRequest")["priority"] == ("urgent" if escalated else "routine")
        assert bool(resources(bundle, "Flag")) == escalated
        seen["examples"] += 1
        seen["flags"] += escalated

    check()
    assert seen["examples"] >= EXAMPLES // 2 and seen["flags"] > 0


def test_make_evals_fhir_check_accepts_an_export_and_names_what_is_wrong(client):
    """`make eval` checks the bundle of every generated patient's referral with
    `scripts.varied_patients.fhir_problems`: it passes a real export and catches a bad one."""
    from scripts.varied_patients import fhir_problems

    whole = full_referral()
    post(client, whole)
    bundle = export(client, whole["reference"])
    assert fhir_problems(bundle) == []
    broken = copy.deepcopy(bundle)
    one(broken, "Patient")["birthDate"] = "the fourth of May"
    assert fhir_problems(broken) and "ValidationError" in fhir_problems(broken)[0]
    foreign = copy.deepcopy(bundle)
    one(foreign, "Patient")["identifier"][0]["system"] = "https://example.org/patient-id"
    assert fhir_problems(foreign) == [
        "Patient identifier systems ['https://example.org/patient-id']"
    ]
