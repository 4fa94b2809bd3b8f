"""What a patient types for name, date of birth and postcode is read as a receptionist would."""

from datetime import date

import pytest

from bot.referral_fields import (
    age_on,
    clean_full_name,
    first_address_line,
    format_date_for_patient,
    normalise_postcode,
    parse_date_of_birth,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("st4 6qg", "ST4 6QG"),
        ("ST46QG", "ST4 6QG"),
        ("  ws11   1db ", "WS11 1DB"),
        ("my postcode is de14 2wa", "DE14 2WA"),
        ("B79 7DN", "B79 7DN"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
    ],
)
def test_uk_postcodes_are_normalised_to_upper_case_with_one_space(typed, expected):
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize("typed", ["", "hello", "ST4", "12345", "ST4 6Q", "QQQ 1AA"])
def test_text_that_is_not_a_postcode_is_refused(typed):
    assert normalise_postcode(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("14/03/1980", date(1980, 3, 14)),
        ("14-3-1980", date(1980, 3, 14)),
        ("14.03.80", date(1980, 3, 14)),
        ("1 April 1975", date(1975, 4, 1)),
        ("3rd of June 1962", date(1962, 6, 3)),
        ("born 5 May 1949", date(1949, 5, 5)),
        ("born on the 1st of May 1955", date(1955, 5, 1)),
        ("the 3rd of March 1991", date(1991, 3, 3)),
        ("1991/03/03", date(1991, 3, 3)),
        ("its 3/3/91", date(1991, 3, 3)),
        ("3/3/1991.", date(1991, 3, 3)),
        ("03/03/1991, postcode ST4 6QG", date(1991, 3, 3)),
        ("I was born 3rd March 1991 and live in Leek", date(1991, 3, 3)),
        ("June 3 1962", date(1962, 6, 3)),
        ("1980-03-14", date(1980, 3, 14)),
        ("02/11/10", date(2010, 11, 2)),
        ("02/11/45", date(1945, 11, 2)),
    ],
)
def test_british_dates_of_birth_are_read_day_first(typed, expected):
    assert parse_date_of_birth(typed, TODAY).value == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("8th of the 4th 1966", date(1966, 4, 8)),
        ("5 febuary 1982", date(1982, 2, 5)),
        ("3rd Septmber 1975", date(1975, 9, 3)),
        ("born on the 2nd of feburary 1960", date(1960, 2, 2)),
    ],
)
def test_a_misspelt_month_and_the_nth_of_the_nth_are_read(typed, expected):
    """A blind usability test's "8th of the 4th 1966" and "5 febuary 1982" were refused."""
    assert parse_date_of_birth(typed, TODAY).value == expected


@pytest.mark.parametrize(
    "typed",
    ["yesterday", "31/02/1980", "14/13/1980", "1980", "03/1980", "3/3/91 or 4/4/92", "I am 45"],
)
def test_unreadable_dates_are_refused_with_a_reason(typed):
    result = parse_date_of_birth(typed, TODAY)
    assert result.value is None and result.problem == "unreadable"


def test_a_date_of_birth_in_the_future_is_refused_as_future():
    result = parse_date_of_birth("01/01/2030", TODAY)
    assert result.value is None and result.problem == "future"


def test_age_counts_whole_years_and_turns_over_on_the_birthday():
    assert age_on(date(2010, 11, 22), TODAY) == 16
    assert age_on(date(2010, 11, 23), TODAY) == 15


def test_dates_are_read_back_in_words():
    assert format_date_for_patient(date(1980, 3, 4)) == "4 March 1980"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Alex Example", "Alex Example"),
        ("my name is Sam   Sample", "Sam Sample"),
        ("Mary-Jane O'Placeholder", "Mary-Jane O'Placeholder"),
        ("Zoë Ålund", "Zoë Ålund"),
        ("Dr. J. R. Example", "Dr. J. R. Example"),
        # a relative typing for the patient (once stored as "his name is Dan Notreal")
        ("his name is Dan Notreal", "Dan Notreal"),
        ("her full name is Jo Example", "Jo Example"),
        ("she's called Pat Specimen", "Pat Specimen"),
    ],
)
def test_full_names_are_tidied(typed, expected):
    assert clean_full_name(typed) == expected


