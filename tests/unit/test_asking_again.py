"""A question that opens a section is said in full once; asked again, it is short."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import SECTION_OPENERS, AskDateOfBirth, AskFullName, AskPostcode
from tests.conftest import make_tracker

ROOT = Path(__file__).resolve().parents[2]


def asked(action, events) -> list[str]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, make_tracker({}, events=events), {}))
    return [message["response"] for message in dispatcher.messages]


def bot_said(response: str) -> dict:
    return {"event": "bot", "text": "...", "metadata": {"utter_action": response}}


@pytest.mark.parametrize("action", [AskDateOfBirth(), AskPostcode(), AskFullName()])
def test_the_first_time_the_question_is_asked_in_full(action):
    assert asked(action, [bot_said("utter_ask_consent")]) == [f"utter_ask_{action.slot}"]


@pytest.mark.parametrize("action", [AskDateOfBirth(), AskPostcode(), AskFullName()])
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


def test_the_name_question_does_not_thank_again_after_the_safety_net_advice():
    """The back-pain safety net ("Thank you. One important thing...") comes just before the
    personal details; the name question once began "Thank you." too, twice in a row."""
    responses = yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]
    assert responses["utter_back_pain_safety_net"][0]["text"].startswith("Thank you.")
    assert not responses["utter_ask_full_name"][0]["text"].startswith("Thank you")
