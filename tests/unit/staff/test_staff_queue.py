"""The referral queue: filters, pagination (25 a page, newest first), full-text search over
referrals and conversation transcripts, and a CSV export safe to open in a spreadsheet."""

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from intake.staff.exports import safe_cell
from tests.unit.staff.conftest import make_referral, store

NOW = datetime.now(timezone.utc)


def references(page_text: str) -> list[str]:
    """The referrals listed, in order (their links carry the queue's filters and sort)."""
    return re.findall(r'href="/staff/referrals/(MIS-[0-9A-Z-]+)[?"]', page_text)


def reference(n: int) -> str:
    return f"MIS-{n:04d}-TEST"


def test_the_queue_lists_newest_first_25_to_a_page(staff_app, clinician):
    for n in range(30):
        store(
            staff_app,
            make_referral(reference(n), f"conv{n:028d}"),
            received=NOW - timedelta(hours=30 - n),
        )
    first = clinician.get("/staff/queue")
    assert first.status_code == 200
    assert "30 referrals found" in first.text
    assert references(first.text) == [reference(n) for n in range(29, 4, -1)]
    assert 'href="/staff/queue?page=2"' in first.text
    second = clinician.get("/staff/queue?page=2")
    assert references(second.text) == [reference(n) for n in range(4, -1, -1)]
    assert "page=3" not in second.text


def test_filters_by_status_body_area_escalation_and_date(staff_app, clinician):
    knee = make_referral("MIS-KNEE-0001", "a" * 32)
    back = make_referral("MIS-BACK-0001", "b" * 32)
    back["problem"]["body_area"] = "back"
    back["escalated"] = True
    old = make_referral("MIS-OLDD-0001", "c" * 32)
    store(staff_app, knee, received=NOW - timedelta(days=1))
    store(staff_app, back, received=NOW - timedelta(days=2), status="in_review")
    store(staff_app, old, received=datetime(2026, 1, 15, 12, tzinfo=timezone.utc), status="closed")

    def listed(query: str) -> set[str]:
        response = clinician.get(f"/staff/queue?{query}")
        assert response.status_code == 200
        return set(references(response.text))

    assert listed("") == {"MIS-KNEE-0001", "MIS-BACK-0001", "MIS-OLDD-0001"}
    assert listed("status=in_review") == {"MIS-BACK-0001"}
    assert listed("status=closed") == {"MIS-OLDD-0001"}
    assert listed("body_area=back") == {"MIS-BACK-0001"}
    assert listed("body_area=knee") == {"MIS-KNEE-0001", "MIS-OLDD-0001"}
    assert listed("escalated=yes") == {"MIS-BACK-0001"}
    assert listed("escalated=no") == {"MIS-KNEE-0001", "MIS-OLDD-0001"}
    assert listed("received_from=2026-01-15&received_to=2026-01-15") == {"MIS-OLDD-0001"}
    assert listed("received_to=2026-01-14") == set()
    assert listed(f"received_from={(NOW - timedelta(days=3)).date()}&body_area=knee") == {
        "MIS-KNEE-0001"
    }
    unknown = clinician.get("/staff/queue?received_from=yesterday")
    assert "received from must be a date" in unknown.text


def test_a_referral_is_flagged_when_its_conversation_escalated(staff_app, clinician, auth):
    store(staff_app, make_referral("MIS-ESCA-0001", "e" * 32))
    escalation = {
        "id": "f" * 32,
        "conversation_id": "e" * 32,
        "level": "urgent",
        "code": "septic_arthritis",
        "codes": ["septic_arthritis"],
        "source": "message",
        "occurred_at": NOW.isoformat(),
    }
    assert clinician.post("/api/v1/escalations", json=escalation, headers=auth).status_code == 201
    assert references(clinician.get("/staff/queue?escalated=yes").text) == ["MIS-ESCA-0001"]


