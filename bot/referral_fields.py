"""Parse and normalise what a patient types for referral fields. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dateutil import parser as date_parser

# Outward code (A9, A99, AA9, AA99, A9A, AA9A), optional space, inward code (9AA).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
_NAME = re.compile(r"^[^\W\d_]+(?:\.?[ '\-][^\W\d_]+|\.[^\W\d_]+)*\.?$")
_NAME_LEAD_IN = re.compile(r"^(?:my name is|my name's|i am|i'm|it's|it is|name:?)\s+", re.I)
_DATE_LEAD_IN = re.compile(
    r"^(?:(?:it'?s|it is|i was born on|i was born|born on|born|my date of birth is|dob:?)\s+)?"
    r"(?:the\s+)?",
    re.I,
)
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.I)
# A date inside a longer message ("03/03/1991, postcode ST4 6QG"; "I was born 3rd March 1991
# and live in Leek"): day month year, month day year, or year-month-day.
_DATE_IN_TEXT = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?[\s/.\-]+(?:\d{1,2}|[a-z]{3,9}\.?)[\s/.\-,]+\d{2,4}\b"
    r"|\b[a-z]{3,9}\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b"
    r"|\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b",
    re.I,
)


def normalise_postcode(text: str) -> str | None:
    """Return the UK postcode in `text` as upper case with one space, or None."""
    match = _POSTCODE_IN_TEXT.search(text.strip())
    if not match:
        return None
    outward, inward = match.group(1).upper(), match.group(2).upper()
    if not _POSTCODE.match(f"{outward} {inward}"):
        return None
    return f"{outward} {inward}"


def clean_full_name(text: str) -> str | None:
    """Return a tidy full name (at least two words of letters), or None."""
    name = _NAME_LEAD_IN.sub("", " ".join(text.split())).strip(" .,")
    if len(name) > 100 or len(name.split()) < 2 or not _NAME.match(name):
        return None
    return name


@dataclass(frozen=True)
class DateOfBirth:
    """A parsed date of birth, or the reason it was refused."""

    value: date | None
    problem: str | None  # "unreadable", "future"


def parse_date_of_birth(text: str, today: date) -> DateOfBirth:
    """Read a British day-first date (14/03/1980, 14.3.80, 1st March 1980, 1980-03-14), alone
    or in a sentence."""
    whole = _parse_whole_date(text, today)
    if whole.problem == "unreadable":
        found = [m.group(0) for m in _DATE_IN_TEXT.finditer(text)]
        if len(found) == 1 and found[0].strip() != text.strip():
            return _parse_whole_date(found[0], today)
    return whole


def _parse_whole_date(text: str, today: date) -> DateOfBirth:
    """The text as one date, nothing else in it."""
    cleaned = _ORDINAL.sub(r"\1", _DATE_LEAD_IN.sub("", text.strip(" .!"))).replace(" of ", " ")
    if not re.search(r"\d", cleaned):
        return DateOfBirth(None, "unreadable")
    iso = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", cleaned)
    try:
        if iso:
            parsed = date(*(int(part) for part in iso.groups()))
        else:
            parsed = _parse_day_first(cleaned, today)
    except (ValueError, OverflowError):
        return DateOfBirth(None, "unreadable")
    if parsed > today:
        return DateOfBirth(None, "future")
    if parsed.year < today.year - 120:
        return DateOfBirth(None, "unreadable")
    return DateOfBirth(parsed, None)


def _parse_day_first(text: str, today: date) -> date:
    """Parse day-first text; a two-digit year is taken as the most recent past year."""
    parts = re.split(r"[\s/.\-]+", text)
    if len(parts) != 3:
        raise ValueError("a date of birth needs a day, a month and a year")
    parsed = date_parser.parse(text, dayfirst=True, fuzzy=False).date()
    year_text = parts[-1]
    if len(year_text) == 2:
        century = today.year // 100 * 100
        year = century + int(year_text)
        if year > today.year:
            year -= 100
        parsed = parsed.replace(year=year)
    return parsed


def age_on(born: date, today: date) -> int:
    """Whole years between `born` and `today`."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def format_date_for_patient(value: date) -> str:
    """14 March 1980."""
    return f"{value.day} {value:%B %Y}"
