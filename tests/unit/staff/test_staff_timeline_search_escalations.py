"""Issue 24 items 2-6: notes and contact attempts in the timeline and the audit log,
duplicate awareness, escalations as work, search that finds patients (and not the
assistant's words), and readable pages (button titles, local times, labels); the m005
migration upgrading a database that holds data."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlite_utils import Database

from intake import migrations, storage
from tests.unit.staff.conftest import csrf_token, make_referral, rows, store

NOW = datetime.now(timezone.utc)


def listed(page_text: str) -> list[str]:
    return re.findall(r'href="/staff/referrals/(MIS-[0-9A-Z-]+)[?"]', page_text)


def _post_note(client, reference: str, **data):
    token = csrf_token(client, f"/staff/referrals/{reference}")
    return client.post(f"/staff/referrals/{reference}/notes", data={"csrf_token": token, **data})


def test_notes_and_contact_attempts_are_their_own_timeline_entries_and_audited(
    staff_app, clinician
):
    store(staff_app, make_referral("MIS-NOTE-0001", "n" * 32))
    assert (
        _post_note(clinician, "MIS-NOTE-0001", kind="note", text="Asked GP for x-ray").status_code
        == 302
    )
    assert (
        _post_note(
            clinician,
            "MIS-NOTE-0001",
            kind="contact_attempt",
            method="phone",
            outcome="no_answer",
            text="Tried mobile at 10",
        ).status_code
        == 302
    )
    entries = rows(staff_app, "SELECT kind, method, outcome, text, created_by FROM referral_notes")
    assert [(e["kind"], e["created_by"]) for e in entries] == [
        ("note", "casey.clinician"),
        ("contact_attempt", "casey.clinician"),
    ]
    assert rows(staff_app, "SELECT * FROM status_changes") == []  # not mixed into status
    page = clinician.get("/staff/referrals/MIS-NOTE-0001").text
    assert page.index("Asked GP for x-ray") < page.index("Tried mobile at 10")
    assert "Contact attempt: phone call, no answer" in page
    audit = rows(staff_app, "SELECT action, target_id, detail FROM audit_log")
    mine = [a for a in audit if a["action"] in ("add_note", "add_contact_attempt")]
    assert [a["action"] for a in mine] == ["add_note", "add_contact_attempt"]
    assert all(a["target_id"] == "MIS-NOTE-0001" for a in mine)
    assert "x-ray" not in json.dumps(audit) and "mobile" not in json.dumps(audit)


@pytest.mark.parametrize(
    ("data", "anchor"),
    [
        ({"kind": "note", "text": "  "}, "note-text"),
        ({"kind": "contact_attempt", "method": "", "outcome": "reached"}, "contact-method"),
        ({"kind": "contact_attempt", "method": "phone", "outcome": "maybe"}, "contact-outcome"),
    ],
)
def test_a_note_that_is_wrong_gets_a_focused_error_summary(staff_app, clinician, data, anchor):
    store(staff_app, make_referral("MIS-NOTE-0002", "m" * 32))
    response = _post_note(clinician, "MIS-NOTE-0002", **data)
    assert response.status_code == 400
    assert re.search(r'class="nhsuk-error-summary"[^>]*autofocus', response.text)
    assert response.text.index("nhsuk-error-summary") < response.text.index("<h1>")
    assert f'href="#{anchor}"' in response.text and f'id="{anchor}"' in response.text
    assert rows(staff_app, "SELECT * FROM referral_notes") == []


def test_a_failed_status_change_puts_its_error_summary_at_the_top_focused(staff_app, clinician):
    store(staff_app, make_referral("MIS-STER-0001", "s" * 32))
    token = csrf_token(clinician, "/staff/referrals/MIS-STER-0001")
    response = clinician.post(
        "/staff/referrals/MIS-STER-0001/status",
        data={"csrf_token": token, "to_status": "closed", "reason": "", "from_status": "new"},
    )
    assert response.status_code == 400
    text = response.text
    assert text.index("nhsuk-error-summary") < text.index("<h1>")
    assert re.search(r'class="nhsuk-error-summary"[^>]*autofocus', text)
    assert '<a href="#reason">Give a reason for the change.</a>' in text


def test_the_sign_in_error_summary_is_focused(anonymous):
    token = csrf_token(anonymous, "/staff/sign-in")
    page = anonymous.post(
        "/staff/sign-in", data={"csrf_token": token, "username": "nobody", "password": "wrong"}
    ).text
    assert re.search(r'class="nhsuk-error-summary"[^>]*autofocus', page)
    assert '<a href="#username">The username or password is not right.</a>' in page


def test_referrals_of_the_same_person_link_to_each_other(staff_app, clinician):
    store(staff_app, make_referral("MIS-DUPA-0001", "1" * 32, nhs_number="485 777 3457"))
    store(staff_app, make_referral("MIS-DUPB-0001", "2" * 32, nhs_number="4857773457",
                                   full_name="Samantha Sample"))  # fmt: skip
    store(staff_app, make_referral("MIS-DUPC-0001", "3" * 32, nhs_number=None,
                                   full_name="sam  SAMPLE"))  # fmt: skip
    store(staff_app, make_referral("MIS-SOLO-0001", "4" * 32, nhs_number="9434765919",
                                   full_name="Jo Nobody"))  # fmt: skip
    a = clinician.get("/staff/referrals/MIS-DUPA-0001").text
    assert "The same person may have other referrals" in a
    assert re.search(r"MIS-DUPB-0001</a>.*?same NHS number", a, re.S)
    assert re.search(r"MIS-DUPC-0001</a>.*?same name and date of birth", a, re.S)
    c = clinician.get("/staff/referrals/MIS-DUPC-0001").text
    callout = c.split("The same person may have other referrals")[1].split("</div>")[0]
    assert "MIS-DUPA-0001" in callout and "MIS-DUPB-0001" not in callout
    assert "other referrals" not in clinician.get("/staff/referrals/MIS-SOLO-0001").text
    queue = clinician.get("/staff/queue").text
    assert queue.count("Same person?") == 3


def _escalation(staff_app, n: int, conversation: str, level: str = "emergency") -> str:
    record = {
        "id": f"{n:032x}",
        "conversation_id": conversation,
        "level": level,
        "code": "cauda_equina",
        "source": "message",
        "occurred_at": (NOW - timedelta(minutes=n)).isoformat(timespec="seconds"),
    }
    with staff_app.app_context():
        storage.store_escalation(record)
    return record["id"]


def _work(client, escalation_id: str, action: str, note: str = ""):
    token = csrf_token(client, "/staff/escalations")
    return client.post(
        f"/staff/escalations/{escalation_id}/work",
        data={"csrf_token": token, "action": action, "note": note},
    )


def test_escalations_are_acknowledged_then_actioned_with_who_and_when(
    staff_app, clinician, tracker
):
    first = _escalation(staff_app, 1, "a" * 32)
    second = _escalation(staff_app, 2, "b" * 32)
    page = clinician.get("/staff/escalations").text
    assert re.search(r'staff-header-count">2<', page)
    assert _work(clinician, first, "acknowledge").status_code == 302
    assert re.search(r'staff-header-count">1<', clinician.get("/staff/queue").text)
    _work(clinician, first, "actioned", "Rang patient, sent to A&E")
    _work(clinician, second, "actioned")
    work = {w["escalation_id"]: w for w in rows(staff_app, "SELECT * FROM escalation_work")}
    assert work[first]["state"] == "actioned"
    assert work[first]["acknowledged_by"] == work[first]["actioned_by"] == "casey.clinician"
    assert work[first]["action_note"] == "Rang patient, sent to A&E"
    assert work[second]["acknowledged_at"] and work[second]["actioned_at"]
    page = clinician.get("/staff/escalations").text
    assert "staff-header-count" not in page
    assert "Actioned by casey.clinician" in page and "Rang patient, sent to A&amp;E" in page
    assert len(listed(clinician.get("/staff/escalations?state=new").text)) == 0
    assert "2 escalations." in clinician.get("/staff/escalations?state=actioned").text
    actions = [a["action"] for a in rows(staff_app, "SELECT action FROM audit_log")]
    assert actions.count("action_escalation") == 2 and "acknowledge_escalation" in actions
    assert _work(clinician, "f" * 32, "acknowledge").status_code == 404


def test_an_escalation_shows_channel_contact_details_or_that_there_is_no_way_to_reach(
    staff_app, clinician, tracker
):
    _escalation(staff_app, 1, "k" * 32)  # a kiosk patient who gave a phone number
    tracker.add("k" * 32, "user", NOW, text="I can't feel my legs", metadata={"channel": "kiosk"})
    tracker.add("k" * 32, "slot", NOW, name="phone", value="07700 900456")
    _escalation(staff_app, 2, "w" * 32)  # a web patient who gave nothing
    tracker.add("w" * 32, "user", NOW, text="numb bum", metadata={"channel": "web"})
    _escalation(staff_app, 3, "r" * 32)  # a referral's details
    store(staff_app, make_referral("MIS-ESCR-0001", "r" * 32))
    page = clinician.get("/staff/escalations").text
    cards = page.split('class="nhsuk-card staff-escalation"')[1:]
    assert "A&amp;E kiosk" in cards[0] and "07700 900456" in cards[0]
    assert "Website" in cards[1] and "No way to reach the patient" in cards[1]
    assert "07700 900123" in cards[2] and "sam.sample@example.com" in cards[2]
    assert "No way to reach" not in cards[0] + cards[2]


def test_search_finds_the_patients_words_not_the_assistants(staff_app, clinician, tracker):
    for n in range(3):
        store(staff_app, make_referral(f"MIS-SRCH-000{n}", f"{n}" * 32, postcode="ST4 6QG"))
        tracker.bot(f"{n}" * 32, "What is your postcode? For example, WS11 1DB.", NOW)
    tracker.user("1" * 32, "my postcode is ws11 1db", NOW + timedelta(seconds=1))
    page = clinician.get("/staff/queue?q=WS11 1DB").text
    assert listed(page) == ["MIS-SRCH-0001"]
    assert listed(clinician.get("/staff/queue?q=ws111db").text) == ["MIS-SRCH-0001"]


@pytest.mark.parametrize(
    "typed",
    ["485 777 3457", "4857773457", "485-777-3457", "ws11 1db", "WS111DB", "07700900123",
     "07700 900 123", "+44 7700 900123", "Sample"],
)  # fmt: skip
def test_identifiers_are_found_however_they_are_typed(staff_app, clinician, typed):
    store(staff_app, make_referral("MIS-IDNT-0001", "i" * 32))
    store(staff_app, make_referral("MIS-OTHR-0001", "o" * 32, nhs_number="9434765919",
                                   postcode="ST4 6QG", phone="07700 900999",
                                   full_name="Jo Other", email="jo@example.com"))  # fmt: skip
    page = clinician.get("/staff/queue", query_string={"q": typed}).text
    assert listed(page) == ["MIS-IDNT-0001"]


@pytest.mark.parametrize(
    "query", ['"', "AND", "OR NOT", "NEAR(a b)", "a* ^b", "col:word", "(", "-", "'", "\\", "*"]
)
def test_full_text_syntax_in_a_search_never_fails(staff_app, clinician, query):
    store(staff_app, make_referral("MIS-SYNT-0001", "y" * 32))
    response = clinician.get("/staff/queue", query_string={"q": query})
    assert response.status_code == 200
    assert storage.fts_match(query) is None or '"' in storage.fts_match(query)


def test_a_tapped_button_is_shown_as_its_title_not_its_payload(staff_app, clinician, tracker):
    store(staff_app, make_referral("MIS-TAPS-0001", "t" * 32))
    buttons = [
        {"title": "In work but finding it hard", "payload": '/inform{"work_status": "at_risk"}'},
        {"title": "Retired", "payload": '/inform{"work_status": "retired"}'},
    ]
    tracker.bot("t" * 32, "What about work?", NOW, buttons=buttons)
    tracker.user("t" * 32, '/inform{"work_status": "at_risk"}', NOW + timedelta(seconds=1))
    tracker.user("t" * 32, "/affirm", NOW + timedelta(seconds=2))
    page = clinician.get(f"/staff/conversations/{'t' * 32}").text
    patient_lines = re.findall(r'staff-transcript__patient">(.*?)</li>', page, re.S)
    said = " ".join(patient_lines)
    assert "/inform" not in said and "/affirm" not in said
    assert "Tapped the button" in said and "In work but finding it hard" in said
    assert re.search(r"Tapped the button</span> <strong[^>]*>Yes<", said)


def test_times_are_local_and_values_readable(staff_app, clinician):
    payload = make_referral("MIS-READ-0001", "r" * 32)
    payload["submitted_at"] = "2026-07-01T10:00:00+00:00"  # summer: 11:00 in London
    payload["problem"]["work_status"] = "at_risk"
    payload["signposting"] = ["nhs_back_pain"]
    store(staff_app, payload)
    text = clinician.get("/staff/referrals/MIS-READ-0001").text
    assert "1 Jul 2026, 11:00" in text
    assert "In work but finding it hard or at risk of going off" in text
    assert "Back pain (NHS website)" in text and ">nhs_back_pain<" not in text
    assert "6/10" in text and "(age " in text


def test_m005_upgrades_a_database_holding_data_without_losing_any(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    upto_m004 = [m for m in migrations.migrations._migrations if m.name <= "m004"]
    for migration in sorted(upto_m004, key=lambda m: m.name):
        migration.fn(db)
    payload = make_referral("MIS-OLDD-0001", "o" * 32, nhs_number="485 777 3457")
    db["referrals"].insert(
        {
            "reference": "MIS-OLDD-0001",
            "status": "in_review",
            "received_at": "2026-01-02T03:04:05+00:00",
            "conversation_id": "o" * 32,
            "payload": json.dumps(payload),
            "payload_sha256": "x",
            "body_area": "knee",
            "escalated": 0,
            "search_text": "MIS-OLDD-0001 Sam Sample",
        }
    )
    db["status_changes"].insert(
        {"reference": "MIS-OLDD-0001", "from_status": "new", "to_status": "in_review",
         "reason": "kept", "changed_by": "casey", "changed_at": "2026-01-03T00:00:00+00:00"}
    )  # fmt: skip
    db["transcripts"].insert({"conversation_id": "o" * 32, "text": "Assistant: WS11 1DB",
                              "last_event_id": 9, "updated_at": "x"})  # fmt: skip
    db.close()
    with sqlite3.connect(path) as raw:  # as an older release recorded what it applied
        raw.execute("CREATE TABLE IF NOT EXISTS _sqlite_migrations (migration_set TEXT, "
                    "name TEXT, applied_at TEXT, PRIMARY KEY (migration_set, name))")  # fmt: skip
        for m in upto_m004:
            raw.execute("INSERT INTO _sqlite_migrations VALUES ('intake', ?, 'then')", [m.name])
    storage.migrate(path)
    db = Database(path)
    row = db["referrals"].get("MIS-OLDD-0001")
    assert row["status"] == "in_review" and row["payload"] == json.dumps(payload)
    assert row["nhs_key"] == "4857773457" and row["person_key"] == "sam sample|1971-11-02"
    assert row["duration_days"] == 90 and row["derived_version"] == storage.DERIVED_VERSION
    assert "4857773457" in row["search_text"] and row["priority"] is None
    assert db["status_changes"].count == 1
    assert db["transcripts"].count == 0  # the old copy held the assistant's words: rebuilt
    assert {"referral_notes", "escalation_work"} <= set(db.table_names())


def test_retention_deletes_a_closed_referrals_notes_with_it(staff_app, clinician):
    old = NOW - timedelta(days=400)
    store(staff_app, make_referral("MIS-GONE-0001", "g" * 32), received=old, status="closed")
    store(staff_app, make_referral("MIS-KEPT-0001", "h" * 32))
    _post_note(clinician, "MIS-GONE-0001", kind="note", text="old note")
    _post_note(clinician, "MIS-KEPT-0001", kind="note", text="kept note")
    with staff_app.app_context():
        db = storage.database()
        with db.conn:
            db.execute("UPDATE referrals SET updated_at = ?", [old.isoformat()])
    result = staff_app.test_cli_runner().invoke(args=["retention", "--days", "365"])
    assert result.exit_code == 0, result.output
    notes = rows(staff_app, "SELECT reference FROM referral_notes")
    assert [n["reference"] for n in notes] == ["MIS-KEPT-0001"]
