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

# the needs that are about how to talk with the patient (recorded with the referral)
COMMUNICATION_NEEDS = frozenset({"language", "hearing_or_sight"})


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


def need_events(said: str, needs: list[str]) -> list[dict[str, Any]]:
    """What the needs stated keep for the referral: the words of a communication need (staff
    see how the patient first put it); that someone is filling it in for another (the form
    asks who)."""
    events = []
    if set(needs) & COMMUNICATION_NEEDS:
        events.append(SlotSet("communication_needs_stated", " ".join(said.split())[:300]))
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
