"""A correction volunteered at a later question ("sorry, my date of birth was wrong, it's
12/03/1980"): which answered field it corrects, read from the patient's own words.

The words are in content/referral_corrections.yml. Pure functions: the form
(bot/actions/referral_form.py) and the change flow (bot/actions/changes.py) apply the result
through the form's own validators.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from bot import gp_practices
from bot.content_store import load
from bot.dialogue.answers import read_answer
from bot.problem_vocabulary import ids_in_order, ids_named, job_said, match, side_named
from bot.word_lists import normalised, phrase_pattern


def _one_side_of_a_part(text: str) -> bool:
    """ "actually it's my left knee", "sorry, wrong side, the right": one side named, with a
    body part or the word side (not "sorry, that's right"); or one side put in place of the
    other ("actually it's my left knee, not the right": stored as both in a blind usability
    test)."""
    sides = ids_named("sides", normalised(text))
    named_part = match("body_areas", text) is not None or _SIDE_WORD.search(text) is not None
    # ("no, it's both heels, not just the left" was not understood in a blind usability test)
    return named_part and (len(sides) == 1 or side_named(text) in ("left", "right", "both"))


_SIDE_WORD = re.compile(r"\bsides?\b", re.I)


def side_said_with_part(text: str) -> str | None:
    """The one side named with a body part ("it's my left hip, not my knee"), or None (no side,
    or two: "my left hip, not my right knee" is asked again)."""
    sides = ids_named("sides", normalised(text))
    return next(iter(sides)) if len(sides) == 1 and match("body_areas", text) else None


def _has_value(field: str, text: str) -> bool:
    """Whether a message holds a value for the field (the form's validator then checks it):
    read by the field's row of the answer table; a side also needs the part or "side"."""
    if field == "side":
        return _one_side_of_a_part(text)
    if field == "full_name":
        return name_correction(text, None) is not None
    return read_answer(field, text) is not None


@cache
def _vocabulary() -> tuple[dict[str, str], re.Pattern, re.Pattern, dict[str, str]]:
    """(word -> field, all field words, correction words, field -> label)."""
    content = load("referral_corrections")
    field_of = {
        word.lower(): name for name, entry in content["fields"].items() for word in entry["words"]
    }
    labels = {name: entry["label"] for name, entry in content["fields"].items()}
    return field_of, phrase_pattern(field_of), phrase_pattern(content["correction_words"]), labels


@cache
def _read_back_vocabulary() -> tuple[dict[str, str], re.Pattern, dict[str, str]]:
    """(word -> field, all field words, field -> label) of the answers corrected only at the
    read-back."""
    content = load("referral_corrections")["read_back_fields"]
    field_of = {word.lower(): name for name, entry in content.items() for word in entry["words"]}
    labels = {name: entry["label"] for name, entry in content.items()}
    return field_of, phrase_pattern(field_of), labels


def fields_named(text: str) -> set[str]:
    """The answers a message names by their words ("change gp" names the GP practice), as
    content/referral_corrections.yml lists them."""
    lowered = normalised(text)
    field_of, field_words, _, _ = _vocabulary()
    more_of, more_words, _ = _read_back_vocabulary()
    said = {field_of[word] for word in field_words.findall(lowered)}
    return said | {more_of[word] for word in more_words.findall(lowered)}


def gp_practice_said_to_be_wrong(text: str) -> bool:
    """A message that says the GP practice given was wrong ("sorry, my GP is actually Miller
    Street", "wrong surgery, it's Aelfgar"): a correction word and a GP practice word
    (`read_back_fields.gp_practice` in content/referral_corrections.yml)."""
    lowered = normalised(text)
    field_of, field_words, _ = _read_back_vocabulary()
    named = {field_of[word] for word in field_words.findall(lowered)}
    return "gp_practice" in named and bool(_GP_CORRECTED.search(lowered))


# Words that say the practice itself was wrong, not anything else near a practice word ("the
# nurse at the practice in Kidsgrove said it's wrong to lift" is no correction).
_GP_CORRECTED = re.compile(
    r"\b(?:sorry|actually|i meant|meant to say|should be|should have said|oops|typo|mistake|"
    r"wrong (?:gp|surgery|practice|doctors?)|"
    r"(?:gp|surgery|practice|doctors?)(?: is| was|'s)? wrong)\b",
    re.I,
)


def change_hinted(text: str) -> bool:
    """A message at the read-back that names an answer and says something about it beyond a
    yes ("yes but my phone number is 0770 90012", "yes except the side"): not a plain
    confirmation, even when no new value in it could be taken."""
    lowered = normalised(text)
    field_words = (_vocabulary()[1], _read_back_vocabulary()[1])
    if not any(words.search(lowered) for words in field_words):
        return False
    return bool(_vocabulary()[2].search(lowered) or _BUT.search(lowered))


_BUT = re.compile(r"\b(?:but|except|apart from|other than|although|though|however)\b", re.I)


def correctable_fields() -> tuple[str, ...]:
    return tuple(_vocabulary()[3])


def read_back_fields() -> tuple[str, ...]:
    """The answers corrected in the patient's words at the read-back only."""
    return tuple(_read_back_vocabulary()[2])


def label(field: str) -> str:
    return {**_vocabulary()[3], **_read_back_vocabulary()[2]}[field]


# A house number (or "Flat 2") and the words after it: the new address in "my address is
# wrong, it's 14 Example Road".
_NEW_ADDRESS = re.compile(r"\b(?:flat\s+\w+,?\s+)?\d+[a-z]?\s+[a-z].*", re.I)


_SIDE_NOT_THE_OTHER = re.compile(
    r"\b(left|right)\b[^.]*?\bnot\s+(?:the\s+|my\s+)?(left|right)\b", re.I
)


# The new value after the words that give it: "it's Cannock Health Centre", "just put
# warehouse operative", "my job is plasterer"; and what trails after it ("i think").
_VALUE_CUE = re.compile(r"\b(?:it'?s|it is|is|should be|to|put|as an?|as)\s+", re.I)
_TRAILING = re.compile(r"(?:\s+(?:i think|please|thanks|thank you|i said|instead))+\s*$", re.I)


@cache
def _right_as_correct() -> re.Pattern:
    """ "right" meaning correct, not the side ("not right", "all right"):
    content/referral_corrections.yml `right_meaning_correct`."""
    return phrase_pattern(load("referral_corrections")["right_meaning_correct"])


def field_said_to_be_wrong(text: str, answered: Iterable[str]) -> str | None:
    """At the read-back, the one answered field a message says is wrong without giving its
    new value ("gp is wrong", "my address is wrong"): its question is asked again. None when
    no word says it is wrong, or no field or several are named ("right" in "not right" is not
    the side when another field is named)."""
    lowered = normalised(text)
    field_of, field_words, correction, _ = _vocabulary()
    if not correction.search(lowered):
        return None
    more_of, more_words, _ = _read_back_vocabulary()
    lowered = _right_as_correct().sub(" ", lowered)  # "no that's not right" names no side
    said = {field_of[word] for word in field_words.findall(lowered)}
    said |= {more_of[word] for word in more_words.findall(lowered)}
    said &= set(answered)
    if len(said) > 1:
        said.discard("side")
    return said.pop() if len(said) == 1 else None


_NOT_A_VALUE = re.compile(r"^(?:wrong|incorrect|not right|not correct|a mistake|mistaken)\b", re.I)


def _values_after_cues(text: str) -> list[str]:
    """The words after each cue to the end of the clause, the last cue first."""
    values = []
    for cue in reversed(list(_VALUE_CUE.finditer(text))):
        clause = re.split(r"[,.;!?]", text[cue.end() :], maxsplit=1)[0]
        value = _TRAILING.sub("", clause).strip()
        if value and not _NOT_A_VALUE.match(value):  # "my job is wrong"
            values.append(value)
    return values


# A number put in place of another: "pain should be 6 not 3", "6, not 3", "more like 7".
_NEW_NUMBER = re.compile(
    r"\b(\d{1,2})\s*,?\s+not\s+\d{1,2}\b|\b(?:should be|to|more like|is now|now|actually)"
    r"\s+(?:about\s+|a\s+)?(\d{1,2})\b",
    re.I,
)


_DURATION_CUE = re.compile(
    r"\b(?:it'?s|it is|is|should be|to|been|more like|actually|really|for|about)\s+", re.I
)
# Words that make a change of the work status the patient's own ("I'm off work now"; not
# "my son ... he's off work on Fridays").
_OWN_WORK = re.compile(r"\b(?:i'm|im|i am|i've|ive|i have|i was|now|actually)\b", re.I)
_SOMEONE_ELSE = re.compile(
    r"\b(?:he|she|he's|she's|his|her|they|their|son|daughter|wife|"
    r"husband|partner|mum|dad)\b",
    re.I,
)
# Words that say what may be left or sent ("texts are fine", "voicemail only"), not a request
# ("can you send me a text when it's booked").
_PERMISSION = re.compile(
    r"\b(?:only|fine|ok|okay|both|neither|either|no|not|don'?t|rather|please|can'?t)\b", re.I
)
# "6 out of 10", "7/10"
_OUT_OF_TEN = re.compile(r"\b(\d{1,2})\s*(?:/|out of)\s*(?:10|ten)\b", re.I)


def _value_for(field: str, text: str) -> str | None:
    """The words of a read-back correction that hold the new value, for its validator: the
    address from its house number on; the words after "it's", "is", "put" for a GP practice
    (only one the list names) or a job; the new number for the pain; the whole message for
    the others (their readers find the value in it)."""
    if field == "pain_score":
        # only a number said to be the score: "the pain wakes me 3 times a night" is not 3
        found = _NEW_NUMBER.search(text) or _OUT_OF_TEN.search(text)
        number = found and next((g for g in found.groups() if g), None)
        return number if number and _has_value(field, number) else None
    if field == "duration":
        # the amount after "it's", "been", "more like"...: "I said 6 months but really it's 2
        # years" is 2 years; "I take 2 paracetamol 4 times a day" holds none
        for cue in reversed(list(_DURATION_CUE.finditer(text))):
            clause = re.split(r"[,.;!?]", text[cue.end() :], maxsplit=1)[0]
            if _has_value(field, clause):
                return clause
        return None
    if field == "work_status" and (not _OWN_WORK.search(text) or _SOMEONE_ELSE.search(text)):
        return None
    if field == "contact_permissions" and not _PERMISSION.search(text):
        return None
    if field == "work_role":
        return job_said(text) or next(iter(_values_after_cues(text)), None)
    if field == "gp_practice":
        found = [value for value in _values_after_cues(text) if gp_practices.find(value)]
        return found[0] if found else None
    if field == "side":
        # "my right knee, not the left": the side before "not"
        found = _SIDE_NOT_THE_OTHER.search(text)
        if found and found.group(1).lower() != found.group(2).lower():
            return found.group(1).lower()
    if field == "communication_needs":
        # the need in the patient's own words ("I'm deaf, I can't take phone calls"): the
        # sentence that names it, not the rest ("tried so far should say paracetamol. And
        # I'm deaf in one ear" was stored whole in a blind usability test)
        field_of, words, _ = _read_back_vocabulary()
        for sentence in re.split(r"(?<=[.;!?])\s+", " ".join(text.split())):
            found = words.search(normalised(sentence))
            if found and field_of.get(found.group(0)) == "communication_needs":
                return _need_alone(sentence)
        return _need_alone(" ".join(text.split()))
    if field != "address_line1":
        return text if _has_value(field, text) else None
    found = _NEW_ADDRESS.search(text)
    return found.group(0).strip(" .") if found else None


# Before the need itself: "no, change the help to talk with us: Punjabi interpreter" (its "no"
# answers "is this right?"; read as the need, it stored none in a blind usability test).
_BEFORE_THE_NEED = re.compile(
    r"^(?:(?:no|nope|nah|and|also|oh|plus)\b[\s,.!:;-]*)*"
    r"(?:(?:please\s+|can you\s+)?(?:change|put|make|set)\s+(?:the\s+|my\s+|his\s+|her\s+)?"
    r"help to talk(?: with us)?\s*(?:to\b|:|as\b|should say\b)?\s*)?",
    re.I,
)


_NO_NEED_NOW = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|does not|no longer|won'?t)\s+need\b|\b(?:remove|delete)\b",
    re.I,
)


