"""Rasa NLU graph component: the deterministic red-flag safety net on every patient message.

Runs last in the pipeline. When the detector finds a red flag the patient asserts about
themselves, the message's intent becomes `red_flag` (confidence 1.0, above any fallback) and
each flag is added as a `red_flag` entity whose value is the catalogue id. The catalogue is
copied into the trained model, and its hash is part of the component's fingerprint, so
editing content/red_flags.yml retrains.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.red_flag_catalogue import CATALOGUE_PATH, parse
from bot.red_flag_detector import RedFlagDetector

RED_FLAG_INTENT = "red_flag"
RED_FLAG_ENTITY = "red_flag"
CATALOGUE_FILE = "red_flags.yml"
DETECTOR_SOURCES = ("red_flag_detector.py", "red_flag_catalogue.py")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RedFlagClassifier(GraphComponent, IntentClassifier):
    """Overrides the intent with `red_flag` when the catalogue's rules match."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The catalogue to compile into the model."""
        return {"catalogue": str(CATALOGUE_PATH)}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Hash of the catalogue and detector code, so edits to either retrain."""
        digest = hashlib.sha256(Path(config.get("catalogue", CATALOGUE_PATH)).read_bytes())
        for name in DETECTOR_SOURCES:
            digest.update((Path(__file__).resolve().parent.parent / name).read_bytes())
        return digest.hexdigest()

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        catalogue_text: str | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._detector = (
            RedFlagDetector(parse(yaml.safe_load(catalogue_text))) if catalogue_text else None
        )

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
        """Check the catalogue and copy it into the model."""
        text = Path(self._config["catalogue"]).read_text()
        parse(yaml.safe_load(text))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / CATALOGUE_FILE).write_text(text)
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
        """The component with the catalogue it was trained with."""
        with model_storage.read_from(resource) as directory:
            text = (directory / CATALOGUE_FILE).read_text()
        return cls(config, model_storage, resource, text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples are left as they are."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Mark every message that asserts a red flag."""
        for message in messages:
            text = message.get(TEXT) or ""
            hits = self._detector.detect(text) if self._detector else []
            if hits:
                mark(message, [hit.id for hit in hits])
        return messages


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
