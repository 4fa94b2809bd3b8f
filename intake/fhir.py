"""A stored referral as a FHIR R4 Bundle (type "collection"), a plain dict ready for JSON.

The mapping, field by field, is in docs/fhir.md. The whole referral goes into a
QuestionnaireResponse by walking the stored JSON, so a field added later is exported without
a change here; its Questionnaire is built by the same walk and travels in the bundle. Every
fullUrl is a urn:uuid made with uuid5 from the referral's reference: the same stored
referral always exports to the same bundle.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import yaml
from stdnum.gb import nhs

from intake import storage
from intake.referral_schema import MAX_DEPTH
from intake.settings import ROOT
from intake.staff import red_flags

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS_NUMBER_VERIFICATION = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
)
VERIFICATION_CODES = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
# The project's own canonical URLs (the .example domain is reserved: it names, never resolves).
BASE = "https://msk-self-referral.example/fhir/"
REFERENCE_SYSTEM = BASE + "Id/referral-reference"
RED_FLAG_SYSTEM = BASE + "CodeSystem/red-flag"
COMMUNICATION_NEEDS = BASE + "StructureDefinition/communication-needs"
QUESTIONNAIRE = BASE + "Questionnaire/msk-self-referral"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)
# Codes from outside: a self-reported NHS number, a referral (SNOMED CT), a clinical flag.
NOT_TRACED = {
    "system": VERIFICATION_CODES,
    "code": "02",
    "display": "Number present but not traced",
}
PATIENT_REFERRAL = {
    "system": "http://snomed.info/sct",
    "code": "3457005",
    "display": "Patient referral",
}
CLINICAL = {
    "system": "http://terminology.hl7.org/CodeSystem/flag-category",
    "code": "clinical",
    "display": "Clinical",
}

# The referral's status (intake/storage.py STATUSES) -> ServiceRequest.status.
REQUEST_STATUS = {
    "new": "active",
    "in_review": "active",
    "accepted": "active",
    "redirected": "revoked",
    "closed": "completed",
}
REASON_FIELDS = ("body_area", "side", "onset")
# What the action server stores for an optional answer the patient did not give.
NOT_GIVEN = {"not given", "none"}
ACRONYMS = {"nhs": "NHS", "gp": "GP", "ods": "ODS", "id": "ID", "mis": "MIS"}
ODS_PATTERN = re.compile(r"[A-Z0-9]{3,10}")
INTEGER_RANGE = range(-(2**31), 2**31)


@lru_cache(maxsize=1)
def service_name() -> str:
    facts = yaml.safe_load((ROOT / "content" / "service.yml").read_text()) or {}
    return str(facts["service_name"])


def clean(value: Any) -> str | None:
    """Text as a FHIR string: other whitespace and control characters become spaces, the
    ends are trimmed; None when nothing is left (FHIR has no empty strings)."""
    if not isinstance(value, str):
        return None
    text = "".join(
        " " if (char.isspace() or char < " ") and char not in "\r\n\t" else char for char in value
    )
    return text.strip() or None


def given(value: Any) -> str | None:
    """An optional answer the patient gave, or None."""
    text = clean(value)
    return text if text and text.lower() not in NOT_GIVEN else None


def label(name: str) -> str:
    """Readable text from a field name: "nhs_number" -> "NHS number", "line1" -> "line 1"."""
    spaced = re.sub(r"(?<=[A-Za-z])(?=[0-9])", "_", str(name))
    words = [ACRONYMS.get(word.lower(), word) for word in spaced.split("_") if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def link_id(path: tuple[Any, ...]) -> str:
    """The field's path in the stored JSON, each key percent-encoded: "/problem/body_area"."""
    return "".join("/" + quote(str(part), safe="") for part in path)


def resource_id(reference: str, kind: str) -> str:
    """The same id for the same referral and resource, every time."""
    return str(uuid.uuid5(NAMESPACE, f"{reference}/{kind}"))


def full_url(reference: str, kind: str) -> str:
    return f"urn:uuid:{resource_id(reference, kind)}"


