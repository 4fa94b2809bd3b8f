"""Self-help signposting: load and check content/signposting.yml, and choose what to offer.

The catalogue is data (resources, the words that name conditions and topics, and the
rules that choose); this module only checks it and applies it. One safety rule is code, not
data: nothing is offered with or instead of an emergency or urgent escalation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml

from bot.content_checks import CatalogueError, dates_as_text
from bot.paths import CONTENT

CATALOGUE_PATH = CONTENT / "signposting.yml"

BODY_AREAS = (
    "back",
    "neck",
    "shoulder",
    "elbow",
    "wrist_hand",
    "hip",
    "knee",
    "ankle_foot",
    "several",
)
DURATION_BANDS = ("under_6_weeks", "6_weeks_to_3_months", "3_to_12_months", "over_12_months")
WORK_STATUSES = ("working", "off_work", "at_risk", "not_working", "retired", "student")
ONSETS = ("injury", "gradual")
MOMENTS = ("end_of_referral", "after_escalation", "on_request")
# Escalation levels at which nothing is signposted: the patient must get help first.
NO_SIGNPOSTING_LEVELS = frozenset({"emergency", "urgent"})
ANY = "any"

_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_TEXT = {"type": "string", "minLength": 1}
_WORDS = {"type": "array", "items": _TEXT, "minItems": 1}
_IDS = {"type": "array", "items": _ID, "minItems": 1, "uniqueItems": True}


def _values(allowed: Iterable[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"enum": list(allowed)}, "minItems": 1, "uniqueItems": True}


SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "max_items", "conditions", "topics", "resources", "rules"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer"},
        "max_items": {"type": "integer", "minimum": 1, "maximum": 4},
        "last_reviewed": {"type": "string", "format": "date"},
        "reviewed_by": _TEXT,
        "conditions": {"type": "object", "additionalProperties": _WORDS},
        "topics": {"type": "object", "additionalProperties": _WORDS},
        "resources": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "title", "summary", "url", "tags", "owner", "review_date"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "title": {"type": "string", "minLength": 3, "maxLength": 90},
                    "summary": {"type": "string", "minLength": 20, "maxLength": 300},
                    "url": {"type": "string", "pattern": r"^https://[^\s]+$"},
                    "confirm": _TEXT,
                    "owner": _TEXT,
                    "review_date": {"type": "string", "format": "date"},
                    "tags": {
                        "type": "object",
                        "required": [
                            "body_area",
                            "condition",
                            "work",
                            "duration",
                            "kiosk_suitable",
                        ],
                        "additionalProperties": False,
                        "properties": {
                            "body_area": _values((*BODY_AREAS, ANY)),
                            "condition": _IDS,
                            "work": {"type": "boolean"},
                            "duration": _values((*DURATION_BANDS, ANY)),
                            "kiosk_suitable": {"type": "boolean"},
                        },
                    },
                },
            },
        },
        "rules": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "offer", "priority"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "offer": _IDS,
                    "priority": {"type": "integer", "minimum": 0, "maximum": 1000},
                    "filler": {"type": "boolean"},
                    "when": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "body_area": _values(BODY_AREAS),
                            "condition": _IDS,
                            "topic": _IDS,
                            "work_status": _values(WORK_STATUSES),
                            "duration": _values(DURATION_BANDS),
                            "onset": _values(ONSETS),
                            "escalation_code": _IDS,
                            "moment": _values(MOMENTS),
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Resource:
    """One page we point patients to."""

    id: str
    title: str
    summary: str
    url: str
    body_areas: tuple[str, ...]
    conditions: tuple[str, ...]
    work: bool
    durations: tuple[str, ...]
    kiosk_suitable: bool
    owner: str
    review_date: date

    def card(self) -> dict[str, str]:
        """The item as sent in the signposting marker."""
        return {"id": self.id, "title": self.title, "url": self.url, "summary": self.summary}


@dataclass(frozen=True)
class Rule:
    """When it applies (key -> any of these values) and what it offers, best first."""

    id: str
    offer: tuple[str, ...]
    priority: int
    when: dict[str, tuple[str, ...]]
    filler: bool = False


@dataclass(frozen=True)
class Context:
    """What the conversation knows that bears on what to offer."""

    moment: str
    body_area: str | None = None
    conditions: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    work_status: str | None = None
    duration: str | None = None
    onset: str | None = None
    escalation_level: str | None = None
    escalation_codes: frozenset[str] = frozenset()
    kiosk: bool = False

    def facts(self) -> dict[str, frozenset[str]]:
        """Each rule key with the values the conversation has for it."""
        single = {
            "moment": self.moment,
            "body_area": self.body_area,
            "work_status": self.work_status,
            "duration": self.duration,
            "onset": self.onset,
        }
        facts = {key: frozenset({value} if value else ()) for key, value in single.items()}
        facts["condition"] = self.conditions
        facts["topic"] = self.topics
        facts["escalation_code"] = self.escalation_codes
        return facts


@dataclass(frozen=True)
class SignpostingCatalogue:
    """The checked signposting catalogue."""

    resources: dict[str, Resource]
    rules: tuple[Rule, ...]
    conditions: dict[str, tuple[str, ...]]
    topics: dict[str, tuple[str, ...]]
    max_items: int
    _patterns: dict[str, list[tuple[re.Pattern[str], str]]] = field(
        default_factory=dict, compare=False, repr=False
    )


# --- checking --------------------------------------------------------------------------


def url_problem(url: str) -> str | None:
    """Why a link is not a well-formed https URL to a named host, or None."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "must start with https://"
    host = parts.hostname or ""
    if "." not in host or host.startswith(".") or host.endswith("."):
        return "must name a host such as www.nhs.uk"
    if parts.username or parts.password or parts.port:
        return "must not carry a user name, password or port"
    if any(ch.isspace() for ch in url):
        return "must not contain spaces"
    return None


