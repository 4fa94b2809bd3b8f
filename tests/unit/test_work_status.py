""" "What about work?": every button, its title typed, and work told in a sentence, are read.

Three of the six buttons once failed because the tapped payload reached the form as text and
only some payloads happened to contain a matching word; these tests read the buttons from
content/responses.yml so a new or renamed button is covered too.
"""

from __future__ import annotations

import pytest

from bot.content_store import load
from bot.problem_vocabulary import (
    button_value,
    job_in_a_part_of_its_own,
    job_said,
    match,
    match_work_status,
    onset_answer,
)
from tests.support.buttons import work_buttons


def test_every_work_button_offered_is_a_known_status_and_all_statuses_have_a_button():
    statuses = set(load("problem_vocabulary")["work_status"])
    offered = {button_value(b["payload"]) for b in work_buttons()}
    assert offered == statuses


@pytest.mark.parametrize("button", work_buttons(), ids=lambda b: b["title"])
def test_a_tapped_work_button_is_read_as_its_own_status(button):
    status = button_value(button["payload"])
    assert match_work_status(button["payload"]) == status
    assert match_work_status(button["title"]) == status  # the title typed instead of tapped


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("I'm a nurse at the Royal Stoke, full time", "working"),
        ("self-employed plumber", "working"),
        ("I work in a warehouse on nights", "working"),
        ("I'm off sick with a fit note", "off_work"),
        ("been signed off for 2 weeks", "off_work"),
        ("can’t work at the moment because of it", "off_work"),
        ("still working but it's getting hard", "at_risk"),
        ("I'm on light duties now", "at_risk"),
        ("worried I might lose my job over it", "at_risk"),
        ("not working at the moment", "not_working"),
        ("I'm not in work", "not_working"),
        ("I lost my job last year", "not_working"),
        ("I'm a full time mum", "not_working"),
        ("I work as a carer", "working"),
        ("retired 5 years ago", "retired"),
        ("I'm at uni", "student"),
        ("I do a bit of cleaning but it's getting really hard", "at_risk"),
        ("at work, but only just managing", "at_risk"),
        ("I've been off for three weeks with it", "off_work"),
        ("not back at work yet", "off_work"),
        ("I look after the kids full time", "not_working"),
        ("retired, but I look after my grandkids", "retired"),
        ("struggling", "at_risk"),  # the button's first word, typed (a blind tester)
        ("I'm struggling.", "at_risk"),
        ("retired but struggling with the pain", "retired"),
        ("off sick, struggling", "off_work"),
        ("unemployed and struggling", "not_working"),
        # from a blind usability test: stored as "In work" and "Not in paid work"
        ("still going in but it's hard", "at_risk"),
        ("I'm a carer, struggling to keep going at work", "at_risk"),
        ("I'm a paid carer", "working"),
        ("retired but struggling to keep going", "retired"),
    ],
)
def test_work_told_in_a_sentence_is_mapped_to_an_option(typed, status):
    assert match_work_status(typed) == status


@pytest.mark.parametrize("typed", ["", "hmm", "it hurts", "what do you mean"])
def test_an_answer_that_says_nothing_about_work_is_not_guessed(typed):
    assert match_work_status(typed) is None


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        ('/inform{"onset": "gradual"}', "gradual"),
        ('/inform{"body_area": "wrist_hand"}', "wrist_hand"),
        ("/affirm", None),
        ('/inform{"a": "1", "b": "2"}', None),
        ('/inform{"a": 3}', None),
        ("/inform{not json}", None),
        ("I said /inform", None),
    ],
)
def test_a_button_payload_gives_its_one_value_and_anything_else_gives_none(payload, value):
    assert button_value(payload) == value


def test_a_tapped_onset_button_is_read_by_its_value_not_by_a_word_inside_the_payload():
    assert match("onset", '/inform{"onset": "gradual"}') == "gradual"
    assert match("onset", '/inform{"onset": "injury"}') == "injury"


@pytest.mark.parametrize(
    ("typed", "onset"),
    [
        ("After an injury or accident", "injury"),
        ("Gradually, no injury", "gradual"),
        ('/inform{"onset": "injury"}', "injury"),
        ("I went over on it playing football", "injury"),
        ("slipped on the ice at Christmas", "injury"),
        ("no injury, it just crept up on me", "gradual"),
        ("woke up with it one morning", "gradual"),
        ("came out of the blue", "gradual"),
        ("not sure really", "gradual"),
    ],
)
def test_how_it_started_typed_as_an_answer_is_read(typed, onset):
    assert onset_answer(typed) == onset


@pytest.mark.parametrize(
    "typed",
    [
        "it just came on, I think from lifting",
        "came on gradually but I did twist it a bit at the gym",
        "it crept up on me after I slipped last year",
        "hmm",
    ],
)
def test_how_it_started_is_asked_again_not_guessed_when_the_words_name_both_or_neither(typed):
    assert onset_answer(typed) is None


@pytest.mark.parametrize(
    ("typed", "job"),
    [
        ("I work as a delivery driver but it's getting hard", "delivery driver"),
        ("working as an electrician", "electrician"),
        ("I'm a nurse, still working full time", "nurse"),
        ("I'm a HGV driver on nights", "HGV driver"),  # the patient's own case
        ("work as a chef at a busy restaurant in the middle of town", "chef"),
        ("I'm a warehouse operative struggling to do my job", "warehouse operative"),
        ("I am a teacher and I am off sick", "teacher"),
        ("employed as a care assistant, struggling to cope at work", "care assistant"),
        ("im a plasterer self employed", "plasterer self employed"),
    ],
)
def test_a_job_named_with_the_work_status_is_kept_as_the_job(typed, job):
    assert job_said(typed) == job


@pytest.mark.parametrize(
    "typed",
    [
        "I'm in work",
        "I'm a bit off work at the moment",  # not a job
        "I'm a mum and I work part time",
        "I'm a retired teacher",  # a status, not a job now
        "I work as a carer",  # "carer" is also unpaid caring: the job question is asked
        '/inform{"work_status": "working"}',  # a button says no job
        # review findings: words after "as" or "is" that are not a job
        "still working as normal",
        "I'm working as usual",
        "working as much as I can",
        "my job is fine",
        "the job is killing me",
        "I'm a single mum working part time",
        "my job is in a factory and it's hard",
    ],
)
def test_no_job_is_taken_from_an_answer_that_does_not_plainly_name_one(typed):
    assert job_said(typed) is None


@pytest.mark.parametrize(
    ("typed", "job"),
    [
        ("I'm in work, IT support", "IT support"),
        ("working full time - nurse", "nurse"),
        ("off work because of it, bricklayer", "bricklayer"),
        # not a job: hours, a courtesy, how it is going, no work status first
        ("in work, full time", None),
        ("working, thanks", None),
        ("in work, but struggling", None),
        ("in work, it hurts when I lift", None),
        ("working, 9 to 5", None),
        # the job first, then the status (a blind usability test: "teacher, it's fine at
        # work" was asked the job), never a courtesy or a mood first
        ("nurse, in work", "nurse"),
        ("busy, in work", None),
        ("fine, working", None),
        # not a job (a review of this change)
        ("working, can't lift anything", None),
        ("working, when I can", None),
        ("working, not sure how long for", None),
        ("working, from home", None),
    ],
)
def test_a_job_in_a_part_of_its_own_after_the_work_status_is_the_job(typed, job):
    """ "I'm in work, IT support" was asked "What is your job?" (blind usability test)."""
    assert job_in_a_part_of_its_own(typed) == job
