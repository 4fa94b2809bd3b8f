"""Load and check the red-flag catalogue (content/red_flags.yml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.content_checks import CatalogueError, dates_as_text
from bot.paths import CONTENT

CATALOGUE_PATH = CONTENT / "red_flags.yml"
LEVELS = ("emergency", "urgent", "soon")  # most serious first
LEVEL_RANK = {level: len(LEVELS) - index for index, level in enumerate(LEVELS)}  # soon 1 ... 3
CATEGORIES = (
    "cauda_equina",
    "cord_compression",
    "spinal_infection",
    "fracture",
    "cancer",
    "neuro_deficit",
    "septic_arthritis",
    "giant_cell_arteritis",
    "inflammatory_arthritis",
    "non_msk_emergency",
    "mental_health_crisis",
)
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

_TEXT = {"type": "string", "minLength": 1}
_PHRASES = {"type": "array", "items": _TEXT, "minItems": 1}
_CONCEPT = {
    "oneOf": [
        _PHRASES,
        {
            "type": "object",
            "required": ["phrases"],
            "additionalProperties": False,
            "properties": {"exact": {"type": "boolean"}, "phrases": _PHRASES},
        },
    ]
}
_PATTERN = {
    "oneOf": [
        {
            "type": "object",
            "required": ["phrases"],
            "additionalProperties": False,
            "properties": {
                "phrases": _PHRASES,
                "exact": {"type": "boolean"},
                "ask_first": {"type": "boolean"},
            },
        },
        {
            "type": "object",
            "required": ["together", "within"],
            "additionalProperties": False,
            "properties": {
                "together": {"type": "array", "items": _TEXT, "minItems": 1},
                "within": {"type": "integer", "minimum": 1, "maximum": 60},
                "ask_first": {"type": "boolean"},
                "learned_asks": {"type": "boolean"},
                "unless_between": {"type": "array", "items": _TEXT, "minItems": 1},
                "stated_age_outside": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 120},
                    "minItems": 2,
                    "maxItems": 2,
                },
            },
        },
    ]
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "last_reviewed", "levels", "concepts", "exclusions", "red_flags"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer"},
        "last_reviewed": {"type": "string", "format": "date"},
        "reviewed_by": _TEXT,
        "levels": {
            "type": "object",
            "required": list(LEVELS),
            "additionalProperties": False,
            "patternProperties": {
                ".*": {
                    "type": "object",
                    "required": ["heading", "kiosk_heading", "stop_note"],
                    "additionalProperties": False,
                    "properties": {
                        "heading": _TEXT,
                        "kiosk_heading": _TEXT,
                        "stop_note": _TEXT,
                    },
                }
            },
        },
        "concepts": {"type": "object", "additionalProperties": _CONCEPT},
        "exclusions": _PHRASES,
        "explained_away": _PHRASES,
        "red_flags": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "category",
                    "level",
                    "title",
                    "why",
                    "source",
                    "last_reviewed",
                    "check_question",
                    "patterns",
                ],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "category": {"enum": list(CATEGORIES)},
                    "level": {"enum": list(LEVELS)},
                    "title": _TEXT,
                    "why": _TEXT,
                    "advice": _TEXT,
                    "kiosk_advice": _TEXT,
                    "check_question": _TEXT,
                    "source": _TEXT,
                    "last_reviewed": {"type": "string", "format": "date"},
                    "screening": {
                        "type": "object",
                        "required": ["areas", "question"],
                        "additionalProperties": False,
                        "properties": {
                            "areas": {
                                "type": "array",
                                "items": {"enum": list(BODY_AREAS)},
                                "minItems": 1,
                            },
                            "question": _TEXT,
                            # the question as one line of a list of several ("you have
                            # ever had cancer"), when it is not already a list of lines
                            "in_a_list": _TEXT,
                            # asked only of patients this old or older (giant cell
                            # arteritis is rare under 50); asked when the age is not known
                            "from_age": {"type": "integer", "minimum": 0, "maximum": 120},
                        },
                    },
                    "patterns": {"type": "array", "items": _PATTERN, "minItems": 1},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class RedFlag:
    """One red flag: how it is recognised and what the patient is told."""

    id: str
    category: str
    level: str
    title: str
    why: str
    advice: str | None
    source: str
    patterns: tuple[dict[str, Any], ...]
    screening_areas: tuple[str, ...] = ()
    screening_question: str | None = None
    # The question as one line of a list asked together with others (optional).
    screening_line: str | None = None
    # The screening question is asked only from this age (None: at any age).
    screening_from_age: int | None = None
    # One plain yes/no question naming the symptom, asked when a detector is unsure.
    check_question: str = ""
    # What to do, said on the emergency-department kiosk instead of `advice` (optional).
    kiosk_advice: str | None = None

    def age_bounds(self) -> list[list[int]] | None:
        """The age ranges outside which this is a red flag, when every one of its patterns
        has one (`stated_age_outside`: "new back pain under 20 or over 50"); else None."""
        bounds = [pattern.get("stated_age_outside") for pattern in self.patterns]
        return None if not bounds or any(b is None for b in bounds) else bounds

    def ruled_out_at(self, age: int | None) -> bool:
        """This is a red flag only at some ages, and `age` is in none of them."""
        bounds = self.age_bounds()
        return bounds is not None and age is not None and all(lo <= age <= hi for lo, hi in bounds)


@dataclass(frozen=True)
class RedFlagCatalogue:
    """The whole checked catalogue."""

    flags: dict[str, RedFlag]
    concepts: dict[str, tuple[tuple[str, ...], bool]]
    exclusions: tuple[str, ...]
    levels: dict[str, dict[str, str]]
    screening_order: tuple[str, ...] = field(default=())
    # words of a flag explained away by what is said with them: no rule hit, and the learned
    # detector's guess of that flag from them is asked, not raised
    explained_away: tuple[str, ...] = field(default=())

    def screening_for(self, body_area: str | None, age: int | None = None) -> list[RedFlag]:
        """Screening questions for a body area, most serious level first; with the patient's
        age, without the questions asked only from an older age (`from_age`)."""
        area = body_area or "several"
        return [
            flag
            for flag in (self.flags[flag_id] for flag_id in self.screening_order)
            if area in flag.screening_areas
            and (age is None or flag.screening_from_age is None or age >= flag.screening_from_age)
        ]


def check(raw: dict[str, Any]) -> list[str]:
    """Every problem with a parsed catalogue; empty when it is sound."""
    raw = dates_as_text(raw)
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    problems = [
        f"{'/'.join(map(str, error.path)) or 'catalogue'}: {error.message}"
        for error in validator.iter_errors(raw)
    ]
    if problems:
        return problems
    concepts = set(raw["concepts"])
    ids = [flag["id"] for flag in raw["red_flags"]]
    problems += [
        f"red flag id {i} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})
    ]
    for flag in raw["red_flags"]:
        for pattern in flag["patterns"]:
            for name in [*pattern.get("together", []), *pattern.get("unless_between", [])]:
                if name not in concepts:
                    problems.append(f"{flag['id']}: unknown concept {name}")
        if date.fromisoformat(flag["last_reviewed"]) > date.today():
            problems.append(f"{flag['id']}: last_reviewed is in the future")
    return problems


def parse(raw: dict[str, Any]) -> RedFlagCatalogue:
    """A RedFlagCatalogue from parsed YAML, or CatalogueError listing what is wrong."""
    problems = check(raw)
    if problems:
        raise CatalogueError("; ".join(problems))
    flags = {
        item["id"]: RedFlag(
            id=item["id"],
            category=item["category"],
            level=item["level"],
            title=item["title"],
            why=item["why"],
            advice=item.get("advice"),
            kiosk_advice=item.get("kiosk_advice"),
            source=item["source"],
            patterns=tuple(item["patterns"]),
            screening_areas=tuple(item.get("screening", {}).get("areas", ())),
            screening_question=item.get("screening", {}).get("question"),
            screening_line=item.get("screening", {}).get("in_a_list"),
            screening_from_age=item.get("screening", {}).get("from_age"),
            check_question=item["check_question"],
        )
        for item in raw["red_flags"]
    }
    order = sorted(
        (flag.id for flag in flags.values() if flag.screening_question),
        key=lambda flag_id: -LEVEL_RANK[flags[flag_id].level],
    )
    concepts = {}
    for name, value in raw["concepts"].items():
        if isinstance(value, dict):
            concepts[name] = (tuple(value["phrases"]), bool(value.get("exact")))
        else:
            concepts[name] = (tuple(value), False)
    return RedFlagCatalogue(
        flags=flags,
        concepts=concepts,
        exclusions=tuple(raw["exclusions"]),
        explained_away=tuple(raw.get("explained_away", ())),
        levels=raw["levels"],
        screening_order=tuple(order),
    )


def load(path: Path = CATALOGUE_PATH) -> RedFlagCatalogue:
    """The checked catalogue from a YAML file."""
    return parse(yaml.safe_load(path.read_text()))
