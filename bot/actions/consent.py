"""Record that the patient agreed to continue after the introduction."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.opening import practical_needs_answered
from bot.dialogue.corrections import actions_since_the_message


class ActionRecordConsent(Action):
    def name(self) -> str:
        return "action_record_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # the form starts next, whichever way the yes came ("yes please. what is MIS?" is
        # answered first by action_answer_digression, which runs this after it)
        events = [SlotSet("consent", True), FollowupAction("referral_form")]
        if not actions_since_the_message(tracker.events):
            # "can I ask for a female physiotherapist?" read as going on: its note too (a
            # blind usability test got none); after another action the notes were said there
            noted = practical_needs_answered(dispatcher, tracker)
            events = [*(SlotSet(name, value) for name, value in noted.items()), *events]
        return events
