"""Other referrals of the same person: the same NHS number, or the same name and date of
birth (keys storage.py fills, m005)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

MAX_SHOWN = 50


def others(db: Database, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Each other referral that matches, with what matched, newest first."""
    nhs_key, person_key = record.get("nhs_key"), record.get("person_key")
    if not nhs_key and not person_key:
        return []
    return list(
        db.query(
            "SELECT reference, status, received_at, "
            "(nhs_key IS NOT NULL AND nhs_key = :nhs) AS same_nhs_number, "
            "(person_key IS NOT NULL AND person_key = :person) AS same_name_and_birth "
            "FROM referrals WHERE reference != :reference AND "
            "((nhs_key IS NOT NULL AND nhs_key = :nhs) OR "
            "(person_key IS NOT NULL AND person_key = :person)) "
            "ORDER BY received_at DESC LIMIT :most",
            {
                "nhs": nhs_key,
                "person": person_key,
                "reference": record["reference"],
                "most": MAX_SHOWN,
            },  # fmt: skip
        )
    )
