"""Issue 24 in Debian's Chromium: the staff triage worklist with 220 generated referrals of
obviously fake people, served by the real Flask app over real HTTP (no Rasa needed): sort,
filter, counts, assign, bulk status change, next and previous within the filter, the
focused error summaries, the phone layout; axe finds no WCAG 2.2 A or AA violation on any
staff page changed."""

from __future__ import annotations

import re
import threading
from contextlib import closing
from datetime import datetime, timezone

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page, expect
from sqlite_utils import Database
from werkzeug.serving import make_server

from intake import create_app, storage
from intake.staff import users
from tests.browser.widget_driver import DESKTOP, PHONE, wcag_violations
from tests.unit.staff.conftest import CLINICIAN, TEST_SECRET_KEY, TEST_TOKEN, Tracker
from tests.unit.staff.worklist_data import generated

REFERRALS = 220


def _fill(db_path, tracker: Tracker) -> None:
    """220 referrals in one transaction, a few escalations, one tapped button."""
    now = datetime.now(timezone.utc)
    with closing(Database(db_path)) as db, db.conn:
        for n in range(REFERRALS):
            payload, received = generated(n, now)
            stamp = received.isoformat(timespec="seconds")
            db["referrals"].insert(
                {
                    "reference": payload["reference"],
                    "status": "new" if n % 4 else "in_review",
                    "received_at": stamp,
                    "updated_at": stamp,
                    "conversation_id": payload["conversation_id"],
                    "payload": storage.json.dumps(payload, sort_keys=True),
                    "payload_sha256": storage.canonical_hash(payload),
                    "body_area": payload["problem"]["body_area"],
                    "escalated": 0,
                    **storage.derived_columns(payload, stamp),
                }
            )
        for n in range(3):
            db["escalations"].insert(
                {"id": f"{n + 1:032x}", "conversation_id": f"{n:032x}", "level": "emergency",
                 "code": "cauda_equina", "codes": '["cauda_equina"]', "source": "message",
                 "occurred_at": now.isoformat(timespec="seconds"), "received_at": "x"}
            )  # fmt: skip
    tracker.bot(
        f"{1:032x}", "Are you in work?", now, buttons=[{"title": "Yes", "payload": "/affirm"}]
    )
    tracker.user(f"{1:032x}", "/affirm", now)