def test_search_finds_a_referral_by_the_patients_name(staff_app, clinician):
    store(staff_app, make_referral("MIS-SAMS-0001", "1" * 32, full_name="Sam Sample"))
    alex = make_referral(
        "MIS-ALEX-0001", "2" * 32, full_name="Alex Example", email="alex@example.com"
    )
    store(staff_app, alex)
    assert references(clinician.get("/staff/queue?q=sample").text) == ["MIS-SAMS-0001"]
    assert references(clinician.get("/staff/queue?q=Alex Example").text) == ["MIS-ALEX-0001"]
    assert references(clinician.get("/staff/queue?q=MIS-ALEX-0001").text) == ["MIS-ALEX-0001"]
    # Words that are FTS syntax are searched for as words, not run as a query.
    assert clinician.get('/staff/queue?q=" OR NEAR(*').status_code == 200


def test_search_finds_a_conversation_by_a_phrase_with_or_without_a_referral(
    staff_app, clinician, tracker
):
    store(staff_app, make_referral("MIS-TALK-0001", "3" * 32))
    tracker.user("3" * 32, "my knee clicks when I kneel on the kitchen floor", NOW)
    tracker.user("4" * 32, "I want to kneel at the allotment again", NOW)
    tracker.user("5" * 32, "my shoulder hurts", NOW)
    page = clinician.get("/staff/queue?q=kitchen floor")
    assert references(page.text) == ["MIS-TALK-0001"]
    assert "/staff/conversations/" + "3" * 32 in page.text
    kneel = clinician.get("/staff/queue?q=kneel").text
    assert "/staff/conversations/" + "3" * 32 in kneel
    assert "/staff/conversations/" + "4" * 32 in kneel
    assert "/staff/conversations/" + "5" * 32 not in kneel
    # A later message is indexed at the next search.
    tracker.user("5" * 32, "the allotment shed too", NOW + timedelta(minutes=1))
    assert "/staff/conversations/" + "5" * 32 in clinician.get("/staff/queue?q=allotment").text


def test_the_csv_export_holds_the_filtered_queue(staff_app, clinician):
    store(staff_app, make_referral("MIS-CSVA-0001", "6" * 32), received=NOW)
    store(staff_app, make_referral("MIS-CSVB-0001", "7" * 32), status="closed")
    response = clinician.get("/staff/queue.csv?status=new")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["reference"] for row in table] == ["MIS-CSVA-0001"]
    assert table[0]["full_name"] == "Sam Sample"
    assert table[0]["status"] == "new"
    assert table[0]["gp_practice"] == "Example Street Surgery"


def test_the_csv_export_defuses_spreadsheet_formulas(staff_app, clinician):
    store(
        staff_app,
        make_referral("MIS-EVIL-0001", "8" * 32, full_name='=HYPERLINK("http://x","y")'),
    )
    store(staff_app, make_referral("MIS-EVIL-0002", "9" * 32, full_name="@SUM(A1:A9)"))
    table = list(csv.DictReader(io.StringIO(clinician.get("/staff/queue.csv").text)))
    names = {row["reference"]: row["full_name"] for row in table}
    assert names["MIS-EVIL-0001"] == '\'=HYPERLINK("http://x","y")'
    assert names["MIS-EVIL-0002"] == "'@SUM(A1:A9)"
    assert table[0]["phone"] == "07700 900123"


def test_safe_cell_quotes_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r", "\n", ";", ",", "|"):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    # after spaces, full-width forms (OWASP CSV injection; once let through)
    for sneaky in (" =1+1", "\u3000=1+1", "\uff1d1+1", "\uff0bcmd", "\uff20SUM(1)", "\u00a0-2+3"):
        assert safe_cell(sneaky) == "'" + sneaky
    assert safe_cell("Sam Sample") == "Sam Sample"
    assert safe_cell(None) == ""
    assert safe_cell(6) == "6"