def _need_alone(sentence: str) -> str | None:
    """The words of the need, without a leading "no" or "change the help to talk with us to";
    "none" when they say it is not needed now ("no, I don't need an interpreter any more")."""
    if _NO_NEED_NOW.search(sentence):
        return "none"
    return _BEFORE_THE_NEED.sub("", sentence, count=1).strip() or None


def corrected_at_the_read_back(
    text: str, body_area: str | None, named: str | None, answered: Iterable[str]
) -> tuple[str | None, str]:
    """At the read-back, where the patient was asked what to change: the field the message
    changes and the words its validator checks, or (None, text). As `what_is_corrected`, but
    no word saying the answer was wrong is needed, and the answers of `read_back_fields` can
    be changed too. One field only: a message that names two is asked again."""
    answered = list(answered)
    area = corrected_body_area(text, body_area)
    if area is not None:
        return "body_area", area
    lowered = normalised(text)
    field_of, field_words, _, _ = _vocabulary()
    more_of, more_words, _ = _read_back_vocabulary()
    lowered = _right_as_correct().sub(" ", lowered)  # "no that's not right" names no side
    said = {field_of[word] for word in field_words.findall(lowered)}
    said |= {more_of[word] for word in more_words.findall(lowered)}
    if named is not None:
        said.add(named)
    found = [(field, _value_for(field, text)) for field in answered if field in said]
    found = [(field, value) for field, value in found if value]
    return found[0] if len(found) == 1 else (None, text)


