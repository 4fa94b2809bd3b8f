"""Change one answer from the summary without starting again."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

# Which slots each changeable field clears; the form then asks only those again.
FIELD_SLOTS: dict[str, tuple[str, ...]] = {
    "full_name": ("full_name",),
    "date_of_birth": ("date_of_birth",),
    "nhs_number": ("nhs_number",),
    "postcode": ("postcode", "gp_in_area"),
    "address_line1": ("address_line1",),
    "phone": ("phone",),
    "email": ("email",),
    "contact": ("contact_permissions",),
    "communication_needs": ("communication_needs",),
    "gp_practice": ("gp_practice",),
    "body_area": (
        "body_area",
        "side",
        "pregnancy_pelvic_pain",
        "red_flag_screening",
        "screening_answers",
    ),
    "side": ("side",),
    "onset": ("onset",),
    "duration": ("duration",),
    "pain_score": ("pain_score",),
    "daily_impact": ("daily_impact",),
    "work": ("work_status", "work_role"),
    "treatments_tried": ("treatments_tried",),
    "goals": ("goals",),
}


PROBLEM_FIELDS = (
    "body_area",
    "onset",
    "duration",
    "pain_score",
    "daily_impact",
    "work",
    "treatments_tried",
    "goals",
)


def field_from(tracker: Tracker) -> str | None:
    """The field named in the latest message (entity `field`, mapped by NLU synonyms)."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "field" and entity.get("value") in FIELD_SLOTS:
            return entity["value"]
    return None


class ActionPrepareChange(Action):
    def name(self) -> str:
        return "action_prepare_change"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        field = field_from(tracker)
        if field is None:
            dispatcher.utter_message(response="utter_ask_what_to_change")
            return [FollowupAction("action_listen")]
        counts = dict(tracker.get_slot("retry_counts") or {})
        events: list[dict[str, Any]] = [SlotSet(slot, None) for slot in FIELD_SLOTS[field]]
        for slot in FIELD_SLOTS[field]:
            counts.pop(slot, None)
        return [*events, SlotSet("retry_counts", counts)]


class ActionStartAnotherProblem(Action):
    """A second problem: keep eligibility and personal details, ask about the problem again."""

    def name(self) -> str:
        return "action_start_another_problem"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        problem_slots = {slot for field in PROBLEM_FIELDS for slot in FIELD_SLOTS[field]}
        events = [SlotSet(slot, None) for slot in sorted(problem_slots)]
        return [*events, SlotSet("referral_reference", None), SlotSet("retry_counts", {})]
