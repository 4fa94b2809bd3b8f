"""Issue 22: a tap on every button the bot offers in a full conversation, through the widget
and the real stack. Four conversations walk referrals to the end (several problems each, so
every body area is one referral) and between them choose each button of the referral path at
least once; after each tap the bot must move on (a new question, not the same one again, no
"did not understand"), and at the end every stored referral (read through the intake API)
must hold what its buttons meant. The buttons that leave the referral path (not consenting,
already being seen, a GP outside the area, pregnancy, a red flag, stopping) are tapped in a
second test, each checked by what the bot does next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import requests
import yaml
from playwright.sync_api import Page, expect

from scripts.layout import ROOT
from tests.browser.widget_driver import DESKTOP, Chat
from tests.support.buttons import buttons_of

WEB_CHAT = yaml.safe_load((ROOT / "content" / "web_chat.yml").read_text())
# Replies that mean a tap was not taken: the bot asks the same thing again.
NOT_TAKEN = re.compile(r"did not understand|please choose", re.I)

TYPED = [  # the questions answered by typing: (cue in the question, answer)
    ("date of birth", "2nd November 1981"),
    ("home address", "ws11 1db"),
    ("home postcode", "ws11 1db"),
    ("gp practice (surgery)", "Example Street Surgery"),
    ("how long have you had it", "about 3 months"),
    ("0 (no pain) to 10", "6"),
    ("daily life", "I struggle with stairs"),
    ("what is your job", "delivery driver"),
    ("what have you tried", "ibuprofen"),
    ("get back to doing", "football"),
    ("full name", "Sam Sample"),
    ("nhs number", "485 777 3457"),
    ("first line of your address", "12 Example Street"),
    ("phone number", "07700 900123, sam.sample@example.com"),  # the question invites both
]
# At the read-back, "Change something" then this button; the new answer (typed, or a button)
# and how the read-back and the stored referral show it.
CHANGES = {
    "Name": ("Samuel Sample", ("patient", "full_name", "Samuel Sample")),
    "Date of birth": ("3rd November 1981", ("patient", "date_of_birth", "1981-11-03")),
    "NHS number": ("tap:I don't know it", ("patient", "nhs_number", "not given")),
    "Address": ("14 Example Street", ("patient", "address_line1", "14 Example Street")),
    "Postcode": ("ST4 6QG", ("patient", "postcode", "ST4 6QG")),
    "GP practice": ("Aelfgar Surgery", ("eligibility", "gp_practice", "Aelfgar Surgery")),
    "Phone": ("07700 900456", ("patient", "phone", "07700 900456")),
    "Email": ("tap:No email", ("patient", "email", "not given")),
    "How it started": ("tap:Gradually, no injury", ("problem", "onset", "gradual")),
    "How long": ("5 weeks", ("problem", "duration", "5 weeks")),
    "Pain score": ("4", ("problem", "pain_score", "4")),
    "Work": ("tap:Student", ("problem", "work_status", "student")),
    "The problem": ("tap:Wrist or hand", ("problem", "body_area", "wrist_hand")),
    # the same answers as the plan's (its other referrals are checked against them)
    "Voicemail and texts": ("tap:Voicemail only", ("patient", "contact_permissions", "voicemail")),
    "Help to talk with us": ("tap:No help needed", ("patient", "communication_needs", "none")),
    # only for someone filling it in for another person (the last plan)
    "Who filled this in": ("Tom Example, son", ("patient", "completed_by", "Tom Example, son")),
    "Effect on daily life": (
        "I can't kneel down",
        ("problem", "daily_impact", "I can't kneel down"),
    ),
    "Treatments tried": ("a knee support", ("problem", "treatments_tried", "a knee support")),
    "Goals": ("walking to work", ("problem", "goals", "walking to work")),
}


def payload_value(payload: str) -> str:
    """`/inform{"side": "left"}` -> "left"; a plain payload ("both") is the value itself."""
    found = re.search(r':\s*"([^"]+)"\}$', payload)
    return found.group(1) if found else payload


# What each button of a question means, as the referral stores it (from content/responses.yml).
MEANING = {
    "body_area": {
        b["title"]: payload_value(b["payload"]) for b in buttons_of("utter_ask_body_area")
    },
    "side": {b["title"]: payload_value(b["payload"]) for b in buttons_of("utter_ask_side")},
    "onset": {b["title"]: payload_value(b["payload"]) for b in buttons_of("utter_ask_onset")},
    "work_status": {
        b["title"]: payload_value(b["payload"]) for b in buttons_of("utter_ask_work_status")
    },
    "contact_permissions": {
        b["title"]: payload_value(b["payload"]) for b in buttons_of("utter_ask_contact_permissions")
    },
}
SIDES = list(MEANING["side"])
ONSETS = list(MEANING["onset"])
WORK = list(MEANING["work_status"])


DEAF = "I'm deaf, please text me"


@dataclass
class Plan:
    """One conversation: the body area of each referral, the contact permission, the read-back
    changes made at the first read-back, and whether the NHS number and email are skipped."""

    bodies: list[str]
    contact: str
    changes: list[str] = field(default_factory=list)
    no_nhs_number: bool = False
    no_email: bool = False
    opening: str | None = None  # typed before anything is tapped


PLANS = [
    Plan(
        ["Back", "Neck", "Shoulder"],
        "Both are fine",
        ["Name", "Date of birth", "NHS number", "Treatments tried", "Goals"],
    ),
    Plan(
        ["Elbow", "Several areas"],
        "Voicemail only",
        [
            "Address",
            "Postcode",
            "GP practice",
            "Phone",
            "Voicemail and texts",
            "Help to talk with us",
        ],
        no_email=True,
    ),
    # A need stated first: quoted at "help to talk with us", whose button is "Nothing else".
    Plan(
        ["Hip", "Knee"],
        "Texts only",
        ["Email", "How it started", "How long", "Pain score", "Effect on daily life"],
        no_nhs_number=True,
        opening=DEAF,
    ),  # fmt: skip
    # "The problem" changes the first referral's "Knee" to "Wrist or hand".
    # Filled in for someone else: who is filling it in is asked ("I'd rather not say"), and
    # changed at the read-back.
    Plan(
        ["Knee", "Ankle or foot"],
        "Neither",
        ["Work", "Who filled this in", "The problem"],
        opening="I'm filling this in for my mum",
    ),
]


class Walk:
    """Taps and types through one conversation; counts every button offered and tapped."""

    def __init__(self, chat: Chat, offered: set[str], tapped: set[str]) -> None:
        self.chat, self.offered, self.tapped = chat, offered, tapped

    def bot_texts(self) -> list[str]:
        return self.chat.page.locator(".msg-bot .msg-text").all_text_contents()

    def act(self, reply: str, asked_again: bool = False) -> list[str]:
        """Tap ("tap:<title>") or type `reply` to the newest question; the bot's new messages,
        which must move on: something new, not the question again (unless `asked_again`: a
        need stated at the consent question gets its note, then consent again), not a
        re-ask."""
        self.offered.update(self.chat.reply_buttons())
        before = self.bot_texts()
        question = before[-1]
        if reply.startswith("tap:"):
            title = reply[4:]
            assert title in self.chat.reply_buttons(), (title, question)
            self.chat.tap(title)
            self.tapped.add(title)
        else:
            self.chat.say(reply)
        new = self.bot_texts()[len(before) :]
        assert new, f"no reply to {reply!r} at {question!r}"
        assert asked_again or new[-1] != question, f"{reply!r} not taken: {question!r} again"
        assert not asked_again or len(new) >= 2, (reply, new)  # the note, then the question
        assert not any(NOT_TAKEN.search(text) for text in new), (reply, question, new)
        self.offered.update(self.chat.reply_buttons())
        return new

    def question(self) -> str:
        return self.chat.last_bot_text().lower()

    def typed(self) -> str:
        question = self.question()
        for cue, answer in TYPED:
            if cue in question:
                return answer
        raise AssertionError(f"no answer for {question!r}")


def refer_by_buttons(walk: Walk, plan: Plan, counter: dict) -> list[tuple[str, dict]]:
    """Walk one conversation to its end; (reference, what its buttons meant) per referral."""
    page = walk.chat.page
    done: list[tuple[str, dict]] = []
    expected: dict = {}
    bodies = list(plan.bodies)
    changes = list(plan.changes)
    if plan.opening:
        walk.act(plan.opening, asked_again=True)
    for _ in range(160):
        question = walk.question()
        buttons = walk.chat.reply_buttons()
        if question.startswith("goodbye"):
            break
        if "please check your answers" in question:  # first: it quotes the questions
            if changes:
                change = changes.pop(0)
                walk.act("tap:Change something")
                assert "what would you like to change" in walk.question()
                answer, (part, key, value) = CHANGES[change]
                walk.act(f"tap:{change}")
                if change == "The problem":
                    walk.act(answer)  # the new body area, then its own questions
                    expected.update(body_area=value, side=None)
                    continue
                new = walk.act(answer)
                expected.setdefault("changed", []).append((part, key, value))
                if part == "problem":
                    expected[key] = value  # instead of the button tapped before
                assert "please check your answers" in new[-1].lower(), (change, new)
            else:
                walk.act("tap:Yes, send it")
                reference = page.locator(".referral-ref").last.text_content() or ""
                done.append((reference, expected))
                expected = {
                    key: value for key, value in expected.items() if key in ("nhs_number", "email")
                }
        elif "could not find" in question:  # the practice typed is not in the list
            walk.act("tap:Keep what I typed")
        elif "want to carry on" in question:
            walk.act("tap:Yes, carry on")
        elif "already being seen" in question:
            walk.act("tap:No")
        elif "where is the problem" in question:
            body = bodies.pop(0)
            walk.act(f"tap:{body}")
            expected["body_area"] = MEANING["body_area"][body]
            expected["side"] = None
        elif "which side" in question:
            side = SIDES[counter["side"] % len(SIDES)]
            counter["side"] += 1
            walk.act(f"tap:{side}")
            expected["side"] = MEANING["side"][side]
        elif "linked to being pregnant" in question:
            walk.act("tap:No")
            expected["pregnancy"] = False
        elif "how did it start" in question:
            onset = ONSETS[counter["onset"] % len(ONSETS)]
            counter["onset"] += 1
            walk.act(f"tap:{onset}")
            expected["onset"] = MEANING["onset"][onset]
        elif question.startswith("what about work"):
            work = WORK[counter["work"] % len(WORK)]
            counter["work"] += 1
            walk.act(f"tap:{work}")
            expected["work_status"] = MEANING["work_status"][work]
        elif "nhs number" in question and plan.no_nhs_number:
            walk.act("tap:I don't know it")
            expected["nhs_number"] = "not given"
        elif "phone number" in question and plan.no_email:
            walk.act("07700 900123")  # no email with it: not given, and not asked apart
            expected["email"] = "not given"
        elif "voicemail, or send you text" in question:
            walk.act(f"tap:{plan.contact}")
        elif "help to talk with us" in question:
            stated = "Nothing else" in buttons  # the need told first is quoted
            walk.act("tap:Nothing else" if stated else "tap:No help needed")
        elif "filling this in for someone else" in question:
            walk.act("tap:I'd rather not say")
        elif "different muscle, bone or joint problem" in question:
            walk.act("tap:Yes, another problem" if bodies else "tap:No, that's all")
        elif buttons == ["Yes", "No"]:  # a red-flag screening question: none here
            walk.act("tap:No")
        else:
            walk.act(walk.typed())
    else:
        raise AssertionError(f"too many turns; last question: {walk.question()!r}")
    return done


def stored_referral(stack, reference: str) -> dict:
    response = requests.get(
        stack.url("WEB_PORT", f"/api/v1/referrals/{reference}"),
        headers={"Authorization": f"Bearer {stack.token}"},
        timeout=10,
    )
    assert response.status_code == 200, reference
    return response.json()["referral"]


def test_every_button_of_a_full_referral_is_taken_and_stored_as_it_means(new_page, web, stack):
    offered: set[str] = set()
    tapped: set[str] = set()
    counter = {"side": 0, "onset": 0, "work": 0}
    found: list[str] = []
    stored: set[tuple[str, str]] = set()
    for plan in PLANS:
        page = new_page(DESKTOP)
        page.goto(web("/"))
        chat = Chat(page)
        chat.open()
        walk = Walk(chat, offered, tapped)
        referrals = refer_by_buttons(walk, plan, counter)
        assert len(referrals) == len(plan.bodies), plan
        # The chat ended: the end message is the content's words (content/web_chat.yml).
        end = page.locator(".msg-end p").all_text_contents()
        assert end == [line.replace("{minutes}", "15") for line in WEB_CHAT["end_of_chat"]]

        for reference, expected in referrals:
            referral = stored_referral(stack, reference)
            problem, patient = referral["problem"], referral["patient"]
            stored.update(
                (key, problem[key]) for key in ("body_area", "side", "onset", "work_status")
            )
            stored.add(("contact_permissions", patient["contact_permissions"]))
            for key in ("body_area", "side", "onset", "work_status"):
                if key in expected and problem[key] != expected[key]:
                    found.append(f"{reference} {key}: {problem[key]!r} != {expected[key]!r}")
            contact = MEANING["contact_permissions"][plan.contact]
            if patient["contact_permissions"] != contact:
                found.append(f"{reference} contact: {patient['contact_permissions']!r}")
            for key in ("nhs_number", "email"):
                if key in expected and patient[key] != expected[key]:
                    found.append(f"{reference} {key}: {patient[key]!r}")
            needs = f"said earlier: {plan.opening}" if plan.opening == DEAF else "none"
            if patient["communication_needs"] != needs:
                found.append(f"{reference} communication needs: {patient['communication_needs']}")
            if "pregnancy" in expected and referral["eligibility"]["pregnancy_pelvic_pain"]:
                found.append(f"{reference} pregnancy_pelvic_pain is not false")
            for part, key, value in expected.get("changed", []):
                if referral[part][key] != value:
                    found.append(f"{reference} {part}.{key}: {referral[part][key]!r} != {value!r}")
    assert found == []
    # Each option of these questions is stored by at least one referral.
    meant = {(key, value) for key, options in MEANING.items() for value in options.values()}
    assert meant - stored == set()

    # Every button of the referral path was tapped at least once: each body area, side, way it
    # started, work status, contact permission, every change, and the skips.
    leaving = {"No", "Yes", "Yes, stop", "No, carry on"}  # tapped in the test below too
    assert offered - tapped - leaving == set(), offered - tapped
    every = {b["title"] for name in BUTTONED for b in buttons_of(name)}
    assert every - tapped - leaving == set(), every - tapped


# The responses whose buttons a full referral offers (content/responses.yml).
BUTTONED = [
    "utter_ask_consent",
    "utter_gp_practice_not_found",
    "utter_ask_already_under_service",
    "utter_ask_body_area",
    "utter_ask_side",
    "utter_ask_pregnancy_pelvic_pain",
    "utter_ask_onset",
    "utter_ask_work_status",
    "utter_ask_nhs_number",
    "utter_ask_email",
    "utter_ask_contact_permissions",
    "utter_ask_communication_needs",
    "utter_ask_communication_needs_stated",
    "utter_ask_completed_by",
    "utter_referral_summary",
    "utter_ask_what_to_change",
    "utter_ask_another_problem",
]


def start(page: Page, web) -> Walk:
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    return Walk(chat, set(), set())


def test_the_buttons_that_leave_the_referral_path_move_the_chat_on(new_page, web):
    """Each yes/no that leaves the routine referral, tapped: the bot says what happens
    instead, and never asks the same question again."""
    page = new_page(DESKTOP)
    walk = start(page, web)
    # Not consenting: nothing is sent; "hello" starts again.
    new = walk.act("tap:No")
    assert "Nothing has been sent" in new[-1]
    walk.act("hello")
    walk.act("tap:Yes, carry on")
    walk.act("2nd November 1981")
    # A postcode outside the area: the practice, then is it in the area? Yes goes on.
    walk.act("SW1A 1AA")
    assert "gp practice (surgery)" in walk.question()
    new = walk.act("Example Street Surgery")
    assert 'could not find "Example Street Surgery"' in new[-1]  # not in the list: kept
    new = walk.act("tap:Keep what I typed")
    assert "whose GP practice is in Staffordshire" in new[-1]
    walk.act("tap:Yes")
    # Already being seen: sent to the team who see them.
    assert "already being seen" in walk.question()
    new = walk.act("tap:Yes")
    assert "contact the team who are looking after you" in new[-1]

    # A GP practice outside the area: not this service.
    walk = start(new_page(DESKTOP), web)
    for reply in ("tap:Yes, carry on", "2nd November 1981", "SW1A 1AA", "Example Street Surgery"):
        walk.act(reply)
    walk.act("tap:Keep what I typed")
    new = walk.act("tap:No")
    assert "registered with a GP practice in Staffordshire or Stoke-on-Trent" in new[-1]

    # Back pain linked to pregnancy: the pelvic health team.
    walk = start(new_page(DESKTOP), web)
    for reply in ("tap:Yes, carry on", "2nd November 1981", "ws11 1db", "Aelfgar Surgery"):
        walk.act(reply)
    walk.act("tap:No")
    walk.act("tap:Back")
    new = walk.act("tap:Yes")
    assert "pelvic health team" in new[-1]

    # "Yes" to a screening question: the escalation, its banner in the content's words.
    page = new_page(DESKTOP)
    walk = start(page, web)
    for reply in ("tap:Yes, carry on", "2nd November 1981", "ws11 1db", "Aelfgar Surgery"):
        walk.act(reply)
    for reply in ("tap:No", "tap:Knee", "tap:Left", "tap:After an injury or accident"):
        walk.act(reply)
    while walk.chat.reply_buttons() != ["Yes", "No"]:
        walk.act(walk.typed() if not walk.chat.reply_buttons() else "tap:I'm in work")
    new = walk.act("tap:Yes")  # yes to the knee's list: its questions one at a time
    assert "one at a time" in " ".join(new)
    walk.act("tap:Yes")  # yes to the first of them
    banner = page.get_by_role("alert")
    expect(banner).to_be_visible()
    level = banner.get_attribute("data-level")
    words = WEB_CHAT["escalation_banner"][level]
    expect(banner.locator(".banner-title")).to_have_text(words["title"])
    expect(banner.locator(".banner-body p")).to_have_text(words["text"])


def to_already_being_seen(page: Page, web) -> Walk:
    walk = start(page, web)
    for reply in ("tap:Yes, carry on", "2nd November 1981", "ws11 1db", "Aelfgar Surgery"):
        walk.act(reply)
    assert "already being seen" in walk.question()
    return walk


# Once, "No, carry on" (/deny) was taken as the answer No to the open question.
def test_no_carry_on_after_stop_asks_the_question_again(new_page, web):
    walk = to_already_being_seen(new_page(DESKTOP), web)
    walk.act("stop")
    assert "do you want to stop" in walk.question()
    new = walk.act("tap:No, carry on")
    assert "already being seen" in new[-1].lower()


# Once, "Yes, stop" was followed by "Sorry, I did not understand that".
def test_yes_stop_ends_the_chat_without_a_did_not_understand(new_page, web):
    page = new_page(DESKTOP)
    walk = to_already_being_seen(page, web)
    walk.act("stop")
    try:
        new = walk.act("tap:Yes, stop")
    finally:  # whatever else it says: it stopped, nothing was sent, the chat ended
        assert "I have stopped" in walk.chat.log_text()
        expect(page.locator(".msg-end")).to_be_visible()
    assert "I have stopped" in " ".join(new)
