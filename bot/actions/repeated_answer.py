"""A message taken as the answer to the open form question after all (the test of which
is in bot/dialogue/answer_or_request.py): checked and stored by the form's own validator.

Rasa's form does not validate slots that another action set (it validates only what it
extracts from a message it is answering), so `as_answer` runs the form's validator on the
text first: a repeated answer is stored normalised ("after a fall" as injury), or re-asked
saying what is wrong.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.utils import call_potential_coroutine

from bot.actions.referral_form import ValidateReferralForm


async def as_answer(
    slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
) -> list[dict[str, Any]]:
    """The text as the answer to `slot`, checked and normalised by the form's validator."""
    validate = getattr(ValidateReferralForm(), f"validate_{slot}", None)
    if validate is None:
        return [SlotSet(slot, text)]
    slots = await call_potential_coroutine(validate(text, dispatcher, tracker, domain))
    return [SlotSet(name, value) for name, value in slots.items()]