@pytest.fixture(scope="module")
def staff_site(tmp_path_factory):
    """The web app on a free port, on databases of its own, with a clinician."""
    state = tmp_path_factory.mktemp("staff-worklist")
    mp = pytest.MonkeyPatch()
    mp.setenv("INTAKE_API_TOKEN", TEST_TOKEN)
    mp.setenv("FLASK_SECRET_KEY", TEST_SECRET_KEY)
    mp.setattr(users, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(
        {
            "intake_db": state / "intake.db",
            "tracker_db": state / "tracker.db",
            "outbox_db": state / "outbox.db",
            "session_cookie_secure": False,
        }
    )
    with app.app_context():
        users.create_user(storage.database(), *CLINICIAN, "clinician")
    _fill(state / "intake.db", Tracker(state / "tracker.db"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        mp.undo()


def signed_in(new_page, site: str, viewport=DESKTOP, check_csp: bool = True) -> Page:
    page = new_page(viewport, check_csp=check_csp)
    page.goto(f"{site}/staff/sign-in")
    page.get_by_label("Username").fill(CLINICIAN[0])
    page.get_by_label("Password").fill(CLINICIAN[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Referral queue")).to_be_visible()
    return page


def references(page: Page) -> list[str]:
    return page.locator("table.staff-worklist tbody tr td:nth-child(2) a").all_inner_texts()


def focused_class(page: Page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.className")


def test_sign_in_error_summary_is_focused_and_at_the_top(new_page, staff_site):
    page = new_page(DESKTOP, check_csp=False)
    page.goto(f"{staff_site}/staff/sign-in")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    assert summary.bounding_box()["y"] < 300
    assert wcag_violations(page) == []


def test_sort_by_each_column_and_the_counts(new_page, staff_site):
    page = signed_in(new_page, staff_site)
    expect(page.get_by_text(f"{REFERRALS} referrals found")).to_be_visible()
    counts = page.get_by_role("navigation", name="Referrals by status")
    expect(counts.get_by_role("link", name=re.compile(r"^All\s+220"))).to_be_visible()
    expect(counts.get_by_role("link", name=re.compile(r"^In review\s+55"))).to_be_visible()
    for column in ("Age", "Body area", "Pain", "Duration", "Work risk", "Days waiting",
                   "Channel", "Priority"):  # fmt: skip
        header = page.get_by_role("columnheader", name=re.compile(f"^{column}"))
        header.get_by_role("link").click()
        expect(page.get_by_role("columnheader", name=re.compile(f"^{column}"))).to_have_attribute(
            "aria-sort", re.compile("ascending|descending")
        )
    # Pain twice: highest first, then lowest first.
    page.goto(f"{staff_site}/staff/queue")
    page.get_by_role("columnheader", name=re.compile("^Pain")).get_by_role("link").click()
    pains = [
        int(t.split("/")[0])
        for t in page.locator("td:nth-child(6) > span:last-child").all_inner_texts()
    ]
    assert pains == sorted(pains, reverse=True) and pains[0] == 10
    page.get_by_role("columnheader", name=re.compile("^Pain")).get_by_role("link").click()
    pains = [
        int(t.split("/")[0])
        for t in page.locator("td:nth-child(6) > span:last-child").all_inner_texts()
    ]
    assert pains == sorted(pains) and pains[0] == 0
    # Filter by a status count, then a body area: the sort is kept.
    page.get_by_role("navigation", name="Referrals by status").get_by_role(
        "link", name=re.compile("^In review")
    ).click()
    expect(page.get_by_text("55 referrals found")).to_be_visible()
    page.get_by_text("More filters").click()
    page.get_by_label("Body area").select_option("knee")
    page.get_by_role("button", name="Apply filters").click()
    assert (
        "sort=pain" in page.url and "status=in_review" in page.url and "body_area=knee" in page.url
    )
    expect(page.get_by_text(re.compile(r"^\d+ referrals? found"))).to_be_visible()


def test_assign_bulk_change_and_the_focused_error(new_page, staff_site):
    page = signed_in(new_page, staff_site, check_csp=False)
    page.goto(f"{staff_site}/staff/queue?status=new&sort=waiting&dir=desc")
    chosen = references(page)[:3]
    for reference in chosen[:2]:
        page.get_by_label(f"Select {reference}").check()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_text("2 referrals assigned to you.")).to_be_visible()
    assert "sort=waiting" in page.url
    page.get_by_label("Assigned").select_option("me")
    page.get_by_role("button", name="Apply", exact=True).click()
    assert sorted(references(page)) == sorted(chosen[:2])

    # A status change with no reason: the error summary at the top, focused; ticks kept.
    page.goto(f"{staff_site}/staff/queue?status=new&sort=waiting&dir=desc")
    for reference in chosen:
        page.get_by_label(f"Select {reference}").check()
    page.get_by_label("Change the status to").select_option("closed")
    page.get_by_role("button", name="Change status").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    assert summary.bounding_box()["y"] < 300
    expect(summary.get_by_role("link", name="Give a reason for the change.")).to_be_visible()
    assert wcag_violations(page) == []
    for reference in chosen:
        expect(page.get_by_label(f"Select {reference}")).to_be_checked()
    page.get_by_label("Why (one reason").fill("Duplicate referrals, patient confirmed by phone")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("3 referrals moved to closed.")).to_be_visible()
    page.get_by_role("navigation", name="Referrals by status").get_by_role(
        "link", name=re.compile("^Closed")
    ).click()
    assert set(chosen) <= set(references(page))


def test_next_and_previous_stay_within_the_filter(new_page, staff_site):
    page = signed_in(new_page, staff_site, check_csp=False)
    page.goto(f"{staff_site}/staff/queue?body_area=hip&sort=age&dir=asc")
    order = references(page)
    page.get_by_role("link", name=order[0], exact=True).click()
    expect(page.get_by_text(re.compile(r"Referral 1 of \d+ in this list"))).to_be_visible()
    expect(page.get_by_role("link", name="Previous referral")).to_have_count(0)
    page.get_by_role("link", name="Next referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(order[1])
    assert "body_area=hip" in page.url and "sort=age" in page.url
    page.get_by_role("link", name="Next referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(order[2])
    page.get_by_role("link", name="Previous referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(order[1])
    assert wcag_violations(page) == []
    # The referral's own forms: priority, assignment, a note, a contact attempt.
    page.get_by_label("Set the priority").select_option("high")
    page.get_by_role("button", name="Set priority").click()
    expect(page.get_by_text("Priority set to high.")).to_be_visible()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_text("Assigned to you.")).to_be_visible()
    page.get_by_label("Note (kept in the timeline").fill("Spoke to GP surgery")
    page.get_by_role("button", name="Add note").click()
    page.get_by_label("How", exact=True).select_option("phone")
    page.get_by_label("What happened").select_option("no_answer")
    page.get_by_role("button", name="Record contact attempt").click()
    timeline = page.locator("#timeline + table")
    expect(timeline).to_contain_text("Spoke to GP surgery")
    expect(timeline).to_contain_text("Contact attempt: phone call, no answer")
    assert "body_area=hip" in page.url  # still in the filtered list
    page.get_by_role("button", name="Record contact attempt").click()  # nothing chosen
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    assert wcag_violations(page) == []


def test_escalations_and_transcript_pages(new_page, staff_site):
    page = signed_in(new_page, staff_site, check_csp=False)
    nav = page.get_by_role("navigation", name="Menu")
    expect(nav.get_by_role("link", name=re.compile(r"Escalations\s*3\s*new"))).to_be_visible()
    nav.get_by_role("link", name=re.compile("Escalations")).click()
    page.get_by_role("button", name=re.compile("^Acknowledge")).first.click()
    expect(page.get_by_text("Escalation acknowledged.")).to_be_visible()
    page.goto(f"{staff_site}/staff/escalations")
    card = page.locator(".staff-escalation").first
    card.get_by_label("What was done (optional)").fill("Called, advised A&E")
    card.get_by_role("button", name=re.compile("^Mark as actioned")).click()
    expect(page.get_by_text("Escalation marked as actioned.")).to_be_visible()
    expect(page.get_by_text(re.compile("Actioned by casey.clinician"))).to_be_visible()
    assert wcag_violations(page) == []
    page.goto(f"{staff_site}/staff/conversations/{1:032x}")
    expect(page.locator(".staff-transcript__patient")).to_contain_text("Tapped the button Yes")
    assert "/affirm" not in page.locator(".staff-transcript__patient").inner_text()
    assert wcag_violations(page) == []


def test_the_queue_reflows_on_a_phone(new_page, staff_site):
    page = signed_in(new_page, staff_site, viewport=PHONE, check_csp=False)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the queue scrolls sideways: {width}px"
    first = page.locator("table.staff-worklist tbody tr").first
    expect(first.get_by_text("Days waiting", exact=False)).to_be_visible()
    page.goto(page.url.split("/staff")[0] + f"/staff/referrals/{generated(5)[0]['reference']}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert wcag_violations(page) == []
    page.goto(page.url.split("/staff")[0] + "/staff/queue")
    assert wcag_violations(page) == []
