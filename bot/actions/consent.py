"""Record that the patient agreed to continue after the introduction."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionRecordConsent(Action):
    def name(self) -> str:
        return "action_record_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # the form starts next, whichever way the yes came ("yes please. what is MIS?" is
        # answered first by action_answer_digression, which runs this after it)
        return [SlotSet("consent", True), FollowupAction("referral_form")]
