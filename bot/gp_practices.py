"""The GP practices of the area (NHS ODS), and which one a patient's words name.

The snapshot in content/reference/gp_practices_qnc.csv (ODS `epraccur`, February 2023) is the
default; `GP_PRACTICES_FILE` names another file, either in the snapshot's layout (a header row:
ods_code, name, address, postcode, ...) or as ODS publishes `epraccur` (27 unnamed columns:
code 1, name 2, ICB 4, address 5-9, postcode 10, status 13, setting 26), of which the active GP
practices (setting 4) of the ICB (QNC) are kept. `snapshot()` says which file is in use.

`find(text)` reads an ODS code ("M83059"), a practice's name however it is typed ("abbots
bromley", "the alderwood practice"), or a hint by street, place or postcode ("the surgery on
Church Street in Rugeley"). It returns the one practice the words point to, and never guesses:
when two practices fit about as well, or the words are too few, it returns None.
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

from bot.content_store import load
from bot.paths import CONTENT
from bot.referral_fields import first_address_line

SNAPSHOT = CONTENT / "reference" / "gp_practices_qnc.csv"
ICB = "QNC"
ODS_CODE = re.compile(r"\b([a-z]\d{5})\b", re.IGNORECASE)
# Words every practice shares, or that say nothing of which one: never evidence on their own.
COMMON = frozenset(
    """
    surgery surgeries medical med centre center ctr practice prac practices health healthcare
    the group partnership clinic doctors doctor dr drs gp gps family primary care at on in of
    and my is it its im am registered with we our an to near by staffordshire stoke trent
    stoke-on-trent upon road rd street lane avenue close drive way house court hall place
    unit new st
    """.split()  # noqa: SIM905
)
POSTCODE = re.compile(r"\b([a-z]{1,2}\d[a-z\d]?)\s*(\d[a-z]{2})\b", re.IGNORECASE)
LEAST = 3.0  # the least score taken (a word 20 practices or fewer have)
MARGIN = 1.5  # and it must be this many times the second best
PLACE_WORD = 3  # a word more practices than this have is a place, not a name


@dataclass(frozen=True)
class Practice:
    ods_code: str
    name: str
    address: str
    postcode: str

    @property
    def place(self) -> str:
        """The last address part before the county: the town ("Rugeley")."""
        parts = [p.strip() for p in self.address.split(",") if p.strip()]
        towns = [p for p in parts if p.lower() not in ("staffordshire", "west midlands")]
        return towns[-1].title() if towns else ""

    @property
    def where(self) -> str:
        """The last two address parts before the county, the practice's own name left out:
        enough to tell apart practices of one big town ("Longton, Stoke On Trent")."""
        parts = [p.strip() for p in self.address.split(",") if p.strip()]
        places = [
            p.title()
            for p in parts
            if p.lower() not in ("staffordshire", "west midlands")
            and p.lower() != self.name.lower()
        ]
        return ", ".join(places[-2:])


def _title(text: str) -> str:
    return " ".join(word.capitalize() if word.isupper() else word for word in text.split())


def _read(path: Path) -> list[Practice]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if rows and rows[0][:2] == ["ods_code", "name"]:
        header = rows[0]
        return [
            Practice(row["ods_code"], row["name"], row["address"], row["postcode"])
            for row in (dict(zip(header, values, strict=False)) for values in rows[1:])
            if row.get("ods_code")
        ]
    practices = []
    for row in rows:  # ODS epraccur: 27 unnamed columns
        if len(row) < 26 or row[12] != "A" or row[25] != "4" or row[3] != ICB:
            continue
        address = ", ".join(_title(part) for part in row[4:9] if part.strip())
        practices.append(Practice(row[0], _title(row[1]), address, row[9]))
    return practices


def _source() -> Path:
    """The file in use: GP_PRACTICES_FILE, or the snapshot."""
    return Path(os.environ.get("GP_PRACTICES_FILE") or SNAPSHOT)


@cache
def practices() -> tuple[Practice, ...]:
    """The practices of the file in use (read once per process)."""
    return tuple(_read(_source()))


def snapshot() -> str:
    """Which file the practices come from, and how many it holds (for the logs)."""
    return f"{_source().name}: {len(practices())} GP practices"


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9']+", text.lower().replace("'s", "")) if len(w) > 1]


def _distinct(text: str) -> set[str]:
    return {w for w in _words(text) if w not in COMMON and not w.isdigit()}


def _run_together(text: str) -> set[str]:
    """Each two neighbouring distinct words of a name written as one, as patients type
    them ("peelcroft" for Peel Croft)."""
    words = _words(text)
    return {
        a + b
        for a, b in zip(words, words[1:], strict=False)
        if a not in COMMON and b not in COMMON and not (a.isdigit() or b.isdigit())
    }


@cache
def _index() -> tuple[tuple[Practice, frozenset[str], frozenset[str]], ...]:
    return tuple(
        (p, frozenset(_distinct(p.name) | _run_together(p.name)), frozenset(_distinct(p.address)))
        for p in practices()
    )


@cache
def _vocabulary() -> frozenset[str]:
    return frozenset(w for _, name, address in _index() for w in name | address)


@cache
def _known(word: str) -> frozenset[str]:
    """The practices' words this word is: itself, or one slip away in a word of 5+ letters;
    and, for a word of 5+ letters, the longer words it begins ("river": "Riverside")."""
    if len(word) < 5:
        return frozenset({word}) & _vocabulary()
    longer = {k for k in _vocabulary() if k.startswith(word)}
    if word in _vocabulary():
        return frozenset(longer | {word})
    slips = {
        k for k in _vocabulary() if len(k) >= 5 and SequenceMatcher(None, word, k).ratio() >= 0.85
    }
    return frozenset(longer | slips)


def scores(text: str) -> list[tuple[float, Practice]]:
    """How strongly the words point at each practice, best first. A word counts by how few
    practices have it (log N/n); twice in a practice's name when at most PLACE_WORD practices
    have it (more, and it is a town: "Cannock" alone names no practice); the full postcode
    counts as a word only that practice has."""
    index = _index()
    total = [0.0] * len(index)
    for word in _distinct(text):
        known = _known(word)
        hits = [i for i, (_, name, address) in enumerate(index) if known & (name | address)]
        if not hits:
            continue
        weight = math.log(len(index) / len(hits))
        for i in hits:
            in_name = bool(known & index[i][1])
            total[i] += weight * (2 if in_name and len(hits) <= PLACE_WORD else 1)
    postcode = POSTCODE.search(text)
    if postcode:
        said = "".join(postcode.groups()).upper()
        for i, (practice, _, _) in enumerate(index):
            if practice.postcode.replace(" ", "") == said:
                total[i] += math.log(len(index))
    return sorted(zip(total, (p for p, _, _ in index), strict=True), key=lambda pair: -pair[0])


_COUNTIES = frozenset({"staffordshire", "cheshire", "shropshire", "derbyshire", "west midlands"})


@cache
def _towns() -> frozenset[str]:
    """The words of the towns the practices are in (an address's last part before the
    county): "cannock", "leek", "burton"..."""
    words: set[str] = set()
    for practice in practices():
        parts = [part.strip().lower() for part in practice.address.split(",") if part.strip()]
        if len(parts) >= 2 and parts[-1] in _COUNTIES:
            parts = parts[:-1]
        words |= {word for word in re.findall(r"[a-z]+", parts[-1]) if len(word) >= 4}
    # parts of town names that are everyday words ("Newcastle-under-Lyme", "Market Drayton")
    return frozenset(words - {"under", "great", "market", "bridge", "staffs"})


def _towns_named(text: str | None) -> set[str]:
    """The words of the practices' towns that the text names."""
    return set(re.findall(r"[a-z]+", (text or "").lower())) & _towns()


