"""Issue 22 in a real browser against the real stack: the widget on short and zoomed screens
(WCAG 2.2 2.4.11 focus not obscured, 1.4.10 reflow), clearing the chat on shared computers
and on the kiosk, and the smaller fixes (the safe answer focused first, the demo page's phone
number, the launcher clear of the "not for emergencies" box, signposting links that name their
page). axe finds no WCAG 2.2 A or AA violation on any new state; screenshots of the new states
go to docs/screenshots/.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.widget_driver import (
    DESKTOP,
    PATIENT_DETAILS,
    PHONE,
    SCREENSHOTS,
    Chat,
    refer,
    stored,
    wcag_violations,
    widget_text,
)

RED_FLAG = "I can't feel myself when I wipe and I've wet myself"
STORAGE_KEY = "msk-chat-widget:v1"
ANOTHER_PROBLEM = "different muscle, bone or joint problem"


def in_viewport(page: Page, selector: str) -> bool:
    """The element's whole box is inside the viewport and it is the element found at its
    centre (nothing, such as the page or another part of the panel, covers it)."""
    return page.evaluate(
        """(selector) => {
            const root = document.querySelector("msk-chat-widget").shadowRoot;
            const node = root.querySelector(selector);
            const box = node.getBoundingClientRect();
            const inside = box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight
                && box.right <= innerWidth && box.height > 0;
            const hit = root.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
            return inside && (hit === node || node.contains(hit));
        }""",
        selector,
    )


def newest_bot_message_shown(page: Page) -> float:
    """How many pixels of the newest bot message are in view: inside the log's visible part
    and the viewport, and not under the message box."""
    return page.evaluate(
        """() => {
            const root = document.querySelector("msk-chat-widget").shadowRoot;
            const bots = root.querySelectorAll(".msg-bot");
            const box = bots[bots.length - 1].getBoundingClientRect();
            const log = root.querySelector(".log").getBoundingClientRect();
            const composer = root.querySelector(".composer").getBoundingClientRect();
            const top = Math.max(box.top, log.top, 0);
            const bottom = Math.min(box.bottom, log.bottom, composer.top, innerHeight);
            return bottom - top;
        }"""
    )


def focus_hidden_by_tab(page: Page, presses: int) -> list[str]:
    """Tab through the panel: each focused element must be in view, not wholly under the
    message box that stays at the bottom of a short screen (WCAG 2.2 2.4.11)."""
    hidden = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        problem = page.evaluate(
            """() => {
                const root = document.querySelector("msk-chat-widget").shadowRoot;
                const node = root.activeElement;
                if (!node) { return "focus left the widget"; }
                const box = node.getBoundingClientRect();
                const composer = root.querySelector(".composer");
                const limit = composer.contains(node)
                    ? innerHeight : Math.min(composer.getBoundingClientRect().top, innerHeight);
                const shown = Math.min(box.bottom, limit) - Math.max(box.top, 0);
                return shown > 0 ? "" : (node.textContent || node.className).trim().slice(0, 40);
            }"""
        )
        if problem:
            hidden.append(problem)
    return hidden


SHORT_SCREENS = [
    # 1280x800 at 200% zoom: 640x400 CSS pixels, each two device pixels.
    pytest.param({"width": 640, "height": 400}, {"device_scale_factor": 2}, id="200%-zoom"),
    pytest.param({"width": 320, "height": 400}, {}, id="320x400"),
    pytest.param({"width": 390, "height": 470}, {}, id="phone-keyboard-open"),
]


@pytest.mark.parametrize(("viewport", "options"), SHORT_SCREENS)
def test_short_screens_keep_the_message_box_and_newest_message_in_view_under_a_banner(
    new_page, web, viewport, options
):
    """Once, at 200% zoom with the emergency banner the message box was below the screen and
    the panel did not scroll; with a phone's keyboard open the log was 80 px high."""
    page = new_page(viewport, check_csp=False, **options)
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    chat.say(RED_FLAG)
    banner = page.get_by_role("alert")
    expect(banner).to_be_visible()
    assert banner.get_attribute("data-level") == "emergency"

    # The banner is one line: its title and a button that opens it.
    toggle = banner.get_by_role("button", name=re.compile("advice"))
    expect(toggle).to_have_accessible_name("Show advice")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert banner.bounding_box()["height"] <= toggle.bounding_box()["height"] + 16
    expect(banner.get_by_role("link", name="Call 999")).to_be_hidden()
    # Screen readers still hear the whole advice with the alert.
    assert "Call 999 or go to A&E" in (banner.text_content() or "")
    assert in_viewport(page, ".input")
    assert newest_bot_message_shown(page) >= 40
    if viewport["width"] == 320:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "widget-small-phone-banner.png")
    found = {"banner closed": wcag_violations(page)}

    # Opened, it shows the advice and the call button; the message box stays in view.
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_accessible_name("Hide advice")
    call = banner.get_by_role("link", name="Call 999")
    call.scroll_into_view_if_needed()
    expect(call).to_be_in_viewport()
    assert in_viewport(page, ".input")
    found["banner open"] = wcag_violations(page)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # The message box can be focused and typed into, and is still in view.
    chat.input.click()
    expect(chat.input).to_be_focused()
    chat.input.press_sequentially("my back hurts")
    expect(chat.input).to_have_value("my back hurts")
    assert in_viewport(page, ".input")
    assert newest_bot_message_shown(page) >= 40

    # Tabbing round the panel, focus is never hidden under the message box.
    focusable = page.locator(
        "msk-chat-widget .panel :is(button, input, a[href], [tabindex='0']):visible"
    ).count()
    assert focus_hidden_by_tab(page, focusable + 2) == []
    assert found == {name: [] for name in found}, found


