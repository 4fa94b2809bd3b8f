"""The referral's fields as content/referral_fields.yml lists them: their order, and which
staff search by. (The bot reads the same file through bot/field_registry.py; intake/ never
imports bot/.)"""

from __future__ import annotations

from functools import cache

import yaml

from intake.settings import ROOT

REGISTRY = ROOT / "content" / "referral_fields.yml"


@cache
def _fields() -> dict[str, dict]:
    return yaml.safe_load(REGISTRY.read_text())["fields"]


def field_order() -> tuple[str, ...]:
    return tuple(_fields())


def searched(section: str) -> tuple[str, ...]:
    """The fields of a section staff search referrals by, in order."""
    return tuple(
        name
        for name, field in _fields().items()
        if field["section"] == section and field.get("searched")
    )
