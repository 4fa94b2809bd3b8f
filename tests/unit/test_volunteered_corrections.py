"""A correction volunteered at a later question is taken: "sorry, my date of birth was wrong,
it's 12/03/1980" when asked for the postcode changes the date of birth, says so, and asks
for the postcode again, instead of refusing it as a postcode."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.changes import FIELD_SLOTS, ActionPrepareChange
from bot.actions.referral_form import ValidateReferralForm
from bot.dialogue.corrections import corrected_field, slots_before_latest_message
from bot.problem_vocabulary import button_value
from tests.conftest import make_tracker
from tests.support.buttons import buttons_of
from tests.support.referral_slots import COMPLETE

FORM = ValidateReferralForm()
DOMAIN = {"forms": {"referral_form": {"required_slots": []}}}
ANSWERED = {
    "consent": True,
    "eligible": True,
    "date_of_birth": "1971-11-02",
    "postcode": "WS11 1DB",
    "phone": "07700 900123",
    "nhs_number": "485 777 3457",
    "body_area": "knee",
    "side": "right",
    "full_name": "Sam Testperzon",
}


def turn(requested: str, text: str, intent: str = "inform", entities=None) -> Tracker:
    """The tracker the form's validation sees: the message filled the open question's slot
    (Rasa's from_text mapping) after the slots answered so far."""
    before = [{"event": "slot", "name": k, "value": v} for k, v in ANSWERED.items()]
    before.append({"event": "slot", "name": "requested_slot", "value": requested})
    events = [
        *before,
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
        {"event": "slot", "name": requested, "value": text},
    ]
    slots = {**ANSWERED, "requested_slot": requested, requested: text}
    return make_tracker(slots, text, intent=intent, entities=entities, events=events)


def validate(tracker: Tracker) -> tuple[dict[str, Any], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(FORM.get_validation_events(dispatcher, tracker, DOMAIN))
    return {e["name"]: e["value"] for e in events}, dispatcher.messages


@pytest.mark.parametrize(
    ("requested", "text", "field", "stored", "shown"),
    [
        (
            "gp_practice",
            "sorry my date of birth was wrong, it's 12/03/1980",
            "date_of_birth",
            "1980-03-12",
            "12 March 1980",
        ),
        ("address_line1", "oops wrong postcode, it should be ST4 6QG", "postcode", "ST4 6QG", None),
        ("email", "my mobile number was wrong it's 07700 900456", "phone", "07700 900456", None),
        ("email", "NHS number typo, should be 943 476 5870", "nhs_number", "943 476 5870", None),
        ("duration", "actually it's my left knee", "side", "left", None),
        # a blind usability test stored this as both
        ("duration", "actually it's my left knee, not the right", "side", "left", None),
        ("duration", "the left, sorry, not the right knee", "side", "left", None),
        ("pain_score", "sorry, wrong side, it's both of them", "side", "both", None),
        ("work_status", "oops I meant the left side", "side", "left", None),
        # a blind usability test: the name corrected in words was ignored
        (
            "phone",
            "oops I spelled my surname wrong, it's Testperson",
            "full_name",
            "Sam Testperson",
            None,
        ),
    ],
)
def test_a_correction_at_a_later_question_changes_that_answer_and_asks_again(
    requested, text, field, stored, shown
):
    slots, messages = validate(turn(requested, text))
    assert slots[field] == stored
    assert slots[requested] is None  # the open question is asked again, not answered
    [told] = messages
    assert told["response"] == "utter_correction_taken"
    assert told["field_value"] == (shown or stored)


def test_a_new_postcode_keeps_the_answer_on_whether_the_gp_practice_is_in_the_area():
    slots, _ = validate(turn("address_line1", "sorry, my postcode is wrong: ST4 6QG"))
    assert slots["postcode"] == "ST4 6QG" and "gp_in_area" not in slots


@pytest.mark.parametrize(
    ("requested", "text"),
    [
        ("postcode", "ST4 6QG"),  # the answer itself
        ("gp_practice", "my date of birth is 12/03/1980"),  # no word that it was wrong
        ("gp_practice", "sorry, my date of birth was wrong"),  # no new value
        ("gp_practice", "sorry my date of birth was wrong, it's 31/02/1980"),  # no such date
        ("duration", "sorry, that's right"),  # "right" is not a side here
        ("duration", "actually it's my left hip"),  # another part: not only a side
    ],
)
def test_anything_else_is_validated_as_the_answer_to_the_open_question(requested, text):
    slots, messages = validate(turn(requested, text))
    assert "utter_correction_taken" not in [m.get("response") for m in messages]
    assert slots.get("date_of_birth", ANSWERED["date_of_birth"]) == ANSWERED["date_of_birth"]
    assert slots.get("side", ANSWERED["side"]) == ANSWERED["side"]


@pytest.mark.parametrize(
    ("requested", "text", "area"),
    [
        ("duration", "sorry it's my hip, not my knee", "hip"),
        ("pain_score", "I meant my shoulder, I typed the wrong thing", "shoulder"),
        ("daily_impact", "wrong joint sorry, it's the elbow", "elbow"),
        ("phone", "oh it's actually my ankle rather than my knee", "ankle_foot"),
    ],
)
def test_a_body_part_corrected_in_words_changes_it_and_asks_its_own_questions_again(
    requested, text, area
):
    slots, messages = validate(turn(requested, text))
    assert slots["body_area"] == area
    # the old part's side and screening are asked again for the new part
    assert slots["side"] is None and slots["red_flag_screening"] is None
    assert slots["screening_answers"] is None
    assert slots[requested] is None
    [told] = messages
    assert told["response"] == "utter_correction_taken"
    assert told["field_label"] == "your part of the body"


@pytest.mark.parametrize(
    ("requested", "text"),
    [
        ("daily_impact", "actually my hip hurts too when I walk far"),  # another part as well
        ("treatments_tried", "sorry, I put ice on my ankle and knee"),  # nothing said wrong
        ("goals", "not my knee that stops me, it's my confidence"),  # no other part named
        ("daily_impact", "sorry, the knee stops me, not my hip or my back"),  # two others
        # found in review: a cue reaching past the first part named, or everyday words
        ("daily_impact", "I can't kneel, I mean the knee and the ankle both hurt"),
        ("daily_impact", "It stops me sleeping, I mean my back aches as well"),
        ("treatments_tried", "I was given the wrong one, a wrist splint"),
        ("daily_impact", "the pain is not in my knee all the time, sometimes my hip"),
        ("red_flag_screening", "yes, and I meant my hip not my knee"),  # a screening answer
    ],
)
def test_a_body_part_mentioned_in_passing_never_changes_the_answer(requested, text):
    slots, messages = validate(turn(requested, text))
    assert slots.get("body_area", ANSWERED["body_area"]) == ANSWERED["body_area"]
    assert "utter_correction_taken" not in [m.get("response") for m in messages]


def test_a_change_request_that_already_holds_the_new_value_takes_it_without_asking_again():
    tracker = turn(
        "email",
        "my postcode is wrong, it's ST4 6QG",
        intent="change_answer",
        entities=[{"entity": "field", "value": "postcode"}],
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionPrepareChange().run(dispatcher, tracker, DOMAIN))
    assert {e["name"]: e["value"] for e in events} == {"postcode": "ST4 6QG"}
    assert [m["response"] for m in dispatcher.messages] == ["utter_correction_taken"]


def test_the_phone_is_not_read_as_named_when_the_nhs_number_is():
    fields = ["phone", "nhs_number"]
    assert corrected_field("nhs number wrong: 943 476 5870", None, fields) == "nhs_number"


def test_slots_before_the_latest_message_ignore_what_it_filled():
    events = turn("postcode", "sorry my dob was wrong 12/03/1980").events
    assert slots_before_latest_message(events)["postcode"] == "WS11 1DB"


def change_buttons() -> list[dict]:
    return buttons_of("utter_ask_what_to_change")


@pytest.mark.parametrize("button", change_buttons(), ids=lambda b: b["title"])
def test_every_change_button_clears_just_that_answer_so_the_form_asks_it_again(button):
    field = button_value(button["payload"])
    tracker = turn("email", button["payload"], intent="change_answer")
    tracker = Tracker(
        tracker.sender_id,
        {**tracker.slots, "requested_slot": None},
        {**tracker.latest_message, "entities": [{"entity": "field", "value": field}]},
        tracker.events,
        False,
        None,
        None,
        "action_listen",
    )
    events = asyncio.run(ActionPrepareChange().run(CollectingDispatcher(), tracker, DOMAIN))
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert cleared == set(FIELD_SLOTS[field])


def test_the_change_list_offers_the_gp_practice_and_how_it_started():
    offered = {button_value(b["payload"]) for b in change_buttons()}
    assert {"gp_practice", "onset"} <= offered


def test_the_bots_last_action_before_the_message_is_its_question():
    from bot.dialogue.corrections import last_bot_action

    events = [
        {"event": "action", "name": "action_show_referral_summary"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "flibble"},
        {"event": "action", "name": "action_extract_slots"},
    ]
    assert last_bot_action(events) == "action_show_referral_summary"
    assert last_bot_action([]) is None


def test_not_understood_at_the_read_back_reads_the_answers_back_again():
    from bot.actions.digressions import ActionNotUnderstood

    events = [
        {"event": "action", "name": "action_show_referral_summary"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "flibble wibble"},
    ]
    tracker = make_tracker(dict(ANSWERED), "flibble wibble", intent="nlu_fallback", events=events)
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionNotUnderstood().run(dispatcher, tracker, DOMAIN))
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]
    assert (result[-1]["event"], result[-1]["name"]) == ("followup", "action_show_referral_summary")
    text = "sorry my phone number was wrong, it's 07700 900456"
    tracker = make_tracker(dict(ANSWERED), text, intent="nlu_fallback", events=events)
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionNotUnderstood().run(dispatcher, tracker, DOMAIN))
    assert {"event": "slot", "name": "phone", "value": "07700 900456"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in result
    ]
    assert [m["response"] for m in dispatcher.messages] == ["utter_correction_taken"]


