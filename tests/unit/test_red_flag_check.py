"""The check question: asked when a detector is unsure; yes escalates, no goes back intact."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.digressions import ActionAnswerDigression
from bot.actions.red_flag_check import (
    ASK_ACTION as ASK,
)
from bot.actions.red_flag_check import (
    ActionAskRedFlagCheck,
    ActionClearRedFlagCheck,
    ActionConfirmRedFlagCheck,
)
from bot.nlu.red_flag_classifier import decide
from bot.red_flag_detector import default_detector
from tests.conftest import make_tracker


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def tracker_with(events, slots, intent="red_flag_check", entities=None, text="") -> Tracker:
    return make_tracker(slots, text, intent=intent, entities=entities, events=events)


def opinion(decision: str, flag_id: str | None):
    return SimpleNamespace(decision=decision, flag_id=flag_id, probability=0.5)


def test_the_learned_detector_adds_a_flag_the_rules_missed():
    flags, check = decide(default_detector(), "my toes feel funny", opinion("flag", "cauda_equina"))
    assert flags == ["cauda_equina"] and check is None


def test_the_learned_detector_never_removes_a_rule_hit():
    flags, check = decide(default_detector(), "I've got a numb bum", opinion("clear", None))
    assert flags == ["cauda_equina"] and check is None


def test_rule_and_learned_flags_are_ordered_most_serious_first():
    text = "I've lost two stone without trying"
    flags, _ = decide(default_detector(), text, opinion("flag", "cauda_equina"))
    assert flags == ["cauda_equina", "weight_loss"]


def test_a_sure_learned_flag_below_emergency_asks_first_instead_of_escalating():
    assert decide(default_detector(), "it is sore", opinion("flag", "giant_cell_arteritis")) == (
        [],
        "giant_cell_arteritis",
    )


def test_a_very_sure_learned_flag_below_emergency_escalates_when_no_cue_says_otherwise():
    very_sure = SimpleNamespace(
        decision="flag", flag_id="spinal_infection", probability=0.99, sure=True
    )
    text = "back pain + temp 38.5 + feel like death"
    assert decide(default_detector(), text, very_sure) == (["spinal_infection"], None)
    # the same certainty with a cue that it may be someone else's still asks first
    text = "my husband has back pain and a temperature"
    assert decide(default_detector(), text, very_sure) == ([], "spinal_infection")


def test_an_unsure_learned_detector_asks_about_its_flag():
    assert decide(default_detector(), "my legs are odd", opinion("ask", "neuro_deficit")) == (
        [],
        "neuro_deficit",
    )


def test_an_emergency_rule_hit_held_back_by_a_distant_negation_asks():
    text = "nothing else really, my bum is numb"
    assert decide(default_detector(), text, opinion("clear", None)) == ([], "cauda_equina")


def test_nothing_found_means_no_flag_and_no_question():
    assert decide(default_detector(), "about three weeks", opinion("clear", None)) == ([], None)


def test_the_check_question_names_the_symptom_with_yes_no_buttons_and_the_marker():
    tracker = tracker_with([], {}, entities=[{"entity": "red_flag_check", "value": "cauda_equina"}])
    messages, events = run(ActionAskRedFlagCheck(), tracker)
    assert messages[0]["response"] == "utter_red_flag_check"
    assert "numbness or tingling between your legs" in messages[0]["question"]
    assert messages[1]["custom"] == {
        "red_flag_check": {"code": "cauda_equina", "level": "emergency"}
    }
    assert [e["name"] for e in events] == ["red_flag_check"] and events[0][
        "value"
    ] == "cauda_equina"


def check_then(
    before: tuple[str, str, str], raised_by: str, flag: str, said: str, mapped: tuple[str, str]
) -> list[dict]:
    """Events: the open question (`before`: requested slot, a slot set earlier and its
    value), a message that raised a check question on `flag`, then `said`, which Rasa's slot
    mapping took as `mapped` (slot, value)."""
    requested, earlier, value = before
    return [
        {"event": "slot", "name": earlier, "value": value},
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "user", "text": raised_by},
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "slot", "name": "red_flag_check", "value": flag},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": said},
        {"event": "slot", "name": mapped[0], "value": mapped[1]},
    ]


def asked_then_answered(answer_intent: str) -> Tracker:
    """Mid-form at the duration question: check question asked, then the patient answered,
    and Rasa's slot mapping took the answer as the open question's answer."""
    events = check_then(
        ("duration", "body_area", "back"),
        "nothing else really, my bum is numb",
        "cauda_equina",
        "no",
        ("duration", "no"),
    )
    slots = {"requested_slot": "duration", "body_area": "back", "duration": "no"}
    slots["red_flag_check"] = "cauda_equina"
    return tracker_with(events, slots, intent=answer_intent)


def test_no_to_the_check_goes_back_with_the_form_intact():
    messages, events = run(ActionClearRedFlagCheck(), asked_then_answered("deny"))
    assert messages[0]["response"] == "utter_red_flag_check_cleared"
    changes = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert changes == {  # the "no" is not the duration; this check is never asked again
        "duration": None,
        "red_flag_check": None,
        "red_flag_checks_denied": ["cauda_equina"],
        # the check question is the screening question: answered, not asked again (a blind
        # usability tester was asked it twice)
        "screening_answers": {"cauda_equina": "no"},
    }
    assert not any(m.get("custom") for m in messages)


def test_yes_to_the_check_escalates_at_the_flags_level_and_ends_the_form():
    messages, events = run(ActionConfirmRedFlagCheck(), asked_then_answered("affirm"))
    markers = [m["custom"]["escalation"] for m in messages if m.get("custom")]
    assert markers == [{"level": "emergency", "code": "cauda_equina"}]
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events if e["event"] == "active_loop"
    ]
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["escalated"] is True and slots["escalation_level"] == "emergency"
    assert slots["duration"] is None and slots["red_flag_check"] is None


def test_no_to_the_check_at_the_consent_question_asks_consent_again():
    events = [
        {"event": "action", "name": "utter_greet"},
        {"event": "action", "name": "utter_ask_consent"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "not a lot of feeling in my bum"},
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "slot", "name": "red_flag_check", "value": "cauda_equina"},
        {"event": "action", "name": "action_listen"},
    ]
    tracker = tracker_with(events, {"red_flag_check": "cauda_equina"}, intent="deny")
    tracker.active_loop = {}
    _, result = run(ActionClearRedFlagCheck(), tracker)
    assert {"event": "followup", "name": "utter_ask_consent"} in [
        {"event": e["event"], "name": e.get("name")} for e in result
    ]


def no_to_a_check_outside_the_form(events, flag="cauda_equina"):
    """The clear action's messages and events for "No" to a check asked outside the form."""
    tracker = tracker_with(events, {"red_flag_check": flag}, intent="deny")
    tracker.active_loop = {}
    return run(ActionClearRedFlagCheck(), tracker)


