"""Rasa NLU graph component: intents from the words, characters and meaning of the text.

Patients write short messages, with misspellings and few words in common between examples
of one intent. The features are sublinear TF-IDF over words (1-2) and characters within
words (2-5), which catch wording and misspellings, and the meaning features of
`SentenceFeatures` (a sentence embedding, and the nearest training example of each intent),
which catch the same request in other words ("cya" and "bye for now"). A class-balanced
logistic regression reads them all. In 3-fold cross-validation of our examples (scikit-learn,
two fold seeds), intent macro F1 went from 0.894 and 0.892 with the n-grams alone to 0.952
and 0.954 with meaning; docs/evaluation.md has the make eval figures. The encoder costs
about 14 ms of CPU a message, so a word-only regression reads each message first and only
the messages it is unsure of go on to the full model (CascadePredictor). It reads the
message text only, so it needs no featurizer before it.
"""

from __future__ import annotations

import itertools
from typing import Any

import joblib
import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline, make_union
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from bot.dialogue.digression_answers import QUESTION_INTENTS
from bot.message_parts import question_parts
from bot.nlu.sentence_encoder import DIMENSIONS, shared_encoder

MODEL_FILE = "text_intent_classifier.joblib"
RANKING_LENGTH = 10


class SentenceFeatures(BaseEstimator, TransformerMixin):
    """Meaning features: the encoder's features, and the nearest example of each intent.

    The sentence embedding (bot/nlu/sentence_encoder.py) places texts with the same meaning
    close together even when they share no words; the encoder's middle layer adds more of the
    wording. For each intent, a feature is the cosine similarity of the sentence embeddings
    to the closest training example of that intent; on the training examples themselves the
    example is left out, so the classifier learns how far to trust a near neighbour rather
    than that every example is its own neighbour.
    """

    def __init__(self, weight: float = 1.0, neighbour_weight: float = 1.0) -> None:
        self.weight = weight
        self.neighbour_weight = neighbour_weight

    def fit(self, texts: list[str], intents: list[str]) -> SentenceFeatures:
        self.fit_transform(texts, intents)
        return self

    def fit_transform(self, texts: list[str], intents: list[str] | None = None) -> np.ndarray:
        if intents is None:
            raise ValueError("SentenceFeatures needs the intents to fit")
        features = shared_encoder().features(list(texts))
        self.examples_ = features[:, :DIMENSIONS]
        self.intents_ = np.asarray(intents)
        self.classes_ = np.unique(self.intents_)
        self.members_ = [np.flatnonzero(self.intents_ == label) for label in self.classes_]
        self.n_features_ = features.shape[1] + len(self.classes_)
        similarity = self.examples_ @ self.examples_.T
        np.fill_diagonal(similarity, -1.0)
        return self._features(features, similarity)

    def transform(self, texts: list[str]) -> np.ndarray:
        features = shared_encoder().features(list(texts))
        return self._features(features, features[:, :DIMENSIONS] @ self.examples_.T)

    def _features(self, features: np.ndarray, similarity: np.ndarray) -> np.ndarray:
        nearest = np.column_stack([similarity[:, members].max(axis=1) for members in self.members_])
        return np.hstack([features * self.weight, nearest * self.neighbour_weight])


