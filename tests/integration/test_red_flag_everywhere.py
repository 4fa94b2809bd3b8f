"""A red flag typed as the answer to any question escalates, and is never stored as the answer.

Through the real stack (Rasa server, action server, web app) over the REST channel: one
conversation per requestable slot of the referral form (free-text and button questions
alike), plus the consent question, a digression, the read-back, after submission and after
an escalation. The tracker store (SQLite) is read afterwards to prove the red-flag message
filled no slot.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import pytest
import requests

from scripts.form_domain import merged_domain
from scripts.simulated_patient import (
    SUMMARY_CUE,
    TERSE,
    TYPICAL,
    answer_for,
    last_text,
    tapped,
)

RED_FLAG = "I keep wetting myself and my bum has gone numb"
FORM_SLOTS = merged_domain()["forms"]["referral_form"]["required_slots"]
# The question each slot is asked with, as a cue of its wording (content/responses.yml).
CUES = {
    "date_of_birth": "date of birth",
    "postcode": "home address",
    "gp_in_area": "whose gp practice is in staffordshire",
    "gp_practice": "gp practice (surgery)",
    "already_under_service": "already being seen",
    "body_area": "where is the problem",
    "side": "which side",
    "pregnancy_pelvic_pain": "linked to being pregnant",
    "onset": "how did it start",
    "duration": "how long have you had it",
    "pain_score": "0 (no pain) to 10",
    "daily_impact": "daily life",
    "work_status": "what about work",
    "work_role": "what is your job",
    "treatments_tried": "what have you tried",
    "goals": "get back to doing",
    "full_name": "full name",
    "nhs_number": "nhs number",
    "address_line1": "first line of your address",
    "phone": "phone number",
    "email": "what is your email address",
    "contact_permissions": "voicemail, or send you text",
    "communication_needs": "help to talk with us",
    "completed_by": "filling this in for someone else",
}
# A knee patient with a postcode outside the area and a practice not in the ICB's list is
# asked side and gp_in_area; a back patient is asked the pregnancy question and has red-flag
# screening questions.
KNEE_BORDER = replace(
    TYPICAL,
    opening="I'd like to refer myself please",
    answers=[
        ("home address", "M1 1AA"),
        ("home postcode", "M1 1AA"),
        ("gp practice (surgery)", "Example Road Surgery, Manchester"),
        ("whose gp practice is in staffordshire", "/affirm"),
        *TYPICAL.answers,
    ],
)
BACK = replace(TERSE, opening="I'd like to refer myself please")


def marker(replies: list[dict], key: str) -> dict | None:
    """The first reply's custom marker of this kind ("escalation", "red_flag_check")."""
    return next(
        ((r.get("custom") or {})[key] for r in replies if key in (r.get("custom") or {})), None
    )


def escalation(replies: list[dict]) -> dict | None:
    return marker(replies, "escalation")


def slot_events(stack, sender: str) -> list[tuple[str, object]]:
    with sqlite3.connect(stack.state_dir / "tracker.db") as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()
    events = [json.loads(row[0]) for row in rows]
    return [(e["name"], e.get("value")) for e in events if e.get("event") == "slot"]


def asked(replies: list[dict], slot: str) -> bool:
    text = last_text(replies).lower()
    if slot == "red_flag_screening":
        buttons = [b.get("payload") for r in replies for b in r.get("buttons") or []]
        known = any(cue in text for cue in CUES.values()) or "carry on" in text
        return "/deny" in buttons and not known and SUMMARY_CUE not in text
    return CUES[slot] in text


def talk_until(stack, sender: str, persona, wanted) -> list[dict]:
    """Hold the conversation until `wanted(replies)`; the replies at that point."""
    replies = stack.say(sender, persona.opening)
    for _ in range(40):
        if wanted(replies):
            return replies
        answer = answer_for(persona, replies)
        assert answer is not None, f"stuck at: {last_text(replies)}"
        sending = tapped(answer, replies)
        assert sending is not None, f"{answer} is not offered at: {last_text(replies)}"
        replies = stack.say(sender, sending)
    raise AssertionError("the question never came")


def assert_escalates_and_fills_nothing(stack, sender: str, replies: list[dict]) -> None:
    before = slot_events(stack, sender)
    replies = stack.say(sender, RED_FLAG)
    assert escalation(replies) == {"level": "emergency", "code": "cauda_equina"}, replies
    new = slot_events(stack, sender)[len(before) :]
    assert [name for name, value in new if value == RED_FLAG] == []
    allowed = {"escalated", "escalation_level", "escalation_codes", "eligible", "requested_slot"}
    assert {name for name, _ in new} <= allowed, new


# The email has no question of its own in the first pass (the phone question invites it); it
# is asked when the patient changes it at the read-back.
CHANGING_EMAIL = replace(
    KNEE_BORDER, answers=[(SUMMARY_CUE, '/change_answer{"field": "email"}'), *KNEE_BORDER.answers]
)


# Who is filling it in is asked only of someone filling it in for another person.
FOR_HIS_MUM = replace(KNEE_BORDER, opening="I'm filling this in for my mum")


