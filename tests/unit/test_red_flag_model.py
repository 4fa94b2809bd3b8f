"""The learned red-flag detector: its corpus, its decisions and its n-gram shortcut."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from bot.nlu.red_flag_model import (
    NONE,
    RedFlagModel,
    assessments,
    read_corpus,
    training_examples,
)
from bot.red_flag_catalogue import CATEGORIES, load

TINY = [
    ("I keep wetting myself and my bum is numb", "cauda_equina"),
    ("can't feel the paper when I wipe", "cauda_equina"),
    ("numb between my legs since yesterday", "cauda_equina"),
    ("I took 30 paracetamol", "mental_health_crisis"),
    ("I want to end it all tonight", "mental_health_crisis"),
    ("I've saved up my tablets to take them all", "mental_health_crisis"),
    ("my knee hurts on the stairs", NONE),
    ("about three weeks", NONE),
    ("I work in a warehouse", NONE),
    ("my shoulder is stiff", NONE),
]


@pytest.fixture(scope="module")
def tiny_model() -> RedFlagModel:
    texts, labels = zip(*TINY, strict=True)
    return RedFlagModel({"words_clear": 0.0}).fit(list(texts), list(labels))


def test_the_corpus_covers_every_category_with_catalogue_ids_and_hard_negatives():
    texts, labels = read_corpus()
    flags = load().flags
    assert set(labels) - {NONE} <= set(flags)
    categories = Counter(flags[label].category for label in labels if label != NONE)
    assert set(categories) == set(CATEGORIES)
    assert labels.count(NONE) >= 300
    assert len(texts) == len(labels)


def test_the_nlu_examples_of_other_intents_are_negatives_without_repeats():
    texts, labels = training_examples()
    assert len({t.lower() for t in texts}) == len(texts)
    assert "my knee" in {t.lower() for t, label in zip(texts, labels, strict=True) if label == NONE}


def test_a_broken_corpus_line_is_refused_with_its_place(tmp_path):
    (tmp_path / "bad.jsonl").write_text(json.dumps({"text": "x"}) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        read_corpus(tmp_path)


def test_the_model_flags_asks_or_clears_by_the_probability_of_any_flag():
    classes = ["cauda_equina", NONE, "night_pain"]
    rows = np.array([[0.9, 0.05, 0.05], [0.3, 0.5, 0.2], [0.01, 0.98, 0.01]])
    config = {"escalate_at": 0.8, "ask_from": 0.35, "escalate_sure_at": 0.92}
    decided = assessments(rows, classes, config)
    assert [(a.decision, a.flag_id, a.sure) for a in decided] == [
        ("flag", "cauda_equina", True),
        ("ask", "cauda_equina", False),
        ("clear", None, False),
    ]


def test_a_fitted_model_tells_a_red_flag_from_an_ordinary_answer(tiny_model):
    flagged, ordinary = tiny_model.assess(["I wet myself and my bum feels numb", "three weeks"])
    assert flagged.flag_id == "cauda_equina" and flagged.probability > ordinary.probability
    assert ordinary.decision == "clear"


def test_the_ngram_shortcut_only_clears_what_the_full_model_would_also_clear(tiny_model):
    texts = [text for text, _ in TINY] + ["my back aches", "I took 40 co-codamol"]
    full = tiny_model.probabilities(texts)
    shortcut = RedFlagModel({"words_clear": 0.02})
    shortcut.use(tiny_model.model, tiny_model.words_model)
    none = tiny_model.classes.index(NONE)
    quick = shortcut.probabilities(texts)
    for row_full, row_quick in zip(full, quick, strict=True):
        if 1 - row_quick[none] >= 0.02:  # went through the full model
            assert np.allclose(row_full, row_quick)
