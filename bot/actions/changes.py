"""Change one answer from the summary without starting again."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.referral_form import ValidateReferralForm, named_field
from bot.actions.repeated_answer import as_answer
from bot.dialogue.answer_or_request import (
    CHANGE,
    FORM,
    NEVER_TAKEN_HERE,
    answered_slot,
    message_of,
)
from bot.dialogue.answers import read_answer
from bot.dialogue.corrections import (
    correctable_fields,
    corrected_at_the_read_back,
    corrected_body_area,
    corrected_field,
    field_said_to_be_wrong,
    fields_named,
    last_bot_action,
    read_back_fields,
    side_said_with_part,
    slots_before_latest_message,
)
from bot.field_registry import change_groups, problem_change_groups
from bot.problem_vocabulary import ids_named
from bot.word_lists import normalised

# Which slots each changeable field clears; the form then asks only those again.
# The change list's choices and the answers each clears (content/referral_fields.yml).
FIELD_SLOTS = change_groups()
PROBLEM_FIELDS = problem_change_groups()
SUMMARY = "action_show_referral_summary"


def field_from(tracker: Tracker) -> str | None:
    """The changeable field named in the latest message: by the NLU, or, when it found
    none, by the words of one answer ("change gp" got the change list: a blind usability
    test)."""
    named = named_field(tracker, FIELD_SLOTS)
    if named is not None:
        return named
    groups = {
        group
        for field in fields_named(tracker.latest_message.get("text") or "")
        if (group := change_group(field))
    }
    return groups.pop() if len(groups) == 1 else None


def read_back_answered(tracker: Tracker) -> list[str]:
    """The fields a message at the read-back may change: those answered, and an optional one
    declined before, which can be given now ("my email is jo@example.com")."""
    fields = (*correctable_fields(), *read_back_fields())
    return [field for field in fields if tracker.get_slot(field) is not None]


def change_group(field: str) -> str | None:
    """The change-list choice that changes a field (content/referral_fields.yml `change`):
    its own when it has one ("wrong side" asks the side again, not the body part and all its
    screening), else the one that holds it."""
    if field in FIELD_SLOTS:
        return field
    return next((group for group, slots in FIELD_SLOTS.items() if field in slots), None)


def read_back_correction(tracker: Tracker) -> tuple[str | None, str]:
    """The answer the latest message changes at the read-back and the words its validator
    checks ("the pain is more like 7", "it's 14 Example Road, not 12"), or (None, text)."""
    text = tracker.latest_message.get("text") or ""
    answered = read_back_answered(tracker)
    field, value = corrected_at_the_read_back(
        text, tracker.get_slot("body_area"), named_field(tracker), answered
    )
    # the answer as it was before this message (a slot mapping may have set it from the
    # message already): "it's my right knee" when it is, nothing to change
    before = slots_before_latest_message(tracker.events)
    if field is not None and read_answer(field, value) == before.get(
        field, tracker.get_slot(field)
    ):
        return None, text
    return field, value


# Where a message holding several changes is cut: after a sentence, and at "and" before
# "my", "the"... (never at a comma: "14 Test Road, Leek, ST13 5AB" is one address; cutting
# there stored "14 Test Road," in a blind usability test)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+")
_AND_THEN = re.compile(
    r",?\s+(?:and|also|plus)\s+(?=(?:also\s+)?(?:my|the|change|can|it's|its|address|phone|"
    r"email|pain|job|postcode|you|you've|you have|her|his|their|gp)\b)",
    re.I,
)


def message_parts(text: str) -> list[str]:
    """A message cut where a new change may start (sentences, "and my ...")."""
    return [
        p.strip(" ,")
        for sentence in _SENTENCE_END.split(text)
        for p in _AND_THEN.split(sentence)
        if p.strip(" ,")
    ]


def changes_in_parts(tracker: Tracker) -> list[tuple[str, str]]:
    """The changes of a message at the read-back that changes several answers, one per
    part, each field once ([] when the parts change fewer than two)."""
    text = tracker.latest_message.get("text") or ""
    parts = message_parts(text)
    if len(parts) < 2:
        return []
    answered = read_back_answered(tracker)
    before = slots_before_latest_message(tracker.events)
    found: dict[str, str] = {}
    for part in parts:
        field, value = corrected_at_the_read_back(
            part, tracker.get_slot("body_area"), None, answered
        )
        if field is None or field in found:
            continue
        if read_answer(field, value) == before.get(field, tracker.get_slot(field)):
            continue  # said as it already is
        found[field] = value
    return list(found.items())


async def read_back_change(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """A change the patient typed at the read-back, taken: a new answer in their own words
    ("my phone number is actually 07700 900456", "texts are fine but no voicemail") is
    checked and stored, then the answers are read back again (after any question that now
    applies, such as a new part's side); an answer only said to be wrong ("gp is wrong") is
    asked again. None when the message changes nothing."""
    text = tracker.latest_message.get("text") or ""
    field, value = read_back_correction(tracker)
    form = ValidateReferralForm()
    several = changes_in_parts(tracker)
    if field is not None and [f for f, _ in several] == [field]:
        # the one change is in a part of its own: its value is read there ("6 was right. And
        # address 27 Trial Street, Leek" stored the whole message as the address)
        value = several[0][1]
    if field is None and len(several) > 1:
        # "change my phone to 07700 900456 and my email to jo@example.com": each part is
        # its own change (a blind usability test: only one was taken)
        slots = {}
        for part_field, part_value in several:
            taken = await form.correct(part_field, part_value, dispatcher, tracker, domain)
            slots.update(taken or {})
        slots = slots or None
    else:
        slots = (
            await form.correct(field, value, dispatcher, tracker, domain, said=text)
            if field
            else None
        )
    answered = read_back_answered(tracker)
    if slots:
        # a part only saying another answer is wrong ("the GP is wrong, and change the pain
        # score to 6": a blind usability test got "did not understand"): asked again too
        wrong = [
            w
            for part in message_parts(text)
            if (w := field_said_to_be_wrong(part, answered)) and w not in slots
        ]
        if wrong:
            group = change_group(wrong[0])
            cleared = cleared_for_change(tracker, group) if group else [SlotSet(wrong[0], None)]
            return [*[SlotSet(n, v) for n, v in slots.items()], *cleared, FollowupAction(FORM)]
    if slots is None:
        wrong = field_said_to_be_wrong(text, answered)
        if wrong is None:
            return None
        group = change_group(wrong)
        cleared = cleared_for_change(tracker, group) if group else [SlotSet(wrong, None)]
        return [*cleared, FollowupAction(FORM)]
    events = [SlotSet(name, value) for name, value in slots.items()]
    # a question that now applies and has no answer (a new part's side and screening, the
    # GP practice's area after a new postcode outside it) is asked before the read-back
    ask = form.questions_left(tracker, slots)
    return [*events, FollowupAction(FORM if ask else SUMMARY)]


def typed_at_the_read_back(tracker: Tracker) -> bool:
    """The latest message was typed (not a button's payload) in answer to the read-back: the
    only place a yes or a no is read for a change it holds."""
    text = (tracker.latest_message.get("text") or "").strip()
    return last_bot_action(tracker.events) == SUMMARY and not text.startswith("/")


class ActionAskWhatToChange(Action):
    """ "Change something", or a no, at the read-back: the change list. A no that says the
    change itself ("texts are fine but no voicemail", "no, the pain is more like 7") is taken
    at once instead, as any change typed at the read-back."""

    def name(self) -> str:
        return "action_ask_what_to_change"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if typed_at_the_read_back(tracker):
            taken = await read_back_change(dispatcher, tracker, domain)
            if taken is not None:
                return taken
        show_the_change_list(dispatcher, tracker, domain)
        return []


class ActionPrepareChange(Action):
    def name(self) -> str:
        return "action_prepare_change"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        field = field_from(tracker)
        requested = tracker.get_slot("requested_slot")
        text = tracker.latest_message.get("text") or ""
        if field and corrected_field(text, field, [field]) == field:
            # "my postcode is wrong, it's ST4 6QG": the new value is in the message already
            slots = await ValidateReferralForm().correct(field, text, dispatcher, tracker, domain)
            if slots is not None:
                return [SlotSet(name, value) for name, value in slots.items()]
        if requested is None:
            # at the read-back: "can you change my phone to 07700 900456", "change the pain
            # to 7": the new value is in the message
            changed, value = read_back_correction(tracker)
            if changed is not None:
                form = ValidateReferralForm()
                slots = await form.correct(changed, value, dispatcher, tracker, domain, said=text)
                if slots is not None:
                    return [SlotSet(name, value) for name, value in slots.items()]
        area = corrected_body_area(text, tracker.get_slot("body_area"))
        if area and field in (None, "body_area") and requested not in NEVER_TAKEN_HERE:
            # "it's my hip, not my knee": the new part (never at a screening question); the
            # form then asks the new part's side and screening
            slots = await ValidateReferralForm().correct(
                "body_area", area, dispatcher, tracker, domain, said=text
            )
            if slots is not None:
                return [SlotSet(name, value) for name, value in slots.items()]
        unanswered = (
            None
            if field is None
            else all(tracker.get_slot(slot) is None for slot in FIELD_SLOTS[field])
        )
        if answered_slot(message_of(tracker), CHANGE, unanswered):
            # checked by the form's own validator, as any answer (never a screening answer)
            return await as_answer(requested, text, dispatcher, tracker, domain)
        if requested and field is None:
            # In the middle of the form with nothing named: say when answers can be changed;
            # the form then asks its question again (no dead end waiting for a field).
            dispatcher.utter_message(response="utter_change_at_summary")
            return []
        if field is None:
            show_the_change_list(dispatcher, tracker, domain)
            return [FollowupAction("action_listen")]
        return cleared_for_change(tracker, field)


def cleared_for_change(tracker: Tracker, field: str) -> list[dict[str, Any]]:
    """The answers a change of `field` clears (and their tries), so the form asks them again."""
    counts = dict(tracker.get_slot("retry_counts") or {})
    events: list[dict[str, Any]] = [SlotSet(slot, None) for slot in FIELD_SLOTS[field]]
    for slot in FIELD_SLOTS[field]:
        counts.pop(slot, None)
    return [*events, SlotSet("retry_counts", counts)]


def plain_words(text: str) -> str:
    """Lower-case letters and digits, one space between words: how a typed choice and a
    button title are compared."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


# Change-list choices shown only to whom they apply: who filled the referral in, to someone
# filling it in for another person.
_ONLY_WHEN = {"completed_by": "filled_in_for_someone_else"}


def show_the_change_list(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> None:
    """utter_ask_what_to_change, without the choices that do not apply to this patient."""
    hidden = {field for field, slot in _ONLY_WHEN.items() if not tracker.get_slot(slot)}
    [response] = (domain.get("responses") or {}).get("utter_ask_what_to_change") or [{}]
    if not hidden or not response:
        dispatcher.utter_message(response="utter_ask_what_to_change")
        return
    buttons = [
        {**b, "payload": b["payload"].replace("{{", "{").replace("}}", "}")}
        for b in response.get("buttons") or []
        if not any(f'"{field}"' in b["payload"] for field in hidden)
    ]
    dispatcher.utter_message(text=response.get("text"), buttons=buttons)


def change_list_buttons(domain: dict[str, Any]) -> list[dict[str, Any]]:
    [response] = (domain.get("responses") or {}).get("utter_ask_what_to_change") or [{}]
    return response.get("buttons") or []


def is_a_change_list_title(text: str, domain: dict[str, Any]) -> bool:
    """The whole message is the title of a change-list button, typed (or sent by a channel
    that sends titles): "How long" there is that choice, not a question about the wait."""
    said = plain_words(text)
    return bool(said) and said in {plain_words(b["title"]) for b in change_list_buttons(domain)}


def chosen_field(text: str, domain: dict[str, Any]) -> str | None:
    """The change-list choice a typed answer names: a button title of utter_ask_what_to_change
    in the words ("GP practice", "I want to change my GP practice", "pain score please"), the
    one named first ("my email address is wrong" is the email, "my address is wrong, the
    postcode is fine" the address), the longer title where two start together; None when
    none is named."""
    said = f" {plain_words(text)} "
    choices = []
    for button in change_list_buttons(domain):
        title = plain_words(button["title"])
        field = re.search(r'"field":\s*"(\w+)"', button["payload"])
        at = said.find(f" {title} ") if title else -1
        if field and at >= 0:
            choices.append((at, -len(title), field.group(1)))
    return min(choices)[2] if choices else None


class ActionStartAnotherProblem(Action):
    """A second problem: keep eligibility and personal details, ask about the problem again."""

    def name(self) -> str:
        return "action_start_another_problem"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        problem_slots = {slot for field in PROBLEM_FIELDS for slot in FIELD_SLOTS[field]}
        events = [SlotSet(slot, None) for slot in sorted(problem_slots)]
        events += [SlotSet("referral_reference", None), SlotSet("retry_counts", {})]
        # "yes, my knee as well": the new problem's part (and side) is not asked again
        text = tracker.latest_message.get("text") or ""
        parts = ids_named("body_areas", normalised(text)) if not text.startswith("/") else set()
        if len(parts) == 1:
            events.append(SlotSet("body_area", next(iter(parts))))
            side = side_said_with_part(text)
            if side:
                events.append(SlotSet("side", side))
        return [*events, FollowupAction(FORM)]
