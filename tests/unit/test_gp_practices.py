"""Which GP practice a patient's words name: an ODS code, the name however typed, or a hint by
street, place or postcode; never a guess when the words fit several or none."""

from __future__ import annotations

import asyncio
import csv

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot import gp_practices
from bot.actions.asking import AskGpPractice
from bot.actions.referral_form import NOT_GIVEN, ValidateReferralForm
from bot.actions.submission import build_referral
from bot.content_store import load
from tests.conftest import make_tracker

RESPONSES = load("responses")["responses"]


def named(text: str) -> str | None:
    practice = gp_practices.find(text)
    return practice.ods_code if practice else None


def forget_practices_read() -> None:
    """Empty the per-process caches, so the next call reads GP_PRACTICES_FILE again."""
    for cached in (gp_practices.practices, gp_practices._index, gp_practices._vocabulary):
        cached.cache_clear()
    gp_practices._known.cache_clear()


def test_the_snapshot_holds_the_icbs_practices_and_says_which_it_is():
    assert len(gp_practices.practices()) == 144
    assert gp_practices.snapshot() == "gp_practices_qnc.csv: 144 GP practices"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("M83059", "M83059"),  # an ODS code
        ("it's m83107", "M83107"),
        ("Abbots Bromley Surgery", "M83059"),
        ("abbots bromley", "M83059"),
        ("the aldewood practice", "M83107"),  # one slip
        ("Aelfgar", "M83738"),
        ("the surgery on Church Street in Rugeley", "M83738"),  # a street and a place
        ("the one at WS15 3BT", "M83059"),  # the practice's postcode
        ("the surgery by the river in Tamworth", "M83111"),  # a word Riverside begins with
    ],
)
def test_a_practice_named_by_code_name_or_street_and_place_is_found(text, code):
    assert named(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "Example Street Surgery",  # not in the area
        "my gp is in cannock",  # a town with many practices
        "rugeley",
        "Dr Smith",
        "don't know",
        "Z99999",  # a code no practice has
    ],
)
def test_words_that_fit_several_practices_or_none_name_none(text):
    assert named(text) is None


def test_two_words_of_a_practice_name_typed_as_one_find_that_practice():
    """ "peelcroft" for Peel Croft was not found (a blind usability test): every practice
    whose name has two neighbouring distinctive words is found, or offered, from them run
    together."""
    tried = 0
    for practice in gp_practices.practices():
        for joined in gp_practices._run_together(practice.name):
            tried += 1
            found = gp_practices.find(f"my surgery is {joined}")
            offered = [p.ods_code for p in gp_practices.candidates(joined)]
            assert (found and found.ods_code == practice.ods_code) or (
                practice.ods_code in offered
            ), (practice.name, joined)
    assert tried >= 20


def test_the_current_ods_epraccur_report_can_replace_the_snapshot(tmp_path, monkeypatch):
    """27 unnamed columns; only active (A) GP practices (setting 4) of the ICB (QNC) kept."""
    rows = [
        ["M99901", "NEW PRACTICE SURGERY", "", "QNC", "1 HIGH STREET", "", "LEEK", "STAFFS", "",
         "ST13 5AA", "", "", "A", "", "", "", "", "", "", "", "", "", "", "", "", "4", ""],
        ["M99902", "CLOSED SURGERY", "", "QNC", "2 LOW STREET", "", "LEEK", "", "",
         "ST13 5AB", "", "", "C", "", "", "", "", "", "", "", "", "", "", "", "", "4", ""],
        ["M99903", "ELSEWHERE SURGERY", "", "QWU", "3 MID STREET", "", "DERBY", "", "",
         "DE1 1AA", "", "", "A", "", "", "", "", "", "", "", "", "", "", "", "", "4", ""],
    ]  # fmt: skip
    path = tmp_path / "epraccur.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    monkeypatch.setenv("GP_PRACTICES_FILE", str(path))
    forget_practices_read()
    try:
        assert [p.ods_code for p in gp_practices.practices()] == ["M99901"]
        assert gp_practices.practices()[0].name == "New Practice Surgery"
        assert gp_practices.snapshot() == "epraccur.csv: 1 GP practices"
        assert named("it's M99901") == "M99901" and named("M99902") is None
    finally:
        monkeypatch.delenv("GP_PRACTICES_FILE")
        forget_practices_read()


def validate_gp(text: str, typed: str | None = None) -> tuple[dict, list[dict]]:
    slots = {"date_of_birth": "1980-03-14", "postcode": "ST4 6QG", "requested_slot": "gp_practice"}
    slots["gp_practice_typed"] = typed
    dispatcher = CollectingDispatcher()
    form = ValidateReferralForm()
    result = form.validate_gp_practice(text, dispatcher, make_tracker(slots, text), {})
    return result, dispatcher.messages


