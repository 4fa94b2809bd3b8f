"""Every view and change of patient data leaves an audit row (never the data itself), which
admins can read; the retention command deletes old closed referrals and old transcripts."""

import json
import re
from datetime import datetime, timedelta, timezone

from intake import storage
from tests.unit.staff.conftest import csrf_token, make_referral, rows, store

NOW = datetime.now(timezone.utc)
OLD = NOW - timedelta(days=400)


def test_each_view_and_change_of_patient_data_is_audited(staff_app, clinician, tracker):
    conversation = "d" * 32
    store(staff_app, make_referral("MIS-AUDT-0001", conversation, full_name="Sam Sample"))
    tracker.user(conversation, "my knee hurts on the stairs", NOW)
    clinician.get("/staff/queue?status=new")
    clinician.get("/staff/queue?q=Sam Sample")
    clinician.get("/staff/referrals/MIS-AUDT-0001")
    clinician.get(f"/staff/conversations/{conversation}")
    clinician.get("/staff/queue.csv")
    clinician.get("/staff/escalations")
    token = csrf_token(clinician, "/staff/referrals/MIS-AUDT-0001")
    clinician.post(
        "/staff/referrals/MIS-AUDT-0001/status",
        data={
            "csrf_token": token,
            "to_status": "in_review",
            "reason": "Sam Sample phoned back",
            "from_status": "new",
        },
    )
    audit = rows(staff_app, "SELECT * FROM audit_log WHERE action != 'sign_in' ORDER BY id")
    actions = [(row["action"], row["target_id"]) for row in audit]
    assert ("view_queue", "page 1") in actions
    assert ("search", "page 1") in actions
    assert ("view_referral", "MIS-AUDT-0001") in actions
    assert ("view_transcript", conversation) in actions
    assert ("export_csv", "csv") in actions
    assert ("view_escalations", "page 1") in actions
    assert ("change_status", "MIS-AUDT-0001") in actions
    assert {row["actor"] for row in audit} == {"casey.clinician"}
    for row in audit:
        assert datetime.fromisoformat(row["at"]) <= datetime.now(timezone.utc)
        # Never the patient data itself: not the name searched for, nor the reason given.
        assert "Sam" not in json.dumps(row)
        assert "stairs" not in json.dumps(row)
    status = next(row for row in audit if row["action"] == "change_status")
    assert json.loads(status["detail"]) == {"from": "new", "to": "in_review"}
    search = next(row for row in audit if row["action"] == "search")
    assert json.loads(search["detail"]) == {"search": True, "results": 1}


def test_admins_read_the_audit_log(staff_app, clinician, admin):
    clinician.get("/staff/queue")
    page = admin.get("/staff/admin/audit?actor=casey.clinician")
    assert page.status_code == 200
    assert "view_queue" in page.text
    assert "ada.admin" not in re.sub(r"<header.*?</header>", "", page.text, flags=re.S)
    assert rows(staff_app, "SELECT 1 FROM audit_log WHERE action = 'view_audit_log'")


def _seed_old_and_new(staff_app, tracker):
    store(staff_app, make_referral("MIS-OLDC-0001", "1" * 32), received=OLD, status="closed")
    store(staff_app, make_referral("MIS-OLDO-0001", "2" * 32), received=OLD, status="accepted")
    store(staff_app, make_referral("MIS-NEWC-0001", "3" * 32), received=NOW, status="closed")
    for conversation, when in (("1" * 32, OLD), ("2" * 32, OLD), ("3" * 32, NOW)):
        tracker.user(conversation, "my knee", when)
        tracker.bot(conversation, "Thank you.", when)
    tracker.user("4" * 32, "an old chat with no referral", OLD)
    tracker.user("5" * 32, "a new chat with no referral", NOW)


