"""An escalation the patient says misread them: asked once as the flag's check question.

A patient whose words were read as a red flag ("sleep through the night would be a
blessing" read as a crisis) says so right after the stop note. The advice has been given and
the escalation recorded for staff. The flag's plain check question is asked once in the
conversation: yes escalates again at its level; no puts back what the escalation changed and
the conversation goes on where it was, the form's answers intact (hazard H24). An escalation
of more than one flag, or a second escalation in the same conversation, is not asked about:
the patient is told how to start again, as before.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.dialogue.corrections import last_bot_action
from bot.red_flag_catalogue import RedFlag

DISPUTED_SLOT = "escalation_disputed"
STOP_NOTE_ACTION = "action_explain_escalation_stop"
# Slots the dispute itself keeps: what was asked and denied, and what was offered.
KEPT = frozenset({"red_flag_check", "red_flag_checks_denied", DISPUTED_SLOT, "signposts_offered"})


def since_restart(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events after the latest restart ("start again"): the conversation as it is now."""
    restarts = [i for i, event in enumerate(events) if event.get("event") == "restart"]
    return events[restarts[-1] + 1 :] if restarts else events


def escalated_at(events: list[dict[str, Any]]) -> int | None:
    """Index of the action that made the latest escalation (its `escalated` set to true)."""
    marks = [
        i
        for i, event in enumerate(events)
        if event.get("event") == "slot"
        and event.get("name") == "escalated"
        and event.get("value") is True
    ]
    if not marks:
        return None
    actions = [i for i in range(marks[-1]) if events[i].get("event") == "action"]
    return actions[-1] if actions else None


def disputed_flag(tracker: Tracker, flags: dict[str, RedFlag]) -> RedFlag | None:
    """The flag to ask about when the patient answers the stop note: the conversation's one
    escalation, of one flag with a check question, not disputed before; else None."""
    if not tracker.get_slot("escalated") or tracker.get_slot(DISPUTED_SLOT):
        return None
    if last_bot_action(tracker.events) != STOP_NOTE_ACTION:
        return None
    codes = tracker.get_slot("escalation_codes") or []
    flag = flags.get(codes[0]) if len(codes) == 1 else None
    return flag if flag is not None and flag.check_question else None


def disputed_check_open(tracker: Tracker, code: str | None) -> bool:
    """The open check question is the one asked about a disputed escalation."""
    return (
        bool(code)
        and tracker.get_slot(DISPUTED_SLOT) == code
        and bool(tracker.get_slot("escalated"))
    )


def before_the_escalation(tracker: Tracker) -> tuple[dict[str, Any], set[str], str | None]:
    """(slot values before the latest escalation, slots changed since, the active loop then)."""
    events = since_restart(list(tracker.events))
    at = escalated_at(events)
    if at is None:
        return {}, set(), None
    before: dict[str, Any] = {}
    loop = None
    for event in events[:at]:
        if event.get("event") == "slot":
            before[event["name"]] = event.get("value")
        elif event.get("event") == "active_loop":
            loop = event.get("name")
        elif event.get("event") == "session_started":
            before, loop = {}, None
    changed = {
        event["name"]
        for event in events[at:]
        if event.get("event") == "slot" and event["name"] not in KEPT
    }
    return before, changed, loop


def place_before_the_escalation(tracker: Tracker, not_a_place: set[str]) -> str | None:
    """The bot's last action before the latest escalation (None at the conversation's start)."""
    events = since_restart(list(tracker.events))
    at = escalated_at(events)
    names = [
        event["name"]
        for event in events[: at if at is not None else len(events)]
        if event.get("event") == "action" and event.get("name") not in not_a_place
    ]
    return names[-1] if names else None