def test_the_queue_shows_the_patient_escaped(staff_app, clinician):
    store(staff_app, make_referral("MIS-XSSQ-0001", "0" * 32, full_name="<b>Sam</b> Sample"))
    page = clinician.get("/staff/queue").text
    assert "&lt;b&gt;Sam&lt;/b&gt; Sample" in page
    assert "<b>Sam</b>" not in page
    assert json.dumps("<b>Sam</b>") not in page


@pytest.mark.parametrize(
    "url",
    [
        "/staff/queue?page=99999999999999999999999",
        "/staff/queue?page=-5",
        "/staff/queue?page=two",
        '/staff/queue?q="',
        '/staff/queue?q="""',
        "/staff/queue?q=a%00b",
        "/staff/queue?q=NEAR(",
        "/staff/queue?q=*",
        "/staff/escalations?page=99999999999999999999999",
    ],
)
def test_odd_page_numbers_and_search_syntax_get_a_page_not_a_500(clinician, url):
    """Once these were HTTP 500s: a huge page number overflowed SQLite's integer, and a
    double quote or a NUL broke the full-text search syntax."""
    assert clinician.get(url).status_code == 200


def test_an_odd_audit_page_number_gets_a_page_not_a_500(admin):
    assert admin.get("/staff/admin/audit?page=99999999999999999999999").status_code == 200


ODD_PAGES = [
    str(10**30),
    str(-(10**30)),
    "9" * 5000,
    "\u00b2",
    "\u0661\u0662",
    "\uff15",
    "1e3",
    " 2 ",
]


@pytest.mark.parametrize("path", ["/staff/queue", "/staff/escalations", "/staff/admin/audit"])
@pytest.mark.parametrize("page", ODD_PAGES)
def test_every_paged_list_clamps_an_odd_page_number(staff_app, admin, path, page):
    """Pages are counted from 1 up to MAX_PAGE; anything else is page 1 or the last."""
    store(staff_app, make_referral("MIS-PAGE-0001", "p" * 32))
    response = admin.get(path, query_string={"page": page})
    assert response.status_code == 200
    assert "Page 100001" not in response.text


@pytest.mark.parametrize(
    "q",
    ['"', '""', '"Sam', "*", "Sam*", "NEAR(", "NEAR(Sam sample", "-", "-Sam", ":", "full_name:Sam",
     "(", ")", "(Sam", "Sam)", "((", "^Sam", "AND", "Sam OR", "NOT Sam", "+", "\u00b2", "a\x00b"],
)  # fmt: skip
def test_full_text_search_syntax_in_the_search_box_is_searched_for_not_run(staff_app, clinician, q):
    """A lone double quote (FTS5 syntax) was an HTTP 500; every FTS5 operator is plain text."""
    store(staff_app, make_referral("MIS-FTSQ-0001", "f" * 32))
    for path in ("/staff/queue", "/staff/queue.csv"):
        assert clinician.get(path, query_string={"q": q}).status_code == 200, (path, q)
    if q in ('"Sam', "Sam*", "(Sam", "Sam)", "^Sam"):  # the operator is dropped, the word kept
        assert "MIS-FTSQ-0001" in clinician.get("/staff/queue", query_string={"q": q}).text


def test_a_stored_payload_sqlite_cannot_read_as_json_does_not_break_the_queue(staff_app, clinician):
    """NaN is not JSON: SQLite's json_extract refused the whole queue over one such row."""
    payload = make_referral("MIS-NANQ-0001", "n" * 32)
    payload["extra"] = float("nan")
    store(staff_app, payload)
    store(staff_app, make_referral("MIS-GOOD-0001", "g" * 32))
    page = clinician.get("/staff/queue")
    assert page.status_code == 200
    assert {"MIS-NANQ-0001", "MIS-GOOD-0001"} <= set(references(page.text))
    export = clinician.get("/staff/queue.csv")
    assert export.status_code == 200 and "MIS-NANQ-0001" in export.text
    assert clinician.get("/staff/queue?body_area=knee&q=Sam").status_code == 200
