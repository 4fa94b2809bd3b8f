"""The three real processes work together: a referral by conversation lands in the intake store.

Starts `python -m scripts.stack` (action server, Rasa server, web app) on free loopback ports
with its own databases, talks to it over HTTP only, and stops it with SIGTERM.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
import requests
import yaml

from bot.problem_vocabulary import button_value
from scripts.layout import ROOT
from scripts.running_stack import command_line, free_port
from scripts.simulated_patient import TAP, TERSE, TYPICAL, complete_referral, tapped
from scripts.varied_patients import generate
from scripts.varied_patients import run as run_varied
from tests.support.buttons import work_buttons


def port_answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def processes_mentioning(text: str) -> list[int]:
    """PIDs whose command line contains `text` (to find orphans)."""
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and int(entry.name) != os.getpid()
        and text in command_line(int(entry.name))
    ]


def texts(replies: list[dict]) -> str:
    return " ".join(reply.get("text", "") for reply in replies)


# Opening 2, eligibility 4 (date of birth, address with postcode, GP practice, already seen),
# problem 8 (area and side come from the first message), knee screening 1 (its questions as
# one list), personal details 6 (the date of birth is not asked again, the first line of the
# address came with the postcode), confirm 1: 22. Anything more means a question was repeated.
MAX_PATIENT_MESSAGES = 22


def test_a_patient_refers_themselves_over_the_rest_channel_and_the_referral_is_stored(stack):
    sender = "integration-test-patient"
    replies = stack.say(sender, TYPICAL.opening)
    assert "999" in texts(replies) and "111" in texts(replies)
    assert any(reply.get("buttons") for reply in replies)
    transcript = []

    def say(text: str) -> list[dict]:
        transcript.append(stack.say(sender, text))
        return transcript[-1]

    patient = replace(TYPICAL, opening="yes please")  # the opening is already said
    outcome = complete_referral(say, patient, max_messages=MAX_PATIENT_MESSAGES - 1)
    assert outcome.completed, outcome
    assert 1 + outcome.messages <= MAX_PATIENT_MESSAGES, outcome  # with the opening
    summary = outcome.summary
    assert "Sam Sample" in summary and "2 November 1971" in summary and "WS11 1DB" in summary
    assert "Knee (right)" in summary and "485 777 3457" in summary
    replies = transcript[-1]

    markers = [
        reply["custom"]["referral"] for reply in replies if "referral" in reply.get("custom", {})
    ]
    assert len(markers) == 1 and markers[0]["status"] == "submitted"
    reference = markers[0]["reference"]
    assert reference in texts(replies)

    stored = requests.get(
        stack.url("WEB_PORT", f"/api/v1/referrals/{reference}"),
        headers={"Authorization": f"Bearer {stack.token}"},
        timeout=10,
    )
    assert stored.status_code == 200
    referral = stored.json()["referral"]
    assert referral["conversation_id"] == sender
    assert referral["consent"] is True
    assert referral["patient"] == {
        "full_name": "Sam Sample",
        "date_of_birth": "1971-11-02",
        "nhs_number": "485 777 3457",
        "postcode": "WS11 1DB",
        "address_line1": "12 Example Street",
        "phone": "07700 900123",
        "email": "sam.sample@example.com",
        "contact_permissions": "both",
        "communication_needs": "none",
    }
    problem = referral["problem"]
    assert (problem["body_area"], problem["side"], problem["onset"]) == ("knee", "right", "injury")
    assert (problem["pain_score"], problem["work_status"]) == ("6", "working")
    assert referral["eligibility"]["area"] == "in_area"

    assert "where is the problem" in texts(stack.say(sender, "yes")).lower()  # a second problem


def stored_referral(stack, reference: str) -> dict:
    stored = requests.get(
        stack.url("WEB_PORT", f"/api/v1/referrals/{reference}"),
        headers={"Authorization": f"Bearer {stack.token}"},
        timeout=10,
    )
    assert stored.status_code == 200
    return stored.json()["referral"]


def test_every_work_button_tapped_is_stored_as_that_status(stack):
    """Each "What about work?" button, tapped (its payload sent, as the widget does), completes
    the referral with that status stored; patients in work (also off it or struggling) are
    asked their job, the others are not."""
    buttons = [(b["title"], button_value(b["payload"])) for b in work_buttons()]
    assert len(buttons) == 6

    def refer(button: tuple[str, str]):
        title, status = button
        answers = [
            (cue, f"{TAP}{title}" if cue == "what about work" else reply)
            for cue, reply in TYPICAL.answers
        ]
        patient = replace(TYPICAL, name=f"taps {title}", answers=answers)
        sender = f"work-button-{status}"
        asked = []

        def say(text: str) -> list[dict]:
            replies = stack.say(sender, text)
            asked.append(texts(replies).lower())
            return replies

        return status, complete_referral(say, patient), asked

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(refer, buttons))
    for status, outcome, asked in results:
        assert outcome.completed, (status, outcome)
        problem = stored_referral(stack, outcome.reference)["problem"]
        assert problem["work_status"] == status
        asked_job = any("what is your job" in reply for reply in asked)
        assert asked_job == (status in ("working", "off_work", "at_risk")), status


def recorded(stack, sender: str):
    """A `say` for this conversation, and the list it fills with every reply, lower case."""
    asked: list[str] = []

    def say(text: str) -> list[dict]:
        replies = stack.say(sender, text)
        asked.append(texts(replies).lower())
        return replies

    return say, asked


def refer_answering(stack, sender: str, cue: str, answer: str):
    """The typical patient, answering `answer` to the question with `cue`: the outcome and
    every reply, lower case."""
    answers = [(c, answer if c == cue else reply) for c, reply in TYPICAL.answers]
    say, asked = recorded(stack, sender)
    return complete_referral(say, replace(TYPICAL, answers=answers)), asked


def test_not_sure_about_a_link_to_pregnancy_is_told_how_to_tell_and_its_no_button_carries_on(
    stack,
):
    """At "Is this pain ... linked to being pregnant?", "I don't know, how would I tell?" is
    told how to tell, with Yes and No buttons; tapping No there carries the referral on."""
    sender = "pregnancy-not-sure"
    seen: list[list[dict]] = []

    def say(text: str) -> list[dict]:
        replies = stack.say(sender, text)
        if not seen and "linked to being pregnant" in texts(replies).lower():
            seen.append(stack.say(sender, "I don't know, how would I tell?"))
            replies = stack.say(sender, tapped(f"{TAP}No", seen[0]))
        return replies

    outcome = complete_referral(say, replace(TERSE, opening="I'd like to refer myself please"))
    assert outcome.completed, outcome
    [how_to_tell] = [r for r in seen[0] if "likely to be linked" in (r.get("text") or "")]
    assert [b["payload"] for b in how_to_tell["buttons"]] == ["/affirm", "/deny"]
    referral = stored_referral(stack, outcome.reference)
    assert referral["eligibility"]["pregnancy_pelvic_pain"] is False


def test_a_job_told_with_the_work_status_is_stored_and_not_asked_again(stack):
    """ "I work as a postman but it's getting really hard" at "What about work?": stored as
    struggling at work, with the job, and "What is your job?" is never asked."""
    outcome, asked = refer_answering(
        stack,
        "work-and-job-in-one",
        "what about work",
        "I work as a postman but it's getting really hard",
    )
    assert outcome.completed, outcome
    assert not any("what is your job" in reply for reply in asked)
    problem = stored_referral(stack, outcome.reference)["problem"]
    assert (problem["work_status"], problem["work_role"]) == ("at_risk", "postman")


def test_no_to_a_check_question_keeps_the_answer_that_raised_it(stack):
    """ "I keep tripping over my own feet" at the daily-life question asks a check question
    first (the catalogue's ask_first); after No, that message is the answer: stored, and the
    question not asked again (a blind usability test lost such answers 12 times)."""
    answer = "I keep tripping over my own feet on the stairs"
    outcome, asked = refer_answering(stack, "check-then-no", "daily life", answer)
    assert outcome.completed, outcome
    assert any("just to check" in reply for reply in asked)
    assert sum("affect your daily life" in reply for reply in asked) == 1
    assert stored_referral(stack, outcome.reference)["problem"]["daily_impact"] == answer


def test_an_email_given_with_the_phone_number_is_stored_and_not_asked(stack):
    outcome, asked = refer_answering(
        stack,
        "phone-and-email-in-one",
        "phone number",
        "07700 900123, and email is jo.specimen@example.org",
    )
    assert outcome.completed, outcome
    assert not any("what is your email address" in reply for reply in asked)
    patient = stored_referral(stack, outcome.reference)["patient"]
    assert (patient["phone"], patient["email"]) == ("07700 900123", "jo.specimen@example.org")


def test_a_phone_number_alone_stores_no_email_without_asking_for_one(stack):
    """The phone question invites the email too, so a patient who gives only a phone number
    is not asked for an email apart (one message fewer); the read-back can still add one."""
    outcome, asked = refer_answering(stack, "phone-only", "phone number", "07700 900123")
    assert outcome.completed, outcome
    assert not any("what is your email address" in reply for reply in asked)
    patient = stored_referral(stack, outcome.reference)["patient"]
    assert (patient["phone"], patient["email"]) == ("07700 900123", "not given")


def test_two_phone_numbers_ask_which_one_with_a_button_each_and_the_tap_is_stored(stack):
    """ "mobile 07700 900123 or home 01632 960123" is not refused as a wrong number: the bot
    asks which one to call, a button for each, and the one tapped is stored."""
    two = "mobile 07700 900123 or home 01632 960123"
    answers = [
        ("which number should we call", "tap:01632 960123"),
        *[(cue, two if cue == "phone number" else reply) for cue, reply in TYPICAL.answers],
    ]
    say, asked = recorded(stack, "two-phone-numbers")
    outcome = complete_referral(say, replace(TYPICAL, answers=answers))
    assert outcome.completed, outcome
    assert not any("doesn't look right" in reply for reply in asked)
    assert sum("which number should we call" in reply for reply in asked) == 1
    assert stored_referral(stack, outcome.reference)["patient"]["phone"] == "01632 960123"


def test_an_answer_given_with_a_question_is_kept_and_the_question_answered(stack):
    """ "about 3 months, how long is the wait?" at "How long have you had it?": the waiting
    times are told, the duration is stored, and the question is not asked again."""
    outcome, asked = refer_answering(
        stack,
        "answer-with-a-question",
        "how long have you had it",
        "about 3 months, how long is the wait?",
    )
    assert outcome.completed, outcome
    assert any("waiting times change" in reply for reply in asked)
    assert sum("how long have you had it" in reply for reply in asked) == 1
    assert stored_referral(stack, outcome.reference)["problem"]["duration"] == "3 months"


def test_a_name_and_date_of_birth_in_the_first_message_are_stored_and_not_asked(stack):
    """Said with the problem before the consent question, after words that say what they
    are, neither question is asked; the read-back shows both."""
    opening = "Hi, my name is Jo Example, born 14/03/1980. I twisted my right knee 3 months ago"
    say, asked = recorded(stack, "name-and-birth-first")
    outcome = complete_referral(say, replace(TYPICAL, opening=opening))
    assert outcome.completed, outcome
    assert not any("what is your date of birth" in reply for reply in asked)
    assert not any("what is your full name" in reply for reply in asked)
    assert "Jo Example" in outcome.summary and "14 March 1980" in outcome.summary
    patient = stored_referral(stack, outcome.reference)["patient"]
    assert (patient["full_name"], patient["date_of_birth"]) == ("Jo Example", "1980-03-14")


def test_an_address_typed_whole_gives_its_first_line_which_is_then_not_asked(stack):
    outcome, asked = refer_answering(
        stack, "address-in-one", "home address", "Flat 3, 21 Sample Road, Stafford, ST16 2PQ"
    )
    assert outcome.completed, outcome
    assert not any("first line of your address" in reply for reply in asked)
    patient = stored_referral(stack, outcome.reference)["patient"]
    assert (patient["address_line1"], patient["postcode"]) == ("Flat 3, 21 Sample Road", "ST16 2PQ")


def test_a_patient_registered_with_no_gp_is_told_how_to_register_and_nothing_is_sent(stack):
    sender = "no-gp"
    for text in (TYPICAL.opening, "yes please", "2nd November 1971", "ws11 1db"):
        replies = stack.say(sender, text)
    assert "gp practice (surgery)" in texts(replies).lower()
    replies = stack.say(sender, "I'm not registered with a GP at the moment")
    said = texts(replies)
    assert "register with a GP practice near you" in said and "Nothing has been sent" in said
    assert "could not find" not in said.lower()
    listed = requests.get(
        stack.url("WEB_PORT", "/api/v1/referrals"),
        headers={"Authorization": f"Bearer {stack.token}"},
        timeout=10,
    ).json()
    assert sender not in str(listed)


def test_a_correction_volunteered_at_a_later_question_is_stored(stack):
    """The date of birth given wrong, corrected in passing when asked for the GP practice:
    the bot says it changed it, asks for the practice again, and stores the corrected date.
    The side, corrected when asked about the pain, is stored too; "what is rheumatology?"
    asked mid-form is answered about rheumatology, and the form carries on."""
    sender = "correction-patient"
    told = []
    asides: dict[str, str] = {}
    correction = "sorry, my date of birth was wrong, it's 2nd November 1971"

    def say(text: str) -> list[dict]:
        replies = stack.say(sender, text)
        if not told and "gp practice (surgery)" in texts(replies).lower():
            replies = stack.say(sender, correction)
            told.append(texts(replies))
        if "term" not in asides and "how long have you had it" in texts(replies).lower():
            replies = stack.say(sender, "sorry, what is rheumatology?")
            asides["term"] = texts(replies)
        if "side" not in asides and "0 (no pain) to 10" in texts(replies):
            replies = stack.say(sender, "oh actually it's my left knee, not the other one")
            asides["side"] = texts(replies)
        return replies

    answers = [
        (cue, "2nd November 1972" if cue == "date of birth" else reply)
        for cue, reply in TYPICAL.answers
    ]
    outcome = complete_referral(say, replace(TYPICAL, answers=answers))
    assert outcome.completed, outcome
    assert "changed your date of birth to 2 November 1971" in told[0]
    assert "gp practice (surgery)" in told[0].lower()  # the open question, asked again
    stored = stored_referral(stack, outcome.reference)
    assert stored["patient"]["date_of_birth"] == "1971-11-02"
    assert "Rheumatology is" in asides["term"]
    assert "how long have you had it" in asides["term"].lower()  # the form carries on
    assert "changed your side to left" in asides["side"]
    assert "0 (no pain) to 10" in asides["side"]
    assert stored["problem"]["side"] == "left"


@pytest.mark.parametrize("choice", ["first practice", "None of these"])
def test_a_practice_typed_loosely_offers_the_practices_it_fits_and_stores_the_choice(stack, choice):
    """ "my surgery is in Stone" fits two practices: both are offered as buttons with "None
    of these"; a tapped practice is stored with its ODS code, "None of these" keeps the words
    as typed, with no code for staff to check."""
    sender = f"practice-offer-{choice.split()[0].lower()}"
    offered: list[list[dict]] = []

    def say(text: str) -> list[dict]:
        if text == "Moss Street Surgery":
            replies = stack.say(sender, "my surgery is in Stone")
            buttons = [b for reply in replies for b in reply.get("buttons") or []]
            offered.append(buttons)
            text = buttons[0]["payload"] if choice == "first practice" else buttons[-1]["payload"]
        return stack.say(sender, text)

    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed, outcome
    [buttons] = offered
    assert 3 <= len(buttons) <= 4 and buttons[-1]["title"] == "None of these"
    eligibility = stored_referral(stack, outcome.reference)["eligibility"]
    if choice == "first practice":
        assert eligibility["gp_ods_code"] == button_value(buttons[0]["payload"])
        assert buttons[0]["title"].startswith(eligibility["gp_practice"])
    else:
        assert eligibility["gp_practice"] == "my surgery is in Stone"
        assert eligibility["gp_ods_code"] is None


@pytest.mark.parametrize("keep", ["keep it", "tap:Keep what I typed", "Sample Road Surgery"])
def test_a_practice_not_in_the_list_is_asked_once_more_then_kept_as_typed(stack, keep):
    """A practice the list does not have: "I could not find it" once, with a button to keep
    it; "keep it" (read by the NLU as stop) keeps it without a stop question; a second name
    not in the list is kept with the first. Either way no ODS code, and the form goes on."""
    sender = f"practice-not-found-{keep.split()[0].lower()}"
    told: list[str] = []

    def say(text: str) -> list[dict]:
        if text == "Moss Street Surgery":
            replies = stack.say(sender, "Example Street Surgery")
            told.append(texts(replies))
            text = tapped(keep, replies) if keep.startswith(TAP) else keep
            replies = stack.say(sender, text)
            told.append(texts(replies))
            return replies
        return stack.say(sender, text)

    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed, outcome
    assert 'could not find "Example Street Surgery"' in told[0]
    assert "already being seen" in told[1].lower() and "stop" not in told[1].lower()
    eligibility = stored_referral(stack, outcome.reference)["eligibility"]
    kept = "Example Street Surgery" + (f", {keep}" if keep == "Sample Road Surgery" else "")
    assert (eligibility["gp_practice"], eligibility.get("gp_ods_code")) == (kept, None)


@pytest.mark.parametrize("then", [f"{TAP}Keep what I typed", "Moss Street"])
def test_a_town_with_many_practices_asks_for_the_name_then_keeps_or_finds_it(stack, then):
    """ "Cannock" alone at the practice question: not "could not find", but how many
    practices the town has and a request for the name or street; "Keep what I typed" keeps
    the town, a street then finds the practice."""
    sender = f"practice-town-{then.split()[-1].lower()}"
    told: list[str] = []

    def say(text: str) -> list[dict]:
        if text == "Moss Street Surgery":
            replies = stack.say(sender, "Cannock")
            told.append(texts(replies))
            return stack.say(sender, tapped(then, replies) if then.startswith(TAP) else then)
        return stack.say(sender, text)

    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed, outcome
    assert "gp practices in cannock" in told[0].lower() and "could not find" not in told[0]
    eligibility = stored_referral(stack, outcome.reference)["eligibility"]
    if then.startswith(TAP):
        assert (eligibility["gp_practice"], eligibility.get("gp_ods_code")) == ("Cannock", None)
    else:
        assert eligibility["gp_practice"] == "Moss Street Surgery" and eligibility["gp_ods_code"]


def test_stop_then_no_carry_on_asks_the_open_question_again_and_stores_nothing_from_it(stack):
    """Once, "No, carry on" after "stop" was read as the answer to the open question: "not a
    UK postcode" at the postcode question. And a date of birth asked again after an answer
    that did not fit is asked without its opening words; a GP practice told by its street and
    town is stored with its ODS code."""
    sender = "stop-carry-on"
    told: dict[str, str] = {}

    def say(text: str) -> list[dict]:
        if text == "2nd November 1971" and "wrong date" not in told:
            told["wrong date"] = texts(stack.say(sender, "31/02/1970"))
        if text == "Moss Street Surgery":  # a practice told by its street and town
            text = "the surgery on Church Street in Rugeley"
        replies = stack.say(sender, text)
        if "stopped" not in told and "home address" in texts(replies).lower():
            told["stopped"] = texts(stack.say(sender, "stop"))
            replies = stack.say(sender, "No, carry on")
            told["carried on"] = texts(replies)
        return replies

    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed, outcome
    assert "stop" in told["stopped"].lower()
    assert "home postcode" in told["carried on"].lower()
    assert "not a uk postcode" not in told["carried on"].lower()
    assert "What is your date of birth?" in told["wrong date"]
    assert "First, a few questions" not in told["wrong date"]
    stored = stored_referral(stack, outcome.reference)
    assert stored["patient"]["postcode"] == "WS11 1DB"
    assert stored["eligibility"]["gp_practice"] == "Aelfgar Surgery"
    assert stored["eligibility"]["gp_ods_code"] == "M83738"


def test_a_need_stated_in_the_first_message_gets_its_note_before_the_consent_question(stack):
    replies = texts(stack.say("opening-need", "I'm filling this in for my mum, her knee is bad"))
    assert "fill this in for someone else" in replies
    assert replies.index("someone else") < replies.index("privacy notice")  # then consent


def test_a_hearing_need_in_the_first_message_is_recorded_with_the_referral(stack):
    opening = "Hi, I'm deaf so please no phone calls, I'd like to refer myself about my right knee"
    outcome = complete_referral(
        lambda text: stack.say("deaf-patient", text), replace(TYPICAL, opening=opening)
    )
    assert outcome.completed, outcome
    needs = stored_referral(stack, outcome.reference)["patient"]["communication_needs"]
    assert needs == f"said earlier: {opening}"


def test_someone_filling_it_in_for_a_relative_is_asked_who_they_are_and_it_is_stored(stack):
    """ "I'm filling this in for my mum": her referral, with who filled it in asked once (a
    blind usability tester's relative was never recorded)."""
    opening = "I'm filling this in for my mum, her right knee is bad"
    helper = "Tom Example, her son, 07700 900456"
    # before the phone question's cue: this question asks for a phone number too
    summary, *rest = TYPICAL.answers
    answers = [summary, ("filling this in for someone else", helper), *rest]
    say, asked = recorded(stack, "filled-in-by-her-son")
    outcome = complete_referral(say, replace(TYPICAL, opening=opening, answers=answers))
    assert outcome.completed, outcome
    assert sum("filling this in for someone else" in reply for reply in asked) == 1
    assert any(f"filled in by: {helper.lower()}" in reply for reply in asked)  # read back
    assert stored_referral(stack, outcome.reference)["patient"]["completed_by"] == helper


def test_two_body_areas_at_the_question_ask_which_and_the_choice_is_stored(stack):
    """ "my neck and shoulder" was stored as the shoulder: now the patient chooses."""
    sender = "two-body-areas"
    seen: list[str] = []

    def say(text: str) -> list[dict]:
        if seen and "where is the problem" in seen[-1] and "more than one place" not in seen[-1]:
            text = "my neck and my shoulder"  # the first time the question is asked
        replies = stack.say(sender, text)
        seen.append(texts(replies).lower())
        return replies

    neck = [(c, "my neck" if c == "where is the problem" else a) for c, a in TYPICAL.answers]
    opening = "Hi, I'd like to refer myself please"
    outcome = complete_referral(say, replace(TYPICAL, opening=opening, answers=neck))
    assert outcome.completed, outcome
    assert any("more than one place" in reply.lower() for reply in seen)
    assert stored_referral(stack, outcome.reference)["problem"]["body_area"] == "neck"


def test_a_gp_practice_given_with_the_date_of_birth_is_stored_and_not_asked(stack):
    outcome, asked = refer_answering(
        stack, "gp-with-birth-date", "date of birth", "2/11/1971, GP is Leek Health Centre"
    )
    assert outcome.completed, outcome
    assert not any("gp practice (surgery)" in reply for reply in asked)
    assert stored_referral(stack, outcome.reference)["eligibility"]["gp_practice"] == (
        "Leek Health Centre"
    )


def at_the_first_read_back(stack, sender: str, *messages: str):
    """A `say` for complete_referral that sends `messages`, one by one, when the answers are
    first read back; and the list it fills: the read-back's replies, then each message's."""
    seen: list[list[dict]] = []

    def say(text: str) -> list[dict]:
        replies = stack.say(sender, text)
        if not seen and "please check your answers" in texts(replies).lower():
            seen.append(replies)
            for message in messages:
                replies = stack.say(sender, message)
                seen.append(replies)
        return replies

    return say, seen


def test_at_the_read_back_a_free_text_correction_is_taken_and_the_buttons_come_back(stack):
    """Once, a message not understood at the read-back got "Sorry, I did not understand" and
    the summary's buttons disappeared; a correction typed there is taken too."""
    say, seen = at_the_first_read_back(
        stack,
        "read-back-patient",
        "flibble wibble",
        "sorry my phone number was wrong, it's 07700 900456",
    )
    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed, outcome
    not_understood, corrected = seen[1], seen[2]
    for replies in (not_understood, corrected):
        assert "please check your answers" in texts(replies).lower()  # read back again
        titles = [b["title"] for r in replies for b in r.get("buttons") or []]
        assert "Yes, send it" in titles and "Change something" in titles
    assert "changed your phone number to 07700 900456" in texts(corrected)
    patient = stored_referral(stack, outcome.reference)["patient"]
    assert patient["phone"] == "07700 900456"


def test_changes_typed_in_words_at_the_read_back_are_stored(stack):
    """A blind usability test's changes at the read-back all got "Sorry, I did not
    understand": the pain, how it started, the job and voicemail and texts, said in words
    with no "wrong" (the read-back asked what to change), are checked and stored."""
    say, seen = at_the_first_read_back(
        stack,
        "read-back-words",
        "the pain is more like 8",
        "actually it came on gradually",
        "my job is plasterer",
        # a "no" inside the change (the NLU reads it as "no, not all right") is still taken
        "no, texts are fine but no voicemail please",
    )
    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed, outcome
    for replies in seen[1:]:
        assert "I have changed" in texts(replies), texts(replies)
        assert "please check your answers" in texts(replies).lower()
    referral = stored_referral(stack, outcome.reference)
    problem, patient = referral["problem"], referral["patient"]
    assert (str(problem["pain_score"]), problem["onset"], problem["work_role"]) == (
        "8",
        "gradual",
        "plasterer",
    )
    assert patient["contact_permissions"] == "text"


def test_a_yes_at_the_read_back_that_holds_a_change_is_taken_before_anything_is_sent(stack):
    """A blind usability test's "texts are fine as well actually" at the read-back was read
    as yes and sent the referral with the old answer; the change is taken and read back."""
    say, seen = at_the_first_read_back(
        stack, "read-back-yes-change", "voicemail only please", "yes, texts are fine as well"
    )
    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed, outcome
    assert len(seen) == 3  # the read-back, then a reply to each change
    for replies in seen[1:]:
        assert "I have changed" in texts(replies), texts(replies)
        assert "your reference is" not in texts(replies).lower()
    patient = stored_referral(stack, outcome.reference)["patient"]
    assert patient["contact_permissions"] == "both"


def test_a_question_at_consent_is_answered_and_consent_asked_again_so_yes_carries_on(stack):
    """A blind tester asked "how long is the wait?" at the consent question; the answer came,
    but consent was not asked again and every "yes" after it got "did not understand"."""
    sender = "consent-digression"
    stack.say(sender, "hi")
    replies = stack.say(sender, "Before I start, how long is the wait to be seen?")
    assert "waiting times" in texts(replies).lower()
    assert "Yes, carry on" in [b["title"] for r in replies for b in r.get("buttons") or []]
    assert "date of birth" in texts(stack.say(sender, "ok, yes carry on")).lower()


def test_a_question_at_the_read_back_is_answered_and_the_answers_read_back_to_send(stack):
    say, seen = at_the_first_read_back(stack, "read-back-question", "what happens after I send it?")
    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed, outcome
    asked = texts(seen[1]).lower()
    assert "someone from the team reads it" in asked and "please check your answers" in asked


def test_a_change_list_choice_typed_after_change_something_is_asked_again(stack):
    """ "Change something", then "GP practice" typed instead of tapped: the practice is asked
    again and the new one stored (a blind tester got "did not understand", twice)."""
    say, seen = at_the_first_read_back(
        stack, "change-list-typed", "Change something", "GP practice"
    )
    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed, outcome
    assert "gp practice (surgery)" in texts(seen[2]).lower()
    assert stored_referral(stack, outcome.reference)["eligibility"]["gp_ods_code"]


def test_a_body_part_corrected_in_words_at_the_read_back_asks_its_side_and_is_stored(stack):
    """'It's my hip, not my knee' typed at the read-back: the part is changed, the hip's side
    (and any screening) asked, and the answers read back again before anything is sent."""
    say, seen = at_the_first_read_back(
        stack, "read-back-hip-patient", "sorry, it's my hip, not my knee"
    )
    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed and seen, outcome
    told = texts(seen[1]).lower()
    assert "hip" in told and "which side" in told
    assert "Hip" in outcome.summary  # read back again with the new part before it was sent
    problem = stored_referral(stack, outcome.reference)["problem"]
    assert problem["body_area"] == "hip" and problem["side"] == "right"


def test_a_postcode_outside_the_area_typed_at_the_read_back_asks_about_the_gp_practice(stack):
    """A new postcode outside the area, typed in words at the read-back, with a practice
    not in the ICB's list (kept as typed): whether the GP practice is in the area is asked
    before the answers are read back again. (A listed practice is the area's: not asked.)"""
    say, seen = at_the_first_read_back(
        stack, "read-back-postcode-patient", "oops my postcode should be M1 1AA", "yes"
    )
    unlisted = replace(
        TYPICAL, answers=[("gp practice (surgery)", "Example Road Surgery"), *TYPICAL.answers]
    )
    outcome = complete_referral(say, unlisted)
    assert outcome.completed and seen, outcome
    assert "whose gp practice is in staffordshire" in texts(seen[1]).lower()
    assert "please check your answers" in texts(seen[2]).lower()
    eligibility = stored_referral(stack, outcome.reference)["eligibility"]
    assert eligibility["gp_in_area"] is True and eligibility["area"] == "outside"


def test_the_gp_practice_and_how_it_started_can_be_changed_from_the_read_back(stack):
    """The two change buttons added to the change list, tapped at the read-back through the
    real stack: each answer is asked again and the new one is stored."""
    sender = "change-buttons-patient"
    done = []

    def tap(replies: list[dict], title: str) -> list[dict]:
        return stack.say(sender, tapped(f"{TAP}{title}", replies))

    def say(text: str) -> list[dict]:
        replies = stack.say(sender, text)
        if not done and "please check your answers" in texts(replies).lower():
            done.append(True)
            replies = tap(tap(replies, "Change something"), "GP practice")
            assert "gp practice (surgery)" in texts(replies).lower()
            replies = stack.say(sender, "Another Road Surgery")
            # not in the list of practices: asked once more, then kept as typed
            assert 'could not find "Another Road Surgery"' in texts(replies)
            replies = tap(replies, "Keep what I typed")
            assert "Another Road Surgery" in texts(replies)  # read back with the new answer
            replies = tap(tap(replies, "Change something"), "How it started")
            assert "how did it start" in texts(replies).lower()
            replies = stack.say(sender, "it came on gradually, no injury")
        return replies

    outcome = complete_referral(say, TYPICAL)
    assert outcome.completed and done, outcome
    referral = stored_referral(stack, outcome.reference)
    assert referral["eligibility"]["gp_practice"] == "Another Road Surgery"
    assert referral["problem"]["onset"] == "gradual"


def test_patients_answering_in_varied_formats_and_orders_are_understood_first_time(stack):
    """Generated patients (scripts/varied_patients.py): every referral made, every checked
    field stored as the patient said it, and no question asked twice. A red-flag check question
    on an ordinary answer is allowed (No returns to the same question, by design), but at most
    one per patient and in at most two of the eight conversations."""
    results = run_varied(stack, generate(seed=31, count=8))
    assert [r for r in results if not r.completed or r.wrong or r.repeated] == []
    assert all(len(r.checked) <= 1 for r in results)
    assert sum(bool(r.checked) for r in results) <= 2, [r.checked for r in results]


def test_the_chat_gateway_issues_a_conversation_id_and_relays_the_bot(stack):
    first = requests.post(
        stack.url("WEB_PORT", "/api/v1/chat"), json={"message": "hello"}, timeout=30
    )
    assert first.status_code == 200
    conversation_id = first.json()["conversation_id"]
    assert len(conversation_id) == 64  # the conversation's 32 hex digits, then its signature
    assert "999" in texts(first.json()["messages"])
    second = requests.post(
        stack.url("WEB_PORT", "/api/v1/chat"),
        json={"message": "/affirm", "conversation_id": conversation_id},
        timeout=30,
    )
    assert second.json()["conversation_id"] == conversation_id
    assert "date of birth" in texts(second.json()["messages"])


def test_an_access_question_at_consent_and_at_a_question_gets_its_note_and_goes_on(stack):
    """A blind usability tester's "can I ask for a female physiotherapist?" was taken as yes
    with no answer, and "can I bring my daughter with me?" was refused as a date of birth."""
    sender = "access-questions"
    stack.say(sender, "hello")
    replies = texts(stack.say(sender, "can I ask for a female physiotherapist?"))
    assert "physio who is a woman or a man" in replies and "date of birth" in replies
    replies = texts(stack.say(sender, "hang on, can I bring my daughter with me to appointments?"))
    assert "someone to come with you" in replies and "could not read" not in replies
    assert "date of birth" in replies  # the same question again


def test_start_again_mid_form_forgets_the_answers_and_begins_afresh(stack):
    sender = "integration-test-restart"
    stack.say(sender, "hello")
    assert "date of birth" in texts(stack.say(sender, "yes"))
    assert "postcode" in texts(stack.say(sender, "14/03/1980"))
    assert "start again" in texts(stack.say(sender, "start again")).lower()
    stack.say(sender, "hi")
    assert "date of birth" in texts(stack.say(sender, "yes"))


def test_a_port_in_use_stops_the_stack_with_one_clear_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "scripts.stack"],
            cwd=ROOT,
            env={
                **os.environ,
                "WEB_PORT": str(port),
                # Each Rasa port free-checked: RASA_PORT alone means it and the next one up,
                # and the next one up may be another process's.
                "RASA_PORTS": f"{free_port()},{free_port()}",
                "ACTION_PORT": str(free_port()),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert f"port {port} (WEB_PORT" in lines[0] and "retry" in lines[0]


# --- the red-flag safety net end to end: the lay set as a first message and mid-form ---

UTTERANCES = yaml.safe_load((ROOT / "tests" / "red_flag_utterances.yml").read_text())
RANK = {"soon": 1, "urgent": 2, "emergency": 3}
TO_THE_PROBLEM = [
    "Hi, my right knee has hurt for 3 months",
    "yes",
    "14/03/1980",
    "ST4 6QG",
    "Aelfgar Surgery",
    "no",
]


def escalation_after(stack, sender: str, setup: list[str], text: str) -> dict | None:
    """The escalation marker in the reply to `text`, said after the setup messages."""
    for message in setup:
        stack.say(sender, message)
    replies = stack.say(sender, text)
    found = [r["custom"]["escalation"] for r in replies if "escalation" in r.get("custom", {})]
    return found[0] if found else None


@pytest.mark.parametrize("where", ["first message", "mid-form"])
def test_every_lay_red_flag_escalates_over_rest_and_negatives_do_not(stack, where):
    setup = [] if where == "first message" else TO_THE_PROBLEM
    if where == "mid-form":
        stack.say("probe-mid-form", TO_THE_PROBLEM[0])
        probe = [stack.say("probe-mid-form", m) for m in TO_THE_PROBLEM[1:]][-1]
        assert "how did it start" in texts(probe).lower()  # really in the problem stage
    cases = [(i, item, True) for i, item in enumerate(UTTERANCES["positives"])]
    cases += [(i, item, False) for i, item in enumerate(UTTERANCES["negatives"])]

    def run(case):
        index, item, positive = case
        sender = f"rf-{where[:3]}-{'p' if positive else 'n'}{index}"
        return case, escalation_after(stack, sender, setup, item["text"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, cases))
    missed = [
        (item["text"], item["level"], marker)
        for (_, item, positive), marker in results
        if positive and (marker is None or RANK[marker["level"]] < RANK[item["level"]])
    ]
    false_alarms = [
        (item["text"], marker) for (_, item, positive), marker in results if not positive and marker
    ]
    assert not missed, missed
    assert 1 - len(false_alarms) / len(UTTERANCES["negatives"]) >= 0.95, false_alarms


# Last: it stops the module's stack.
def test_sigterm_stops_every_process_and_frees_every_port(stack):
    assert stack.stop() == 0
    for name, port in stack.ports.items():
        assert not port_answers(port), f"{name} {port} still answers"
        assert processes_mentioning(str(port)) == [], f"orphan process still uses {name}"
