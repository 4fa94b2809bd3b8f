"""How the staff pages show a referral's values: labels from the field registry
(field_labels.yml, with body areas, work statuses and signposting titles from content/),
local dates and times, ages, pain scores out of 10."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask import current_app

from intake.settings import ROOT

REGISTRY = Path(__file__).with_name("field_labels.yml")
VOCABULARY = ROOT / "content" / "problem_vocabulary.yml"
SIGNPOSTING = ROOT / "content" / "signposting.yml"
LABEL_WORDS = {"nhs": "NHS", "gp": "GP", "line1": "line 1", "min": "minimum"}


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=1)
def registry() -> dict[str, Any]:
    """The field registry, with the coded answers content/ has words for."""
    data = _load(REGISTRY)
    values = {key: dict(words) for key, words in (data.get("values") or {}).items()}
    vocabulary = _load(VOCABULARY)
    values["body_area"] = {
        key: str(area.get("label") or key)
        for key, area in (vocabulary.get("body_areas") or {}).items()
        if isinstance(area, dict)
    }
    values["work_status"] = {
        str(key): str(label) for key, label in (vocabulary.get("work_status") or {}).items()
    }
    values["signposting"] = {
        str(item.get("id")): str(item.get("title") or item.get("id"))
        for item in _load(SIGNPOSTING).get("resources") or []
        if isinstance(item, dict)
    }
    return {**data, "values": values}


def words(group: str) -> dict[str, str]:
    """A group of the registry's own words (priorities, contact_methods, ...), in order."""
    return dict(registry().get(group) or {})


def field_label(key: Any) -> str:
    """A payload key as staff read it: 'gp_practice' -> 'GP practice'."""
    known = (registry().get("labels") or {}).get(str(key))
    if known:
        return str(known)
    label = " ".join(LABEL_WORDS.get(word, word) for word in str(key).split("_"))
    return label[:1].upper() + label[1:]


def value_label(key: Any, value: Any) -> Any:
    """A coded answer in words ('at_risk' -> the work-status label, 6 -> '6/10', a date of
    birth with the age); anything else as it is."""
    key = str(key)
    if key == "pain_score" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return pain(value)
    if key == "date_of_birth" and isinstance(value, str):
        return born(value)
    if key in ("submitted_at",) and isinstance(value, str):
        return local_time(value)
    coded = (registry()["values"].get(key) or {}).get(value) if isinstance(value, str) else None
    return coded if coded is not None else value


def pain(score: Any) -> str:
    if score is None or score == "":
        return ""
    if isinstance(score, (int, float)) and not isinstance(score, bool) and 0 <= score <= 10:
        return f"{score:g}/10"
    return str(score)


def age(date_of_birth: Any, on: date | None = None) -> int | None:
    try:
        born_on = date.fromisoformat(str(date_of_birth))
    except ValueError:
        return None
    on = on or date.today()
    return on.year - born_on.year - ((on.month, on.day) < (born_on.month, born_on.day))


def born(date_of_birth: str) -> str:
    """'1971-11-02' -> '2 November 1971 (age 55)'."""
    years = age(date_of_birth)
    if years is None:
        return date_of_birth
    shown = date.fromisoformat(date_of_birth)
    return f"{shown.day} {shown:%B %Y} (age {years})"


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(current_app.config["SETTINGS"].staff_time_zone)
    except (RuntimeError, KeyError):
        return ZoneInfo("Europe/London")


def local_time(value: Any, seconds: bool = False) -> str:
    """An ISO time or a datetime in the staff's time zone: '22 Nov 2026, 10:00'."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(_zone())
    return f"{moment.day} {moment:%b %Y, %H:%M{':%S' if seconds else ''}}"


def iso(value: Any) -> str:
    """The machine-readable time for a <time datetime> attribute."""
    return value.isoformat() if isinstance(value, datetime) else str(value or "")
