"""The introduction, with a note for each need the patient stated in their first message
("I'm filling this in for my mum", "my English is not good"): the words are in
content/opening_needs.yml, the notes are responses utter_opening_need_<id>."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.content_store import load
from bot.word_lists import normalised, phrase_pattern

# the needs that are about how to talk with the patient or get them to appointments (recorded
# with the referral, and answered at any question)
COMMUNICATION_NEEDS = frozenset({"language", "hearing_or_sight", "access"})


@cache
def _needs() -> dict[str, re.Pattern]:
    return {need: phrase_pattern(words) for need, words in load("opening_needs")["needs"].items()}


def stated_needs(text: str) -> list[str]:
    """The needs stated in `text`, in the order of content/opening_needs.yml."""
    said = normalised(text)
    needs = [need for need, words in _needs().items() if words.search(said)]
    if "language" in needs and "hearing_or_sight" in needs and _SIGNING.search(said):
        # "a BSL interpreter": the hearing note, not "tell me your language" (a blind
        # usability tester who is deaf was asked for a language)
        needs.remove("language")
    return needs


_SIGNING = re.compile(r"\b(?:bsl|sign language|signing|signer)\b")


def greet(dispatcher: CollectingDispatcher, text: str) -> list[str]:
    """The introduction and a note per need stated; the needs found."""
    dispatcher.utter_message(response="utter_greet")
    needs = stated_needs(text)
    for need in needs:
        dispatcher.utter_message(response=f"utter_opening_need_{need}")
    return needs


def stated_words(said: str, earlier: str | None = None) -> str:
    """The words of a communication need as the patient put them, after any said earlier."""
    words = " ".join(said.split())[:300]
    return f"{earlier} / {words}" if earlier and words not in earlier else earlier or words


def need_events(said: str, needs: list[str], earlier: str | None = None) -> list[dict[str, Any]]:
    """What the needs stated keep for the referral: the words of a communication need (staff
    see how the patient first put it, after any said before); that someone is filling it in
    for another (the form asks who)."""
    events = []
    if set(needs) & COMMUNICATION_NEEDS:
        events.append(SlotSet("communication_needs_stated", stated_words(said, earlier)))
    if "someone_else" in needs:
        events.append(SlotSet("filled_in_for_someone_else", True))
    return events


class ActionGreet(Action):
    """The introduction, then a note for each need the opening message stated."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        said = "" if text.startswith("/") else text
        return need_events(said, greet(dispatcher, said))


def practical_needs_answered(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Later in the conversation, a need about talking with us or getting to appointments
    ("can I bring my daughter with me?", "can I ask for a female physio?"): its note, and its
    words kept for the team (slot values); {} when the latest message states none."""
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/"):
        return {}
    needs = [need for need in stated_needs(text) if need in COMMUNICATION_NEEDS]
    for need in needs:
        dispatcher.utter_message(response=f"utter_opening_need_{need}")
    earlier = tracker.get_slot("communication_needs_stated")
    return {"communication_needs_stated": stated_words(text, earlier)} if needs else {}
