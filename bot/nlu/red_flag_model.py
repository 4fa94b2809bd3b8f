"""The learned red-flag detector: a second, independent way to notice a red flag.

A class-balanced logistic regression over TF-IDF word (1-2) and character (2-5) n-grams and
the sentence encoder's meaning features (the same feature set as the intent classifier),
trained on the red-flag corpus (`bot/data/red_flag_corpus/`: lay descriptions of every flag
and hard negatives, written by people who had not seen the catalogue) plus the NLU examples
of every other intent as negatives. It predicts a catalogue flag id or `none`.

It only ever adds. When the probability that a message carries any flag (1 - P(none)) is at
or above `escalate_at`, an emergency flag is raised at once and an urgent or soon one gets a
yes/no check question (at or above `escalate_sure_at`, with no context cue in the message, it
is raised at once too); from `ask_from` up to that, the assistant asks about the most likely
flag. It never removes a rule hit (`decide` in bot/nlu/red_flag_classifier.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline, make_union

from bot import paths
from bot.nlu.text_intent_classifier import LeanPredictor, SentenceFeatures

ROOT = paths.ROOT
CORPUS_DIR = ROOT / "bot" / "data" / "red_flag_corpus"
NLU_DIR = ROOT / "bot" / "data"
NONE = "none"
# Examples of these intents are not negatives: they may describe red flags.
NOT_NEGATIVE_INTENTS = {"red_flag", "red_flag_check"}

DEFAULTS: dict[str, Any] = {
    "word_ngrams": [1, 2],
    "char_ngrams": [2, 5],
    # Character n-grams seen in only one example are left out: a fifth of the training time.
    "char_min_df": 2,
    "C": 2.0,
    "sentence_weight": 1.0,
    "neighbour_weight": 1.0,
    "max_iter": 3000,
    "random_state": 2026,
    # Thresholds on P(any flag), chosen from cross-validation (make eval; docs/evaluation.md).
    "escalate_at": 0.9,
    "ask_from": 0.7,
    # So sure of an urgent or soon flag, with no context cue in the message, that it escalates
    # without a check question first (cross-validated: +4 points escalated at the right
    # level, +0.1 point negatives escalated; docs/evaluation.md).
    "escalate_sure_at": 0.97,
    # A message the n-grams alone give P(any flag) below this is clear without the sentence
    # encoder (its CPU is most of the cost); 0 sends every message through the full model.
    "words_clear": 0.02,
}


@dataclass(frozen=True)
class Assessment:
    """The learned detector's view of one message."""

    flag_id: str | None  # the most likely flag (None when no flag is likely at all)
    probability: float  # P(any flag) = 1 - P(none)
    decision: str  # "flag", "ask" or "clear"
    sure: bool = False  # P(any flag) >= escalate_sure_at: escalate even below emergency


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    """The corpus files, in a stable order (their content is part of the model's fingerprint)."""
    return sorted(directory.glob("*.jsonl"))


def read_corpus(directory: Path = CORPUS_DIR) -> tuple[list[str], list[str]]:
    """(texts, labels) of every corpus line; a label is a flag id or `none`."""
    texts, labels = [], []
    for path in corpus_files(directory):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text, label = item["text"].strip(), item["label"]
            except (ValueError, KeyError, AttributeError) as error:
                raise ValueError(f"{path.name}:{number}: not a corpus line ({error})") from error
            if text:
                texts.append(text)
                labels.append(label)
    return texts, labels


def nlu_negatives(directory: Path = NLU_DIR) -> list[str]:
    """Every NLU example of the other intents (as Rasa reads them): what patients say that
    is not a red flag. The Rasa component takes the same from its training data."""
    examples = [
        m
        for path in sorted(directory.glob("nlu*.yml"))
        for m in load_data(str(path)).intent_examples
    ]
    return [
        m.get(TEXT) for m in examples if m.get(TEXT) and m.get(INTENT) not in NOT_NEGATIVE_INTENTS
    ]


def training_examples(
    corpus: Path = CORPUS_DIR, nlu: Path = NLU_DIR
) -> tuple[list[str], list[str]]:
    """The corpus plus the NLU examples as negatives, each text once (its first label)."""
    texts, labels = read_corpus(corpus)
    return without_repeats(texts + nlu_negatives(nlu), labels + [NONE] * len(nlu_negatives(nlu)))


