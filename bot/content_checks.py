"""What the checked catalogues in content/ share: the error a broken one raises, and dates.

Both the red-flag catalogue (`bot/red_flag_catalogue.py`) and the signposting catalogue
(`bot/signposting.py`) are checked against a JSON schema when loaded; a catalogue that breaks
its schema, or names something that does not exist, is refused with every problem listed.
"""

from __future__ import annotations

from datetime import date
from typing import Any


class CatalogueError(ValueError):
    """The catalogue breaks its schema or refers to something that does not exist."""


def dates_as_text(raw: Any) -> Any:
    """The parsed YAML with its dates as text: YAML turns 2026-11-23 into a date, and the
    schemas want text."""
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, dict):
        return {key: dates_as_text(value) for key, value in raw.items()}
    if isinstance(raw, list):
        return [dates_as_text(value) for value in raw]
    return raw
