"""Read the referral back for confirmation, then submit it to the intake API."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.intake_client import IntakeUnavailable, post_referral
from bot.problem_vocabulary import body_area_label, work_status_label
from bot.referral_fields import format_date_for_patient
from bot.service_facts import area_status, service_phone

logger = logging.getLogger(__name__)

# Crockford base32 without I, L, O, U: easy to read out on the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

PATIENT_SLOTS = (
    "full_name",
    "date_of_birth",
    "nhs_number",
    "postcode",
    "address_line1",
    "phone",
    "email",
    "contact_permissions",
    "communication_needs",
)
PROBLEM_SLOTS = (
    "body_area",
    "side",
    "onset",
    "duration",
    "pain_score",
    "daily_impact",
    "work_status",
    "work_role",
    "treatments_tried",
    "goals",
)
ELIGIBILITY_SLOTS = ("meets_min_age", "gp_practice", "gp_in_area", "already_under_service")


def new_reference() -> str:
    """A random referral reference such as MIS-7K3P-QD9X."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"MIS-{chars[:4]}-{chars[4:]}"


def build_referral(tracker: Tracker, reference: str) -> dict[str, Any]:
    """The intake API payload from the conversation's slots."""
    slot = tracker.get_slot
    eligibility = {name: slot(name) for name in ELIGIBILITY_SLOTS}
    eligibility["area"] = area_status(slot("postcode")) if slot("postcode") else None
    eligibility["pregnancy_pelvic_pain"] = slot("pregnancy_pelvic_pain")
    return {
        "reference": reference,
        "conversation_id": tracker.sender_id,
        "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "consent": bool(slot("consent")),
        "eligibility": eligibility,
        "patient": {name: slot(name) for name in PATIENT_SLOTS},
        "problem": {name: slot(name) for name in PROBLEM_SLOTS},
        "red_flag_screening": dict(slot("screening_answers") or {}),
    }


CONTACT_WORDS = {
    "both": "voicemail and texts are fine",
    "voicemail": "voicemail only",
    "text": "texts only",
    "neither": "no voicemail or texts",
}


def summary_values(tracker: Tracker) -> dict[str, str]:
    """Every answer as the patient should read it back."""
    slot = tracker.get_slot
    area = body_area_label(slot("body_area")) if slot("body_area") else "not given"
    if slot("side"):
        area = f"{area} ({slot('side')})"
    work = work_status_label(slot("work_status")) if slot("work_status") else "not given"
    if slot("work_role") and slot("work_role") != "not given":
        work = f"{work}: {slot('work_role')}"
    born = slot("date_of_birth")
    return {
        "body_area_display": area,
        "onset_display": {"injury": "after an injury", "gradual": "gradually"}.get(
            slot("onset"), "not given"
        ),
        "work_display": work,
        "date_of_birth_display": format_date_for_patient(date.fromisoformat(born)) if born else "",
        "contact_display": CONTACT_WORDS.get(slot("contact_permissions"), "not given"),
    }


class ActionShowReferralSummary(Action):
    def name(self) -> str:
        return "action_show_referral_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_referral_summary", **summary_values(tracker))
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
            # No second-problem offer after a failure: wait for the patient instead.
            return [SlotSet("referral_reference", reference), FollowupAction("action_listen")]
        dispatcher.utter_message(response="utter_referral_submitted", reference=stored)
        dispatcher.utter_message(response="utter_what_happens_next", phone=service_phone())
        marker = {"referral": {"reference": stored, "status": "submitted"}}
        dispatcher.utter_message(json_message=marker)
        return [SlotSet("referral_reference", stored)]
