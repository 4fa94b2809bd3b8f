"""Parse pain scores and durations as patients write them ("six out of ten", "a few weeks")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_NUMBER_WORDS = {
    "zero": 0, "nought": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "a couple of": 2, "couple of": 2,
    "a few": 3, "few": 3, "several": 4, "a": 1, "an": 1,
}  # fmt: skip
_UNITS = {
    "day": 1, "days": 1,
    "week": 7, "weeks": 7, "wk": 7, "wks": 7,
    "fortnight": 14, "fortnights": 14,
    "month": 30, "months": 30, "mth": 30, "mths": 30, "mnth": 30, "mnths": 30,
    "year": 365, "years": 365, "yr": 365, "yrs": 365,
}  # fmt: skip
_WORD_ALTERNATION = "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))
_DURATION = re.compile(
    rf"(?<![a-z])(\d+(?:\.\d+)?|{_WORD_ALTERNATION})(?:\s+(?:and\s+a\s+half))?\s*"
    rf"({'|'.join(sorted(_UNITS, key=len, reverse=True))})\b(?:\s+and\s+a\s+half\b)?",
    re.I,
)
_SCORE = re.compile(
    rf"(?<![\d.\-])(\d{{1,2}}|{'|'.join(w for w in _NUMBER_WORDS if len(w) > 2)})"
    # not part of a decimal ("7.5"), but a full stop after it ends the sentence ("an eight.")
    r"(?:\s*(?:/|out of|outta)\s*(?:10|ten))?(?!\d|\.\d)",
    re.I,
)
_RANGE = re.compile(r"\d\s*[-\u2013]\s*\d")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")  # fmt: skip
_SINCE = re.compile(
    r"\b(?:since|from)\s+(?:last\s+)?"
    rf"(?:({'|'.join((*_MONTHS, 'sept', *(m[:3] for m in _MONTHS)))})\b\.?)?"
    r"\s*(\d{4})?\b",
    re.I,
)


def _number(token: str) -> float:
    token = token.lower()
    return float(token) if token[0].isdigit() else float(_NUMBER_WORDS[token])


def parse_pain_score(text: str) -> int | None:
    """0 to 10 from "7", "7/10", "seven out of ten", "about a 6"; None otherwise.

    A range ("6-7", "between 4 and 6") is None, so the patient is asked for one number
    rather than having one picked for them."""
    if _RANGE.search(text):
        return None
    scores = [
        _number(match.group(1))
        for match in _SCORE.finditer(text)
        if not _COUNTED.match(text, match.end())
    ]
    if len(scores) != 1 or not 0 <= scores[0] <= 10 or scores[0] != int(scores[0]):
        return None
    return int(scores[0])


# A number of tablets or of time after it is no score ("if I take two paracetamol": a blind
# usability tester's answer was stored as pain 2/10).
_COUNTED = re.compile(
    r"\s*(?:of\s+)?(?:my\s+)?(?:paracetamol|ibuprofen|co-?codamol|codeine|naproxen|tramadol|"
    r"tablets?|pills?|painkillers?|times?|hours?|hrs?|days?|nights?|weeks?|wks?|months?|years?|"
    r"yrs?|minutes?|mins?|miles?|steps?|kids?|children)\b",
    re.I,
)
_OUT_OF_TEN = re.compile(
    rf"(?<![\d.\-])(\d{{1,2}}|{'|'.join(w for w in _NUMBER_WORDS if len(w) > 2)})"
    r"\s*(?:/|out of|outta)\s*(?:10|ten)\b",
    re.I,
)


def pain_score_out_of_ten(text: str) -> int | None:
    """A score said as out of ten ("7/10", "about a seven out of ten") in a description, or
    None: a bare number there is a count of days or tablets, not a score."""
    found = [_number(match.group(1)) for match in _OUT_OF_TEN.finditer(text)]
    if len(found) != 1 or not 0 <= found[0] <= 10 or found[0] != int(found[0]):
        return None
    return int(found[0])


# Words that say a part of the message is about the pain now ("5 today", "right now a 4")
_NOW = re.compile(r"\b(?:now|today|at the moment|atm|currently|at present|tonight)\b", re.I)


def pain_score_said_for_now(text: str) -> int | None:
    """Of several scores, the one in the only part that says it is the pain now ("7 or 8
    on a bad day, 5 today"); None when no part, or more than one, does."""
    parts = [p for p in re.split(r"[,;.]|\bbut\b|\band\b", text) if _NOW.search(p)]
    if len(parts) != 1 or several_pain_scores(parts[0]):
        return None
    return parse_pain_score(parts[0].strip())


def several_pain_scores(text: str) -> bool:
    """More than one 0-10 score in the words ("about a 6, goes up to 8 when it's bad"); a
    count of tablets or of time is none."""
    scores = [m for m in _SCORE.finditer(text) if not _COUNTED.match(text, m.end())]
    return len(scores) > 1 or bool(_RANGE.search(text))


@dataclass(frozen=True)
class Duration:
    days: int
    display: str


_WEEKS_PREGNANT = re.compile(
    r"\b\w+\s*(?:weeks?|wks?|months?)\s+(?:pregnant|gone|along|into (?:my|the) pregnancy)\b",
    re.I,
)
_HALF_A_YEAR = re.compile(r"\b(?:a\s+)?half\s+(?:a\s+)?year\b", re.I)


def parse_duration(text: str, today: date | None = None) -> Duration | None:
    """A duration such as "3 months", "six weeks", "a fortnight", "2 yrs", "since March" or
    one told by a time of year or a day ("since Christmas", "from the summer", "since Monday")."""
    text = _HALF_A_YEAR.sub("6 months", text)  # "half a year" is not "a year"
    # "20 weeks pregnant" is how far on a pregnancy is, not how long the problem has lasted
    text = _WEEKS_PREGNANT.sub(" ", text)
    match = _DURATION.search(text)
    if match is None:
        today = today or date.today()
        return _since(text, today) or _since_reference(text, today)
    amount = _number(match.group(1))
    if "and a half" in match.group(0).lower():
        amount += 0.5
    unit = match.group(2).lower()
    days = int(amount * _UNITS[unit])
    if days <= 0 or days > 365 * 100:
        return None
    if _UNITS[unit] == 14:  # a fortnight is shown as weeks
        amount, unit = amount * 2, "weeks"
    unit_name = {1: "day", 7: "week", 30: "month", 365: "year"}[_UNITS[unit]]
    shown = f"{amount:g} {unit_name}{'' if amount == 1 else 's'}"
    said = match.group(1).lower()
    if said in _VAGUE_AMOUNTS:
        # "a few weeks" is kept in the patient's words, with the guess the team can sort by
        shown = f"{'a few' if said == 'few' else said} {unit_name}s (about {shown})"
    return Duration(days, shown)


# Amounts that are a guess: the patient's words are kept beside the number
_VAGUE_AMOUNTS = frozenset({"a few", "few", "several"})


def the_one_duration(text: str, today: date | None = None) -> Duration | None:
    """The duration in words said in passing, or None when they hold two amounts of time
    ("I had a fall 3 years ago and it's been bad for 2 weeks": which one is how long the
    problem has lasted is for the patient to say, at its question)."""
    text = _WEEKS_PREGNANT.sub(" ", text)
    if len(_DURATION.findall(text)) > 1:
        return None
    return parse_duration(text, today)


def the_longest_duration(text: str) -> Duration | None:
    """Of several amounts of time, the longest ("two years, worse for two months" is two
    years: how long the problem has lasted is at least as long as any part of it); None when
    the words hold fewer than two."""
    text = _WEEKS_PREGNANT.sub(" ", text)
    found = [parse_duration(match.group(0)) for match in _DURATION.finditer(text)]
    found = [duration for duration in found if duration is not None]
    return max(found, key=lambda duration: duration.days) if len(found) > 1 else None


# A month said further on, after a start ("since my birthday in July", "since I started my
# new job in March", "it began back in the middle of May 2025")
_MONTH_LATER = re.compile(
    r"\b(?:since|started|starting|began|begun|start|first)\b[^.?!]*?\b(?:in|of|since|from)\s+"
    r"(?:the\s+)?(?:(?:early|mid|late|middle\s+of|end\s+of|start\s+of|beginning\s+of)\s+)?"
    rf"({'|'.join((*_MONTHS, 'sept', *(m[:3] for m in _MONTHS if m != 'may')))})\b\.?"
    r"(?:\s+(\d{4})\b)?",
    re.I,
)


def _since(text: str, today: date) -> Duration | None:
    """ "since March" (the last March before today), "since March 2024" or "since 2019";
    or a month said after a start ("since my birthday in July")."""
    match = _SINCE.search(text)
    if match is None or not any(match.groups()):
        match = _MONTH_LATER.search(text)
    if match is None or not any(match.groups()):
        return None
    month_name, year = match.group(1), match.group(2)
    month = None
    if month_name:
        month = next(i for i, m in enumerate(_MONTHS, 1) if m.startswith(month_name.lower()))
    if year:
        began = date(int(year), month or 1, 1)
    else:
        began = date(today.year, month, 1)
        if began > today:
            began = date(today.year - 1, month, 1)
    days = (today - began).days
    if days <= 0 or days > 365 * 100:
        return None
    month_shown = f"{_MONTHS[began.month - 1].title()} " if month else ""
    shown = f"since {month_shown}{began.year}"
    return Duration(days, shown)


# A time of year or a day said instead of a length ("since Christmas", "over the summer"):
# (month, day) of its start; the latest one on or before today is meant.
_NAMED_DAYS = {
    "christmas": (12, 25), "xmas": (12, 25), "new year": (1, 1), "new years": (1, 1),
    "bonfire night": (11, 5), "halloween": (10, 31), "valentines": (2, 14),
    "valentine's": (2, 14), "spring": (3, 1), "summer": (6, 1), "autumn": (9, 1),
    "winter": (12, 1), "summer holidays": (7, 20), "the holidays": (12, 20),
    "start of the year": (1, 1), "beginning of the year": (1, 1),
    "end of the summer holidays": (9, 1), "end of the summer": (9, 1),
    "end of summer": (9, 1), "back to school": (9, 1), "end of the year": (12, 1),
    "boxing day": (12, 26),
}  # fmt: skip
# Bank holidays in England that move each year, by name; "the bank holiday" alone is the
# latest of them all (a blind usability tester's "since the bank holiday" was refused).
_BANK_HOLIDAYS = (
    "august bank holiday", "summer bank holiday", "may bank holiday", "early may bank holiday",
    "spring bank holiday", "easter bank holiday", "easter monday", "good friday", "bank holiday",
)  # fmt: skip
# Days that move each year: the clocks go back on the last Sunday of October and forward on
# the last Sunday of March (UK)
_CLOCKS = {"clocks went back": 10, "clocks changed": 10, "clocks went forward": 3}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_REFERENCE_CUE = (
    r"(?:since|from|started|start|began|begun|around|round|about|over|at|in|before|after|just)"
)
_REFERENCE_NAMES = (
    *_NAMED_DAYS, *_CLOCKS, *_BANK_HOLIDAYS, "easter", *_WEEKDAYS, "weekend", "yesterday",
    "morning",
)  # fmt: skip
_REFERENCE = re.compile(
    rf"(?:\b{_REFERENCE_CUE}\s+(?:the\s+|about\s+)?|\b)(last\s+|this\s+)?("
    + "|".join(sorted((re.escape(k) for k in _REFERENCE_NAMES), key=len, reverse=True))
    + r"|(?<=last )(?:week|month|year))\b(?:\s+(\d{4})\b)?",
    re.I,
)
_SAID = {"xmas": "Christmas", "new years": "New Year", "new year": "New Year",
         "valentines": "Valentine's", "valentine's": "Valentine's", "easter": "Easter",
         "christmas": "Christmas", "bonfire night": "Bonfire Night", "halloween": "Halloween",
         "morning": "this morning", "yesterday": "yesterday",
         "clocks went back": "the clocks went back", "clocks changed": "the clocks changed",
         "clocks went forward": "the clocks went forward", "boxing day": "Boxing Day",
         "easter monday": "Easter Monday", "good friday": "Good Friday",
         "august bank holiday": "the August bank holiday",
         "may bank holiday": "the May bank holiday",
         "early may bank holiday": "the early May bank holiday",
         "easter bank holiday": "the Easter bank holiday"}  # fmt: skip


def _easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _last_sunday(year: int, month: int) -> date:
    """The last Sunday of the month."""
    last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    return date.fromordinal(last - (date.fromordinal(last).weekday() + 1) % 7)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return date.fromordinal(first.toordinal() + (7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    return date.fromordinal(last - date.fromordinal(last).weekday())


def _bank_holiday(name: str, year: int) -> list[date]:
    """The days of that year a bank holiday's name can mean (England)."""
    easter = _easter(year).toordinal()
    by_name = {
        "august bank holiday": _last_monday(year, 8),
        "summer bank holiday": _last_monday(year, 8),
        "may bank holiday": _first_monday(year, 5),
        "early may bank holiday": _first_monday(year, 5),
        "spring bank holiday": _last_monday(year, 5),
        "easter bank holiday": date.fromordinal(easter + 1),
        "easter monday": date.fromordinal(easter + 1),
        "good friday": date.fromordinal(easter - 2),
    }
    if name == "bank holiday":
        return [date(year, 1, 1), *by_name.values(), date(year, 12, 25), date(year, 12, 26)]
    return [by_name[name]]


def _reference_start(name: str, today: date, year: int | None = None) -> date | None:
    """The latest date on or before today that `name` (lower case) refers to."""
    if name in _BANK_HOLIDAYS:
        years = (year,) if year else (today.year, today.year - 1)
        days = [d for y in years for d in _bank_holiday(name, y) if d <= today]
        return max(days) if days else None
    relative = {"yesterday": 1, "week": 7, "month": 30, "year": 365, "morning": 0}
    if name in relative:
        return date.fromordinal(today.toordinal() - relative[name])
    if name in _WEEKDAYS or name == "weekend":
        weekday = 5 if name == "weekend" else _WEEKDAYS.index(name)
        back = (today.weekday() - weekday) % 7 or 7
        return date.fromordinal(today.toordinal() - back)
    for candidate in (year,) if year else (today.year, today.year - 1):
        if name in _CLOCKS:
            start = _last_sunday(candidate, _CLOCKS[name])
        elif name == "easter":
            start = _easter(candidate)
        else:
            start = date(candidate, *_NAMED_DAYS[name])
        if start <= today:
            return start
    return None


def _about(days: int) -> str:
    if days < 14:
        amount, unit = max(days, 1), "day"
    elif days < 63:
        amount, unit = round(days / 7), "week"
    elif days < 730:
        amount, unit = round(days / 30), "month"
    else:
        amount, unit = round(days / 365), "year"
    return f"{amount} {unit}{'' if amount == 1 else 's'}"


def _since_reference(text: str, today: date) -> Duration | None:
    """ "since Christmas", "from the summer", "since Monday", "since last week": the length
    counted back to the latest such day, shown with the patient's words and the length
    ("since Christmas (about 2 weeks)"), which parses back to the same length."""
    lowered = text.lower().replace("\u2019", "'")
    for match in _REFERENCE.finditer(lowered):
        name = " ".join(match.group(2).split())
        if name in ("week", "month", "year") and not match.group(1):
            continue
        if name == "morning" and (match.group(1) or "").strip() != "this":
            continue  # "stiff in the morning" is when, not since when: "since this morning" is
        start = _reference_start(name, today, int(match.group(3)) if match.group(3) else None)
        if start is None:
            continue
        days = max((today - start).days, 1)
        said = _SAID.get(name) or (f"last {name}" if name in ("week", "month", "year") else None)
        said = said or (name.title() if name in _WEEKDAYS else f"the {name}")
        if match.group(3) and name not in _WEEKDAYS:
            said = f"{said} {match.group(3)}"
        return Duration(days, f"since {said} (about {_about(days)})")
    return None


def names_a_time_unit(text: str) -> bool:
    """True for text with a unit of time in it ("months or", a clipped entity)."""
    return any(word in _UNITS for word in re.findall(r"[a-z]+", text.lower()))


def duration_band(days: int) -> str:
    """The band a triager thinks in."""
    if days < 42:
        return "under_6_weeks"
    if days <= 91:
        return "6_weeks_to_3_months"
    if days <= 365:
        return "3_to_12_months"
    return "over_12_months"
