"""A patient who sends the same answer twice is answering the form's question, not asking."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
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
    assert [(e["name"], e["value"]) for e in events] == [("communication_needs", "none")]


def test_a_question_asked_twice_is_answered_twice():
    question = "what is the MIS?"
    dispatcher, events = run(ActionAnswerDigression(), (question, question), "ask_what_is_mis")
    assert events == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_answer_help"]


def run_for(slot: str, text: str, intent: str) -> tuple[CollectingDispatcher, list]:
    tracker = make_tracker({"requested_slot": slot}, text=text, intent=intent)
    tracker.events = said("yes", text)
    dispatcher = CollectingDispatcher()
    return dispatcher, asyncio.run(ActionAnswerDigression().run(dispatcher, tracker, {}))


@pytest.mark.parametrize(
    ("slot", "text", "stored"),
    [
        ("full_name", "Jo Example", "Jo Example"),
        ("full_name", "pat example", "pat example"),
        ("date_of_birth", "born on the 1st of May 1955", "1955-05-01"),
        ("postcode", "st4 6qg", "ST4 6QG"),
        ("nhs_number", "943 476 5919", "943 476 5919"),
        ("phone", "+44 7700 900123", "07700 900123"),
        ("email", "jo@example.com", "jo@example.com"),
    ],
)
def test_an_answer_shaped_like_the_question_fills_it_the_first_time(slot, text, stored):
    dispatcher, events = run_for(slot, text, "ask_help")
    assert (slot, stored) in [(e["name"], e["value"]) for e in events]
    assert dispatcher.messages == []


def test_a_repeated_answer_is_checked_by_the_form_before_it_is_stored():
    """Rasa's form does not validate a slot another action set, so the action does."""
    tracker = make_tracker({"requested_slot": "onset"}, text="after a fall", intent="ask_what_next")
    tracker.events = said("after a fall", "after a fall")
    events = asyncio.run(ActionAnswerDigression().run(CollectingDispatcher(), tracker, {}))
    assert [(e["name"], e["value"]) for e in events] == [("onset", "injury")]
    tracker = make_tracker({"requested_slot": "pain_score"}, text="loads", intent="ask_help")
    tracker.events = said("loads", "loads")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerDigression().run(dispatcher, tracker, {}))
    assert ("pain_score", None) in [(e["name"], e["value"]) for e in events]
    assert [m["response"] for m in dispatcher.messages] == ["utter_invalid_pain_score"]


def test_screening_questions_are_never_answered_by_a_repeated_message():
    tracker = make_tracker({"requested_slot": "red_flag_screening"}, text="nah", intent="ask_help")
    tracker.events = said("nah", "nah")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerDigression().run(dispatcher, tracker, {}))
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer_help"]


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("full_name", "help me please"),
        ("full_name", "talk to someone"),
        ("full_name", "what do you mean"),
        ("date_of_birth", "why do you need it"),
        ("postcode", "what is a postcode"),
    ],
)
def test_a_request_during_a_question_is_still_answered(slot, text):
    dispatcher, events = run_for(slot, text, "ask_help")
    assert events == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_answer_help"]


@pytest.mark.parametrize(
    ("slot", "text", "stored"),
    [
        ("onset", "after a fall", "injury"),
        ("body_area", "heel", "ankle_foot"),
        ("pain_score", "six out of ten", "6"),
        ("duration", "a fortnight", "2 weeks"),
    ],
)
def test_a_problem_answer_in_the_vocabulary_fills_it_the_first_time(slot, text, stored):
    dispatcher, events = run_for(slot, text, "ask_what_next")
    assert (slot, stored) in [(e["name"], e["value"]) for e in events]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("channel", "expected"),
    [("web", "utter_answer_nearest_ae"), ("kiosk", "utter_answer_nearest_ae_kiosk")],
)
def test_where_is_the_nearest_ae_is_answered_for_where_the_patient_is(channel, expected):
    tracker = make_tracker({}, text="where is the nearest a&e", intent="ask_nearest_ae")
    tracker.latest_message["metadata"] = {"channel": channel}
    dispatcher = CollectingDispatcher()
    responses = {"utter_answer_nearest_ae": [], "utter_answer_nearest_ae_kiosk": []}
    asyncio.run(ActionAnswerDigression().run(dispatcher, tracker, {"responses": responses}))
    assert [m.get("response") for m in dispatcher.messages] == [expected]


def test_the_nearest_ae_answer_gives_999_111_and_the_nhs_finder_as_cards():
    import yaml

    from scripts.layout import ROOT

    responses = yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]
    [web] = responses["utter_answer_nearest_ae"]
    assert "999" in web["text"] and "111" in web["text"]
    cards = web["custom"]["signpost"]
    assert {card["id"] for card in cards} == {"find_ae", "find_utc"}
    assert all(card["url"].startswith("https://www.nhs.uk/") for card in cards)
    [kiosk] = responses["utter_answer_nearest_ae_kiosk"]
    assert "staff" in kiosk["text"] and "custom" not in kiosk


@pytest.mark.parametrize(
    ("slot", "text", "intent", "stored"),
    [
        ("duration", "about 3 months, how long is the wait?", "ask_waiting_times", "3 months"),
        ("date_of_birth", "03/03/1991 - what do you use this for?", "ask_data_use", "1991-03-03"),
    ],
)
def test_an_answer_given_with_a_question_is_stored_and_the_question_answered(
    slot, text, intent, stored
):
    """Once, "about 3 months, how long is the wait?" got the waiting times and the duration
    question again: the answer was lost. Now both: the question answered, the answer kept."""
    tracker = make_tracker({"requested_slot": slot}, text=text, intent=intent)
    tracker.events = said("yes", text)
    dispatcher = CollectingDispatcher()
    responses = {f"utter_answer_{intent.removeprefix('ask_')}": [{"text": "..."}]}
    events = asyncio.run(
        ActionAnswerDigression().run(dispatcher, tracker, {"responses": responses})
    )
    assert [m["response"] for m in dispatcher.messages] == [
        f"utter_answer_{intent.removeprefix('ask_')}"
    ]
    assert {e["name"]: e["value"] for e in events}[slot] == stored
