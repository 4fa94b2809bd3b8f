"""A patient who gives the same words twice to the same question is answering it.

So is a patient whose message has the exact shape of the answer asked for (a date when the
date of birth is asked, a valid postcode, NHS number, phone number or email, a name of two to
four plain words), whatever the NLU read it as: "Jo Example" is a name, not a request for help.

The NLU may read an answer as a question or a request ("large print would help please",
given for communication needs, read as a request for self-help). The assistant answers that
and asks its question again; a patient who then sends the same words again is answering the
question. Taking them as the answer (the form validates it as usual, with its own re-asks)
stops the conversation going round in a loop.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from bot.contact_fields import parse_email, parse_nhs_number, parse_uk_phone
from bot.referral_fields import clean_full_name, normalise_postcode, parse_date_of_birth

FORM = "referral_form"
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


def repeated_answer(tracker: Tracker) -> list[dict[str, Any]] | None:
    """The form's question answered with this message: it repeats the one before, or has the
    shape of the answer asked for.

    None when no form question is open, the message is a button or a question, or it is
    neither.
    """
    slot = tracker.get_slot("requested_slot")
    if (tracker.active_loop or {}).get("name") != FORM or not slot:
        return None
    said = [event.get("text") or "" for event in tracker.events if event.get("event") == "user"]
    if not said:
        return None
    text = said[-1].strip()
    if not _words(text) or text.startswith("/") or _QUESTION.search(text):
        return None
    if _shaped_like(slot, text):
        return [SlotSet(slot, text)]
    return [SlotSet(slot, text)] if len(said) > 1 and _words(text) == _words(said[-2]) else None
