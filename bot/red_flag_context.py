"""Load and check the red-flag context rules (content/red_flag_context.yml).

The word lists that decide whether a red-flag phrase is about the patient, now: negation,
the phrases that look like a negation but are an inability or a loss, other people,
what-ifs and talking about a condition, resolved history, a change made on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.paths import CONTENT

CONTEXT_PATH = CONTENT / "red_flag_context.yml"

_WORDS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
LISTS = (
    "negations",
    "following_negations",
    "following_fine",
    "direct_negation_fillers",
    "not_negations",
    "other_person",
    "hypothetical",
    "come_true",
    "general_question",
    "resolved",
    "historical",
    "ongoing",
    "ongoing_as_written",
    "following_negations_as_written",
    "ruled_out_before",
    "never_corrected",
    "history_still_counts",
    "own_history_categories",
    "on_purpose",
    "on_purpose_categories",
    "not_on_purpose",
    "on_behalf",
    "condition_names",
    "terminators",
)
WINDOWS = ("negation", "following_negation", "other_person", "hypothetical")
SCHEMA = {
    "type": "object",
    "required": ["version", "last_reviewed", "reviewed_by", *LISTS, "windows", "text_speak"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer"},
        "last_reviewed": {},
        "reviewed_by": {"type": "string"},
        **{name: _WORDS for name in LISTS},
        "windows": {
            "type": "object",
            "required": list(WINDOWS),
            "additionalProperties": False,
            "properties": {name: {"type": "integer", "minimum": 1} for name in WINDOWS},
        },
        "text_speak": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


@dataclass(frozen=True)
class ContextRules:
    """The checked word lists and windows of content/red_flag_context.yml."""

    lists: dict[str, tuple[str, ...]]
    windows: dict[str, int]
    text_speak: dict[str, str]

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return self.lists[name]


def parse(raw: dict[str, Any]) -> ContextRules:
    """Context rules from the parsed YAML; raises jsonschema.ValidationError when malformed."""
    jsonschema.validate(raw, SCHEMA)
    return ContextRules(
        lists={name: tuple(str(item) for item in raw[name]) for name in LISTS},
        windows=dict(raw["windows"]),
        text_speak={str(k): str(v) for k, v in raw["text_speak"].items()},
    )


def load(path: Path = CONTEXT_PATH) -> ContextRules:
    """The context rules in content/."""
    return parse(yaml.safe_load(path.read_text()))
