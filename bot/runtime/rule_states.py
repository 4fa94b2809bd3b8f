"""The rule policy's states for the turns its rules can see, not for the whole conversation.

At every prediction Rasa 3.6's `RulePolicy` turns the whole conversation into states, one per
earlier action (`Domain.states_for_tracker_history`), and then compares its rules with them
from the latest turn backwards. A rule of n states is decided by the last n states alone:
`RulePolicy._is_rule_applicable` accepts every rule at a turn further back than its length.
So states older than the longest rule change nothing, yet building them was about a third
of a Rasa process's time late in a referral (docs/profile.md).

`recent_rule_states` builds the same states as Rasa for the last `horizon` turns only, where
the horizon is one more than the longest rule. The extra state keeps the key Rasa reports
when no rule matches longer than any rule key, as before, so no rule key can equal it.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

_ORIGINAL = RulePolicy._prediction_states
_HORIZON = "_recent_states_horizon"


def horizon(policy: RulePolicy) -> int:
    """One more than the number of states in the policy's longest rule (kept on the policy)."""
    known = policy.__dict__.get(_HORIZON)
    if known is None:
        keys = [*policy.lookup.get(RULES, {}), *policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
        longest = max((len(policy._rule_key_to_state(key)) for key in keys), default=0)
        known = policy.__dict__[_HORIZON] = longest + 1
    return known


def recent_states(tracker: DialogueStateTracker, domain: Domain, keep: int) -> list[State]:
    """The last `keep` of `domain.states_for_tracker_history(tracker)`, building only those."""
    turns = 1 + sum(isinstance(event, ActionExecuted) for event in tracker.applied_events())
    skip = turns - keep
    states = []
    for index, (prior, _) in enumerate(tracker.generate_all_prior_trackers()):
        if index >= skip:
            states.append(domain._clean_state(domain.get_active_state(prior)))
    return states


def recent_rule_states(
    self: RulePolicy,
    tracker: DialogueStateTracker,
    domain: Domain,
    use_text_for_last_user_input: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """`RulePolicy._prediction_states`, for the turns within the policy's horizon."""
    featurizer = self.featurizer
    if featurizer is None or featurizer.max_history is not None:
        return _ORIGINAL(self, tracker, domain, use_text_for_last_user_input, rule_only_data)
    states = recent_states(tracker, domain, horizon(self))
    featurizer._choose_last_user_input([states], use_text_for_last_user_input)
    return states


def install() -> None:
    RulePolicy._prediction_states = recent_rule_states
