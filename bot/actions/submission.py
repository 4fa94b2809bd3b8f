"""Read the referral back for confirmation, then submit it to the intake API.

Submitting writes the referral to the durable outbox (bot/outbox.py) first, then delivers it;
if the intake API cannot take it now, the patient hears that it is safe and queued.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from datetime import date, datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import outbox
from bot.actions.changes import SUMMARY, read_back_change, typed_at_the_read_back
from bot.actions.referral_form import NOT_GIVEN
from bot.actions.signposting import offered_with_referral
from bot.dialogue.corrections import change_hinted
from bot.dialogue.screening import answers_to_send
from bot.field_registry import section_fields
from bot.problem_vocabulary import CONTACT_WORDS, body_area_label, onset_label, work_status_label
from bot.referral_fields import format_date_for_patient
from bot.service_facts import area_status, service_phone

logger = logging.getLogger(__name__)

# Crockford base32 without I, L, O, U: easy to read out on the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# The stored referral's fields by section, in order (content/referral_fields.yml).
PATIENT_SLOTS = section_fields("patient")
PROBLEM_SLOTS = section_fields("problem")
ELIGIBILITY_SLOTS = section_fields("eligibility")


def new_reference() -> str:
    """A random referral reference such as MIS-7K3P-QD9X."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"MIS-{chars[:4]}-{chars[4:]}"


def reference_for(conversation_id: str, number: int) -> str:
    """The reference of the conversation's referral number `number` (0 for the first): the
    same however often that referral is sent again (a retried action call, a repeated
    confirmation), so a retry is never a second referral."""
    digest = hashlib.sha256(f"mis-referral:{conversation_id}:{number}".encode()).digest()
    value = int.from_bytes(digest[:5], "big")  # 40 bits: eight characters of five bits
    chars = "".join(_REFERENCE_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(8)))
    return f"MIS-{chars[:4]}-{chars[4:]}"


def referrals_sent_before(tracker: Tracker) -> int:
    """How many referrals this conversation sent before this one (a second problem counts)."""
    return sum(
        1
        for event in tracker.events
        if event.get("event") == "action" and event.get("name") == "action_submit_referral"
    )


def communication_needs(answer: str | None, stated: str | None) -> str | None:
    """The answer to "Do you need any help to talk with us?", with the first message's words
    when that message stated a language, deafness or sight loss ("said earlier: ...")."""
    if not stated:
        return answer
    note = f"said earlier: {stated}"
    return note if answer in (None, "none", NOT_GIVEN) else f"{answer} ({note})"


def build_referral(tracker: Tracker, reference: str) -> dict[str, Any]:
    """The intake API payload from the conversation's slots."""
    slot = tracker.get_slot
    eligibility = {name: slot(name) for name in ELIGIBILITY_SLOTS}
    eligibility["area"] = area_status(slot("postcode")) if slot("postcode") else None
    eligibility["pregnancy_pelvic_pain"] = slot("pregnancy_pelvic_pain")
    patient = {name: slot(name) for name in PATIENT_SLOTS}
    if not slot("filled_in_for_someone_else"):
        patient.pop("completed_by", None)  # asked only of someone filling it in for another
    return {
        "reference": reference,
        "conversation_id": tracker.sender_id,
        "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "consent": bool(slot("consent")),
        "eligibility": eligibility,
        "patient": {
            **patient,
            "communication_needs": communication_needs(
                slot("communication_needs"), slot("communication_needs_stated")
            ),
        },
        "problem": {name: slot(name) for name in PROBLEM_SLOTS},
        "red_flag_screening": answers_to_send(slot("screening_answers") or {}),
        "signposting": offered_with_referral(tracker),
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
    duration = slot("duration") or "not given"
    return {
        # "for 3 weeks", but "since September (about 3 months)" as it is
        "duration_display": duration if duration.startswith("since") else f"for {duration}",
        "body_area_display": area,
        "onset_display": onset_label(slot("onset")),
        "work_display": work,
        "date_of_birth_display": format_date_for_patient(date.fromisoformat(born)) if born else "",
        "contact_display": CONTACT_WORDS.get(slot("contact_permissions"), "not given"),
        # with the need told at the start ("none" had been read back to a tester who asked
        # for a Polish interpreter first)
        "communication_needs_display": communication_needs(
            slot("communication_needs"), slot("communication_needs_stated")
        )
        or "not given",
        # only for a referral filled in for someone else
        "completed_by_line": (
            f"\nFilled in by: {slot('completed_by')}" if slot("filled_in_for_someone_else") else ""
        ),
    }


class ActionShowReferralSummary(Action):
    def name(self) -> str:
        return "action_show_referral_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_referral_summary", **summary_values(tracker))
        return []


def queue_referral(tracker: Tracker, reference: str) -> tuple[str, str]:
    """Write the referral to the outbox, then try to deliver it: (status, reference).

    The same referral again (a repeated confirmation, a retried action call) keeps its
    reference and is delivered once; a changed one under a used reference gets a new one.
    """
    box = outbox.start_delivery()
    if box.add("referral", reference, build_referral(tracker, reference)) == outbox.DIFFERENT:
        reference = new_reference()
        box.add("referral", reference, build_referral(tracker, reference))
    return box.deliver_now("referral", reference), reference


class ActionSubmitReferral(Action):
    def name(self) -> str:
        return "action_submit_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if typed_at_the_read_back(tracker):
            # a yes that holds a change ("texts are fine as well actually", read as yes) is
            # the change, taken and read back: the referral is not sent with the old answer
            said_before = len(dispatcher.messages)
            taken = await read_back_change(dispatcher, tracker, domain)
            if taken is not None:
                return taken
            text = tracker.latest_message.get("text") or ""
            if len(dispatcher.messages) > said_before or change_hinted(text):
                # a change that could not be taken ("yes but my phone number is 0770 90012"):
                # nothing is sent; the answers are read back again
                if len(dispatcher.messages) == said_before:
                    dispatcher.utter_message(response="utter_default")
                return [FollowupAction(SUMMARY)]
        reference = tracker.get_slot("referral_reference") or reference_for(
            tracker.sender_id, referrals_sent_before(tracker)
        )
        try:
            status, reference = await asyncio.to_thread(queue_referral, tracker, reference)
        except Exception:  # the outbox could not be written: nothing is promised
            logger.exception("referral %s could not be written to the outbox", reference)
            status = outbox.REJECTED
        if status in (outbox.REJECTED, outbox.DEAD_LETTER):  # never delivered: say so
            dispatcher.utter_message(response="utter_referral_not_delivered", phone=service_phone())
            # No second-problem offer after a failure: wait for the patient instead.
            return [FollowupAction("action_listen")]
        if status == outbox.DELIVERED:
            dispatcher.utter_message(response="utter_referral_submitted", reference=reference)
        else:
            dispatcher.utter_message(response="utter_referral_queued", reference=reference)
        needs = communication_needs(
            tracker.get_slot("communication_needs"), tracker.get_slot("communication_needs_stated")
        )
        with_needs = "_with_needs" if needs not in (None, "none", NOT_GIVEN) else ""
        dispatcher.utter_message(response=f"utter_what_happens_next{with_needs}")
        state = "submitted" if status == outbox.DELIVERED else "queued"
        dispatcher.utter_message(
            json_message={"referral": {"reference": reference, "status": state}}
        )
        return [SlotSet("referral_reference", reference)]


# Deliver whatever an earlier run left in the outbox from the moment the action server loads
# its actions (and retry from then on); a broken outbox is reported when a referral is sent.
try:
    outbox.start_delivery()
except Exception:
    logger.exception("outbox: could not start delivery")
