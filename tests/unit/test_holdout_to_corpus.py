"""A used hold-out set joins the corpus with every category and level mapped to a real flag."""

from __future__ import annotations

import pytest

from bot.red_flag_catalogue import load
from scripts.holdout_to_corpus import ONE_FLAG, flag_id


@pytest.mark.parametrize(("category", "level"), sorted(ONE_FLAG))
def test_each_category_and_level_maps_to_a_catalogue_flag_of_that_category_and_level(
    category, level
):
    flag = load().flags[flag_id(category, level, "any words")]
    # The catalogue has no urgent cord-compression flag of its own: a cancer history with new
    # back pain (cancer_history, urgent) is that flag.
    expected_category = (
        "cancer" if (category, level) == ("cord_compression", "urgent") else category
    )
    assert (flag.category, flag.level) == (expected_category, level)


@pytest.mark.parametrize(
    ("category", "level", "text", "expected"),
    [
        ("cancer", "urgent", "my trousers are falling off me", "weight_loss"),
        ("cancer", "urgent", "had chemo two years ago, now my back hurts", "cancer_history"),
        ("cancer", "soon", "it never eases at night whatever I do", "night_pain"),
        ("cancer", "soon", "I'm 72 and this back pain is new", "new_back_pain_age"),
        ("non_msk_emergency", "emergency", "crushing pain in my chest", "chest_pain"),
        ("non_msk_emergency", "emergency", "my face has dropped", "stroke"),
        ("non_msk_emergency", "emergency", "I can hardly breathe", "breathless"),
        ("non_msk_emergency", "emergency", "I've been stabbed", "other_emergency"),
        ("none", "none", "left knee", "none"),
    ],
)
def test_categories_with_several_flags_at_one_level_are_told_apart_by_the_words(
    category, level, text, expected
):
    assert flag_id(category, level, text) == expected
    if expected != "none":
        assert load().flags[expected].level == level


def test_an_unknown_category_is_refused_not_guessed():
    with pytest.raises(ValueError):
        flag_id("gout", "urgent", "my toe")
