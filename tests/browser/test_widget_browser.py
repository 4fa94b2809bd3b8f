"""The chat widget and the kiosk in a real browser (Debian's Chromium driven by Playwright)
against the real stack (action server, Rasa, web app) on free ports with its own databases.

Covers issue 7's evidence: a whole referral through the widget, the escalation banner, a
script-injection attempt shown as text, the kiosk clearing itself after inactivity, keyboard
use, small and zoomed screens, and axe-core scans. Screenshots go to docs/screenshots/.
The fixtures are in conftest.py, the patient's helpers in widget_driver.py.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.widget_driver import (
    DESKTOP,
    MAX_PATIENT_TURNS,
    PHONE,
    REPLY_TIMEOUT_MS,
    SCREENSHOTS,
    Chat,
    answer,
    focused_is_newest_message,
    newest_message_in_view,
    serious_violations,
)


def test_focus_follows_the_reply_and_the_newest_question_stays_in_view(new_page, web):
    """After a tap, focus moves to the reply when it offers buttons, or to the text box when
    the patient is expected to type; a question is never scrolled out of sight by its own
    buttons (once, on a desktop, only the buttons of "Where is the problem?" showed)."""
    page = new_page(DESKTOP)
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    chat.tap("Yes, carry on")
    assert chat.reply_buttons() == []  # the date of birth is typed
    expect(chat.input).to_be_focused()
    while "already being seen" not in chat.last_bot_text().lower():
        answer(chat)
    chat.tap("No")
    assert "where is the problem" in chat.last_bot_text().lower()
    assert len(chat.reply_buttons()) > 3
    assert focused_is_newest_message(page)
    assert newest_message_in_view(page)


def test_a_patient_refers_themselves_through_the_widget_on_a_phone(new_page, web):
    page = new_page(PHONE)
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    assert page.evaluate("document.activeElement.tagName") == "MSK-CHAT-WIDGET"
    # Buttons offered: focus on the newest message, not the text box (no keyboard over them)
    assert focused_is_newest_message(page)
    assert "999" in chat.log_text() and "111" in chat.log_text()
    # The privacy notice the consent question names is a link (it was plain text)
    notice = page.locator(".msg-bot a", has_text="/privacy")
    expect(notice).to_have_count(1)
    assert notice.get_attribute("href") == "/privacy" and notice.get_attribute("target") == "_blank"

    turns = 0
    navigated = False
    while page.locator(".msg-referral").count() == 0:
        assert turns < MAX_PATIENT_TURNS, f"too many turns; last question: {chat.last_bot_text()}"
        if not navigated and "gp practice" in chat.last_bot_text().lower():
            # The conversation follows the patient to another page of the site (same tab).
            before = chat.log_text()
            page.get_by_role("button", name="Close chat").click()
            page.get_by_role("link", name="Looking after your back").click()
            expect(page).to_have_url(re.compile("/msk-advice$"))
            page.get_by_role("button", name="Continue your chat").click()
            assert chat.log_text() == before
            navigated = True
        answer(chat)
        turns += 1
    assert navigated

    reference = page.locator(".referral-ref").text_content()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", reference or ""), reference
    assert reference in chat.log_text()
    summary = page.locator(".msg-bot .msg-text", has_text="check your answers").last.text_content()
    assert "Sam Sample" in summary and "WS11 1DB" in summary
    # Signposting as cards, not as the plain-text fallback list of addresses.
    assert "https://" not in chat.log_text()
    # Links only from the signposting marker (https) or to this site's own privacy notice:
    # new tab, no opener or referrer.
    for link in page.locator(".log a").all():
        href = link.get_attribute("href")
        assert href.startswith("https://") or href == "/privacy", href
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener noreferrer"
    page.locator(".msg-referral").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "widget-phone.png")

    stored = page.evaluate("sessionStorage.getItem('msk-chat-widget:v1')")
    assert reference in stored
    # End chat: confirmed, then nothing is left in the tab and focus is back on the launcher.
    page.get_by_role("button", name="End chat").click()
    page.get_by_role("button", name="Yes, end chat").click()
    expect(page.get_by_role("button", name="Refer yourself")).to_be_focused()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.locator(".msg").count() == 0


def test_an_emergency_shows_the_escalation_banner_with_tap_to_call(new_page, web):
    page = new_page(DESKTOP)
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    chat.say("I can't feel anything when I wipe and I've wet myself")
    banner = page.get_by_role("alert")
    expect(banner).to_be_visible()
    assert banner.get_attribute("data-level") == "emergency"
    expect(banner.get_by_role("link", name="Call 999")).to_have_attribute("href", "tel:999")
    assert "999" in chat.log_text()
    page.screenshot(path=SCREENSHOTS / "widget-desktop.png")

    # Closed, the launcher still says there is emergency advice in the chat (once it only
    # said "Continue your chat"), and opens it again with the banner.
    page.get_by_role("button", name=re.compile("Close")).first.click()
    launcher = page.get_by_role("button", name="Emergency advice: reopen your chat")
    expect(launcher).to_be_visible()
    assert launcher.get_attribute("data-level") == "emergency"
    launcher.click()
    expect(banner).to_be_visible()

    # Start again clears the screen and the conversation on the server, then greets afresh.
    page.get_by_role("button", name="Start again").click()
    page.get_by_role("button", name="Yes, start again").click()
    expect(page.locator(".reply", has_text="Yes, carry on")).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    chat.wait_for_reply()
    expect(banner).to_be_hidden()
    assert "wet myself" not in chat.log_text()
    assert "start again" in chat.log_text().lower()


def test_a_script_injection_attempt_is_shown_as_inert_text(new_page, web):
    page = new_page(DESKTOP)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(web("/"))
    chat = Chat(page)
    chat.open()
    attack = '<img src=x onerror=alert(1)><script>alert("xss")</script>'
    chat.say(attack)
    assert page.locator(".msg-user .msg-text").last.text_content() == attack
    assert page.locator("msk-chat-widget img, msk-chat-widget script").count() == 0
    page.reload()  # and again when the history comes back from sessionStorage (still open)
    expect(page.locator(".panel")).to_be_visible()
    assert attack in chat.log_text()
    assert page.locator("msk-chat-widget img, msk-chat-widget script").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


def test_hostile_gateway_replies_are_rendered_as_text_and_unsafe_links_dropped(new_page, web):
    """The real bot never sends these: this is the widget's own defence, so the gateway's
    reply is replaced in the browser (the only place a fake is used in this module)."""
    page = new_page(DESKTOP)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    def card(key: str, title: str, url: str) -> dict:
        return {"id": key, "title": title, "url": url, "summary": "A summary."}

    hostile = {
        "conversation_id": "0" * 32,
        "messages": [
            {
                "text": "<b onmouseover=alert(1)>bold</b>",
                "buttons": [{"title": "<i>x</i>", "payload": "/deny"}],
            },
            {"text": "Fallback list: https://www.nhs.uk/ javascript:alert(1) http://example.com/"},
            {
                "custom": {
                    "signpost": [
                        card("a", "Safe page", "https://www.nhs.uk/"),
                        card("b", "Script link", "javascript:alert(1)"),
                        card("c", "Plain http", "http://example.com/"),
                    ]
                }
            },
            {"custom": {"escalation": {"level": "<script>", "code": "x"}}},
        ],
    }
    page.route(
        "**/api/v1/chat",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(hostile)
        ),
    )
    page.goto(web("/"))
    page.get_by_role("button", name="Refer yourself").click()
    expect(page.locator(".card")).to_have_count(3)
    assert page.locator(".msg-bot .msg-text").first.text_content() == hostile["messages"][0]["text"]
    assert page.locator(".reply").first.text_content() == "<i>x</i>"
    assert "Fallback list" not in page.locator(".log").inner_text()  # the cards replace it
    links = page.locator(".log a")
    expect(links).to_have_count(1)
    assert links.get_attribute("href") == "https://www.nhs.uk/"
    assert links.get_attribute("rel") == "noopener noreferrer"
    # An escalation the widget cannot read is shown as the most serious level.
    assert page.get_by_role("alert").get_attribute("data-level") == "emergency"
    assert page.locator("msk-chat-widget b, msk-chat-widget i, msk-chat-widget script").count() == 0
    assert dialogs == []


def test_the_widget_works_by_keyboard_alone_with_large_enough_targets(new_page, web):
    page = new_page(DESKTOP)
    page.goto(web("/"))
    launcher = page.get_by_role("button", name="Refer yourself")
    for _ in range(10):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "MSK-CHAT-WIDGET":
            break
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    chat = Chat(page)
    chat.wait_for_reply()
    assert focused_is_newest_message(page)  # the question is read out; its buttons come next
    page.keyboard.press("Tab")
    expect(page.locator(".msg-bot a", has_text="/privacy")).to_be_focused()  # its link first
    page.keyboard.press("Tab")
    expect(page.locator(".reply", has_text="Yes, carry on")).to_be_focused()
    # Focus is visible: the NHS yellow.
    focused_colour = page.evaluate(
        "getComputedStyle(document.activeElement.shadowRoot.activeElement).backgroundColor"
    )
    assert focused_colour == "rgb(255, 235, 59)"
    page.keyboard.press("Enter")
    expect(page.locator(".msg-user")).to_have_count(1)
    chat.wait_for_reply()
    assert "date of birth" in chat.last_bot_text()
    for target in page.locator("msk-chat-widget button:visible, msk-chat-widget a:visible").all():
        box = target.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, (target.text_content(), box)
    # The colours come from nhsuk-frontend's tokens, loaded inside the shadow root.
    brand = page.evaluate(
        "getComputedStyle(document.querySelector('msk-chat-widget').shadowRoot"
        ".querySelector('.frame')).getPropertyValue('--nhsuk-brand-colour').trim()"
    )
    assert brand == "#005eb8"
    page.keyboard.press("Escape")
    expect(page.locator(".panel")).to_be_hidden()
    expect(page.get_by_role("button", name="Continue your chat")).to_be_focused()


@pytest.mark.parametrize(
    "viewport",
    [{"width": 320, "height": 640}, {"width": 640, "height": 400}],  # 1280x800 at 200% zoom
    ids=["320px-wide", "200%-zoom"],
)
def test_the_open_widget_fits_small_and_zoomed_screens(new_page, web, viewport):
    page = new_page(viewport)
    page.goto(web("/"))
    Chat(page).open()
    panel = page.locator(".panel").bounding_box()
    assert panel["x"] >= 0 and panel["y"] >= 0
    assert panel["x"] + panel["width"] <= viewport["width"]
    assert panel["y"] + panel["height"] <= viewport["height"]
    for part in ("Send", "Yes, carry on", "End chat"):
        expect(page.get_by_role("button", name=part)).to_be_in_viewport()
    assert page.evaluate(
        "(() => { const log = document.querySelector('msk-chat-widget').shadowRoot"
        ".querySelector('.log'); return log.scrollWidth <= log.clientWidth; })()"
    )


def test_the_kiosk_clears_everything_after_inactivity(new_page, web):
    page = new_page(DESKTOP)
    sent: list[dict] = []
    page.on(
        "request",
        lambda request: sent.append(request.post_data_json) if request.method == "POST" else None,
    )
    page.goto(web("/kiosk?idle_warning_seconds=2&idle_reset_seconds=3"))
    start = page.locator("#kiosk-start")
    expect(start).to_contain_text("not for emergencies")
    expect(start).to_contain_text("999")
    expect(start).to_contain_text("111")
    page.screenshot(path=SCREENSHOTS / "kiosk.png", full_page=True)

    page.get_by_role("button", name="Start").click()
    chat = Chat(page)
    chat.wait_for_reply()
    assert focused_is_newest_message(page)
    chat.tap("Yes, carry on")
    chat.say("My name is Pat Private and my knee hurts")
    first_conversation = sent[-1]["conversation_id"]

    # A warning first; a tap on "I am still here" keeps the chat.
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible(timeout=5_000)
    expect(warning).to_contain_text("cleared")
    warning.get_by_role("button", name="I am still here").click()
    expect(warning).to_be_hidden()
    assert "Pat Private" in chat.log_text()

    # Then, untouched, everything goes: the widget, its text, its state.
    expect(warning).to_be_visible(timeout=5_000)
    expect(start).to_be_visible(timeout=6_000)
    assert page.locator("msk-chat-widget").count() == 0
    assert "Pat Private" not in page.locator("body").inner_text()
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    assert page.context.cookies() == []
    expect(page.get_by_role("button", name="Start")).to_be_focused()

    # The next patient starts a new conversation with nothing from the last one.
    page.get_by_role("button", name="Start").click()
    chat.wait_for_reply()
    assert "Pat Private" not in chat.log_text()
    assert sent[-1]["conversation_id"] is None
    assert sent[-1]["message"] == "/greet"
    assert first_conversation
    assert page.locator("a").count() == 0  # no way out to other sites


def test_kiosk_signposting_shows_qr_codes_not_links(new_page, web, stack):
    page = new_page({"width": 1080, "height": 1400})
    page.goto(web("/kiosk"))
    page.get_by_role("button", name="Start").click()
    chat = Chat(page)
    chat.wait_for_reply()
    chat.say("can you suggest some exercises for my back")
    cards = page.locator(".card")
    expect(cards.first).to_be_visible()
    assert page.locator("a").count() == 0
    qr = page.locator(".card .card-qr").first  # a signposting card's
    expect(qr).to_be_visible()
    page.wait_for_function(  # every QR code loaded from /kiosk/qr (none hidden as broken)
        "() => [...document.querySelector('msk-chat-widget').shadowRoot.querySelectorAll('img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    assert "/kiosk/qr?url=https%3A%2F%2F" in qr.get_attribute("src")
    cards.first.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "kiosk-chat.png")


def test_axe_finds_no_serious_or_critical_problems(new_page, web):
    page = new_page(DESKTOP, check_csp=False)
    page.goto(web("/"))
    found = {"/": serious_violations(page)}
    Chat(page).open()
    found["/ with the widget open"] = serious_violations(page)
    kiosk = new_page(DESKTOP, check_csp=False)
    kiosk.goto(web("/kiosk"))
    found["/kiosk start screen"] = serious_violations(kiosk)
    kiosk.get_by_role("button", name="Start").click()
    Chat(kiosk).wait_for_reply()
    found["/kiosk chat"] = serious_violations(kiosk)
    notice = new_page(PHONE, check_csp=False)
    notice.goto(web("/privacy"))
    found["/privacy"] = serious_violations(notice)
    notice.get_by_role("link", name="Back to the start").click()
    expect(notice).to_have_url(web("/"))
    assert found == {name: [] for name in found}, found