_SURNAME = re.compile(r"\b(?:surname|last name|second name|family name)\b", re.I)
_FIRST_NAME = re.compile(r"\b(?:first name|forename|christian name)\b", re.I)


def name_correction(text: str, given: str | None) -> str | None:
    """The whole name after a correction of it: "oops I spelled my surname wrong, it's
    Testperson" puts the new surname after the first names given; "my name is Jo Example"
    is the whole name. None when the words hold no name."""
    values = [v for v in _values_after_cues(text) if re.fullmatch(r"[A-Za-z' -]+", v)]
    if not values:
        return None
    new = re.sub(r"^(?:just|simply|actually|only)\s+", "", values[0].strip(), flags=re.I)
    parts = (given or "").split()
    if len(new.split()) == 1 and len(parts) >= 2:
        if _SURNAME.search(text):
            return " ".join([*parts[:-1], new])
        if _FIRST_NAME.search(text):
            return " ".join([new, *parts[1:]])
    return new


def holds_value(field: str, text: str) -> bool:
    """The message holds a value for this field (a date, a phone number, a postcode...)."""
    return _has_value(field, text)


def corrected_field(text: str, named: str | None, answered: Iterable[str]) -> str | None:
    """The answered field this message corrects: it names the field (or the NLU found it
    named), says the earlier answer was wrong, and holds a new value for it. None otherwise,
    and when it could be more than one field."""
    lowered = normalised(text)
    field_of, field_words, correction, _ = _vocabulary()
    if not correction.search(lowered):
        return None
    # the longest name at each place: "nhs number" is not the phone "number"
    said = {field_of[word] for word in field_words.findall(lowered)}
    if named in field_of.values():
        said.add(named)
    candidates = [field for field in answered if field in said and _has_value(field, text)]
    return candidates[0] if len(candidates) == 1 else None