@pytest.mark.parametrize("typed", ["Alex", "", "12345 678", "<script>alert(1)</script> x"])
def test_single_words_and_non_names_are_refused(typed):
    assert clean_full_name(typed) is None


@pytest.mark.parametrize(
    ("typed", "line"),
    [
        ("12 Example Street, Cannock, WS11 1DB", "12 Example Street"),
        ("my address is 4 Sample Lane, Leek ST13 5AB", "4 Sample Lane"),
        ("Flat 2, 14 Test Road, Stone, st15 8aa", "Flat 2, 14 Test Road"),
        ("Example Cottage, Mill Lane, Cheddleton ST13 7HL", "Example Cottage, Mill Lane"),
        ("12 example rd ws111db", "12 example rd"),
        ("i live at 7b Test Avenue", "7b Test Avenue"),
        ("12 Example Street, Cannock", "12 Example Street"),
        ("12 Example Street, Cannock, Staffordshire, WS11 1DB", "12 Example Street"),
    ],
)
def test_the_first_line_of_an_address_typed_whole_is_read(typed, line):
    assert first_address_line(typed) == line


@pytest.mark.parametrize(
    "typed",
    [
        "WS11 1DB",
        "my postcode is ws11 1db",
        "Cannock WS11 1DB",  # a town is not a first line
        "03/03/1991, ST4 6QG",  # the date of birth with the postcode
        "I live in Cannock",
        "about 3 months",
        "2 weeks on the road",  # a number and a street word, but a time
        "Example Cottage, Cheddleton",  # no postcode: only a numbered street is taken
        "the one near the park",
    ],
)
def test_a_postcode_a_town_a_date_or_other_words_give_no_first_line(typed):
    assert first_address_line(typed) is None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("it's 3 Specimen Terrace", "3 Specimen Terrace"),
        ("my address is 12 Example Street", "12 Example Street"),
        ("I live at Flat 2, 7 Sample Court", "Flat 2, 7 Sample Court"),
        ("12 Example Street", "12 Example Street"),
    ],
)
def test_the_first_line_asked_alone_is_stored_without_its_lead_in(typed, stored):
    from bot.dialogue.answers import address_line

    assert address_line(typed) == stored


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Chris Sample, as I said at the start", "Chris Sample"),
        ("Pat Example (told you at the start!)", "Pat Example"),
        ("my name is Jo Specimen, thanks", "Jo Specimen"),
        # a complaint first (stored as "I can't use the" in a blind usability test)
        ("I told you I can't use the phone! Name is Jo Testperson", "Jo Testperson"),
        ("sorry, I was typing. My full name is Sam Example", "Sam Example"),
        ("edna testperson. mrs", "edna testperson"),
        ("Alex Testperson, don't know my NHS number, phone 07700 900606", "Alex Testperson"),
        # a blind usability test: stored whole, or with "just"; not understood at the read-back
        ("Her name is Margaret Testwell. I'm her daughter Susan", "Margaret Testwell"),
        ("her name is just Margaret Testwell", "Margaret Testwell"),
        ("The name is still wrong. Her name is Margaret Testwell", "Margaret Testwell"),
        ("name is Sam Sample", "Sam Sample"),
        ("Mary St. John", "Mary St. John"),
    ],
)
def test_a_name_with_words_after_it_is_the_name(typed, name):
    assert clean_full_name(typed) == name


@pytest.mark.parametrize("typed", ["Sample, Chris", "as I said at the start, Chris"])
def test_words_that_do_not_start_with_a_whole_name_are_still_refused(typed):
    assert clean_full_name(typed) is None
