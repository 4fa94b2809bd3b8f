"""Screening questions and escalations in the action server, recorded through a real intake API."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher
from werkzeug.serving import make_server

from bot.actions.escalation import ActionAskRedFlagScreening, ActionEscalateRedFlag
from bot.actions.referral_form import SCREENING_DONE, ValidateReferralForm
from bot.dialogue.escalation import catalogue
from bot.dialogue.screening import MAX_LINES, answers_to_send, lists_for, next_screening_question
from intake.referral_schema import RED_FLAG_ID_PATTERN
from tests.conftest import TEST_TOKEN, make_tracker

FORM = ValidateReferralForm()


@pytest.fixture
def intake(app, monkeypatch) -> Iterator[str]:
    """The intake app served over real HTTP on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("INTAKE_URL", url)
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    yield url
    server.shutdown()


def recorded(url: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{url}/api/v1/escalations",
        headers={"Authorization": f"Bearer {TEST_TOKEN}"},
        timeout=5,
    )
    return response.json()["escalations"]


def markers(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    return [m["custom"]["escalation"] for m in dispatcher.messages if m.get("custom")]


def screening_slots(answers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "body_area": "back",
        "eligible": True,
        "requested_slot": "red_flag_screening",
        "screening_answers": answers or {},
    }


def validate(tracker, value: str) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    slots = asyncio.run(FORM.validate_red_flag_screening(value, dispatcher, tracker, {}))
    return slots, dispatcher


def test_yes_to_the_cauda_equina_question_escalates_now_and_is_recorded(intake):
    tracker = make_tracker(screening_slots(), text="yes", intent="affirm", sender="conv-ces")
    slots, dispatcher = validate(tracker, "yes")
    assert markers(dispatcher) == [{"level": "emergency", "code": "cauda_equina"}]
    assert "999" in dispatcher.messages[0]["text"]
    assert slots["escalated"] is True and slots["eligible"] is None
    assert slots["screening_answers"] == {"cauda_equina": "yes"}
    [stored] = recorded(intake)
    assert (stored["conversation_id"], stored["level"], stored["code"], stored["source"]) == (
        "conv-ces",
        "emergency",
        "cauda_equina",
        "screening",
    )


def test_no_to_the_back_questions_takes_two_answers_and_ends_with_the_safety_net_advice():
    """Cauda equina alone, then the back's other questions as one list: two "no"s."""
    answers: dict[str, str] = {}
    questions = [flag.id for flag in catalogue().screening_for("back")]
    for last in (False, True):
        tracker = make_tracker(screening_slots(answers), text="no", intent="deny")
        slots, dispatcher = validate(tracker, "no")
        answers = slots["screening_answers"]
        assert slots["red_flag_screening"] == (SCREENING_DONE if last else None)
        assert not markers(dispatcher)
    assert answers_to_send(answers) == dict.fromkeys(questions, "no")
    assert dispatcher.messages[-1]["response"] == "utter_back_pain_safety_net"


def test_yes_to_a_list_asks_its_questions_one_at_a_time_and_escalates_at_the_flags_level(intake):
    answers = {"cauda_equina": "no"}
    tracker = make_tracker(screening_slots(answers), text="yes", intent="affirm", sender="c-l")
    slots, dispatcher = validate(tracker, "yes")
    assert not markers(dispatcher) and slots["red_flag_screening"] is None
    assert dispatcher.messages[-1]["response"] == "utter_screening_one_at_a_time"
    answers = slots["screening_answers"]
    asked = []
    for said in ("no", "no", "yes"):  # cancer no, infection no, fracture yes
        asked.append(next_screening_question("back", answers).id)
        intent = "affirm" if said == "yes" else "deny"
        tracker = make_tracker(screening_slots(answers), text=said, intent=intent)
        slots, dispatcher = validate(tracker, said)
        answers = slots["screening_answers"]
        assert bool(markers(dispatcher)) == (said == "yes")
    assert asked == ["cancer_history", "spinal_infection", "fracture_trauma"]
    assert markers(dispatcher) == [{"level": "urgent", "code": "fracture_trauma"}]
    assert slots["escalated"] is True


def test_a_no_with_an_exception_is_asked_again_not_taken_as_no():
    answers = {"cauda_equina": "no"}
    text = "no, apart from I take steroids long term"
    tracker = make_tracker(screening_slots(answers), text=text, intent="deny")
    slots, dispatcher = validate(tracker, text)
    assert slots["red_flag_screening"] is None
    assert slots.get("screening_answers", answers) == answers
    assert dispatcher.messages[0]["response"] == "utter_screening_yes_no"


def test_a_yes_to_a_list_then_no_to_each_reaches_staff_as_a_yes():
    group = next_screening_question("back", {"cauda_equina": "no"})
    answers = {"cauda_equina": "no", group.id: "yes"}
    answers |= {flag.id: "no" for flag in group.flags}
    sent = answers_to_send(answers)
    assert sent[group.id] == "yes"
    assert answers_to_send({"cauda_equina": "no", group.id: "no"}) == {"cauda_equina": "no"}
    assert re.fullmatch(RED_FLAG_ID_PATTERN, group.id)  # the intake schema takes it


def test_a_line_two_questions_of_a_list_share_is_shown_once():
    for area in ("several", "knee", "back", "neck", None):
        for group in lists_for(catalogue().screening_for(area)):
            assert len(group.lines) == len(set(group.lines))


def test_every_question_in_a_list_has_lines_and_no_emergency_question_is_in_one():
    for area in ("back", "neck", "knee", "several", None):
        flags = catalogue().screening_for(area)
        for group in lists_for(flags):
            assert all(flag.level != "emergency" for flag in group.flags)
            assert 1 <= len(group.lines) <= MAX_LINES
            assert all(len(line.split()) <= 16 for line in group.lines)
        listed = {flag.id for group in lists_for(flags) for flag in group.flags}
        alone = {flag.id for flag in flags if flag.level == "emergency"}
        assert listed | alone == {flag.id for flag in flags}  # nothing is left unasked


def test_an_unclear_screening_answer_is_asked_again_leaning_to_safety():
    tracker = make_tracker(screening_slots(), text="maybe", intent="dont_know")
    slots, dispatcher = validate(tracker, "maybe")
    assert slots["red_flag_screening"] is None
    assert dispatcher.messages[0]["response"] == "utter_screening_yes_no"


def test_the_next_question_is_asked_with_yes_and_no_buttons():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"body_area": "back", "screening_answers": {}})
    events = asyncio.run(ActionAskRedFlagScreening().run(dispatcher, tracker, {}))
    first = catalogue().screening_for("back")[0]
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_screening_intro",
        "utter_ask_screening_question",
    ]
    assert dispatcher.messages[1]["question"] == first.screening_question
    assert events[0]["value"] == first.id


