"""Validation of the referral form: each answer is normalised or re-asked with the reason."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.referral_fields import (
    age_on,
    clean_full_name,
    normalise_postcode,
    parse_date_of_birth,
)
from bot.service_facts import min_age

Slots = dict[str, Any]


class ValidateReferralForm(FormValidationAction):
    def name(self) -> str:
        return "validate_referral_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict,
    ) -> list[str]:
        """No more questions once the patient is found ineligible."""
        if tracker.get_slot("eligible") is False:
            return []
        return domain_slots

    def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> Slots:
        name = clean_full_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(response="utter_invalid_full_name")
        return {"full_name": name}

    def validate_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> Slots:
        today = date.today()
        parsed = parse_date_of_birth(str(value or ""), today)
        if parsed.problem == "future":
            dispatcher.utter_message(response="utter_date_of_birth_in_future")
            return {"date_of_birth": None}
        if parsed.value is None:
            dispatcher.utter_message(response="utter_invalid_date_of_birth")
            return {"date_of_birth": None}
        if age_on(parsed.value, today) < min_age():
            return {"date_of_birth": None, "eligible": False, "ineligible_reason": "age"}
        return {"date_of_birth": parsed.value.isoformat(), "eligible": True}

    def validate_postcode(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> Slots:
        postcode = normalise_postcode(str(value or ""))
        if postcode is None:
            dispatcher.utter_message(response="utter_invalid_postcode")
        return {"postcode": postcode}

    def validate_problem_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> Slots:
        text = " ".join(str(value or "").split())
        if len(text) < 3:
            dispatcher.utter_message(response="utter_invalid_problem_description")
            return {"problem_description": None}
        return {"problem_description": text[:1000]}
