"""The intake API stores each referral exactly once and explains every refusal."""

from concurrent.futures import ThreadPoolExecutor

import pytest


def test_every_intake_route_refuses_a_request_without_the_token(client, referral):
    assert client.post("/api/v1/referrals", json=referral).status_code == 401
    assert client.get("/api/v1/referrals").status_code == 401
    assert client.get("/api/v1/referrals/MIS-7K3P-QD9X").status_code == 401
    wrong = {"Authorization": "Bearer wrong-token"}
    assert client.get("/api/v1/referrals", headers=wrong).status_code == 401


def test_a_referral_is_stored_and_read_back_with_every_field(client, auth, referral):
    created = client.post("/api/v1/referrals", json=referral, headers=auth)
    assert created.status_code == 201
    read = client.get("/api/v1/referrals/MIS-7K3P-QD9X", headers=auth)
    assert read.status_code == 200
    assert read.json["status"] == "new"
    assert read.json["referral"] == referral


def test_posting_the_same_referral_again_is_idempotent(client, auth, referral):
    first = client.post("/api/v1/referrals", json=referral, headers=auth)
    again = client.post("/api/v1/referrals", json=referral, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    listed = client.get("/api/v1/referrals", headers=auth).json["referrals"]
    assert [r["reference"] for r in listed] == ["MIS-7K3P-QD9X"]


def test_a_different_referral_with_a_used_reference_is_a_conflict(client, auth, referral):
    client.post("/api/v1/referrals", json=referral, headers=auth)
    referral["patient"]["postcode"] = "WS11 1DB"
    response = client.post("/api/v1/referrals", json=referral, headers=auth)
    assert response.status_code == 409
    stored = client.get("/api/v1/referrals/MIS-7K3P-QD9X", headers=auth).json
    assert stored["referral"]["patient"]["postcode"] == "ST4 6QG"


def test_concurrent_posts_of_one_reference_store_one_record(app, auth, referral):
    def post(_):
        with app.test_client() as client:
            return client.post("/api/v1/referrals", json=referral, headers=auth).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(post, range(16)))
    assert statuses == [200] * 15 + [201]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.pop("reference"), "reference"),
        (lambda r: r.update(reference="12345"), "reference"),
        (lambda r: r.update(consent=False), "consent"),
        (lambda r: r["patient"].update(postcode="st4 6qg"), "patient.postcode"),
        (lambda r: r["patient"].update(date_of_birth="14/03/1980"), "patient.date_of_birth"),
        (lambda r: r["patient"].update(date_of_birth="2999-01-01"), "patient.date_of_birth"),
        (lambda r: r["patient"].update(full_name=""), "patient.full_name"),
        (lambda r: r.pop("problem"), "problem.body_area"),
        (lambda r: r["patient"].pop("phone"), "patient.phone"),
    ],
)
def test_an_invalid_referral_is_refused_naming_the_field(client, auth, referral, change, field):
    change(referral)
    response = client.post("/api/v1/referrals", json=referral, headers=auth)
    assert response.status_code == 422
    assert field in [problem["field"] for problem in response.json["problems"]]


def test_a_body_that_is_not_json_gets_a_json_error(client, auth):
    response = client.post("/api/v1/referrals", data="not json", headers=auth)
    assert response.status_code == 422
    assert response.json["problems"][0]["message"] == "the body must be a JSON object"


def test_an_unknown_reference_is_a_json_404(client, auth):
    response = client.get("/api/v1/referrals/MIS-0000-0000", headers=auth)
    assert response.status_code == 404
    assert "error" in response.json


def test_the_list_filters_by_status(client, auth, referral):
    client.post("/api/v1/referrals", json=referral, headers=auth)
    assert len(client.get("/api/v1/referrals?status=new", headers=auth).json["referrals"]) == 1
    assert client.get("/api/v1/referrals?status=closed", headers=auth).json["referrals"] == []


def test_the_chat_gateway_refuses_empty_and_oversized_messages(client):
    assert client.post("/api/v1/chat", json={"message": "  "}).status_code == 400
    assert client.post("/api/v1/chat", json={"message": "x" * 1001}).status_code == 413


def test_the_demo_page_has_a_chat_box_that_renders_text_only(client):
    page = client.get("/")
    assert page.status_code == 200
    assert b'role="log"' in page.data
    script = client.get("/widget/chat.js").data.decode()
    assert "textContent" in script and "innerHTML" not in script
