"""Answers to questions a patient may ask at any point; the form then carries on."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.changes import (
    SUMMARY,
    chosen_field,
    cleared_for_change,
    is_a_change_list_title,
    read_back_change,
)
from bot.actions.opening import need_events, practical_needs_answered, stated_needs
from bot.actions.red_flag_check import (
    ASK_ACTION,
    QUESTIONS,
    a_no_to_the_check,
    no_to_the_check,
    undo_slots_since_check,
)
from bot.actions.referral_form import ValidateReferralForm
from bot.actions.repeated_answer import as_answer
from bot.contact_fields import parse_yes_no
from bot.dialogue.answer_or_request import (
    FORM,
    answer_with_a_question,
    answered_slot,
    message_of,
)
from bot.dialogue.channel import is_kiosk
from bot.dialogue.corrections import (
    correctable_fields,
    holds_value,
    last_bot_action,
)
from bot.dialogue.digression_answers import answer_response
from bot.dialogue.stopping import CARRY_ON, stop_answer
from bot.gp_practices import is_keep_words
from bot.problem_vocabulary import ids_named
from bot.service_facts import service_values
from bot.word_lists import normalised

MAX_MISUNDERSTOOD = 2


# Questions whose answer is general ("what happens next?", "how does this work?"): a need
# said in them is answered by its own note instead.
GENERAL_QUESTIONS = frozenset({"ask_what_next", "ask_help", "out_of_scope"})


class ActionAnswerDigression(Action):
    """Answer ask_* intents with the response of the same name (utter_answer_what_is_mis...),
    or on the kiosk with its `_kiosk` variant where content/responses.yml has one."""

    def name(self) -> str:
        return "action_answer_digression"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        slot = answered_slot(message_of(tracker))
        if slot:
            text = (tracker.latest_message.get("text") or "").strip()
            return await as_answer(slot, text, dispatcher, tracker, domain)
        text = tracker.latest_message.get("text") or ""
        if asked_place(tracker) == CHANGE_LIST and is_a_change_list_title(text, domain):
            chosen = await change_list_choice(dispatcher, tracker, domain)
            if chosen is not None:
                return chosen
        intent = (tracker.latest_message.get("intent") or {}).get("name", "ask_help")
        response = answer_response(
            intent,
            tracker.latest_message.get("text"),
            is_kiosk(tracker),
            domain.get("responses") or {},
        )
        # "Will there be a BSL interpreter at my appointment?" (answered "they contact you,
        # usually by phone" in a blind usability test): the need's note, kept for the team;
        # a general answer is then left out
        noted = practical_needs_answered(dispatcher, tracker)
        if not noted or intent not in GENERAL_QUESTIONS:
            dispatcher.utter_message(response=response, **service_values())
        kept = [SlotSet(name, value) for name, value in noted.items()]
        if last_bot_action(tracker.events) == ASK_ACTION:
            # a question in answer to a red-flag check question ("what does that mean?"):
            # answered, then the same check question again, so the yes or no is still read
            return [*kept, FollowupAction(ASK_ACTION)]
        given = answer_with_a_question(message_of(tracker))
        if given is not None:
            # "about 3 months, how long is the wait?": the answer is kept too, checked by the
            # form's own validator, and the form goes on to the next question
            return [*kept, *await as_answer(*given, dispatcher, tracker, domain)]
        if consent_given_with_it(tracker):
            # "yes please. what is MIS though?": answered, and the yes taken (a blind usability
            # test: the yes was lost and consent asked again)
            return [*kept, FollowupAction(RECORD_CONSENT)]
        # Outside the form, the question the patient was answering is asked again with its
        # buttons, so "yes" after "how long is the wait?" answers it (the form asks its own)
        return [*kept, *asked_again(tracker, asked_place(tracker))]


CONSENT = "utter_ask_consent"
RECORD_CONSENT = "action_record_consent"  # which starts the form


def consent_given_with_it(tracker: Tracker) -> bool:
    """The message answers the consent question with a plain yes and asks something too."""
    if tracker.active_loop.get("name") or asked_place(tracker) != CONSENT:
        return False
    return parse_yes_no(tracker.latest_message.get("text") or "") is True


CHANGE_LIST = "action_ask_what_to_change"
ANOTHER_PROBLEM = "utter_ask_another_problem"


async def change_list_choice(dispatcher, tracker, domain) -> list[dict[str, Any]] | None:
    """The events for a choice typed at the change list ("GP practice", "my phone number is
    07700 900456"), or None when the words name no choice."""
    text = tracker.latest_message.get("text") or ""
    field = chosen_field(text, domain)
    if field in correctable_fields() and holds_value(field, text):
        # "my phone number is 07700 900456": the new value is in the message already
        form = ValidateReferralForm()
        slots = await form.correct(field, text, dispatcher, tracker, domain)
        if slots is not None:
            ask = form.questions_left(tracker, slots)
            events = [SlotSet(name, value) for name, value in slots.items()]
            return [*events, FollowupAction(FORM if ask else SUMMARY)]
    if field:
        return [*cleared_for_change(tracker, field), FollowupAction(FORM)]
    return None


def asked_place(tracker: Tracker) -> str | None:
    """The question the patient's message answers: the bot's last action, where
    action_prepare_change (which asks what to change when "Change something" names nothing)
    counts as the change list."""
    question = last_bot_action(tracker.events)
    return CHANGE_LIST if question == "action_prepare_change" else question


# Questions outside the form whose answer the rules read only straight after them (the same
# places a "no" to a check question goes back to).
ASKED_AGAIN_AFTER_A_QUESTION = QUESTIONS


def asked_again(tracker: Tracker, question: str | None) -> list[dict[str, Any]]:
    """The question outside the form asked again with its buttons (its yes, no or choice is
    read only straight after it); nothing in the form, which asks its own."""
    if not tracker.active_loop.get("name") and question in ASKED_AGAIN_AFTER_A_QUESTION:
        return [FollowupAction(question)]
    return []


class ActionNotUnderstood(Action):
    """Ask to rephrase; after repeated misses offer the phone route."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = asked_place(tracker)
        if question == SUMMARY:
            return await self.at_the_read_back(dispatcher, tracker, domain)
        if question == CHANGE_LIST:
            # "GP practice" typed instead of tapped: that choice
            chosen = await change_list_choice(dispatcher, tracker, domain)
            if chosen is not None:
                return chosen
        if a_no_to_the_check(tracker):
            # "no, only if she rolls onto that side" to a check question: its No
            return await no_to_the_check(dispatcher, tracker, domain)
        if question == ASK_ACTION and tracker.get_slot("red_flag_check"):
            # anything else at a check question: it is asked again, with its Yes and No, and
            # nothing the message set is kept (a treatment's "helped for a couple of months"
            # sent while a check was open replaced the duration: a blind usability test)
            dispatcher.utter_message(response="utter_default")
            return [*undo_slots_since_check(tracker), FollowupAction(ASK_ACTION)]
        text = tracker.latest_message.get("text") or ""
        needs = stated_needs(text) if tracker.get_slot("consent") is None else []
        if consent_given_with_it(tracker):
            # "ok great, yes. I'm Jo Example, born 9 August 1994" at consent (a blind
            # usability test got "did not understand"): the yes taken, any need noted, and
            # the form reads the answers said with it
            for need in needs:
                dispatcher.utter_message(response=f"utter_opening_need_{need}")
            events = need_events(text, needs) if needs else []
            return [*events, FollowupAction(RECORD_CONSENT)]
        if needs:
            # "I'm filling this in for my mum" typed after the widget's greeting, at consent:
            # its note, kept as at the opening, then the question again (the every-button test
            # got "did not understand")
            for need in needs:
                dispatcher.utter_message(response=f"utter_opening_need_{need}")
            return [*need_events(text, needs), *asked_again(tracker, question)]
        if question == ANOTHER_PROBLEM and ids_named("body_areas", normalised(text)):
            # "yes my knee as well" (not read as yes): the new problem, with that part
            return [FollowupAction("action_start_another_problem")]
        misses = int(tracker.get_slot("misunderstood_count") or 0) + 1
        if misses >= MAX_MISUNDERSTOOD:
            dispatcher.utter_message(
                response="utter_not_understood_offer_phone", **service_values()
            )
            events = [SlotSet("misunderstood_count", 0)]
        else:
            dispatcher.utter_message(response="utter_default")
            events = [SlotSet("misunderstood_count", misses)]
        return [*events, *asked_again(tracker, question)]

    @staticmethod
    async def at_the_read_back(dispatcher, tracker, domain) -> list[dict[str, Any]]:
        """At the read-back, a correction in the patient's own words ("my phone number is
        actually 07700 900456", "it's my hip, not my knee") is taken; anything else is asked
        again. The answers are then read back again, with their buttons (once they
        disappeared); a correction that leaves questions to ask (a new body part's side and
        screening) runs the form for those first, which reads the answers back at its end."""
        taken = await read_back_change(dispatcher, tracker, domain)
        if taken is not None:
            return taken
        dispatcher.utter_message(response="utter_default")
        return [FollowupAction(SUMMARY)]


class ActionConfirmStop(Action):
    """Stop asked mid-form: pause the form and check first, so a stray "no" loses nothing."""

    def name(self) -> str:
        return "action_confirm_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = (tracker.latest_message.get("text") or "").strip()
        if (
            tracker.get_slot("requested_slot") == "gp_practice"
            and tracker.get_slot("gp_practice_typed")
            and is_keep_words(text)
        ):
            # "keep it" (read as stop) when a practice not in the list was asked again: the
            # answer "Keep what I typed", not a stop; only there, never at other questions
            events = await as_answer("gp_practice", text, dispatcher, tracker, domain)
            return [*events, FollowupAction(FORM)]
        dispatcher.utter_message(response="utter_confirm_stop")
        return [ActiveLoop(None), SlotSet("stop_pending", True)]


class ActionResumeReferral(Action):
    """The patient did not mean to stop: the form carries on where it was."""

    def name(self) -> str:
        return "action_resume_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_carry_on")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        said = tracker.latest_message.get("text") or ""
        if intent != "deny" and stop_answer(said) != CARRY_ON:
            # an answer given instead of yes or no: the form, activated again, takes it
            return [SlotSet("stop_pending", False)]
        # "No, carry on": the form is active again before it runs, so it does not read the
        # "no" as the answer to the open question (Rasa's form validates the latest message
        # only when it is activated or runs straight after the patient spoke); it asks again.
        return [SlotSet("stop_pending", False), ActiveLoop(FORM)]


class ActionStop(Action):
    """Stop: nothing is submitted, the answers are cleared, and the patient is told what is kept."""

    def name(self) -> str:
        return "action_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        if tracker.get_slot("stop_pending") and stop_answer(text) == CARRY_ON:
            # "no, carry on" typed (read by the NLU as a yes) or "don't stop": stopping clears
            # every answer, so only a plain yes stops; the form carries on at its question
            dispatcher.utter_message(response="utter_carry_on")
            return [SlotSet("stop_pending", False), ActiveLoop(FORM), FollowupAction(FORM)]
        dispatcher.utter_message(response="utter_stopped", **service_values())
        return [ActiveLoop(None), AllSlotsReset()]
