"""Validation of the referral form: each answer is normalised, or re-asked saying what is wrong.

After MAX_TRIES failed answers to one question the patient is offered a way round it: an
optional question is skipped, a required one comes with the service's phone number.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Container
from datetime import date
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.utils import call_potential_coroutine

from bot import gp_practices
from bot.actions.opening import practical_needs_answered, stated_needs
from bot.contact_fields import (
    chosen_number,
    is_declined,
    parse_email,
    parse_nhs_number,
    parse_yes_no,
    phone_numbers_in,
)
from bot.dialogue.answer_or_request import NEVER_TAKEN_HERE
from bot.dialogue.answers import ANSWERS, Answer, free_text
from bot.dialogue.channel import is_kiosk
from bot.dialogue.corrections import (
    actions_since_the_message,
    correctable_fields,
    corrected_body_area,
    gp_practice_said_to_be_wrong,
    label,
    name_correction,
    side_said_with_part,
    slots_before_latest_message,
    what_is_corrected,
)
from bot.dialogue.digression_answers import ANSWER_ACTION, QUESTION_INTENTS, answer_response
from bot.dialogue.escalation import catalogue, escalate
from bot.dialogue.screening import (
    ScreeningList,
    answered,
    next_screening_question,
    qualified_no,
)
from bot.field_registry import also_clears, form_questions, optional_fields
from bot.gp_practices import keeps_as_typed
from bot.problem_fields import (
    pain_score_out_of_ten,
    pain_score_said_for_now,
    several_pain_scores,
    the_longest_duration,
    the_one_duration,
)
from bot.problem_vocabulary import (
    CONTACT_WORDS,
    area_named,
    areas_named,
    body_area_has_side,
    body_area_label,
    button_value,
    ids_in_order,
    job_in_a_part_of_its_own,
    job_said,
    match,
    onset_label,
    onset_mentioned,
    says_not_sure,
    side_named,
    work_status_in_passing,
    work_status_label,
    workplace_or_kind_of_job,
)
from bot.referral_fields import (
    address_said_in_passing,
    address_with_the_birth_date,
    age_on,
    age_today,
    date_of_birth_said_in_passing,
    first_address_line,
    format_date_for_patient,
    gp_practice_words_in_passing,
    name_given_for_someone_else,
    name_said_in_passing,
    normalise_postcode,
    parse_date_of_birth,
)
from bot.service_facts import (
    area_status,
    min_age,
    pregnancy_question_up_to_age,
    service_phone,
    service_values,
)
from bot.word_lists import normalised

Slots = dict[str, Any]


logger = logging.getLogger(__name__)
# which GP practice list the answers are matched against (GP_PRACTICES_FILE, or the snapshot)
logger.info("GP practices: %s", gp_practices.snapshot())
MAX_TRIES = 3
NOT_GIVEN = "not given"
NOT_REGISTERED = "not registered with a GP"  # the patient has no GP practice (ineligible)
OPTIONAL_SLOTS = optional_fields()  # content/referral_fields.yml
WORKING = {"working", "off_work", "at_risk"}
SCREENING_DONE = "done"
SAFETY_NET_AREAS = {"back", "several"}


def _past_pregnancy_age(date_of_birth: str | None) -> bool:
    """Older than the age up to which the pregnancy question is asked (content/eligibility.yml);
    False while the date of birth is not known."""
    age = age_today(date_of_birth)
    return age is not None and age > pregnancy_question_up_to_age()


def age_of(tracker: Tracker) -> int | None:
    """The patient's age from the date of birth given, or None before it is given."""
    return age_today(tracker.get_slot("date_of_birth"))


# A no to "any help?" that goes on to name a need: "no, but I need a room without stairs"
_NO_BUT_A_NEED = re.compile(
    r"^\s*(?:no|nope|nah|not really)\b[\s,.!-]*(?:but|except|apart from|although|though)\s+"
    r"\S+(?:\s+\S+){2,}",
    re.I,
)


def yes_no(tracker: Tracker, value: Any, slot: str) -> bool | None:
    """A yes/no answer: a stored bool, the intent of an answer to this question, or the words.

    Slots filled earlier are validated again when the form is re-activated, so a stored
    bool is accepted as it is and the intent only counts when this slot was asked.
    """
    if isinstance(value, bool):
        return value
    if tracker.get_slot("requested_slot") == slot:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in ("affirm", "deny"):
            return intent == "affirm"
    return parse_yes_no(str(value or ""))


# What else a changed answer clears, so the form asks it again (a new body part has its own
# side and screening questions; a new postcode, whether the GP is in the area):
# content/referral_fields.yml `also_clears`.
ALSO_CLEARS = also_clears()


