"""One test of "is this the answer to the open question, or the request the NLU read?",
shared by the digressions, the self-help action and the change flow
(bot/dialogue/answer_or_request.py), checked on the small view of the tracker it reads."""

from __future__ import annotations

import pytest

from bot.dialogue.answer_or_request import (
    CHANGE,
    DIGRESSION,
    SELF_HELP,
    Message,
    answer_with_a_question,
    answered_slot,
    message_of,
)
from tests.conftest import make_tracker


def at(slot, text, earlier=(), confidence=1.0, in_form=True):
    return Message(slot, in_form, text, tuple(earlier), confidence)


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("full_name", "Jo Example"),
        ("date_of_birth", "3/3/1990"),
        ("postcode", "st4 6qg"),
        ("onset", "after a fall"),
        ("duration", "about 3 weeks"),
        ("body_area", "my knee"),
        ("gp_practice", "Keep what I typed"),  # the button's words typed, read as ask_help
    ],
)
def test_words_shaped_like_the_answer_answer_the_question_whatever_the_request(slot, text):
    for request in (DIGRESSION, SELF_HELP):
        assert answered_slot(at(slot, text), request) == slot


@pytest.mark.parametrize(
    "text",
    ["no I'm not seeing anyone", "nope, nobody is treating me", "no, not under anyone", "no never"],
)
def test_a_no_said_plainly_answers_a_yes_no_question_whatever_the_request(text):
    """A blind usability tester's "no I'm not seeing anyone" was read as asking for a person,
    answered as such, and the question came again."""
    assert answered_slot(at("already_under_service", text)) == "already_under_service"


@pytest.mark.parametrize("text", ["no, not sure", "no idea", "no, can I speak to someone?"])
def test_a_no_that_answers_nothing_is_not_taken_for_a_yes_no_answer(text):
    assert answered_slot(at("gp_in_area", text)) is None


def test_the_same_words_twice_answer_the_question():
    said = "large print would help please"
    assert answered_slot(at("communication_needs", said)) is None
    assert answered_slot(at("communication_needs", said, [said])) == "communication_needs"


@pytest.mark.parametrize(
    "text", ["what is MIS?", "how long is the wait", "/ask_help", "...", "help me please"]
)
def test_a_question_a_button_or_no_words_is_the_request(text):
    assert answered_slot(at("full_name", text)) is None


def test_a_screening_question_or_no_open_form_question_is_never_answered_here():
    assert answered_slot(at("red_flag_screening", "no", ["no"])) is None
    assert answered_slot(at("full_name", "Jo Example", in_form=False)) is None
    assert answered_slot(at(None, "Jo Example")) is None


def test_a_statement_is_the_answer_to_a_question_about_treatments_not_a_self_help_request():
    text = "physio exercises and painkillers"
    assert answered_slot(at("treatments_tried", text), SELF_HELP) == "treatments_tried"
    assert answered_slot(at("treatments_tried", text), DIGRESSION) is None
    assert answered_slot(at("treatments_tried", "any exercises I can do"), SELF_HELP) is None
    assert answered_slot(at("postcode", "useful links please"), SELF_HELP) is None


def test_a_change_is_the_answer_when_its_field_is_unanswered_or_the_nlu_was_unsure():
    assert answered_slot(at("gp_practice", "the Example surgery"), CHANGE, True) == "gp_practice"
    assert answered_slot(at("gp_practice", "change my phone"), CHANGE, False) is None
    assert answered_slot(at("gp_practice", "I'm with x", confidence=0.5), CHANGE) == "gp_practice"
    assert answered_slot(at("gp_practice", "change something", confidence=0.9), CHANGE) is None
    assert answered_slot(at(None, "change it", confidence=0.1), CHANGE) is None


