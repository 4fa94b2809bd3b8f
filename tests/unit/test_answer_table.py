"""The per-question answer table (bot/dialogue/answers.py): every question of the form has
one row, its error response exists, and the form and the correction check read the same row."""

from __future__ import annotations

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.referral_form import ValidateReferralForm
from bot.dialogue.answers import ANSWERS, read_answer
from bot.dialogue.corrections import corrected_field
from scripts.form_domain import merged_domain
from scripts.layout import ROOT
from tests.conftest import make_tracker

FORM_SLOTS = merged_domain()["forms"]["referral_form"]["required_slots"]
RESPONSES = yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]


def test_every_question_of_the_form_has_one_row_and_nothing_else_does():
    assert set(ANSWERS) == set(FORM_SLOTS)


@pytest.mark.parametrize("slot", FORM_SLOTS)
def test_each_rows_error_response_is_written_in_content(slot):
    assert ANSWERS[slot].error in RESPONSES


@pytest.mark.parametrize("slot", FORM_SLOTS)
def test_the_form_validates_every_question(slot):
    assert callable(getattr(ValidateReferralForm, f"validate_{slot}", None))


@pytest.mark.parametrize(
    ("slot", "said", "stored"),
    [
        ("body_area", "it's my knee", "knee"),
        ("side", "the left one", "left"),
        ("duration", "about six weeks", "6 weeks"),
        ("pain_score", "7", "7"),
        ("postcode", "st4 6qg", "ST4 6QG"),
        ("phone", "07700 900123", "07700 900123"),
        ("daily_impact", "  can't   climb stairs ", "can't climb stairs"),
        ("address_line1", "Rose Cottage", "Rose Cottage"),
        ("address_line1", "Flat 3, 12 Example Road", "Flat 3, 12 Example Road"),
        # impatience is not part of the answer; an address after its cue (blind usability test)
        ("daily_impact", "I just told you? Lifting the baby", "Lifting the baby"),
        ("work_role", "warehouse operative i said", "warehouse operative"),
        ("work_role", "shelf stacker, i told you before", "shelf stacker"),
        ("work_role", "plasterer as I told you", "plasterer"),
        # a remark to the assistant after the answer (a blind usability test's read-back)
        ("work_role", "shop assistant, I just said", "shop assistant"),
        ("goals", "Gardening and golf. You didn't say", "Gardening and golf"),
        (
            "treatments_tried",
            "paracetamol and a walking stick. But you didn't answer",
            "paracetamol and a walking stick",
        ),
        ("treatments_tried", "You didn't ask before, but ice", "You didn't ask before, but ice"),
        ("treatments_tried", "I just put up with it", "I just put up with it"),
        # an aside before the answer, and a relative's "she lives at" (blind usability test)
        ("full_name", "I already gave it - Sam Sample", "Sam Sample"),
        ("full_name", "by the way, my name is Sam Sample", "Sam Sample"),
        ("full_name", "Oh sorry, Sam Sample", "Sam Sample"),
        ("full_name", "Oh Jun Example", "Oh Jun Example"),  # "Oh" is a name here
        ("work_role", "btw shelf stacker", "shelf stacker"),
        ("address_line1", "she lives at 12 Example Street", "12 Example Street"),
        ("address_line1", "I already gave it - 12 Example Street", "12 Example Street"),
        ("address_line1", "Flat 2, my address is 5 High St", "Flat 2, my address is 5 High St"),
        (
            "address_line1",
            "Sorry I put her birthday wrong. Her address is 3 Example Walk, Leek, ST13 5PQ",
            "3 Example Walk",
        ),
    ],
)
def test_a_row_reads_an_answer_in_the_patients_words(slot, said, stored):
    assert read_answer(slot, said) == stored


@pytest.mark.parametrize(
    ("slot", "said"),
    [
        ("body_area", "not sure"),
        ("pain_score", "loads"),
        ("phone", "ring me"),
        ("goals", "x"),
        # once stored as the first line of an address (blind usability test)
        ("address_line1", "ok."),
        ("address_line1", "jo@example.com"),
        ("address_line1", "same as before"),
        ("address_line1", "N/A"),
    ],
)
def test_a_row_refuses_words_that_are_not_an_answer(slot, said):
    assert read_answer(slot, said) is None


def test_the_form_stores_what_the_row_reads_and_re_asks_with_the_rows_error():
    form, tracker = ValidateReferralForm(), make_tracker({"requested_slot": "duration"})
    dispatcher = CollectingDispatcher()
    assert form.validate_duration("a fortnight", dispatcher, tracker, {}) == {
        "duration": read_answer("duration", "a fortnight")
    }
    assert form.validate_duration("no idea", dispatcher, tracker, {})["duration"] is None
    assert dispatcher.messages[-1]["response"] == ANSWERS["duration"].error


def test_a_correction_holds_a_new_value_only_when_the_row_reads_one():
    answered = ["phone", "postcode"]
    assert corrected_field("sorry wrong phone number, it's 07700 900456", None, answered) == (
        "phone"
    )
    assert corrected_field("sorry wrong phone number, it's the landline", None, answered) is None
