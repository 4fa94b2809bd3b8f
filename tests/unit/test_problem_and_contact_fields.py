"""Pain scores, durations, NHS numbers, phone numbers and emails are read as patients write them."""

from datetime import date

import pytest

from bot.contact_fields import (
    is_declined,
    parse_email,
    parse_nhs_number,
    parse_uk_phone,
    parse_yes_no,
    phone_numbers_in,
)
from bot.problem_fields import (
    duration_band,
    pain_score_said_for_now,
    parse_duration,
    parse_pain_score,
    several_pain_scores,
)
from bot.problem_vocabulary import match_work_status, onset_answer, parse_contact_permission


@pytest.mark.parametrize(
    ("typed", "score"),
    [("7", 7), ("7/10", 7), ("seven out of ten", 7), ("about a 6", 6), ("0", 0), ("10/10", 10),
     ("Today I would say about six.", 6), ("7.", 7)],
)  # fmt: skip
def test_pain_scores_in_digits_or_words_are_read(typed, score):
    assert parse_pain_score(typed) == score


def test_of_several_scores_each_ending_a_sentence_the_one_for_now_is_taken():
    """A blind usability tester's "perhaps a four, but at night ... an eight. Today I would
    say about six." was stored as 4: a number before a full stop was not read."""
    said = (
        "Well, on a good day it is perhaps a four, but at night when I lie on it I would put"
        " it at an eight. Today I would say about six."
    )
    assert several_pain_scores(said) and pain_score_said_for_now(said) == 6


@pytest.mark.parametrize("typed", ["12", "bad", "-3", "6.5", "between 4 and 6", "6-7", "6 – 7/10"])
def test_pain_scores_out_of_range_or_unclear_are_refused(typed):
    assert parse_pain_score(typed) is None


@pytest.mark.parametrize(
    ("typed", "days", "shown"),
    [
        ("3 months", 90, "3 months"),
        ("about six weeks", 42, "6 weeks"),
        ("a fortnight", 14, "2 weeks"),
        ("half a year", 180, "6 months"),  # was read as a year (blind usability test)
        ("half year", 180, "6 months"),
        ("a couple of years", 730, "2 years"),
        ("2 yrs", 730, "2 years"),
        ("a few days", 3, "a few days (about 3 days)"),
        ("several weeks", 28, "several weeks (about 4 weeks)"),
        ("one and a half years", 547, "1.5 years"),
        ("about a year and a half", 547, "1.5 years"),  # once read as 1 year
        ("a month and a half", 45, "1.5 months"),
    ],
)
def test_durations_in_digits_words_and_abbreviations_are_read(typed, days, shown):
    duration = parse_duration(typed)
    assert duration is not None and (duration.days, duration.display) == (days, shown)
    assert parse_duration(duration.display).days == duration.days  # stable when re-read


@pytest.mark.parametrize(
    ("typed", "days", "shown"),
    [
        ("since March", 276, "since March 2026"),
        ("since last may", 215, "since May 2026"),
        ("since Dec", 1, "since December 2026"),
        ("since March 2024", 1006, "since March 2024"),
        ("ever since 2019", 2892, "since 2019"),
    ],
)
def test_since_a_month_or_year_counts_back_from_today(typed, days, shown):
    duration = parse_duration(typed, today=date(2026, 12, 2))
    assert duration is not None and (duration.days, duration.display) == (days, shown)
    assert parse_duration(duration.display, today=date(2026, 12, 2)) == duration