@pytest.mark.parametrize("slot", [s for s in FORM_SLOTS])
def test_a_red_flag_given_as_the_answer_to_each_question_escalates_and_is_not_stored(stack, slot):
    persona = BACK if slot in ("pregnancy_pelvic_pain", "red_flag_screening") else KNEE_BORDER
    persona = CHANGING_EMAIL if slot == "email" else persona
    persona = FOR_HIS_MUM if slot == "completed_by" else persona
    sender = f"everywhere-{slot}"
    replies = talk_until(stack, sender, persona, lambda r: asked(r, slot))
    assert_escalates_and_fills_nothing(stack, sender, replies)


def test_a_red_flag_at_the_consent_question_escalates(stack):
    replies = stack.say("everywhere-consent", "I'd like to refer myself please")
    assert "carry on" in last_text(replies).lower()
    assert_escalates_and_fills_nothing(stack, "everywhere-consent", replies)


def test_a_red_flag_after_a_digression_escalates(stack):
    sender = "everywhere-digression"
    talk_until(stack, sender, KNEE_BORDER, lambda r: asked(r, "duration"))
    replies = stack.say(sender, "how long is the wait?")
    assert escalation(replies) is None
    assert_escalates_and_fills_nothing(stack, sender, replies)


def test_a_red_flag_at_the_read_back_escalates(stack):
    sender = "everywhere-summary"
    no_summary = replace(
        KNEE_BORDER, answers=[a for a in KNEE_BORDER.answers if a[0] != SUMMARY_CUE]
    )
    replies = talk_until(stack, sender, no_summary, lambda r: SUMMARY_CUE in last_text(r).lower())
    assert_escalates_and_fills_nothing(stack, sender, replies)


def test_a_red_flag_after_submission_and_after_an_escalation_escalates_again(stack):
    sender = "everywhere-after"
    talk_until(
        stack,
        sender,
        KNEE_BORDER,
        lambda r: any((m.get("custom") or {}).get("referral") for m in r),
    )
    replies = stack.say(sender, RED_FLAG)
    assert escalation(replies) == {"level": "emergency", "code": "cauda_equina"}
    again = stack.say(sender, "I also took 30 paracetamol an hour ago")
    assert escalation(again) == {"level": "emergency", "code": "mental_health_crisis"}


def test_a_disputed_escalation_is_asked_once_and_no_carries_on_with_the_answers_kept(stack):
    """A patient misread as an emergency is asked the flag's check question once: "no"
    goes back to the question they were at, with their answers kept (a blind usability
    tester lost about 20 answers to a false stop); a second escalation that they dispute is
    not asked about again, and "Start again" is the way on."""
    sender = "everywhere-disputed"
    talk_until(stack, sender, BACK, lambda r: asked(r, "duration"))
    replies = stack.say(sender, RED_FLAG)
    assert escalation(replies) == {"level": "emergency", "code": "cauda_equina"}
    replies = stack.say(
        sender,
        "no, that's not what I meant! it went away in a minute. Can I carry on?",
    )
    assert check_marker(replies) == {"code": "cauda_equina", "level": "emergency"}, replies
    assert escalation(replies) is None  # the escalation is not repeated
    replies = stack.say(sender, "/deny")
    assert escalation(replies) is None and asked(replies, "duration"), replies
    replies = stack.say(sender, "about 3 weeks")
    assert not asked(replies, "duration") and escalation(replies) is None, replies
    slots = dict(slot_events(stack, sender))  # each slot's latest value
    assert not slots["escalated"] and slots["duration"], slots
    assert slots["body_area"] == "back" and slots["date_of_birth"], slots
    # a second escalation in the same conversation: disputed, it stands
    replies = stack.say(sender, RED_FLAG)
    assert escalation(replies) == {"level": "emergency", "code": "cauda_equina"}
    replies = stack.say(sender, "I made a mistake, I don't have those symptoms")
    text = last_text(replies)
    assert "start again" in text and "get the help I described" in text, replies
    assert check_marker(replies) is None and escalation(replies) is None, replies
    buttons = [b for r in replies for b in r.get("buttons") or []]
    assert buttons == [{"title": "Start again", "payload": "/restart"}], buttons
    replies = stack.say(sender, "/restart")
    assert "start again" in last_text(replies).lower(), replies
    replies = stack.say(sender, "hello")
    assert any(b.get("payload") == "/affirm" for r in replies for b in r.get("buttons") or [])


def test_a_yes_to_the_check_question_about_a_disputed_escalation_escalates_again(stack):
    sender = "everywhere-disputed-yes"
    talk_until(stack, sender, BACK, lambda r: asked(r, "duration"))
    assert escalation(stack.say(sender, RED_FLAG)) is not None
    replies = stack.say(sender, "that's wrong")
    assert check_marker(replies) == {"code": "cauda_equina", "level": "emergency"}, replies
    replies = stack.say(sender, "/affirm")
    assert escalation(replies) == {"level": "emergency", "code": "cauda_equina"}, replies


