"""A patient who gives the same words twice to the same question is answering it.

So is a patient whose message has the exact shape of the answer asked for (a date when the
date of birth is asked, a valid postcode, NHS number, phone number or email, a name of two to
four plain words, a body area, side, start, duration, pain score or work status in the
vocabulary's words), whatever the NLU read it as: "Jo Example" is a name, not a request for
help, and "after a fall" says how it started.

The NLU may read an answer as a question or a request ("large print would help please",
given for communication needs, read as a request for self-help). The assistant answers that
and asks its question again; a patient who then sends the same words again is answering the
question. Taking them as the answer (the form validates it as usual, with its own re-asks)
stops the conversation going round in a loop.

Rasa's form does not validate slots that another action set (it validates only what it
extracts from a message it is answering), so `as_answer` runs the form's own validator on
the text first: a repeated answer is stored normalised ("after a fall" as injury), or
re-asked saying what is wrong. The red-flag screening questions are never answered this way:
their answers are taken only by the form, one question at a time.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.utils import call_potential_coroutine

from bot.actions.referral_form import ValidateReferralForm
from bot.contact_fields import parse_email, parse_nhs_number, parse_uk_phone
from bot.problem_fields import parse_duration, parse_pain_score
from bot.problem_vocabulary import match, match_work_status, onset_mentioned
from bot.referral_fields import clean_full_name, normalise_postcode, parse_date_of_birth

FORM = "referral_form"
NEVER_TAKEN_HERE = {"red_flag_screening"}
_QUESTION = re.compile(
    r"\?|^(what|where|when|why|who|how|which|is|are|can|could|do|does|will|would)\b", re.I
)


# Words that are not in names but are in requests ("help me please", "talk to someone").
_NOT_NAME_WORDS = {
    "help", "me", "please", "stop", "want", "need", "talk", "speak", "person", "human",
    "someone", "quit", "cancel", "i", "you", "not", "no", "yes", "the", "to", "a", "an",
    "with", "this", "that", "is", "it", "of", "and", "again", "start", "over", "thanks",
    "hello", "hi", "bye", "ok", "okay", "sorry", "don't", "dont", "know", "skip", "what",
}  # fmt: skip


# The problem questions whose answers are read from a vocabulary or a number format.
_READERS = {
    "body_area": lambda text: match("body_areas", text),
    "side": lambda text: match("sides", text),
    "onset": onset_mentioned,
    "duration": parse_duration,
    "pain_score": parse_pain_score,
    "work_status": match_work_status,
}


def _shaped_like(slot: str, text: str) -> bool:
    """True when the text is clearly an answer to this slot's question."""
    if slot == "date_of_birth":
        return parse_date_of_birth(text, date.today()).value is not None and any(
            ch.isdigit() for ch in text
        )
    if slot == "postcode":
        return normalise_postcode(text) is not None
    if slot == "nhs_number":
        return parse_nhs_number(text).value is not None
    if slot == "phone":
        return parse_uk_phone(text).value is not None
    if slot == "email":
        return parse_email(text) is not None
    if slot in _READERS:
        return _READERS[slot](text) is not None
    if slot == "full_name":
        name = clean_full_name(text)
        return (
            bool(name)
            and len(name.split()) <= 4
            and not (set(name.lower().split()) & _NOT_NAME_WORDS)
        )
    return False


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def answered_slot(tracker: Tracker) -> str | None:
    """The open form question this message answers: it repeats the patient's message before,
    or has the shape of the answer asked for.

    None when no form question is open (or it is a screening question), the message is a
    button or a question, or it is neither.
    """
    slot = tracker.get_slot("requested_slot")
    if (tracker.active_loop or {}).get("name") != FORM or not slot or slot in NEVER_TAKEN_HERE:
        return None
    said = [event.get("text") or "" for event in tracker.events if event.get("event") == "user"]
    if not said:
        return None
    text = said[-1].strip()
    if not _words(text) or text.startswith("/") or _QUESTION.search(text):
        return None
    if _shaped_like(slot, text) or (len(said) > 1 and _words(text) == _words(said[-2])):
        return slot
    return None


async def as_answer(
    slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
) -> list[dict[str, Any]]:
    """The text as the answer to `slot`, checked and normalised by the form's validator."""
    validate = getattr(ValidateReferralForm(), f"validate_{slot}", None)
    if validate is None:
        return [SlotSet(slot, text)]
    slots = await call_potential_coroutine(validate(text, dispatcher, tracker, domain))
    return [SlotSet(name, value) for name, value in slots.items()]
