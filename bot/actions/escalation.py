"""The escalation actions: a red flag in what the patient typed, the stop note after an
escalation, and the body-area screening questions. The logic is in bot/dialogue/escalation.py.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.signposting import offer_after_escalation
from bot.dialogue.escalation import (
    UNCLASSIFIED,
    catalogue,
    escalate,
    flags_in_message,
)
from bot.dialogue.screening import ScreeningList, next_screening_question
from bot.referral_fields import age_today


class ActionEscalateRedFlag(Action):
    """A red flag in what the patient typed: escalate at once and end any form."""

    def name(self) -> str:
        return "action_escalate_red_flag"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        flags = flags_in_message(tracker)
        if not flags:
            # The model knows a flag this catalogue does not (content edited, model not yet
            # retrained): be safe, treat it as urgent rather than carry on.
            flags = [UNCLASSIFIED]
        slots = await escalate(dispatcher, tracker, flags, "message")
        events = [SlotSet(name, value) for name, value in slots.items()]
        return [ActiveLoop(None), SlotSet("requested_slot", None), *events]


class ActionExplainEscalationStop(Action):
    """After an escalation the self-referral does not go on: say so, at the right level.

    Only after a "soon" escalation is self-help offered too (never after emergency or urgent).
    """

    def name(self) -> str:
        return "action_explain_escalation_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        level = tracker.get_slot("escalation_level") or "urgent"
        dispatcher.utter_message(text=catalogue().levels[level]["stop_note"])
        return offer_after_escalation(dispatcher, tracker)


class ActionAskRedFlagScreening(Action):
    """Ask the next screening question for the patient's body area, with yes/no buttons."""

    def name(self) -> str:
        return "action_ask_red_flag_screening"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        answers = tracker.get_slot("screening_answers") or {}
        age = age_today(tracker.get_slot("date_of_birth"))
        question = next_screening_question(tracker.get_slot("body_area"), answers, age)
        if question is None:
            return []
        if not answers:
            dispatcher.utter_message(response="utter_screening_intro")
        if isinstance(question, ScreeningList):
            lines = "\n".join(f"• {line}" for line in question.lines)
            dispatcher.utter_message(response="utter_ask_screening_list", lines=lines)
        else:
            dispatcher.utter_message(
                response="utter_ask_screening_question", question=question.screening_question
            )
        return [SlotSet("screening_question", question.id)]
