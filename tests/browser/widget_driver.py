"""The chat widget driven the way a patient would, for the browser tests: the Chat helper, a
simulated patient who answers every question, and checks shared by the test modules."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from scripts.layout import ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"
REPLY_TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


class Chat:
    """The widget on a page, driven the way a patient would."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.input = page.get_by_label("Type your answer")

    def open(self) -> None:
        self.page.get_by_role(
            "button", name=re.compile("Refer yourself|Continue your chat")
        ).click()
        self.wait_for_reply()

    def wait_for_reply(self) -> None:
        expect(self.page.locator(".typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
        self.page.wait_for_function(
            "() => { const w = document.querySelector('msk-chat-widget'); return w && !w.busy; }",
            timeout=REPLY_TIMEOUT_MS,
        )

    def say(self, text: str) -> None:
        sent = self.page.locator(".msg-user").count()
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.page.locator(".msg-user")).to_have_count(sent + 1)
        self.wait_for_reply()

    def reply_buttons(self) -> list[str]:
        return self.page.locator(".replies .reply").all_text_contents()

    def tap(self, title: str) -> None:
        sent = self.page.locator(".msg-user").count()
        self.page.locator(".replies .reply").filter(
            has_text=re.compile(f"^{re.escape(title)}$")
        ).click()
        expect(self.page.locator(".msg-user")).to_have_count(sent + 1)
        self.wait_for_reply()

    def last_bot_text(self) -> str:
        return self.page.locator(".msg-bot .msg-text").last.text_content() or ""

    def log_text(self) -> str:
        return self.page.locator(".log").inner_text()


def serious_violations(page: Page) -> list[dict]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# A simulated patient: the first cue found in the bot's last message picks the answer; "Yes"
# and "No" are tapped when the bot offers them as buttons, everything else is typed.
PATIENT_ANSWERS = [
    ("please check your answers", "Yes"),  # first: the summary quotes the other questions
    ("want to carry on", "Yes, carry on"),
    ("date of birth", "2nd November 1971"),
    ("home address", "ws11 1db"),
    ("home postcode", "ws11 1db"),
    ("gp practice (surgery)", "Example Street Surgery"),
    ("could not find", "Keep what I typed"),  # the practice is not in the list
    ("already being seen", "No"),
    ("where is the problem", "my knee"),
    ("which side", "the right one"),
    ("how did it start", "I twisted it playing football"),
    ("how long have you had it", "about 3 months"),
    ("0 (no pain) to 10", "six out of ten"),
    ("daily life", "I struggle with stairs and it wakes me at night"),
    ("what about work", "I'm in work"),
    ("what is your job", "delivery driver"),
    ("what have you tried", "ibuprofen and some exercises off the internet"),
    ("get back to doing", "playing football with my son"),
    ("full name", "Sam Sample"),
    ("nhs number", "485 777 3457"),
    ("first line of your address", "12 Example Street"),
    ("phone number", "07700 900123, sam.sample@example.com"),
    ("email address", "sam.sample@example.com"),
    ("voicemail, or send you text", "both are fine"),
    ("help to talk with us", "No"),
]
MAX_PATIENT_TURNS = 40


def answer(chat: Chat) -> None:
    question = chat.last_bot_text().lower()
    buttons = chat.reply_buttons()
    for cue, reply in PATIENT_ANSWERS:
        if cue in question:
            if reply in buttons:
                chat.tap(reply)
            else:
                chat.say(reply)
            return
    if "No" in buttons:  # a red-flag screening question: this patient has none
        chat.tap("No")
        return
    raise AssertionError(f"the simulated patient has no answer for: {question!r}")


def focused_is_newest_message(page: Page) -> bool:
    return page.evaluate(
        """() => {
            const root = document.querySelector("msk-chat-widget").shadowRoot;
            const bots = root.querySelectorAll(".msg-bot");
            return root.activeElement === bots[bots.length - 1];
        }"""
    )


def newest_message_in_view(page: Page) -> bool:
    """The newest bot message is inside the visible part of the log."""
    return page.evaluate(
        """() => {
            const root = document.querySelector("msk-chat-widget").shadowRoot;
            const log = root.querySelector(".log").getBoundingClientRect();
            const bots = root.querySelectorAll(".msg-bot");
            const last = bots[bots.length - 1].getBoundingClientRect();
            return last.top >= log.top - 1 && last.top < log.bottom;
        }"""
    )


# What axe must find nothing against on each new state of issue 22, of any impact.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def wcag_violations(page: Page) -> list[dict]:
    """Every axe violation of WCAG 2.2 A and AA, whatever its impact."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
    ]


# The simulated patient's details (PATIENT_ANSWERS) as they are typed or read back: none may be
# left on a cleared screen or in the tab's storage.
PATIENT_DETAILS = [
    "Sam Sample",
    "485 777 3457",
    "4857773457",
    "12 Example Street",
    "WS11 1DB",
    "2nd November 1971",
    "02/11/1971",
    "2 November 1971",
    "07700 900123",
    "sam.sample@example.com",
]


def refer(chat: Chat) -> str:
    """The simulated patient answers until the referral's reference shows; the reference."""
    for _ in range(MAX_PATIENT_TURNS):
        if chat.page.locator(".msg-referral").count():
            return chat.page.locator(".referral-ref").text_content() or ""
        answer(chat)
    raise AssertionError(f"too many turns; last question: {chat.last_bot_text()}")


def widget_text(page: Page) -> str:
    """All the text in the page and in the widget's shadow root, hidden parts too."""
    return page.evaluate(
        """() => {
            const widget = document.querySelector("msk-chat-widget");
            return document.body.textContent + " " + (widget ? widget.shadowRoot.textContent : "");
        }"""
    )


def stored(page: Page) -> str:
    """Everything in the tab's sessionStorage and localStorage, as one string."""
    return page.evaluate(
        "JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)])"
    )
