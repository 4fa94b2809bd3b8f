"""The action server validates each answer, re-asks with the reason, and builds a valid referral."""

import asyncio
import re
from datetime import date

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.referral_form import ValidateReferralForm
from bot.actions.submission import build_referral, new_reference
from intake.referral_schema import validate_referral
from tests.conftest import make_tracker

FORM = ValidateReferralForm()


def run_validation(slot: str, text: str):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"requested_slot": slot}, text)
    result = getattr(FORM, f"validate_{slot}")(text, dispatcher, tracker, {})
    return result, [message["response"] for message in dispatcher.messages]


def test_a_valid_date_of_birth_is_stored_as_iso_and_marks_the_patient_eligible():
    result, said = run_validation("date_of_birth", "14/03/1980")
    assert result == {"date_of_birth": "1980-03-14", "eligible": True}
    assert said == []


def test_a_patient_under_the_minimum_age_is_ineligible_and_the_form_stops_asking():
    born = date.today().replace(year=date.today().year - 12).strftime("%d/%m/%Y")
    result, _ = run_validation("date_of_birth", born)
    assert result["eligible"] is False and result["ineligible_reason"] == "age"
    tracker = make_tracker({"eligible": False})
    remaining = asyncio.run(
        FORM.required_slots(["full_name", "postcode"], CollectingDispatcher(), tracker, {})
    )
    assert remaining == []


def test_an_unreadable_date_is_re_asked_with_the_reason():
    result, said = run_validation("date_of_birth", "last spring")
    assert result == {"date_of_birth": None}
    assert said == ["utter_invalid_date_of_birth"]


def test_a_future_date_is_re_asked_saying_it_is_in_the_future():
    _, said = run_validation("date_of_birth", "01/01/2099")
    assert said == ["utter_date_of_birth_in_future"]


def test_a_postcode_is_normalised_and_a_bad_one_re_asked():
    assert run_validation("postcode", "st4 6qg") == ({"postcode": "ST4 6QG"}, [])
    assert run_validation("postcode", "nowhere") == ({"postcode": None}, ["utter_invalid_postcode"])


def test_a_single_word_name_is_re_asked():
    assert run_validation("full_name", "Alex") == ({"full_name": None}, ["utter_invalid_full_name"])


def test_the_referral_built_from_the_conversation_passes_the_intake_schema():
    tracker = make_tracker(
        {
            "consent": True,
            "full_name": "Alex Example",
            "date_of_birth": "1980-03-14",
            "postcode": "ST4 6QG",
            "problem_description": "sore knee",
        },
        sender="0123456789abcdef0123456789abcdef",
    )
    referral = build_referral(tracker, new_reference())
    assert validate_referral(referral) == []
    assert re.fullmatch(r"MIS-[0-9A-Z]{4}-[0-9A-Z]{4}", referral["reference"])