def _duplicates(ids: list[str]) -> list[str]:
    return sorted({i for i in ids if ids.count(i) > 1})


def check(raw: dict[str, Any], red_flag_ids: Iterable[str] | None = None) -> list[str]:
    """Every problem with a parsed catalogue that stops it being used; empty when sound.

    Review dates are not checked here (see overdue_reviews): an overdue review must fail
    the content check, not stop the assistant working.
    """
    raw = dates_as_text(raw)
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    problems = [
        f"{'/'.join(map(str, error.path)) or 'catalogue'}: {error.message}"
        for error in validator.iter_errors(raw)
    ]
    if problems:
        return problems
    resource_ids = [item["id"] for item in raw["resources"]]
    rule_ids = [rule["id"] for rule in raw["rules"]]
    problems += [f"resource id {i} is used twice" for i in _duplicates(resource_ids)]
    problems += [f"rule id {i} is used twice" for i in _duplicates(rule_ids)]
    conditions = set(raw["conditions"])
    for item in raw["resources"]:
        problem = url_problem(item["url"])
        if problem:
            problems.append(f"{item['id']}: url {problem}")
        for name in item["tags"]["condition"]:
            if name not in conditions and name != "general":
                problems.append(f"{item['id']}: unknown condition tag {name}")
    known = set(resource_ids)
    flags = set(red_flag_ids) if red_flag_ids is not None else None
    for rule in raw["rules"]:
        when = rule.get("when", {})
        problems += [
            f"rule {rule['id']}: offers {i}, which is not a resource"
            for i in rule["offer"]
            if i not in known
        ]
        problems += [
            f"rule {rule['id']}: unknown condition {name}"
            for name in when.get("condition", [])
            if name not in conditions
        ]
        problems += [
            f"rule {rule['id']}: unknown topic {name}"
            for name in when.get("topic", [])
            if name not in raw["topics"]
        ]
        if flags is not None:
            problems += [
                f"rule {rule['id']}: unknown red flag {code}"
                for code in when.get("escalation_code", [])
                if code not in flags
            ]
    return problems


def overdue_reviews(catalogue: SignpostingCatalogue, today: date | None = None) -> list[str]:
    """Resources whose review date has passed."""
    today = today or date.today()
    return [
        f"{item.id}: review date {item.review_date.isoformat()} has passed"
        for item in catalogue.resources.values()
        if item.review_date < today
    ]


