"""Start Rasa (`python -m bot.runtime.server run ...`, same arguments as `rasa`).

Every replacement is declared once, in `PATCHES` below: what it replaces, and the test that
proves it behaves like Rasa. They were checked against Rasa `CHECKED_RASA`; with any other
Rasa version none is installed and the log says so (stock Rasa runs, only slower).

Measured speed-ups before Rasa starts (profiles in docs/profile.md), each doing exactly
what Rasa did, only once instead of again and again:

- Rasa checks every action-server reply with `jsonschema.validate`, which re-checks the
  schema itself against the JSON Schema meta-schema on every call (about a quarter of the
  Rasa process's time under load). `cached_validate` keeps one checked validator per schema
  and validates exactly as before: the same errors, raised the same way. It also reads
  Rasa's event schema's `oneOf` as the equivalent `anyOf` (see `exclusive_any_of`), which
  took the check of a form's reply from 1.8 ms to 0.23 ms.
- `DialogueStateTracker.applied_events()` works out which events still count (a form's
  earlier turns undone, and so on) by walking the whole conversation, in time that grows
  with the square of its length, and Rasa asks for it several times in every turn (session
  check, each prediction's states, each form run). `remembered_applied_events` keeps the
  answer on the tracker and works through only the events added since.
- Rasa encodes the whole conversation as JSON for every action-server call (9 % of its
  time): `ujson_session` gives its client sessions ujson, twice as fast as `json`, falling
  back to `json` for anything ujson refuses. It also opened a new TCP connection for every
  call: the sessions now share one connection pool per event loop (`pooled_connector`).

Two more (scipy's sparse `hstack` for NLU features; RulePolicy's states cut to its longest
rule) were removed on 2026-12-06: left out one at a time (`RASA_SPEEDUPS_OFF`) in three
paired runs of `scripts.cpu_per_turn`, neither saved CPU beyond the run-to-run spread
(docs/profile.md).

And one for the garbage collector: once the model is loaded the process holds about 550,000
objects (TensorFlow, spaCy, the model), and each full collection walked them all (600 ms,
stopping every conversation of that process). `load_agent_then_freeze` moves them into the
permanent generation (`gc.freeze`), so collections walk only what conversations create.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import itertools
import json
import logging
import os
import sys
import weakref
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import aiohttp
import jsonschema
import rasa.core.run
import ujson
from jsonschema import exceptions, validators
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from threadpoolctl import threadpool_limits

logger = logging.getLogger(__name__)
_VALIDATORS: dict[str, Any] = {}


def exclusive_any_of(schema: Any) -> Any:
    """`schema` with each `oneOf` whose branches pin a required property to distinct constants
    turned into `anyOf`.

    Rasa's event schema is one: every branch fixes `event` to its own name. Where the rest of
    the schema holds, at most one such branch can hold, so "exactly one" (`oneOf`) and "at
    least one" (`anyOf`) accept the same instances; `anyOf` stops at the first branch that
    holds instead of trying all 23.
    """
    if isinstance(schema, list):
        return [exclusive_any_of(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: exclusive_any_of(value) for key, value in schema.items()}
    branches = schema.get("oneOf")
    if isinstance(branches, list) and any(
        _distinct_constants(branches, name) for name in schema.get("required", [])
    ):
        result["anyOf"] = result.pop("oneOf")
    return result


_NONE = object()  # no constant given


def _distinct_constants(branches: list, name: str) -> bool:
    """True when every branch fixes property `name` to a constant of its own."""
    constants = [
        branch.get("properties", {}).get(name, {}).get("const", _NONE)
        if isinstance(branch, dict)
        else _NONE
        for branch in branches
    ]
    return _NONE not in constants and len(set(map(repr, constants))) == len(constants)


def cached_validate(
    instance: Any, schema: dict, cls: Any = None, *args: Any, **kwargs: Any
) -> None:
    """`jsonschema.validate`, checking each distinct schema only the first time it is seen.

    An instance is first checked against the schema's `exclusive_any_of` form, which accepts
    exactly the same instances faster; one it rejects is checked against the schema itself,
    so the error raised is the one `jsonschema.validate` raises.
    """
    if args or kwargs:
        return _ORIGINAL_VALIDATE(instance, schema, cls, *args, **kwargs)
    key = json.dumps(schema, sort_keys=True, default=str)
    validators_ = _VALIDATORS.get(key)
    if validators_ is None:
        validator_class = cls or validators.validator_for(schema)
        validator_class.check_schema(schema)
        quick = validator_class(exclusive_any_of(schema))
        validators_ = _VALIDATORS[key] = (quick, validator_class(schema))
    quick, exact = validators_
    if quick.is_valid(instance):
        return
    error = exceptions.best_match(exact.iter_errors(instance))
    if error is not None:
        raise error


_ORIGINAL_VALIDATE = jsonschema.validate


def rasa_reply_validate(instance: Any, schema: Any, *args: Any, **kwargs: Any) -> None:
    """`jsonschema.validate`, cached only for Rasa's check of action-server replies; any other
    caller in the process gets jsonschema's own."""
    if not args and not kwargs and schema == _rasa_reply_schema():
        return cached_validate(instance, schema)
    return _ORIGINAL_VALIDATE(instance, schema, *args, **kwargs)