def test_a_disputed_escalation_at_the_first_message_carries_on_to_the_introduction(stack):
    sender = "everywhere-disputed-opening"
    replies = stack.say(sender, "I have lost a stone in weight without trying and my back hurts")
    assert escalation(replies) is not None, replies
    code = escalation(replies)["code"]
    replies = stack.say(sender, "no I didn't mean that, I lost it on purpose at slimming club")
    assert (check_marker(replies) or {}).get("code") == code, replies
    replies = stack.say(sender, "no")
    assert escalation(replies) is None, replies
    assert any(b.get("payload") == "/affirm" for r in replies for b in r.get("buttons") or [])


# Vague messages, some of which a detector should be unsure of (which ones depends on the
# trained model, so the test takes the first that gets a check question).
VAGUE = (
    "nothing else really, not a lot of feeling down there",
    "bit of a funny feeling down below",
    "my legs feel a bit odd today",
    "been feeling hot and shivery with it",
    "it's a bit swollen and warm",
    "sometimes I can't quite tell when I need the loo",
    "my wee is a bit different lately",
)


def check_marker(replies: list[dict]) -> dict | None:
    return marker(replies, "red_flag_check")


def test_a_check_question_yes_escalates_and_no_returns_to_the_same_question(stack):
    for number, text in enumerate(VAGUE):
        sender = f"everywhere-check-{number}"
        talk_until(stack, sender, KNEE_BORDER, lambda r: asked(r, "duration"))
        replies = stack.say(sender, text)
        marker = check_marker(replies)
        if marker:
            break
    else:
        raise AssertionError("no vague message got a check question")
    assert escalation(replies) is None
    assert marker["level"] in ("emergency", "urgent", "soon")
    assert {b["payload"] for r in replies for b in r.get("buttons") or []} == {"/affirm", "/deny"}
    back = stack.say(sender, "/deny")
    assert CUES["duration"] in last_text(back).lower()  # the same question, form intact
    assert escalation(back) is None
    again = stack.say(sender, text)  # said again: taken as the answer, never asked twice
    assert check_marker(again) is None and escalation(again) is None
    assert again and "just to check" not in last_text(again).lower()
    yes_sender = f"{sender}-yes"
    talk_until(stack, yes_sender, KNEE_BORDER, lambda r: asked(r, "duration"))
    assert check_marker(stack.say(yes_sender, text)) == marker
    assert escalation(stack.say(yes_sender, "/affirm")) == {
        "level": marker["level"],
        "code": marker["code"],
    }
    unsure_sender = f"{sender}-not-sure"
    talk_until(stack, unsure_sender, KNEE_BORDER, lambda r: asked(r, "duration"))
    assert check_marker(stack.say(unsure_sender, text)) == marker
    assert escalation(stack.say(unsure_sender, "I'm not sure")) == {
        "level": marker["level"],
        "code": marker["code"],
    }
    # a no in words, and words that are no answer (a blind usability tester was stuck at
    # "Sorry, I did not understand" with the check's buttons gone)
    worded_sender = f"{sender}-worded"
    talk_until(stack, worded_sender, KNEE_BORDER, lambda r: asked(r, "duration"))
    assert check_marker(stack.say(worded_sender, text)) == marker
    odd = stack.say(worded_sender, "I just wanted to change my pain score")
    assert escalation(odd) is None
    assert {b["payload"] for r in odd for b in r.get("buttons") or []} == {"/affirm", "/deny"}
    back = stack.say(worded_sender, "No! that's not what I meant, I just wanted to carry on")
    assert escalation(back) is None and CUES["duration"] in last_text(back).lower(), back


def over_the_gateway(stack, channel: str):
    """A patient on the website or the kiosk: messages through the chat gateway."""
    conversation: dict[str, str] = {}

    def say(text: str) -> list[dict]:
        body = {"message": text, "channel": channel, **conversation}
        response = requests.post(stack.url("WEB_PORT", "/api/v1/chat"), json=body, timeout=60)
        assert response.status_code == 200, response.text
        conversation["conversation_id"] = response.json()["conversation_id"]
        return response.json()["messages"]

    return say


def test_after_an_emergency_the_nearest_ae_question_gets_999_and_the_nhs_finder(stack):
    say = over_the_gateway(stack, "web")
    assert escalation(say(RED_FLAG))["level"] == "emergency"
    replies = say("where's the nearest A&E?")
    text = " ".join(r.get("text") or "" for r in replies)
    assert "999" in text and "111" in text
    cards = [card for r in replies for card in (r.get("custom") or {}).get("signpost", [])]
    assert "find_ae" in {card["id"] for card in cards}
    assert escalation(replies) is None, "a question about A&E is not itself a red flag"


def test_on_the_kiosk_the_chat_and_the_banner_both_say_tell_the_staff(stack):
    say = over_the_gateway(stack, "kiosk")
    replies = say(RED_FLAG)
    assert escalation(replies)["level"] == "emergency"
    first = replies[0]["text"]
    assert "member of staff" in first and "999" not in first
    answer = " ".join(r.get("text") or "" for r in say("where is the nearest a and e"))
    assert "reception desk" in answer