class LeanPredictor:
    """The fitted pipeline's predict_proba without its per-call overhead.

    scikit-learn's FeatureUnion goes through joblib, every step re-checks that it is fitted,
    and TfidfTransformer.idf_ is rebuilt from a diagonal matrix at each access: about 2 ms a
    message, more than the arithmetic. This does the same arithmetic (counts, sublinear tf,
    idf, l2 norm, then the multinomial softmax), with the fitted values read once; a test
    compares it with the pipeline on every training example.
    """

    def __init__(self, model: Pipeline) -> None:
        union, classifier = model.steps[0][1], model.steps[-1][1]
        parts = [part for _, part in union.transformer_list]
        self.vectorizers = [part for part in parts if isinstance(part, TfidfVectorizer)]
        self.meaning = [part for part in parts if isinstance(part, SentenceFeatures)]
        if parts != self.vectorizers + self.meaning:
            raise ValueError("LeanPredictor expects TF-IDF parts, then the meaning features")
        if any(v.norm != "l2" or not v.use_idf for v in self.vectorizers):
            raise ValueError("LeanPredictor does TF-IDF with l2 norms only")
        self.idf = [scipy.sparse.diags(v.idf_, format="csr") for v in self.vectorizers]
        # Each part's slice of the coefficients, so the parts need not be joined.
        widths = [len(v.vocabulary_) for v in self.vectorizers]
        widths += [part.n_features_ for part in self.meaning]
        bounds = np.cumsum([0, *widths])
        slices = [classifier.coef_[:, a:b].T.copy() for a, b in itertools.pairwise(bounds)]
        self.coef_t = slices[: len(self.vectorizers)]
        self.meaning_coef_t = slices[len(self.vectorizers) :]
        self.intercept = classifier.intercept_
        self.classes_ = classifier.classes_

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        scores = np.tile(self.intercept, (len(texts), 1))
        for vectorizer, idf, coef_t in zip(self.vectorizers, self.idf, self.coef_t, strict=True):
            counts = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
            if vectorizer.sublinear_tf:
                np.log(counts.data, counts.data)
                counts.data += 1
            weighted = (counts @ idf).tocsr()
            inplace_csr_row_normalize_l2(weighted)
            scores += weighted @ coef_t
        for part, coef_t in zip(self.meaning, self.meaning_coef_t, strict=True):
            scores += part.transform(texts) @ coef_t
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        return scores / scores.sum(axis=1, keepdims=True)


