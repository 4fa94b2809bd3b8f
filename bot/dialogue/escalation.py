"""Red-flag escalation: tell the patient what to do now and why, mark the reply, record it.

Two ways in: a red flag in anything the patient types (the NLU component sets intent
red_flag, rules run action_escalate_red_flag, in or out of the form), and a "yes" to a
screening question (ValidateReferralForm calls escalate()). Either way the routine referral
stops: the form ends and is not restarted until the patient starts again.

Shared by the actions (bot/actions/escalation.py, referral_form.py, red_flag_check.py); it
imports no action module, so the actions can depend on it without a cycle.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timezone
from functools import cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import outbox
from bot.dialogue.channel import is_kiosk
from bot.red_flag_catalogue import LEVEL_RANK, RedFlag, RedFlagCatalogue, load

logger = logging.getLogger(__name__)


UNCLASSIFIED = RedFlag(
    id="unclassified",
    category="unclassified",
    level="urgent",
    title="Red flag not in this catalogue version",
    why="",
    advice=None,
    source="safety default",
    patterns=(),
)


@cache
def catalogue() -> RedFlagCatalogue:
    """The red-flag catalogue in content/, loaded once per process."""
    return load()


def flags_in_message(tracker: Tracker) -> list[RedFlag]:
    """The red flags the NLU component found in the latest message, most serious first."""
    known = catalogue().flags
    ids = [
        entity.get("value")
        for entity in tracker.latest_message.get("entities") or []
        if entity.get("entity") == "red_flag"
    ]
    flags = [known[flag_id] for flag_id in dict.fromkeys(ids) if flag_id in known]
    return sorted(flags, key=lambda flag: -LEVEL_RANK[flag.level])


def tell_patient(dispatcher: CollectingDispatcher, flag: RedFlag, *, kiosk: bool = False) -> None:
    """What to do now, why, and the escalation marker, in one reply.

    On the kiosk, which stands in the emergency department, what to do is the flag's own
    kiosk advice, else the level's kiosk wording (tell the staff here), never advice to
    call 999 or go to A&E.
    """
    wording = catalogue().levels[flag.level]
    if kiosk:
        dispatcher.utter_message(text=flag.kiosk_advice or wording["kiosk_heading"])
    else:
        dispatcher.utter_message(text=flag.advice or wording["heading"])
    if flag is UNCLASSIFIED:
        dispatcher.utter_message(response="utter_red_flag_unclassified")
    else:
        dispatcher.utter_message(text=flag.why)
    dispatcher.utter_message(json_message={"escalation": {"level": flag.level, "code": flag.id}})


async def record(tracker: Tracker, flags: list[RedFlag], source: str) -> None:
    """Record the escalation for staff through the outbox and intake API; never fails the reply."""
    top = flags[0]
    escalation = {
        "id": uuid.uuid4().hex,
        "conversation_id": tracker.sender_id,
        "level": top.level,
        "code": top.id,
        "codes": [flag.id for flag in flags],
        "source": source,
        "occurred_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    await asyncio.to_thread(_queue_escalation, escalation)


def _queue_escalation(escalation: dict[str, Any]) -> None:
    """Through the durable outbox: delivered now, or retried until the intake API takes it."""
    try:
        box = outbox.start_delivery()
        box.add("escalation", escalation["id"], escalation)
        box.deliver_now("escalation", escalation["id"])
    except Exception:  # the patient's reply must not wait on, or fail with, the record
        logger.exception("escalation %s (%s) not queued", escalation["code"], escalation["level"])


def escalation_slots(tracker: Tracker, flags: list[RedFlag]) -> dict[str, Any]:
    """Slots that stop the routine referral and remember the most serious level so far."""
    levels = [flags[0].level, tracker.get_slot("escalation_level")]
    highest = max((level for level in levels if level), key=LEVEL_RANK.__getitem__)
    codes = list(tracker.get_slot("escalation_codes") or [])
    codes += [flag.id for flag in flags if flag.id not in codes]
    return {
        "escalated": True,
        "escalation_level": highest,
        "escalation_codes": codes,
        "eligible": None,
    }


async def escalate(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    flags: list[RedFlag],
    source: str,
) -> dict[str, Any]:
    """Tell, mark and record an escalation; return the slots to set."""
    tell_patient(dispatcher, flags[0], kiosk=is_kiosk(tracker))
    await record(tracker, flags, source)
    return escalation_slots(tracker, flags)