@pytest.mark.parametrize(
    ("typed", "days", "shown"),
    [
        # 2 December 2026 is a Wednesday
        ("since Christmas", 342, "since Christmas (about 11 months)"),
        ("started just after xmas", 342, "since Christmas (about 11 months)"),
        ("it came on over the summer", 184, "since the summer (about 6 months)"),
        ("since Easter", 241, "since Easter (about 8 months)"),
        ("since easter 2025", 591, "since Easter 2025 (about 20 months)"),
        ("since bonfire night", 27, "since Bonfire Night (about 4 weeks)"),
        ("since Monday", 2, "since Monday (about 2 days)"),
        ("since last Wednesday", 7, "since Wednesday (about 7 days)"),
        ("since the weekend", 4, "since the weekend (about 4 days)"),
        ("since last week", 7, "since last week (about 7 days)"),
        ("since yesterday", 1, "since yesterday (about 1 day)"),
        ("from this morning", 1, "since this morning (about 1 day)"),
        # a blind usability test: "from september" was refused, and the end of the summer
        # holidays was read as their start
        ("from september", 92, "since September 2026"),
        (
            "since the end of the summer holidays",
            92,
            "since the end of the summer holidays (about 3 months)",
        ),
        # a blind usability test: refused; 31 August 2026 was the summer bank holiday
        ("since the bank holiday", 93, "since the bank holiday (about 3 months)"),
        ("the august bank holiday", 93, "since the August bank holiday (about 3 months)"),
        ("since the may bank holiday", 212, "since the May bank holiday (about 7 months)"),
        ("since Boxing Day", 341, "since Boxing Day (about 11 months)"),
    ],
)
def test_a_duration_told_by_a_time_of_year_or_a_day_counts_back_to_the_latest_one(
    typed, days, shown
):
    today = date(2026, 12, 2)
    duration = parse_duration(typed, today=today)
    assert duration is not None and (duration.days, duration.display) == (days, shown)
    again = parse_duration(duration.display, today=today)  # the stored words, read back
    assert abs(again.days - days) <= days * 0.1 + 1


@pytest.mark.parametrize(
    ("typed", "days", "shown"),
    [
        # 2 December 2026; the clocks went back on 25 October 2026 and forward on 29 March
        ("since the clocks went back", 38, "since the clocks went back (about 5 weeks)"),
        ("since the clocks went forward", 248, "since the clocks went forward (about 8 months)"),
        ("since my birthday in July", 154, "since July 2026"),
        ("since I started my new job in March", 276, "since March 2026"),
        ("it began at the end of sept 2025", 457, "since September 2025"),
        ("since the start of the year", 335, "since the start of the year (about 11 months)"),
    ],
)
def test_a_duration_told_by_an_event_in_a_month_or_the_clocks_changing_counts_back(
    typed, days, shown
):
    today = date(2026, 12, 2)
    duration = parse_duration(typed, today=today)
    assert duration is not None and (duration.days, duration.display) == (days, shown)
    again = parse_duration(duration.display, today=today)
    assert abs(again.days - days) <= days * 0.1 + 1


@pytest.mark.parametrize(
    "typed",
    ["ages", "since my op", "since marriage", "since 1850", "a while", "", "in work",
     "it may be worse in the morning", "my knee is stiff in the morning"],
)  # fmt: skip
def test_vague_durations_are_refused(typed):
    assert parse_duration(typed) is None


def test_duration_bands_split_at_six_weeks_three_months_and_a_year():
    assert [duration_band(d) for d in (41, 42, 91, 92, 365, 366)] == [
        "under_6_weeks",
        "6_weeks_to_3_months",
        "6_weeks_to_3_months",
        "3_to_12_months",
        "3_to_12_months",
        "over_12_months",
    ]


@pytest.mark.parametrize(
    "typed", ["9434765870", "943 476 5870", "943-476-5870", "my nhs number is 485 777 3457"]
)
def test_valid_nhs_numbers_are_shown_3_3_4(typed):
    parsed = parse_nhs_number(typed)
    assert parsed.problem is None and len(parsed.value) == 10
    assert parsed.display in ("943 476 5870", "485 777 3457")


def test_an_nhs_number_whose_check_digit_would_be_10_is_invalid():
    # 123456789x: weighted sum 1*10+2*9+...+9*2 = 330, 330 % 11 = 0 -> check 11 -> 0, so
    # search for a prefix whose check digit would be 10 instead of hard-coding one.
    prefix = next(
        f"{n:09d}"
        for n in range(100000000, 100001000)
        if 11 - sum(int(d) * w for d, w in zip(f"{n:09d}", range(10, 1, -1), strict=True)) % 11
        == 10
    )
    assert all(parse_nhs_number(prefix + str(d)).problem == "check_digit" for d in range(10))


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("12345", "wrong_length"), ("943 476 5871", "check_digit"), ("I don't know it", "not_known")],
)
def test_wrong_nhs_numbers_say_what_is_wrong(typed, problem):
    assert parse_nhs_number(typed).problem == problem