def test_clear_this_chat_after_a_referral_leaves_nothing_on_screen_or_in_the_tab(new_page, web):
    page = new_page(PHONE, check_csp=False)
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    reference = refer(chat)
    assert "485 777 3457" in stored(page) and reference in stored(page)

    # Closing after the referral offers to clear the chat; keeping it is focused first.
    page.get_by_role("button", name="Close chat").click()
    confirm = page.locator(".confirm")
    expect(confirm).to_contain_text("Your referral has been sent.")
    expect(confirm).to_contain_text("If other people use this device, clear this chat")
    keep = confirm.get_by_role("button", name="Keep it and close")
    expect(keep).to_be_focused()
    expect(confirm.get_by_role("button", name="Clear this chat")).to_be_visible()
    found = {"close after a referral": wcag_violations(page)}
    keep.click()
    expect(page.locator(".panel")).to_be_hidden()
    page.get_by_role("button", name="Continue your chat").click()
    assert "Sam Sample" in chat.log_text()

    # No other problem: the chat ends, and the end message says when it will be cleared.
    assert ANOTHER_PROBLEM in chat.last_bot_text()
    chat.tap("No, that's all")
    assert chat.last_bot_text().startswith("Goodbye")
    end = page.locator(".msg-end")
    expect(end).to_contain_text("cleared from this screen after 15 minutes")
    found["end message"] = wcag_violations(page)
    end.get_by_role("button", name="Clear this chat").click()

    cleared = page.locator(".msg-cleared")
    expect(cleared).to_contain_text("This chat has been cleared.")
    expect(cleared).to_be_focused()
    text, kept = widget_text(page), stored(page)
    for detail in [*PATIENT_DETAILS, reference]:
        assert detail not in text, detail
        assert detail not in kept, detail
    assert page.evaluate("sessionStorage.length") == 0
    assert page.locator("msk-chat-widget .msg:not(.msg-cleared)").count() == 0
    page.screenshot(path=SCREENSHOTS / "widget-cleared.png")
    found["cleared"] = wcag_violations(page)

    # Then a fresh start.
    page.get_by_role("button", name="Start a new chat").click()
    chat.wait_for_reply()
    expect(page.locator(".reply", has_text="Yes, carry on")).to_be_visible()
    expect(cleared).to_have_count(0)
    assert found == {name: [] for name in found}, found