def assert_the_introduction_follows(messages, result):
    assert [m.get("response") for m in messages] == ["utter_red_flag_check_cleared", "utter_greet"]
    assert result[-1] == {"event": "followup", "name": "utter_ask_consent", "timestamp": None}


def test_no_to_a_check_asked_with_the_opening_message_gives_the_introduction():
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "not a lot of feeling in my bum"},
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "action", "name": "action_listen"},
    ]
    assert_the_introduction_follows(*no_to_a_check_outside_the_form(events))


def test_the_learned_detector_steps_down_once_when_the_words_say_it_is_someone_else():
    # someone else's symptom, and the patient's own problem is another
    text = "my husband says his legs are weak, my shoulder is what I am here about"
    assert decide(default_detector(), text, opinion("flag", "neuro_deficit")) == (
        [],
        "neuro_deficit",
    )
    assert decide(default_detector(), text, opinion("ask", "neuro_deficit")) == ([], None)


def test_a_sure_learned_emergency_is_never_stepped_down_by_a_cue_alone():
    # A context cue somewhere, but the rules did not read these words as someone else's.
    text = "my husband drove me here, I feel really odd"
    emergency = decide(default_detector(), text, opinion("flag", "neuro_deficit_emergency"))
    assert emergency == (["neuro_deficit_emergency"], None)


def test_a_learned_emergency_the_rules_read_as_someone_elses_asks_instead_of_escalating():
    text = (
        "my husband has crushing chest pain when he walks up the hill, "
        "my knee is what I need help with"
    )
    assert "chest_pain" in default_detector().analyse(text).held_back
    assert decide(default_detector(), text, opinion("flag", "chest_pain")) == ([], "chest_pain")
    assert decide(default_detector(), text, opinion("ask", "chest_pain")) == ([], None)


