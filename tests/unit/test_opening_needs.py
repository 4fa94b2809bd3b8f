"""A first message that states a need (pregnancy, filling it in for someone else, a language,
deafness or sight loss, work) gets a note about it after the introduction, not only the
standard introduction."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.opening import ActionGreet, stated_needs
from bot.actions.submission import build_referral
from bot.content_store import load
from scripts.layout import ROOT
from tests.conftest import make_tracker


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("I'm 30 weeks pregnant and my pelvis is killing me", ["pregnancy"]),
        ("since I had my baby my back has been bad", ["pregnancy"]),
        ("I'm filling this in for my mum, her knee is bad", ["someone_else"]),
        ("hello i am writing on behalf of my father", ["someone_else"]),
        ("my english is not good, i need interpreter", ["language"]),
        ("I am deaf so please don't phone me", ["hearing_or_sight"]),
        ("I use a screen reader", ["hearing_or_sight"]),
        # a BSL interpreter is no spoken language (a blind usability tester was asked one)
        ("I'm deaf, I'd need a BSL interpreter for appointments", ["hearing_or_sight"]),
        ("I am deaf and need an Urdu interpreter", ["language", "hearing_or_sight"]),
        ("I'm off sick with my back and worried I'll lose my job", ["work"]),
        (
            "I'm deaf and doing this for my husband, he can't work with his shoulder",
            ["someone_else", "hearing_or_sight", "work"],
        ),
        ("my right knee hurts when I climb stairs", []),
        ("I'd like to refer myself", []),
    ],
)
def test_needs_stated_in_the_first_message_are_found(text, needs):
    assert stated_needs(text) == needs


def test_each_need_has_its_note_and_the_introduction_comes_first():
    responses = yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]
    for need in load("opening_needs")["needs"]:
        assert f"utter_opening_need_{need}" in responses, need
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({}, "I'm filling this in for my mum, she is deaf")
    asyncio.run(ActionGreet().run(dispatcher, tracker, {}))
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_greet",
        "utter_opening_need_someone_else",
        "utter_opening_need_hearing_or_sight",
    ]


def test_a_button_as_the_first_message_gets_the_introduction_alone():
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionGreet().run(dispatcher, make_tracker({}, "/start_referral"), {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_greet"]


def test_a_language_or_sensory_need_in_the_first_message_is_kept_for_the_referral():
    said = "my english is not good, I speak Polish, my back hurts"
    tracker = make_tracker({}, said, intent="greet")
    events = asyncio.run(ActionGreet().run(CollectingDispatcher(), tracker, {}))
    assert events == [
        {"event": "slot", "timestamp": None, "name": "communication_needs_stated", "value": said}
    ]
    slots = {"communication_needs": "none", "communication_needs_stated": said}
    patient = build_referral(make_tracker(slots), "MIS-TEST-0002")["patient"]
    assert patient["communication_needs"] == f"said earlier: {said}"
    slots["communication_needs"] = "a Polish interpreter"
    patient = build_referral(make_tracker(slots), "MIS-TEST-0002")["patient"]
    assert patient["communication_needs"] == f"a Polish interpreter (said earlier: {said})"


def test_a_first_message_without_a_communication_need_records_none():
    tracker = make_tracker({}, "my knee hurts", intent="greet")
    assert asyncio.run(ActionGreet().run(CollectingDispatcher(), tracker, {})) == []


def test_filling_it_in_for_someone_else_is_recorded_so_the_form_asks_who_is():
    tracker = make_tracker({}, "I'm filling this in for my mum", intent="greet")
    events = asyncio.run(ActionGreet().run(CollectingDispatcher(), tracker, {}))
    assert [(e["name"], e["value"]) for e in events] == [("filled_in_for_someone_else", True)]


def test_a_need_typed_at_the_consent_question_gets_its_note_and_consent_is_asked_again():
    """In the widget the greeting comes first: "I'm filling this in for my mum" typed at the
    consent question got "did not understand" (the every-button browser test)."""
    from bot.actions.digressions import ActionNotUnderstood

    text = "I'm filling this in for my mum"
    events = [
        {"event": "action", "name": "utter_ask_consent"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    tracker = make_tracker({}, text, intent="nlu_fallback", events=events)
    tracker.active_loop = {}  # before consent, no form
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionNotUnderstood().run(dispatcher, tracker, {}))
    said = [m.get("response") for m in dispatcher.messages]
    assert said[0] == "utter_opening_need_someone_else" and "utter_default" not in said
    assert {"event": "followup", "name": "utter_ask_consent"} in [
        {k: e.get(k) for k in ("event", "name")} for e in result
    ]
    slots = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    assert slots["filled_in_for_someone_else"] is True


def test_a_need_stated_at_the_start_is_quoted_when_help_to_talk_is_asked():
    """A tester who asked for a Polish interpreter at the start was asked again as if never
    told ("yes, like I say at start")."""
    from bot.actions.asking import AskCommunicationNeeds

    said = "Hello, my english not so good, I need Polish interpreter please"
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"communication_needs_stated": said}, "07700 900123")
    asyncio.run(AskCommunicationNeeds().run(dispatcher, tracker, {}))
    [message] = dispatcher.messages
    assert message["response"] == "utter_ask_communication_needs_stated"
    assert message["said"] == said
    dispatcher = CollectingDispatcher()
    asyncio.run(AskCommunicationNeeds().run(dispatcher, make_tracker({}, "x"), {}))
    assert dispatcher.messages[0]["response"] == "utter_ask_communication_needs"


@pytest.mark.parametrize(
    "text",
    [
        "hang on, can I bring my daughter with me to appointments?",
        "are the clinics accessible? I use a walking frame",
        "can I ask for a female physio?",
    ],
)
def test_an_access_need_asked_at_a_question_gets_its_note_and_the_question_again(text):
    """A blind usability tester's "can I bring my daughter with me?" at the date of birth got
    "I could not read that as a date of birth"."""
    from bot.actions.referral_form import ValidateReferralForm

    assert stated_needs(text) == ["access"]
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        {"requested_slot": "date_of_birth", "communication_needs_stated": "I am deaf"}, text
    )
    result = ValidateReferralForm().validate_date_of_birth(text, dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_opening_need_access"]
    assert result["date_of_birth"] is None and "retry_counts" not in result
    assert result["communication_needs_stated"] == f"I am deaf / {text}"


def test_a_need_asked_as_the_yes_to_consent_gets_its_note_and_the_form_starts():
    """ "can I ask for a female physiotherapist?" was read as going on, with no answer."""
    from bot.actions.consent import ActionRecordConsent

    text = "can I ask for a female physiotherapist?"
    events = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": text}]
    tracker = make_tracker({}, text, intent="start_referral", events=events)
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionRecordConsent().run(dispatcher, tracker, {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_opening_need_access"]
    slots = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    assert slots == {"communication_needs_stated": text, "consent": True}
    assert result[-1]["event"] == "followup" and result[-1]["name"] == "referral_form"


def test_consent_after_another_action_of_the_same_turn_says_no_note_twice():
    from bot.actions.consent import ActionRecordConsent

    text = "yes. can I bring my husband with me?"
    events = [
        {"event": "user", "text": text},
        {"event": "action", "name": "action_not_understood"},
    ]
    tracker = make_tracker({}, text, intent="affirm", events=events)
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionRecordConsent().run(dispatcher, tracker, {}))
    assert dispatcher.messages == []


def test_a_bsl_question_read_as_what_happens_next_gets_the_hearing_note_instead():
    """ "Will there be a BSL interpreter at my appointment?" got "They contact you, usually by
    phone" in a blind usability test."""
    from bot.actions.digressions import ActionAnswerDigression

    text = "Will there be a BSL interpreter at my appointment?"
    events = [
        {"event": "bot", "text": "What is your full name?"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    tracker = make_tracker({"requested_slot": "full_name"}, text, intent="ask_what_next")
    tracker.events = events
    dispatcher = CollectingDispatcher()
    domain = {
        "responses": yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]
    }
    result = asyncio.run(ActionAnswerDigression().run(dispatcher, tracker, domain))
    said = [m.get("response") for m in dispatcher.messages]
    assert said[0] == "utter_opening_need_hearing_or_sight"
    assert "utter_answer_what_next" not in said
    slots = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    assert slots["communication_needs_stated"] == text
