"""Red-flag titles and screening questions from the clinician-owned catalogue (content/)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from intake.settings import ROOT

CATALOGUE = ROOT / "content" / "red_flags.yml"


@lru_cache(maxsize=1)
def _flags() -> dict[str, dict[str, Any]]:
    try:
        data = yaml.safe_load(CATALOGUE.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return {str(flag.get("id")): flag for flag in data.get("red_flags", []) or []}


# The answer to a list of screening questions (bot/dialogue/screening.py), sent only when it
# was yes and each question of the list was then answered no: staff should ask.
SCREENING_LIST = "any_of_these_"


def title(code: str) -> str:
    """The catalogue title of a red flag, or its id when the catalogue does not know it."""
    if code.startswith(SCREENING_LIST):
        return "Said yes to a list of screening questions, then no to each one: please ask"
    return str(_flags().get(code, {}).get("title") or code)


def question(code: str) -> str:
    """The screening question asked for this red flag ('' if it has none)."""
    screening = _flags().get(code, {}).get("screening") or {}
    return " ".join(str(screening.get("question") or "").split())