@pytest.mark.parametrize(
    "text", ["it's my hip, not my knee", "sorry, I meant my hip", "wrong joint, it's the hip"]
)
def test_a_body_part_corrected_in_words_at_the_read_back_asks_the_new_parts_questions(text):
    from bot.actions.digressions import ActionNotUnderstood

    events = [
        {"event": "action", "name": "action_show_referral_summary"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    knee = {**ANSWERED, "body_area": "knee", "side": "left"}
    # the NLU finds both parts named as body_area entities (a REST test caught "hip, not my
    # knee" asked which of the two bothers most)
    named = [{"entity": "body_area", "value": part} for part in ("hip", "knee") if part in text]
    tracker = make_tracker(knee, text, intent="inform", events=events, entities=named)
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionNotUnderstood().run(dispatcher, tracker, DOMAIN))
    slots = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    assert slots["body_area"] == "hip" and slots["side"] is None
    assert [m["response"] for m in dispatcher.messages] == ["utter_correction_taken"]
    # the form runs for the hip's side (and screening), then reads the answers back
    assert (result[-1]["event"], result[-1]["name"]) == ("followup", "referral_form")


@pytest.mark.parametrize(
    ("requested", "entities", "changed"),
    [
        (None, [], True),  # at the read-back, read as a change with no field named
        (None, [{"entity": "field", "value": "body_area"}], True),
        ("email", [], True),  # in the middle of the form
        ("red_flag_screening", [], False),  # never at a screening question
    ],
)
def test_a_body_part_corrected_in_words_as_a_change_takes_the_new_part(
    requested, entities, changed
):
    text = "it's my hip, not my knee"
    tracker = make_tracker(
        {**ANSWERED, "requested_slot": requested}, text, intent="change_answer", entities=entities
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionPrepareChange().run(dispatcher, tracker, DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert (slots.get("body_area") == "hip") is changed
    if changed:
        assert slots["side"] is None  # the form asks the hip's side
        assert [m["response"] for m in dispatcher.messages] == ["utter_correction_taken"]


@pytest.mark.parametrize("asked_before", [False, True])
def test_the_opening_is_read_for_answers_only_as_the_form_first_starts(asked_before):
    from bot.actions.referral_form import ValidateReferralForm

    events = [
        {"event": "user", "text": "my right knee has been bad for 3 months"},
        {"event": "action", "name": "action_record_consent"},
    ]
    if asked_before:  # the form ran, then started again after a change at the read-back
        events += [
            {"event": "slot", "name": "requested_slot", "value": "date_of_birth"},
            {"event": "slot", "name": "requested_slot", "value": None},
            {"event": "user", "text": "it's my hip, not my knee"},
        ]
    tracker = make_tracker({"body_area": "hip", "requested_slot": None}, "", events=events)
    form, dispatcher = ValidateReferralForm(), CollectingDispatcher()
    side = asyncio.run(form.extract_side(dispatcher, tracker, DOMAIN))
    duration = asyncio.run(form.extract_duration(dispatcher, tracker, DOMAIN))
    if asked_before:  # the knee's side and duration are not the hip's: asked again
        assert side == {} and duration == {}
    else:
        assert side == {"side": "right"} and duration["duration"]


def at_the_read_back(slots: dict[str, Any], text: str) -> tuple[dict[str, Any], list, str]:
    """What a message typed at the read-back sets, what is said, and what runs next."""
    from bot.actions.digressions import ActionNotUnderstood

    events = [
        {"event": "action", "name": "action_show_referral_summary"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    tracker = make_tracker(slots, text, intent="inform", events=events)
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionNotUnderstood().run(dispatcher, tracker, DOMAIN))
    slots_set = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    return slots_set, [m["response"] for m in dispatcher.messages], result[-1]["name"]


@pytest.mark.parametrize(
    ("new_postcode", "next_action"),
    [
        ("M1 1AA", "referral_form"),  # outside: is the GP practice in the area? asked first
        ("ST7 2AA", "referral_form"),  # on the border: asked too
        ("ST5 1AA", "action_show_referral_summary"),  # in the area: nothing to ask
    ],
)
def test_a_postcode_corrected_at_the_read_back_asks_whether_the_practice_is_in_the_area(
    new_postcode, next_action
):
    slots, said, then = at_the_read_back(
        {**COMPLETE, "requested_slot": None}, f"oops my postcode should be {new_postcode}"
    )
    assert slots["postcode"] == new_postcode and said == ["utter_correction_taken"]
    assert then == next_action


def test_a_correction_that_leaves_nothing_to_ask_reads_the_answers_back_again():
    slots, said, then = at_the_read_back(
        {**COMPLETE, "requested_slot": None}, "sorry my phone number was wrong, it's 07700 900456"
    )
    assert slots["phone"] == "07700 900456" and then == "action_show_referral_summary"


@pytest.mark.parametrize(
    ("text", "part", "side"),
    [
        ("sorry, it's my left hip not my knee", "hip", "left"),
        ("I meant my left shoulder", "shoulder", "left"),
        ("wrong joint, it's my right elbow", "elbow", "right"),
        ("it's my left hip, not my right knee", "hip", None),  # two sides: asked again
        ("it's my lower back, not my knee", "back", None),  # a back has no side
    ],
)
def test_a_new_body_part_at_the_read_back_takes_the_one_side_said_with_it(text, part, side):
    slots, said, then = at_the_read_back({**COMPLETE, "requested_slot": None}, text)
    assert slots["body_area"] == part and slots.get("side") == side
    assert said == ["utter_correction_taken"]
    assert then == "referral_form"  # the new part's screening (and side, if not said) first


def test_a_message_read_as_a_red_flag_is_never_taken_as_a_correction():
    """Once, a stroke told at the duration question ("left arm ... my face has dropped on one
    side ... words are coming out wrong") changed the side to left and escalated nothing."""
    text = "left arm gone heavy, my face has dropped on one side, words are coming out wrong"
    for intent in ("red_flag", "red_flag_check"):
        slots, messages = validate(turn("duration", text, intent=intent))
        assert slots.get("side", ANSWERED["side"]) == ANSWERED["side"]
        assert "utter_correction_taken" not in [m.get("response") for m in messages]


@pytest.mark.parametrize(
    ("text", "slot", "value", "then"),
    [
        # no word saying "wrong" is needed: the read-back asked what to change
        ("the pain is more like 8", "pain_score", "8", "action_show_referral_summary"),
        ("It's been more like 2 months", "duration", "2 months", "action_show_referral_summary"),
        ("actually it came on gradually", "onset", "gradual", "action_show_referral_summary"),
        (
            "I'm off work because of it now",
            "work_status",
            "off_work",
            "action_show_referral_summary",
        ),
        (
            "my address is wrong, it's 14 Example Road",
            "address_line1",
            "14 Example Road",
            "action_show_referral_summary",
        ),
        ("it's my left knee not the right", "side", "left", "action_show_referral_summary"),
        # an optional answer declined before, given now
        ("my email is jo@example.com", "email", "jo@example.com", "action_show_referral_summary"),
    ],
)
def test_a_change_typed_at_the_read_back_in_the_patients_words_is_taken(text, slot, value, then):
    """Typed at the read-back, these all got "Sorry, I did not understand" (blind usability
    test). The new value is checked by the field's validator and the patient told."""
    slots, said, next_action = at_the_read_back({**COMPLETE, "requested_slot": None}, text)
    assert slots[slot] == value
    assert said == ["utter_correction_taken"]
    assert next_action == then


@pytest.mark.parametrize(
    "text",
    [
        "yes that's fine",
        "the pain is about the same",  # names the pain, holds no new score
        "it's my right knee",  # the side it already has
    ],
)
def test_words_at_the_read_back_that_hold_no_one_new_value_change_nothing(text):
    slots, said, next_action = at_the_read_back({**COMPLETE, "requested_slot": None}, text)
    assert "utter_correction_taken" not in said
    assert next_action == "action_show_referral_summary"


@pytest.mark.parametrize(
    ("text", "changed"),
    [
        (
            "my phone is 07700 900456 and my postcode ST4 8AA",
            {"phone": "07700 900456", "postcode": "ST4 8AA"},
        ),
        (
            "can you change the pain to 8, and it's been more like 2 months",
            {"pain_score": "8", "duration": "2 months"},
        ),
        (
            "my email is jo@example.com. also the address is 14 Example Road",
            {"email": "jo@example.com", "address_line1": "14 Example Road"},
        ),
        # a blind usability test: the address was cut at its comma ("14 Test Road,") or
        # stored from "6 was right"
        (
            "Please change the pain to 7 out of 10 and the address to 14 Test Road, Leek, ST4 6QG",
            {"pain_score": "7", "address_line1": "14 Test Road, Leek"},
        ),
        (
            "6 was right. And address 27 Trial Street, Leek",
            {"address_line1": "27 Trial Street, Leek"},
        ),
        # a blind usability test: only the email was changed
        (
            "Two things - her name is just Margaret Testwell, and you've missed my email, it's"
            " susan.t@example.com",
            {"full_name": "Margaret Testwell", "email": "susan.t@example.com"},
        ),
    ],
)
def test_several_changes_typed_at_the_read_back_are_all_taken(text, changed):
    """A blind usability tester typed two changes in one message at the read-back: only one
    was taken."""
    slots, said, next_action = at_the_read_back({**COMPLETE, "requested_slot": None}, text)
    assert {slot: slots.get(slot) for slot in changed} == changed
    assert said.count("utter_correction_taken") == len(changed)
    assert next_action in ("action_show_referral_summary", "referral_form")


def test_a_change_with_its_value_and_another_only_said_wrong_are_both_acted_on():
    """A blind usability tester's "GP isn't blank, it should be one of them in Cheadle, and
    change the pain score to 6" got "Sorry, I did not understand"."""
    text = "the GP is wrong, and change the pain score to 8"
    slots, said, next_action = at_the_read_back({**COMPLETE, "requested_slot": None}, text)
    assert slots["pain_score"] == "8" and slots.get("gp_practice", "kept") is None
    assert next_action == "referral_form"


@pytest.mark.parametrize(
    ("text", "cleared"),
    [
        ("my address is wrong", "address_line1"),
        ("gp is wrong", "gp_practice"),
        ("the phone number is not right", "phone"),
        ("my job is wrong", "work_role"),
    ],
)
def test_an_answer_said_to_be_wrong_at_the_read_back_without_a_new_value_is_asked_again(
    text, cleared
):
    """ "gp is wrong its cannock health centre i think" got "Sorry, I did not understand"
    (blind usability test): an answer said to be wrong is asked again by the form."""
    slots, said, next_action = at_the_read_back({**COMPLETE, "requested_slot": None}, text)
    assert said == [] and next_action == "referral_form"
    assert slots[cleared] is None


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("pain should be 8 not 6", "pain_score", "8"),
        ("my job is plasterer", "work_role", "plasterer"),
        ("the surgery is wrong, it should be Leek Health Centre", "gp_practice", None),
        ("no, I said no voicemail please, texts only", "contact_permissions", "text"),
        # a need told at the read-back (a blind usability tester's was not understood)
        ("deaf, can't take phone calls", "communication_needs", "deaf, can't take phone calls"),
        ("I need a Polish interpreter", "communication_needs", "I need a Polish interpreter"),
        (
            "nearly, tried so far should also say paracetamol. And I'm deaf in one ear",
            "communication_needs",
            "I'm deaf in one ear",
        ),
        # its "no" answers "is this right?" (stored as none in a blind usability test)
        (
            "no, change the help to talk with us: Punjabi interpreter, and call his son",
            "communication_needs",
            "Punjabi interpreter, and call his son",
        ),
        ("no, I don't need an interpreter any more", "communication_needs", "none"),
        # both, said with the part (not understood in a blind usability test)
        ("no, it's both knees, not just the left", "side", "both"),
    ],
)  # fmt: skip
def test_more_answers_changed_in_words_at_the_read_back(text, slot, value):
    """From the same test: the pain, the job, the GP practice and voicemail and texts, typed
    at the read-back, were not understood."""
    slots, said, _ = at_the_read_back({**COMPLETE, "requested_slot": None}, text)
    assert said == ["utter_correction_taken"]  # one line, not "I have noted" too
    if value is not None:
        assert slots[slot] == value
    else:
        assert slots[slot] == "Leek Health Centre" and slots["gp_ods_code"]


def test_the_new_duration_is_the_one_said_after_it_is():
    text = "this has been going on for years, I said 3 months but really it's 2 years"
    slots, said, _ = at_the_read_back({**COMPLETE, "requested_slot": None}, text)
    assert slots["duration"] == "2 years" and said == ["utter_correction_taken"]


@pytest.mark.parametrize(
    "text",
    [
        # numbers, times and other people's words that are no new answer (a review)
        "I take 2 paracetamol 4 times a day for the pain",
        "the pain wakes me up 3 times a night",
        "my son will drive me, he's off work on Fridays",
        "can you send me a text when it's booked",
    ],
)
def test_words_at_the_read_back_that_only_mention_an_answer_change_nothing(text):
    slots, said, _ = at_the_read_back({**COMPLETE, "requested_slot": None}, text)
    assert "utter_correction_taken" not in said
    assert not {"duration", "pain_score", "work_status", "contact_permissions"} & set(slots)


def test_wrong_side_asks_the_side_again_not_the_body_part_and_its_screening():
    slots, said, next_action = at_the_read_back({**COMPLETE, "requested_slot": None}, "wrong side")
    assert next_action == "referral_form"
    assert slots.get("side", "kept") is None
    assert "body_area" not in slots and "red_flag_screening" not in slots


def test_a_change_already_set_by_a_slot_mapping_from_the_same_message_is_still_taken():
    """Outside the form a slot mapping may set the answer from the message itself ("the pain
    is more like 8" set the pain to 8 before the action ran): it is compared with the answer
    before the message, so it is taken and confirmed, not read as no change (which cleared the
    postcode and asked it again: a fresh-clone run of the integration tests)."""
    from bot.actions.digressions import ActionNotUnderstood

    text = "the pain is more like 8"
    events = [
        {"event": "slot", "name": "pain_score", "value": "6"},
        {"event": "action", "name": "action_show_referral_summary"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
        {"event": "slot", "name": "pain_score", "value": "8"},
    ]
    tracker = make_tracker(
        {**COMPLETE, "requested_slot": None, "pain_score": "8"}, text, events=events
    )
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionNotUnderstood().run(dispatcher, tracker, DOMAIN))
    assert [m["response"] for m in dispatcher.messages] == ["utter_correction_taken"]
    assert {"event": "slot", "name": "pain_score", "value": "8"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in result
    ]


def a_no_at_the_read_back(text: str, asked: str = "action_show_referral_summary"):
    """What ActionAskWhatToChange (the rules' answer to a no at `asked`) sets, says and runs."""
    from bot.actions.changes import ActionAskWhatToChange

    events = [
        {"event": "action", "name": asked},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    slots = {**COMPLETE, "requested_slot": None}
    tracker = make_tracker(slots, text, intent="deny", events=events)
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionAskWhatToChange().run(dispatcher, tracker, DOMAIN))
    slots_set = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    followups = [e["name"] for e in result if e["event"] == "followup"]
    return slots_set, [m["response"] for m in dispatcher.messages], followups


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("texts are fine but no voicemail please", "contact_permissions", "text"),
        ("no, the pain is more like 7", "pain_score", "7"),
        ("no it's my left knee not the right", "side", "left"),
    ],
)
def test_a_no_at_the_read_back_that_holds_the_change_takes_it(text, slot, value):
    """The NLU reads these as "no, not all right"; the rules sent them to the change list, so
    the change typed was lost. The change is taken and the answers read back again."""
    slots, said, followups = a_no_at_the_read_back(text)
    assert slots[slot] == value
    assert said == ["utter_correction_taken"]
    assert followups == ["action_show_referral_summary"]