def test_an_ended_chat_is_cleared_after_15_minutes_unused(new_page, web):
    """The page's clock is Playwright's, moved on by hand."""
    page = new_page(DESKTOP)
    page.clock.install()
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    chat.say("I am Sam Sample, NHS number 485 777 3457")
    chat.say("goodbye")
    assert chat.last_bot_text().startswith("Goodbye")
    expect(page.locator(".msg-end")).to_contain_text("15 minutes")

    page.clock.fast_forward("14:00")
    assert "Sam Sample" in chat.log_text()
    page.keyboard.press("Shift")  # somebody is still using the page: the time starts again
    page.clock.fast_forward("14:00")
    assert "Sam Sample" in chat.log_text()
    page.clock.fast_forward("01:30")
    expect(page.locator(".msg-cleared")).to_contain_text("This chat has been cleared.")
    assert "Sam Sample" not in widget_text(page) and "485 777 3457" not in widget_text(page)
    assert page.evaluate("sessionStorage.length") == 0


def test_an_ended_chat_follows_the_patient_but_not_past_15_minutes_and_closing_can_clear_it(
    new_page, web
):
    page = new_page(DESKTOP)
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    chat.say("I am Sam Sample, NHS number 485 777 3457")
    chat.say("goodbye")
    assert chat.last_bot_text().startswith("Goodbye")

    # Within the time the chat follows the patient to another page of the site...
    page.goto(web("/msk-advice"))
    expect(page.locator(".msg-end")).to_be_visible()
    assert "Sam Sample" in chat.log_text()
    # ...but a tab left longer than 15 minutes shows none of it on the next page it loads.
    page.evaluate(
        """(key) => {
            const saved = JSON.parse(sessionStorage.getItem(key));
            saved.lastActivity -= 16 * 60 * 1000;
            sessionStorage.setItem(key, JSON.stringify(saved));
        }""",
        STORAGE_KEY,
    )
    page.goto(web("/"))
    expect(page.get_by_role("button", name="Refer yourself: start a chat")).to_be_visible()
    assert "Sam Sample" not in widget_text(page)
    assert page.evaluate("sessionStorage.length") == 0

    # Closing an ended chat offers to clear it too ("Keep it and close" focused first).
    chat.open()
    chat.say("I am Sam Sample, NHS number 485 777 3457")
    chat.say("goodbye")
    page.get_by_role("button", name="Close chat").click()
    confirm = page.locator(".confirm")
    expect(confirm).to_have_text(re.compile("^If other people use this device"))
    expect(confirm.get_by_role("button", name="Keep it and close")).to_be_focused()
    confirm.get_by_role("button", name="Clear this chat").click()
    expect(page.locator(".msg-cleared")).to_be_focused()
    assert "Sam Sample" not in widget_text(page)
    assert page.evaluate("sessionStorage.length") == 0


def test_the_kiosk_blurs_the_chat_behind_its_inactivity_warning(new_page, web):
    page = new_page(DESKTOP, check_csp=False)
    page.goto(web("/kiosk?idle_warning_seconds=2&idle_reset_seconds=120"))
    page.get_by_role("button", name="Start").click()
    chat = Chat(page)
    chat.wait_for_reply()
    chat.tap("Yes, carry on")
    chat.say("My name is Pat Private and my knee hurts")
    panel = page.locator(".panel")
    assert panel.evaluate("node => getComputedStyle(node).filter") == "none"

    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible(timeout=5_000)
    assert "blur(" in panel.evaluate("node => getComputedStyle(node).filter")
    # Out of reach as well as out of sight: nothing behind the warning takes focus.
    assert panel.evaluate("node => node.inert")
    assert not page.evaluate(
        """() => {
            const root = document.querySelector("msk-chat-widget").shadowRoot;
            root.querySelector(".input").focus();
            return root.activeElement === root.querySelector(".input");
        }"""
    )
    page.screenshot(path=SCREENSHOTS / "kiosk-idle-blur.png")
    found = {"kiosk warning": wcag_violations(page)}

    warning.get_by_role("button", name="I am still here").click()
    expect(warning).to_be_hidden()
    assert panel.evaluate("node => getComputedStyle(node).filter") == "none"
    assert "Pat Private" in chat.log_text()
    assert found == {name: [] for name in found}, found


