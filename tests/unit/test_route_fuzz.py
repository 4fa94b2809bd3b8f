"""Every route in the app's URL map, fuzzed: no query string, form or JSON body or path value
makes one answer 5xx (only the chat gateway may answer its documented 503: Rasa is not
running here).

The routes come from app.url_map, so a route added later is fuzzed without touching this file,
and one with a path variable this file cannot fill fails the test. The query and form keys a
route reads are found by running it once with a request class that records them (so a key
added later is fuzzed too); random keys are sent as well. Staff routes are fuzzed signed in as
an admin, with a valid CSRF token on most POSTs; the intake API with its bearer token. The
database holds referrals stored before the intake API refused odd payloads (nested 400 deep,
a signposting url that is a number, NaN), so their pages are fuzzed too.

ROUTE_FUZZ_EXAMPLES (default 25) examples per route and method.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections import Counter, defaultdict
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from argon2 import PasswordHasher
from flask import has_request_context, request
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Rule

from intake import create_app, storage
from intake.referral_schema import REFERENCE_PATTERN
from intake.staff import users
from tests.conftest import TEST_SECRET_KEY, TEST_TOKEN, VALID_REFERRAL
from tests.support.fuzz import fuzz_settings
from tests.unit.staff.conftest import ADMIN, Tracker, csrf_token

FUZZ = fuzz_settings("ROUTE_FUZZ_EXAMPLES", 25)
EXAMPLES = FUZZ.max_examples
AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
# 5xx answers a route documents (endpoint -> codes); every other 5xx fails the test.
DOCUMENTED_5XX = {"chat_gateway.chat": {503}}  # Rasa is not running here
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}  # sent a form, JSON or bytes
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]
CONVERSATION = "c0ffee" + "0" * 26
REFERENCES = ["MIS-FUZZ-0001", "MIS-DEEP-0400", "MIS-SIGN-0005", "MIS-NANN-0001"]


def nested(levels: int, leaf: Any = "leaf") -> Any:
    value = leaf
    for n in range(levels):
        value = {"x": value} if n % 2 else [value]
    return value


# Stored as the intake API once accepted them: their pages must still work.
ODD_STORED = {
    "MIS-DEEP-0400": {"extra": nested(400)},
    "MIS-SIGN-0005": {"signposting": [{"id": "a", "title": "A leaflet", "url": 5}]},
    "MIS-NANN-0001": {"extra": float("nan")},
}
PATH_VALUES = {
    "reference": REFERENCES,
    "conversation_id": [CONVERSATION, "nobody"],
    "filename": [
        "widget.js",
        "staff.css",
        "nhsuk-frontend.min.css",
        "assets/x.svg",
        "../README.md",
    ],
}
CONVERTERS = {"default": "", "string": "", "path": "/"}  # converter -> characters kept in quote()
ODD_TEXT = ["\u00b2", "\u0661\u0662", "\uff15", "\u216b", "\U0001d7d7", '"', "'", "*", "NEAR(",
            "-", ":", "(", ")", "\x00", "\r\n", "\u202e", "NaN", "1e309", "-1", "0", "", " ",
            "%", "../", "javascript:alert(1)", "<script>", "MIS-7K3P-QD9X", "2026-02-30",
            "9999-12-31", "yes", "no", "in_review", "emergency", "admin",
            "https://www.nhs.uk/"]  # fmt: skip
RAW_QUERY_TAILS = ["", "&", "&%", "&page=%ZZ", "&q=%C3%28", "&%FF=%FE", "&=", "&page"]

odd_values = st.one_of(
    st.text(max_size=30),  # any Unicode, control characters too
    st.sampled_from(ODD_TEXT),
    st.integers(-(10**40), 10**40).map(str),
    st.builds(
        lambda text, times: text * times,
        st.sampled_from(["9", "a", "\u00b2", '"', "\u00e9", "( "]),
        st.integers(300, 6000),
    ),
    st.dates().map(str),
)
json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
json_bodies = json_values | st.builds(nested, st.integers(1, 200), json_values)


# --- the keys each route reads ---------------------------------------------------------------

READ_KEYS: defaultdict[str, set[str]] = defaultdict(set)


class RecordingMultiDict(ImmutableMultiDict):
    """Query and form data that note which keys the endpoint asked for."""

    def _note(self, key: Any) -> None:
        if has_request_context() and request.endpoint and isinstance(key, str):
            READ_KEYS[request.endpoint].add(key)

    def __getitem__(self, key):  # get() comes here too
        self._note(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):  # noqa: A002 (werkzeug's name)
        self._note(key)
        return super().getlist(key, type)

    def __contains__(self, key) -> bool:
        self._note(key)
        return super().__contains__(key)


# --- the app, its routes, and signed-in clients ----------------------------------------------


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app on one database for every example, with referrals (some stored before the API
    refused odd ones), an escalation and a conversation; chat limits out of the way."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setattr(
        users, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    folder = tmp_path_factory.mktemp("route-fuzz")
    app = create_app(
        {
            "intake_db": folder / "intake.db",
            "tracker_db": folder / "tracker.db",
            "rasa_url": "http://127.0.0.1:9",  # nothing listens: the gateway answers 503
            "chat_rate_per_conversation": "1000000/minute",
            "chat_rate_per_address": "1000000/minute",
        }
    )
    app.request_class = type(
        "RecordingRequest", (app.request_class,), {"parameter_storage_class": RecordingMultiDict}
    )
    with app.app_context():
        users.create_user(storage.database(), *ADMIN, "admin")
        for reference in REFERENCES:
            payload = copy.deepcopy(VALID_REFERRAL)
            payload.update(reference=reference, conversation_id=CONVERSATION)
            payload.update(ODD_STORED.get(reference, {}))
            storage.store_referral(payload)
        storage.store_escalation(
            {"id": "e" * 32, "conversation_id": CONVERSATION, "level": "urgent",
             "code": "septic_arthritis", "source": "message",
             "occurred_at": "2026-11-22T10:00:00+00:00"}
        )  # fmt: skip
    tracker = Tracker(app.config["SETTINGS"].tracker_db)
    tracker.user(CONVERSATION, "my knee hurts", datetime(2026, 11, 22, 10, tzinfo=timezone.utc))
    yield app
    monkeypatch.undo()


def _converter(rule: Rule, argument: str) -> str:
    match = re.search(rf"<(?:(\w+)(?:\([^)]*\))?:)?{argument}>", rule.rule)
    return (match and match.group(1)) or "default"


def routes(app) -> list[tuple[Rule, str]]:
    """(rule, method) for every route the app's own code answers: not HEAD (Flask answers it
    as GET) nor an automatic OPTIONS."""
    found = []
    for rule in app.url_map.iter_rules():
        methods = set(rule.methods or ()) - {"HEAD"}
        if getattr(rule, "provide_automatic_options", False):
            methods.discard("OPTIONS")
        found += [(rule, method) for method in sorted(methods)]
    return found


_addresses = itertools.count(1)


class Visitor:
    """A test client from an address of its own (sign-in throttling counts by address), signed
    in as the admin if asked, and signed in again after an example signs it out."""

    def __init__(self, app, *, signed_in: bool) -> None:
        n = next(_addresses)
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = (
            f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        )
        self.signed_in = signed_in
        self.token = ""

    def ready(self) -> tuple[Any, str]:
        """The client and the CSRF token of its session."""
        with self.client.session_transaction() as session:
            fresh = not self.token or (self.signed_in and "_user_id" not in session)
        if fresh and self.signed_in:
            response = self.client.post(
                "/staff/sign-in",
                data={
                    "csrf_token": csrf_token(self.client, "/staff/sign-in"),
                    "username": ADMIN[0],
                    "password": ADMIN[1],
                },
            )
            assert response.status_code == 302, "the admin could not sign in"
        if fresh:
            self.token = csrf_token(self.client, "/staff/sign-in")
        return self.client, self.token


def url_for_rule(rule: Rule, values: dict[str, str]) -> str:
    url = rule.rule
    for placeholder, argument in re.findall(r"(<(?:[^<>:]*:)?([^<>:]+)>)", rule.rule):
        safe = CONVERTERS[_converter(rule, argument)]
        url = url.replace(placeholder, quote(values[argument], safe=safe))
    return url


def send(visitor: Visitor, rule: Rule, method: str, case: dict[str, Any]):
    client, token = visitor.ready()
    url = url_for_rule(rule, case["path"])
    query = urlencode(case["query"], quote_via=quote) + case["tail"]
    headers = dict(AUTH) if rule.rule.startswith("/api/") else {}
    kwargs: dict[str, Any] = {}
    if method in BODY_METHODS:
        kind, body = case["body"]
        if case["csrf"] == "valid":
            headers["X-CSRFToken"] = token
        if kind == "form":
            body = dict(body)
            if case["csrf"] != "missing":
                body["csrf_token"] = token if case["csrf"] == "valid" else "forged"
            kwargs["data"] = body
        elif kind == "json":
            kwargs["json"] = body
        else:
            kwargs.update(data=body[0], content_type=body[1])
    return client.open(f"{url}?{query}", method=method, headers=headers, **kwargs)


def cases(rule: Rule, method: str) -> st.SearchStrategy[dict[str, Any]]:
    all_keys = sorted(set().union(*READ_KEYS.values()))
    own_keys = sorted(READ_KEYS.get(rule.endpoint, set())) or all_keys
    keys = st.sampled_from(own_keys) | st.sampled_from(all_keys) | st.text(max_size=12)
    known = {
        argument: st.sampled_from(PATH_VALUES.get(argument, ["x"])) for argument in rule.arguments
    }
    # Known values (a stored referral, conversation or file: the pages behind them) are
    # weighed up against odd ones by being listed twice.
    path = st.fixed_dictionaries(
        {argument: st.one_of(value, value, odd_values) for argument, value in known.items()}
    )
    body = st.one_of(
        st.tuples(st.just("form"), st.dictionaries(keys, odd_values, max_size=6)),
        st.tuples(st.just("json"), json_bodies),
        st.tuples(
            st.just("bytes"),
            st.tuples(st.binary(max_size=200), st.sampled_from(CONTENT_TYPES)),
        ),
    )
    return st.fixed_dictionaries(
        {
            "path": path,
            "query": st.lists(st.tuples(keys, odd_values), max_size=5),
            "tail": st.sampled_from(RAW_QUERY_TAILS),
            "body": body if method in BODY_METHODS else st.none(),
            "csrf": st.sampled_from(["valid", "valid", "valid", "missing", "forged"]),
        }
    )


def record_read_keys(app) -> None:
    """Run every route once, signed in and with a CSRF token, to learn the keys it reads."""
    for rule, method in routes(app):
        values = {argument: PATH_VALUES.get(argument, ["x"])[0] for argument in rule.arguments}
        case = {"path": values, "query": [], "tail": "", "body": ("form", {}), "csrf": "valid"}
        send(Visitor(app, signed_in=rule.rule.startswith("/staff")), rule, method, case)


def allowed(rule: Rule, status: int) -> bool:
    return status < 500 or status in DOCUMENTED_5XX.get(rule.endpoint, set())


# --- the tests -------------------------------------------------------------------------------


def test_every_route_and_path_variable_is_one_the_fuzz_can_send(fuzz_app):
    found = routes(fuzz_app)
    endpoints = {rule.endpoint for rule, _ in found}
    assert {"staff.queue", "staff.change_status", "pages.kiosk", "chat_gateway.chat"} <= endpoints
    assert set(DOCUMENTED_5XX) <= endpoints, "a documented 5xx for a route that is gone"
    for rule, _method in found:
        for argument in rule.arguments:
            converter = _converter(rule, argument)
            assert converter in CONVERTERS, (
                f"{rule.rule}: teach this test the {converter} converter"
            )


def test_the_recorder_learns_the_keys_each_route_reads(fuzz_app):
    record_read_keys(fuzz_app)
    assert {"page", "q", "status", "received_from"} <= READ_KEYS["staff.queue"]
    assert {"idle_warning_seconds", "idle_reset_seconds"} <= READ_KEYS["pages.kiosk"]
    assert {"actor", "action", "page"} <= READ_KEYS["staff.admin_audit"]
    assert {"to_status", "reason"} <= READ_KEYS["staff.change_status"]
    assert {"username", "password"} <= READ_KEYS["staff.sign_in"]


def fuzz_route(app, rule: Rule, method: str) -> int:
    """Hypothesis' examples for one route and method; how many were sent."""
    name, sent = f"{method} {rule.rule}", []
    visitor = Visitor(app, signed_in=rule.rule.startswith("/staff"))

    @FUZZ
    @given(cases(rule, method))
    def check(case):
        sent.append(case)
        response = send(visitor, rule, method, case)
        assert allowed(rule, response.status_code), (name, response.status_code, case)

    check()
    return len(sent)


