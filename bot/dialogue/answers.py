"""What counts as an answer to each question of the referral form: one table.

For every question (a slot of the form): how its answer is read from the patient's words
(`read`: the value to store, or None when the words are not an answer), the response that
says what is wrong when they are not (`error`), and when the whole message is read again
because the NLU passed on only part of it (`reread`, `reread_hint`). Whether a question may
be left out is the field registry's (content/referral_fields.yml, `optional`).

The form's validation (bot/actions/referral_form.py) applies this table. Answers with
consequences beyond storing a value have validators of their own there: the date of birth
(the age rule), the NHS number (two error responses), the email (a refusal is "not given"),
and, with `read=None`, the GP practice (its "Did you mean" buttons), the yes/no questions that
decide eligibility, the communication needs and the red-flag screening. A correction
volunteered at a later question (bot/dialogue/corrections.py) asks the same `read` whether a
message holds a new value, and so does the answer-shape test
(bot/dialogue/answer_or_request.py). Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.contact_fields import parse_email, parse_nhs_number, parse_uk_phone
from bot.problem_fields import names_a_time_unit, parse_duration, parse_pain_score
from bot.problem_vocabulary import (
    area_named,
    match_work_status,
    onset_answer,
    parse_contact_permission,
    side_named,
)
from bot.referral_fields import (
    ADDRESS_LIMIT,
    address_said_in_passing,
    clean_full_name,
    first_address_line,
    normalise_postcode,
    parse_date_of_birth,
    without_address_lead_in,
    without_aside_before,
)

FREE_TEXT_LIMIT = 500


@dataclass(frozen=True)
class Answer:
    read: Callable[[str], Any] | None  # the value to store, or None: not an answer
    error: str  # the response that says what is wrong (the first, when there are several)
    # When the NLU's part of the message is not an answer, read the whole message instead:
    # "always", "when_asked" (only when this is the open question), or never ("").
    reread: str = ""
    # ...and also, when not asked, if the NLU's part hints at an answer ("months or")
    reread_hint: Callable[[str], bool] | None = None


# "I already said", "like I said" before an answer, "I said" after it: the patient's
# impatience, not part of the answer (a blind usability test found "Daily life and sleep: I
# just told you? Lifting the baby..." and "Work: ...: warehouse i said" in read-backs).
_I_SAID_AFTER = re.compile(
    # "shelf stacker, i told you before" (stored whole once)
    r"[\s,;-]*\b(?:i said|like i said|as i said|i (?:already |just )?told you(?: before| already|"
    r" earlier| that)?|as i told you|i (?:just |already )?said(?: before| already| earlier| that|"
    r" so)?)[\s.!?]*$"
    # a remark to the assistant after the answer ("... and a walking stick. But you didn't
    # answer", "Gardening and golf. You didn't say": a blind usability test's read-back)
    r"|\s*[.!?,;]\s*(?:but\s+)?you (?:didn'?t|did not|never|haven'?t|have not) (?:answer|say|"
    r"reply|tell|respond)\b[^.!?]*[.!?]*$",
    re.I,
)


def free_text(text: str) -> str | None:
    """A free-text answer, tidied and cut to FREE_TEXT_LIMIT; not one letter, not a payload."""
    tidy = " ".join(str(text or "").split())
    if not tidy.startswith("/"):
        tidy = _I_SAID_AFTER.sub("", without_aside_before(tidy)).strip()
    return tidy[:FREE_TEXT_LIMIT] if len(tidy) >= 2 and not tidy.startswith("/") else None


# Whole answers that are no address ("ok." once became the first line of one).
_NOT_AN_ADDRESS = frozenset(
    ["ok", "okay", "yes", "yeah", "no", "nope", "n a", "na", "none", "same", "same as before",
     "as above", "see above", "idk", "dunno", "don't know", "dont know", "thanks", "thank you"]
)  # fmt: skip


# In an answer to the address question, whoever's it is said to be ("Her address is ...",
# written for a parent): the patient's.
_ADDRESS_IS = re.compile(r"\baddress(?:'s| is|:)\s+", re.I)
# A house number (1 to 3 digits) or a flat: part of an address.
_HOUSE_PART = re.compile(r"\b(?:\d{1,3}[a-z]?|flat|apartment|apt)\b", re.I)


def address_line(text: str) -> str | None:
    """The first line of an address: any words with a letter, but not an email address (one
    was once taken as the address) or a word that answers something else ("ok", "yes")."""
    tidy = free_text(text)
    if tidy is None or not any(ch.isalpha() for ch in tidy) or "@" in tidy:
        return None
    if " ".join(re.findall(r"[a-z']+", tidy.lower())) in _NOT_AN_ADDRESS:
        return None
    # "Sorry I put her birthday wrong... Her address is 3 Example Walk, Leek, ST13 5PQ": the
    # address after its cue, when the words have one
    # the address after its cue, unless the words before it hold part of it ("Flat 2, my
    # address is 5 Example Street" keeps the flat)
    cue = _ADDRESS_IS.search(tidy)
    if cue is not None and not _HOUSE_PART.search(tidy[: cue.start()]):
        said = address_said_in_passing(tidy) or first_address_line(tidy[cue.end() :])
        if said:
            return said
    return (without_address_lead_in(tidy) or tidy)[:ADDRESS_LIMIT]


def duration(text: str) -> str | None:
    parsed = parse_duration(text)
    return parsed.display if parsed else None


def pain_score(text: str) -> str | None:
    score = parse_pain_score(text)
    return None if score is None else str(score)


def phone(text: str) -> str | None:
    parsed = parse_uk_phone(text)
    return parsed.display if parsed.value is not None else None


def nhs_number(text: str) -> str | None:
    parsed = parse_nhs_number(text)
    return parsed.display if parsed.value is not None else None


def date_of_birth(text: str) -> str | None:
    parsed = parse_date_of_birth(text, date.today())
    return parsed.value.isoformat() if parsed.value is not None else None


ANSWERS: dict[str, Answer] = {
    # eligibility
    "date_of_birth": Answer(date_of_birth, "utter_invalid_date_of_birth"),
    "postcode": Answer(normalise_postcode, "utter_invalid_postcode", reread="always"),
    "gp_in_area": Answer(None, "utter_please_yes_no"),
    "gp_practice": Answer(None, "utter_invalid_gp_practice"),
    "already_under_service": Answer(None, "utter_please_yes_no"),
    # the problem
    "body_area": Answer(area_named, "utter_invalid_body_area"),
    "side": Answer(side_named, "utter_invalid_side"),
    "pregnancy_pelvic_pain": Answer(None, "utter_please_yes_no"),
    "red_flag_screening": Answer(None, "utter_screening_yes_no"),
    "onset": Answer(onset_answer, "utter_invalid_onset"),
    "duration": Answer(duration, "utter_invalid_duration", "when_asked", names_a_time_unit),
    "pain_score": Answer(pain_score, "utter_invalid_pain_score", "when_asked"),
    "daily_impact": Answer(free_text, "utter_invalid_free_text"),
    "work_status": Answer(match_work_status, "utter_invalid_work_status"),
    "work_role": Answer(free_text, "utter_invalid_free_text"),
    "treatments_tried": Answer(free_text, "utter_invalid_free_text"),
    "goals": Answer(free_text, "utter_invalid_free_text"),
    # personal details
    "full_name": Answer(clean_full_name, "utter_invalid_full_name"),
    "nhs_number": Answer(nhs_number, "utter_invalid_nhs_number_length"),
    "address_line1": Answer(address_line, "utter_invalid_address"),
    "phone": Answer(phone, "utter_invalid_phone"),
    "email": Answer(parse_email, "utter_invalid_email"),
    "contact_permissions": Answer(parse_contact_permission, "utter_invalid_contact_permissions"),
    "communication_needs": Answer(None, "utter_invalid_free_text"),
    "completed_by": Answer(None, "utter_invalid_free_text"),
}


def read_answer(slot: str, text: str) -> Any:
    """The value `text` gives for `slot` by the table, or None (also for slots read by their
    own validator)."""
    answer = ANSWERS[slot]
    return None if answer.read is None else answer.read(str(text or ""))