def test_a_learned_flag_the_rules_read_as_plainly_denied_steps_down():
    text = "no numbness down below and my waterworks are fine"
    assert "cauda_equina" in default_detector().analyse(text).held_back
    assert decide(default_detector(), text, opinion("ask", "cauda_equina")) == ([], None)


def test_a_distant_denial_is_not_held_back_so_the_learned_detector_still_asks():
    text = "no, but my knee has gone hot and swollen since yesterday"
    assert "septic_arthritis" not in default_detector().analyse(text).held_back
    result = decide(default_detector(), text, opinion("ask", "septic_arthritis"))
    assert result[0] or result[1]


def test_an_inability_phrase_is_not_a_context_cue_for_the_learned_detector():
    assert not default_detector().analyse("I can't stop weeing myself").context_cues


def test_a_check_already_denied_is_not_asked_again_the_message_answers_the_open_question():
    tracker = tracker_with(
        [],
        {"requested_slot": "duration", "red_flag_checks_denied": ["giant_cell_arteritis"]},
        entities=[{"entity": "red_flag_check", "value": "giant_cell_arteritis"}],
        text="about 3 months",
    )
    messages, events = run(ActionAskRedFlagCheck(), tracker)
    assert not any(m.get("custom") for m in messages)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["duration"] == "3 months"
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "referral_form"


@pytest.mark.parametrize(("born", "asked"), [("1999-05-01", False), ("1950-05-01", True)])
def test_an_age_flag_is_not_checked_when_the_birth_date_given_is_inside_its_range(born, asked):
    """A blind usability tester, 27, whose date of birth the form had, was asked "Is this back
    pain new, and are you under 20 or over 50?"; at 76 it is still asked."""
    tracker = tracker_with(
        [],
        {"requested_slot": "duration", "date_of_birth": born},
        entities=[{"entity": "red_flag_check", "value": "new_back_pain_age"}],
        text="about 6 weeks",
    )
    messages, events = run(ActionAskRedFlagCheck(), tracker)
    assert any((m.get("custom") or {}).get("red_flag_check") for m in messages) == asked
    if not asked:
        slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
        assert slots["duration"] == "6 weeks"


def test_a_question_at_the_check_question_is_answered_and_the_check_asked_again():
    """Once, "what does that mean?" to a check question got the help text and the form's
    question: the check was dropped, and the patient's "yes" then was not understood. Now the
    same check question follows the answer, so its yes or no is still read."""
    events = [
        {"event": "slot", "name": "requested_slot", "value": "body_area"},
        {"event": "user", "text": "my right hand is clumsy"},
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "slot", "name": "red_flag_check", "value": "neuro_deficit"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "what does that mean?"},
    ]
    slots = {"requested_slot": "body_area", "red_flag_check": "neuro_deficit"}
    tracker = tracker_with(events, slots, intent="ask_help", text="what does that mean?")
    messages, result = run(ActionAnswerDigression(), tracker)
    assert [m.get("response") for m in messages] == ["utter_answer_help"]
    assert result == [{"event": "followup", "name": "action_ask_red_flag_check", "timestamp": None}]
    # asked again, it is about the same flag (the question's words name none)
    messages, _ = run(ActionAskRedFlagCheck(), tracker)
    assert messages[-1]["custom"]["red_flag_check"]["code"] == "neuro_deficit"


def test_no_after_a_check_asked_again_goes_back_to_where_it_was_first_asked():
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "my right hand is clumsy"},
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "how long is the wait?"},
        {"event": "action", "name": "action_answer_digression"},
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "action", "name": "action_listen"},
    ]
    assert_the_introduction_follows(*no_to_a_check_outside_the_form(events, "neuro_deficit"))