def without_repeats(texts: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    """Each text (ignoring case) once, with the label it first came with."""
    seen: set[str] = set()
    kept_texts, kept_labels = [], []
    for text, label in zip(texts, labels, strict=True):
        if text.lower() not in seen:
            seen.add(text.lower())
            kept_texts.append(text)
            kept_labels.append(label)
    return kept_texts, kept_labels


class RedFlagModel:
    """Fit, keep and apply the learned red-flag detector."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = {**DEFAULTS, **(config or {})}
        self.model: Pipeline | None = None
        self.words_model: Pipeline | None = None
        self._predictor: LeanPredictor | None = None
        self._words: LeanPredictor | None = None

    def new_pipeline(self) -> Pipeline:
        """Unfitted n-gram and meaning features with the classifier."""
        config = self.config
        features = make_union(
            TfidfVectorizer(ngram_range=tuple(config["word_ngrams"]), sublinear_tf=True),
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=tuple(config["char_ngrams"]),
                sublinear_tf=True,
                min_df=config["char_min_df"],
            ),
            SentenceFeatures(config["sentence_weight"], config["neighbour_weight"]),
        )
        classifier = LogisticRegression(
            C=config["C"],
            max_iter=config["max_iter"],
            class_weight="balanced",
            random_state=config["random_state"],
        )
        return make_pipeline(features, classifier)

    def fit(self, texts: list[str], labels: list[str]) -> RedFlagModel:
        """Fit on these examples (labels: flag ids and `none`)."""
        if NONE not in labels or len(set(labels)) < 2:
            raise ValueError("the red-flag model needs negatives and at least one flag")
        model = self.new_pipeline().fit(texts, labels)
        self.use(model, self._words_model_from(model, texts, labels))
        return self

    def _words_model_from(self, model: Pipeline, texts: list[str], labels: list[str]) -> Pipeline:
        """A regression on the full model's own fitted n-gram vectorizers (shared, not copied)."""
        union = model.steps[0][1]
        words = FeatureUnion(
            [(n, part) for n, part in union.transformer_list if isinstance(part, TfidfVectorizer)]
        )
        classifier = model.steps[-1][1]
        fitted = LogisticRegression(**classifier.get_params()).fit(words.transform(texts), labels)
        return Pipeline([("featureunion", words), ("logisticregression", fitted)])

    def use(self, model: Pipeline, words_model: Pipeline | None = None) -> None:
        """Predict with these fitted pipelines from now on (the n-gram one first, if any)."""
        self.model, self.words_model = model, words_model
        self._predictor = LeanPredictor(model)
        self._words = LeanPredictor(words_model) if words_model is not None else None
        if self._words is not None and list(self._words.classes_) != list(self._predictor.classes_):
            raise ValueError("the n-gram model and the full model must know the same labels")

    @property
    def classes(self) -> list[str]:
        """The labels the model knows, in the order of its probabilities."""
        if self._predictor is None:
            raise RuntimeError("the red-flag model is not fitted")
        return [str(label) for label in self._predictor.classes_]

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row of label probabilities per text, columns in `classes` order."""
        if self._predictor is None:
            raise RuntimeError("the red-flag model is not fitted")
        if self._words is None or not self.config["words_clear"]:
            return self._predictor.predict_proba(texts)
        probabilities = self._words.predict_proba(texts)
        none = self.classes.index(NONE)
        unsure = np.flatnonzero(1.0 - probabilities[:, none] >= self.config["words_clear"])
        if len(unsure):
            probabilities[unsure] = self._predictor.predict_proba([texts[i] for i in unsure])
        return probabilities

    def assess(self, texts: list[str]) -> list[Assessment]:
        """The decision for each text: flag, ask or clear."""
        if not texts:
            return []
        return assessments(self.probabilities(texts), self.classes, self.config)


def assessments(
    probabilities: np.ndarray, classes: list[str], config: dict[str, Any]
) -> list[Assessment]:
    """Decisions from probability rows (also used by make eval on cross-validated rows)."""
    none = classes.index(NONE)
    flags = [i for i in range(len(classes)) if i != none]
    result = []
    for row in probabilities:
        p_flag = float(1.0 - row[none])
        top = flags[int(np.argmax(row[flags]))]
        if p_flag >= config["escalate_at"]:
            decision = "flag"
        elif p_flag >= config["ask_from"]:
            decision = "ask"
        else:
            decision = "clear"
        sure = p_flag >= config["escalate_sure_at"]
        flag_id = classes[top] if decision != "clear" else None
        result.append(Assessment(flag_id, p_flag, decision, sure))
    return result
