"""The suggested triage priority: a rule over pain score, work, duration, red-flag screening
answers and escalation (triage_rule.yml, explained in docs/triage_priority.md), worked out
both in Python (with the reasons, for the referral page) and as SQL (for sorting and
filtering the worklist). Tests check the two agree."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RULE = Path(__file__).with_name("triage_rule.yml")
PRIORITIES = ("high", "medium", "routine")  # highest first


@lru_cache(maxsize=1)
def rule() -> dict[str, Any]:
    data = yaml.safe_load(RULE.read_text()) or {}
    points = data.get("points") or {}
    return {
        "high_when": data.get("high_when") or {},
        "pain": [(int(p["at_least"]), int(p["points"])) for p in points.get("pain_score") or []],
        "work": {str(k): int(v) for k, v in (points.get("work_status") or {}).items()},
        "duration": [
            (int(p["under"]), int(p["points"])) for p in points.get("duration_days") or []
        ],
        "high": int(data["thresholds"]["high"]),
        "medium": int(data["thresholds"]["medium"]),
    }


@dataclass(frozen=True)
class Facts:
    """What the rule reads of a referral."""

    pain_score: int | None = None
    work_status: str | None = None
    duration_days: int | None = None
    screening_yes: int = 0
    escalated: bool = False


@dataclass(frozen=True)
class Suggestion:
    priority: str
    points: int
    reasons: tuple[str, ...]


def _pain(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if 0 <= value <= 10 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def facts_of(payload: dict[str, Any], duration_days: int | None, escalated: bool) -> Facts:
    problem = payload.get("problem") if isinstance(payload.get("problem"), dict) else {}
    screening = payload.get("red_flag_screening")
    answers = screening.values() if isinstance(screening, dict) else []
    work = problem.get("work_status")
    return Facts(
        pain_score=_pain(problem.get("pain_score")),
        work_status=work if isinstance(work, str) else None,
        duration_days=duration_days,
        screening_yes=sum(1 for answer in answers if answer == "yes"),
        escalated=bool(escalated),
    )


def suggest(facts: Facts) -> Suggestion:
    """The suggested priority and why."""
    r = rule()
    reasons: list[str] = []
    points = 0
    for at_least, worth in r["pain"]:
        if facts.pain_score is not None and facts.pain_score >= at_least:
            points += worth
            reasons.append(f"pain {facts.pain_score}/10 (+{worth})")
            break
    worth = r["work"].get(facts.work_status or "", 0)
    if worth:
        points += worth
        reasons.append(f"work: {facts.work_status} (+{worth})")
    for under, worth in r["duration"]:
        if facts.duration_days is not None and facts.duration_days < under:
            points += worth
            reasons.append(f"under {under} days (+{worth})")
            break
    forced = []
    if r["high_when"].get("escalated") and facts.escalated:
        forced.append("a red flag escalated")
    if r["high_when"].get("screening_yes") and facts.screening_yes:
        forced.append("yes to a red-flag screening question")
    if forced:
        return Suggestion("high", points, tuple(forced + reasons))
    priority = "high" if points >= r["high"] else "medium" if points >= r["medium"] else "routine"
    return Suggestion(priority, points, tuple(reasons) or ("nothing raised it",))


def sql(pain: str, work: str, duration: str, screening_yes: str, escalated: str) -> str:
    """The same rule as an SQL expression over the given column expressions: 'high',
    'medium' or 'routine'. The rule's numbers are whole numbers and known ids only."""
    r = rule()
    pain_points = " ".join(f"WHEN {pain} >= {a} THEN {w}" for a, w in r["pain"])
    work_points = " ".join(
        f"WHEN '{k}' THEN {w}" for k, w in r["work"].items() if k.replace("_", "").isalnum()
    )
    duration_points = " ".join(f"WHEN {duration} < {u} THEN {w}" for u, w in r["duration"])
    total = (
        f"(CASE {pain_points or 'WHEN 0 THEN 0'} ELSE 0 END"
        f" + CASE {work} {work_points or 'WHEN NULL THEN 0'} ELSE 0 END"
        f" + CASE {duration_points or 'WHEN 0 THEN 0'} ELSE 0 END)"
    )
    forced = []
    if r["high_when"].get("escalated"):
        forced.append(f"({escalated})")
    if r["high_when"].get("screening_yes"):
        forced.append(f"({screening_yes}) > 0")
    force = f"WHEN {' OR '.join(forced)} THEN 'high' " if forced else ""
    return (
        f"(CASE {force}WHEN {total} >= {r['high']} THEN 'high' "
        f"WHEN {total} >= {r['medium']} THEN 'medium' ELSE 'routine' END)"
    )
