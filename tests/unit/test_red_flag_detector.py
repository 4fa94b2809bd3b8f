"""The red-flag detector against the real catalogue: rules, context handling, and the lay set.

tests/red_flag_utterances.yml was written from ../shared/FACTS.md independently of the
catalogue's phrases. Every positive must be found at its level or higher; specificity over
the negatives must be at least 95%.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from bot.red_flag_catalogue import LEVEL_RANK, CatalogueError, check, load, parse
from bot.red_flag_detector import RedFlagDetector, default_detector
from scripts.layout import ROOT

UTTERANCES = yaml.safe_load((ROOT / "tests" / "red_flag_utterances.yml").read_text())
MIN_SPECIFICITY = 0.95


@pytest.fixture(scope="module")
def detector() -> RedFlagDetector:
    return default_detector()


def top_level(detector: RedFlagDetector, text: str) -> str | None:
    hits = detector.detect(text)
    return hits[0].level if hits else None


def test_catalogue_passes_its_schema_and_covers_every_category():
    raw = yaml.safe_load(Path("content/red_flags.yml").read_text())
    assert check(raw) == []
    catalogue = load()
    categories = {flag.category for flag in catalogue.flags.values()}
    assert categories >= {p["category"] for p in UTTERANCES["positives"]}


def test_a_broken_catalogue_is_refused_with_the_reason():
    raw = yaml.safe_load(Path("content/red_flags.yml").read_text())
    raw["red_flags"][0]["level"] = "whenever"
    raw["red_flags"][1]["patterns"] = [{"together": ["no_such_concept"], "within": 3}]
    problems = check(raw)
    assert any("level" in problem for problem in problems)
    raw["red_flags"][0]["level"] = "emergency"
    with pytest.raises(CatalogueError, match="unknown concept no_such_concept"):
        parse(raw)


def test_every_area_is_screened_before_personal_details_most_serious_first():
    catalogue = load()
    for area in ("back", "neck", "knee", "shoulder", "several"):
        questions = catalogue.screening_for(area)
        assert questions, area
        ranks = [LEVEL_RANK[flag.level] for flag in questions]
        assert ranks == sorted(ranks, reverse=True)
    assert catalogue.screening_for("back")[0].id == "cauda_equina"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I cant feel it when I wipe my bum", "emergency"),
        ("I have no numbness but I've wet myself twice this week", "emergency"),
        ("No, I can't feel anything down below", "emergency"),
        ("my mum had cancer and now I've got a lump and lost 2 stone without trying", "urgent"),
        ("had a temprature all week and my back is agony", "urgent"),
        ("I've got numbess in my groin", "emergency"),
        ("I want to end it all", "emergency"),
        # Contractions typed without an apostrophe keep their meaning.
        ("I didnt feel the wee come out and my back is bad", "emergency"),
        ("lower back hurts all night, it doesnt ease whatever position i lie in", "soon"),
        # "no injury" says how it started; it does not deny what follows.
        ("no injury, just woke up with numbness between my legs", "emergency"),
        # A question from someone who may have the symptom stays flagged.
        ("what would it mean if my bum has gone numb?", "emergency"),
    ],
)
def test_asserted_flags_are_found_despite_negation_elsewhere_and_spelling(detector, text, level):
    assert top_level(detector, text) == level


@pytest.mark.parametrize(
    "text",
    [
        "no numbness or tingling anywhere",
        "I've never had cancer",
        "my mum had breast cancer",
        "my dad had a stroke last year",
        "what should I do if I get numbness down below?",
        "the bottom of my foot is numb",
        "a hot water bottle helps the swelling",
        "I don't want to die from this, I just want it fixed",
        "this pain is killing me",
        "no problems with my bladder or bowels",
        "can a stiff neck ever be meningitis or cancer",
        "are night sweats something to worry about",
        "when is numbness in the legs serious",
        "a fella at work was off for weeks after back surgery",
    ],
)
def test_negated_third_party_and_hypothetical_mentions_do_not_escalate(detector, text):
    assert detector.detect(text) == []


def test_lay_red_flags_are_all_found_at_their_level_or_higher(detector):
    missed = defaultdict(list)
    found = Counter()
    for item in UTTERANCES["positives"]:
        level = top_level(detector, item["text"])
        if level and LEVEL_RANK[level] >= LEVEL_RANK[item["level"]]:
            found[item["category"]] += 1
        else:
            missed[item["category"]].append((item["text"], item["level"], level))
    assert len(UTTERANCES["positives"]) >= 150
    assert not missed, dict(missed)


def test_ordinary_negated_and_third_party_messages_keep_specificity(detector):
    false_alarms = [
        (item["text"], [hit.id for hit in detector.detect(item["text"])])
        for item in UTTERANCES["negatives"]
        if detector.detect(item["text"])
    ]
    total = len(UTTERANCES["negatives"])
    assert total >= 100
    specificity = 1 - len(false_alarms) / total
    assert specificity >= MIN_SPECIFICITY, false_alarms


@pytest.mark.parametrize(
    "text",
    [
        "my foot went numb from sitting on it",
        "my leg went dead from sitting on it at my desk",
        "my legs feel heavy after a long shift",
        "legs feel heavy at the end of the day, knees ache",
    ],
)
def test_a_limb_numb_or_heavy_from_how_the_person_sat_or_worked_is_no_flag(detector, text):
    """ "sit on" names the saddle area ("the bit I sit on"); here it is how a foot went numb
    (a blind usability tester's referral was stopped as cauda equina)."""
    assert detector.detect(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I can't feel the bit I sit on and my legs are heavy",
        "my legs feel heavy and I've wet myself",
        "numb where I sit on the toilet and both legs weak",
    ],
)
def test_saddle_numbness_and_heavy_legs_still_escalate_with_those_words_near(detector, text):
    assert [hit.id for hit in detector.detect(text)][:1] == ["cauda_equina"]


@pytest.mark.parametrize(
    "text",
    [
        "paracetamol, lost a stone in weight",  # a diet for a hip (a blind usability test)
        "my mum had cancer and now I've got a lump and lost 2 stone",
    ],
)
def test_an_amount_of_weight_lost_without_saying_if_it_was_meant_is_asked_not_raised(text):
    found = default_detector().analyse(text)
    assert found.hits == [] and [hit.id for hit in found.unsure] == ["weight_loss"]


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("lost 2 stone not trying, back aches", "weight_loss"),
        ("im 17 and i cut last night and today. my back hurts from sport", "mental_health_crisis"),
        ("I've started cutting again because of the pain", "mental_health_crisis"),
        ("took a box of paracetamol on purpose", "mental_health_crisis"),
    ],
)
def test_flags_said_in_the_words_of_blind_hold_out_lines_are_raised(text, flag):
    assert flag in [hit.id for hit in default_detector().detect(text)]


@pytest.mark.parametrize(
    "text",
    [
        "I've been cutting weight for a boxing bout, lost 6kg on purpose, now my wrist hurts",
        "I sat on my foot till it went dead to show my kids what pins and needles feel like",
        "Mon back went. Tue a bit better. At no point any numbness or trouble with the toilet.",
    ],
)
def test_ordinary_words_of_blind_hold_out_negatives_raise_nothing(text):
    assert default_detector().detect(text) == []
