"""A question that opens a section is said in full once; asked again, it is short."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import SECTION_OPENERS, AskDateOfBirth, AskFullName
from bot.actions.digressions import ActionResumeReferral, ActionStop
from bot.dialogue.stopping import CARRY_ON, STOP, stop_answer
from tests.conftest import make_tracker

ROOT = Path(__file__).resolve().parents[2]


def asked(action, events) -> list[str]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, make_tracker({}, events=events), {}))
    return [message["response"] for message in dispatcher.messages]


def bot_said(response: str) -> dict:
    return {"event": "bot", "text": "...", "metadata": {"utter_action": response}}


@pytest.mark.parametrize("action", [AskDateOfBirth(), AskFullName()])
def test_the_first_time_the_question_is_asked_in_full(action):
    assert asked(action, [bot_said("utter_ask_postcode")]) == [f"utter_ask_{action.slot}"]


@pytest.mark.parametrize("action", [AskDateOfBirth(), AskFullName()])
def test_asked_again_after_a_wrong_answer_or_a_change_it_is_short(action):
    for before in (f"utter_ask_{action.slot}", f"utter_ask_again_{action.slot}"):
        events = [bot_said(before), {"event": "user", "text": "?"}]
        assert asked(action, events) == [f"utter_ask_again_{action.slot}"]


def test_every_section_opener_has_both_questions_and_its_action_in_the_domain():
    responses = yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]
    actions = yaml.safe_load((ROOT / "domain.yml").read_text())["actions"]
    for slot in SECTION_OPENERS:
        assert f"utter_ask_{slot}" in responses and f"utter_ask_again_{slot}" in responses
        assert f"action_ask_{slot}" in actions
        short = responses[f"utter_ask_again_{slot}"][0]["text"]
        assert short.rstrip().endswith(("?", ".")) and len(short) < len(
            responses[f"utter_ask_{slot}"][0]["text"]
        )


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
