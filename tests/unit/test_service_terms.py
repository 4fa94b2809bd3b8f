"""A question about a part of the service ("what is rheumatology?") is answered about that
part, in plain words; a question about the service as a whole still gets the MIS answer."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.digressions import ActionAnswerDigression
from bot.content_store import load
from bot.dialogue.service_terms import asked_term, term_ids
from tests.conftest import make_tracker

RESPONSES = load("responses")["responses"]


def test_every_term_has_an_answer_and_every_term_answer_has_its_words():
    answers = {name.removeprefix("utter_answer_term_") for name in RESPONSES}
    answers = {a for a in answers if f"utter_answer_term_{a}" in RESPONSES}
    assert answers == set(term_ids())


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("What is rheumatology?", "rheumatology"),
        ("whats a rheumatologist when it's at home", "rheumatology"),
        ("what does an orthopedic surgeon actually do", "orthopaedics"),
        ("Sorry, what's ortho?", "orthopaedics"),
        ("what do physios do", "physiotherapy"),
        ("can you explain pain management", "chronic_pain"),
        ("what does MSK stand for", "msk"),
        ("what does musculoskeletal mean", "msk"),
    ],
)
def test_a_question_naming_one_part_of_the_service_is_about_that_part(question, term):
    assert asked_term(question) == term


@pytest.mark.parametrize(
    "question",
    [
        "what is MIS",
        "is this physio?",  # about this service, not what physio is
        "what is rheumatology and orthopaedics",  # two: the answer about MIS names both
        "my knee hurts",
    ],
)
def test_anything_else_gets_the_answer_about_the_service(question):
    assert asked_term(question) is None


def answer(text: str) -> str:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({}, text, intent="ask_what_is_mis")
    asyncio.run(ActionAnswerDigression().run(dispatcher, tracker, {"responses": RESPONSES}))
    [message] = dispatcher.messages
    return message["response"]


def test_the_digression_answers_with_the_terms_own_response_or_the_services():
    assert answer("what's rheumatology?") == "utter_answer_term_rheumatology"
    assert answer("what does orthopaedics mean") == "utter_answer_term_orthopaedics"
    assert answer("what is this service") == "utter_answer_what_is_mis"