def gives_a_hint(text: str) -> bool:
    """A town of the practices named with "I don't know" ("dunno the one in cannock town
    centre"): a hint to look up and keep, not a decline (it was stored as not given: a blind
    usability test). Not any word of a practice's name ("no idea, my wife sorts all that" is
    not All Saints Surgery)."""
    return bool(_towns_named(text))


_STREET = re.compile(r"\b(?:road|rd|street|st|lane|avenue|way|drive|close|place|square)\b", re.I)


@cache
def _localities(practice: Practice) -> frozenset[str]:
    """The words of the places in a practice's address, not of its street or building: Leek
    New Road is in Stoke-on-Trent, Wharf Road in Biddulph."""
    parts = [part.strip() for part in practice.address.split(",")][1:]
    return frozenset(
        word
        for part in parts
        if not _STREET.search(part)
        for word in re.findall(r"[a-z]+", part.lower())
    )


def _in_the_town_named(
    text: str, ranked: list[tuple[float, Practice]]
) -> list[tuple[float, Practice]]:
    """The ranking kept to the practices in the town the words name, when they name one: "the
    surgery by the river in Tamworth" is not Dove River, in Derbyshire, though its name has
    "river" (a blind usability test stored it with no check)."""
    named = _towns_named(text)
    if not named:
        return ranked
    return [(score, practice) for score, practice in ranked if named & _localities(practice)]