@functools.cache
def _rasa_reply_schema() -> dict[str, Any]:
    from rasa.core.actions.action import RemoteAction

    return RemoteAction.action_response_format_spec()


_ORIGINAL_APPLIED_EVENTS = DialogueStateTracker.applied_events
_ORIGINAL_LOAD_AGENT = rasa.core.run.load_agent_on_start
_ORIGINAL_SESSION = EndpointConfig.session
_MEMO = "_applied_events_memo"


class _Memo(NamedTuple):
    events: Any  # the tracker's event deque these figures belong to
    length: int  # how many of its events were applied
    last: Event | None  # the last of them (held, so its identity stays unique)
    loop_names: set[str]  # names of every loop activated in those events
    applied: list[Event]


def _loop_names(events: Iterable[Event]) -> set[str]:
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


def _apply(
    tracker: DialogueStateTracker, applied: list[Event], events: Iterable[Event], loops: set[str]
) -> None:
    """The body of Rasa 3.6's `applied_events` loop, continued over more events."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loops
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def remembered_applied_events(tracker: DialogueStateTracker) -> list[Event]:
    """`applied_events()`, worked out only for the events added since it was last asked.

    Rasa works through the events in order, each step depending only on the events applied
    so far and on the names of every loop in the conversation. Events are only ever added at
    the end, so the memo's result is carried on over the new events, as long as they start
    no loop of a new name (else, as when the events were replaced, all is worked out again).
    Callers get a list of their own.
    """
    events = tracker.events
    memo = tracker.__dict__.get(_MEMO)
    usable = (
        memo is not None
        and memo.events is events
        and memo.length <= len(events)
        and (memo.length == 0 or events[memo.length - 1] is memo.last)
    )
    if usable and memo.length == len(events):
        return list(memo.applied)
    new = list(itertools.islice(events, memo.length, None)) if usable else []
    if usable and _loop_names(new) <= memo.loop_names:
        loops, applied = memo.loop_names, list(memo.applied)
        _apply(tracker, applied, new, loops)
    else:
        loops, applied = _loop_names(events), _ORIGINAL_APPLIED_EVENTS(tracker)
    last = events[-1] if events else None
    tracker.__dict__[_MEMO] = _Memo(events, len(events), last, loops, applied)
    return list(applied)


def fast_json(value: Any) -> str:
    """JSON text of `value`, by ujson, or by `json` for what ujson refuses."""
    try:
        return ujson.dumps(value)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


# Rasa opens a new client session, and so a new TCP connection to the action server, for
# every action call and closes it after. One connection pool per event loop instead; idle
# connections are dropped after 3 s, before the action server's (Sanic's) 5 s keep-alive
# timeout, so the pool never sends on a connection the server is closing.
_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector] = (
    weakref.WeakKeyDictionary()
)
IDLE_CONNECTION_SECONDS = 3.0


def pooled_connector() -> aiohttp.TCPConnector | None:
    """This event loop's connection pool, or None outside a running loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    connector = _POOLS.get(loop)
    if connector is None or connector.closed:
        connector = aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS)
        _POOLS[loop] = connector
    return connector


def ujson_session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's client session for an endpoint (its headers, auth and timeout), on the loop's
    shared connection pool, encoding request bodies with `fast_json`."""
    connector = pooled_connector()
    if connector is None:
        session = _ORIGINAL_SESSION(self)
        session._json_serialize = fast_json  # aiohttp's own field for json_serialize
        return session
    auth = (
        aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        if self.basic_auth
        else None
    )
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=connector,
        connector_owner=False,
        json_serialize=fast_json,
    )


async def load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
    """Rasa's `load_agent_on_start`, then one-off work done before the first patient (see
    `warm_up`), then everything loaded so far out of the cyclic GC's way."""
    agent = await _ORIGINAL_LOAD_AGENT(*args, **kwargs)
    await warm_up(agent)
    gc.collect()
    gc.freeze()
    return agent


