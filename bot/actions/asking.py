"""Form questions that open a section are asked in full once, then without their opening words.

`utter_ask_date_of_birth` begins "First, a few questions to check this service is right for
you" and `utter_ask_full_name` begins "Now some details about you": right the first time, wrong
when the question comes again (an answer that did not fit, or a change from the read-back).
`utter_ask_postcode` asks for the whole address with the postcode; asked again, the postcode
alone (the first line was kept, or the postcode did not fit). Rasa's form asks through
`action_ask_<slot>` when the domain has one; these say the short question
(`utter_ask_again_<slot>`) once the full one has been said in the conversation.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import gp_practices
from bot.contact_fields import phone_numbers_in

MAX_NUMBERS_OFFERED = 3

# the slots whose first question is said in full once, then short (each has
# utter_ask_again_<slot> too): the two that open a section, and the address that asks for the
# postcode with it
SECTION_OPENERS = ("date_of_birth", "postcode", "full_name")


def asked_before(tracker: Tracker, slot: str) -> bool:
    """The bot has already asked for this slot in this conversation, in full or short."""
    asks = {f"utter_ask_{slot}", f"utter_ask_again_{slot}"}
    return any(
        event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") in asks
        for event in tracker.events
    )


class AskOnceInFull(Action):
    """`action_ask_<slot>`: the full question the first time, the short one after."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        again = "again_" if asked_before(tracker, self.slot) else ""
        dispatcher.utter_message(response=f"utter_ask_{again}{self.slot}")
        return []


class AskDateOfBirth(AskOnceInFull):
    slot = "date_of_birth"


class AskFullName(AskOnceInFull):
    slot = "full_name"


class AskPostcode(AskOnceInFull):
    """The whole address with its postcode the first time; the postcode alone after (the
    first line was given, or the postcode did not fit)."""

    slot = "postcode"


class AskGpPractice(Action):
    """`action_ask_gp_practice`: the question; or, when what the patient typed fits two or
    three practices about equally, "Did you mean ...?" with a button for each; or, when it
    fits none, "I could not find it" (asked once: the next answer is kept)."""

    def name(self) -> str:
        return "action_ask_gp_practice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        typed = tracker.get_slot("gp_practice_typed")
        # several that fit about equally, or the one the words point at by its place or
        # street ("Horninglow Road surgery"), confirmed before it is taken
        found = gp_practices.find(typed) if typed else None
        offered = (gp_practices.candidates(typed) or ([found] if found else [])) if typed else []
        many = gp_practices.town_with_many(typed) if typed and not offered else None
        if many:  # "Cannock": a town with many practices, not a practice not found
            town, count = many
            dispatcher.utter_message(
                response="utter_gp_practice_which_in_town", town=town, count=count
            )
            return []
        if typed and not offered:  # asked once more, with a button to keep it as typed
            dispatcher.utter_message(response="utter_gp_practice_not_found", typed=typed)
            return []
        if not offered:
            dispatcher.utter_message(response="utter_ask_gp_practice")
            return []
        # the response's words and "None of these" button, as Rasa would send them ("{{" in
        # a payload is "{"), after one button per practice
        [response] = (domain.get("responses") or {})["utter_gp_practice_did_you_mean"]
        own = [
            {**b, "payload": b["payload"].replace("{{", "{").replace("}}", "}")}
            for b in response["buttons"]
        ]
        buttons = [
            {
                "title": f"{practice.name}, {practice.where}",
                "payload": "/inform" + json.dumps({"gp_practice": practice.ods_code}),
            }
            for practice in offered
        ]
        dispatcher.utter_message(text=response["text"], buttons=buttons + own)
        return []


class AskPhone(Action):
    """`action_ask_phone`: the question; or, when the answer to it gave more than one number
    ("mobile 07700 900123 or home 01632 960123"), which one to call, with a button for each
    (the form's validation keeps none of them)."""

    def name(self) -> str:
        return "action_ask_phone"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        said = tracker.latest_message.get("text") or ""
        asked = tracker.get_slot("requested_slot") == "phone" and asked_before(tracker, "phone")
        numbers = phone_numbers_in(said) if asked else []
        if len(numbers) > 1:
            buttons = [{"title": n, "payload": n} for n in numbers[:MAX_NUMBERS_OFFERED]]
            dispatcher.utter_message(response="utter_which_phone", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_phone")
        return []


class AskCommunicationNeeds(Action):
    """`action_ask_communication_needs`: the question; or, when the first message stated a
    need (a language, deafness), that need quoted and only anything more asked: "yes, like I
    say at start" was the answer of a tester asked again as if never told."""

    def name(self) -> str:
        return "action_ask_communication_needs"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        stated = tracker.get_slot("communication_needs_stated")
        if stated:
            dispatcher.utter_message(response="utter_ask_communication_needs_stated", said=stated)
        else:
            dispatcher.utter_message(response="utter_ask_communication_needs")
        return []