def _says(word: str, typed: list[str]) -> bool:
    """The word is among those typed, or one slip away in a word of 5+ letters."""
    return word in typed or (
        len(word) >= 5
        and any(len(t) >= 5 and SequenceMatcher(None, word, t).ratio() >= 0.85 for t in typed)
    )


def _whole_name(text: str) -> Practice | None:
    """The practice whose whole name the words give, every word of it ("Leek Health
    Centre", even as "Leek Heallth Centre"), when it has two or more words and no other
    practice's whole name given is as long: "Biddulph Valley Surgery" is not "Biddulph
    Doctors", though both are in Biddulph."""
    typed = _words(text)
    given = [
        (len(words), p)
        for p in practices()
        if len(words := _words(p.name)) >= 2 and all(_says(word, typed) for word in words)
    ]
    given.sort(key=lambda pair: -pair[0])
    if given and (len(given) == 1 or given[0][0] > given[1][0]):
        return given[0][1]
    return None


def named_by(text: str) -> Practice | None:
    """The practice found when every word typed is a word of its name ("Trentham mews" for
    Trentham Mews Medical Centre), else None: "all booked up" or "miles away" find none."""
    practice = find(text)
    if practice is None:
        return None
    name = _words(practice.name)
    return practice if all(_says(word, name) for word in _words(text)) else None


def named(text: str) -> Practice | None:
    """The practice the words name for sure: by its ODS code (a button), its whole name, or
    only words of its name; else None, though `find` may still point at one by its place or
    street, which the patient is asked to confirm."""
    code = ODS_CODE.search(text or "")
    if code and any(p.ods_code == code.group(1).upper() for p in practices()):
        return find(text)
    return _whole_name(text or "") or named_by(text or "")


def find(text: str) -> Practice | None:
    """The one practice the words name, or None when none or several fit."""
    code = ODS_CODE.search(text or "")
    if code:
        found = [p for p in practices() if p.ods_code == code.group(1).upper()]
        if found:
            return found[0]
    whole = _whole_name(text or "")
    if whole is not None:
        return whole
    ranked = _in_the_town_named(text or "", scores(text or ""))
    if not ranked or ranked[0][0] < LEAST:
        return None
    best, second = ranked[0][0], (ranked[1][0] if len(ranked) > 1 else 0.0)
    if best >= MARGIN * second and best - second >= LEAST / 2:
        return ranked[0][1]
    if len(ranked) > 1 and _names_more(text or "", ranked[0][1], ranked[1][1]):
        return ranked[0][1]
    return None


@cache
def _words_of() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Each practice's name words and address words, by ODS code."""
    return {p.ods_code: (name, address) for p, name, address in _index()}


def _names_more(text: str, first: Practice, second: Practice) -> bool:
    """The words fit the first practice's name in every way they fit the second, and more:
    "biddulph, the valley one" is Biddulph Valley Surgery, not Biddulph Doctors."""
    name_1, address_1 = _words_of()[first.ods_code]
    name_2, address_2 = _words_of()[second.ods_code]
    fits_1 = {w for w in _distinct(text) if _known(w) & (name_1 | address_1)}
    fits_2 = {w for w in _distinct(text) if _known(w) & (name_2 | address_2)}
    in_name_1 = {w for w in fits_1 if _known(w) & name_1}
    return fits_2 < fits_1 and bool((fits_1 - fits_2) & in_name_1)


MOST_OFFERED = 3


# Words said around a town alone ("the one in Cannock town centre", "the local one").
_AROUND_A_TOWN = frozenset(
    [
        "one",
        "ones",
        "town",
        "centre",
        "center",
        "local",
        "main",
        "big",
        "there",
        "think",
        "dunno",
        "know",
        "sure",
        "not",
    ]
)


def town_with_many(text: str) -> tuple[str, int] | None:
    """(the town, how many practices it has) when the words name a town with more practices
    than are offered as buttons ("Cannock"): the patient is asked for the name or the street,
    not told the town could not be found."""
    named = _towns_named(text)
    if not named or _distinct(text or "") - named - _AROUND_A_TOWN:
        return None  # more than a town: "the Example Medical Practice in Stafford"
    for town in sorted(named):
        count = sum(1 for p in practices() if town in _localities(p))
        if count > MOST_OFFERED:
            return town.title(), count
    return None


