"""Start Rasa (`python -m scripts.rasa_server run ...`, same arguments as `rasa`).

Two measured speed-ups before Rasa starts (profiles in docs/profile.md), each doing exactly
what Rasa did, only once instead of again and again:

- Rasa checks every action-server reply with `jsonschema.validate`, which re-checks the
  schema itself against the JSON Schema meta-schema on every call (about a quarter of the
  Rasa process's time under load). `cached_validate` keeps one checked validator per schema
  and validates exactly as before: the same errors, raised the same way.
- `DialogueStateTracker.applied_events()` works out which events still count (a form's
  earlier turns undone, and so on) by walking the whole conversation, in time that grows
  with the square of its length, and Rasa asks for it many times in every turn (session
  check, each policy's states, each form run). `remembered_applied_events` keeps the answer
  on the tracker until its events change.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import jsonschema
from jsonschema import exceptions, validators
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

_VALIDATORS: dict[str, Any] = {}


def cached_validate(
    instance: Any, schema: dict, cls: Any = None, *args: Any, **kwargs: Any
) -> None:
    """`jsonschema.validate`, checking each distinct schema only the first time it is seen."""
    if args or kwargs:
        return _ORIGINAL_VALIDATE(instance, schema, cls, *args, **kwargs)
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _VALIDATORS.get(key)
    if validator is None:
        validator_class = cls or validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = _VALIDATORS[key] = validator_class(schema)
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


_ORIGINAL_VALIDATE = jsonschema.validate
_ORIGINAL_APPLIED_EVENTS = DialogueStateTracker.applied_events
_MEMO = "_applied_events_memo"


def remembered_applied_events(tracker: DialogueStateTracker) -> list[Event]:
    """`applied_events()`, computed again only when the tracker's events have changed.

    Events are only ever appended to a tracker. The memo holds the event list and its last
    event object (so that object's id cannot be reused), and is used only while both are
    still the tracker's and the length is the same. Callers get a list of their own.
    """
    events = tracker.events
    last = events[-1] if events else None
    memo = tracker.__dict__.get(_MEMO)
    if memo is not None and memo[0] is events and memo[1] == len(events) and memo[2] is last:
        return list(memo[3])
    applied = _ORIGINAL_APPLIED_EVENTS(tracker)
    tracker.__dict__[_MEMO] = (events, len(events), last, applied)
    return list(applied)


def install_speedups() -> None:
    jsonschema.validate = cached_validate
    DialogueStateTracker.applied_events = remembered_applied_events


def main() -> None:
    install_speedups()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