@cache
def _body_area_cues() -> dict[str, re.Pattern]:
    cues = load("referral_corrections")["body_area_corrections"]
    return {kind: phrase_pattern(words) for kind, words in cues.items()}


def corrected_body_area(text: str, given: str | None) -> str | None:
    """The body part this message puts in place of `given`, or None. Exactly one other part is
    named, and either the message names it and then says `given` was not it ("it's my hip,
    not my knee"), or the first part named after "I meant" or "wrong joint" is the new one
    ("I meant my shoulder", "wrong joint, it's the elbow")."""
    if given is None:
        return None
    lowered = normalised(text)
    named = ids_in_order("body_areas", lowered)
    others = {part for _, part in named if part != given}
    if len(others) != 1:
        return None
    new = others.pop()
    new_at = next(place for place, part in named if part == new)
    cues = _body_area_cues()

    def first_part_after(end: int) -> str | None:
        # each part is listed once, where first named: the words after `end` are read again
        # ("my right hip ... more than the knees, can I do the hip instead?")
        after = ids_in_order("body_areas", lowered[end:])
        return after[0][1] if after else None

    not_the_old = any(
        new_at < found.start() and first_part_after(found.end()) == given
        for found in cues["not_the_old_part"].finditer(lowered)
    )
    new_after = any(
        first_part_after(found.end()) == new
        for kind in ("meant_the_new_part", "wrong_part")
        for found in cues[kind].finditer(lowered)
    )
    return new if not_the_old or new_after else None


def what_is_corrected(
    text: str,
    body_area: str | None,
    named: str | None,
    answered: Iterable[str],
    part_allowed: bool = True,
) -> tuple[str | None, str]:
    """The field a message corrects and the value its validator checks: a new body part first
    ("it's my left hip, not my knee": the side said with it goes with it), when allowed; else
    the field `corrected_field` finds, checked on the whole message; (None, text) for none."""
    area = corrected_body_area(text, body_area) if part_allowed else None
    if area is not None:
        return "body_area", area
    return corrected_field(text, named, list(answered)), text


def slots_before_latest_message(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Each slot's value just before the patient's latest message (from the tracker's events)."""
    events = list(events)
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    before: dict[str, Any] = {}
    for event in events[: users[-1] if users else len(events)]:
        if event.get("event") == "slot":
            before[event["name"]] = event.get("value")
        elif event.get("event") in ("restart", "session_started"):
            before = {}
    return before


NOT_A_PLACE = ("action_listen", "action_extract_slots", "action_session_start")


def actions_since_the_message(events: Iterable[dict[str, Any]]) -> list[str]:
    """The actions run since the patient's latest message, listening left out."""
    since = []
    for event in reversed(list(events)):
        if event.get("event") == "user":
            break
        if event.get("event") == "action" and event.get("name") not in (None, "action_listen"):
            since.append(event["name"])
    return since


def last_bot_action(events: Iterable[dict[str, Any]]) -> str | None:
    """The bot's last action before the patient's latest message (its question, in effect)."""
    events = list(events)
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    for event in reversed(events[: users[-1] if users else len(events)]):
        if event.get("event") == "action" and event.get("name") not in NOT_A_PLACE:
            return event["name"]
    return None
