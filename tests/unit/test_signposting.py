"""Signposting picks self-help that fits the patient, and never with or instead of an
emergency or urgent escalation. Actions run as the action server runs them, on trackers
built the way Rasa sends them."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot import signposting
from bot.actions.escalation import ActionEscalateRedFlag, ActionExplainEscalationStop
from bot.actions.signposting import (
    OFFERED_SLOT,
    ActionAnswerSelfHelp,
    ActionOfferSignposting,
    conversation_context,
    request_context,
)
from bot.actions.submission import build_referral, new_reference
from intake.referral_schema import validate_referral
from tests.conftest import make_tracker
from tests.support.referral_slots import COMPLETE

CATALOGUE = signposting.load()
WORK_PAGES = {i.id for i in CATALOGUE.resources.values() if i.work}


def run(action, tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher, events


def signposts(dispatcher: CollectingDispatcher) -> list[dict[str, str]]:
    """The items of every signposting marker sent."""
    return [
        item
        for message in dispatcher.messages
        for item in (message.get("custom") or {}).get("signpost", [])
    ]


def ids(dispatcher: CollectingDispatcher) -> list[str]:
    return [item["id"] for item in signposts(dispatcher)]


def offered(events: list[dict[str, Any]]) -> list[str] | None:
    for event in events:
        if event.get("event") == "slot" and event.get("name") == OFFERED_SLOT:
            return event["value"]
    return None


def patient(text: str = "", **slots: Any):
    """A patient at the end of the referral: the complete answers, with these changes."""
    return make_tracker({**COMPLETE, **slots}, text=text, intent="affirm")


# --- representative patients at the end of a referral ---------------------------------------


def test_lower_back_pain_and_off_work_gets_back_self_care_selfback_and_work_help():
    tracker = patient(
        body_area="back",
        side=None,
        work_status="off_work",
        work_role="warehouse",
        duration="6 weeks",
        daily_impact="can't lift anything",
    )
    dispatcher, events = run(ActionOfferSignposting(), tracker)
    got = ids(dispatcher)
    assert got == ["nhs_back_pain", "gov_fit_note", "selfback_app", "gov_access_to_work"]
    assert offered(events) == got
    assert [m.get("response") for m in dispatcher.messages][0] == "utter_signpost_after_referral"


def test_knee_osteoarthritis_gets_the_arthritis_leaflet_and_the_nice_decision_aid():
    tracker = patient(
        body_area="knee",
        onset="gradual",
        duration="2 years",
        work_status="retired",
        daily_impact="my osteoarthritis makes stairs hard",
    )
    got = ids(run(ActionOfferSignposting(), tracker)[0])
    assert got[0] == "va_osteoarthritis"
    assert {"nice_osteoarthritis", "nhs_knee_pain"} <= set(got)
    assert len(got) == 4 and not WORK_PAGES & set(got)


def test_arthritis_named_only_in_the_opening_message_still_counts():
    tracker = patient(body_area="knee", daily_impact="stairs", work_status="retired")
    tracker.events.append({"event": "user", "text": "I've got arthritis in my right knee"})
    assert ids(run(ActionOfferSignposting(), tracker)[0])[0] == "va_osteoarthritis"


def test_shoulder_after_a_fall_gets_shoulder_help_and_sprains_advice():
    tracker = patient(
        body_area="shoulder", onset="injury", duration="3 weeks", work_status="working"
    )
    got = ids(run(ActionOfferSignposting(), tracker)[0])
    assert got[:2] == ["nhs_shoulder_pain", "nhs_sprains_strains"]
    assert "va_shoulder_pain" in got
    assert not {"selfback_app", "va_osteoarthritis"} & set(got)


def test_widespread_pain_gets_pain_management_not_one_joint():
    tracker = patient(
        body_area="several",
        side=None,
        onset="gradual",
        duration="18 months",
        work_status="not_working",
        daily_impact="pain everywhere, I'm exhausted",
    )
    got = ids(run(ActionOfferSignposting(), tracker)[0])
    assert got[0] == "nhs_living_with_pain"
    assert "nice_chronic_pain" in got
    single_joint = {i.id for i in CATALOGUE.resources.values() if i.body_areas == ("knee",)}
    assert not single_joint & set(got)


def test_sciatica_named_by_the_patient_comes_first():
    tracker = patient(body_area="back", side=None, daily_impact="sciatica down my left leg")
    got = ids(run(ActionOfferSignposting(), tracker)[0])
    assert got[:2] == ["nhs_sciatica", "nhs_back_pain"]


@pytest.mark.parametrize(
    ("area", "work", "duration", "onset"),
    itertools.product(
        signposting.BODY_AREAS,
        signposting.WORK_STATUSES,
        ("2 weeks", "2 months", "6 months", "3 years", None),
        ("injury", "gradual"),
    ),
)
def test_every_referral_gets_one_to_four_distinct_items(area, work, duration, onset):
    tracker = patient(body_area=area, work_status=work, duration=duration, onset=onset)
    context = conversation_context(tracker, "end_of_referral", CATALOGUE)
    got = [i.id for i in signposting.select(CATALOGUE, context)]
    assert 1 <= len(got) <= 4 and len(set(got)) == len(got)


# --- never with or instead of an emergency or urgent escalation ---------------------------


@pytest.mark.parametrize("level", ["emergency", "urgent"])
@pytest.mark.parametrize("moment", signposting.MOMENTS)
def test_selection_is_empty_after_an_emergency_or_urgent_escalation(level, moment):
    for area in signposting.BODY_AREAS:
        context = signposting.Context(
            moment=moment,
            body_area=area,
            conditions=frozenset(CATALOGUE.conditions),
            topics=frozenset(CATALOGUE.topics),
            escalation_level=level,
            escalation_codes=frozenset({"inflammatory_arthritis"}),
        )
        assert signposting.select(CATALOGUE, context) == []


@pytest.mark.parametrize("level", ["emergency", "urgent"])
def test_the_escalation_stop_note_comes_alone_after_an_emergency_or_urgent_flag(level):
    tracker = make_tracker(
        {"body_area": "back", "escalated": True, "escalation_level": level}, text="yes"
    )
    dispatcher, events = run(ActionExplainEscalationStop(), tracker)
    assert len(dispatcher.messages) == 1 and not dispatcher.messages[0].get("custom")
    assert events == []


def test_a_red_flag_message_is_escalated_with_no_signposting():
    tracker = make_tracker(
        {"body_area": "back"},
        text="I can't feel my bum when I wipe and my back hurts",
        intent="red_flag",
        entities=[{"entity": "red_flag", "value": "cauda_equina"}],
    )
    dispatcher, _ = run(ActionEscalateRedFlag(), tracker)
    markers = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert markers == [{"escalation": {"level": "emergency", "code": "cauda_equina"}}]


@pytest.mark.parametrize("level", ["emergency", "urgent"])
def test_asking_for_reading_after_an_emergency_says_get_help_first(level):
    tracker = make_tracker(
        {"body_area": "back", "escalated": True, "escalation_level": level},
        text="is there an app for back pain?",
        intent="ask_self_help",
    )
    dispatcher, events = run(ActionAnswerSelfHelp(), tracker)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_signpost_get_help_first"]
    assert signposts(dispatcher) == [] and events == []


def test_the_end_of_referral_offer_is_silent_if_an_emergency_was_escalated():
    tracker = patient(escalated=True, escalation_level="emergency")
    dispatcher, events = run(ActionOfferSignposting(), tracker)
    assert dispatcher.messages == [] and events == []


def test_after_a_see_your_gp_soon_escalation_self_help_follows_the_stop_note():
    tracker = make_tracker(
        {
            "body_area": "knee",
            "escalated": True,
            "escalation_level": "soon",
            "escalation_codes": ["inflammatory_arthritis"],
        },
        text="yes",
    )
    dispatcher, events = run(ActionExplainEscalationStop(), tracker)
    responses = [m.get("response") for m in dispatcher.messages]
    assert "GP" in dispatcher.messages[0]["text"]  # the stop note first
    assert responses[1] == "utter_signpost_after_escalation"
    got = ids(dispatcher)
    assert got[0] == "va_rheumatoid_arthritis" and "mis_leaflet" not in got
    assert offered(events) == got


def test_a_soon_escalation_after_an_emergency_one_still_offers_nothing():
    # escalation_level keeps the most serious level of the conversation.
    tracker = make_tracker(
        {"body_area": "back", "escalated": True, "escalation_level": "emergency"}, text="ok"
    )
    assert signposts(run(ActionExplainEscalationStop(), tracker)[0]) == []


# --- on request, at any time ------------------------------------------------------------------


def ask(text: str, slots: dict[str, Any] | None = None, entities=None):
    tracker = make_tracker(
        {"requested_slot": "duration", **(slots or {})},
        text=text,
        intent="ask_self_help",
        entities=entities,
    )
    return run(ActionAnswerSelfHelp(), tracker)


def test_is_there_an_app_for_back_pain_gives_selfback_first():
    dispatcher, events = ask("is there an app for back pain?")
    got = ids(dispatcher)
    assert got[0] == "selfback_app" and "nhs_back_pain" in got
    assert dispatcher.messages[0]["response"] == "utter_signpost_on_request"
    assert offered(events) == got


def test_a_question_about_another_area_is_answered_about_that_area():
    entities = [{"entity": "body_area", "value": "knee", "start": 31, "end": 35}]
    dispatcher, _ = ask("anything I can read about my knee?", {"body_area": "back"}, entities)
    got = ids(dispatcher)
    assert got[:2] == ["nhs_knee_pain", "va_knee_pain"]
    assert not {"nhs_back_pain", "selfback_app"} & set(got)


def test_back_to_work_is_about_work_not_the_back():
    entities = [{"entity": "body_area", "value": "back", "start": 15, "end": 19}]
    tracker = make_tracker(
        {"body_area": "knee", "requested_slot": "onset"},
        text="help me to get back to work",
        intent="ask_self_help",
        entities=entities,
    )
    context = request_context(tracker, CATALOGUE)
    assert context.body_area == "knee" and "work" in context.topics
    got = ids(run(ActionAnswerSelfHelp(), tracker)[0])
    assert got[0] == "gov_fit_note" and "nhs_knee_pain" in got
    assert "nhs_back_pain" not in got


def test_a_general_question_uses_what_the_conversation_knows():
    dispatcher, _ = ask("can you give me something to read", {"body_area": "hip"})
    assert ids(dispatcher)[:2] == ["nhs_hip_pain", "va_hip_pain"]


def test_a_question_with_nothing_known_still_gets_something():
    dispatcher, _ = ask("useful links")
    assert ids(dispatcher) == ["mis_leaflet", "va_home"]


def test_what_was_offered_accumulates_without_repeats():
    tracker = make_tracker(
        {OFFERED_SLOT: ["nhs_knee_pain"], "body_area": "knee"},
        text="any exercises for my knee",
        intent="ask_self_help",
    )
    _, events = run(ActionAnswerSelfHelp(), tracker)
    value = offered(events)
    assert value[0] == "nhs_knee_pain" and value.count("nhs_knee_pain") == 1
    assert "va_exercise" in value


def test_the_kiosk_gets_only_kiosk_suitable_items():
    tracker = patient(body_area="knee", daily_impact="osteoarthritis")
    tracker.latest_message["metadata"] = {"channel": "kiosk"}
    got = ids(run(ActionOfferSignposting(), tracker)[0])
    assert got and all(CATALOGUE.resources[i].kiosk_suitable for i in got)
    assert "nice_osteoarthritis" not in got


# --- the marker, the text fallback and the referral ----------------------------------------


def test_the_marker_has_the_contract_fields_and_a_text_fallback_lists_titles_and_links():
    dispatcher, _ = ask("is there an app for back pain?")
    [message] = [m for m in dispatcher.messages if m.get("custom")]
    for item in message["custom"]["signpost"]:
        assert set(item) == {"id", "title", "url", "summary"}
        assert item["url"].startswith("https://")
        assert f"- {item['title']}: {item['url']}" in message["text"]


def test_the_referral_carries_what_was_offered():
    tracker = patient(body_area="knee", **{OFFERED_SLOT: ["va_exercise"]})
    referral = build_referral(tracker, new_reference())
    assert validate_referral(referral) == []
    end_offer = ids(run(ActionOfferSignposting(), tracker)[0])
    assert referral["signposting"] == ["va_exercise", *end_offer]
    assert all(i in CATALOGUE.resources for i in referral["signposting"])


# --- an answer that mentions exercises is an answer, not a request --------------------------


@pytest.mark.parametrize(
    ("slot", "text", "stored"),
    [
        ("treatments_tried", "physio exercises and painkillers", None),
        ("treatments_tried", "I tried the selfback app", None),
        ("work_status", "I'm off sick with a fit note", "off_work"),  # checked by the form
        ("goals", "getting back to work", None),
    ],
)
def test_a_statement_at_a_free_text_question_is_kept_as_the_answer(slot, text, stored):
    tracker = make_tracker({"requested_slot": slot}, text=text, intent="ask_self_help")
    dispatcher, events = run(ActionAnswerSelfHelp(), tracker)
    assert dispatcher.messages == []
    assert events == [{"event": "slot", "timestamp": None, "name": slot, "value": stored or text}]


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("treatments_tried", "are there any exercises I can do?"),
        ("goals", "can you recommend an app"),
        ("postcode", "useful links please"),
    ],
)
def test_a_real_request_mid_form_is_answered(slot, text):
    tracker = make_tracker(
        {"requested_slot": slot, "body_area": "back"}, text=text, intent="ask_self_help"
    )
    dispatcher, events = run(ActionAnswerSelfHelp(), tracker)
    assert ids(dispatcher) and offered(events)


def test_outside_the_form_every_self_help_message_is_answered():
    tracker = make_tracker({"body_area": "back"}, text="exercises", intent="ask_self_help")
    tracker.active_loop = {}
    assert ids(run(ActionAnswerSelfHelp(), tracker)[0])
