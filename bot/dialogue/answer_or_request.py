"""Is this message the answer to the open question, or the request the NLU read it as?

One test, shared by the digressions ("Jo Example" read as a request for help), stopping ("keep
it", the answer to "I could not find your practice", read as stop), the self-help
action ("exercises and stretches", said in answer to "What have you tried?", read as a request
for exercises) and the change flow ("I'm with the Example Medical Practice" read as a change).
Taking such a message as the answer keeps the form from asking the same question again and
again; the form's own validator then checks it.

A message answers the open form question when:
- it has the exact shape of the answer asked for (a date when the date of birth is asked, a
  valid postcode, NHS number, phone number or email, a name of two to four plain words, a body
  area, side, start, duration, pain score or work status in the vocabulary's words, "keep
  what I typed" for the GP practice), or it repeats the patient's message before (the
  assistant answered the request the first time);
- for a request for self-help: the question is one whose answers often name exercises,
  leaflets or fit notes, and the words are not phrased as a request;
- for a change: it names a field not answered yet, or names none and the NLU was not sure.

Never for a red-flag screening question (answered only by the form, one question at a time),
a button payload, or words phrased as a question. Pure functions over `Message`, a small view
of the tracker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.dialogue.answers import read_answer
from bot.gp_practices import is_keep_words
from bot.message_parts import is_a_question, message_parts
from bot.problem_vocabulary import onset_mentioned, says_not_sure
from bot.referral_fields import about_someone_else, clean_full_name

FORM = "referral_form"
NEVER_TAKEN_HERE = {"red_flag_screening"}
# The kinds of request the NLU may have read instead of an answer.
DIGRESSION, SELF_HELP, CHANGE = "digression", "self_help", "change"
# Below this confidence, a "change" that names nothing in the middle of the form is taken as
# the answer to the question asked.
SURE_OF_A_CHANGE = 0.8
# Questions whose answers often mention exercises, leaflets, apps or fit notes: a statement
# there ("physio exercises and painkillers") is the answer, not a request for reading.
ANSWER_SLOTS = ("daily_impact", "work_status", "work_role", "treatments_tried", "goals")

_QUESTION = re.compile(
    r"\?|^(what|where|when|why|who|how|which|is|are|can|could|do|does|will|would)\b", re.I
)
_REQUEST = re.compile(
    r"\?|^(is there|are there|is it|have you|has it|do you|does it|can you|can i|could you|"
    r"could i|would you|any|anything|what|where|which|how|should|tell me|give me|show me|"
    r"send me|point me|recommend)\b",
    re.I,
)
# Words that are not in names but are in requests ("help me please", "talk to someone").
_NOT_NAME_WORDS = {
    "help", "me", "please", "stop", "want", "need", "talk", "speak", "person", "human",
    "someone", "quit", "cancel", "i", "you", "not", "no", "yes", "the", "to", "a", "an",
    "with", "this", "that", "is", "it", "of", "and", "again", "start", "over", "thanks",
    "hello", "hi", "bye", "ok", "okay", "sorry", "don't", "dont", "know", "skip", "what",
}  # fmt: skip
# Read by the answer table (bot/dialogue/answers.py) when the words have the answer's shape.
_TABLE_SHAPED = {
    "postcode", "nhs_number", "phone", "email", "body_area", "side", "duration", "pain_score",
    "work_status",
}  # fmt: skip


@dataclass(frozen=True)
class Message:
    """What the test needs to know of the conversation."""

    requested_slot: str | None
    in_form: bool
    text: str  # the patient's latest message, the one read
    earlier: tuple[str, ...] = ()  # the patient's messages before it
    confidence: float = 1.0  # the NLU's confidence in the intent it read


def message_of(tracker: Any) -> Message:
    """The view of a rasa_sdk Tracker (or anything with the same attributes)."""
    said = [event.get("text") or "" for event in tracker.events if event.get("event") == "user"]
    text = tracker.latest_message.get("text") or (said[-1] if said else "")
    if said and said[-1] == text:
        said.pop()
    return Message(
        requested_slot=tracker.get_slot("requested_slot"),
        in_form=(tracker.active_loop or {}).get("name") == FORM,
        text=text,
        earlier=tuple(said),
        confidence=(tracker.latest_message.get("intent") or {}).get("confidence", 1.0),
    )


# Questions answered yes or no: a part that is a plain yes or no ("No. How long is the
# wait?") is the answer. Not the red-flag screening question (never taken from a message
# that asks something else).
YES_NO_ANSWERS = ("gp_in_area", "already_under_service", "pregnancy_pelvic_pain")
# Only a plain yes or no: not "ok", "right" or "sure" (a lead-in to a question: "ok, what does
# that mean?") nor "no idea" (which would turn a patient away as out of area).
_PLAIN_YES_NO = re.compile(
    r"^(?:yes|yeah|yep|yup|no|nope|nah)(?:\s+(?:please|thanks|thank you))?$", re.I
)


# A no that goes on to say it plainly: "no I'm not seeing anyone", "nope, nobody is" (a blind
# usability tester's was read as a question about seeing a person, and the question came
# again); never "no, not sure", which answers nothing.
_NO_SAID_PLAINLY = re.compile(
    r"^(?:no|nope|nah)[,.!]?\s+(?!not sure\b)(?:i'?m not|i am not|not|no ?one|nobody|never|"
    r"i don'?t|i do not|i haven'?t|i have not|i'?ve not|it'?s not|it isn'?t)\b",
    re.I,
)


def shaped_like(slot: str, text: str) -> bool:
    """True when the text is clearly an answer to this slot's question."""
    if slot in YES_NO_ANSWERS:
        plain = text.strip(" .!,")
        return bool(_PLAIN_YES_NO.match(plain) or _NO_SAID_PLAINLY.match(plain))
    if slot == "date_of_birth":
        return read_answer(slot, text) is not None and any(ch.isdigit() for ch in text)
    if slot in _TABLE_SHAPED:
        return read_answer(slot, text) is not None
    if slot == "onset":
        return onset_mentioned(text) is not None
    if slot == "gp_practice":  # "Keep what I typed" after "I could not find it"
        return is_keep_words(text)
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


