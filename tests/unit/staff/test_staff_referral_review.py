"""Reviewing one referral: every field, the red-flag answers and the signposting, escaped;
the conversation transcript from the tracker store, escaped and in order; the status
workflow recording who, when and why; and the escalations list."""

import html
import re
from datetime import datetime, timedelta, timezone

import pytest

from intake import storage
from tests.unit.staff.conftest import REFERRAL, csrf_token, make_referral, rows, store

NOW = datetime.now(timezone.utc)
CONVERSATION = "c0ffee" + "0" * 26


def _leaf_values(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaf_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaf_values(item)
    elif isinstance(value, str) and value:
        yield value


def test_the_detail_page_shows_every_field_of_the_referral(staff_app, clinician):
    payload = make_referral("MIS-DETL-0001", CONVERSATION)
    store(staff_app, payload)
    page = clinician.get("/staff/referrals/MIS-DETL-0001")
    assert page.status_code == 200
    text = html.unescape(page.text)
    # Coded answers and times are shown in words (the field registry), the rest as given.
    in_words = {
        "2026-11-22T10:00:00+00:00": "22 Nov 2026, 10:00",
        "1971-11-02": "2 November 1971 (age ",
        "in_area": "In the service's area",
        "working": "In work",
        "both": "Voicemail and texts are fine",
        "injury": "After an injury",
        "right": "Right",
        "knee": "Knee",
    }
    for value in _leaf_values({k: v for k, v in payload.items() if k != "red_flag_screening"}):
        assert in_words.get(value, value) in text, value
    for code in ("in_area", "working", "injury"):
        assert f">{code}<" not in text.replace("\n", "").replace(" ", "")
    assert "6/10" in text
    for key in ("Full name", "Date of birth", "NHS number", "GP practice", "Pain score", "Goals"):
        assert key in text
    assert text.index("Full name") < text.index("Date of birth") < text.index("Postcode")
    # The red-flag answer comes with the catalogue's title and the question that was asked.
    assert "Hot, swollen joint (possible joint infection) (septic_arthritis)" in text
    assert re.search(r"septic_arthritis\)</td>\s*<td[^>]*>[^<]+</td>\s*<td[^>]*><strong>no", text)
    assert "No signposting is recorded" in text
    assert f"/staff/conversations/{CONVERSATION}" in text


def test_the_detail_page_escapes_what_the_patient_typed(staff_app, clinician):
    payload = make_referral("MIS-XSSD-0001", CONVERSATION, full_name="<script>alert(1)</script>")
    payload["problem"]["goals"] = '"><img src=x onerror=alert(2)>'
    store(staff_app, payload)
    page = clinician.get("/staff/referrals/MIS-XSSD-0001").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<script" not in page.lower()  # no script at all on staff pages (CSP: none inline)


def test_the_detail_page_shows_the_signposting_given(staff_app, clinician):
    payload = make_referral("MIS-SIGN-0001", CONVERSATION)
    payload["signposting"] = [
        {
            "id": "versus_arthritis_knee",
            "title": "Knee pain leaflet",
            "url": "https://www.versusarthritis.org/about-arthritis/conditions/knee-pain/",
            "summary": "Exercises and advice for knee pain.",
        },
        {"id": "odd", "title": "Not a link", "url": "javascript:alert(1)", "summary": ""},
    ]
    store(staff_app, payload)
    page = clinician.get("/staff/referrals/MIS-SIGN-0001").text
    assert "Knee pain leaflet" in page
    assert 'href="https://www.versusarthritis.org/about-arthritis/conditions/knee-pain/"' in page
    assert 'href="javascript' not in page


def _nested(depth: int, leaf: object = "deep leaf") -> object:
    value = leaf
    for n in range(depth):
        value = {f"level_{n}": value} if n % 2 else [value]
    return value


def _set_payload(app, reference: str, text: str) -> None:
    with app.app_context():
        db = storage.database()
        with db.conn:
            db.execute("UPDATE referrals SET payload = ? WHERE reference = ?", [text, reference])


@pytest.mark.parametrize(
    "odd",
    [
        {"extra": _nested(400)},  # once a RecursionError (HTTP 500) while rendering
        {"signposting": [{"id": "a", "title": "A leaflet", "url": 5}]},  # once an UndefinedError
        {"signposting": [{"id": "b", "url": {"href": "https://www.nhs.uk/"}}, 7, None, ["x"]]},
        {"signposting": {"not": "a list"}},
        {"red_flag_screening": {"septic_arthritis": {"odd": [1, 2]}}, "escalated": "maybe"},
        {"extra": float("nan"), "problem": {"body_area": 3, "pain_score": float("inf")}},
    ],
)
def test_an_odd_stored_payload_still_gets_a_page_not_a_500(staff_app, clinician, odd):
    """Defence in depth: the intake API refuses these now, but a referral stored earlier (or
    by another writer) must still be readable by staff."""
    payload = make_referral("MIS-ODDD-0001", CONVERSATION)
    payload.update(odd)
    store(staff_app, payload)
    page = clinician.get("/staff/referrals/MIS-ODDD-0001")
    assert page.status_code == 200
    assert "Sam Sample" in page.text


def test_a_stored_payload_nested_too_deep_shows_its_top_and_the_rest_as_text(staff_app, clinician):
    payload = make_referral("MIS-DEEP-0001", CONVERSATION)
    payload["extra"] = _nested(400)
    store(staff_app, payload)
    text = html.unescape(clinician.get("/staff/referrals/MIS-DEEP-0001").text)
    assert "Level 399" in text  # the outer levels laid out as summary lists...
    assert '{"level_' in text  # ...the inner ones as JSON text
    assert "deep leaf" not in text  # cut short
    assert 'href="javascript' not in text


@pytest.mark.parametrize(
    "stored",
    ["not JSON at all", "[1, 2, 3]", "null", "[" * 5000 + "]" * 5000, '{"patient": 5}'],
    ids=["not-json", "a-list", "null", "5000-deep", "patient-not-an-object"],
)
def test_a_stored_payload_that_is_not_a_referral_still_gets_a_page(staff_app, clinician, stored):
    store(staff_app, make_referral("MIS-ODDD-0002", CONVERSATION))
    _set_payload(staff_app, "MIS-ODDD-0002", stored)
    page = clinician.get("/staff/referrals/MIS-ODDD-0002")
    assert page.status_code == 200
    assert "MIS-ODDD-0002" in page.text
    assert clinician.get("/staff/queue").status_code == 200


def test_an_unknown_reference_is_not_found(clinician):
    assert clinician.get("/staff/referrals/MIS-NONE-0000").status_code == 404


def _change(client, reference, to_status, reason):
    token = csrf_token(client, f"/staff/referrals/{reference}")
    page = client.get(f"/staff/referrals/{reference}").text
    from_status = re.search(r'name="from_status" type="hidden" value="([^"]*)"', page).group(1)
    return client.post(
        f"/staff/referrals/{reference}/status",
        data={
            "csrf_token": token,
            "to_status": to_status,
            "reason": reason,
            "from_status": from_status,
        },
    )


def test_a_status_change_records_who_when_and_why(staff_app, clinician):
    store(staff_app, make_referral("MIS-STAT-0001", CONVERSATION))
    before = datetime.now(timezone.utc).replace(microsecond=0)
    response = _change(clinician, "MIS-STAT-0001", "in_review", "Triage: physio assessment")
    assert response.status_code == 302
    _change(clinician, "MIS-STAT-0001", "accepted", "Suitable for MSK physiotherapy")
    referral = rows(staff_app, "SELECT * FROM referrals WHERE reference = 'MIS-STAT-0001'")[0]
    assert referral["status"] == "accepted"
    changes = rows(staff_app, "SELECT * FROM status_changes ORDER BY id")
    assert [(c["from_status"], c["to_status"]) for c in changes] == [
        ("new", "in_review"),
        ("in_review", "accepted"),
    ]
    assert {c["changed_by"] for c in changes} == {"casey.clinician"}
    assert changes[1]["reason"] == "Suitable for MSK physiotherapy"
    assert datetime.fromisoformat(changes[0]["changed_at"]) >= before
    assert referral["updated_at"] == changes[1]["changed_at"]
    page = clinician.get("/staff/referrals/MIS-STAT-0001").text
    assert "Suitable for MSK physiotherapy" in page
    assert "In review to Accepted" in page


def test_a_status_change_needs_a_reason_and_an_allowed_next_status(staff_app, clinician):
    store(staff_app, make_referral("MIS-STAT-0002", CONVERSATION))
    no_reason = _change(clinician, "MIS-STAT-0002", "in_review", "   ")
    assert no_reason.status_code == 400
    assert "Give a reason for the change." in no_reason.text
    skipping = _change(clinician, "MIS-STAT-0002", "accepted", "straight to accepted")
    assert skipping.status_code == 400
    assert rows(staff_app, "SELECT status FROM referrals")[0]["status"] == "new"
    assert rows(staff_app, "SELECT * FROM status_changes") == []


def test_a_status_change_made_meanwhile_by_someone_else_is_not_overwritten(staff_app, clinician):
    store(staff_app, make_referral("MIS-STAT-0003", CONVERSATION))
    token = csrf_token(clinician, "/staff/referrals/MIS-STAT-0003")
    _change(clinician, "MIS-STAT-0003", "in_review", "first reviewer")
    stale = clinician.post(
        "/staff/referrals/MIS-STAT-0003/status",
        data={"csrf_token": token, "to_status": "closed", "reason": "x", "from_status": "new"},
    )
    assert stale.status_code == 302
    assert rows(staff_app, "SELECT status FROM referrals")[0]["status"] == "in_review"


def test_the_transcript_is_shown_escaped_and_in_order(staff_app, clinician, tracker):
    store(staff_app, make_referral("MIS-TRAN-0001", CONVERSATION))
    tracker.bot(CONVERSATION, "Hello, I can help you refer yourself.", NOW)
    tracker.slot(CONVERSATION, NOW + timedelta(seconds=1))
    tracker.user(CONVERSATION, "<script>alert('x')</script> my knee", NOW + timedelta(seconds=3))
    tracker.bot(
        CONVERSATION,
        None,
        NOW + timedelta(seconds=4),
        custom={"escalation": {"level": "urgent", "code": "septic_arthritis"}},
    )
    tracker.user(CONVERSATION, "earlier message, written late", NOW + timedelta(seconds=2))
    tracker.user("someone-else", "not this conversation", NOW)
    page = clinician.get(f"/staff/conversations/{CONVERSATION}")
    assert page.status_code == 200
    text = page.text
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; my knee" in text
    order = [
        text.index("Hello, I can help"),
        text.index("earlier message"),
        text.index("my knee"),
        text.index("Escalation: urgent"),
    ]
    assert order == sorted(order)
    assert "not this conversation" not in text
    assert "Sam Sample" not in text  # slot events are not part of the transcript
    assert "/staff/referrals/MIS-TRAN-0001" in text


def test_an_unknown_conversation_is_not_found(clinician, tracker):
    assert clinician.get("/staff/conversations/nobody").status_code == 404


def test_the_escalations_list_links_transcripts_and_referrals(staff_app, clinician, auth):
    store(staff_app, make_referral("MIS-ESCL-0001", "a" * 32))
    for n, (conversation, level, code) in enumerate(
        [("a" * 32, "soon", "inflammatory_arthritis"), ("b" * 32, "emergency", "cauda_equina")]
    ):
        record = {
            "id": f"{n:032x}",
            "conversation_id": conversation,
            "level": level,
            "code": code,
            "codes": [code],
            "source": "screening",
            "occurred_at": (NOW - timedelta(minutes=10 - n)).isoformat(),
        }
        assert clinician.post("/api/v1/escalations", json=record, headers=auth).status_code == 201
    page = clinician.get("/staff/escalations").text
    assert page.index("cauda_equina") < page.index("inflammatory_arthritis")  # newest first
    assert "Possible cauda equina syndrome" in page
    assert f'href="/staff/conversations/{"a" * 32}"' in page
    assert f'href="/staff/conversations/{"b" * 32}"' in page
    assert 'href="/staff/referrals/MIS-ESCL-0001"' in page
    emergency = clinician.get("/staff/escalations?level=emergency").text
    assert "cauda_equina" in emergency and "inflammatory_arthritis" not in emergency


def test_the_referral_fixture_is_an_obviously_fake_patient():
    assert REFERRAL["patient"]["full_name"] == "Sam Sample"
    assert REFERRAL["patient"]["phone"].startswith("07700 900")  # Ofcom drama range


def test_a_yes_to_a_screening_list_is_shown_to_staff_in_words():
    from intake.staff import red_flags

    said = red_flags.title("any_of_these_cancer_history")
    assert said.startswith("Said yes to a list of screening questions")
    assert red_flags.title("cauda_equina") != "cauda_equina"  # a catalogue flag keeps its title


@pytest.mark.parametrize(
    ("eligibility", "to_check"),
    [
        ({"gp_practice": "Example Street Surgery"}, True),  # not found in the list: no code
        ({"gp_practice": "Example Street Surgery", "gp_ods_code": ""}, True),
        ({"gp_practice": "Aelfgar Surgery", "gp_ods_code": "M83738"}, False),
        ({"gp_practice": "not given"}, True),  # not known: the registration still decides
        ({"gp_practice": None}, True),
        ({}, True),
        ({"gp_practice": "Aelfgar Surgery", "gp_ods_code": " m83738 "}, False),
    ],
)
def test_a_gp_practice_not_in_the_list_is_flagged_for_staff_in_the_queue_and_on_the_page(
    staff_app, clinician, eligibility, to_check
):
    """A referral with no ODS code for the practice (kept as the patient typed it, or none
    given) gets "GP practice to check" in the queue and a warning on the referral page; a
    practice found in the list does not."""
    payload = make_referral("MIS-GPCK-0001", CONVERSATION)
    payload["eligibility"] = {
        **{k: v for k, v in payload["eligibility"].items() if k != "gp_practice"},
        **eligibility,
    }
    store(staff_app, payload)
    queue = clinician.get("/staff/queue")
    page = clinician.get("/staff/referrals/MIS-GPCK-0001")
    assert queue.status_code == page.status_code == 200
    assert ("GP practice to check" in queue.text) is to_check
    assert ("no ODS code for the patient's GP practice" in html.unescape(page.text)) is to_check