def test_the_kiosk_clears_the_details_as_soon_as_the_reference_is_noted(new_page, web):
    """The inactivity timeouts are an hour: only the patient's tap can clear the details."""
    page = new_page({"width": 1080, "height": 1400}, check_csp=False)
    page.goto(web("/kiosk?idle_warning_seconds=3600&idle_reset_seconds=3600"))
    page.get_by_role("button", name="Start").click()
    chat = Chat(page)
    chat.wait_for_reply()
    reference = refer(chat)
    assert "485 777 3457" in chat.log_text() and "Sam Sample" in chat.log_text()
    card = page.locator(".msg-referral")
    expect(card).to_contain_text("Write it down or take a photo of it.")
    found = {"kiosk reference": wcag_violations(page)}

    noted = card.get_by_role("button", name="I have noted it")
    started = time.monotonic()
    noted.click()
    expect(page.locator(".msg-note")).to_have_text(
        "Your details have been cleared from this screen.", timeout=2_000
    )
    assert time.monotonic() - started < 2
    text = widget_text(page)
    for detail in [*PATIENT_DETAILS, reference]:
        assert detail not in text, detail
    # What came after the reference stays: pages to read (QR codes) and the next question.
    expect(page.locator(".card-qr").first).to_be_visible()
    assert ANOTHER_PROBLEM in chat.last_bot_text()
    assert chat.reply_buttons() == ["Yes, another problem", "No, that's all"]
    found["kiosk details cleared"] = wcag_violations(page)

    # The end: a button clears the whole chat at once and shows the start screen.
    chat.tap("No, that's all")
    end = page.locator(".msg-end")
    expect(end).to_contain_text("clear this chat when you have finished")
    found["kiosk end message"] = wcag_violations(page)
    end.get_by_role("button", name="Clear this chat").click()
    expect(page.locator("#kiosk-start")).to_be_visible()
    assert page.locator("msk-chat-widget").count() == 0
    assert found == {name: [] for name in found}, found


def test_confirm_questions_focus_the_safe_answer_first(new_page, web):
    page = new_page(DESKTOP)
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    for tool, yes in (("End chat", "Yes, end chat"), ("Start again", "Yes, start again")):
        page.get_by_role("button", name=tool).click()
        expect(page.get_by_role("button", name=yes)).to_be_visible()
        expect(page.get_by_role("button", name="No, carry on")).to_be_focused()
        page.keyboard.press("Enter")  # a second tap or Enter changes nothing
        expect(page.locator(".confirm")).to_be_hidden()
        expect(page.get_by_role("button", name=tool)).to_be_focused()
        assert page.locator(".msg-bot").count() >= 2

    kiosk = new_page(DESKTOP)
    kiosk.goto(web("/kiosk"))
    kiosk.get_by_role("button", name="Start").click()
    Chat(kiosk).wait_for_reply()
    kiosk.get_by_role("button", name="Finish").click()
    expect(kiosk.get_by_role("button", name="Yes, finish")).to_be_visible()
    expect(kiosk.get_by_role("button", name="No, carry on")).to_be_focused()


def test_the_demo_page_phone_number_is_a_tel_link(new_page, web):
    page = new_page(PHONE)
    page.goto(web("/"))
    link = page.get_by_role("link", name="01632 960000")
    expect(link).to_have_attribute("href", "tel:+441632960000")


def overlap(a: dict, b: dict) -> bool:
    """Two bounding boxes share any area."""
    across = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    down = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return across > 0 and down > 0


