"""Record that the patient agreed to continue after the introduction."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.opening import practical_needs_answered


class ActionRecordConsent(Action):
    def name(self) -> str:
        return "action_record_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # the form starts next, whichever way the yes came ("yes please. what is MIS?" is
        # answered first by action_answer_digression, which runs this after it)
        events = [SlotSet("consent", True), FollowupAction("referral_form")]
        if _first_action_of_the_turn(tracker):
            # "can I ask for a female physiotherapist?" read as going on: its note too (a
            # blind usability test got none); after another action the notes were said there
            noted = practical_needs_answered(dispatcher, tracker)
            events = [*(SlotSet(name, value) for name, value in noted.items()), *events]
        return events


def _first_action_of_the_turn(tracker: Tracker) -> bool:
    """No action other than listening has run since the patient's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in ("action_listen", None):
            return False
    return True