@pytest.mark.parametrize(
    "text", ["/deny", "no", "no that's not right", "nope", "it isn't right", "not quite right"]
)
def test_change_something_or_a_plain_no_at_the_read_back_shows_the_change_list(text):
    """("not right" once re-asked the side: "right" there means correct.)"""
    slots, said, followups = a_no_at_the_read_back(text)
    assert (slots, said, followups) == ({}, ["utter_ask_what_to_change"], [])


def test_a_no_that_says_an_answer_is_wrong_asks_that_question_again():
    slots, said, followups = a_no_at_the_read_back("no, the gp is wrong")
    assert "gp_practice" in slots and slots["gp_practice"] is None
    assert followups == ["referral_form"]


def test_a_no_anywhere_but_the_read_back_shows_the_change_list_and_changes_nothing():
    """After a check question's no, the change list is asked again: nothing is read as a
    change there."""
    slots, said, _ = a_no_at_the_read_back("no, the pain is more like 7", asked="other")
    assert (slots, said) == ({}, ["utter_ask_what_to_change"])


def a_yes_at_the_read_back(text: str, **slots: Any):
    """What ActionSubmitReferral does with a message the NLU read as yes at the read-back,
    when it holds a change (the referral is not sent)."""
    from bot.actions.submission import ActionSubmitReferral

    events = [
        {"event": "action", "name": "action_show_referral_summary"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    tracker = make_tracker({**COMPLETE, **slots, "requested_slot": None}, text, events=events)
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionSubmitReferral().run(dispatcher, tracker, DOMAIN))
    slots_set = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    followups = [e["name"] for e in result if e["event"] == "followup"]
    return slots_set, [m.get("response") for m in dispatcher.messages], followups


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("texts are fine as well actually", "contact_permissions", "both"),
        ("yes but the pain is more like 7", "pain_score", "7"),
        ("yeah all good except it's my left knee not the right", "side", "left"),
    ],
)
def test_a_yes_at_the_read_back_that_holds_a_change_takes_it_and_sends_nothing(text, slot, value):
    """A blind usability test's "texts are fine as well actually" (read as yes) sent the
    referral with the old answer. The change is taken and read back; nothing is sent."""
    slots, said, followups = a_yes_at_the_read_back(text, contact_permissions="voicemail")
    assert slots[slot] == value
    assert "referral_reference" not in slots
    assert said == ["utter_correction_taken"]
    assert followups == ["action_show_referral_summary"]


