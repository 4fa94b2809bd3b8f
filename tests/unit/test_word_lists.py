"""Clinician-kept word lists match whole words, the longest phrase first, in normalised text."""

from bot.word_lists import normalised, phrase_pattern


def test_the_longest_phrase_wins_and_only_whole_words_match():
    pattern = phrase_pattern(["number", "nhs number", "uni"])
    assert pattern.findall(normalised("My NHS  number is wrong")) == ["nhs number"]
    assert pattern.findall("i go to university") == []
    assert pattern.findall("at uni") == ["uni"]


def test_text_is_lower_case_with_plain_apostrophes_and_single_spaces():
    assert normalised("  Can\u2019t   WORK ") == "can't work"
    assert normalised(None) == ""