@pytest.mark.parametrize("typed", ["not to hand", "no clue", "I haven't a clue", "not on me"])
def test_an_nhs_number_not_to_hand_is_not_known_not_a_wrong_number(typed):
    """A blind usability test's "not to hand" was refused, and the phone number typed next was
    then read as a wrong NHS number."""
    assert parse_nhs_number(typed).problem == "not_known"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("07700 900123", "07700 900123"),
        ("+44 7700 900123", "07700 900123"),
        ("0044 (0)1632 960000", "01632 960000"),
        ("01632-960-999", "01632 960999"),
        ("07700 900123 (mobile)", "07700 900123"),
        ("ring me on 01632 960123 after 5pm", "01632 960123"),
    ],
)
def test_uk_phone_numbers_are_normalised(typed, shown):
    assert parse_uk_phone(typed).display == shown


@pytest.mark.parametrize(
    "typed",
    ["12345", "call me", "+1 202 555 0100", "0770090012", "07700 900123 or 07700 900124"],
)
def test_non_uk_or_incomplete_phone_numbers_are_refused(typed):
    assert parse_uk_phone(typed).value is None


def test_emails_are_checked_and_their_domain_lower_cased():
    assert parse_email("Sam.Sample@Example.COM") == "Sam.Sample@example.com"
    assert parse_email("sam at example dot com") is None
    assert parse_email("my email address is sam@example.com") == "sam@example.com"
    assert parse_email("a@example.com or b@example.com") is None  # which one? asked again
    assert is_declined("I don't have one") and is_declined("no") and not is_declined("sam@x.com")


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("yes please", True),
        ("yeah", True),
        ("/affirm", True),
        ("nope", False),
        ("no", False),
        ("maybe", None),
        # a hedged yes is a yes; a hedged no is asked again (not sure is safer as yes)
        ("I would have thought so, Kidsgrove is Staffordshire", True),
        ("i think so", True),
        ("I don't think so", None),
        # said inside a sentence (a blind usability test: each was not understood)
        ("It certainly is in Staffordshire, yes indeed.", True),
        ("Well of course it is, Kidsgrove is in Staffordshire and always has been.", True),
        ("I have just told you that it is. Yes.", True),
        ("Good heavens no, nothing of the sort. It is just my shoulder.", False),
        ("what? no, none of that, it's my elbow", False),
        ("haha no, hes a man!", False),
        ("None of those apply to me, I am glad to say.", False),
        ("certainly not", False),
        ("he saw a physio about 3 years ago for it but not now", False),
        # a "no" that is part of the words, or unsure, is neither
        ("I have no feeling down there", None),
        ("I'm not sure, no", None),
        ("of course not, it's not that bad, yes it hurts", None),
    ],
)
def test_yes_no_answers_are_read(typed, answer):
    assert parse_yes_no(typed) is answer


@pytest.mark.parametrize(
    ("typed", "permission"),
    [
        ("either is fine", "both"),
        # a blind usability test: a landline takes no texts; "text messages" are texts
        (
            "You may leave a message on the answering machine, but it is a landline so I"
            " cannot get text messages.",
            "voicemail",
        ),
        ("it's a landline, voicemail is fine", "voicemail"),
        ("text messages are fine", "text"),
        ("txt", "text"),
        ("I don't mind", "both"),
        ("yes", "both"),
        ("voicemail only", "voicemail"),
        ("you can leave a message", "voicemail"),
        ("no voicemail, texts are fine", "text"),
        ("not texts but voicemail is fine", "voicemail"),
        ("no texts, no voicemails", "neither"),
        ("a voicemail is fine but I can't read texts very well", "voicemail"),
        ("I can't hear voicemails, texts please", "text"),
        ("I can't answer the phone at work so a text or voicemail is best", "both"),
        ("I'd rather not", "neither"),
        ("no voicemails please", None),  # says nothing about texts: asked again
        ("no, I don't want any messages", None),
        ("texts are fine as well actually", "both"),  # the other way too
        ("voicemail too", "both"),
        ("texts too but no voicemail", "text"),
    ],
)
def test_voicemail_and_text_permission_reads_negations(typed, permission):
    assert parse_contact_permission(typed) == permission


def test_easter_falls_on_the_published_sundays():
    from bot.problem_fields import _easter

    published = ["2019-04-21", "2024-03-31", "2025-04-20", "2026-04-05", "2027-03-28"]
    assert [str(_easter(int(day[:4]))) for day in published] == published


