"""Self-help signposting in the conversation: on request at any time, after a referral is
sent, and after a "see your GP soon" escalation. Never with or instead of an emergency or
urgent escalation: bot.signposting.select returns nothing then, and the actions check too.

What is offered is sent as the signposting marker (custom {"signpost": [...]}) with a plain
text list of titles and links for channels without cards, and remembered in the slot
signposts_offered (ids, first offer first), which the referral carries as "signposting".
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.repeated_answer import as_answer
from bot.dialogue.answer_or_request import SELF_HELP, answered_slot, message_of
from bot.dialogue.channel import is_kiosk
from bot.problem_fields import duration_band, parse_duration
from bot.problem_vocabulary import match
from bot.signposting import (
    Context,
    Resource,
    SignpostingCatalogue,
    conditions_in,
    find_words,
    load,
    may_signpost,
    select,
    text_fallback,
)

OFFERED_SLOT = "signposts_offered"
# Free-text answers in which patients name conditions ("my arthritis").
FREE_TEXT_SLOTS = ("daily_impact", "treatments_tried", "goals")


def user_texts(tracker: Tracker) -> list[str]:
    """Everything the patient typed in this conversation, and the free-text answers."""
    texts = [
        event.get("text") or ""
        for event in tracker.events
        if event.get("event") == "user" and not (event.get("text") or "").startswith("/")
    ]
    texts.append(tracker.latest_message.get("text") or "")
    texts += [str(tracker.get_slot(name) or "") for name in FREE_TEXT_SLOTS]
    return [text for text in texts if text]


def band_of(duration: Any) -> str | None:
    """The duration band of a stored answer such as "3 months"."""
    parsed = parse_duration(str(duration or ""))
    return duration_band(parsed.days) if parsed else None


def conversation_context(tracker: Tracker, moment: str, catalogue: SignpostingCatalogue) -> Context:
    """What the whole conversation says about the patient."""
    slot = tracker.get_slot
    return Context(
        moment=moment,
        body_area=slot("body_area"),
        conditions=conditions_in(catalogue, user_texts(tracker)),
        work_status=slot("work_status"),
        duration=band_of(slot("duration")),
        onset=slot("onset"),
        escalation_level=slot("escalation_level"),
        escalation_codes=frozenset(slot("escalation_codes") or ()),
        kiosk=is_kiosk(tracker),
    )


def area_asked_about(tracker: Tracker, rest: str) -> str | None:
    """The body area named in the question: the NLU entity, else the vocabulary.

    `rest` is the question with topic and condition words blanked, so the "back" in
    "back to work" does not count as a body area.
    """
    message = tracker.latest_message.get("text") or ""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") != "body_area" or not entity.get("value"):
            continue
        value = match("body_areas", str(entity["value"]))
        words = message[entity.get("start", 0) : entity.get("end", 0)].lower().strip()
        if value and (not words or re.search(rf"(?<![a-z]){re.escape(words)}(?![a-z])", rest)):
            return value
    return match("body_areas", rest)


def request_context(tracker: Tracker, catalogue: SignpostingCatalogue) -> Context:
    """A question such as "anything I can read about my knee?".

    A question that names a body area or condition is answered about that; a general
    one ("anything I can read?") from what the conversation knows.
    """
    message = tracker.latest_message.get("text") or ""
    topics, rest = find_words(catalogue, "topic", message)
    conditions = find_words(catalogue, "condition", rest)[0]
    area = area_asked_about(tracker, rest)
    base = conversation_context(tracker, "on_request", catalogue)
    if area is None and not conditions:
        return replace(base, topics=topics)
    return Context(
        moment="on_request",
        body_area=area,
        conditions=conditions,
        topics=topics,
        escalation_level=base.escalation_level,
        escalation_codes=base.escalation_codes,
        kiosk=base.kiosk,
    )


def send(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    items: list[Resource],
    intro: str,
) -> list[dict[str, Any]]:
    """Say the intro, send the cards with their text fallback, and remember what was offered."""
    dispatcher.utter_message(response=intro)
    dispatcher.utter_message(
        text=text_fallback(items),
        json_message={"signpost": [item.card() for item in items]},
    )
    offered = list(tracker.get_slot(OFFERED_SLOT) or [])
    offered += [item.id for item in items if item.id not in offered]
    return [SlotSet(OFFERED_SLOT, offered)]


def end_of_referral_items(tracker: Tracker) -> list[Resource]:
    """What is offered when a referral has been sent."""
    catalogue = load()
    return select(catalogue, conversation_context(tracker, "end_of_referral", catalogue))


def offered_with_referral(tracker: Tracker) -> list[str]:
    """Ids offered so far plus those the end of the referral will offer, for the referral."""
    offered = list(tracker.get_slot(OFFERED_SLOT) or [])
    return offered + [i.id for i in end_of_referral_items(tracker) if i.id not in offered]


def offer_after_escalation(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[dict[str, Any]]:
    """After a "see your GP soon" escalation only: self-help while they wait for the GP."""
    if tracker.get_slot("escalation_level") != "soon":
        return []
    catalogue = load()
    items = select(catalogue, conversation_context(tracker, "after_escalation", catalogue))
    if not items:
        return []
    return send(dispatcher, tracker, items, "utter_signpost_after_escalation")


class ActionOfferSignposting(Action):
    """After the referral is sent: self-help that fits the patient while they wait."""

    def name(self) -> str:
        return "action_offer_signposting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not may_signpost(tracker.get_slot("escalation_level")):
            return []
        items = end_of_referral_items(tracker)
        if not items:
            return []
        return send(dispatcher, tracker, items, "utter_signpost_after_referral")


class ActionAnswerSelfHelp(Action):
    """The patient asked for something to read or use; the form (if any) then carries on."""

    def name(self) -> str:
        return "action_answer_self_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not may_signpost(tracker.get_slot("escalation_level")):
            dispatcher.utter_message(response="utter_signpost_get_help_first")
            return []
        slot = answered_slot(message_of(tracker), SELF_HELP)
        if slot:
            text = (tracker.latest_message.get("text") or "").strip()
            return await as_answer(slot, text, dispatcher, tracker, domain)
        catalogue = load()
        items = select(catalogue, request_context(tracker, catalogue))
        if not items:
            dispatcher.utter_message(response="utter_signpost_none")
            return []
        return send(dispatcher, tracker, items, "utter_signpost_on_request")