@pytest.mark.parametrize(
    "text",
    ["yes", "yes that's all correct", "Yes, send it", "it's fine", "no changes needed, send it"],
)
def test_a_plain_yes_at_the_read_back_holds_no_change(text):
    from bot.actions.changes import read_back_change

    events = [
        {"event": "action", "name": "action_show_referral_summary"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    tracker = make_tracker({**COMPLETE, "requested_slot": None}, text, events=events)
    dispatcher = CollectingDispatcher()
    assert asyncio.run(read_back_change(dispatcher, tracker, DOMAIN)) is None


GP_GIVEN = {"gp_practice": "Moss Street Surgery", "gp_ods_code": "M83139", "gp_in_area": True}


def at_a_later_question(text: str, requested: str = "daily_impact"):
    """What the form's validation sets when `text` is typed at `requested`, with a GP
    practice given earlier."""
    before = [{"event": "slot", "name": k, "value": v} for k, v in {**ANSWERED, **GP_GIVEN}.items()]
    events = [
        *before,
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
        {"event": "slot", "name": requested, "value": text},
    ]
    slots = {**ANSWERED, **GP_GIVEN, "requested_slot": requested, requested: text}
    return validate(make_tracker(slots, text, events=events))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Sorry, my GP is actually Miller Street Surgery", "M83025"),
        ("oops wrong surgery, I'm at Aelfgar", "M83738"),
    ],
)
def test_a_gp_practice_corrected_at_a_later_question_is_changed_not_stored_as_the_answer(
    text, code
):
    """A blind usability test's "Sorry, my GP is actually ... Miller Street" was stored as the
    patient's daily life, and the practice was not changed."""
    slots, said = at_a_later_question(text)
    assert slots["gp_ods_code"] == code
    assert slots["daily_impact"] is None  # the open question is asked again
    assert [m["response"] for m in said] == ["utter_correction_taken"]


