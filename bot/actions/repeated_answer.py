"""A patient who gives the same words twice to the same question is answering it.

The NLU may read an answer as a question or a request ("large print would help please",
given for communication needs, read as a request for self-help). The assistant answers that
and asks its question again; a patient who then sends the same words again is answering the
question. Taking them as the answer (the form validates it as usual, with its own re-asks)
stops the conversation going round in a loop.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

FORM = "referral_form"
_QUESTION = re.compile(
    r"\?|^(what|where|when|why|who|how|which|is|are|can|could|do|does|will|would)\b", re.I
)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def repeated_answer(tracker: Tracker) -> list[dict[str, Any]] | None:
    """The form's question answered with this message, when it repeats the one before it.

    None when no form question is open, the message is a button or a question, or it is
    not the same words as the patient's previous message.
    """
    slot = tracker.get_slot("requested_slot")
    if (tracker.active_loop or {}).get("name") != FORM or not slot:
        return None
    said = [event.get("text") or "" for event in tracker.events if event.get("event") == "user"]
    if len(said) < 2:
        return None
    text = said[-1].strip()
    if not _words(text) or text.startswith("/") or _QUESTION.search(text):
        return None
    return [SlotSet(slot, text)] if _words(text) == _words(said[-2]) else None