def _word_patterns(vocabulary: dict[str, tuple[str, ...]]) -> list[tuple[re.Pattern[str], str]]:
    """(whole-word pattern, id) pairs, longest phrase first."""
    pairs = [(word.lower(), key) for key, words in vocabulary.items() for word in words]
    pairs.sort(key=lambda pair: -len(pair[0]))
    return [(re.compile(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])"), key) for w, key in pairs]


def parse(raw: dict[str, Any], red_flag_ids: Iterable[str] | None = None) -> SignpostingCatalogue:
    """A SignpostingCatalogue from parsed YAML, or CatalogueError listing what is wrong."""
    problems = check(raw, red_flag_ids)
    if problems:
        raise CatalogueError("; ".join(problems))
    raw = dates_as_text(raw)
    resources = {
        item["id"]: Resource(
            id=item["id"],
            title=" ".join(item["title"].split()),
            summary=" ".join(item["summary"].split()),
            url=item["url"],
            body_areas=tuple(item["tags"]["body_area"]),
            conditions=tuple(item["tags"]["condition"]),
            work=item["tags"]["work"],
            durations=tuple(item["tags"]["duration"]),
            kiosk_suitable=item["tags"]["kiosk_suitable"],
            owner=item["owner"],
            review_date=date.fromisoformat(item["review_date"]),
        )
        for item in raw["resources"]
    }
    rules = tuple(
        Rule(
            id=rule["id"],
            offer=tuple(rule["offer"]),
            priority=rule["priority"],
            when={key: tuple(values) for key, values in rule.get("when", {}).items()},
            filler=bool(rule.get("filler", False)),
        )
        for rule in raw["rules"]
    )
    conditions = {key: tuple(words) for key, words in raw["conditions"].items()}
    topics = {key: tuple(words) for key, words in raw["topics"].items()}
    return SignpostingCatalogue(
        resources=resources,
        rules=rules,
        conditions=conditions,
        topics=topics,
        max_items=raw["max_items"],
        _patterns={"condition": _word_patterns(conditions), "topic": _word_patterns(topics)},
    )


def read(path: Path = CATALOGUE_PATH) -> dict[str, Any]:
    """The parsed YAML, unchecked."""
    return yaml.safe_load(path.read_text())


@cache
def load(path: Path = CATALOGUE_PATH) -> SignpostingCatalogue:
    """The checked catalogue, loaded once per process; escalation codes checked too."""
    from bot.red_flag_catalogue import load as load_red_flags

    return parse(read(path), red_flag_ids=load_red_flags().flags)


# --- reading the patient's words ----------------------------------------------------------


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def find_words(catalogue: SignpostingCatalogue, kind: str, text: str) -> tuple[frozenset[str], str]:
    """The condition or topic ids named in `text`, and the text with those words blanked.

    Longest phrases are matched first and each word is used once, so "rheumatoid
    arthritis" names rheumatoid_arthritis only, and "back to work" is a topic, not a back.
    """
    remaining = _normalise(text)
    found: set[str] = set()
    for pattern, key in catalogue._patterns[kind]:
        if pattern.search(remaining):
            found.add(key)
            remaining = pattern.sub(lambda match: "#" * len(match.group(0)), remaining)
    return frozenset(found), remaining


def conditions_in(catalogue: SignpostingCatalogue, texts: Iterable[str]) -> frozenset[str]:
    """Condition ids named anywhere in the patient's messages."""
    found: set[str] = set()
    for text in texts:
        found |= find_words(catalogue, "condition", text)[0]
    return frozenset(found)


# --- choosing ----------------------------------------------------------------------------------


def may_signpost(escalation_level: str | None) -> bool:
    """False after an emergency or urgent escalation: the patient must get help first."""
    return escalation_level not in NO_SIGNPOSTING_LEVELS


def rule_applies(rule: Rule, facts: dict[str, frozenset[str]]) -> bool:
    """Every key in the rule's `when` has one of its values in the conversation."""
    return all(facts.get(key, frozenset()) & set(values) for key, values in rule.when.items())


def _round_robin(rules: list[Rule], usable: set[str], chosen: list[str], limit: int) -> None:
    """Each rule gives its next unchosen item in turn, until `limit` or nothing is left."""
    queues = [[i for i in rule.offer if i in usable] for rule in rules]
    while len(chosen) < limit and any(queues):
        for queue in queues:
            while queue and queue[0] in chosen:
                queue.pop(0)
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))


def select(catalogue: SignpostingCatalogue, context: Context) -> list[Resource]:
    """Up to max_items resources for this patient, best first; none after a serious escalation."""
    if not may_signpost(context.escalation_level):
        return []
    facts = context.facts()
    matching = sorted(
        (rule for rule in catalogue.rules if rule_applies(rule, facts)),
        key=lambda rule: (-rule.priority, rule.id),
    )
    usable = {
        item.id for item in catalogue.resources.values() if item.kiosk_suitable or not context.kiosk
    }
    chosen: list[str] = []
    _round_robin([r for r in matching if not r.filler], usable, chosen, catalogue.max_items)
    _round_robin([r for r in matching if r.filler], usable, chosen, catalogue.max_items)
    return [catalogue.resources[i] for i in chosen]


def text_fallback(items: Iterable[Resource]) -> str:
    """The items as plain text, for channels that do not show cards."""
    return "\n".join(f"- {item.title}: {item.url}" for item in items)
