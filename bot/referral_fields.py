"""Parse and normalise what a patient types for referral fields. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches

from dateutil import parser as date_parser

# Outward code (A9, A99, AA9, AA99, A9A, AA9A), optional space, inward code (9AA).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
_NAME = re.compile(r"^[^\W\d_]+(?:\.?[ '\-][^\W\d_]+|\.[^\W\d_]+)*\.?$")
# Words of an aside after a name: "as I said", "told you at the start", "thanks".
_ASIDE = re.compile(r"\b(?:said|told|start|before|already|again|thanks|thank|please)\b", re.I)
# Other details typed after the name: "..., and my mobile is ...", "... 07700 900101".
_OTHER_DETAILS = re.compile(
    r"[,;]?\s*(?:\band\s+)?(?:\bmy\s+)?\b(?:mobile|phone|number|tel|email|e-mail|address|"
    r"postcode|dob|date of birth|born|nhs)\b|[,;]?\s*(?:\+44|\b0)\d[\d ]{8,}|\S+@\S+",
    re.I,
)
# "I already said", "like I said", "by the way", "I already gave it -" before an answer: the
# patient's impatience or an aside, not part of the answer (blind usability tests found
# "Daily life and sleep: I just told you? Lifting the baby..." and a name stored as "I already
# gave it - ...").
_ASIDE_BEFORE = re.compile(
    r"^(?:(?:i(?: have| 've|'ve)? (?:already |just )?(?:said|told you|gave (?:it|you|that|them)"
    r"|given (?:it|you|that|them))(?: that| this| it)?(?: before| earlier| already)?|"
    r"as i said|like i said|as i say|i told you|i said|by the way|btw)\b[\s?!.,:;-]*|"
    # "oh", "sorry", "ok" only with a mark after them: "Oh Jun Seo" is a name
    r"(?:(?:oh|ok|okay|sorry|um+|erm+)\s+)*(?:oh|ok|okay|sorry|um+|erm+)\s*[?!.,:;-]+\s*)+",
    re.I,
)


def without_aside_before(text: str) -> str:
    """The answer without an aside before it ("by the way, ...", "I already gave it - ...")."""
    return _ASIDE_BEFORE.sub("", text)


_NAME_LEAD_IN = re.compile(
    # a relative typing for the patient: "his name is Dan Notreal", "she's called Jo Example"
    r"^(?:(?:my|his|her|their)\s+(?:full\s+)?name\s+is|(?:my|his|her|their)\s+name's|"
    r"(?:i|he|she|they)\s+(?:am|is|are)\s+called|(?:i'm|he's|she's|they're)\s+called|"
    r"i am|i'm|it's|it is|name(?:\s+is|'s|:)?)\s+(?:just\s+|simply\s+|actually\s+|only\s+)?",
    re.I,
)
# A sentence after the name that is about someone or something else ("Margaret Testwell. I'm
# her daughter Susan" was stored whole: a blind usability test); never "Mary St. John".
_SENTENCE_AFTER_NAME = re.compile(
    r"[.!?]\s+(?=(?:i'?m|i am|i|thanks?|thank you|she|he|her|his|my|it|this|that|we|they|"
    r"cheers|ta|hope|sorry)\b)",
    re.I,
)
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


# The name and the date of birth said before their questions ("Hi, my name is Jo Example, born
# 3/4/1975, and my knee ..."): only after words that say what they are, so a date of injury
# or "I'm in agony" is never taken for either.
_NAME_SAID = re.compile(
    r"\b(?:my name is|my name's|my names|name's|i am called|i'm called|im called)\s+", re.I
)
# Words after which a name said in passing has ended ("my name is Jo Example and my knee ...").
_AFTER_A_NAME = frozenset(
    [
        "and", "i", "i'm", "im", "i've", "ive", "my", "from", "aged", "age", "born", "dob",
        "with", "who", "have", "had", "has", "been", "is", "am", "was", "but", "so", "the",
        "a", "an", "here", "please", "help", "thanks", "thank", "cheers", "not", "going",
        "on", "in", "at", "for", "to", "of", "just", "ringing", "calling", "writing",
        "typing", "asking", "hi", "hello",
    ]
)  # fmt: skip
MAX_NAME_WORDS = 4
_BIRTH_SAID = re.compile(
    r"\b(?:born(?: on)?|d\.?o\.?b\.?|date of birth(?: is)?)[\s:,\-]*(?:the\s+)?", re.I
)
# Words just before the cue that make the date someone else's ("my daughter was born",
# "his dob", "my son's date of birth").
_SOMEONE_ELSES = frozenset(
    [
        "son", "daughter", "baby", "child", "kid", "kids", "he", "she", "his", "her", "their",
        "they", "mum", "mom", "dad", "wife", "husband", "partner", "grandson",
        "granddaughter", "grandchild", "twins", "him",
    ]
)  # fmt: skip


def about_someone_else(text: str) -> bool:
    """The words name someone else ("my son was born 12/03/2020"): a date in them is never
    the patient's date of birth."""
    return bool(set(re.findall(r"[a-z']+", text.lower())) & _SOMEONE_ELSES)


