"""Parse contact and identity answers: NHS number, UK phone, email, yes/no. Pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from stdnum.gb import nhs

_DECLINED = re.compile(
    # "i dont no it" (typed by an older blind usability tester: refused as an NHS number)
    r"\b(?:don'?t know|do not know|don'?t no|dont now|dunno|idk|not sure|no idea|no clue|"
    r"not a clue|haven'?t a clue|"
    r"can'?t remember|unknown|skip|i not know|not know|"
    r"rather not|haven'?t got|have not got|don'?t have|do not have|no email|none|not given|"
    r"don'?t (?:use|do) (?:e-?mails?|it)|do not (?:use|do) (?:e-?mails?|it))\b"
    r"|^(?:no|nope|nah|nah thanks|no thanks|no thank you|n/a)\W*$",
    re.I,
)
_YES = re.compile(
    # not a bare "right": "right elbow, since Easter" at "Are you already being seen?" was
    # read as yes (a blind usability test)
    r"^(?:y|yes|yeah|yep|yup|ok|okay|sure|correct|that's right|aye|please|"
    # a hedged yes ("I would have thought so, Kidsgrove is Staffordshire" was not understood)
    r"i think so|think so|i believe so|i would have thought so|i'd have thought so|"
    r"i would think so|i should think so)\b",
    re.I,
)
_NO = re.compile(r"^(?:n|no|nope|nah|not really|never|rather not)\b", re.I)
_UNSURE = re.compile(
    r"\b(?:not sure|unsure|don'?t know|do not know|dunno|idk|no idea|maybe)\b", re.I
)
_PLAIN_YES = frozenset({"yes", "yeah", "yep", "yup", "aye"})
_YES_INSIDE = re.compile(
    r"\b(?:yes|yeah|yep|yup|aye|of course|certainly|definitely|absolutely|indeed)\b", re.I
)
_NO_INSIDE = re.compile(
    # "no" as a word on its own, with a stop after it ("no, none of that"), never "no
    # feeling down there"
    r"(?:^|[\s,.!?;:])(?:no|nope|nah)(?=\s*(?:[,.!?;:]|$))"
    r"|\bnone of (?:those|these|that|them|the above|it)\b"
    r"|\bnothing (?:of|like) (?:the|that) (?:sort|kind)\b|\bnot at all\b"
    r"|\b(?:certainly|definitely|absolutely|of course) not\b"
    # "he saw a physio about 3 years ago but not now" at "Are you already being seen?"
    r"|\bnot (?:now|any ?more|at the moment|at present|currently|these days)\b",
    re.I,
)
_NEGATION = re.compile(r"\b(?:no|not|never|none|nothing|neither|nor|nobody)\b|n'?t\b", re.I)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LEAD_IN = re.compile(
    r"^(?:my|the)?\s*(?:nhs number|number|phone|mobile|email)\s*(?:is|:)?\s*", re.I
)
# Ofcom's drama ranges: not in service, so safe in examples and tests; phonenumbers
# treats them as not valid, so they are accepted here explicitly.
_DRAMA_RANGES = (re.compile(r"^1632960\d{3}$"), re.compile(r"^7700900\d{3}$"))


def is_declined(text: str) -> bool:
    """True for answers meaning no, skip, don't know or don't have one."""
    return bool(_DECLINED.search(text.strip()))


def parse_yes_no(text: str) -> bool | None:
    """True or False from a plain yes/no answer, or None when it is neither."""
    cleaned = text.strip().lower()
    if cleaned in ("/affirm", "true"):
        return True
    if cleaned in ("/deny", "false"):
        return False
    if _NO.match(cleaned):
        return False
    if _YES.match(cleaned):
        return True
    if _UNSURE.search(cleaned):
        return None
    # said inside a sentence ("It certainly is in Staffordshire, yes indeed"; "Good heavens
    # no, nothing of the sort"): a blind usability tester's were not understood
    said_yes = _YES_INSIDE.findall(cleaned)
    if _NO_INSIDE.search(cleaned) and not _PLAIN_YES.intersection(said_yes):
        return False
    if said_yes and not _NEGATION.search(cleaned):
        return True
    return None


# An NHS number the patient does not have with them ("not to hand", "can't find it").
_NOT_TO_HAND = re.compile(
    r"\b(?:not to hand|not on me|not with me|can'?t find it|cannot find it|haven'?t got it)\b",
    re.I,
)


@dataclass(frozen=True)
class NhsNumber:
    value: str | None  # 10 digits
    display: str | None  # 3-3-4
    problem: str | None  # "not_known", "wrong_length", "check_digit"


def parse_nhs_number(text: str) -> NhsNumber:
    """An NHS number with a valid Modulus 11 check digit, shown 3-3-4."""
    if is_declined(text) or _NOT_TO_HAND.search(text):
        return NhsNumber(None, None, "not_known")
    digits = re.sub(r"\D", "", _LEAD_IN.sub("", text))
    if len(digits) != 10:
        return NhsNumber(None, None, "wrong_length")
    if not nhs.is_valid(digits):
        return NhsNumber(None, None, "check_digit")
    return NhsNumber(digits, nhs.format(digits), None)


@dataclass(frozen=True)
class Phone:
    value: str | None  # E.164
    display: str | None  # UK national format
    problem: str | None  # "invalid"


def phone_numbers_in(text: str) -> list[str]:
    """Every UK number in the words, in the order said, as shown to the patient (national
    format), each once: "mobile 07700 900123 or home 01632 960123" gives both."""
    shown: dict[str, None] = {}
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", phonenumbers.Leniency.POSSIBLE):
        if _is_uk(match.number):
            national = phonenumbers.PhoneNumberFormat.NATIONAL
            shown[phonenumbers.format_number(match.number, national)] = None
    return list(shown)


_WHICH_NUMBER = {
    "mobile": re.compile(r"\b(?:mobile|mob|cell|cellphone)\b", re.I),
    "landline": re.compile(r"\b(?:landline|land line|home|house)\b", re.I),
    "first": re.compile(r"\b(?:first|1st|top)\b", re.I),
    "second": re.compile(r"\b(?:second|2nd|other|bottom|last)\b", re.I),
}


def chosen_number(text: str, offered: list[str]) -> str | None:
    """The number of those offered that the words pick ("the mobile", "the first one",
    "home"), or None when they pick none or more than one."""
    if len(text.split()) > 6:
        return None
    mobiles = [n for n in offered if n.startswith("07")]
    landlines = [n for n in offered if not n.startswith("07")]
    picks = {
        "mobile": mobiles if len(mobiles) == 1 else [],
        "landline": landlines if len(landlines) == 1 else [],
        "first": offered[:1],
        "second": offered[1:2],
    }
    found = {n for kind, words in _WHICH_NUMBER.items() if words.search(text) for n in picks[kind]}
    return found.pop() if len(found) == 1 else None


def parse_uk_phone(text: str) -> Phone:
    """A UK phone number (landline or mobile), normalised; alone or said in a sentence
    ("07700 900123 (mobile)", "ring me on 01632 960123 after 5")."""
    try:
        number = phonenumbers.parse(_LEAD_IN.sub("", text.strip()), "GB")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not _is_uk(number):
        found = {
            phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164): match
            for match in phonenumbers.PhoneNumberMatcher(text, "GB", phonenumbers.Leniency.POSSIBLE)
        }
        # Exactly one number in the words; two ("mobile or home") are for the patient to pick.
        if len(found) != 1:
            return Phone(None, None, "invalid")
        number = next(iter(found.values())).number
    if not _is_uk(number):
        return Phone(None, None, "invalid")
    return Phone(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        None,
    )


def _is_uk(number: phonenumbers.PhoneNumber) -> bool:
    """A valid UK number, or one of Ofcom's drama numbers."""
    if number.country_code != 44:
        return False
    national = str(number.national_number)
    return any(r.match(national) for r in _DRAMA_RANGES) or phonenumbers.is_valid_number(number)


def parse_email(text: str) -> str | None:
    """An email address with its domain lower-cased, or None; said in a sentence or alone."""
    found = [word for word in text.split() if "@" in word]
    candidate = (found[0] if len(found) == 1 else _LEAD_IN.sub("", text.strip())).strip(" .,<>:")
    if not _EMAIL.fullmatch(candidate) or len(candidate) > 254:
        return None
    local, domain = candidate.rsplit("@", 1)
    return f"{local}@{domain.lower()}"
