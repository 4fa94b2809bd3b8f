"""The Rasa launcher's cached schema check behaves exactly like jsonschema.validate."""

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.actions.action import RemoteAction

from bot.runtime.server import cached_validate, exclusive_any_of

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


EVENT_NAMES = [
    branch["properties"]["event"]["const"]
    for branch in SPEC["properties"]["events"]["items"]["oneOf"]
]
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)
)
ENTITIES = st.lists(
    st.fixed_dictionaries({}, optional={"entity": VALUES, "value": VALUES, "start": VALUES}),
    max_size=2,
)
EVENTS = st.fixed_dictionaries(
    {"event": st.one_of(st.sampled_from(EVENT_NAMES), st.sampled_from(EVENT_NAMES), VALUES)},
    optional={
        "name": VALUES,
        "value": VALUES,
        "timestamp": VALUES,
        "entities": st.one_of(ENTITIES, VALUES),
        "text": VALUES,
        "policy": VALUES,
    },
)
REPLIES = st.fixed_dictionaries(
    {"events": st.one_of(st.lists(EVENTS, max_size=3), st.lists(EVENTS, max_size=3), VALUES)},
    optional={"responses": st.one_of(st.lists(st.dictionaries(st.text(max_size=3), VALUES)))},
)


REFERENCE = jsonschema.validators.validator_for(SPEC)(SPEC)  # what jsonschema.validate uses


@settings(max_examples=300, deadline=None)
@given(REPLIES)
def test_cached_validate_judges_any_reply_as_jsonschema_does(reply):
    original = jsonschema.exceptions.best_match(REFERENCE.iter_errors(reply))
    if original is None:
        assert cached_validate(reply, SPEC) is None
    else:
        with pytest.raises(jsonschema.ValidationError) as cached:
            cached_validate(reply, SPEC)
        assert cached.value.message == original.message


def test_only_a_oneof_pinned_to_distinct_constants_becomes_anyof():
    events = exclusive_any_of(SPEC)["properties"]["events"]["items"]
    assert "oneOf" not in events and len(events["anyOf"]) == len(EVENT_NAMES)
    # 5 fits both branches: oneOf refuses it, anyOf would not, so it must stay oneOf
    overlapping = {
        "type": "object",
        "required": ["n"],
        "oneOf": [
            {"properties": {"n": {"type": "integer"}}},
            {"properties": {"n": {"minimum": 0}}},
        ],
    }
    assert exclusive_any_of(overlapping) == overlapping
    with pytest.raises(jsonschema.ValidationError):
        cached_validate({"n": 5}, overlapping)


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

    from bot.runtime import server as rasa_server

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


def test_action_server_requests_carry_the_same_json_faster():
    import asyncio
    import json

    from rasa.utils.endpoints import EndpointConfig

    from bot.runtime.server import fast_json, ujson_session

    async def session_serializer():
        session = ujson_session(EndpointConfig("http://127.0.0.1:1/webhook"))
        async with session:
            return session.json_serialize

    assert asyncio.run(session_serializer()) is fast_json
    tracker = {"events": [{"event": "user", "text": "knee/hip é", "parse_data": {"c": 0.1}}]}
    for value in (tracker, 2**70, float("inf"), None, [1e-7, None, True]):
        assert json.loads(fast_json(value)) == json.loads(json.dumps(value))
    with pytest.raises(TypeError):  # what neither can encode still fails as before
        fast_json({"s": {1, 2}})


def test_action_calls_share_one_keep_alive_connection():
    """Rasa made a new TCP connection per action call; the pooled sessions reuse one."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from bot.runtime.server import pooled_connector, ujson_session

    peers: list[tuple] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": [], "got": await request.json()})

    async def three_calls() -> list:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        original = EndpointConfig.session
        EndpointConfig.session = ujson_session
        try:
            replies = [await endpoint.request(json={"n": n}, method="post") for n in range(3)]
        finally:
            EndpointConfig.session = original
            await pooled_connector().close()
            await runner.cleanup()
        return replies

    replies = asyncio.run(three_calls())
    assert [reply["got"] for reply in replies] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len(peers) == 3 and len(set(peers)) == 1, peers


def test_the_reply_checker_is_built_at_start_not_in_the_first_patients_turn():
    import asyncio

    from rasa.core.actions.action import RemoteAction

    from bot.runtime import server as rasa_server

    rasa_server._VALIDATORS.clear()
    asyncio.run(rasa_server.warm_up(None))
    built = dict(rasa_server._VALIDATORS)
    assert len(built) == 1
    reply = {"events": [], "responses": []}
    rasa_server.cached_validate(reply, RemoteAction.action_response_format_spec())
    assert built == rasa_server._VALIDATORS  # the first real reply reuses it


def test_on_another_rasa_version_nothing_is_patched_and_the_log_says_so(caplog, monkeypatch):
    from bot.runtime import server

    before = jsonschema.validate
    assert server.install_speedups(version="3.7.0") == []
    assert jsonschema.validate is before
    assert "running stock Rasa" in caplog.text


def test_speed_ups_named_in_rasa_speedups_off_are_left_out_to_measure_each(monkeypatch):
    from bot.runtime import server

    installed = []
    fakes = tuple(
        server.Patch(name, f"target {name}", lambda name=name: installed.append(name), "proof")
        for name in ("one", "two", "three")
    )
    monkeypatch.setattr(server, "PATCHES", fakes)
    monkeypatch.setenv("RASA_SPEEDUPS_OFF", "two")
    assert server.install_speedups(version=server.CHECKED_RASA) == ["target one", "target three"]
    assert installed == ["one", "three"]
    with pytest.raises(SystemExit, match="names no speed-up: four"):
        server.install_speedups(version=server.CHECKED_RASA, off="one,four")
    assert installed == ["one", "three"]


def test_every_patch_names_its_target_and_an_existing_proof():
    from bot.runtime import server
    from scripts.layout import ROOT

    assert server.PATCHES
    for patch in server.PATCHES:
        path, _, test = patch.proof.partition("::")
        assert f"def {test}(" in (ROOT / path).read_text(), patch.proof


def test_only_rasas_reply_check_is_cached_other_callers_get_jsonschema():
    from bot.runtime import server

    server._VALIDATORS.clear()
    server.rasa_reply_validate(GOOD, SPEC)
    assert len(server._VALIDATORS) == 1  # Rasa's schema: cached
    other = {"type": "object", "required": ["name"]}
    with pytest.raises(jsonschema.ValidationError):
        server.rasa_reply_validate({}, other)
    assert len(server._VALIDATORS) == 1  # anyone else's: jsonschema's own, not cached