def date_time(value: Any) -> str | None:
    """An ISO 8601 date and time as a FHIR dateTime in UTC."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    except (ValueError, OverflowError):
        return None


# --- the answers: QuestionnaireResponse items and the Questionnaire they answer -------------


def answer(value: Any) -> tuple[str, dict[str, Any] | None]:
    """(Questionnaire item type, QuestionnaireResponse answer or None) for a JSON value."""
    if isinstance(value, bool):
        return "boolean", {"valueBoolean": value}
    if isinstance(value, int) and value in INTEGER_RANGE:
        return "integer", {"valueInteger": value}
    if isinstance(value, (int, float)):
        return "decimal", {"valueDecimal": value}
    text = clean(value) if isinstance(value, str) else None
    return "string", {"valueString": text} if text else None


def item_text(path: tuple[Any, ...], parent_text: str) -> str | None:
    """The screening question from the red-flag catalogue, "<list> 2" for a list's second
    entry, or the label from the field's name."""
    name = path[-1]
    if isinstance(name, int):
        return f"{parent_text} {name + 1}".strip()
    if path[:-1] == ("red_flag_screening",) and red_flags.question(name):
        return clean(red_flags.question(name))
    return clean(label(name))


def walk(value: Any, path: tuple[Any, ...], parent_text: str = ""):
    """(Questionnaire item, QuestionnaireResponse item) for one field, nested fields as
    groups; None for an empty object or list (nothing was answered)."""
    text = item_text(path, parent_text)
    base = {"linkId": link_id(path), **({"text": text} if text else {})}
    if isinstance(value, (dict, list)) and len(path) < MAX_DEPTH:
        fields = value.items() if isinstance(value, dict) else enumerate(value)
        pairs = [walk(child, (*path, key), text or "") for key, child in fields]
        pairs = [pair for pair in pairs if pair]
        if not pairs:
            return None
        return (
            {**base, "type": "group", "item": [question for question, _ in pairs]},
            {**base, "item": [response for _, response in pairs]},
        )
    if isinstance(value, (dict, list)):  # deeper than the API accepts: kept as JSON text
        value = json.dumps(value, ensure_ascii=False)
    kind, reply = answer(value)
    return {**base, "type": kind}, {**base, **({"answer": [reply]} if reply else {})}


def questionnaire_pair(referral: dict[str, Any], reference: str, patient: str):
    pairs = [pair for key, value in referral.items() if (pair := walk(value, (key,)))]
    items = [question for question, _ in pairs]
    version = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()[:16]
    questionnaire = {
        "resourceType": "Questionnaire",
        "id": resource_id(reference, "Questionnaire"),
        "url": QUESTIONNAIRE,
        "version": version,
        "name": "MSKSelfReferral",
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id(reference, "QuestionnaireResponse"),
        "identifier": {"system": REFERENCE_SYSTEM, "value": reference},
        "questionnaire": f"{QUESTIONNAIRE}|{version}",
        "status": "completed",
        "subject": {"reference": patient},
        "author": {"reference": patient},
        "source": {"reference": patient},
        "item": [response for _, response in pairs],
    }
    return questionnaire, response


# --- the resources -----------------------------------------------------------------------------


def patient_resource(referral: dict[str, Any], reference: str, gp: str | None) -> dict[str, Any]:
    person = referral.get("patient")
    person = person if isinstance(person, dict) else {}
    resource: dict[str, Any] = {"resourceType": "Patient", "id": resource_id(reference, "Patient")}
    digits = re.sub(r"\D", "", given(person.get("nhs_number")) or "")
    if nhs.is_valid(digits):
        status = {"coding": [NOT_TRACED]}
        verification = {"url": NHS_NUMBER_VERIFICATION, "valueCodeableConcept": status}
        resource["identifier"] = [
            {"extension": [verification], "system": NHS_NUMBER, "value": digits}
        ]
    if name := clean(person.get("full_name")):
        resource["name"] = [{"use": "usual", "text": name}]
    telecom = [
        {"system": system, "value": value}
        for system, value in (
            ("phone", given(person.get("phone"))),
            ("email", given(person.get("email"))),
        )
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    if born := clean(person.get("date_of_birth")):
        resource["birthDate"] = born
    address = {"use": "home"}
    if line := given(person.get("address_line1")):
        address["line"] = [line]
    if postcode := clean(person.get("postcode")):
        address["postalCode"] = postcode
    if len(address) > 1:
        resource["address"] = [address]
    if needs := given(person.get("communication_needs")):
        resource["extension"] = [{"url": COMMUNICATION_NEEDS, "valueString": needs}]
    if gp:
        resource["generalPractitioner"] = [{"reference": gp}]
    return resource


def practice_resource(referral: dict[str, Any], reference: str) -> dict[str, Any] | None:
    """The registered GP practice: its name, and its ODS code when the referral has one."""
    eligibility = referral.get("eligibility")
    eligibility = eligibility if isinstance(eligibility, dict) else {}
    name = given(eligibility.get("gp_practice"))
    code = (clean(eligibility.get("gp_ods_code")) or "").upper()
    if not name and not ODS_PATTERN.fullmatch(code):
        return None
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": resource_id(reference, "Organization"),
    }
    if ODS_PATTERN.fullmatch(code):
        resource["identifier"] = [{"system": ODS_CODE, "value": code}]
    if name:
        resource["name"] = name
    return resource


