"""Read the referral back for confirmation, then submit it to the intake API."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.intake_client import IntakeUnavailable, post_referral
from bot.referral_fields import format_date_for_patient
from bot.service_facts import service_phone

logger = logging.getLogger(__name__)

# Crockford base32 without I, L, O, U: easy to read out on the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A random referral reference such as MIS-7K3P-QD9X."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"MIS-{chars[:4]}-{chars[4:]}"


def build_referral(tracker: Tracker, reference: str) -> dict[str, Any]:
    """The intake API payload from the conversation's slots."""
    slot = tracker.get_slot
    return {
        "reference": reference,
        "conversation_id": tracker.sender_id,
        "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "consent": bool(slot("consent")),
        "patient": {
            "full_name": slot("full_name"),
            "date_of_birth": slot("date_of_birth"),
            "postcode": slot("postcode"),
        },
        "problem": {"description": slot("problem_description")},
    }


class ActionShowReferralSummary(Action):
    def name(self) -> str:
        return "action_show_referral_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        born = date.fromisoformat(tracker.get_slot("date_of_birth"))
        dispatcher.utter_message(
            response="utter_referral_summary", date_of_birth_display=format_date_for_patient(born)
        )
        return []


class ActionSubmitReferral(Action):
    def name(self) -> str:
        return "action_submit_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # Reuse the reference if this conversation already has one, so a repeated
        # confirmation resubmits the same referral (the intake API is idempotent on it).
        reference = tracker.get_slot("referral_reference") or new_reference()
        try:
            stored = post_referral(build_referral(tracker, reference))
        except IntakeUnavailable as error:
            logger.warning("referral %s not delivered: %s", reference, error)
            dispatcher.utter_message(response="utter_referral_not_delivered", phone=service_phone())
            return [SlotSet("referral_reference", reference)]
        dispatcher.utter_message(response="utter_referral_submitted", reference=stored)
        dispatcher.utter_message(
            json_message={"referral": {"reference": stored, "status": "submitted"}}
        )
        return [SlotSet("referral_reference", stored)]
