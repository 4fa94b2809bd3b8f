"""make eval's folds repeat: Rasa's fold split draws from NumPy's global generator, seeded."""

from __future__ import annotations

import numpy as np
from rasa.nlu.test import generate_folds
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from scripts.nlu_cross_validation import FOLD_SEED


def fold_texts(seed: int) -> list[list[str]]:
    examples = [
        Message(data={TEXT: f"example {i}", INTENT: ("affirm", "deny", "greet")[i % 3]})
        for i in range(30)
    ]
    np.random.seed(seed)
    folds = generate_folds(3, TrainingData(training_examples=examples))
    return [sorted(m.get(TEXT) for m in test.intent_examples) for _, test in folds]


def test_the_same_seed_gives_the_same_folds_and_another_seed_other_folds():
    assert fold_texts(FOLD_SEED) == fold_texts(FOLD_SEED)
    assert fold_texts(FOLD_SEED) != fold_texts(FOLD_SEED + 1)