@pytest.mark.parametrize(
    "text",
    [
        "sorry, I had surgery on it before and my GP gave me tablets",  # no practice named
        "actually my GP is Moss Street Surgery like I said",  # the one given
        "I can't walk to my GP practice any more",  # no correction word
    ],
)
def test_words_about_the_gp_that_name_no_other_practice_are_the_answer(text):
    slots, said = at_a_later_question(text)
    assert "gp_ods_code" not in slots
    assert "utter_correction_taken" not in [m["response"] for m in said]


def test_a_yes_with_a_side_meant_takes_the_side():
    """("meant right" once read as "not right", so the side was not seen: review, 2026-12-07)"""
    slots, said, followups = a_yes_at_the_read_back("yes but I meant right knee", side="left")
    assert slots["side"] == "right" and followups == ["action_show_referral_summary"]


@pytest.mark.parametrize(
    "text",
    [
        "yes but my phone number is 0770 90012",  # refused by its validator
        "yes except the side",  # names an answer, gives no new value
    ],
)
def test_a_yes_with_a_change_that_cannot_be_taken_sends_nothing_and_reads_back_again(text):
    slots, said, followups = a_yes_at_the_read_back(text)
    assert "referral_reference" not in slots and followups == ["action_show_referral_summary"]
    assert said  # the validator's reason, or "did not understand"