# A name given for someone else ("his name is Dan Notreal", "she's called Jo Example").
_THEIR_NAME = re.compile(
    r"^\s*(?:(?:his|her|their)\s+(?:full\s+)?name(?:\s+is|'s)|(?:he|she|they)\s+(?:is|are)\s+"
    r"called|(?:he's|she's|they're)\s+called|(?:my|the)\s+patient(?:'s name)?\s+is)\b",
    re.I,
)


def name_given_for_someone_else(text: str) -> bool:
    """The answer to "What is your full name?" gives someone else's ("her name is ...")."""
    return bool(_THEIR_NAME.match(without_aside_before(text)))


def name_said_in_passing(text: str) -> str | None:
    """A full name said after "my name is" (or the like) in a longer message, or None. The
    name must end the message, a clause or come before a word that is not part of a name
    ("and", "I", "my", "born"...); otherwise it is left for its own question."""
    found = _NAME_SAID.search(text.replace("\u2019", "'"))
    if not found:
        return None
    words: list[str] = []
    for raw in re.split(r"(\s+)", text[found.end() :].replace("\u2019", "'")):
        word = raw.strip()
        if not word:
            continue
        bare = word.rstrip(".,;:!?)")
        if bare.lower() in _AFTER_A_NAME:
            break
        words.append(bare)
        if bare != word or len(words) > MAX_NAME_WORDS:
            break
    if len(words) > MAX_NAME_WORDS:
        return None
    return clean_full_name(" ".join(words)) if words else None


def date_of_birth_said_in_passing(text: str, today: date) -> date | None:
    """A date of birth said after "born", "DOB" or "date of birth" in a longer message."""
    for cue in _BIRTH_SAID.finditer(text):
        before = re.findall(r"[a-z']+", text[: cue.start()].lower())[-2:]
        if any(word in _SOMEONE_ELSES or word.endswith("'s") for word in before):
            continue
        if before[-1:] == ["was"] and before[:1] != ["i"]:
            continue  # "the baby was born", not "I was born"
        found = _DATE_IN_TEXT.match(text, cue.end())
        if found:
            parsed = parse_date_of_birth(found.group(0), today)
            if parsed.value is not None:
                return parsed.value
    return None


# Words before the patient's address or GP practice said in a longer message ("I live at 12
# Example Road, ST4 8AA", "my GP is Trentham Mews"): first person only ("my mum lives at",
# "her GP is" are someone else's).
_ADDRESS_SAID = re.compile(
    r"\b(?:my address is|my address's|my address:|i live at|i'm living at|im living at|"
    r"i am living at|we live at)\s+",
    re.I,
)
_GP_SAID = re.compile(
    # "my" may be left out ("12/03/1970, GP is Riverside Surgery"), never for another's
    r"\b(?<!his )(?<!her )(?<!their )(?<!'s )"
    r"(?:(?:my )?(?:gp|doctor|doctors|doctor's|gp's)(?: surgery| practice)? (?:is at|is with|is)|"
    r"(?:my )?(?:surgery|gp surgery|gp practice|medical centre|health centre) is|"
    r"(?:i'm|im|i am|we're|we are) registered (?:at|with)|(?:i'm|im|i am) (?:at|with)|"
    r"(?:i|we) (?:go|goes|normally go|usually go) to|"
    r"my (?:gp|surgery)(?: practice)?:)\s+",
    re.I,
)
# A practice's kind of place: words said in passing name a practice only with one of these
# ("my GP is off sick" and "my GP is miles away" name none, though practices have those words).
_PRACTICE_WORDS = re.compile(
    r"\b(?:surgery|practice|medical|health centre|health center|clinic|partners|"
    r"medical centre|group practice)\b",
    re.I,
)
# Where the words of an address or a practice said in passing end.
_CLAUSE_END = re.compile(r"[,.!?;\n]|\s(?:and|but|so|because|cos|which|who)\s", re.I)
# The same for an address, whose "St." or "Rd." does not end it.
_ADDRESS_END = re.compile(
    r"(?<!\bst)(?<!\brd)\.(?:\s|$)|[!?;\n]|\s(?:and|but|so|because|cos|which|who)\s", re.I
)


