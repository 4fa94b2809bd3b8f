"""The intents the action server treats as a patient's question (QUESTION_INTENTS) are the
ones the rules answer with action_answer_digression: a question intent added on one side
only would be answered by the rules but taken as an answer by the form, or the reverse."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.dialogue.digression_answers import QUESTION_INTENTS

ROOT = Path(__file__).resolve().parents[2]


def intents_answered_by_the_digression_action() -> set[str]:
    rules = yaml.safe_load((ROOT / "bot" / "data" / "rules.yml").read_text())["rules"]
    answered = set()
    for rule in rules:
        steps = rule.get("steps") or []
        for step, following in zip(steps, steps[1:], strict=False):
            if following.get("action") != "action_answer_digression":
                continue
            intents = [step.get("intent")] + [
                choice.get("intent") for choice in step.get("or") or []
            ]
            answered |= {intent for intent in intents if intent}
    return answered


def test_the_question_intents_are_the_ones_the_rules_answer_as_questions():
    answered = intents_answered_by_the_digression_action()
    assert set(QUESTION_INTENTS) <= answered
    assert {intent for intent in answered if intent.startswith("ask_")} == set(QUESTION_INTENTS)
