"""Rasa NLU graph component: intents that clear the conversation need their own words.

"Start again" wipes every answer. The intent classifier reads meaning, so "yes, like I say at
start" and "put it back to several areas please" were read as `restart` (a blind usability
test). For the intents of content/intent_words.yml, the message must hold one of their words
(whole words, lower case); otherwise the next intent of the ranking is taken, or
`nlu_fallback` when there is none. A tapped button's payload ("/restart") is never changed.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.paths import CONTENT

WORDS_PATH = CONTENT / "intent_words.yml"
FALLBACK = "nlu_fallback"


def word_patterns(text: str) -> dict[str, re.Pattern]:
    """Each guarded intent and the pattern of its words, from the YAML text."""
    intents = yaml.safe_load(text)["intents"]
    return {
        intent: re.compile(
            r"(?<![a-z])(?:" + "|".join(re.escape(w.lower()) for w in words) + r")(?![a-z])"
        )
        for intent, words in intents.items()
    }


def guarded(message: dict[str, Any], text: str, patterns: dict[str, re.Pattern]) -> dict | None:
    """The intent to take instead of a guarded one whose words the text lacks, or None to
    keep the intent as it is."""
    intent = (message.get(INTENT) or {}).get("name")
    said = " ".join(text.lower().replace("\u2019", "'").split())
    if intent not in patterns or said.startswith("/") or patterns[intent].search(said):
        return None
    ranking = [
        item
        for item in message.get(INTENT_RANKING_KEY) or []
        if item.get("name") not in patterns or patterns[item["name"]].search(said)
    ]
    return ranking[0] if ranking else {"name": FALLBACK, "confidence": 1.0}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentWordsGuard(GraphComponent):
    """Keeps `restart` (and any intent of content/intent_words.yml) only with its words."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"words": str(WORDS_PATH)}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The words file: editing it retrains."""
        with open(config.get("words", WORDS_PATH), "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()

    def __init__(self, config: dict[str, Any]) -> None:
        with open(config.get("words", WORDS_PATH), encoding="utf-8") as handle:
            self._patterns = word_patterns(handle.read())

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentWordsGuard:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            read = {key: message.get(key) for key in (INTENT, INTENT_RANKING_KEY)}
            instead = guarded(read, message.get(TEXT) or "", self._patterns)
            if instead is None:
                continue
            dropped = {(read[INTENT] or {}).get("name"), instead.get("name")}
            ranking = [
                item for item in read[INTENT_RANKING_KEY] or [] if item.get("name") not in dropped
            ]
            message.set(INTENT, instead, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [instead, *ranking], add_to_output=True)
        return messages