def test_a_practice_found_is_stored_by_its_name_and_ods_code_and_said_back_in_one_line():
    # found by its street and town, not its name: offered to confirm first
    slots, said = validate_gp("the surgery on Church Street in Rugeley")
    assert slots == {
        "gp_practice": None,
        "gp_practice_typed": "the surgery on Church Street in Rugeley",
    }
    assert said == []
    slots, said = validate_gp("M83738", typed="the surgery on Church Street in Rugeley")
    assert slots == {
        "gp_practice": "Aelfgar Surgery",
        "gp_ods_code": "M83738",
        "gp_practice_typed": None,
    }
    assert said == [
        {**said[0], "response": "utter_gp_practice_found", "practice": "Aelfgar Surgery",
         "place": "Rugeley"}
    ]  # fmt: skip


def test_a_practice_not_found_is_asked_once_more_then_kept_in_the_patients_words():
    first = validate_gp("Example Street Surgery")
    assert first == ({"gp_practice": None, "gp_practice_typed": "Example Street Surgery"}, [])
    assert offer("Example Street Surgery") == [
        {"response": "utter_gp_practice_not_found", "typed": "Example Street Surgery"}
    ]
    # the second answer, when it is not in the list either, is kept with the first, no code
    assert validate_gp("Sample Road Medical Centre", typed="Example Street Surgery")[0] == {
        "gp_practice": "Example Street Surgery, Sample Road Medical Centre",
        "gp_ods_code": None,
        "gp_practice_typed": None,
    }
    assert validate_gp("I don't know")[0]["gp_practice"] == NOT_GIVEN


KEEP = {"gp_practice": "Example Street Surgery", "gp_ods_code": None, "gp_practice_typed": None}


@pytest.mark.parametrize(
    "answer",
    [
        '/inform{"gp_practice": "none of these"}',
        "Keep what I typed",
        "keep it",
        "yes",
        "no",
        "That’s right.",
    ],
)
def test_keep_what_i_typed_a_bare_yes_or_no_keep_the_first_answer(answer):
    """The button, its words typed, or a bare yes or no (never a practice called "no")."""
    assert validate_gp(answer, typed="Example Street Surgery")[0] == KEEP


@pytest.mark.parametrize("answer", ["no, it's Aelfgar Surgery", "Aelfgar surgery in Rugeley"])
def test_a_practice_found_at_the_second_try_is_stored_with_its_code(answer):
    slots, said = validate_gp(answer, typed="Example Street Surgery")
    assert slots["gp_ods_code"] == "M83738" and slots["gp_practice_typed"] is None
    assert said[0]["response"] == "utter_gp_practice_found"


def test_declining_at_the_second_try_stores_no_practice():
    assert validate_gp("I don't know it", typed="Example Street Surgery")[0] == {
        "gp_practice": NOT_GIVEN,
        "gp_ods_code": None,
        "gp_practice_typed": None,
    }


def test_the_referral_carries_the_ods_code_for_the_fhir_export():
    slots = {"gp_practice": "Aelfgar Surgery", "gp_ods_code": "M83738"}
    eligibility = build_referral(make_tracker(slots), "MIS-TEST-0001")["eligibility"]
    assert eligibility["gp_ods_code"] == "M83738"


@pytest.mark.parametrize(
    "text", ["the health centre in Hanley", "my surgery is in Stone", "hanley health centre"]
)
def test_words_that_fit_two_or_three_practices_offer_them_as_buttons(text):
    offered = gp_practices.candidates(text)
    assert 2 <= len(offered) <= 3
    slots, said = validate_gp(text)
    assert slots == {"gp_practice": None, "gp_practice_typed": text}  # asked by action_ask_
    assert said == []
    buttons = offer(text)
    assert [b["payload"] for b in buttons[:-1]] == [
        f'/inform{{"gp_practice": "{p.ods_code}"}}' for p in offered
    ]
    assert buttons[-1] == {
        "title": "None of these",
        "payload": '/inform{"gp_practice": "none of these"}',
    }


@pytest.mark.parametrize("text", ["Cannock", "the surgery in Rugeley", "Example Street Surgery"])
def test_words_that_fit_many_practices_or_none_offer_no_buttons(text):
    assert gp_practices.candidates(text) == []


def test_a_practice_outside_the_town_named_is_never_taken_for_a_word_of_its_name():
    # "river" names Dove River (Derbyshire) and begins Riverside (Tamworth): with Tamworth
    # named, Riverside; with no town, both are offered; Dove River is never stored unasked
    assert named("the one by the river, Tamworth") == "M83111"
    assert named("by the river") is None
    assert {p.ods_code for p in gp_practices.candidates("by the river")} == {"C81018", "M83111"}
    assert named("the practice by the river in Rugeley") is None  # no river practice there


