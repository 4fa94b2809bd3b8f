"""Stopping mid-form: only a plain yes or stop clears the answers; "no, carry on", tapped or
typed, goes back to the open question without taking the "no" as its answer."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.digressions import ActionConfirmStop, ActionResumeReferral, ActionStop
from bot.dialogue.stopping import CARRY_ON, STOP, stop_answer
from tests.conftest import make_tracker


def test_no_carry_on_after_stop_makes_the_form_active_before_it_runs():
    """So the form asks the open question again instead of taking the "no" as its answer."""
    tracker = make_tracker({"stop_pending": True}, text="No, carry on", intent="deny")
    events = asyncio.run(ActionResumeReferral().run(CollectingDispatcher(), tracker, {}))
    assert [e["name"] for e in events if e["event"] == "active_loop"] == ["referral_form"]


def test_an_answer_instead_of_yes_or_no_to_stopping_is_left_for_the_form_to_take():
    tracker = make_tracker({"stop_pending": True}, text="ST4 6QG", intent="inform")
    events = asyncio.run(ActionResumeReferral().run(CollectingDispatcher(), tracker, {}))
    assert all(event.get("event") != "active_loop" for event in events)


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("/affirm", STOP),
        ("Yes, stop", STOP),
        ("yes", STOP),
        ("stop", STOP),
        ("/deny", CARRY_ON),
        ("No, carry on", CARRY_ON),
        ("no", CARRY_ON),
        ("I want to carry on", CARRY_ON),
        ("don't stop", CARRY_ON),
        ("yes, carry on", CARRY_ON),  # the consent button's words: going on wins
        ("ST4 6QG", None),
    ],
)
def test_the_answer_to_do_you_want_to_stop_is_read_from_the_words(text, meaning):
    assert stop_answer(text) == meaning


@pytest.mark.parametrize("intent", ["affirm", "stop"])
def test_a_typed_carry_on_that_the_nlu_read_as_yes_or_stop_does_not_clear_the_answers(intent):
    slots = {"stop_pending": True, "postcode": "WS11 1DB", "requested_slot": "gp_practice"}
    tracker = make_tracker(slots, text="no, carry on", intent=intent)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionStop().run(dispatcher, tracker, {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_carry_on"]
    assert {"event": "reset_slots", "timestamp": None} not in events
    assert [e["name"] for e in events if e["event"] in ("active_loop", "followup")] == [
        "referral_form",
        "referral_form",
    ]


def test_yes_stop_clears_the_answers():
    tracker = make_tracker({"stop_pending": True}, text="Yes, stop", intent="affirm")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionStop().run(dispatcher, tracker, {}))
    assert dispatcher.messages[0]["response"] == "utter_stopped"
    assert {"event": "reset_slots", "timestamp": None} in events


AT_THE_PRACTICE_AGAIN = {"requested_slot": "gp_practice", "gp_practice_typed": "Example Surgery"}


@pytest.mark.parametrize("text", ["keep it", "Keep what I typed", "keep it as it is"])
def test_keep_it_read_as_stop_at_the_practice_asked_again_is_the_answer(text):
    """ "I could not find your practice ... Keep what I typed": "keep it", which the NLU reads
    as stop, keeps the practice as typed and the form carries on; no stop question."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(AT_THE_PRACTICE_AGAIN, text=text, intent="stop")
    events = asyncio.run(ActionConfirmStop().run(dispatcher, tracker, {}))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["gp_practice"] == "Example Surgery" and slots["gp_ods_code"] is None
    assert "stop_pending" not in slots
    assert [e["name"] for e in events if e["event"] == "followup"] == ["referral_form"]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("slots", "text"),
    [
        (AT_THE_PRACTICE_AGAIN, "stop"),
        (AT_THE_PRACTICE_AGAIN, "please stop"),
        (AT_THE_PRACTICE_AGAIN, "no, stop"),
        (AT_THE_PRACTICE_AGAIN, "yes stop"),
        ({"requested_slot": "gp_practice"}, "keep it"),  # nothing typed yet to keep
        ({"requested_slot": "full_name"}, "end chat"),  # a stop word never becomes the name
        ({"requested_slot": "full_name"}, "changed my mind"),
        ({"requested_slot": "side"}, "stop right now"),  # not the side "right"
        ({"requested_slot": "body_area"}, "i'll come back later"),  # not the body area "back"
        ({"requested_slot": "pain_score"}, "im done"),
        ({"requested_slot": "postcode"}, "stop"),
    ],
)
def test_stop_at_any_question_still_asks_first(slots, text):
    """Only "keep ..." at the practice asked again is taken as an answer; every other stop,
    whatever its words look like, asks "Do you want to stop?" first (review finding: a
    general answer test stored "end chat" as a name and "stop right now" as the right side)."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots, text=text, intent="stop")
    events = asyncio.run(ActionConfirmStop().run(dispatcher, tracker, {}))
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {"stop_pending": True}
    assert dispatcher.messages[0]["response"] == "utter_confirm_stop"
