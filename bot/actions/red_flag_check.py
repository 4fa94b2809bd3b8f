"""The one yes/no check question asked when a red-flag detector is unsure.

The NLU component sets intent red_flag_check with the flag's id as a red_flag_check entity
(bot/nlu/red_flag_classifier.py). The question names the symptom in lay words (the flag's
check_question in content/red_flags.yml) and carries the check-question marker. Yes escalates
at the flag's level; No goes back to where the patient was: whatever Rasa's slot mappings
took from the "yes" or "no" is undone, so the open question is asked again, not answered.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.opening import greet
from bot.actions.repeated_answer import as_answer
from bot.contact_fields import parse_yes_no
from bot.dialogue.corrections import last_bot_action
from bot.dialogue.digression_answers import ANSWER_ACTION
from bot.dialogue.disputed_escalation import (
    DISPUTED_SLOT,
    STOP_NOTE_ACTION,
    before_the_escalation,
    disputed_check_open,
    disputed_flag,
    place_before_the_escalation,
    since_restart,
)
from bot.dialogue.escalation import UNCLASSIFIED, catalogue, escalate
from bot.red_flag_catalogue import RedFlag
from bot.referral_fields import age_today

CHECK_SLOT = "red_flag_check"
DENIED_SLOT = "red_flag_checks_denied"  # flags the patient has said no to: never asked twice
ASK_ACTION = "action_ask_red_flag_check"
FORM = "referral_form"
# Questions outside the form that a "no" to the check question goes back to.
QUESTIONS = (
    "utter_ask_consent",
    "action_show_referral_summary",
    "utter_ask_another_problem",
    "action_ask_what_to_change",
)
# Actions that are not a place in the conversation (skipped when looking back).
NOT_A_PLACE = {
    "action_listen", "action_extract_slots", "action_session_start", "action_restart", ASK_ACTION,
}  # fmt: skip


def flag_to_check(tracker: Tracker) -> RedFlag:
    """The flag named by the latest message's red_flag_check entity; when it names none and
    the check question is asked again (after a question of the patient's), the flag it asked
    about; else the urgent default."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == CHECK_SLOT and entity.get("value") in catalogue().flags:
            return catalogue().flags[entity["value"]]
    asked = tracker.get_slot(CHECK_SLOT)
    return catalogue().flags.get(asked, UNCLASSIFIED) if asked else UNCLASSIFIED


def _check_asked_at(events: list[dict[str, Any]]) -> int | None:
    """Index of the event of the latest check question, if one was asked."""
    asks = [
        i
        for i, e in enumerate(events)
        if e.get("event") == "action" and e.get("name") == ASK_ACTION
    ]
    return asks[-1] if asks else None


def undo_slots_since_check(tracker: Tracker) -> list[dict[str, Any]]:
    """SlotSet events putting back every slot changed since the check question was asked."""
    events = list(tracker.events)
    asked = _check_asked_at(events)
    if asked is None:
        return []
    before: dict[str, Any] = {}
    for event in events[:asked]:
        if event.get("event") == "slot":
            before[event["name"]] = event.get("value")
        elif event.get("event") in ("restart", "session_started"):
            before = {}
    changed = {
        e["name"] for e in events[asked:] if e.get("event") == "slot" and e["name"] != CHECK_SLOT
    }
    return [SlotSet(name, before.get(name)) for name in sorted(changed)]


class ActionAskRedFlagCheck(Action):
    """Ask the check question, with Yes / No buttons and the check-question marker."""

    def name(self) -> str:
        return ASK_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        own = [
            e.get("value")
            for e in tracker.latest_message.get("entities") or []
            if e.get("entity") == CHECK_SLOT
        ]
        escalated = tracker.get_slot("escalation_codes") or []
        if (
            tracker.get_slot("escalated")
            and last_bot_action(tracker.events) == STOP_NOTE_ACTION
            and all(code in escalated for code in own)
        ):
            # the patient answers the stop note: it misread them ("I only said I want to
            # sleep through the night"), or any words at all; a new flag the words may hold
            # ("no, I just feel so low") is asked about instead, as in any message
            return self.ask_about_the_escalation(dispatcher, tracker)
        flag = flag_to_check(tracker)
        if flag.id in (tracker.get_slot(DENIED_SLOT) or []) or flag.ruled_out_at(
            age_today(tracker.get_slot("date_of_birth"))
        ):
            # said no before; or a flag of some ages only ("new back pain under 20 or over
            # 50") and the date of birth given is in none of them (a blind usability tester,
            # 27, was asked "are you under 20 or over 50?"): the message answers the question
            return await self.already_denied(dispatcher, tracker, domain)
        if tracker.get_slot(CHECK_SLOT) == flag.id and a_no_to_the_check(tracker):
            # "no! just the normal dose, two tablets" to "...taken too many tablets?": its
            # words raise the same check again, but it answers it (a blind usability test)
            return await no_to_the_check(dispatcher, tracker, domain)
        ask(dispatcher, flag)
        return [SlotSet(CHECK_SLOT, flag.id)]

    @staticmethod
    def ask_about_the_escalation(
        dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        """Once in a conversation, the escalated flag's check question; after that, or for
        an escalation of several flags, how to start again (the escalation stands)."""
        flag = disputed_flag(tracker, catalogue().flags)
        if flag is None:
            return [FollowupAction("utter_escalation_disputed")]
        dispatcher.utter_message(response="utter_escalation_check_intro")
        ask(dispatcher, flag)
        return [SlotSet(CHECK_SLOT, flag.id), SlotSet(DISPUTED_SLOT, flag.id)]

    @staticmethod
    async def already_denied(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The patient said no to this check before (often they are repeating their answer):
        the message is the answer to the open question, checked by the form's validator."""
        slot = tracker.get_slot("requested_slot")
        if tracker.active_loop.get("name") and slot and slot != "red_flag_screening":
            text = (tracker.latest_message.get("text") or "").strip()
            answer = await as_answer(slot, text, dispatcher, tracker, domain)
            return [*answer, FollowupAction("referral_form")]
        place = place_before_check(tracker)
        return [FollowupAction(place)] if place in QUESTIONS else []


def ask(dispatcher: CollectingDispatcher, flag: RedFlag) -> None:
    """The flag's check question in lay words, Yes / No, and the check-question marker."""
    question = flag.check_question or catalogue().flags["other_emergency"].check_question
    dispatcher.utter_message(response="utter_red_flag_check", question=question)
    dispatcher.utter_message(
        json_message={"red_flag_check": {"code": flag.id, "level": flag.level}}
    )


class ActionConfirmRedFlagCheck(Action):
    """Yes to the check question: escalate at the flag's level and end any form."""

    def name(self) -> str:
        return "action_confirm_red_flag_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        flag = catalogue().flags.get(tracker.get_slot(CHECK_SLOT) or "", UNCLASSIFIED)
        undo = undo_slots_since_check(tracker)
        slots = await escalate(dispatcher, tracker, [flag], "check_question")
        return [
            *undo,
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet(CHECK_SLOT, None),
            *[SlotSet(name, value) for name, value in slots.items()],
        ]


def a_no_to_the_check(tracker: Tracker) -> bool:
    """The message answers the open check question with a no and more words ("no, only if
    she rolls onto that side"): the check question was the bot's last question."""
    if last_bot_action(tracker.events) != ASK_ACTION or not tracker.get_slot(CHECK_SLOT):
        return False
    return parse_yes_no(tracker.latest_message.get("text") or "") is False


async def no_to_the_check(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[dict[str, Any]]:
    """As a tapped No: the check cleared, and the form (when one was open) goes on."""
    events = await ActionClearRedFlagCheck().run(dispatcher, tracker, domain)
    if tracker.active_loop.get("name") and not any(e.get("event") == "followup" for e in events):
        events.append(FollowupAction("referral_form"))
    return events


class ActionClearRedFlagCheck(Action):
    """No to the check question: thank the patient and go back to where they were."""

    def name(self) -> str:
        return "action_clear_red_flag_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        denied = list(tracker.get_slot(DENIED_SLOT) or [])
        code = tracker.get_slot(CHECK_SLOT)
        if disputed_check_open(tracker, code):
            return self.withdraw_the_escalation(dispatcher, tracker, code, denied)
        dispatcher.utter_message(response="utter_red_flag_check_cleared")
        events = [
            *undo_slots_since_check(tracker),
            SlotSet(CHECK_SLOT, None),
            SlotSet(DENIED_SLOT, [*denied, code] if code and code not in denied else denied),
            *screening_answered(tracker, code),
        ]
        if tracker.active_loop.get("name"):
            # the message that raised the check is the answer to the open question ("wakes me
            # at night, drop things" at daily life): checked by the form's validator, so the
            # form goes on (it asked the same question again: a blind usability test, 12
            # times in 12 conversations); else the form asks its open question again (rules)
            return [*events, *await self.answer_that_raised_it(dispatcher, tracker, domain)]
        place = place_before_check(tracker)
        if place is None:  # the check came with the opening message
            greet(dispatcher, opening_text(tracker))
            return [*events, FollowupAction("utter_ask_consent")]
        if place in QUESTIONS:
            return [*events, FollowupAction(place)]
        return events

    @staticmethod
    def withdraw_the_escalation(
        dispatcher: CollectingDispatcher, tracker: Tracker, code: str, denied: list[str]
    ) -> list[dict[str, Any]]:
        """No to the check question about a disputed escalation: what the escalation changed
        is put back and the conversation goes on where it was, the form's answers intact."""
        dispatcher.utter_message(response="utter_escalation_withdrawn")
        before, changed, loop = before_the_escalation(tracker)
        events: list[dict[str, Any]] = [SlotSet(name, before.get(name)) for name in sorted(changed)]
        events += [SlotSet(CHECK_SLOT, None), SlotSet(DENIED_SLOT, sorted({*denied, code}))]
        flag = catalogue().flags.get(code)
        if (
            flag
            and flag.screening_question
            and (flag.check_question.strip() == flag.screening_question.strip())
        ):
            answers = dict(before.get("screening_answers") or {})
            events.append(SlotSet("screening_answers", {**answers, code: "no"}))
        if loop == FORM:
            # active before the form runs, so it asks its open question again rather than
            # reading the "no" as its answer
            return [*events, ActiveLoop(FORM), FollowupAction(FORM)]
        place = place_before_the_escalation(tracker, NOT_A_PLACE)
        if place is None:  # the escalation came with the opening message
            greet(dispatcher, opening_text(tracker))
            return [*events, FollowupAction("utter_ask_consent")]
        return [*events, FollowupAction(place)] if place in QUESTIONS else events

    @staticmethod
    async def answer_that_raised_it(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        slot = tracker.get_slot("requested_slot")
        text = message_that_raised_the_check(tracker)
        if not slot or slot in NOT_AFTER_A_CHECK or not text or text.startswith("/"):
            return []
        # only an answer the validator takes: one it refuses is asked again by the form,
        # without an error message after the "no"
        trial = CollectingDispatcher()
        events = await as_answer(slot, text, trial, tracker, domain)
        if not any(e.get("name") == slot and e.get("value") is not None for e in events):
            return []
        dispatcher.messages.extend(trial.messages)
        return events


def screening_answered(tracker: Tracker, code: str | None) -> list[dict[str, Any]]:
    """A no to a check question that is the flag's screening question is its screening
    answer too, so the form does not ask it again."""
    flag = catalogue().flags.get(code or "")
    if flag is None or not flag.screening_question:
        return []
    if flag.check_question.strip() != flag.screening_question.strip():
        return []
    answers = dict(tracker.get_slot("screening_answers") or {})
    answers.setdefault(flag.id, "no")
    return [SlotSet("screening_answers", answers)]


# Questions whose answer is never taken from the message that raised a check: the screening
# question (its answer is the form's own), and the yes/no questions, whose validators read
# the latest message's yes or no (here the "no" to the check).
NOT_AFTER_A_CHECK = frozenset(
    {"red_flag_screening", "gp_in_area", "already_under_service", "pregnancy_pelvic_pain",
     "communication_needs"}
)  # fmt: skip


def message_that_raised_the_check(tracker: Tracker) -> str | None:
    """The patient's message just before the open check question was first asked (it is
    asked again after a question of the patient's: "what does that mean?")."""
    events = since_restart(list(tracker.events))
    asked = _check_asked_at(events)
    while asked is not None:
        users = [i for i in range(asked) if events[i].get("event") == "user"]
        if not users:
            return None
        said = users[-1]
        before = [
            i
            for i in range(said)
            if events[i].get("event") == "action"
            and events[i].get("name") not in NOT_A_PLACE - {ASK_ACTION}
        ]
        if not before or events[before[-1]].get("name") != ASK_ACTION:
            return (events[said].get("text") or "").strip()
        asked = before[-1]  # that message answered an earlier asking of the same check
    return None


def opening_text(tracker: Tracker) -> str:
    """The patient's first message in this conversation ("" when it was a button)."""
    for event in since_restart(list(tracker.events)):
        if event.get("event") == "user":
            text = event.get("text") or ""
            return "" if text.startswith("/") else text
    return ""


def place_before_check(tracker: Tracker) -> str | None:
    """The last bot action before the open check question (None at the conversation's start);
    a check question asked again after a question of the patient's counts from where it was
    first asked. After "start again", the conversation starts at the restart."""
    events = since_restart(list(tracker.events))
    asked = _check_asked_at(events)
    if asked is None:
        asked = len(events)
    names = [
        event["name"]
        for event in events[:asked]
        if event.get("event") == "action"
        and (event.get("name") not in NOT_A_PLACE or event.get("name") == ASK_ACTION)
    ]
    while names[-2:] == [ASK_ACTION, ANSWER_ACTION]:
        names = names[:-2]
    names = [name for name in names if name != ASK_ACTION]
    return names[-1] if names else None
