"""Rasa NLU graph component: intents from the words, characters and meaning of the text.

Patients write short messages, with misspellings and few words in common between examples
of one intent. The features are sublinear TF-IDF over words (1-2) and characters within
words (2-5), which catch wording and misspellings, and the meaning features of
`SentenceFeatures` (a sentence embedding, and the nearest training example of each intent),
which catch the same request in other words ("cya" and "bye for now"). A class-balanced
logistic regression reads them all. In 3-fold cross-validation of our examples, intent
macro F1 went from 0.896 (n-grams alone) to 0.945 (with meaning), in a scikit-learn run;
docs/evaluation.md has the make eval figures. It reads the message text only, so it needs
no featurizer before it.
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
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

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
        self.n_features_ = features.shape[1] + len(self.classes_)
        similarity = self.examples_ @ self.examples_.T
        np.fill_diagonal(similarity, -1.0)
        return self._features(features, similarity)

    def transform(self, texts: list[str]) -> np.ndarray:
        features = shared_encoder().features(list(texts))
        return self._features(features, features[:, :DIMENSIONS] @ self.examples_.T)

    def _features(self, features: np.ndarray, similarity: np.ndarray) -> np.ndarray:
        nearest = np.column_stack(
            [similarity[:, self.intents_ == label].max(axis=1) for label in self.classes_]
        )
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


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TextIntentClassifier(GraphComponent, IntentClassifier):
    """Intent and ranking from the message text (TF-IDF n-grams, logistic regression)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "C": 30.0,
            # Weights of the meaning features against the TF-IDF ones; 0 leaves them out.
            "sentence_weight": 1.0,
            "neighbour_weight": 1.0,
            "max_iter": 3000,
            "random_state": 2026,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model: Pipeline | None = None
        self._predictor: LeanPredictor | None = None
        if model is not None:
            self._use(model)

    def _use(self, model: Pipeline) -> None:
        """Predict with this fitted model from now on."""
        self._model = model
        self._predictor = LeanPredictor(model)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextIntentClassifier:
        return cls(config, model_storage, resource)

    def _new_model(self) -> Pipeline:
        config = self._config
        parts: list[Any] = [
            TfidfVectorizer(ngram_range=tuple(config["word_ngrams"]), sublinear_tf=True),
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=tuple(config["char_ngrams"]), sublinear_tf=True
            ),
        ]
        if config["sentence_weight"] or config["neighbour_weight"]:
            parts.append(SentenceFeatures(config["sentence_weight"], config["neighbour_weight"]))
        features = make_union(*parts)
        classifier = LogisticRegression(
            C=config["C"],
            max_iter=config["max_iter"],
            class_weight="balanced",
            random_state=config["random_state"],
        )
        return make_pipeline(features, classifier)

    def fit(self, texts: list[str], intents: list[str]) -> None:
        """Fit a new model on these examples and predict with it."""
        if len(set(intents)) < 2:
            raise ValueError("TextIntentClassifier needs examples of at least two intents")
        self._use(self._new_model().fit(texts, intents))

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on every example with an intent, and keep the fitted model in the model."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        texts = [m.get(TEXT) for m in examples]
        intents = [m.get(INTENT) for m in examples]
        self.fit(texts, intents)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._model, directory / MODEL_FILE)
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
            model = joblib.load(directory / MODEL_FILE)
        return cls(config, model_storage, resource, model)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the intent and the ranking of every message that has text."""
        with_text = [m for m in messages if m.get(TEXT)]
        if self._predictor is None or not with_text:
            return messages
        probabilities = self._predictor.predict_proba([m.get(TEXT) for m in with_text])
        labels = self._predictor.classes_
        for message, row in zip(with_text, probabilities, strict=True):
            order = row.argsort()[::-1][:RANKING_LENGTH]
            ranking = [{"name": str(labels[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