def test_a_practice_tapped_from_the_offer_is_stored_with_its_code():
    [first, *_] = gp_practices.candidates("my surgery is in Stone")
    tapped = f'/inform{{"gp_practice": "{first.ods_code}"}}'
    slots, said = validate_gp(tapped, typed="my surgery is in Stone")
    assert slots["gp_ods_code"] == first.ods_code and slots["gp_practice"] == first.name
    assert said[0]["response"] == "utter_gp_practice_found"


def test_none_of_these_keeps_what_was_typed_without_a_code():
    slots, _ = validate_gp('/inform{"gp_practice": "none of these"}', typed="surgery in Stone")
    assert slots == {
        "gp_practice": "surgery in Stone",
        "gp_ods_code": None,
        "gp_practice_typed": None,
    }


def test_a_second_answer_that_still_fits_several_is_kept_as_typed_not_offered_again():
    slots, _ = validate_gp("the one in Stone town", typed="my surgery is in Stone")
    assert slots == {
        "gp_practice": "my surgery is in Stone, the one in Stone town",
        "gp_ods_code": None,
        "gp_practice_typed": None,
    }


def offer(typed: str | None) -> list[dict]:
    """What action_ask_gp_practice sends: the buttons of its one message."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"gp_practice_typed": typed})
    asyncio.run(AskGpPractice().run(dispatcher, tracker, {"responses": RESPONSES}))
    [message] = dispatcher.messages
    if message.get("buttons") and not message.get("response"):
        return message["buttons"]
    said = {"typed": message["typed"]} if "typed" in message else {}
    return [{"response": message.get("response"), **said}]


def test_the_question_is_asked_plainly_when_nothing_was_offered():
    assert offer(None) == [{"response": "utter_ask_gp_practice"}]


def test_a_whole_name_given_wins_over_a_shorter_name_in_the_same_town():
    assert named("Biddulph Valley Surgery") == "M83046"  # not Biddulph Doctors (M83089)
    assert named("biddulph") is None  # the town alone names neither of its practices
    # every word of a name, common words and a slip included
    assert named("Leek Heallth Centre") == "M83012"
    assert named("high street surgery") == "M83016"


def test_the_town_given_at_the_second_try_is_kept_with_the_name_given_first():
    """The re-ask invites the street or town: a town alone must not replace the name."""
    slots, _ = validate_gp("Stone", typed="Dr Example's surgery")
    assert slots["gp_practice"] == "Dr Example's surgery, Stone"


def test_the_second_try_is_read_with_the_first_to_find_the_practice():
    """A blind usability tester typed "biddulph", then "the valley one" at "Did you mean
    ...?": it was kept as typed, not found."""
    slots, _ = validate_gp("the valley one", typed="biddulph")
    assert (slots["gp_practice"], slots["gp_ods_code"]) == ("Biddulph Valley Surgery", "M83046")


def test_a_practice_named_after_not_sure_of_its_name_is_found_not_declined():
    slots, _ = validate_gp("not sure of the name, it's the medical centre in Kidsgrove")
    assert (slots["gp_practice"], slots["gp_ods_code"]) == ("Kidsgrove Medical Centre", "M83023")


@pytest.mark.parametrize("answer", ["please", "no idea", "no gp", "please stop", "no, stop"])
def test_words_that_only_look_like_a_yes_or_no_do_not_keep_the_practice(answer):
    assert not gp_practices.keeps_as_typed(answer)


def test_a_town_with_three_practices_offers_all_three():
    """A tester typed "leek" alone and was told it could not be found (a fourth practice is on
    Leek New Road, in Stoke-on-Trent: the town is where a practice is, not a street name)."""
    buttons = offer("leek")
    assert len(buttons) == 4 and buttons[-1]["title"] == "None of these"
    assert all(b["title"].endswith(", Leek") for b in buttons[:-1])


def test_a_town_with_many_practices_asks_for_the_name_or_street_not_not_found():
    assert gp_practices.town_with_many("the one in cannock") == ("Cannock", 13)
    [message] = offer("the one in cannock")
    assert message["response"] == "utter_gp_practice_which_in_town"
    assert gp_practices.town_with_many("Example Street Surgery") is None
    assert gp_practices.town_with_many("my surgery is in Cannock") == ("Cannock", 13)
    # a name not in the list, with the town: "could not find" that name (the chatty
    # scripted patient of make eval)
    assert gp_practices.town_with_many("the Example Medical Practice in Stafford") is None
