"""The intents that clear the conversation are kept only with their own words."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_words import WORDS_PATH, IntentWordsGuard, word_patterns

GUARD = IntentWordsGuard({})


def read_as(text: str, ranking: list[tuple[str, float]]) -> tuple[str, list[str]]:
    items = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message = Message({TEXT: text, INTENT: items[0], INTENT_RANKING_KEY: items})
    [message] = GUARD.process([message])
    return message.get(INTENT)["name"], [i["name"] for i in message.get(INTENT_RANKING_KEY)]


@pytest.mark.parametrize(
    "text",
    [
        "yes, like I say at start",  # a blind usability test: both wiped every answer
        "put it back to several areas please",
        "can I get my answers back?",
    ],
)
def test_restart_without_its_words_takes_the_next_intent(text):
    intent, ranking = read_as(text, [("restart", 0.6), ("affirm", 0.3), ("inform", 0.1)])
    assert intent == "affirm" and ranking == ["affirm", "inform"]


def test_restart_with_nothing_else_in_the_ranking_is_not_understood():
    assert read_as("like I say at start", [("restart", 0.9)])[0] == "nlu_fallback"


@pytest.mark.parametrize(
    "text",
    [
        "start again",
        "Can I start over please",
        "restart",
        "I made loads of mistakes, can we go back to the beginning",
        "wipe it and start again",
        "/restart",
    ],
)
def test_restart_said_in_its_words_or_tapped_is_kept(text):
    assert read_as(text, [("restart", 0.9), ("inform", 0.1)])[0] == "restart"


def test_other_intents_are_never_changed():
    assert read_as("at the start it was my knee", [("inform", 0.9), ("restart", 0.1)])[0] == (
        "inform"
    )


def test_every_restart_example_of_the_nlu_data_has_its_words():
    """The guard would undo the classifier on its own training examples otherwise."""
    import yaml

    from bot.paths import ROOT

    [examples] = [
        block["examples"]
        for block in yaml.safe_load((ROOT / "bot" / "data" / "nlu.yml").read_text())["nlu"]
        if block.get("intent") == "restart"
    ]
    pattern = word_patterns(WORDS_PATH.read_text())["restart"]
    lines = [line[2:].strip() for line in examples.splitlines() if line.startswith("- ")]
    assert lines and [line for line in lines if not pattern.search(line.lower())] == []
