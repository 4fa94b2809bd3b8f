"""A patient who sends the same answer twice is answering the form's question, not asking."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.digressions import ActionAnswerDigression
from bot.actions.signposting import ActionAnswerSelfHelp
from tests.conftest import make_tracker

ANSWER = "large print would help please"


def said(*texts: str) -> list[dict[str, Any]]:
    """Tracker events: the patient's messages, each followed by a bot reply."""
    events: list[dict[str, Any]] = []
    for text in texts:
        events += [{"event": "user", "text": text}, {"event": "bot", "text": "..."}]
    return events[:-1]


def run(action, texts: tuple[str, ...], intent: str) -> tuple[CollectingDispatcher, list]:
    tracker = make_tracker(
        {"requested_slot": "communication_needs", "body_area": "shoulder"},
        text=texts[-1],
        intent=intent,
    )
    tracker.events = said(*texts)
    dispatcher = CollectingDispatcher()
    return dispatcher, asyncio.run(action.run(dispatcher, tracker, {"responses": {}}))


def test_the_same_words_again_after_a_self_help_answer_fill_the_open_question():
    dispatcher, events = run(ActionAnswerSelfHelp(), (ANSWER, ANSWER), "ask_self_help")
    assert events == [
        {"event": "slot", "timestamp": None, "name": "communication_needs", "value": ANSWER}
    ]
    assert dispatcher.messages == []


def test_the_first_time_a_request_for_self_help_is_answered_with_self_help():
    dispatcher, events = run(ActionAnswerSelfHelp(), ("yes", ANSWER), "ask_self_help")
    assert dispatcher.messages, "self-help is offered the first time"
    assert not any(event.get("name") == "communication_needs" for event in events)


def test_a_repeated_answer_read_as_a_question_fills_the_slot_with_spacing_and_case_ignored():
    _, events = run(ActionAnswerDigression(), ("No help needed", "no  help NEEDED"), "ask_help")
    assert [(e["name"], e["value"]) for e in events] == [("communication_needs", "no  help NEEDED")]


def test_a_question_asked_twice_is_answered_twice():
    question = "what is the MIS?"
    dispatcher, events = run(ActionAnswerDigression(), (question, question), "ask_what_is_mis")
    assert events == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_answer_help"]