class CascadePredictor:
    """Words first; the meaning model only for messages the words leave unsure.

    The sentence encoder costs about 14 ms of CPU for a message it has not seen, the word
    model a fraction of a millisecond. In 3-fold cross-validation the word model was at
    least 0.9 sure of 55 % of the examples and right about 98.8 % of those; sending the rest
    to the full model gave intent macro F1 0.949 and 0.954 (two fold seeds), against 0.952
    and 0.954 with the full model for every message.
    """

    def __init__(self, words: LeanPredictor, full: LeanPredictor, sure: float) -> None:
        if list(words.classes_) != list(full.classes_):
            raise ValueError("the word model and the full model must know the same intents")
        self.words, self.full, self.sure = words, full, sure
        self.classes_ = full.classes_

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        probabilities = self.words.predict_proba(texts)
        unsure = np.flatnonzero(probabilities.max(axis=1) < self.sure)
        if len(unsure):
            probabilities[unsure] = self.full.predict_proba([texts[i] for i in unsure])
        return probabilities


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TextIntentClassifier(GraphComponent, IntentClassifier):
    """Intent and ranking from the message text (n-grams and meaning, logistic regression)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "C": 30.0,
            # Weights of the meaning features against the TF-IDF ones; 0 leaves them out.
            "sentence_weight": 1.0,
            "neighbour_weight": 1.0,
            # A message the word n-grams alone give at least this probability is not sent
            # through the sentence encoder (CascadePredictor); 1.0 sends every message.
            "words_sure": 0.9,
            "max_iter": 3000,
            "random_state": 2026,
            # A message that answers and asks ("about 3 months, how long is the wait?") and
            # reads as a whole as an answer (`answer_intents`) takes the intent of its
            # question part when that part alone is one of `question_intents` at least this
            # sure (the form keeps the answer). Never a yes or no, a stop or a change: "yes I
            # have, what does that mean?" to a red-flag check question stays a yes.
            "answer_intents": ["inform"],
            "question_intents": list(QUESTION_INTENTS),
            "question_part_sure": 0.6,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None = None,
        words_model: Pipeline | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model: Pipeline | None = None
        self._words_model: Pipeline | None = None
        self._predictor: LeanPredictor | CascadePredictor | None = None
        if model is not None:
            self._use(model, words_model)

    def _use(self, model: Pipeline, words_model: Pipeline | None = None) -> None:
        """Predict with these fitted models from now on (the word model first, if any)."""
        self._model, self._words_model = model, words_model
        self._predictor = LeanPredictor(model)
        if words_model is not None:
            words = LeanPredictor(words_model)
            self._predictor = CascadePredictor(words, self._predictor, self._config["words_sure"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextIntentClassifier:
        return cls(config, model_storage, resource)

    def _uses_meaning(self) -> bool:
        return bool(self._config["sentence_weight"] or self._config["neighbour_weight"])

    def _new_model(self) -> Pipeline:
        """The n-gram features, the meaning features unless configured off, the classifier."""
        config = self._config
        parts: list[Any] = [
            TfidfVectorizer(ngram_range=tuple(config["word_ngrams"]), sublinear_tf=True),
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=tuple(config["char_ngrams"]), sublinear_tf=True
            ),
        ]
        if self._uses_meaning():
            parts.append(SentenceFeatures(config["sentence_weight"], config["neighbour_weight"]))
        features = make_union(*parts)
        return make_pipeline(features, self._new_classifier())

    def _new_classifier(self) -> LogisticRegression:
        config = self._config
        return LogisticRegression(
            C=config["C"],
            max_iter=config["max_iter"],
            class_weight="balanced",
            random_state=config["random_state"],
        )

    def _words_model_from(self, model: Pipeline, texts: list[str], intents: list[str]) -> Pipeline:
        """A regression on the full model's own fitted n-gram vectorizers.

        The vectorizers are shared, not refitted copies: the character n-gram vocabulary is
        the classifier's largest part, and one pickle of both models keeps one of it.
        """
        union = model.steps[0][1]
        words = FeatureUnion(
            [
                (name, part)
                for name, part in union.transformer_list
                if isinstance(part, TfidfVectorizer)
            ]
        )
        classifier = self._new_classifier().fit(words.transform(texts), intents)
        return Pipeline([("featureunion", words), ("logisticregression", classifier)])

    def fit(self, texts: list[str], intents: list[str]) -> None:
        """Fit a new model on these examples and predict with it."""
        if len(set(intents)) < 2:
            raise ValueError("TextIntentClassifier needs examples of at least two intents")
        model = self._new_model().fit(texts, intents)
        words_model = None
        if self._uses_meaning() and self._config["words_sure"] < 1:
            words_model = self._words_model_from(model, texts, intents)
        self._use(model, words_model)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on every example with an intent, and keep the fitted model in the model."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        texts = [m.get(TEXT) for m in examples]
        intents = [m.get(INTENT) for m in examples]
        self.fit(texts, intents)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump((self._model, self._words_model), directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TextIntentClassifier:
        with model_storage.read_from(resource) as directory:
            model, words_model = joblib.load(directory / MODEL_FILE)
        return cls(config, model_storage, resource, model, words_model)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the intent and the ranking of every message that has text."""
        with_text = [m for m in messages if m.get(TEXT)]
        if self._predictor is None or not with_text:
            return messages
        probabilities = self._predictor.predict_proba([m.get(TEXT) for m in with_text])
        for message, row in zip(with_text, probabilities, strict=True):
            ranking = self._ranking(row)
            if ranking[0]["name"] in self._config["answer_intents"]:
                ranking = self._asked_in_a_part(message.get(TEXT)) or ranking
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def _ranking(self, row: np.ndarray) -> list[dict[str, Any]]:
        labels = self._predictor.classes_
        order = row.argsort()[::-1][:RANKING_LENGTH]
        return [{"name": str(labels[i]), "confidence": float(row[i])} for i in order]

    def _asked_in_a_part(self, text: str) -> list[dict[str, Any]] | None:
        """The ranking of the message's question part, when the message has other parts too
        and that part alone is a question the assistant answers, surely enough."""
        asked = question_parts(text)
        if not asked:
            return None
        rankings = [self._ranking(row) for row in self._predictor.predict_proba(asked)]
        wanted = [
            ranking
            for ranking in rankings
            if ranking[0]["name"] in self._config["question_intents"]
            and ranking[0]["confidence"] >= self._config["question_part_sure"]
        ]
        return max(wanted, key=lambda ranking: ranking[0]["confidence"], default=None)
