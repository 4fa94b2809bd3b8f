"""`flask --app intake.wsgi outbox`: what an operator sees of the records that wait or failed
(never what they say), and puts back in the queue or lets go, audited."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from bot import outbox
from tests.unit.staff.conftest import rows
from tests.unit.staff.outbox_rows import put
from tests.unit.staff.outbox_rows import rows as outbox_rows


def seed(path) -> None:
    put(path, "MIS-WAIT-0001", "pending", age=timedelta(hours=2), last_error="HTTP 401")
    put(path, "MIS-DEAD-0001", outbox.DEAD_LETTER, age=timedelta(days=1), last_error="HTTP 503")
    put(path, "MIS-REFU-0001", "rejected", age=timedelta(days=1), last_error="HTTP 422")
    put(path, "MIS-DONE-0001", "delivered")


def test_the_listing_names_records_and_never_their_content(staff_app, tmp_path):
    seed(tmp_path / "outbox.db")
    result = staff_app.test_cli_runner().invoke(args=["outbox"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("MIS-WAIT-0001" in line and "pending" in line and "HTTP 401" in line
               for line in lines)  # fmt: skip
    assert any("MIS-DEAD-0001" in line and "dead_letter" in line for line in lines)
    assert any("MIS-REFU-0001" in line and "rejected" in line for line in lines)
    assert "MIS-DONE-0001" not in result.output
    assert "Sam" not in result.output and "07700" not in result.output


def test_a_dead_letter_is_put_back_in_the_queue(staff_app, tmp_path):
    path = tmp_path / "outbox.db"
    seed(path)
    result = staff_app.test_cli_runner().invoke(
        args=["outbox", "--requeue", "MIS-DEAD-0001", "--requeue", "MIS-REFU-0001"]
    )
    assert result.exit_code == 0, result.output
    assert "requeued 1" in result.output
    after = outbox_rows(path)
    assert (after["MIS-DEAD-0001"]["status"], after["MIS-DEAD-0001"]["attempts"]) == (
        outbox.PENDING,
        0,
    )
    assert after["MIS-DEAD-0001"]["next_attempt_at"] <= time.time()  # due at once
    assert after["MIS-REFU-0001"]["status"] == outbox.REJECTED  # refused for good: not resent
    [audit] = rows(staff_app, "SELECT * FROM audit_log WHERE action = 'outbox_requeue'")
    assert (audit["actor"], audit["target_id"]) == ("cli", "MIS-DEAD-0001")
    assert json.loads(audit["detail"]) == {"kind": "referral", "last_error": "HTTP 503"}


def test_a_failed_record_an_operator_has_dealt_with_is_let_go(staff_app, tmp_path):
    path = tmp_path / "outbox.db"
    seed(path)
    result = staff_app.test_cli_runner().invoke(
        args=["outbox", "--dismiss", "MIS-REFU-0001", "--dismiss", "MIS-WAIT-0001"]
    )
    assert result.exit_code == 0, result.output
    assert "dismissed 1" in result.output
    after = outbox_rows(path)
    assert "MIS-REFU-0001" not in after
    assert after["MIS-WAIT-0001"]["status"] == outbox.PENDING  # still being retried: kept
    assert rows(staff_app, "SELECT target_id FROM audit_log WHERE action = 'outbox_dismiss'") == [
        {"target_id": "MIS-REFU-0001"}
    ]


def test_without_an_outbox_file_there_is_nothing_to_list(staff_app, tmp_path):
    result = staff_app.test_cli_runner().invoke(args=["outbox"])
    assert result.exit_code == 0
    assert "no outbox file" in result.output
    assert not (tmp_path / "outbox.db").exists()