def service_request(
    stored: dict[str, Any], referral: dict[str, Any], patient: str, response: str
) -> dict[str, Any]:
    reference = stored["reference"]
    problem = referral.get("problem") if isinstance(referral.get("problem"), dict) else {}
    reason = "; ".join(
        f"{label(name)}: {text}" for name in REASON_FIELDS if (text := given(problem.get(name)))
    )
    resource = {
        "resourceType": "ServiceRequest",
        "id": resource_id(reference, "ServiceRequest"),
        "identifier": [{"system": REFERENCE_SYSTEM, "value": reference}],
        "status": REQUEST_STATUS.get(stored.get("status"), "unknown"),
        "intent": "proposal",
        "category": [{"coding": [PATIENT_REFERRAL]}],
        "priority": "urgent" if stored.get("escalated") else "routine",
        "subject": {"reference": patient},
        "authoredOn": date_time(stored.get("received_at")),
        "requester": {"reference": patient},
        "performer": [{"display": service_name()}],
        "supportingInfo": [{"reference": response}],
    }
    if reason:
        resource["reasonCode"] = [{"text": reason}]
    return {key: value for key, value in resource.items() if value is not None}


def flags(stored: dict[str, Any], escalations: Iterable[dict[str, Any]], patient: str):
    """One Flag per red flag escalated in the conversation (code and level); one without a
    code when only the referral says it was escalated."""
    seen: dict[tuple[str, str], str | None] = {}
    for row in escalations:
        seen.setdefault((str(row.get("code")), str(row.get("level"))), row.get("occurred_at"))
    if stored.get("escalated") and not seen:
        seen[("", "")] = None
    found = []
    for (code, level), when in seen.items():
        concept: dict[str, Any] = {"text": f"{code} / {level}" if code else "escalated"}
        if code:
            title = clean(red_flags.title(code)) or code
            concept["coding"] = [{"system": RED_FLAG_SYSTEM, "code": code, "display": title}]
        flag = {
            "resourceType": "Flag",
            "id": resource_id(stored["reference"], f"Flag/{code}/{level}"),
            "status": "active",
            "category": [{"coding": [CLINICAL]}],
            "code": concept,
            "subject": {"reference": patient},
        }
        if start := date_time(when):
            flag["period"] = {"start": start}
        found.append(flag)
    return found


def bundle(stored: dict[str, Any], escalations: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """The Bundle for a stored referral as the API returns it (storage.public_view) and the
    escalations recorded for its conversation (level, code, occurred_at)."""
    reference, referral = stored["reference"], stored["referral"]
    if not isinstance(referral, dict):  # never through the API; shown as it is
        referral = {"payload": referral}
    patient = full_url(reference, "Patient")
    response = full_url(reference, "QuestionnaireResponse")
    practice = practice_resource(referral, reference)
    questionnaire, answers = questionnaire_pair(referral, reference, patient)
    if authored := date_time(referral.get("submitted_at")) or date_time(stored["received_at"]):
        answers["authored"] = authored
    resources = [
        patient_resource(referral, reference, practice and full_url(reference, "Organization")),
        service_request(stored, referral, patient, response),
        answers,
        questionnaire,
        *([practice] if practice else []),
        *flags(stored, escalations, patient),
    ]
    result = {
        "resourceType": "Bundle",
        "id": resource_id(reference, "Bundle"),
        "identifier": {"system": REFERENCE_SYSTEM, "value": reference},
        "type": "collection",
        "timestamp": date_time(stored.get("updated_at") or stored["received_at"]),
        "entry": [{"fullUrl": f"urn:uuid:{item['id']}", "resource": item} for item in resources],
    }
    return {key: value for key, value in result.items() if value is not None}


def export(reference: str) -> dict[str, Any] | None:
    """The Bundle for the stored referral with this reference; None when there is none."""
    record = storage.get_referral(reference)
    if record is None:
        return None
    escalations = storage.database().query(
        "SELECT level, code, occurred_at FROM escalations WHERE conversation_id = ? "
        "ORDER BY occurred_at, id",
        [record["conversation_id"]],
    )
    return bundle(storage.public_view(record), list(escalations))
