"""A question outside the form (consent, the read-back, the change list, another problem) is
never left behind: after a question of the patient's or a message not understood it is asked
again with its buttons, so the next yes, no or choice is read (blind testers got stuck: "how
long is the wait?" at consent, then "yes" was not understood, over and over)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.changes import FIELD_SLOTS, chosen_field
from bot.actions.digressions import (
    ASKED_AGAIN_AFTER_A_QUESTION,
    ActionAnswerDigression,
    ActionNotUnderstood,
)
from tests.conftest import make_tracker
from tests.support.referral_slots import COMPLETE

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]
DOMAIN = {"responses": RESPONSES, "forms": {"referral_form": {"required_slots": []}}}


def after(question: str, text: str, intent: str, slots: dict | None = None):
    events = [
        {"event": "action", "name": question},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    slots = slots or {"body_area": "knee", "side": "right"}
    tracker = make_tracker(slots, text, intent=intent, events=events)
    tracker.active_loop = {}
    return tracker


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return [m["response"] for m in dispatcher.messages], events


def followups(events) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


@pytest.mark.parametrize("question", ASKED_AGAIN_AFTER_A_QUESTION)
def test_a_question_of_the_patients_is_answered_then_the_open_question_asked_again(question):
    said, events = run(
        ActionAnswerDigression(), after(question, "how long is the wait?", "ask_waiting_times")
    )
    assert said == ["utter_answer_waiting_times"]
    assert followups(events) == [question]


@pytest.mark.parametrize(
    "question", ["utter_ask_consent", "action_ask_what_to_change", "utter_ask_another_problem"]
)
def test_a_message_not_understood_asks_the_open_question_again(question):
    said, events = run(ActionNotUnderstood(), after(question, "flibble wibble", "nlu_fallback"))
    assert said == ["utter_default"] and followups(events) == [question]


def test_a_second_problem_named_but_not_read_as_yes_starts_it():
    """ "yes my knee as well" at "Do you have a different problem?" got "Sorry, I did not
    understand" when the NLU did not read it as yes (a blind usability test)."""
    tracker = after("utter_ask_another_problem", "my knee as well", "inform")
    said, events = run(ActionNotUnderstood(), tracker)
    assert said == [] and followups(events) == ["action_start_another_problem"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("yes please. what is MIS though?", "ask_what_is_mis"),
        ("yeah go on, how long is the wait", "ask_waiting_times"),
        ("ok, who sees my answers?", "ask_data_use"),
    ],
)
def test_a_yes_with_a_question_at_consent_is_answered_and_the_referral_starts(text, intent):
    """A blind usability tester's "yes please. what is MIS though?" lost its yes: the consent
    question came again."""
    said, events = run(ActionAnswerDigression(), after("utter_ask_consent", text, intent))
    assert said and said[0].startswith("utter_answer_")
    assert followups(events) == ["action_record_consent"]  # which starts the form


@pytest.mark.parametrize(
    "text", ["ok great, yes. I'm Jo Example, born 9 August 1994", "yes, my name is Sam Sample"]
)
def test_a_yes_with_answers_at_consent_is_taken_and_the_form_reads_the_answers(text):
    """A blind usability tester's "ok great, yes. I'm ..., born 9 August 1994" got "did not
    understand", and the name was asked again later."""
    said, events = run(ActionNotUnderstood(), after("utter_ask_consent", text, "inform"))
    assert said == [] and followups(events) == ["action_record_consent"]


def test_consent_recorded_starts_the_form():
    from bot.actions.consent import ActionRecordConsent

    _, events = run(ActionRecordConsent(), after("utter_ask_consent", "yes", "affirm"))
    assert events[0] == {"event": "slot", "timestamp": None, "name": "consent", "value": True}
    assert followups(events) == ["referral_form"]


