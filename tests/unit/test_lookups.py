"""The NLU's word lists and patterns are up to date with the vocabulary and match as meant."""

from __future__ import annotations

import re

import yaml

from scripts import build_lookups


def test_the_lookup_file_is_regenerated_from_the_current_vocabulary():
    assert build_lookups.OUTPUT.read_text() == build_lookups.render(), (
        "bot/data/nlu_lookups.yml is out of date: run `python -m scripts.build_lookups`"
    )


def test_every_body_area_word_and_field_synonym_is_listed():
    lists = build_lookups.lookups()
    vocabulary = yaml.safe_load(build_lookups.VOCABULARY.read_text())
    assert set(vocabulary["body_areas"]["wrist_hand"]["words"]) <= set(lists["body_area_words"])
    assert {"surname", "dob", "mobile", "postcode", "nhs number"} <= set(lists["field_words"])


def find(name: str, text: str) -> str | None:
    match = re.search(build_lookups.PATTERNS[name], text, re.IGNORECASE)
    return match.group(0) if match else None


def test_duration_pattern_covers_the_answer_formats_and_nothing_else():
    for text, expected in [
        ("about a fortnight", "a fortnight"),
        ("a year and a half now", "a year and a half"),
        ("2 and a half years", "2 and a half years"),
        ("for a couple of weeks", "a couple of weeks"),
        ("6wks", "6wks"),
        ("Three Months", "Three Months"),
    ]:
        assert find("duration_phrase", text) == expected, text
    for text in ("my knee", "7/10", "a dayroom", "twelve"):
        assert find("duration_phrase", text) is None, text


def test_score_pattern_reads_a_number_out_of_ten():
    for text, expected in [
        ("a good 7/10", "7/10"),
        ("6 out of 10", "6 out of 10"),
        ("10/10", "10/10"),
    ]:
        assert find("score_out_of_ten", text) == expected, text
    for text in ("11/10", "07/10/1980", "3 months"):
        assert find("score_out_of_ten", text) is None, text