@pytest.mark.parametrize(
    ("text", "cleared"),
    [
        ("new back pain, DOB 14/07/1990", True),
        ("new back pain, I'm 35", True),
        ("new back pain, I'm 62", False),
        ("new back pain", False),
    ],
)
def test_a_learned_age_flag_is_cleared_by_a_stated_age_or_birth_date_inside_its_range(
    text, cleared
):
    """New back pain is a flag under 20 or over 50 only: a sure learned guess of it (the
    learned detector reads no ages) is cleared when the patient's age, said or from a date
    of birth, is 20 to 50. Once, "Lower back ache, about 2 months ... DOB 14/07/1990" stopped
    a 35-year-old's referral as "under 20 or over 50"."""
    sure = SimpleNamespace(
        decision="flag", flag_id="new_back_pain_age", probability=0.99, sure=True
    )
    flags, check = decide(default_detector(), text, sure)
    assert (flags == [] and check is None) is cleared


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("my back has been bad for about 10 days, came on slowly", ([], "new_back_pain_age")),
        ("my back has been bad for about 10 days, I'm 62", (["new_back_pain_age"], None)),
    ],
)
def test_a_learned_age_flag_with_no_age_said_is_asked_not_raised_on_the_words_alone(text, outcome):
    """A learned guess of a flag that is one only at some ages ("new back pain under 20 or
    over 50") cannot be raised on words that state no age: its check question asks the age.
    A generated patient's "slowly over time and my back has been bad for about 10 days" was
    told "a self-referral is not the right first step" with no age given."""
    sure = SimpleNamespace(
        decision="flag", flag_id="new_back_pain_age", probability=0.99, sure=True
    )
    assert decide(default_detector(), text, sure) == outcome


def test_no_to_a_check_asked_with_the_first_message_after_start_again_gives_the_introduction():
    """After "start again", "No" to a check asked with the next message said "Let's carry on"
    and then nothing (a blind usability test): the conversation starts at the restart."""
    events = [
        {"event": "user", "text": "hi"},
        {"event": "action", "name": "utter_ask_consent"},
        {"event": "user", "text": "start again"},
        {"event": "action", "name": "action_restart"},
        {"event": "restart"},
        {"event": "action", "name": "action_session_start"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "Driving without pain and playing five-a-side on Thursdays"},
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "action", "name": "action_listen"},
    ]
    messages, result = no_to_a_check_outside_the_form(events, "mental_health_crisis")
    assert_the_introduction_follows(messages, result)


def no_to_a_check_in_the_form(requested: str, raised_by: str, asked_again: bool = False):
    events = [
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "user", "text": raised_by},
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "action", "name": "action_listen"},
    ]
    if asked_again:  # a question of the patient's, answered, then the check again
        events += [
            {"event": "user", "text": "why are you asking?"},
            {"event": "action", "name": "action_answer_digression"},
            {"event": "action", "name": "action_ask_red_flag_check"},
            {"event": "action", "name": "action_listen"},
        ]
    events.append({"event": "user", "text": "no"})
    slots = {"requested_slot": requested, "red_flag_check": "mental_health_crisis"}
    tracker = tracker_with(events, slots, intent="deny", text="no")
    tracker.active_loop = {"name": "referral_form"}
    messages, result = run(ActionClearRedFlagCheck(), tracker)
    return messages, {e["name"]: e["value"] for e in result if e["event"] == "slot"}


@pytest.mark.parametrize("asked_again", [False, True])
def test_no_to_a_check_keeps_the_message_that_raised_it_as_the_answer(asked_again):
    """ "wakes me at night, drop things" at the daily-life question got a check question; after
    "No" the same question was asked again and the answer lost (a blind usability test: 12
    times in 12 conversations). It is now the answer, checked by the form's validator."""
    messages, slots = no_to_a_check_in_the_form(
        "daily_impact", "wakes me at night, drop things", asked_again
    )
    assert [m.get("response") for m in messages] == ["utter_red_flag_check_cleared"]
    assert slots["daily_impact"] == "wakes me at night, drop things"
    assert slots["red_flag_checks_denied"] == ["mental_health_crisis"]


@pytest.mark.parametrize(
    ("requested", "raised_by"),
    [
        ("duration", "it keeps waking me and I drop things"),  # not a duration: asked again
        ("already_under_service", "I see a physio at the hospital"),  # the no is the check's
        ("red_flag_screening", "I drop things"),  # the screening answer is the form's own
    ],
)
def test_no_to_a_check_takes_no_answer_the_validator_refuses_or_a_yes_no_would_misread(
    requested, raised_by
):
    messages, slots = no_to_a_check_in_the_form(requested, raised_by)
    assert [m.get("response") for m in messages] == ["utter_red_flag_check_cleared"]
    assert requested not in slots or slots[requested] is None