def candidates(text: str) -> list[Practice]:
    """When the words fit two or three practices about equally ("the health centre in
    Hanley"), those practices, to offer as "Did you mean ...?"; otherwise none (one is
    `find`'s answer; four or more is no help as buttons)."""
    ranked = _in_the_town_named(text or "", scores(text or ""))
    if not ranked or ranked[0][0] < LEAST:
        return []
    close = [practice for score, practice in ranked if score >= ranked[0][0] - LEAST / 2]
    return close if 2 <= len(close) <= MOST_OFFERED else []


NONE_OF_THESE = "none of these"  # the value of the "None of these" / "Keep what I typed" button


# Whole answers that keep the practice as typed at "Did you mean ...?" or "I could not find
# it": a plain yes (it is right as typed) or no (none of these). Not "please" or "no idea".
_KEEP_ANSWERS = frozenset(
    {"yes", "yeah", "yep", "y", "correct", "that's right", "thats right", "that's correct",
     "it's right", "its right", "no", "nope", "n", "none", "none of them", "none of those",
     "neither", "neither of them"}
)  # fmt: skip


def keeps_as_typed(words: str | None) -> bool:
    """The answer to "Did you mean ...?" or "I could not find it" keeps the practice as typed:
    the button's value ("none of these"), its words typed ("Keep what I typed", "keep it"), or
    a plain yes or no as the whole answer (never a practice called "no"). "No, it's ..." is an
    answer, not a keep."""
    said = " ".join((words or "").lower().replace("\u2019", "'").split()).strip(" .!")
    return said == NONE_OF_THESE or said in _KEEP_ANSWERS or is_keep_words(said)


def is_keep_words(words: str | None) -> bool:
    """ "Keep what I typed", "keep it", "keep that": the keep button's words, typed."""
    said = " ".join((words or "").lower().split())
    return said == "keep" or said.startswith("keep ")


def _plain(text: str) -> str:
    """Lower case, apostrophes dropped, other marks as spaces: "Don’t have a GP!" reads as
    "dont have a gp"."""
    text = re.sub(r"['’]", "", text.lower())
    return " ".join(re.sub(r"[^\w ]", " ", text).split())


def not_registered(words: str | None) -> bool:
    """The whole answer says the patient is registered with no GP practice ("I'm not
    registered with a GP at the moment", "dont have a doctor", "No GP"): one of
    `not_registered_with_a_gp` in content/eligibility.yml, with only an opening "no", "I'm"
    or "I've" and closing words of `not_registered_trailers` around it."""
    rules = load("eligibility")
    said = _plain(words or "")
    trailers = sorted((_plain(t) for t in rules["not_registered_trailers"]), key=len, reverse=True)
    while ending := next((t for t in trailers if said.endswith(f" {t}")), None):
        said = said[: -len(ending) - 1]
    opening = r"^(?:no |nope )?(?:im |i am |ive |i have |i )?(?:currently |just )?"
    phrases = {_plain(phrase) for phrase in rules["not_registered_with_a_gp"]}
    return said in phrases or re.sub(opening, "", said) in phrases


# Words that say a GP practice is named in an answer to another question.
_PRACTICE_WORDS = re.compile(
    r"\b(?:surgery|practice|medical|health cent(?:re|er)|doctors|gp)\b", re.I
)


def names_a_practice_kind(text: str) -> bool:
    """The words say what kind of place it is ("the medical centre", "the surgery")."""
    return _PRACTICE_WORDS.search(text) is not None


# Words that say the next name is the patient's practice without naming a kind of place:
# "I'm with Rising Brook", "registered at Moss Street", "we're with ...".
_REGISTERED_WITH = re.compile(
    r"\b(?:i'?m|i am|we'?re|we are|registered|still)\s+(?:with|at)\b", re.I
)


def said_with_the_address(text: str) -> Practice | None:
    """The one practice named, after practice words or "I'm with", in the answer to the
    address question ("..., I'm with Moss Street Surgery", "... and I'm with Rising Brook");
    the postcode and the first line are left out first."""
    registered = _REGISTERED_WITH.search(text)
    if registered:
        named = find(POSTCODE.sub(" ", text[registered.end() :]))
        if named:
            return named
    if _PRACTICE_WORDS.search(text) is None:
        return None
    rest = POSTCODE.sub(" ", text)
    line = first_address_line(text)
    return find(rest.replace(line, " ") if line else rest)
