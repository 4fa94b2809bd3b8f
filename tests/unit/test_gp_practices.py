"""Which GP practice a patient's words name: an ODS code, the name however typed, or a hint by
street, place or postcode; never a guess when the words fit several or none."""

from __future__ import annotations

import csv

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot import gp_practices
from bot.actions.referral_form import NOT_GIVEN, ValidateReferralForm
from bot.actions.submission import build_referral
from tests.conftest import make_tracker


def named(text: str) -> str | None:
    practice = gp_practices.find(text)
    return practice.ods_code if practice else None


def forget_practices_read() -> None:
    """Empty the per-process caches, so the next call reads GP_PRACTICES_FILE again."""
    for cached in (gp_practices.practices, gp_practices._index, gp_practices._vocabulary):
        cached.cache_clear()
    gp_practices._known.cache_clear()


def test_the_snapshot_holds_the_icbs_practices_and_says_which_it_is():
    assert len(gp_practices.practices()) == 144
    assert gp_practices.snapshot() == "gp_practices_qnc.csv: 144 GP practices"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("M83059", "M83059"),  # an ODS code
        ("it's m83107", "M83107"),
        ("Abbots Bromley Surgery", "M83059"),
        ("abbots bromley", "M83059"),
        ("the aldewood practice", "M83107"),  # one slip
        ("Aelfgar", "M83738"),
        ("the surgery on Church Street in Rugeley", "M83738"),  # a street and a place
        ("the one at WS15 3BT", "M83059"),  # the practice's postcode
    ],
)
def test_a_practice_named_by_code_name_or_street_and_place_is_found(text, code):
    assert named(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "Example Street Surgery",  # not in the area
        "my gp is in cannock",  # a town with many practices
        "rugeley",
        "Dr Smith",
        "don't know",
        "Z99999",  # a code no practice has
    ],
)
def test_words_that_fit_several_practices_or_none_name_none(text):
    assert named(text) is None


def test_the_current_ods_epraccur_report_can_replace_the_snapshot(tmp_path, monkeypatch):
    """27 unnamed columns; only active (A) GP practices (setting 4) of the ICB (QNC) kept."""
    rows = [
        ["M99901", "NEW PRACTICE SURGERY", "", "QNC", "1 HIGH STREET", "", "LEEK", "STAFFS", "",
         "ST13 5AA", "", "", "A", "", "", "", "", "", "", "", "", "", "", "", "", "4", ""],
        ["M99902", "CLOSED SURGERY", "", "QNC", "2 LOW STREET", "", "LEEK", "", "",
         "ST13 5AB", "", "", "C", "", "", "", "", "", "", "", "", "", "", "", "", "4", ""],
        ["M99903", "ELSEWHERE SURGERY", "", "QWU", "3 MID STREET", "", "DERBY", "", "",
         "DE1 1AA", "", "", "A", "", "", "", "", "", "", "", "", "", "", "", "", "4", ""],
    ]  # fmt: skip
    path = tmp_path / "epraccur.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    monkeypatch.setenv("GP_PRACTICES_FILE", str(path))
    forget_practices_read()
    try:
        assert [p.ods_code for p in gp_practices.practices()] == ["M99901"]
        assert gp_practices.practices()[0].name == "New Practice Surgery"
        assert gp_practices.snapshot() == "epraccur.csv: 1 GP practices"
        assert named("it's M99901") == "M99901" and named("M99902") is None
    finally:
        monkeypatch.delenv("GP_PRACTICES_FILE")
        forget_practices_read()


def validate_gp(text: str) -> tuple[dict, list[dict]]:
    slots = {"date_of_birth": "1980-03-14", "postcode": "ST4 6QG", "requested_slot": "gp_practice"}
    dispatcher = CollectingDispatcher()
    form = ValidateReferralForm()
    result = form.validate_gp_practice(text, dispatcher, make_tracker(slots, text), {})
    return result, dispatcher.messages


def test_a_practice_found_is_stored_by_its_name_and_ods_code_and_said_back_in_one_line():
    slots, said = validate_gp("the surgery on Church Street in Rugeley")
    assert slots == {"gp_practice": "Aelfgar Surgery", "gp_ods_code": "M83738"}
    assert said == [
        {**said[0], "response": "utter_gp_practice_found", "practice": "Aelfgar Surgery",
         "place": "Rugeley"}
    ]  # fmt: skip


def test_a_practice_not_found_is_kept_in_the_patients_words_without_a_code():
    assert validate_gp("Example Street Surgery") == (
        {"gp_practice": "Example Street Surgery", "gp_ods_code": None},
        [],
    )
    assert validate_gp("I don't know")[0] == {"gp_practice": NOT_GIVEN, "gp_ods_code": None}


def test_the_referral_carries_the_ods_code_for_the_fhir_export():
    slots = {"gp_practice": "Aelfgar Surgery", "gp_ods_code": "M83738"}
    eligibility = build_referral(make_tracker(slots), "MIS-TEST-0001")["eligibility"]
    assert eligibility["gp_ods_code"] == "M83738"