def test_a_change_is_never_the_answer_to_a_screening_question_or_outside_the_form():
    """ "no, but can I change my phone number later" at a screening question once filled the
    screening slot with the raw words and ended the screening (found in review)."""
    text = "no, but can I change my phone number later"
    assert answered_slot(at("red_flag_screening", text), CHANGE, True) is None
    assert answered_slot(at("red_flag_screening", text, confidence=0.1), CHANGE) is None
    assert answered_slot(at("phone", text, in_form=False), CHANGE, True) is None


def test_no_words_at_a_question_about_treatments_is_a_request_not_an_answer():
    """Changed on 2026-12-06: "..." used to be stored as the treatments tried; now self-help
    answers it and the form asks again."""
    assert answered_slot(at("treatments_tried", "..."), SELF_HELP) is None


def test_the_view_reads_the_latest_message_and_the_ones_before_from_the_tracker():
    tracker = make_tracker({"requested_slot": "goals"}, text="walk the dog", intent="ask_help")
    message = message_of(tracker)
    assert (message.requested_slot, message.text) == ("goals", "walk the dog")
    assert message.earlier == ()


@pytest.mark.parametrize(
    ("slot", "text", "answer"),
    [
        ("duration", "about 3 months, how long is the wait?", "about 3 months"),
        ("date_of_birth", "03.03.1991 - do I need my NHS number?", "03.03.1991"),
        ("postcode", "ST4 6QG. What happens after I send this?", "ST4 6QG"),
        ("email", "jo@example.com. will you email me?", "jo@example.com"),
        ("phone", "how will you contact me? 07700 900123", "07700 900123"),
        # in the patient's own words: every part that is not a question
        ("goals", "walking the dog again. How long is the wait?", "walking the dog again"),
        (  # "can't sleep" is no question
            "daily_impact",
            "I struggle with stairs. can't sleep at night. how long is the wait?",
            "I struggle with stairs. can't sleep at night",
        ),
        # a plain yes or no to a yes/no question (the no was lost: blind usability test)
        ("already_under_service", "No. How long is the wait?", "No"),
        ("gp_in_area", "yes, what does MIS mean?", "yes"),
        ("pregnancy_pelvic_pain", "no thanks - is this for men too?", "no thanks"),
    ],
)
def test_an_answer_given_with_a_question_in_a_part_of_its_own_is_found(slot, text, answer):
    assert answer_with_a_question(at(slot, text)) == (slot, answer)


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("duration", "how long is the wait?"),  # no answer
        ("duration", "is the wait more than 3 months?"),  # the number is in the question
        ("goals", "how long is the wait? what happens next?"),  # questions only
        ("pain_score", "6 or 7, what counts as bad?"),  # not one number: the form asks
        ("goals", "hang on, how long is the wait?"),  # a filler is not an answer
        ("daily_impact", "sorry, what does daily life mean?"),
        ("date_of_birth", "my son was born 12/03/2020, do you need his?"),  # not the patient's
        ("red_flag_screening", "no. what is this for?"),  # screening: the form's own
        # more than a plain no: the question asks again
        ("already_under_service", "no but I was last year, does that count?"),
        # not a plain yes or no: a lead-in to the question (a review of this change)
        ("gp_in_area", "no idea, is Kidsgrove in the area?"),
        ("pregnancy_pelvic_pain", "ok, what does that mean?"),
        ("already_under_service", "right, what is the MIS?"),
        ("duration", "about 3 months"),  # no question: the form reads it as it is
    ],
)
def test_no_answer_is_taken_from_a_question_without_an_answer_of_the_right_shape(slot, text):
    assert answer_with_a_question(at(slot, text)) is None


def test_outside_the_form_no_answer_is_taken_with_a_question():
    assert answer_with_a_question(at("duration", "3 months, what is MIS?", in_form=False)) is None


def test_not_sure_at_the_pregnancy_question_is_its_answer_whatever_the_request():
    """ "I don't know, how would I tell?" was once read as asking what happens next."""
    said = "I don't know, how would I tell?"
    assert answered_slot(at("pregnancy_pelvic_pain", said)) == "pregnancy_pelvic_pain"