def test_the_questions_of_a_list_are_asked_as_one_bulleted_message():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"body_area": "knee", "screening_answers": {}})
    events = asyncio.run(ActionAskRedFlagScreening().run(dispatcher, tracker, {}))
    group = next_screening_question("knee", {})
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_screening_intro",
        "utter_ask_screening_list",
    ]
    lines = dispatcher.messages[1]["lines"].splitlines()
    assert lines == [f"• {line}" for line in group.lines]
    assert any("hot, red and swollen" in line for line in lines)  # septic arthritis
    assert any("fall" in line for line in lines)  # fracture
    assert events[0]["value"] == group.id


@pytest.mark.parametrize(("born", "asked"), [("2002-01-01", False), ("1960-01-01", True)])
def test_the_temple_headache_lines_are_asked_from_the_age_in_the_catalogue(born, asked):
    """Giant cell arteritis is rare under 50 (`from_age: 50`): a 24-year-old's shoulder
    screening list has no temple-headache lines; a 66-year-old's has them; before the date
    of birth is known they are asked."""
    dispatcher = CollectingDispatcher()
    slots = {"body_area": "shoulder", "screening_answers": {}, "date_of_birth": born}
    asyncio.run(ActionAskRedFlagScreening().run(dispatcher, make_tracker(slots), {}))
    lines = dispatcher.messages[1]["lines"]
    assert ("temple" in lines) is asked
    assert any("temple" in line for line in next_screening_question("shoulder", {}).lines)