async def warm_up(agent: Any) -> None:
    """Work Rasa does once, on first use, done at start instead of in a patient's turn.

    Building the checker of action-server replies took 35 ms, on the first action call of each
    Rasa process: the first patient's consent answer took 69 ms where later ones took 25.
    The first message through the NLU pipeline also has one-off costs. Parsing a message
    writes no conversation.
    """
    from rasa.core.actions.action import RemoteAction

    cached_validate({"events": [], "responses": []}, RemoteAction.action_response_format_spec())
    if agent is not None and agent.is_ready():
        await agent.parse_message("hello, my knee hurts")


def _install_validate() -> None:
    jsonschema.validate = rasa_reply_validate


def _install_applied_events() -> None:
    DialogueStateTracker.applied_events = remembered_applied_events


def _install_load_agent() -> None:
    rasa.core.run.load_agent_on_start = load_agent_then_freeze


def _install_session() -> None:
    EndpointConfig.session = ujson_session


class Patch(NamedTuple):
    name: str  # for RASA_SPEEDUPS_OFF
    target: str  # what is replaced
    install: Callable[[], None]
    proof: str  # the test that shows it behaves as Rasa did


CHECKED_RASA = "3.6.21"
PATCHES = (
    Patch(
        "validate",
        "jsonschema.validate, for Rasa's check of action-server replies only",
        _install_validate,
        "tests/unit/test_runtime_server.py::test_cached_validate_judges_any_reply_as_jsonschema_does",
    ),
    Patch(
        "applied_events",
        "rasa.shared.core.trackers.DialogueStateTracker.applied_events",
        _install_applied_events,
        "tests/unit/test_runtime_server.py::"
        "test_remembered_applied_events_match_rasa_at_every_step_of_a_form_conversation",
    ),
    Patch(
        "load_agent",
        "rasa.core.run.load_agent_on_start (then warm-up and gc.freeze)",
        _install_load_agent,
        "tests/unit/test_runtime_server.py::"
        "test_the_reply_checker_is_built_at_start_not_in_the_first_patients_turn",
    ),
    Patch(
        "session",
        "rasa.utils.endpoints.EndpointConfig.session (ujson, one connection pool per loop)",
        _install_session,
        "tests/unit/test_runtime_server.py::test_action_server_requests_carry_the_same_json_faster",
    ),
)


def install_speedups(version: str | None = None, off: str | None = None) -> list[str]:
    """Install every patch on the Rasa version they were checked against; the targets
    installed (none, logged, on any other version). RASA_SPEEDUPS_OFF (or `off`), a comma
    list of patch names, leaves those out, to measure what each one saves."""
    version = version or rasa.__version__
    if off is None:
        off = os.environ.get("RASA_SPEEDUPS_OFF", "")
    left_out = {name.strip() for name in off.split(",") if name.strip()}
    unknown = left_out - {patch.name for patch in PATCHES}
    if unknown:
        raise SystemExit(f"RASA_SPEEDUPS_OFF names no speed-up: {', '.join(sorted(unknown))}")
    if version != CHECKED_RASA:
        logger.warning(
            "Rasa %s is not %s, which the speed-ups were checked against: running stock Rasa",
            version,
            CHECKED_RASA,
        )
        return []
    chosen = [patch for patch in PATCHES if patch.name not in left_out]
    for patch in chosen:
        patch.install()
    if left_out:
        logger.warning("Speed-ups left out (RASA_SPEEDUPS_OFF): %s", ", ".join(sorted(left_out)))
    return [patch.target for patch in chosen]


def one_blas_thread() -> None:
    """NumPy's matrix products (the sentence encoder's) on one thread per process.

    OpenBLAS otherwise starts a thread per core and keeps it spinning between the small
    products of one message: with two threads a turn used 78 ms of CPU for 44 ms of waiting.
    The stack runs one Rasa process per core, so a second thread only takes CPU from another
    patient's turn.
    """
    threadpool_limits(limits=1, user_api="blas")


def main() -> None:
    install_speedups()
    one_blas_thread()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