@pytest.mark.parametrize("text", ["what is MIS?", "no, what is MIS?", "not sure, what is it?"])
def test_a_question_at_consent_without_a_yes_asks_consent_again(text):
    said, events = run(
        ActionAnswerDigression(), after("utter_ask_consent", text, "ask_what_is_mis")
    )
    assert said == ["utter_answer_what_is_mis"]
    assert followups(events) == ["utter_ask_consent"]
    assert not any(e.get("name") == "consent" for e in events)


def test_in_the_form_the_form_asks_its_own_question_again():
    tracker = after("utter_ask_consent", "how long is the wait?", "ask_waiting_times")
    tracker.active_loop = {"name": "referral_form"}
    _, events = run(ActionAnswerDigression(), tracker)
    assert followups(events) == []


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("GP practice", "gp_practice"),
        ("gp practice please", "gp_practice"),
        ("I want to change my GP practice", "gp_practice"),
        ("the pain score", "pain_score"),
        ("Date of birth", "date_of_birth"),
        ("how long", "duration"),
        ("Voicemail and texts", "contact"),
        ("my email address is wrong", "email"),  # the one named first
        ("my address is wrong, the postcode is fine", "address_line1"),
    ],
)
def test_a_change_list_choice_typed_instead_of_tapped_is_that_choice(text, field):
    assert chosen_field(text, DOMAIN) == field
    said, events = run(ActionNotUnderstood(), after("action_ask_what_to_change", text, "inform"))
    assert said == [] and followups(events) == ["referral_form"]
    cleared = {e["name"] for e in events if e.get("event") == "slot" and e["value"] is None}
    assert set(FIELD_SLOTS[field]) <= cleared


@pytest.mark.parametrize(
    ("text", "intent", "field"),
    [
        ("How long", "ask_waiting_times", "duration"),
        ("Address", "ask_human", "address_line1"),
        ("work", "ask_health_and_work", "work"),
    ],
)
def test_a_change_list_title_read_as_a_question_is_that_choice(text, intent, field):
    """Typed (or sent as its title by a plain client), "How long" at the change list was
    answered with the waiting times and "Address" with how to talk to a person (blind
    usability test): the whole message being a title of the list, it is that choice."""
    tracker = after("action_ask_what_to_change", text, intent)
    said, events = run(ActionAnswerDigression(), tracker)
    assert said == [] and followups(events) == ["referral_form"]
    cleared = {e["name"] for e in events if e.get("event") == "slot" and e["value"] is None}
    assert set(FIELD_SLOTS[field]) <= cleared
    # a question that only holds a title's words is still answered
    tracker = after("action_ask_what_to_change", "how long is the wait?", "ask_waiting_times")
    said, events = run(ActionAnswerDigression(), tracker)
    assert said == ["utter_answer_waiting_times"]
    assert followups(events) == ["action_ask_what_to_change"]


@pytest.mark.parametrize("text", ["flibble", "everything", "not sure"])
def test_words_that_name_no_choice_ask_the_change_list_again(text):
    assert chosen_field(text, DOMAIN) is None


def test_a_change_list_choice_typed_with_its_new_value_takes_the_value():
    text = "my phone number is 07700 900456"
    tracker = after("action_ask_what_to_change", text, "inform", slots=dict(COMPLETE))
    said, events = run(ActionNotUnderstood(), tracker)
    assert {"event": "slot", "name": "phone", "value": "07700 900456"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    assert followups(events) == ["action_show_referral_summary"]


def test_after_change_something_asked_what_to_change_a_typed_choice_is_taken():
    """ "Change something" names nothing: action_prepare_change asks what to change itself, so
    its reply is the change list (a blind tester's "GP practice" got "did not understand")."""
    said, events = run(
        ActionNotUnderstood(), after("action_prepare_change", "GP practice", "inform")
    )
    assert said == [] and followups(events) == ["referral_form"]
    said, events = run(ActionNotUnderstood(), after("action_prepare_change", "hmm", "inform"))
    assert followups(events) == ["action_ask_what_to_change"]