def test_a_red_flag_typed_mid_form_ends_the_form_even_when_intake_is_down(monkeypatch):
    monkeypatch.setenv("INTAKE_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    entities = [
        {"entity": "red_flag", "value": "cancer_history"},
        {"entity": "red_flag", "value": "cauda_equina"},
    ]
    tracker = make_tracker(
        {"requested_slot": "pain_score"}, text="...", intent="red_flag", entities=entities
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionEscalateRedFlag().run(dispatcher, tracker, {}))
    assert markers(dispatcher) == [{"level": "emergency", "code": "cauda_equina"}]
    assert events[0] == {"event": "active_loop", "timestamp": None, "name": None}
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["escalation_codes"] == ["cauda_equina", "cancer_history"]
    assert slots["escalation_level"] == "emergency"


def test_escalations_api_checks_fields_refuses_strangers_and_is_idempotent(client, auth):
    record = {
        "id": "0" * 32,
        "conversation_id": "conv-1",
        "level": "urgent",
        "code": "septic_arthritis",
        "codes": ["septic_arthritis"],
        "source": "message",
        "occurred_at": "2026-11-23T10:00:00+00:00",
    }
    assert client.post("/api/v1/escalations", json=record).status_code == 401
    bad = client.post("/api/v1/escalations", json={**record, "level": "later"}, headers=auth)
    assert bad.status_code == 422
    assert bad.get_json()["problems"][0]["field"] == "level"
    assert client.post("/api/v1/escalations", json=record, headers=auth).status_code == 201
    assert client.post("/api/v1/escalations", json=record, headers=auth).status_code == 200
    listed = client.get("/api/v1/escalations?level=urgent", headers=auth).get_json()
    assert [e["code"] for e in listed["escalations"]] == ["septic_arthritis"]


@pytest.mark.parametrize("level", ["emergency", "urgent", "soon"])
def test_on_the_kiosk_an_escalation_says_what_the_kiosk_banner_says(monkeypatch, level):
    """The kiosk stands in the emergency department: tell the staff here, not "go to A&E"."""
    monkeypatch.setenv("INTAKE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    flag = next(f for f in catalogue().flags.values() if f.level == level)
    entities = [{"entity": "red_flag", "value": flag.id}]
    tracker = make_tracker({}, text="...", intent="red_flag", entities=entities)
    tracker.latest_message["metadata"] = {"channel": "kiosk"}
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionEscalateRedFlag().run(dispatcher, tracker, {}))
    said = dispatcher.messages[0]["text"]
    assert said == catalogue().levels[level]["kiosk_heading"]
    if level != "soon":
        assert "staff" in said and "999" not in said
    assert markers(dispatcher) == [{"level": level, "code": flag.id}]


def test_on_the_website_an_escalation_keeps_the_flags_own_advice(monkeypatch):
    monkeypatch.setenv("INTAKE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    flag = next(f for f in catalogue().flags.values() if f.advice)
    tracker = make_tracker(
        {}, text="...", intent="red_flag", entities=[{"entity": "red_flag", "value": flag.id}]
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionEscalateRedFlag().run(dispatcher, tracker, {}))
    assert dispatcher.messages[0]["text"] == flag.advice


def test_on_the_kiosk_a_crisis_gets_its_own_kiosk_advice_with_the_samaritans_number(monkeypatch):
    monkeypatch.setenv("INTAKE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    flag = catalogue().flags["mental_health_crisis"]
    tracker = make_tracker(
        {}, text="...", intent="red_flag", entities=[{"entity": "red_flag", "value": flag.id}]
    )
    tracker.latest_message["metadata"] = {"channel": "kiosk"}
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionEscalateRedFlag().run(dispatcher, tracker, {}))
    said = dispatcher.messages[0]["text"]
    assert said == flag.kiosk_advice
    assert "member of staff" in said and "116 123" in said and "999" not in said


def test_several_areas_get_the_safety_net_advice_for_if_the_back_is_one_of_them():
    """A neck-and-shoulder patient who chose Several areas was told "about back pain"."""
    answers: dict[str, str] = {}
    for _ in catalogue().screening_for("several"):
        slots = {**screening_slots(answers), "body_area": "several"}
        tracker = make_tracker(slots, text="no", intent="deny")
        result, dispatcher = validate(tracker, "no")
        answers = result["screening_answers"]
        if result["red_flag_screening"] == SCREENING_DONE:
            break
    assert dispatcher.messages[-1]["response"] == "utter_back_pain_safety_net_several"