def test_retention_deletes_old_closed_referrals_and_old_transcripts(staff_app, tracker, clinician):
    _seed_old_and_new(staff_app, tracker)
    clinician.get("/staff/queue?q=chat")  # copies the conversations into the search index
    assert len(rows(staff_app, "SELECT * FROM transcripts")) == 5
    store(staff_app, make_referral("MIS-OLDC-0001", "1" * 32))  # idempotent: nothing new
    with staff_app.app_context():
        db = storage.database()
        with db.conn:
            db.execute(
                "INSERT INTO status_changes (reference, from_status, to_status, reason, "
                "changed_by, changed_at) VALUES ('MIS-OLDC-0001', 'new', 'closed', 'done', "
                "'casey.clinician', ?)",
                [OLD.isoformat()],
            )

    result = staff_app.test_cli_runner().invoke(args=["retention", "--days", "365"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 closed referrals, 2 conversation transcripts (3 tracker events)" in (
        result.output
    )
    kept = {row["reference"] for row in rows(staff_app, "SELECT reference FROM referrals")}
    assert kept == {"MIS-OLDO-0001", "MIS-NEWC-0001"}
    assert rows(staff_app, "SELECT * FROM status_changes") == []
    assert tracker.count("1" * 32) == 0 and tracker.count("4" * 32) == 0
    assert tracker.count("2" * 32) == 2  # its referral is still open
    assert tracker.count("3" * 32) == 2 and tracker.count("5" * 32) == 1
    indexed = {row["conversation_id"] for row in rows(staff_app, "SELECT * FROM transcripts")}
    assert indexed == {"2" * 32, "3" * 32, "5" * 32}
    assert not rows(staff_app, "SELECT * FROM transcripts_fts WHERE transcripts_fts MATCH 'old'")
    run = rows(staff_app, "SELECT * FROM audit_log WHERE action = 'retention_run'")
    assert [(r["actor"], json.loads(r["detail"])) for r in run] == [
        (
            "cli",
            {
                "referrals": 1,
                "conversations": 2,
                "tracker_events": 3,
                "abandoned_conversations": 1,  # "4" * 32: no referral came of it
                "outbox": None,  # no outbox file in this test
            },
        )
    ]


def test_a_retention_dry_run_deletes_nothing(staff_app, tracker):
    _seed_old_and_new(staff_app, tracker)
    result = staff_app.test_cli_runner().invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "retention (365 days" in result.output
    assert "would delete 1 closed referrals, 2 conversation transcripts (3 tracker events)" in (
        result.output
    )
    assert len(rows(staff_app, "SELECT * FROM referrals")) == 3
    assert tracker.count("1" * 32) == 2


def test_an_admin_can_run_retention_from_the_app(staff_app, tracker, admin):
    _seed_old_and_new(staff_app, tracker)
    page = admin.get("/staff/admin/retention")
    assert "it would delete 1 closed referral" in " ".join(page.text.split())
    token = csrf_token(admin, "/staff/admin/retention")
    response = admin.post("/staff/admin/retention", data={"csrf_token": token})
    assert response.status_code == 302
    assert len(rows(staff_app, "SELECT * FROM referrals")) == 2
    assert rows(staff_app, "SELECT actor FROM audit_log WHERE action = 'retention_run'") == [
        {"actor": "ada.admin"}
    ]


def test_the_admin_page_runs_the_same_rule_as_the_command_abandoned_chats_and_outbox_too(
    staff_app, tracker, admin
):
    """The page and `flask retention` share one configured rule (run_configured)."""
    import json

    _seed_old_and_new(staff_app, tracker)
    page = " ".join(admin.get("/staff/admin/retention").text.split())
    assert "after 30 days (ABANDONED_RETENTION_DAYS)" in page.replace("<code>", "").replace(
        "</code>", ""
    )
    token = csrf_token(admin, "/staff/admin/retention")
    admin.post("/staff/admin/retention", data={"csrf_token": token})
    [run] = rows(staff_app, "SELECT detail FROM audit_log WHERE action = 'retention_run'")
    assert "abandoned_conversations" in json.loads(run["detail"])