def named_field(tracker: Tracker, known: Container[str] | None = None) -> str | None:
    """The answer the NLU found named in the latest message (entity `field`, mapped by NLU
    synonyms), if any; with `known`, the first such name among them."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "field" and (known is None or entity.get("value") in known):
            return entity.get("value")
    return None


DESCRIBING_THE_PROBLEM = {"already_under_service", "body_area", "side", "duration", "pain_score"}


def problem_descriptions(tracker: Tracker) -> list[str]:
    """Messages in which the patient described the problem: the answer to a problem question
    now, or, as the form starts for the first time, what they said before agreeing to go on.
    Once the form has asked a question the opening has been read: when it starts again (a
    change at the read-back) an answer cleared there is asked, not taken again from the
    opening ("my right knee" must not become the side of the hip it was corrected to)."""
    requested = tracker.get_slot("requested_slot")
    if requested in DESCRIBING_THE_PROBLEM:
        return [tracker.latest_message.get("text") or ""]
    if requested is not None:
        return []
    before, consents = [], 0
    for event in tracker.events:
        kind, name, text = event.get("event"), event.get("name"), event.get("text") or ""
        if kind == "action" and name == "action_start_another_problem":
            return []  # a second problem: the first one's opening is not about it
        if kind == "slot" and name == "requested_slot" and event.get("value") is not None:
            return []  # the form has asked a question already
        if kind == "action" and name == "action_record_consent":
            consents += 1
        elif kind == "user" and not consents and not text.startswith("/"):
            before.append(text)
    return before if consents == 1 else []


# The intents the red-flag NLU component sets (bot/nlu/red_flag_classifier.py).
RED_FLAG_INTENTS = ("red_flag", "red_flag_check")


# No need said in words ("nothing needed thanks" was stored as a need: a blind usability test)
_NO_NEED = re.compile(
    r"^\s*(?:none|nothing|nowt|n/a|all good|i'?m (?:fine|ok|okay|good)|i am (?:fine|ok|okay)|"
    r"(?:i )?(?:don'?t|do not) need (?:any|anything)(?: help)?|"
    r"no (?:help|needs?) (?:needed|required))"
    r"(?:[\s,.!]+(?:needed|required|at all|really|thanks?|thank you|cheers|ta|i'?m fine|"
    r"i'?m ok|for now|ta very much))*[\s.!]*$",
    re.I,
)


# Yes/no questions of the form: their answer is never traded for a correction said with it.
YES_NO = ("gp_in_area", "already_under_service", "pregnancy_pelvic_pain")
_EMAIL_MENTIONED = re.compile(r"@|\be-?mail\b", re.I)


def gp_practice_corrected(text: str, tracker: Tracker) -> tuple[str | None, str]:
    """("gp_practice", the practice's name) when a message at a later question says the GP
    practice was wrong and names one practice in the ICB's list other than the one given
    ("sorry, my GP is actually Miller Street"); else (None, text). Only a practice the list
    finds is taken there: anything else is left for the read-back's change list."""
    if not tracker.get_slot("gp_practice") or not gp_practice_said_to_be_wrong(text):
        return None, text
    practice = gp_practices.find(text)
    if practice is None or practice.ods_code == tracker.get_slot("gp_ods_code"):
        return None, text
    return "gp_practice", practice.name


def read_as_a_red_flag(tracker: Tracker) -> bool:
    """The NLU read the latest message as a red flag or a red-flag check."""
    return (tracker.latest_message.get("intent") or {}).get("name") in RED_FLAG_INTENTS


_AGO = re.compile(r"\bago\b", re.I)


def _duration_said(text: str) -> str | None:
    duration = the_one_duration(text)
    return duration.display if duration else None


def side_with_area(text: str) -> str | None:
    """left, right or both, in a message that also names a body area."""
    return side_named(text) if match("body_areas", text) else None


# Pain that spreads from one part into another ("lower back pain ... aches down into my right
# bum cheek"): the part it starts in is the problem.
_SPREADS_INTO = re.compile(
    r"\b(?:down into|goes into|going into|goes down|going down|spreads?(?: to| into| down)?|"
    r"spreading|radiat\w*|shoot\w* (?:down|into)|travels? (?:down|into)|down to|down my)\b"
)


def one_area_said(text: str) -> str | None:
    """The body area a description names, when it names only one: "my neck and shoulder"
    is asked which bothers the patient most, not stored as one of them; but of two, the one
    the pain spreads from ("my back, it goes down into my buttock")."""
    if len(areas_named(text)) <= 1:
        return area_named(text)
    lowered = normalised(text)
    order = ids_in_order("body_areas", lowered)
    if len(order) == 2 and _SPREADS_INTO.search(lowered[order[0][0] : order[1][0]]):
        return order[0][1]
    return None


# Words that say the problem started at a time "ago" ("it started 3 weeks ago", "I hurt it
# a month ago"): else a time "ago" is when something else happened.
_STARTED = re.compile(
    r"\b(?:start\w*|began|begun|beginning|came on|come on|came back|happened|did it|"
    r"hurt|injur\w*|fell|fall|twist\w*|strain\w*|pull\w*|sprain\w*|first|since|been|had it|"
    r"going on|bother\w*|pain\w*|ach\w*|sore)\b",
    re.I,
)


def an_event_ago(value: str, said: str) -> bool:
    """The amount of time is said as "ago" of something other than the problem starting."""
    where = said.lower().find(value.lower())
    if where < 0 or not re.match(r"\s*ago\b", said[where + len(value) :], re.I):
        return False
    return not _STARTED.search(said)


# The questions asked before the GP practice's: a practice named with their answer is taken.
_ASKED_BEFORE_THE_GP = ("date_of_birth", "postcode")
_ASKED_BEFORE_THE_PHONE = ("full_name", "nhs_number")


def _dialled_as_typed(number: str, text: str) -> bool:
    """The phone number was typed as one is dialled (with its 0 or +44), not read into an NHS
    number ("my nhs number is 347 042 4764" is no 0347 042 4764)."""
    digits = re.sub(r"\D", "", number)
    typed = re.sub(r"[\s().-]", "", text)
    return digits in typed or "44" + digits[1:] in typed


_NHS_NOT_KNOWN = re.compile(
    r"\b(?:don'?t|do not|dont) know (?:my|the|his|her|their)?\s*nhs(?: number| no)?\b", re.I
)


def with_an_earlier_answer(
    tracker: Tracker, slot: str, asked: tuple[str, ...], read: Callable[[str], str | None]
) -> Slots | None:
    """The slot from the answer to a question asked before its own (the GP practice or the
    address typed with the date of birth): {} when it gives none; None when no such question
    is open now."""
    if tracker.get_slot("requested_slot") not in asked or tracker.get_slot(slot) is not None:
        return None
    if read_as_a_red_flag(tracker):
        return {}
    value = read(tracker.latest_message.get("text") or "")
    return {slot: value} if value else {}


def said_in_passing(tracker: Tracker, slot: str, read: Callable[[str], str | None]) -> Slots:
    """The slot from the problem description, unless it is filled or being asked now, or the
    latest message is read as a red flag: then nothing from it may fill a slot, or the form
    would take the message and the red flag's check question would never be asked (once, an
    inflammatory back pain story told at the duration question gave the job it mentioned)."""
    if tracker.get_slot(slot) is not None or tracker.get_slot("requested_slot") == slot:
        return {}
    if read_as_a_red_flag(tracker):
        return {}
    for text in problem_descriptions(tracker):
        value = read(text)
        if value:
            return {slot: value}
    return {}


def rereads(answer: Answer, slot: str, value: Any, tracker: Tracker) -> bool:
    """Whether the whole latest message is read when the NLU's part of it was not an answer."""
    if answer.reread == "always":
        return True
    asked = tracker.get_slot("requested_slot") == slot
    hinted = answer.reread_hint is not None and answer.reread_hint(str(value))
    return answer.reread == "when_asked" and (asked or hinted)


def answered_since_the_message(tracker: Tracker) -> bool:
    """action_answer_digression has run since the patient's latest message (the form then
    validates the same message again; Rasa shows the form's validation a tracker whose
    latest action is the form itself either way)."""
    return ANSWER_ACTION in actions_since_the_message(tracker.events)


def answer_the_question_asked_too(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
) -> None:
    """ "about 3 months, how long is the wait?": the NLU reads the question, but the form
    takes the message for the duration it found in it (and then no rule answers the
    question). The question is answered here, before the form goes on; when the form does not
    take the message after all, these words are dropped with it and the digression rule
    answers instead."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    text = tracker.latest_message.get("text") or ""
    if (
        intent not in QUESTION_INTENTS
        or text.startswith("/")
        or not tracker.get_slot("requested_slot")
        # the form validating again after action_answer_digression has answered it
        or answered_since_the_message(tracker)
    ):
        return
    response = answer_response(intent, text, is_kiosk(tracker), domain.get("responses") or {})
    dispatcher.utter_message(response=response, **service_values())


# Questions whose answer has a form of its own (a number, a date, yes or no): only these take
# the first part of a message that goes on to correct another answer. A free-text question
# would take any words ("wrong joint sorry, it's the elbow").
ANSWERED_BEFORE_A_CORRECTION = frozenset(
    {
        *YES_NO, "pain_score", "duration", "side", "onset", "work_status", "phone", "email",
        "nhs_number", "date_of_birth", "postcode", "contact_permissions",
    }
)  # fmt: skip
# Where a message's first part ends before it goes on to something else ("5. oh sorry, ...",
# "no, and sorry, my date of birth is ...").
_FIRST_PART = re.compile(
    r"\s*[.;!]\s+|\s*,?\s+(?=(?:oh|sorry|also|btw|actually)\b)|,\s*(?=and\b)", re.I
)


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
        """The questions that apply to this patient, in the domain's order."""
        if tracker.get_slot("eligible") is False or tracker.get_slot("escalated"):
            return []
        return [slot for slot in domain_slots if self._applies(slot, tracker.get_slot)]

    @staticmethod
    def _applies(slot: str, get: Callable[[str], Any]) -> bool:
        area = get("body_area")
        if slot == "gp_in_area":
            # The GP registration decides (FACTS.md): a practice from the ICB's list (named
            # for sure, or found by its place and confirmed by the patient) is one of the
            # area's, so it is not asked; else a home postcode outside the area or on its
            # border is asked whether the practice (asked just before) is in the area.
            if get("gp_ods_code"):
                return False
            status = area_status(get("postcode")) if get("postcode") else None
            return status in ("outside", "border")
        if slot == "side":
            return area is None or body_area_has_side(area)
        if slot == "pregnancy_pelvic_pain":
            return area in (None, "back", "hip") and not _past_pregnancy_age(get("date_of_birth"))
        if slot == "work_role":
            return get("work_status") in (None, *WORKING)
        if slot == "completed_by":
            return bool(get("filled_in_for_someone_else"))
        if slot == "red_flag_screening":
            return bool(catalogue().screening_for(area, age_today(get("date_of_birth"))))
        return True

    def questions_left(self, tracker: Tracker, changed: Slots) -> bool:
        """Whether a question that applies is still unanswered once `changed` is set (after a
        correction at the read-back: the form runs again for it before the read-back)."""

        def get(name: str) -> Any:
            return changed[name] if name in changed else tracker.get_slot(name)

        if get("eligible") is False or get("escalated"):
            return False
        return any(get(slot) is None for slot in form_questions() if self._applies(slot, get))

    # --- a correction volunteered at a later question -------------------------------

    async def get_validation_events(self, dispatcher, tracker, domain) -> list[dict[str, Any]]:
        corrected = await self.volunteered_correction(dispatcher, tracker, domain)
        if corrected is not None:
            return corrected
        answer_the_question_asked_too(dispatcher, tracker, domain)
        return await super().get_validation_events(dispatcher, tracker, domain)

    async def volunteered_correction(self, dispatcher, tracker, domain) -> list | None:
        """ "Sorry, my date of birth was wrong, it's 12/03/1980" at any later question: the
        earlier answer is changed (checked by its own validator), the patient is told, and
        the open question is asked again. None when the message is not such a correction."""
        requested = tracker.get_slot("requested_slot")
        text = tracker.latest_message.get("text") or ""
        if requested is None or text.startswith("/") or read_as_a_red_flag(tracker):
            # a red flag is never an answer: "left arm gone heavy, my face has dropped on one
            # side, words coming out wrong" once changed the side to left and escalated nothing
            return None
        answered = [
            field
            for field in correctable_fields()
            if field != requested and tracker.get_slot(field) not in (None, NOT_GIVEN)
        ]
        # never at a screening question: "yes, and I meant my hip" stays a screening answer
        field, value = what_is_corrected(
            text,
            tracker.get_slot("body_area"),
            named_field(tracker),
            answered,
            part_allowed=requested not in {"body_area", *NEVER_TAKEN_HERE},
        )
        if field is None and requested not in {"gp_practice", *NEVER_TAKEN_HERE, *YES_NO}:
            # (never at a screening or yes/no question: its answer is kept)
            field, value = gp_practice_corrected(text, tracker)
        slots = (
            None
            if field is None
            else await self.correct(field, value, dispatcher, tracker, domain, said=text)
        )
        if slots is None:
            return None
        # Whatever this message filled (the open question's answer above all) goes back to
        # what it was; the corrected field and what depends on it are set.
        before = slots_before_latest_message(tracker.events)
        undo = {name: before.get(name) for name in tracker.slots_to_validate()}
        changed = {**undo, **slots, requested: None}
        # "5. oh sorry, I meant my left elbow", "no. oh and my date of birth is ...": the
        # answer before the correction is kept too (asked again in a blind usability test)
        changed.update(await self.answer_before(requested, text, dispatcher, tracker, domain))
        return [SlotSet(name, value) for name, value in changed.items()]

    async def answer_before(self, requested, text, dispatcher, tracker, domain) -> Slots:
        """The open question's answer in the first part of a message that goes on to correct
        an earlier answer, checked by its validator; {} when there is none or it is refused."""
        first = _FIRST_PART.split(text.strip(), maxsplit=1)[0].strip()
        if not first or first == text.strip() or requested not in ANSWERED_BEFORE_A_CORRECTION:
            return {}
        if (
            requested not in YES_NO
            and ANSWERS.get(requested)
            and not ANSWERS[requested].read(first)
        ):
            return {}
        trial = CollectingDispatcher()
        validate = getattr(self, f"validate_{requested}", None)
        if validate is None:
            return {}
        slots = await call_potential_coroutine(validate(first, trial, tracker, domain))
        if slots.get(requested) in (None, NOT_GIVEN) or slots.get("retry_counts"):
            return {}
        dispatcher.messages.extend(trial.messages)
        return slots

    async def correct(self, field, text, dispatcher, tracker, domain, said=None) -> Slots | None:
        """The slots that change `field` to the value in `text`, checked by the field's own
        validator, with the patient told; None (and nothing said) when the value is refused.
        A new body part takes the side `said` with it ("my left hip"); otherwise its side is
        asked again."""
        if field == "full_name":
            # "oops I spelled my surname wrong, it's Testperson" (ignored in a blind
            # usability test): the new surname after the first names given
            text = name_correction(text, tracker.get_slot("full_name"))
            if text is None:
                return None
        if field == "side" and match("body_areas", text) not in (
            None,
            tracker.get_slot("body_area"),
        ):
            return None  # "actually it's my left hip" when the knee was given: not only a side
        validate = getattr(self, f"validate_{field}")
        slots = await call_potential_coroutine(validate(text, dispatcher, tracker, domain))
        if slots.get(field) is None:
            return None
        if field == "gp_practice":
            # "I have changed your GP practice to ..." below says it: not "I have noted" too
            dispatcher.messages[:] = [
                m for m in dispatcher.messages if m.get("response") != "utter_gp_practice_found"
            ]
        shown = slots[field]
        if field == "date_of_birth":
            shown = format_date_for_patient(date.fromisoformat(shown))
        elif field == "body_area":
            shown = body_area_label(shown)
        elif field == "onset":
            shown = onset_label(shown)
        elif field == "work_status":
            shown = work_status_label(shown)
        elif field == "contact_permissions":
            shown = CONTACT_WORDS.get(shown, shown)
        dispatcher.utter_message(
            response="utter_correction_taken", field_label=label(field), field_value=shown
        )
        changed = {**dict.fromkeys(ALSO_CLEARS.get(field, ())), **slots}
        side = side_said_with_part(said) if field == "body_area" and said else None
        if side and body_area_has_side(slots["body_area"]):
            changed["side"] = side
        return changed

    # --- answers given before their question ------------------------------------------

    async def extract_onset(self, dispatcher, tracker, domain) -> Slots:
        """How it started, when the patient said so while describing the problem."""
        return said_in_passing(tracker, "onset", onset_mentioned)

    async def extract_side(self, dispatcher, tracker, domain) -> Slots:
        """The side, said with the body area ("both my elbows") when the NLU missed it."""
        return said_in_passing(tracker, "side", side_with_area)

    async def extract_body_area(self, dispatcher, tracker, domain) -> Slots:
        """The body area told before the form started, also when that message got a red-flag
        check question (the slot mapping skips such a message; after "No" it was lost).
        Only when the messages agree on one: "lower back pain, 24 weeks pregnant", then "I'll
        ask my midwife about the back, I've also got a sore wrist, can I do that one here?"
        took the back (a blind usability test); the patient is asked instead."""
        if tracker.get_slot("requested_slot") is None:
            texts = problem_descriptions(tracker)
            said = {one_area_said(text) for text in texts if areas_named(text)}
            if len(said) > 1:
                return {}
        return said_in_passing(tracker, "body_area", one_area_said)

    async def extract_pain_score(self, dispatcher, tracker, domain) -> Slots:
        """The pain score told before its question as out of ten ("7/10")."""

        def read(text: str) -> str | None:
            score = pain_score_out_of_ten(text)
            return None if score is None else str(score)

        return said_in_passing(tracker, "pain_score", read)

    async def extract_postcode(self, dispatcher, tracker, domain) -> Slots:
        """The postcode told before the form started ("I'm in ST4 6QG, my knee ...")."""
        return said_in_passing(tracker, "postcode", normalise_postcode)

    async def extract_duration(self, dispatcher, tracker, domain) -> Slots:
        """How long, told before the form started (as for the body area); or in the answer to
        "How did it start?" as so long "ago" ("twisted it at football about 3 weeks ago"),
        never other amounts of time there ("gradually, I'm 45 years old", "I was off for a
        week")."""
        if tracker.get_slot("requested_slot") == "onset" and tracker.get_slot("duration") is None:
            text = tracker.latest_message.get("text") or ""
            if read_as_a_red_flag(tracker) or not _AGO.search(text):
                return {}
            said = _duration_said(text)
            return {"duration": said} if said else {}
        return said_in_passing(tracker, "duration", _duration_said)

    async def extract_date_of_birth(self, dispatcher, tracker, domain) -> Slots:
        """The date of birth told before the form started, after "born", "DOB" or "date of
        birth" ("Jo Example, born 3/4/1975, my knee..."): checked by its own validator."""

        def read(text: str) -> str | None:
            # too young for the service: asked, never refused on words said in passing
            born = date_of_birth_said_in_passing(text, date.today())
            if born is None or age_on(born, date.today()) < min_age():
                return None
            return born.isoformat()

        return said_in_passing(tracker, "date_of_birth", read)

    async def extract_full_name(self, dispatcher, tracker, domain) -> Slots:
        """The name told before its question, after "my name is" and the like; not when the
        message says it is written for someone else (the name would be the writer's)."""

        def read(text: str) -> str | None:
            return None if "someone_else" in stated_needs(text) else name_said_in_passing(text)

        return said_in_passing(tracker, "full_name", read)

    async def extract_address_line1(self, dispatcher, tracker, domain) -> Slots:
        """The first line of the address told before its question ("I live at 12 Example
        Road, ST4 8AA"); its validator checks it as it checks an answer."""
        # "her birthday is 12/08/1948, she lives at 3 Sample Close, Rugeley WS15 2XY"
        earlier = with_an_earlier_answer(
            tracker, "address_line1", ("date_of_birth",), address_with_the_birth_date
        )
        if earlier is not None:
            return earlier
        return said_in_passing(tracker, "address_line1", address_said_in_passing)

    async def extract_gp_practice(self, dispatcher, tracker, domain) -> Slots:
        """The GP practice told before its question ("my GP is Trentham Mews"), only when the
        words name one practice of the list: anything else is asked in its turn, where
        "Did you mean ...?" and "keep what I typed" can follow."""

        def read(text: str) -> str | None:
            # a relative typing for the patient: "she goes to the surgery on Church Street"
            for_them = bool(tracker.get_slot("filled_in_for_someone_else"))
            words = gp_practice_words_in_passing(text, for_them)
            if not words:
                return None
            if gp_practices.names_a_practice_kind(words):
                return words if gp_practices.find(words) is not None else None
            # no "surgery" or "medical centre": every word must be in the practice's name
            return words if gp_practices.named_by(words) is not None else None

        # "12/03/1970, GP is Leek Health Centre": given with an answer asked before it
        earlier = with_an_earlier_answer(tracker, "gp_practice", _ASKED_BEFORE_THE_GP, read)
        return earlier if earlier is not None else said_in_passing(tracker, "gp_practice", read)

    async def extract_nhs_number(self, dispatcher, tracker, domain) -> Slots:
        """ "Alex Testperson, don't know my NHS number, phone ...": the NHS number not known,
        said with the name (asked again in a blind usability test)."""
        found = with_an_earlier_answer(
            tracker,
            "nhs_number",
            ("full_name",),
            lambda text: NOT_GIVEN if _NHS_NOT_KNOWN.search(text) else None,
        )
        return found or {}

    async def extract_phone(self, dispatcher, tracker, domain) -> Slots:
        """One phone number said with the name or the NHS number, the questions asked just
        before it ("don't know it. phone 07700 900606": asked again in a blind usability
        test); checked by its own validator."""

        def read(text: str) -> str | None:
            numbers = [n for n in phone_numbers_in(text) if _dialled_as_typed(n, text)]
            return numbers[0] if len(numbers) == 1 else None

        return with_an_earlier_answer(tracker, "phone", _ASKED_BEFORE_THE_PHONE, read) or {}

    async def extract_email(self, dispatcher, tracker, domain) -> Slots:
        """An email said with the name or the NHS number (as the phone)."""
        return with_an_earlier_answer(tracker, "email", _ASKED_BEFORE_THE_PHONE, parse_email) or {}

    async def extract_work_status(self, dispatcher, tracker, domain) -> Slots:
        """The work status told before the work question in words that can only be it ("off
        work since October", "still working"; asked again in a blind usability test)."""
        for_them = bool(tracker.get_slot("filled_in_for_someone_else"))
        return said_in_passing(
            tracker, "work_status", lambda text: work_status_in_passing(text, for_them)
        )

    async def extract_work_role(self, dispatcher, tracker, domain) -> Slots:
        """The job told before the work question, after "I work as a" and the like."""
        return said_in_passing(
            tracker, "work_role", lambda text: job_said(text, "job_introducers_in_passing")
        )

    # --- shared re-ask logic -------------------------------------------------------

    def reject(
        self, slot: str, response: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Slots:
        """Say what is wrong; after MAX_TRIES offer a way round instead of looping.

        A value that came from an earlier message (not an answer to this question) is
        dropped silently: the question will be asked in its turn.
        """
        if tracker.get_slot("requested_slot") != slot:
            return {slot: None}
        noted = practical_needs_answered(dispatcher, tracker)
        if noted:
            # "can I bring my daughter with me?" at the date of birth (refused as a date in a
            # blind usability test): the need's note and the question again, no try counted
            return {slot: None, **noted}
        counts = dict(tracker.get_slot("retry_counts") or {})
        counts[slot] = counts.get(slot, 0) + 1
        if counts[slot] >= MAX_TRIES and slot in OPTIONAL_SLOTS:
            dispatcher.utter_message(response="utter_skipping_optional")
            return {slot: NOT_GIVEN, "retry_counts": counts}
        dispatcher.utter_message(response=response)
        if counts[slot] >= MAX_TRIES:
            dispatcher.utter_message(response="utter_offer_phone", phone=service_phone())
        return {slot: None, "retry_counts": counts}

    def checked(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Slots:
        """The answer read by the slot's row of the answer table (bot/dialogue/answers.py),
        or the question asked again with the row's error response."""
        answer = ANSWERS[slot]
        stored = answer.read(str(value or ""))
        if stored is None and rereads(answer, slot, value, tracker):
            stored = answer.read(tracker.latest_message.get("text") or "")
        if stored is None:
            return self.reject(slot, answer.error, dispatcher, tracker)
        return {slot: stored}

    def ineligible(self, slot: str, value: Any, reason: str) -> Slots:
        return {slot: value, "eligible": False, "ineligible_reason": reason}

    # --- eligibility ------------------------------------------------------------

    def validate_date_of_birth(self, value, dispatcher, tracker, domain) -> Slots:
        """The first eligibility question: the exact age check, and the date of birth itself.

        It also fills meets_min_age (never asked) for the referral's eligibility.
        """
        today = date.today()
        parsed = parse_date_of_birth(str(value or ""), today)
        if parsed.problem == "future":
            return self.reject(
                "date_of_birth", "utter_date_of_birth_in_future", dispatcher, tracker
            )
        if parsed.value is None:
            return self.reject("date_of_birth", "utter_invalid_date_of_birth", dispatcher, tracker)
        if age_on(parsed.value, today) < min_age():
            return {**self.ineligible("date_of_birth", None, "age"), "meets_min_age": False}
        return {"date_of_birth": parsed.value.isoformat(), "meets_min_age": True, "eligible": True}

    def validate_postcode(self, value, dispatcher, tracker, domain) -> Slots:
        """The postcode; and the first line of the address when the answer to the address
        question gives it ("12 Example Street, Cannock, WS11 1DB"), so it is not asked (again).
        A first line without the postcode is kept, and the postcode alone asked for."""
        # The entity may be clipped ("st13" from " st13  6RJ "): then the whole message it
        # came from is read (this one, whether it answered this question or the one before).
        said = tracker.latest_message.get("text") or ""
        # asked for the address, the patient's newest one is the one kept (also at a change)
        asked = tracker.get_slot("requested_slot") == "postcode"
        line = first_address_line(said) if asked else None
        if line is not None and normalise_postcode(said) is None:
            return {"postcode": None, "address_line1": line}
        slots = self.checked("postcode", value, dispatcher, tracker)
        if line is not None and slots.get("postcode"):
            slots["address_line1"] = line
        if asked and slots.get("postcode") and not tracker.get_slot("gp_practice"):
            # "ST16 2AB, I'm with Moss Street Surgery": the practice too, when the words name
            # one practice for sure, so its question is not asked
            practice = gp_practices.said_with_the_address(said)
            if practice is not None:
                dispatcher.utter_message(
                    response="utter_gp_practice_found", practice=practice.name, place=practice.place
                )
                slots.update(
                    gp_practice=practice.name, gp_ods_code=practice.ods_code, gp_practice_typed=None
                )
        return slots

    def validate_gp_in_area(self, value, dispatcher, tracker, domain) -> Slots:
        answer = yes_no(tracker, value, "gp_in_area")
        if answer is None:
            return self.reject("gp_in_area", "utter_please_yes_no", dispatcher, tracker)
        if not answer:
            return self.ineligible("gp_in_area", False, "area")
        return {"gp_in_area": True}

    def validate_gp_practice(self, value, dispatcher, tracker, domain) -> Slots:
        if value == NOT_GIVEN:
            return {"gp_practice": NOT_GIVEN}
        if (
            value is not None
            and slots_before_latest_message(tracker.events).get("gp_practice") == value
        ):
            # Stored before this message and checked again because the form started again
            # (a change at the read-back): kept as it is, without offering the practices it
            # fits or saying the practice found a second time.
            return {"gp_practice": value}
        tapped = button_value(str(value or ""))
        typed = tracker.get_slot("gp_practice_typed")
        text = tapped or free_text(value)
        if typed and keeps_as_typed(text):
            # "None of these" under the practices offered, or "Keep what I typed" (or a yes)
            # after "I could not find it": kept as typed, with no ODS code
            return {"gp_practice": typed, "gp_ods_code": None, "gp_practice_typed": None}
        if text is None:
            return self.reject("gp_practice", "utter_invalid_gp_practice", dispatcher, tracker)
        if not typed and gp_practices.not_registered(text) and gp_practices.find(text) is None:
            # registered with no GP practice: self-referral needs one in the area (FACTS.md),
            # so the patient is told how to register, not asked for a practice again (not
            # at "Did you mean ...?", where "none" is none of those offered)
            return {
                **self.ineligible("gp_practice", NOT_REGISTERED, "no_gp"),
                "gp_ods_code": None,
                "gp_practice_typed": None,
            }
        if (
            is_declined(text)
            and not gp_practices.gives_a_hint(text)
            and not (gp_practices.names_a_practice_kind(text) and gp_practices.find(text))
        ):
            # "don't know", but not "not sure of the name, it's the medical centre in Kidsgrove"
            # (stored as not given in a blind usability test)
            return {"gp_practice": NOT_GIVEN, "gp_ods_code": None, "gp_practice_typed": None}
        # "dunno the one in cannock town centre": a hint, looked up and kept, not a decline
        practice = gp_practices.find(text)
        if practice is None and typed:
            # the second try read with the first: "biddulph", then "the valley one"
            practice = gp_practices.find(f"{typed} {text}")
        asked_now = not typed and tracker.get_slot("requested_slot") == "gp_practice"
        if practice is not None and asked_now and not tapped and gp_practices.named(text) is None:
            # found by its place or street, not its name ("fenton med centre" found another
            # practice in Fenton, a blind usability test): "Is it one of these?" first
            return {"gp_practice": None, "gp_practice_typed": text}
        if practice is None:
            if asked_now:
                # asked once more by action_ask_gp_practice: "Did you mean ...?" with the
                # practices it fits, or "I could not find it" when it fits none
                return {"gp_practice": None, "gp_practice_typed": text}
            # not in the list after a second try (or given as a correction at another
            # question, or stored before the form started again): kept in the patient's
            # words with no ODS code, which the staff app shows as a practice to look up; both
            # tries when they differ ("Dr Patel's surgery", then the town "Stone")
            if typed and text.lower() not in typed.lower():
                text = f"{typed}, {text}"
            return {"gp_practice": text, "gp_ods_code": None, "gp_practice_typed": None}
        dispatcher.utter_message(
            response="utter_gp_practice_found", practice=practice.name, place=practice.place
        )
        return {
            "gp_practice": practice.name,
            "gp_ods_code": practice.ods_code,
            "gp_practice_typed": None,
        }

    def validate_already_under_service(self, value, dispatcher, tracker, domain) -> Slots:
        answer = yes_no(tracker, value, "already_under_service")
        if answer is None:
            return self.reject("already_under_service", "utter_please_yes_no", dispatcher, tracker)
        if answer:
            return self.ineligible("already_under_service", True, "already_under_service")
        return {"already_under_service": False}

    # --- the problem --------------------------------------------------------------

    def validate_body_area(self, value, dispatcher, tracker, domain) -> Slots:
        said = tracker.latest_message.get("text") or ""
        from_this_message = tracker.get_slot("requested_slot") == "body_area" or any(
            entity.get("entity") == "body_area"
            for entity in tracker.latest_message.get("entities") or []
        )
        # a part given before this message is being changed ("it's my hip, not my knee"),
        # whether the form checks the new part or the change itself does
        given = slots_before_latest_message(tracker.events).get("body_area")
        correcting = given is not None or (
            corrected_body_area(said, tracker.get_slot("body_area")) is not None
        )
        if from_this_message and not correcting and len(areas_named(said)) > 1:
            # "my neck and shoulder": the NLU may pick either; the patient chooses the one
            # that bothers them most (or Several areas), rather than having one guessed (told
            # before the question, it is asked in its turn); "it's my hip, not my knee" names
            # two to change one
            return self.reject("body_area", "utter_which_body_area", dispatcher, tracker)
        if from_this_message and not correcting and not said.startswith("/"):
            # the part the words name, not an entity the NLU took from other words ("since I
            # was painting the ceiling about 2 months back" is no back; a blind usability test)
            named = areas_named(said)
            if len(named) == 1 and area_named(str(value or "")) not in named:
                value = named.pop()
        return self.checked("body_area", value, dispatcher, tracker)

    def validate_side(self, value, dispatcher, tracker, domain) -> Slots:
        area = tracker.get_slot("body_area")
        if area and not body_area_has_side(area):
            # "mainly my neck, it goes into both shoulders": a neck or back has no side to
            # keep (stored and read back as "Neck (both)" in a blind usability test)
            return {"side": None}
        if tracker.get_slot("requested_slot") == "side":
            # the NLU may give one side of "both, but the left is worse" (stored as left in a
            # blind usability test): the whole answer says which
            value = side_named(tracker.latest_message.get("text") or "") or value
        return self.checked("side", value, dispatcher, tracker)

    def validate_pregnancy_pelvic_pain(self, value, dispatcher, tracker, domain) -> Slots:
        answer = yes_no(tracker, value, "pregnancy_pelvic_pain")
        if answer is None:
            # "I don't know, how would I tell?": how to tell, not "please answer yes or no"
            said = tracker.latest_message.get("text") or ""
            response = (
                "utter_pregnancy_link_how_to_tell" if says_not_sure(said) else "utter_please_yes_no"
            )
            return self.reject("pregnancy_pelvic_pain", response, dispatcher, tracker)
        if answer:
            return self.ineligible("pregnancy_pelvic_pain", True, "pregnancy")
        return {"pregnancy_pelvic_pain": False}

    def validate_onset(self, value, dispatcher, tracker, domain) -> Slots:
        return self.checked("onset", value, dispatcher, tracker)

    def validate_duration(self, value, dispatcher, tracker, domain) -> Slots:
        # The NLU may clip the words ("months or" from "four months or so"): then the whole
        # message is read. With several amounts of time the NLU may pick either: the longest
        # is how long it has lasted ("Two years, worse for two months" was stored as two
        # months: a blind usability test).
        said = tracker.latest_message.get("text") or ""
        if tracker.get_slot("requested_slot") == "duration":
            longest = the_longest_duration(said)
            if longest is not None:
                return {"duration": longest.display}
        elif value and an_event_ago(str(value), said):
            # "he saw a physio about 3 years ago" at another question is when something
            # happened, not how long the problem has lasted (a blind usability test): dropped
            # silently, so the question is asked
            return {"duration": None}
        return self.checked("duration", value, dispatcher, tracker)

    def validate_pain_score(self, value, dispatcher, tracker, domain) -> Slots:
        said = tracker.latest_message.get("text") or ""
        if tracker.get_slot("requested_slot") == "pain_score" and several_pain_scores(said):
            now = pain_score_said_for_now(said)
            if now is not None:
                # "7 or 8 on a bad day, 5 today": the question asks about the pain now
                return self.checked("pain_score", str(now), dispatcher, tracker)
            # "about a 6, goes up to 8 when it's bad": the NLU may pick either number; the
            # pain now is asked for as one number rather than guessed
            return self.reject("pain_score", "utter_one_pain_score", dispatcher, tracker)
        return self.checked("pain_score", value, dispatcher, tracker)

    def validate_work_status(self, value, dispatcher, tracker, domain) -> Slots:
        """The work status; and the job too when the same answer names it ("I work as a
        postman but it's getting hard"), so "What is your job?" is not asked."""
        slots = self.checked("work_status", value, dispatcher, tracker)
        asked = tracker.get_slot("requested_slot") == "work_status"
        if asked and slots.get("work_status") in WORKING and not tracker.get_slot("work_role"):
            said = tracker.latest_message.get("text") or ""
            job = (
                job_said(str(value or ""))
                or job_in_a_part_of_its_own(said)
                or workplace_or_kind_of_job(said)
            )
            if job:
                slots["work_role"] = job
        elif slots.get("work_status") in WORKING and not tracker.get_slot("work_role"):
            # told in the story before the question ("I'm a plasterer, it's really hard at
            # work"): with the status said there, "I'm a ..." there is the job
            for_them = bool(tracker.get_slot("filled_in_for_someone_else"))
            for text in problem_descriptions(tracker):
                if work_status_in_passing(text, for_them) and job_said(text):
                    slots["work_role"] = job_said(text)
                    break
        return slots

    def validate_daily_impact(self, value, dispatcher, tracker, domain) -> Slots:
        return self.checked("daily_impact", value, dispatcher, tracker)

    def validate_work_role(self, value, dispatcher, tracker, domain) -> Slots:
        return self.checked("work_role", value, dispatcher, tracker)

    def validate_treatments_tried(self, value, dispatcher, tracker, domain) -> Slots:
        return self.checked("treatments_tried", value, dispatcher, tracker)

    def validate_goals(self, value, dispatcher, tracker, domain) -> Slots:
        return self.checked("goals", value, dispatcher, tracker)

    # --- red-flag screening (before personal details) ------------------------------

    async def validate_red_flag_screening(self, value, dispatcher, tracker, domain) -> Slots:
        """One screening answer: yes escalates at once; no moves to the next question."""
        if value == SCREENING_DONE:
            return {"red_flag_screening": SCREENING_DONE}
        answers = dict(tracker.get_slot("screening_answers") or {})
        area, age = tracker.get_slot("body_area"), age_of(tracker)
        question = next_screening_question(area, answers, age)
        if question is None:
            return {"red_flag_screening": SCREENING_DONE}
        if tracker.get_slot("requested_slot") != "red_flag_screening":
            return {"red_flag_screening": None}
        answer = yes_no(tracker, value, "red_flag_screening")
        if answer is False and qualified_no(tracker.latest_message.get("text") or ""):
            answer = None  # "no, apart from the steroids": asked again, leaning to yes
        if answer is None:
            return self.reject("red_flag_screening", "utter_screening_yes_no", dispatcher, tracker)
        answers = answered(question, answers, answer)
        if answer and isinstance(question, ScreeningList):
            # "yes" to the list: its questions one at a time, so the level is the right one
            dispatcher.utter_message(response="utter_screening_one_at_a_time")
            return {"red_flag_screening": None, "screening_answers": answers}
        if answer:
            slots = await escalate(dispatcher, tracker, [question], "screening")
            return {"red_flag_screening": "yes", "screening_answers": answers, **slots}
        if next_screening_question(area, answers, age) is not None:
            return {"red_flag_screening": None, "screening_answers": answers}
        if area in SAFETY_NET_AREAS:
            several = "_several" if area == "several" else ""
            dispatcher.utter_message(response=f"utter_back_pain_safety_net{several}")
        return {"red_flag_screening": SCREENING_DONE, "screening_answers": answers}

    # --- personal details -----------------------------------------------------------

    def validate_full_name(self, value, dispatcher, tracker, domain) -> Slots:
        """The name; and a phone number or email typed with it ("Sam Testperson, and my
        mobile is 07700 900101"), so they are not asked for again."""
        slots = self.checked("full_name", value, dispatcher, tracker)
        said = tracker.latest_message.get("text") or ""
        if slots.get("full_name") and tracker.get_slot("requested_slot") == "full_name":
            if name_given_for_someone_else(said):
                # "her name is Jo Example": someone is filling it in for her; who, is asked
                slots["filled_in_for_someone_else"] = True
            numbers = phone_numbers_in(said)
            if len(numbers) == 1 and tracker.get_slot("phone") is None:
                phone = ANSWERS["phone"].read(numbers[0])
                if phone:
                    slots["phone"] = phone
            email = parse_email(said)
            if email and tracker.get_slot("email") is None:
                slots["email"] = email
        return slots

    def validate_nhs_number(self, value, dispatcher, tracker, domain) -> Slots:
        if value == NOT_GIVEN:
            return {"nhs_number": NOT_GIVEN}
        parsed = parse_nhs_number(str(value or ""))
        if parsed.problem == "not_known":
            return {"nhs_number": NOT_GIVEN}
        if parsed.value is None:
            response = (
                "utter_invalid_nhs_number_length"
                if parsed.problem == "wrong_length"
                else "utter_invalid_nhs_number_check"
            )
            return self.reject("nhs_number", response, dispatcher, tracker)
        return {"nhs_number": parsed.display}

    def validate_address_line1(self, value, dispatcher, tracker, domain) -> Slots:
        slots = self.checked("address_line1", value, dispatcher, tracker)
        line = slots.get("address_line1")
        if isinstance(line, str):
            # the postcode is kept and shown on its own: not twice ("27 Trial Street, ST13
            # 6ZZ, ST13 6ZZ" and "14 Test Road,," in a blind usability test)
            postcode = normalise_postcode(tracker.get_slot("postcode") or "") or ""
            if postcode and normalise_postcode(line.split(",")[-1].strip()) == postcode:
                line = ",".join(line.split(",")[:-1])
            slots["address_line1"] = line.strip(" ,;") or line
        return slots

    def validate_phone(self, value, dispatcher, tracker, domain) -> Slots:
        """The phone number, and the email the question invites with it ("07700 900123,
        jo@example.com"): given or not, the email question is not asked after it. An email
        alone is kept while the phone number is asked again."""
        asked = tracker.get_slot("requested_slot") == "phone"
        said = tracker.latest_message.get("text") or ""
        numbers = phone_numbers_in(said) if asked else []
        if len(numbers) > 1:
            # "mobile 07700 900123 or home 01632 960123": action_ask_phone asks which one to
            # call, a button for each, rather than saying the answer does not look right
            return {"phone": None}
        earlier = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
        if asked and not numbers and len(earlier) >= 2:
            # "the mobile" (typed, not tapped) after two numbers were offered
            picked = chosen_number(said, phone_numbers_in(earlier[-2]))
            if picked:
                value = picked
        slots = self.checked("phone", value, dispatcher, tracker)
        if asked and tracker.get_slot("email") is None:
            # the phone question invites the email too; a phone number without one means
            # no email (it stays on the read-back's change list), so it is not asked apart
            email = parse_email(said) or parse_email(str(value or ""))
            if email:
                slots["email"] = email
            elif slots.get("phone") and (not _EMAIL_MENTIONED.search(said) or is_declined(said)):
                slots["email"] = NOT_GIVEN
            # (an email meant but not readable, "jo@gmail,com", "I'd prefer email": asked)
        return slots

    def validate_email(self, value, dispatcher, tracker, domain) -> Slots:
        if value == NOT_GIVEN or is_declined(str(value or "")):
            return {"email": NOT_GIVEN}
        return self.checked("email", value, dispatcher, tracker)

    def validate_contact_permissions(self, value, dispatcher, tracker, domain) -> Slots:
        return self.checked("contact_permissions", value, dispatcher, tracker)

    def validate_completed_by(self, value, dispatcher, tracker, domain) -> Slots:
        """Who is filling the referral in for the patient: their words (name, how they know
        the patient, a phone number), or not given."""
        if value == NOT_GIVEN:
            return {"completed_by": NOT_GIVEN}
        text = free_text(value)
        if text is None:
            return self.reject("completed_by", "utter_invalid_free_text", dispatcher, tracker)
        if is_declined(text):
            return {"completed_by": NOT_GIVEN}
        return {"completed_by": text}

    def validate_communication_needs(self, value, dispatcher, tracker, domain) -> Slots:
        if value == NOT_GIVEN:
            return {"communication_needs": NOT_GIVEN}
        text = free_text(value)
        if text is None:
            return self.reject(
                "communication_needs", "utter_invalid_free_text", dispatcher, tracker
            )
        answer = yes_no(tracker, value, "communication_needs")
        if _NO_BUT_A_NEED.match(text):
            # "no, but I need a wheelchair accessible clinic" (stored as none in a blind
            # usability test): the need, in the patient's words
            return {"communication_needs": text}
        if answer is False or is_declined(text) or _NO_NEED.match(text):
            return {"communication_needs": "none"}
        if answer is True and len(text.split()) <= 2:
            return self.reject(
                "communication_needs", "utter_invalid_communication_needs", dispatcher, tracker
            )
        return {"communication_needs": text}