def address_said_in_passing(text: str) -> str | None:
    """The first line of the address after "I live at" or "my address is" in a longer
    message ("... I live at 12 Example Road, ST4 8AA"), or None: the same reading as an
    answer to the address question, so a town alone or words with no street are left."""
    said = text.replace("\u2019", "'")
    for cue in _ADDRESS_SAID.finditer(said):
        fragment = _ADDRESS_END.split(said[cue.end() :], maxsplit=1)[0]
        line = first_address_line(fragment)
        if line:
            return line
    return None


def address_with_the_birth_date(text: str) -> str | None:
    """The first line of an address given, with its postcode, after the date of birth ("her
    birthday is 12/08/1948, she lives at 3 Sample Close, Rugeley WS15 2XY"), or None."""
    dated = _DATE_IN_TEXT.search(text)
    if dated is None or _POSTCODE_IN_TEXT.search(text[dated.end() :]) is None:
        return None
    rest = re.sub(r"^[\s,.;:-]*(?:and\s+)?", "", text[dated.end() :])
    return first_address_line(rest)


# The same said by a relative typing for the patient: "her GP is", "she goes to".
_THEIR_GP_SAID = re.compile(
    r"\b(?:(?:his|her|their) (?:gp|doctor|doctors|doctor's|gp's|surgery)(?: surgery| practice)? "
    r"(?:is at|is with|is)|(?:she|he|they)(?:'s| is| are|'re) (?:registered )?(?:at|with)|"
    r"(?:she|he|they) (?:goes|go|normally goes|usually goes) to)\s+",
    re.I,
)


def gp_practice_words_in_passing(text: str, for_someone_else: bool = False) -> str | None:
    """The words naming the patient's GP practice after "my GP is", "I'm registered at" and
    the like (with `for_someone_else`, also "her GP is", "she goes to"), up to the end of the
    clause, or None; the caller looks them up in the list."""
    said = text.replace("\u2019", "'")
    cues = [*_GP_SAID.finditer(said), *(_THEIR_GP_SAID.finditer(said) if for_someone_else else [])]
    for cue in sorted(cues, key=lambda found: found.start()):
        words = _CLAUSE_END.split(said[cue.end() :], maxsplit=1)[0].strip(" ,:-")
        # a practice word, or a name short enough to be one ("GP is Trentham Mews": the
        # caller looks it up and takes only a practice the list finds)
        if words and (_PRACTICE_WORDS.search(words) or len(words.split()) <= 4):
            return words
    return None


def normalise_postcode(text: str) -> str | None:
    """Return the UK postcode in `text` as upper case with one space, or None."""
    match = _POSTCODE_IN_TEXT.search(text.strip())
    if not match:
        return None
    outward, inward = match.group(1).upper(), match.group(2).upper()
    if not _POSTCODE.match(f"{outward} {inward}"):
        return None
    return f"{outward} {inward}"


# What an address answer may start with ("my address is 12 ...", "I live at 12 ...").
_ADDRESS_LEAD_IN = re.compile(
    r"^(?:(?:my |his |her |their )?address(?: is|:)?|it'?s|it is|i live at|i'm at|im at|"
    # a relative typing for the patient: "she lives at ..."
    r"i am at|(?:she|he|they|we) lives? at|(?:she|he)'s at|(?:she|he) is at)\s+",
    re.I,
)
# Words that make a part of an address a street or a house, not a town.
_STREET_WORDS = re.compile(
    r"\b(?:street|st|road|rd|lane|ln|avenue|ave|close|drive|dr|way|crescent|grove|place|"
    r"court|ct|terrace|gardens|walk|row|hill|square|mews|parade|green|view|rise|cottage|"
    r"house|farm|flat|apartment|bungalow)\b",
    re.I,
)
ADDRESS_LIMIT = 200  # characters kept of a first line
_TIME_UNIT = re.compile(r"\b(?:days?|weeks?|wks?|months?|years?|yrs?|hours?|hrs?)\b", re.I)
_HOUSE_NUMBER = re.compile(r"^(?:flat|apartment|unit)?\s*\d+[a-z]?\b", re.I)


def without_address_lead_in(text: str) -> str:
    """The address without "it's", "my address is", "I live at" before it."""
    return _ADDRESS_LEAD_IN.sub("", without_aside_before(" ".join(text.split()))).strip()