def answered_slot(
    message: Message, request: str = DIGRESSION, field_unanswered: bool | None = None
) -> str | None:
    """The open form question this message answers instead of being the `request` the NLU
    read (DIGRESSION, SELF_HELP or CHANGE); None when it is the request.

    For CHANGE, `field_unanswered` says whether the field the message names has no answer
    yet (None: it names no field).
    """
    slot = message.requested_slot
    if not message.in_form or not slot or slot in NEVER_TAKEN_HERE:
        return None
    if request == CHANGE:
        if field_unanswered is not None:
            return slot if field_unanswered else None
        return slot if message.confidence < SURE_OF_A_CHANGE else None
    text = message.text.strip()
    if not _words(text) or text.startswith("/"):
        return None
    if slot == "pregnancy_pelvic_pain" and says_not_sure(text):
        # "I don't know, how would I tell?": the question's own answer says how to tell,
        # whatever the NLU read the words as (once, a question about what happens next)
        return slot
    if not _QUESTION.search(text) and (
        shaped_like(slot, text) or (message.earlier and _words(text) == _words(message.earlier[-1]))
    ):
        return slot
    if request == SELF_HELP and slot in ANSWER_SLOTS and not _REQUEST.search(text):
        return slot
    return None


# Questions whose answer is the patient's own words: the part of a message that is not a
# question is the answer ("walking the dog again. how long is the wait?" at the goals), when
# it has at least FREE_TEXT_WORDS words ("hang on, how long is the wait?" gives no answer).
FREE_TEXT_ANSWERS = ("daily_impact", "work_role", "treatments_tried", "goals")
FREE_TEXT_WORDS = 3


def answer_with_a_question(message: Message) -> tuple[str, str] | None:
    """The open form question and its answer, when a message that asks something also gives
    that answer in a part of its own ("03/03/1991 - do I need my NHS number?"): the question
    is answered and the answer kept. The part must have the answer's exact shape (a date, a
    postcode, a phone number, a duration...), or, at a question answered in the patient's own
    words, be every part that is not a question."""
    slot = message.requested_slot
    if not message.in_form or not slot or slot in NEVER_TAKEN_HERE:
        return None
    text = message.text.strip()
    if text.startswith("/"):
        return None
    parts = message_parts(text)
    said = [part.rstrip(" ,;.!-\u2013") for part in parts if not is_a_question(part)]
    if len(parts) < 2 or len(said) == len(parts):
        return None
    shaped = [part for part in said if shaped_like(slot, part)]
    if slot == "date_of_birth" and any(about_someone_else(part) for part in shaped):
        return None
    if len(shaped) == 1:
        return slot, shaped[0]
    words = sum(len(part.split()) for part in said)
    if slot in FREE_TEXT_ANSWERS and words >= FREE_TEXT_WORDS and not shaped:
        return slot, ". ".join(said)
    return None
