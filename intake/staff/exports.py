"""CSV export of the (filtered) queue, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime, timezone
from typing import Any

from flask import Response, current_app

from intake import storage
from intake.staff import audit, transcripts
from intake.staff.blueprint import blueprint
from intake.staff.queue import WORKLIST_COLUMNS, QueueFilters, find_referrals, payload_field

MAX_ROWS = 10_000
# Cells a spreadsheet would read as a formula or split into new cells (CSV injection, OWASP):
# shown as text instead. Checked on the first character that is not a space, after Unicode
# compatibility folding, so " =1+1" and full-width "\uff1d1+1" are caught too.
FORMULA_STARTS = ("=", "+", "-", "@", ";", ",", "|", "\t", "\r", "\n")
COLUMNS = (
    ("reference", "reference"),
    ("status", "status"),
    ("received_at", "received_at"),
    ("updated_at", "updated_at"),
    ("body_area", "body_area"),
    ("escalated", "escalated"),
    ("full_name", "full_name"),
    ("date_of_birth", "date_of_birth"),
    ("nhs_number", "nhs_number"),
    ("postcode", "postcode"),
    ("phone", "phone"),
    ("email", "email"),
    ("gp_practice", "gp_practice"),
    ("priority", "priority"),
    ("priority_set_by_staff", "set_priority"),
    ("assigned_to", "assigned_to"),
    ("days_waiting", "days_waiting"),
    ("channel", "channel"),
)
EXTRA_COLUMNS = "".join(
    f", {payload_field(path)} AS {name}"
    for name, path in (
        ("nhs_number", "$.patient.nhs_number"),
        ("postcode", "$.patient.postcode"),
        ("phone", "$.patient.phone"),
        ("email", "$.patient.email"),
        ("gp_practice", "$.eligibility.gp_practice"),
    )
)


def safe_cell(value: Any) -> str:
    """The value as CSV text; one a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("\t", "\r", "\n"):
        return "'" + text
    first = unicodedata.normalize("NFKC", text.lstrip())[:1]
    return "'" + text if first and first in FORMULA_STARTS else text


@blueprint.get("/queue.csv")
def export_csv():
    db = storage.database()
    filters = QueueFilters.from_request()
    if filters.q:
        transcripts.refresh_index(db, current_app.config["SETTINGS"].tracker_db)
    rows, total = find_referrals(
        db, filters, limit=MAX_ROWS, columns=WORKLIST_COLUMNS + EXTRA_COLUMNS
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _ in COLUMNS])
    for row in rows:
        row["escalated"] = "yes" if row["escalated"] else "no"
        writer.writerow([safe_cell(row[key]) for _, key in COLUMNS])
    audit.record(
        "export_csv",
        "queue",
        "csv",
        {**filters.audit_detail(), "rows": len(rows), "matched": total},
    )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="referrals-{stamp}.csv"'},
    )
