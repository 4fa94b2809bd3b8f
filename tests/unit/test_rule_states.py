"""The rule policy predicts the same from recent states as from the whole conversation.

Uses the trained model's own rules (the set-up trains it before the tests) and replays every
test story event by event, asking the policy for the next action with Rasa's states and with
`bot.runtime.rule_states`' recent states.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from bot.runtime import rule_states
from scripts.train_if_needed import MODEL_FILE, build_domain_dir

STORIES = sorted(Path("tests/stories").glob("*.yml"))


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(build_domain_dir())


@pytest.fixture(scope="module")
def policy() -> RulePolicy:
    """The RulePolicy of the trained model, with its learned rules."""
    assert Path(MODEL_FILE).exists(), "no trained model: run `make setup` first"
    with tarfile.open(MODEL_FILE) as archive:
        member = archive.extractfile("components/train_RulePolicy0/rule_policy.json")
        lookup = json.load(member)["lookup"]
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**RulePolicy.get_default_config(), "core_fallback_threshold": 0.3}
    return RulePolicy(config, None, None, context, lookup=lookup)


def _stories(domain: Domain) -> list[tuple[str, list]]:
    reader = YAMLStoryReader(domain)
    return [
        (step.block_name, step.explicit_events(domain))
        for path in STORIES
        for step in reader.read_from_file(path)
    ]


def test_the_horizon_covers_the_longest_learned_rule(policy):
    keys = [*policy.lookup["rules"], *policy.lookup["rules_for_loop_unhappy_path"]]
    longest = max(len(json.loads(key)) for key in keys)
    assert rule_states.horizon(policy) == longest + 1
    assert 1 < longest < 10  # rules are short; a conversation is far longer


def test_recent_states_are_the_last_of_rasas_and_match_the_same_rules(domain, policy):
    keep = rule_states.horizon(policy)
    for name, events in _stories(domain):
        tracker = DialogueStateTracker.from_events(name, [], slots=domain.slots)
        for event in events:
            tracker.update(event, domain)
            full = domain.states_for_tracker_history(tracker)
            recent = rule_states.recent_states(tracker, domain, keep)
            assert recent == full[-keep:], name
            for kind in ("rules", "rules_for_loop_unhappy_path"):
                rules = policy.lookup[kind]
                matched = policy._get_possible_keys(rules, full)
                assert policy._get_possible_keys(rules, recent) == matched, name


def test_every_test_story_gets_the_same_predictions_from_recent_states(domain, policy):
    predictions = 0
    longest = 0
    for name, events in _stories(domain):
        tracker = DialogueStateTracker.from_events(name, [], slots=domain.slots)
        for event in events:
            tracker.update(event, domain)
            if not isinstance(event, (ActionExecuted, UserUttered)):
                continue
            patched = policy.predict_action_probabilities(tracker, domain)
            RulePolicy._prediction_states = rule_states._ORIGINAL
            try:
                original = policy.predict_action_probabilities(tracker, domain)
            finally:
                RulePolicy._prediction_states = rule_states.recent_rule_states
            assert patched.probabilities == original.probabilities, name
            assert patched.events == original.events, name
            assert patched.hide_rule_turn == original.hide_rule_turn, name
            predictions += 1
            longest = max(longest, len(domain.states_for_tracker_history(tracker)))
    assert predictions > 500
    assert longest > 3 * rule_states.horizon(policy)  # truncation was really exercised


@pytest.fixture(autouse=True)
def _recent_states_installed(monkeypatch):
    monkeypatch.setattr(RulePolicy, "_prediction_states", rule_states.recent_rule_states)
