"""The Rasa launcher's cached schema check behaves exactly like jsonschema.validate."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from scripts.rasa_server import cached_validate

SPEC = RemoteAction.action_response_format_spec()
GOOD = {"events": [{"event": "slot", "name": "postcode", "value": "ST4 6QG"}], "responses": []}
BAD = {"events": [{"event": 42}], "responses": "not a list"}


def test_cached_validate_accepts_and_rejects_what_jsonschema_does():
    assert cached_validate(GOOD, SPEC) is None
    with pytest.raises(jsonschema.ValidationError) as cached:
        cached_validate(BAD, SPEC)
    with pytest.raises(jsonschema.ValidationError) as original:
        jsonschema.validate(BAD, SPEC)
    assert cached.value.message == original.value.message


def test_an_invalid_schema_is_still_refused():
    with pytest.raises(jsonschema.SchemaError):
        cached_validate({}, {"type": "not-a-type"})


def _form_conversation() -> list:
    """Events of a form turn after turn, with a digression and an undone user message."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        BotUttered,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"})]
    events += [ActionExecuted("referral_form"), ActiveLoop("referral_form")]
    for turn, text in enumerate(["knee", "what is MIS?", "3 months", "oops", "6"]):
        events += [SlotSet("requested_slot", f"slot_{turn}"), BotUttered(f"question {turn}")]
        events += [ActionExecuted("action_listen"), UserUttered(text, {"name": "inform"})]
        if text == "oops":
            events.append(UserUtteranceReverted())
        elif text.endswith("?"):
            events += [ActionExecuted("action_answer_digression"), BotUttered("MIS is...")]
        events += [ActionExecuted("referral_form"), SlotSet(f"slot_{turn}", text)]
    events += [ActiveLoop(None), ActionExecuted("action_listen")]
    # a loop of a new name, its form run twice, then a restart and a new session
    events += [ActionExecuted("other_form"), ActiveLoop("other_form"), SlotSet("x", 1)]
    events += [ActionExecuted("action_listen"), UserUttered("a", {"name": "inform"})]
    events += [ActionExecuted("other_form"), ActionReverted(), ActiveLoop(None)]
    events += [Restarted(), ActionExecuted("action_session_start"), SessionStarted()]
    return events + [ActionExecuted("action_listen"), UserUttered("b", {"name": "greet"})]


def test_remembered_applied_events_match_rasa_at_every_step_of_a_form_conversation(monkeypatch):
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from scripts import rasa_server

    original = rasa_server._ORIGINAL_APPLIED_EVENTS
    full_walks = []
    monkeypatch.setattr(
        rasa_server, "_ORIGINAL_APPLIED_EVENTS", lambda t: full_walks.append(1) or original(t)
    )
    tracker = DialogueStateTracker("patient", slots=[])
    events = _form_conversation()
    for event in events:
        tracker.update(event)
        expected = original(tracker)
        first = rasa_server.remembered_applied_events(tracker)
        again = rasa_server.remembered_applied_events(tracker)
        assert first == expected and again == expected
        first.append("changed by a caller")  # a caller's list is its own
        assert rasa_server.remembered_applied_events(tracker) == expected
        if isinstance(event, UserUttered) and event.text == "a":
            undone_form_turns = len(expected) < len(tracker.events)
    assert undone_form_turns, "the form's earlier turns were undone"
    # the whole conversation was walked only at the start and when a new loop began
    assert len(full_walks) == 3, f"{len(full_walks)} full walks for {len(events)} events"