@pytest.mark.parametrize("typed", ["nah", "nah thanks", "I don't use email", "dont use it"])
def test_no_email_said_naturally_is_a_decline(typed):
    assert is_declined(typed)


@pytest.mark.parametrize("typed", ["nathan@example.com", "jo@nah.example.com"])
def test_an_email_that_contains_nah_is_not_a_decline(typed):
    assert not is_declined(typed)


@pytest.mark.parametrize(
    ("said", "numbers"),
    [
        ("mobile 07700 900123 or home 01632 960123", ["07700 900123", "01632 960123"]),
        ("07700900123, 01632960123 in the day", ["07700 900123", "01632 960123"]),
        ("07700 900123 or 07700 900123", ["07700 900123"]),  # the same number twice: one
        ("ring me on 01632 960123 after 5", ["01632 960123"]),
        ("I don't have a phone", []),
    ],
)
def test_every_uk_number_in_an_answer_is_found_once_in_order(said, numbers):
    assert phone_numbers_in(said) == numbers


@pytest.mark.parametrize(
    ("said", "onset"),
    [
        # words from a blind usability test that were not understood or read wrongly
        ("it just came on, I didn't fall or anything", "gradual"),
        ("old age", "gradual"),
        ("I think I slept on it funny, no real injury", "gradual"),  # was stored as injury
        # an injury still is one; both together are still asked
        ("I fell off a ladder", "injury"),
        ("it just came on, I think from lifting", None),
    ],
)
def test_an_injury_word_the_patient_denies_is_not_the_start(said, onset):
    assert onset_answer(said) == onset


@pytest.mark.parametrize("said", ["I don't do emails", "I dont use emails", "do not do email"])
def test_not_doing_email_declines_it(said):
    assert is_declined(said)


def test_in_work_but_very_hard_is_struggling_at_work():
    assert match_work_status("i work but very hard") == "at_risk"
    assert match_work_status("retired") == "retired"


@pytest.mark.parametrize(
    "typed",
    [
        "text only, my hearing is not too good",
        "I'd prefer texts, also I work shifts",
        "texts. i'm at work too much to answer",
    ],
)
def test_too_or_also_elsewhere_in_the_answer_is_not_the_other_way_too(typed):
    assert parse_contact_permission(typed) == "text"


def test_not_to_hand_words_are_for_the_nhs_number_only():
    from bot.contact_fields import is_declined

    assert parse_nhs_number("I can't find it").problem == "not_known"
    assert not is_declined("I can't find it easy to read small print")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        # a blind usability test: the pregnancy was stored as how long the wrist had hurt
        ("wrist pain about a month, I'm 20 weeks pregnant", "1 month"),
        ("I am 20 weeks pregnant and my wrist tingles", None),
    ],
)
def test_weeks_pregnant_is_not_how_long_the_problem_has_lasted(typed, stored):
    from bot.problem_fields import the_one_duration

    found = the_one_duration(typed)
    assert (found.display if found else None) == stored


@pytest.mark.parametrize(
    ("typed", "score"),
    [
        ("sleep is ok if I take two paracetamol", None),  # stored as pain 2/10 (blind test)
        ("about a 5, took two paracetamol this morning", 5),
        ("5 most days", 5),
    ],
)
def test_a_count_of_tablets_or_time_is_not_a_pain_score(typed, score):
    assert parse_pain_score(typed) == score


@pytest.mark.parametrize("typed", ["i dont no it", "I don't no", "dont now sorry", "idk"])
def test_dont_know_typed_as_no_is_a_decline(typed):
    """An older blind usability tester's "i dont no it" was refused as an NHS number."""
    assert is_declined(typed)


@pytest.mark.parametrize(
    ("said", "onset"),
    [
        ("it just come on", "gradual"),
        ("i never fell its just been getting worse", "gradual"),
        ("I fell and it has been getting worse", None),  # both: asked
        # a blind usability test: each was not understood, or read the wrong way
        ("rolled it", "injury"),
        ("he bent down to pick up a box of tiles at work and felt it go", "injury"),
        ("bit by bit, no actual injury", "gradual"),
    ],
)
def test_a_start_said_in_everyday_words_is_read(said, onset):
    """An older blind usability tester's "it just come on" was not understood."""
    from bot.problem_vocabulary import onset_answer

    assert onset_answer(said) == onset