@pytest.mark.slow  # property-based, about 12 s: run by make test
def test_no_route_answers_5xx_to_any_query_body_or_path_value(fuzz_app):
    if not READ_KEYS:
        record_read_keys(fuzz_app)
    sent = {
        f"{method} {rule.rule}": fuzz_route(fuzz_app, rule, method)
        for rule, method in routes(fuzz_app)
    }
    assert sent and all(count == EXAMPLES for count in sent.values()), sent


@st.composite
def referrals(draw) -> dict[str, Any]:
    """A valid referral with odd extras: fields the schema does not list, deep nesting, NaN,
    signposting of any shape, answers about the problem."""
    body = copy.deepcopy(VALID_REFERRAL)
    body["reference"] = draw(st.from_regex(REFERENCE_PATTERN, fullmatch=True))
    body.update(draw(st.dictionaries(st.text(max_size=10), json_bodies, max_size=3)))
    body["problem"].update(
        draw(st.dictionaries(st.text(max_size=10), st.none() | st.text(max_size=30), max_size=3))
    )
    if draw(st.booleans()):
        card = st.fixed_dictionaries(
            {},
            optional={
                key: st.sampled_from(["https://www.nhs.uk/", "javascript:alert(1)"]) | json_values
                for key in ("id", "title", "url", "summary")
            },
        )
        body["signposting"] = draw(st.lists(st.text(max_size=10) | card | json_values, max_size=3))
    return body


def test_whatever_the_intake_api_stores_staff_can_read(fuzz_app):
    """The referral page of anything the API accepted was a 500 when it was nested 400 deep,
    had a signposting url that was a number, or held NaN (the queue too)."""
    client, _ = Visitor(fuzz_app, signed_in=True).ready()
    answers: Counter = Counter()

    @settings(FUZZ, max_examples=EXAMPLES * 6)
    @given(referrals())
    def check(body):
        created = client.post("/api/v1/referrals", json=body, headers=AUTH)
        assert created.status_code in (200, 201, 409, 422), created.status_code
        answers[created.status_code] += 1
        if created.status_code in (200, 201):
            reference = body["reference"]
            assert client.get(f"/staff/referrals/{reference}").status_code == 200
            assert client.get(f"/api/v1/referrals/{reference}", headers=AUTH).status_code == 200

    check()
    for url in ("/staff/queue", "/staff/queue.csv", "/staff/queue?q=a", "/api/v1/referrals"):
        assert client.get(url, headers=AUTH).status_code == 200, url
    assert answers[201] > 0 and answers[422] > 0, answers