def a_no_with_words(text: str, intent: str) -> Tracker:
    """Mid-form, the crisis check question asked, then "no" with more words."""
    events = [
        {"event": "slot", "name": "requested_slot", "value": "pain_score"},
        {"event": "user", "text": "about a 5, took two paracetamol this morning"},
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "slot", "name": "red_flag_check", "value": "mental_health_crisis"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    slots = {"requested_slot": "pain_score", "red_flag_check": "mental_health_crisis"}
    entities = [{"entity": "red_flag_check", "value": "mental_health_crisis"}]
    return tracker_with(events, slots, intent=intent, entities=entities, text=text)


@pytest.mark.parametrize(
    ("text", "intent", "action"),
    [
        # a blind usability test: each got "did not understand" or the same question again
        ("no! just the normal dose, two tablets", "red_flag_check", ActionAskRedFlagCheck),
        ("no, only if she rolls onto that side", "nlu_fallback", None),
    ],
)
def test_a_no_with_more_words_to_the_check_question_is_its_no(text, intent, action):
    from bot.actions.digressions import ActionNotUnderstood

    messages, events = run((action or ActionNotUnderstood)(), a_no_with_words(text, intent))
    assert messages[0]["response"] == "utter_red_flag_check_cleared"
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["red_flag_checks_denied"] == ["mental_health_crisis"]
    assert {"event": "followup", "name": "referral_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]


def test_words_not_understood_at_a_check_question_ask_it_again():
    from bot.actions.digressions import ActionNotUnderstood

    messages, events = run(ActionNotUnderstood(), a_no_with_words("flibble wibble", "nlu_fallback"))
    assert [m["response"] for m in messages] == ["utter_default"]
    assert events == [{"event": "followup", "timestamp": None, "name": ASK}]


def test_what_a_message_set_while_a_check_is_open_is_undone_when_it_is_asked_again():
    """A blind usability tester sent the treatments answer ("helped for a couple of months")
    while a check question was open: it replaced the duration of 18 months."""
    from bot.actions.digressions import ActionNotUnderstood

    said = "a steroid injection which helped for a couple of months"
    events = check_then(
        ("pain_score", "duration", "18 months"),
        "about six today, worse at night",
        "night_pain",
        said,
        ("duration", "a couple of months"),
    )
    slots = {
        "requested_slot": "pain_score",
        "red_flag_check": "night_pain",
        "duration": "a couple of months",
    }
    tracker = tracker_with(events, slots, intent="inform", entities=[], text=said)
    messages, events = run(ActionNotUnderstood(), tracker)
    assert [m["response"] for m in messages] == ["utter_default"]
    assert {"event": "slot", "name": "duration", "value": "18 months"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    assert events[-1]["event"] == "followup" and events[-1]["name"] == ASK


def test_words_that_raise_the_check_without_a_no_ask_it_as_before():
    messages, _ = run(ActionAskRedFlagCheck(), a_no_with_words("I took two more", "red_flag_check"))
    assert messages[0]["response"] == "utter_red_flag_check"


def escalated_in_the_form(then: str, intent: str = "deny") -> list[dict]:
    """Mid-form at the goals question, words read as a crisis escalated, the stop note
    said, and the patient answers it."""
    return [
        {"event": "slot", "name": "duration", "value": "18 months"},
        {"event": "active_loop", "name": "referral_form"},
        {"event": "slot", "name": "requested_slot", "value": "goals"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "to sleep through the night would be a blessing"},
        {"event": "action", "name": "action_escalate_red_flag"},
        {"event": "active_loop", "name": None},
        {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "slot", "name": "escalated", "value": True},
        {"event": "slot", "name": "escalation_level", "value": "emergency"},
        {"event": "slot", "name": "escalation_codes", "value": ["mental_health_crisis"]},
        {"event": "slot", "name": "eligible", "value": None},
        {"event": "action", "name": "action_explain_escalation_stop"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": then, "parse_data": {"intent": {"name": intent}}},
    ]


ESCALATED = {
    "escalated": True,
    "escalation_level": "emergency",
    "escalation_codes": ["mental_health_crisis"],
    "duration": "18 months",
}


def test_a_disputed_escalation_is_asked_as_its_check_question_once():
    """A blind usability tester's "sleep through the night would be a blessing" was read as
    a crisis, and about 20 answers were lost to "start again"."""
    said = "I beg your pardon? I only said I want to sleep through the night"
    tracker = tracker_with(escalated_in_the_form(said), ESCALATED, intent="deny", text=said)
    messages, events = run(ActionAskRedFlagCheck(), tracker)
    assert [m.get("response") for m in messages][:2] == [
        "utter_escalation_check_intro",
        "utter_red_flag_check",
    ]
    assert messages[-1]["custom"] == {
        "red_flag_check": {"code": "mental_health_crisis", "level": "emergency"}
    }
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {
        "red_flag_check": "mental_health_crisis",
        "escalation_disputed": "mental_health_crisis",
    }
    # asked once in a conversation: a second dispute gets the way to start again
    again = tracker_with(
        escalated_in_the_form(said),
        {**ESCALATED, "escalation_disputed": "mental_health_crisis"},
        intent="deny",
        text=said,
    )
    messages, events = run(ActionAskRedFlagCheck(), again)
    assert messages == []
    assert events == [{"event": "followup", "timestamp": None, "name": "utter_escalation_disputed"}]


def test_an_escalation_of_several_flags_is_not_asked_about():
    said = "that's wrong"
    slots = {**ESCALATED, "escalation_codes": ["mental_health_crisis", "cauda_equina"]}
    tracker = tracker_with(escalated_in_the_form(said), slots, intent="deny", text=said)
    _, events = run(ActionAskRedFlagCheck(), tracker)
    assert events[-1]["name"] == "utter_escalation_disputed"


def test_no_to_a_disputed_escalation_puts_back_the_form_where_it_was():
    said = "no"
    events = [
        *escalated_in_the_form("I only said I want to sleep"),
        {"event": "action", "name": "action_ask_red_flag_check"},
        {"event": "slot", "name": "red_flag_check", "value": "mental_health_crisis"},
        {"event": "slot", "name": "escalation_disputed", "value": "mental_health_crisis"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": said},
    ]
    slots = {
        **ESCALATED,
        "red_flag_check": "mental_health_crisis",
        "escalation_disputed": "mental_health_crisis",
    }
    messages, result = run(
        ActionClearRedFlagCheck(), tracker_with(events, slots, "deny", text=said)
    )
    assert [m["response"] for m in messages] == ["utter_escalation_withdrawn"]
    set_to = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    assert set_to["escalated"] is None and set_to["escalation_codes"] is None
    assert set_to["requested_slot"] == "goals" and set_to["red_flag_check"] is None
    assert "mental_health_crisis" in set_to["red_flag_checks_denied"]
    assert "duration" not in set_to and "escalation_disputed" not in set_to  # kept
    assert [(e["event"], e.get("name")) for e in result[-2:]] == [
        ("active_loop", "referral_form"),
        ("followup", "referral_form"),
    ]


def test_a_denial_elsewhere_in_the_message_does_not_step_a_sure_learned_guess_down():
    """A blind hold-out line: "can't open jars" read as a denial made a sure guess a check
    question. A denial of the guessed flag's own words still steps it down (`held_back`)."""
    text = "Can't open jars in the mornings, hands stiff for about an hour, wrists swollen"
    sure = SimpleNamespace(
        decision="flag", flag_id="inflammatory_arthritis", probability=0.99, sure=True
    )
    assert decide(default_detector(), text, sure) == (["inflammatory_arthritis"], None)
    denied = "no leaking and no numbness down below, just a stiff back"
    guess = SimpleNamespace(decision="flag", flag_id="cauda_equina", probability=0.95, sure=False)
    assert decide(default_detector(), denied, guess)[0] == []


def test_a_new_unsure_flag_in_the_answer_to_the_stop_note_is_asked_not_the_dispute():
    said = "no that's wrong, I just feel so low and like a burden"
    tracker = tracker_with(
        escalated_in_the_form(said, intent="red_flag_check"),
        {**ESCALATED, "escalation_codes": ["cauda_equina"]},
        intent="red_flag_check",
        entities=[{"entity": "red_flag_check", "value": "mental_health_crisis"}],
        text=said,
    )
    messages, events = run(ActionAskRedFlagCheck(), tracker)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"red_flag_check": "mental_health_crisis"}
    assert [m.get("response") for m in messages][0] == "utter_red_flag_check"