PHONES = [
    pytest.param({"width": 360, "height": 640}, id="360x640"),
    pytest.param({"width": 320, "height": 568}, id="320x568"),
    pytest.param(PHONE, id="390x844"),
]


@pytest.mark.parametrize("viewport", PHONES)
def test_the_launcher_does_not_cover_the_not_for_emergencies_box_on_a_phone(
    new_page, web, viewport
):
    """Once, on a phone's first load, the floating launcher sat on the "not for emergencies"
    box. Until a chat has started it now sits in the page's own flow, after the box (the
    page's launcher slot); once there is a chat to come back to, it floats again."""
    page = new_page(viewport, check_csp=viewport != PHONE)  # axe-core runs on the last
    page.goto(web("/"))
    card = page.locator(".care-card")
    launcher = page.get_by_role("button", name="Refer yourself: start a chat")
    expect(launcher).to_be_visible()
    expect(card).to_contain_text("This is not for emergencies")
    expect(card.get_by_role("heading")).to_be_in_viewport(ratio=1)
    assert not overlap(card.bounding_box(), launcher.bounding_box())
    # Nothing else the page says is under it either: it is in the flow, after the box.
    assert launcher.evaluate("node => getComputedStyle(node).position") == "static"
    assert launcher.bounding_box()["y"] > card.bounding_box()["y"] + card.bounding_box()["height"]
    if viewport == PHONE:
        expect(card).to_be_in_viewport(ratio=1)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "widget-phone-first-load.png")
        found = {"phone first load": wcag_violations(page)}
        launcher.scroll_into_view_if_needed()
        expect(launcher).to_be_in_viewport()
        page.screenshot(path=SCREENSHOTS / "widget-phone-launcher.png")
        assert found == {"phone first load": []}, found

    # It opens the chat; closed again, the chat to come back to floats, in reach anywhere.
    launcher.click()
    Chat(page).wait_for_reply()
    page.get_by_role("button", name="Close chat").click()
    again = page.get_by_role("button", name="Continue your chat")
    expect(again).to_be_focused()
    assert again.evaluate("node => getComputedStyle(node).position") == "fixed"
    expect(again).to_be_in_viewport()


def test_signposting_links_name_the_page_they_open(new_page, web):
    page = new_page(DESKTOP)
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    chat.say("can you suggest some exercises for my back")
    cards = page.locator(".card")
    expect(cards.first).to_be_visible()
    for card in cards.all():
        title = card.locator(".card-title").text_content() or ""
        topic, source = re.fullmatch(r"(.+?) \(([^()]+)\)", title).groups()
        expect(card.get_by_role("link")).to_have_accessible_name(
            f"{topic}: read on {source} (opens in a new tab)"
        )
    back_pain = page.get_by_role("link", name="Back pain: read on NHS website (opens in a new tab)")
    expect(back_pain).to_have_attribute("href", "https://www.nhs.uk/conditions/back-pain/")
    assert page.get_by_text("Read this page").count() == 0


def test_on_the_kiosk_the_privacy_notice_is_a_qr_code_and_chat_and_banner_say_tell_the_staff(
    new_page, web
):
    page = new_page(DESKTOP, check_csp=False)  # axe-core runs at the end
    page.goto(web("/kiosk"))
    page.get_by_role("button", name="Start").click()
    chat = Chat(page)
    chat.wait_for_reply()
    assert "/privacy" in chat.log_text()
    qr = page.get_by_role("img", name="QR code for the privacy notice")
    expect(qr).to_be_visible()
    expect(qr).to_have_js_property("complete", True)
    assert qr.evaluate("image => image.naturalWidth") > 0, "the QR code is served, not refused"
    assert page.locator(".msg-bot a").count() == 0, "no links on the kiosk"

    chat.say("I keep wetting myself and my bum has gone numb")
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Tell a member of staff now")
    advice = chat.log_text().split("You said:")[-1]
    assert "member of staff at the reception desk" in advice and "999" not in advice
    assert wcag_violations(page) == []
