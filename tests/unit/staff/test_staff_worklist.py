"""Issue 24, the triage worklist: sortable columns, counts per status, assignment and
"assigned to me", bulk status change with one reason, next and previous within the filter,
the waiting-time highlight, and the suggested priority (the same in SQL and Python)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from intake import storage
from intake.settings import Settings
from intake.staff import triage
from intake.staff.queue import PAGE_SIZE
from tests.unit.staff.conftest import csrf_token, make_referral, rows, store
from tests.unit.staff.worklist_data import generated

NOW = datetime.now(timezone.utc)


def listed(page_text: str) -> list[str]:
    return re.findall(r'href="/staff/referrals/(MIS-[0-9A-Z-]+)[?"]', page_text)


@pytest.fixture
def sixty(staff_app):
    """60 generated referrals; returns their payloads by reference."""
    made = {}
    for n in range(60):
        payload, received = generated(n, NOW)
        store(staff_app, payload, received=received)
        made[payload["reference"]] = (payload, received)
    return made


def _all_in_order(client, query: str) -> list[str]:
    found, page = [], 1
    while True:
        text = client.get(f"/staff/queue?{query}&page={page}").text
        got = listed(text)
        found += got
        if len(got) < PAGE_SIZE:
            return found
        page += 1


def _age(born: str) -> int:
    b = datetime.fromisoformat(born).date()
    today = datetime.now(timezone.utc).date()
    return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


SORT_KEYS = {
    "age": lambda p, r: _age(p["patient"]["date_of_birth"]),
    "body_area": lambda p, r: p["problem"]["body_area"],
    "pain": lambda p, r: p["problem"]["pain_score"],
    "duration": lambda p, r: storage.duration_days(p["problem"]["duration"], NOW.date()),
    "work": lambda p, r: {"off_work": 3, "at_risk": 2, "working": 1}.get(
        p["problem"]["work_status"], 0
    ),
    "waiting": lambda p, r: (NOW - r).days,
    "channel": lambda p, r: p["channel"],
}


def test_each_column_sorts_the_whole_queue_both_ways(clinician, sixty):
    for column in SORT_KEYS:
        for direction in ("asc", "desc"):
            order = _all_in_order(clinician, f"sort={column}&dir={direction}")
            assert sorted(order) == sorted(sixty)
            values = [SORT_KEYS[column](*sixty[ref]) for ref in order]
            assert values == sorted(values, reverse=direction == "desc"), (column, direction)


def test_sorting_by_priority_puts_high_first_and_marks_the_header(clinician, sixty):
    page = clinician.get("/staff/queue?sort=priority&dir=desc").text
    assert re.search(r'aria-sort="descending">\s*<a[^>]*>Priority', page)
    order = _all_in_order(clinician, "sort=priority&dir=desc")
    rank = {"high": 3, "medium": 2, "routine": 1}
    priorities = [
        rank[rows(clinician.application, _priority_sql(), [ref])[0]["p"]] for ref in order
    ]
    assert priorities == sorted(priorities, reverse=True)
    # A header link sorts by its column, and again the other way.
    assert 'href="/staff/queue?sort=pain&amp;dir=desc"' in clinician.get("/staff/queue").text
    assert (
        'href="/staff/queue?sort=pain&amp;dir=asc"'
        in clinician.get("/staff/queue?sort=pain&dir=desc").text
    )


def _priority_sql() -> str:
    from intake.staff.queue import PRIORITY

    return f"SELECT {PRIORITY} AS p FROM referrals r WHERE reference = ?"


def test_the_suggested_priority_is_the_same_in_sql_and_python(staff_app, sixty):
    from intake.staff.queue import SUGGESTED

    found = rows(
        staff_app, f"SELECT r.reference, r.duration_days, {SUGGESTED} AS s FROM referrals r"
    )
    assert {row["s"] for row in found} == {"high", "medium", "routine"}
    for row in found:
        payload, _ = sixty[row["reference"]]
        facts = triage.facts_of(payload, row["duration_days"], escalated=False)
        assert triage.suggest(facts).priority == row["s"], row["reference"]


def test_the_priority_rule_reads_pain_work_duration_and_screening():
    suggest = triage.suggest
    assert suggest(triage.Facts()).priority == "routine"
    assert suggest(triage.Facts(pain_score=9, work_status="off_work")).priority == "high"
    assert suggest(triage.Facts(pain_score=6, duration_days=10)).priority == "medium"
    assert suggest(triage.Facts(work_status="at_risk")).priority == "medium"
    yes = suggest(triage.Facts(screening_yes=1))
    assert yes.priority == "high" and "screening" in " ".join(yes.reasons)
    assert suggest(triage.Facts(escalated=True)).priority == "high"


def test_staff_set_the_priority_and_can_go_back_to_the_suggestion(staff_app, clinician):
    store(staff_app, make_referral("MIS-PRIO-0001", "a" * 32))
    token = csrf_token(clinician, "/staff/referrals/MIS-PRIO-0001")
    page = clinician.get("/staff/referrals/MIS-PRIO-0001").text
    assert "Not set: the rule suggests" in page and "Why:" in page
    response = clinician.post(
        "/staff/referrals/MIS-PRIO-0001/priority?status=new",
        data={"csrf_token": token, "priority": "high"},
    )
    assert response.status_code == 302
    assert response.location.endswith("/staff/referrals/MIS-PRIO-0001?status=new")
    assert rows(staff_app, "SELECT priority FROM referrals")[0]["priority"] == "high"
    assert listed(clinician.get("/staff/queue?priority=high").text) == ["MIS-PRIO-0001"]
    assert "(set by staff)" in clinician.get("/staff/referrals/MIS-PRIO-0001").text
    clinician.post(
        "/staff/referrals/MIS-PRIO-0001/priority",
        data={"csrf_token": token, "priority": "suggested"},
    )
    assert rows(staff_app, "SELECT priority FROM referrals")[0]["priority"] is None
    bad = clinician.post(
        "/staff/referrals/MIS-PRIO-0001/priority", data={"csrf_token": token, "priority": "p0"}
    )
    assert bad.status_code == 400 and 'href="#priority"' in bad.text
    actions = [r["action"] for r in rows(staff_app, "SELECT action FROM audit_log")]
    assert actions.count("set_priority") == 2


def test_counts_per_status_follow_the_other_filters(staff_app, clinician):
    for n, status in enumerate(["new", "new", "in_review", "closed"]):
        payload = make_referral(f"MIS-CNT{n}-0001", f"{n}" * 32)
        payload["problem"]["body_area"] = "knee" if n < 3 else "back"
        store(staff_app, payload, status=status)
    page = clinician.get("/staff/queue").text
    assert re.search(r'aria-current="page">All <span class="staff-count">4<', page)
    assert re.search(r'>New <span class="staff-count">2<', page)
    assert re.search(r'>In review <span class="staff-count">1<', page)
    knee = clinician.get("/staff/queue?body_area=knee&status=new").text
    assert re.search(r'>Closed <span class="staff-count">0<', knee)
    assert re.search(r'aria-current="page">New <span class="staff-count">2<', knee)
    assert 'href="/staff/queue?status=in_review&amp;body_area=knee"' in knee


def _bulk(client, data: dict, query: str = ""):
    token = csrf_token(client, "/staff/queue")
    return client.post("/staff/queue/bulk", data={"csrf_token": token, "return_to": query, **data})


def test_assign_to_me_then_only_mine_then_unassign(staff_app, clinician, admin):
    for n in range(3):
        store(staff_app, make_referral(f"MIS-ASG{n}-0001", f"{n}" * 32))
    response = _bulk(
        clinician, {"action": "assign", "reference": ["MIS-ASG0-0001", "MIS-ASG1-0001"]}
    )
    assert response.status_code == 302
    assert set(listed(clinician.get("/staff/queue?assigned=me").text)) == {
        "MIS-ASG0-0001",
        "MIS-ASG1-0001",
    }
    assert listed(clinician.get("/staff/queue?assigned=none").text) == ["MIS-ASG2-0001"]
    assert listed(admin.get("/staff/queue?assigned=me").text) == []
    assert "Assigned to casey.clinician" in admin.get("/staff/queue").text
    # One by one from the referral page: the admin takes one over, then lets it go.
    token = csrf_token(admin, "/staff/referrals/MIS-ASG0-0001")
    admin.post(
        "/staff/referrals/MIS-ASG0-0001/assign", data={"csrf_token": token, "action": "assign"}
    )
    assert listed(admin.get("/staff/queue?assigned=me").text) == ["MIS-ASG0-0001"]
    admin.post(
        "/staff/referrals/MIS-ASG0-0001/assign", data={"csrf_token": token, "action": "unassign"}
    )
    _bulk(clinician, {"action": "unassign", "reference": ["MIS-ASG1-0001"]})
    assert listed(clinician.get("/staff/queue?assigned=me").text) == []
    audit = [r["action"] for r in rows(staff_app, "SELECT action FROM audit_log")]
    assert audit.count("assign") == 3 and audit.count("unassign") == 2


def test_bulk_status_change_records_one_reason_for_each_and_skips_what_cannot_move(
    staff_app, clinician
):
    store(staff_app, make_referral("MIS-BLK1-0001", "1" * 32), status="in_review")
    store(staff_app, make_referral("MIS-BLK2-0001", "2" * 32), status="in_review")
    store(staff_app, make_referral("MIS-BLK3-0001", "3" * 32))  # new: cannot be accepted yet
    response = _bulk(
        clinician,
        {
            "action": "status",
            "to_status": "accepted",
            "reason": "Weekly triage meeting",
            "reference": ["MIS-BLK1-0001", "MIS-BLK2-0001", "MIS-BLK3-0001"],
        },
        "status=in_review&sort=pain",
    )
    assert response.status_code == 302
    assert response.location.endswith("/staff/queue?status=in_review&sort=pain")
    changes = rows(staff_app, "SELECT reference, reason, changed_by FROM status_changes")
    assert {c["reference"] for c in changes} == {"MIS-BLK1-0001", "MIS-BLK2-0001"}
    assert {c["reason"] for c in changes} == {"Weekly triage meeting"}
    assert {c["changed_by"] for c in changes} == {"casey.clinician"}
    page = clinician.get(response.location).text
    assert "2 referrals moved to accepted." in page and "Not moved" in page
    assert "MIS-BLK3-0001" in page


TICKED = ["MIS-ERR1-0001"]
BULK_MISTAKES = [
    ({"action": "status", "to_status": "closed", "reason": "x"}, "Select at least one",
     "select-all-help"),
    ({"action": "status", "to_status": "closed", "reference": TICKED}, "Give a reason",
     "bulk-reason"),
    ({"action": "status", "reason": "x", "reference": TICKED}, "Choose the status",
     "bulk-to-status"),
    ({"action": "delete", "reference": TICKED}, "Choose what to do", "bulk-to-status"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "problem", "anchor"), BULK_MISTAKES)
def test_a_bulk_change_that_is_wrong_shows_a_focused_error_summary_at_the_top(
    staff_app, clinician, data, problem, anchor
):
    store(staff_app, make_referral("MIS-ERR1-0001", "1" * 32))
    response = _bulk(clinician, data, "status=new")
    assert response.status_code == 400
    text = response.text
    summary = text.index('class="nhsuk-error-summary"')
    assert summary < text.index("<h1>")  # at the top, before everything else
    assert re.search(r'class="nhsuk-error-summary"[^>]*autofocus', text)
    assert f'href="#{anchor}"' in text and problem in text
    assert f'id="{anchor}"' in text
    if "reference" in data:  # what was ticked stays ticked
        assert re.search(r'id="select-MIS-ERR1-0001"[^>]*checked', text)
    assert rows(staff_app, "SELECT * FROM status_changes") == []


def test_next_and_previous_keep_the_filter_and_sort(staff_app, clinician, sixty):
    order = _all_in_order(clinician, "body_area=knee&sort=pain&dir=desc")
    assert len(order) >= 3
    middle = order[1]
    page = clinician.get(f"/staff/referrals/{middle}?body_area=knee&sort=pain&dir=desc").text
    query = "body_area=knee&amp;sort=pain&amp;dir=desc"
    assert f'rel="prev" href="/staff/referrals/{order[0]}?{query}"' in page
    assert f'rel="next" href="/staff/referrals/{order[2]}?{query}"' in page
    assert f"Referral 2 of {len(order)} in this list" in page
    assert f'href="/staff/queue?{query}">Back to the queue' in page
    first = clinician.get(f"/staff/referrals/{order[0]}?body_area=knee&sort=pain&dir=desc").text
    assert 'rel="prev"' not in first and 'rel="next"' in first
    # A referral outside the filter has no neighbours in it.
    back = next(ref for ref in sixty if ref not in order)
    outside = clinician.get(f"/staff/referrals/{back}?body_area=knee").text
    assert 'rel="next"' not in outside and " in this list</span>" not in outside


def test_referrals_waiting_past_the_setting_are_highlighted_and_filtered(tmp_path, monkeypatch):
    from tests.unit.staff.conftest import CLINICIAN, make_staff_app, sign_in

    monkeypatch.setenv("STAFF_WAITING_ALERT_DAYS", "5")
    app = make_staff_app(tmp_path, monkeypatch)
    assert app.config["SETTINGS"].staff_waiting_alert_days == 5
    store(app, make_referral("MIS-OLD1-0001", "1" * 32), received=NOW - timedelta(days=9))
    store(app, make_referral("MIS-OLD2-0001", "2" * 32), received=NOW - timedelta(days=9),
          status="closed")  # fmt: skip
    store(app, make_referral("MIS-NEW1-0001", "3" * 32), received=NOW - timedelta(days=2))
    client = app.test_client()
    sign_in(client, *CLINICIAN)
    page = client.get("/staff/queue").text
    assert page.count("staff-row--overdue") == 1
    assert "Over 5 days" in page
    assert listed(client.get("/staff/queue?waiting=over").text) == ["MIS-OLD1-0001"]
    assert "Waiting 9 days" in client.get("/staff/referrals/MIS-OLD1-0001").text


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_the_waiting_setting_must_be_a_whole_number_from_1(monkeypatch, value):
    monkeypatch.setenv("INTAKE_API_TOKEN", "x" * 20)
    monkeypatch.setenv("FLASK_SECRET_KEY", "y" * 20)
    monkeypatch.setenv("STAFF_WAITING_ALERT_DAYS", value)
    with pytest.raises(RuntimeError, match="STAFF_WAITING_ALERT_DAYS"):
        Settings.from_env({})


def test_an_unknown_time_zone_stops_the_app(monkeypatch):
    monkeypatch.setenv("INTAKE_API_TOKEN", "x" * 20)
    monkeypatch.setenv("FLASK_SECRET_KEY", "y" * 20)
    monkeypatch.setenv("STAFF_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(RuntimeError, match="STAFF_TIME_ZONE"):
        Settings.from_env({})


def test_the_queue_shows_age_pain_duration_work_waiting_channel_and_priority(
    staff_app, clinician, tracker
):
    payload = make_referral("MIS-COLS-0001", "c" * 32)
    payload["problem"].update(pain_score=7, work_status="at_risk", duration="5 weeks")
    store(staff_app, payload, received=NOW - timedelta(days=3, hours=1))
    tracker.add("c" * 32, "user", NOW, text="hello", metadata={"channel": "kiosk"})
    page = clinician.get("/staff/queue").text
    for shown in ("7/10", "5 weeks", "In work but finding it hard", "A&amp;E kiosk", "Knee"):
        assert shown in page, shown
    assert re.search(r"Days waiting </span><span>3<", page)
    assert re.search(r"Age </span><span>\d+<", page)
    assert "High" in page and "(suggested)" in page  # 7/10 +1, at risk +2, under 6 weeks +1
    table = clinician.get("/staff/queue.csv").text
    assert "priority,priority_set_by_staff,assigned_to,days_waiting,channel" in table
    assert ",high,,,3,kiosk" in table


def test_the_queue_on_a_phone_is_a_responsive_table_and_rarely_used_filters_fold_away(
    staff_app, clinician
):
    store(staff_app, make_referral("MIS-PHON-0001", "p" * 32))
    page = clinician.get("/staff/queue").text
    assert "nhsuk-table-responsive" in page
    assert page.count("nhsuk-table-responsive__heading") >= 10
    assert re.search(r'<details class="nhsuk-details staff-more-filters">', page)  # closed
    assert re.search(
        r'<details class="nhsuk-details staff-more-filters" open>',
        clinician.get("/staff/queue?channel=web").text,
    )
