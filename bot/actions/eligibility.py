"""Tell a patient kindly why the service cannot take their referral and where to go."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.service_facts import min_age, service_phone

REASONS = ("age", "area", "no_gp", "already_under_service", "pregnancy")


class ActionExplainIneligible(Action):
    def name(self) -> str:
        return "action_explain_ineligible"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = tracker.get_slot("ineligible_reason")
        if reason not in REASONS:
            reason = "age"
        dispatcher.utter_message(
            response=f"utter_ineligible_{reason}", min_age=min_age(), phone=service_phone()
        )
        return []
