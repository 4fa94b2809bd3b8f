"""Scripted patients who complete a self-referral by conversation, each in their own style.

A patient reads the bot's last message and answers the first question it recognises (a cue
phrase from content/responses.yml). Yes/no screening questions they have no cue for are
answered "no": these patients have no red flags. Used by the integration test, `make eval`
(completion rate, messages per referral) and `make bench` (load).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Say = Callable[[str], list[dict]]

# Cues shared by every patient; each persona's own answers come first.
SUMMARY_CUE = "please check your answers"


@dataclass(frozen=True)
class Persona:
    name: str
    opening: str
    answers: list[tuple[str, str]]
    expected: dict[str, str] = field(default_factory=dict)
    no: str = "no"  # the answer to each yes/no screening question


TYPICAL = Persona(
    "typical: knee after football, full answers",
    "Hi, I'd like to refer myself about my right knee",
    [
        (SUMMARY_CUE, "yes"),  # first: the summary quotes the other questions
        ("want to carry on", "yes please"),
        ("date of birth", "2nd November 1971"),
        ("home address", "12 Example Street, Cannock, WS11 1DB"),
        ("home postcode", "ws11 1db"),
        ("gp practice (surgery)", "Moss Street Surgery"),  # in the ICB's list (Cannock)
        ("could not find", "tap:Keep what I typed"),  # when a practice typed is not in it
        ("practice one of these", "tap:#1"),  # found by its street: the one offered first
        ("already being seen", "no"),
        ("where is the problem", "my knee"),
        ("which side", "the right one"),
        ("how did it start", "I twisted it playing football"),
        ("how long have you had it", "about 3 months"),
        ("0 (no pain) to 10", "six out of ten"),
        ("daily life", "I struggle with stairs and it wakes me at night"),
        ("what about work", "I'm in work"),
        ("what is your job", "delivery driver"),
        ("what have you tried", "ibuprofen and some exercises off the internet"),
        ("get back to doing", "playing football with my son"),
        ("full name", "Sam Sample"),
        ("nhs number", "485 777 3457"),
        ("first line of your address", "12 Example Street"),
        ("phone number", "07700 900123, and my email is sam.sample@example.com"),
        ("email address", "sam.sample@example.com"),
        ("voicemail, or send you text", "both are fine"),
        ("help to talk with us", "no"),
    ],
    {"full_name": "Sam Sample", "postcode": "WS11 1DB", "body_area": "knee"},
)

TERSE = Persona(
    "terse: lower back, one-word answers",
    "hi",
    [
        (SUMMARY_CUE, "y"),
        ("want to carry on", "ok"),
        ("date of birth", "03/03/91"),
        ("home address", "ST4 6QG"),
        ("home postcode", "ST4 6QG"),
        ("gp practice (surgery)", "dont know"),
        ("already being seen", "nope"),
        ("where is the problem", "lower back"),
        ("which side", "both"),
        ("how did it start", "gradually"),
        ("how long have you had it", "6 weeks"),
        ("0 (no pain) to 10", "7"),
        ("daily life", "cant sit long"),
        ("what about work", "off work"),
        ("what is your job", "cleaner"),
        ("what have you tried", "paracetamol"),
        ("get back to doing", "work"),
        ("full name", "Alex Example"),
        ("nhs number", "dont know it"),
        ("first line of your address", "4 Test Road"),
        ("phone number", "07700900456"),
        ("email address", "no"),
        ("voicemail, or send you text", "texts only"),
        ("help to talk with us", "no"),
    ],
    {"full_name": "Alex Example", "postcode": "ST4 6QG", "body_area": "back"},
)

CHATTY = Persona(
    "chatty: several answers in one message, dates and numbers in words",
    "Hello, my left shoulder has been aching for about four months, it came on gradually",
    [
        (SUMMARY_CUE, "no changes needed, send it"),  # a "no" that means yes
        ("want to carry on", "yes that's fine"),
        ("date of birth", "14th March 1968"),
        ("home address", "I'm at Flat 2, 7 Sample Court in Stafford, st16 2pq"),
        ("home postcode", "my postcode is st16 2pq"),
        ("gp practice (surgery)", "I'm with the Example Medical Practice in Stafford"),
        ("could not find", "keep it as I wrote it"),
        ("already being seen", "no, this is the first time"),
        ("where is the problem", "it's my shoulder"),
        ("which side", "left"),
        ("how did it start", "it just came on slowly"),
        ("how long have you had it", "four months or so"),
        ("0 (no pain) to 10", "about a five I'd say"),
        ("daily life", "I can't lift my arm to brush my hair and it's hard to sleep on it"),
        ("what about work", "I'm still working but it's getting hard"),
        ("what is your job", "I work in a shop stacking shelves"),
        ("what have you tried", "I've tried co-codamol and a hot water bottle"),
        ("get back to doing", "gardening and swimming"),
        ("full name", "my name is Jo Specimen"),
        ("nhs number", "943 476 5919"),
        ("first line of your address", "Flat 2, 7 Sample Court"),
        ("phone number", "01632 960123 or email jo.specimen@example.org"),
        ("email address", "jo.specimen@example.org"),
        ("voicemail, or send you text", "voicemail is fine"),
        ("help to talk with us", "large print would help please"),
    ],
    {"full_name": "Jo Specimen", "postcode": "ST16 2PQ", "body_area": "shoulder"},
)

PERSONAS = (TYPICAL, TERSE, CHATTY)
MAX_MESSAGES = 40


@dataclass
class Outcome:
    persona: str
    completed: bool
    messages: int
    reference: str | None = None
    stuck_on: str | None = None
    summary: str = ""


def last_text(replies: list[dict]) -> str:
    texts = [reply["text"] for reply in replies if reply.get("text")]
    return texts[-1] if texts else ""


def answer_for(persona: Persona, replies: list[dict]) -> str | None:
    """The persona's answer to the bot's last message, or None when it has none."""
    lowered = last_text(replies).lower()
    for cue, reply in persona.answers:
        if cue in lowered:
            return reply
    buttons = [b for reply in replies for b in reply.get("buttons") or []]
    if any(b.get("payload") == "/deny" for b in buttons):
        return persona.no  # a screening question: these patients have no red flags
    return None


TAP = "tap:"  # an answer "tap:<button title>" taps that button: its payload is sent


def tapped(answer: str, replies: list[dict]) -> str | None:
    """What the widget sends for `answer`: the payload of the button it names, or the words
    themselves; None when it names a button the bot did not offer."""
    if not answer.startswith(TAP):
        return answer
    title = answer[len(TAP) :]
    buttons = [b for reply in replies for b in reply.get("buttons") or []]
    if title.startswith("#") and title[1:].isdigit():  # "tap:#1": the first button offered
        number = int(title[1:])
        return buttons[number - 1]["payload"] if 0 < number <= len(buttons) else None
    return next((b["payload"] for b in buttons if b.get("title") == title), None)


def referral_marker(replies: list[dict]) -> dict | None:
    for reply in replies:
        marker = (reply.get("custom") or {}).get("referral")
        if marker:
            return marker
    return None


def complete_referral(say: Say, persona: Persona, max_messages: int = MAX_MESSAGES) -> Outcome:
    """Hold the whole conversation; the outcome says whether a referral was made."""
    replies = say(persona.opening)
    sent, summary = 1, ""
    while (marker := referral_marker(replies)) is None:
        if sent >= max_messages:
            return Outcome(persona.name, False, sent, stuck_on="too many messages")
        if SUMMARY_CUE in last_text(replies).lower():
            summary = last_text(replies)
        answer = answer_for(persona, replies)
        sending = None if answer is None else tapped(answer, replies)
        if sending is None:
            return Outcome(persona.name, False, sent, stuck_on=last_text(replies)[:200])
        replies = say(sending)
        sent += 1
    return Outcome(persona.name, True, sent, marker.get("reference"), summary=summary)