def first_address_line(text: str) -> str | None:
    """The first line of the address in an answer that gives the postcode with it, or the
    address without the postcode: "12 Example Street, Cannock, WS11 1DB" gives "12 Example
    Street". A town alone ("Cannock WS11 1DB"), a date, or words with no house number or
    street word give None (the first line is then asked on its own)."""
    before = _POSTCODE_IN_TEXT.split(text, maxsplit=1)[0]
    before = without_address_lead_in(before).strip(" ,.;:-")
    if not before or _DATE_IN_TEXT.search(before) or _TIME_UNIT.search(before):
        return None
    parts = [part.strip() for part in re.split(r"[,\n;]", before) if part.strip()]

    def numbered(part: str) -> bool:
        return bool(_HOUSE_NUMBER.match(part))

    def a_street(part: str) -> bool:
        return numbered(part) or bool(_STREET_WORDS.search(part))

    while len(parts) >= 2 and not a_street(parts[-1]):
        parts = parts[:-1]  # "..., Cannock, Staffordshire": the town and county
    line = ", ".join(parts)
    if not re.search(r"[^\W\d_]{2}", line):
        return None
    with_postcode = _POSTCODE_IN_TEXT.search(text) is not None
    if with_postcode and any(a_street(part) for part in parts):
        return line[:ADDRESS_LIMIT]
    # without a postcode, only a plain first line: a house number and a street word
    if any(numbered(part) for part in parts) and _STREET_WORDS.search(line):
        return line[:ADDRESS_LIMIT]
    return None


# "... I can't use the phone! Name is Jo Testperson": the name after words that say so, later
# in the message (a blind usability tester's name was stored as "I can't use the")
_NAME_IS = re.compile(
    r"\bname(?:\s+is|'s|:)\s+"  # "name is", then what is left of the lead-in
    r"(?:(?:just|simply|actually|only)\s+)?(?=\S)",
    re.I,
)
# a title typed after the name ("edna testperson. mrs")
_TITLE_AFTER = re.compile(r"[\s.,]+\(?(?:mrs|mr|ms|miss|mx|dr)\.?\)?$", re.I)


def clean_full_name(text: str) -> str | None:
    """Return a tidy full name (at least two words of letters), or None. An aside after the
    name, past a comma or in brackets ("Chris Sample, as I said", "Pat Example (told you!)"),
    is left out when it is one (its words in _ASIDE); so is a complaint before "name is"."""
    tidy = " ".join(text.split())
    # after the last "name is": "The name is still wrong. Her name is Margaret Testwell"
    said = list(_NAME_IS.finditer(tidy))
    named = clean_full_name(tidy[said[-1].end() :]) if said and said[-1].start() > 0 else None
    if named:
        return named
    name = _NAME_LEAD_IN.sub("", without_aside_before(" ".join(text.split()))).strip(" .,")
    name = _SENTENCE_AFTER_NAME.split(name, maxsplit=1)[0].strip(" .,")
    name = _TITLE_AFTER.sub("", name)
    if len(name) <= 100 and len(name.split()) >= 2 and _NAME.match(name):
        return name
    parts = re.split(r"[,(]", name, maxsplit=1)
    if len(parts) == 2 and _ASIDE.search(parts[1]):
        return clean_full_name(parts[0])
    details = _OTHER_DETAILS.search(name)
    if details and details.start() > 0:
        # "Sam Testperson, and my mobile is 07700 900101": the name, then other details
        found = clean_full_name(name[: details.start()])
        if found:
            return found
    first, _, rest = name.partition(",")
    if rest and _OTHER_DETAILS.search(rest):
        # "Alex Testperson, don't know my NHS number, phone ..." (refused as a name in a
        # blind usability test): the name before the first comma
        return clean_full_name(first)
    return None


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
    cleaned = _ORDINAL.sub(r"\1", _DATE_LEAD_IN.sub("", text.strip(" .!")))
    # "8th of the 4th 1966"; "5 febuary 1982"
    cleaned = _months_spelt_right(re.sub(r"\s+of(?:\s+the)?\s+", " ", cleaned))
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


_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip


def _months_spelt_right(text: str) -> str:
    """Each word that is a month misspelt ("febuary", "septmber", "feburary") as the month."""

    def fixed(match: re.Match) -> str:
        word = match.group(0).lower()
        if word in _MONTH_NAMES or len(word) < 4:
            return match.group(0)
        best = get_close_matches(word, _MONTH_NAMES, n=1, cutoff=0.8)
        return best[0] if best else match.group(0)

    return re.sub(r"[a-z]+", fixed, text, flags=re.I)


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


def age_today(date_of_birth: str | None) -> int | None:
    """The age of a patient with this stored date of birth (ISO), or None when not known."""
    if not date_of_birth:
        return None
    try:
        return age_on(date.fromisoformat(date_of_birth), date.today())
    except ValueError:
        return None


def format_date_for_patient(value: date) -> str:
    """14 March 1980."""
    return f"{value.day} {value:%B %Y}"