@pytest.mark.parametrize(
    "text",
    ["yes the gp is correct", "yes my address is correct", "yes the phone number is correct"],
)
def test_a_yes_that_confirms_a_named_answer_is_a_plain_yes(text):
    """("correct" was a correction word: "yes the gp is correct" cleared the practice.)"""
    from bot.actions.changes import read_back_change
    from bot.dialogue.corrections import change_hinted

    events = [
        {"event": "action", "name": "action_show_referral_summary"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    tracker = make_tracker({**COMPLETE, "requested_slot": None}, text, events=events)
    assert asyncio.run(read_back_change(CollectingDispatcher(), tracker, DOMAIN)) is None
    assert not change_hinted(text)


@pytest.mark.parametrize(
    "requested", ["red_flag_screening", "pregnancy_pelvic_pain", "already_under_service"]
)
def test_a_gp_correction_is_never_taken_at_a_yes_no_or_screening_question(requested):
    """A screening "yes" said with a GP correction was thrown away and asked again (review)."""
    slots, _ = at_a_later_question("yes - sorry, my GP is actually Leek Health Centre", requested)
    assert "gp_ods_code" not in slots


def test_an_ordinary_answer_near_a_practice_word_changes_no_practice():
    text = "the nurse at the practice in Kidsgrove said it's wrong to lift, so I rest"
    slots, _ = at_a_later_question(text, "treatments_tried")
    assert "gp_ods_code" not in slots


@pytest.mark.parametrize(
    ("requested", "text", "field", "stored", "answer"),
    [
        ("pain_score", "5. oh sorry I meant my LEFT knee", "side", "left", "5"),
        (
            "already_under_service",
            "no. oh and sorry, my date of birth is 2nd of July 1972 not 71",
            "date_of_birth",
            "1972-07-02",
            False,
        ),
        (
            "duration",
            "about 3 weeks, oh and my postcode should be ST4 6QG",
            "postcode",
            "ST4 6QG",
            "3 weeks",
        ),
    ],
)  # fmt: skip
def test_an_answer_said_before_a_correction_is_kept_with_it(requested, text, field, stored, answer):
    """Blind usability testers' "5. oh sorry I meant my LEFT elbow" and "no. oh and sorry, my
    date of birth is ..." had their answers dropped and asked again."""
    slots, messages = validate(turn(requested, text))
    assert slots[field] == stored
    assert slots[requested] == answer
    assert "utter_correction_taken" in [m.get("response") for m in messages]


def test_a_correction_alone_still_asks_the_open_question_again():
    slots, _ = validate(turn("pain_score", "oh sorry I meant my LEFT knee"))
    assert slots["side"] == "left" and slots["pain_score"] is None


def test_another_part_asked_for_instead_changes_the_part_with_the_side_said_with_it():
    """A blind usability tester's knee became the right side, the problem still the knee."""
    text = "my right hip bothers me more than the knees, can I do the hip instead?"
    slots, _ = validate(turn("goals", text))
    assert (slots["body_area"], slots["side"]) == ("hip", "right")
