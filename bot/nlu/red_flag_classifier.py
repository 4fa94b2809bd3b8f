"""Rasa NLU graph component: the red-flag safety net on every patient message.

Runs last in the pipeline, with two detectors OR'ed: the catalogue's rules
(bot/red_flag_detector.py) and the learned detector (bot/nlu/red_flag_model.py). The learned
one may add a flag, never remove a rule hit.

- A flag from either: the intent becomes `red_flag` (confidence 1.0, above any fallback) and
  each flag is a `red_flag` entity whose value is the catalogue id.
- No flag, but the learned detector is unsure, or an emergency rule hit was held back only by
  a negation at a distance: the intent becomes `red_flag_check` with one `red_flag_check`
  entity, and the assistant asks one yes/no check question in the same reply.

The catalogue and context rules are copied into the trained model, and the learned detector
is trained into it; their files and the corpus are part of the component's fingerprint, so
editing any of them retrains.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import joblib
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import paths
from bot.nlu.red_flag_model import (
    NONE,
    NOT_NEGATIVE_INTENTS,
    RedFlagModel,
    corpus_files,
    read_corpus,
    without_repeats,
)
from bot.red_flag_catalogue import CATALOGUE_PATH, LEVEL_RANK, parse
from bot.red_flag_context import CONTEXT_PATH
from bot.red_flag_context import parse as parse_context
from bot.red_flag_detector import RedFlagDetector, stated_age

RED_FLAG_INTENT = "red_flag"
RED_FLAG_ENTITY = "red_flag"
CHECK_INTENT = "red_flag_check"
CHECK_ENTITY = "red_flag_check"
CATALOGUE_FILE = "red_flags.yml"
CONTEXT_FILE = "red_flag_context.yml"
MODEL_FILE = "red_flag_model.joblib"
BOT_DIR = paths.ROOT / "bot"
DETECTOR_SOURCES = (
    BOT_DIR / "red_flag_detector.py",
    BOT_DIR / "red_flag_catalogue.py",
    BOT_DIR / "red_flag_context.py",
    BOT_DIR / "nlu" / "red_flag_model.py",
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RedFlagClassifier(GraphComponent, IntentClassifier):
    """Overrides the intent with `red_flag` when the catalogue's rules match."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The catalogue and context rules to compile in, the learned detector's settings."""
        return {
            "catalogue": str(CATALOGUE_PATH),
            "context": str(CONTEXT_PATH),
            "learned": {},
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Hash of the catalogue, context rules, corpus and detector code: edits retrain."""
        digest = hashlib.sha256()
        paths = [
            Path(config.get("catalogue", CATALOGUE_PATH)),
            Path(config.get("context", CONTEXT_PATH)),
        ]
        for path in [*paths, *DETECTOR_SOURCES, *corpus_files()]:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        catalogue_text: str | None = None,
        context_text: str | None = None,
        learned: RedFlagModel | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._detector = None
        if catalogue_text:
            context = parse_context(yaml.safe_load(context_text)) if context_text else None
            self._detector = RedFlagDetector(parse(yaml.safe_load(catalogue_text)), context=context)
        self._learned = learned

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagClassifier:
        """A component ready to train."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Check the catalogue and context rules, copy them in, train the learned detector.

        Its negatives are the corpus's and every NLU example of another intent.
        """
        catalogue_text = Path(self._config["catalogue"]).read_text()
        context_text = Path(self._config["context"]).read_text()
        catalogue = parse(yaml.safe_load(catalogue_text))
        parse_context(yaml.safe_load(context_text))
        texts, labels = read_corpus()
        unknown = sorted(set(labels) - set(catalogue.flags) - {NONE})
        if unknown:
            raise ValueError(f"red-flag corpus labels not in the catalogue: {unknown}")
        negatives = [
            example.get(TEXT)
            for example in training_data.intent_examples
            if example.get(TEXT) and example.get(INTENT) not in NOT_NEGATIVE_INTENTS
        ]
        texts, labels = without_repeats(texts + negatives, labels + [NONE] * len(negatives))
        learned = RedFlagModel(self._config.get("learned")).fit(texts, labels)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / CATALOGUE_FILE).write_text(catalogue_text)
            (directory / CONTEXT_FILE).write_text(context_text)
            joblib.dump((learned.model, learned.words_model), directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RedFlagClassifier:
        """The component with the catalogue, context rules and detector it was trained with."""
        with model_storage.read_from(resource) as directory:
            catalogue_text = (directory / CATALOGUE_FILE).read_text()
            context_text = (directory / CONTEXT_FILE).read_text()
            learned = RedFlagModel(config.get("learned"))
            learned.use(*joblib.load(directory / MODEL_FILE))
        return cls(config, model_storage, resource, catalogue_text, context_text, learned)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples are left as they are."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Mark every message that asserts a red flag, or that needs a check question."""
        with_text = [m for m in messages if (m.get(TEXT) or "").strip()]
        if self._detector is None or not with_text:
            return messages
        texts = [m.get(TEXT) for m in with_text]
        learned = self._learned.assess(texts) if self._learned else [None] * len(texts)
        for message, text, opinion in zip(with_text, texts, learned, strict=True):
            flag_ids, check = decide(self._detector, text, opinion)
            if flag_ids:
                mark(message, flag_ids)
            elif check:
                mark_check(message, check)
        return messages


def _age_rules_it_out(flag: Any, detector: RedFlagDetector, text: str) -> bool:
    """The flag is only a red flag at some ages and the age the message states is in none
    of them."""
    return flag.age_bounds() is not None and flag.ruled_out_at(stated_age(text))


def _age_unstated(flag: Any, text: str) -> bool:
    """The flag is only a red flag at some ages and the message states no age: the words
    alone cannot make it one (its check question asks the age)."""
    return flag.age_bounds() is not None and stated_age(text) is None


def decide(detector: RedFlagDetector, text: str, opinion: Any) -> tuple[list[str], str | None]:
    """(flags to escalate, most serious first; flag to check when there are none).

    Rule hits always count. The learned detector, when sure, adds an emergency flag at once;
    a sure urgent or soon flag of its own, or any flag it is unsure of, gets one check question
    (the patient's yes escalates at that level), unless it is very sure and the message has no
    context cue. It steps down once (flag to ask, ask to clear)
    when the rules read the same flag's words as plainly not the patient's own now, and, below
    emergency, when the message has any context cue (someone else, a denial, a question, the
    past, on purpose). An emergency rule hit held back by a distant negation also asks.
    Words the rules read as asking first (`ask_first`: "dropping things") are not raised at
    once below emergency by either detector. The one check question is for the most serious
    flag either detector is unsure of.
    """
    detection = detector.analyse(text)
    flags = [hit.id for hit in detection.hits]
    known = detector.catalogue.flags
    decision = opinion.decision if opinion is not None else "clear"
    guess = opinion.flag_id if decision != "clear" else None
    if guess and guess in detection.held_back:
        # The rules found this very flag's words and found them plainly not the patient's own
        # now (denied next to the symptom, someone else's, a question, past and over, on
        # purpose): the learned detector, which reads no context, steps down once. A sure
        # emergency guess still gets its check question.
        decision = "ask" if decision == "flag" else "clear"
    elif guess and detection.context_cues and known[guess].level != "emergency":
        # The words say it may be someone else, a question, a denial, the past or on purpose:
        # below emergency, the learned detector (which cannot tell whose symptom it is) steps
        # down once. Without the rules' reading of the same words an emergency guess is never
        # stepped down.
        decision = "ask" if decision == "flag" else "clear"
    if (
        guess
        and decision == "flag"
        and known[guess].level != "emergency"
        and guess in {hit.id for hit in detection.unsure}
    ):
        # The rules read this flag's words as ones that ask first ("dropping things" is often
        # carpal tunnel): below emergency the learned detector does not raise it at once either
        decision = "ask"
    if guess and decision == "flag" and guess not in flags and guess in detection.doubted:
        # The words are this flag only sometimes, and most often not ("I've taken 2
        # paracetamol this morning" read as an overdose stopped a usability tester's
        # referral): the learned guess is asked, at any level; the rules still raise their own
        # words for it ("took 20 paracetamol")
        decision = "ask"
    if guess and _age_rules_it_out(known[guess], detector, text):
        # every pattern of the flag needs an age outside a range ("new back pain under 20 or
        # over 50") and the patient's stated age, or date of birth, is inside it
        decision = "clear"
    if guess and decision == "flag" and _age_unstated(known[guess], text):
        # "my back has been bad for 10 days" with no age: "new back pain under 20 or over 50"
        # is asked, never raised on the words alone
        decision = "ask"
    learned = guess if decision != "clear" else None
    sure = learned and decision == "flag" and known[learned].level == "emergency"
    if learned and decision == "flag" and getattr(opinion, "sure", False):
        # So sure that, with no cue that it is not the patient's own symptom now, an urgent or
        # soon flag is raised at once too.
        sure = sure or not detection.context_cues
    if sure and learned not in flags:
        flags.append(learned)
        flags.sort(key=lambda flag_id: -LEVEL_RANK[known[flag_id].level])
    if flags:
        return flags, None
    # one check question: the most serious of the rules' unsure flag and the learned one
    asks = [hit.id for hit in detection.unsure[:1]] + ([learned] if learned else [])
    if not asks:
        return [], None
    return [], max(asks, key=lambda flag_id: LEVEL_RANK[known[flag_id].level])


def mark(message: Message, flag_ids: list[str]) -> None:
    """Set intent red_flag (confidence 1.0) and one red_flag entity per flag."""
    intent = {"name": RED_FLAG_INTENT, "confidence": 1.0}
    ranking = [intent] + [
        item
        for item in message.get(INTENT_RANKING_KEY) or []
        if item.get("name") != RED_FLAG_INTENT
    ]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != RED_FLAG_ENTITY]
    entities += [
        {
            "entity": RED_FLAG_ENTITY,
            "value": flag_id,
            "start": 0,
            "end": 0,
            "confidence_entity": 1.0,
            "extractor": "RedFlagClassifier",
        }
        for flag_id in flag_ids
    ]
    message.set(ENTITIES, entities, add_to_output=True)


def mark_check(message: Message, flag_id: str) -> None:
    """Set intent red_flag_check (confidence 1.0) and its one red_flag_check entity."""
    intent = {"name": CHECK_INTENT, "confidence": 1.0}
    ranking = [intent] + [
        item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != CHECK_INTENT
    ]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != CHECK_ENTITY]
    entities.append(
        {
            "entity": CHECK_ENTITY,
            "value": flag_id,
            "start": 0,
            "end": 0,
            "confidence_entity": 1.0,
            "extractor": "RedFlagClassifier",
        }
    )
    message.set(ENTITIES, entities, add_to_output=True)
