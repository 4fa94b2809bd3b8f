"""One list of the referral's fields (content/referral_fields.yml) that submission, the form,
the change flow and intake all read: a field added there cannot be forgotten by one of them."""

from __future__ import annotations

from bot.actions.changes import FIELD_SLOTS
from bot.actions.referral_form import OPTIONAL_SLOTS
from bot.actions.submission import build_referral
from bot.field_registry import SECTIONS, change_groups, fields, section_fields
from bot.problem_vocabulary import button_value
from intake import field_registry as intake_fields
from intake.staff.referral_views import FIELD_ORDER
from intake.storage import SEARCHED_PATIENT_FIELDS, SEARCHED_PROBLEM_FIELDS
from scripts.form_domain import merged_domain
from scripts.layout import ROOT
from tests.conftest import make_tracker
from tests.support.buttons import buttons_of
from tests.support.referral_slots import COMPLETE

DOMAIN_SLOTS = set(merged_domain()["slots"])
# Changed through "The problem", which asks the body area and then its side again: a side
# of its own on the list would be offered for a back, which has none. A side said wrong is
# corrected in the patient's words at any question (tests/unit/test_volunteered_corrections.py).
NOT_ON_THE_CHANGE_LIST = {"side"}


def test_every_field_and_everything_a_change_clears_is_a_slot_of_the_domain():
    assert set(fields()) <= DOMAIN_SLOTS
    assert {slot for slots in change_groups().values() for slot in slots} <= DOMAIN_SLOTS
    assert {field["section"] for field in fields().values()} == set(SECTIONS)


def test_the_stored_referral_holds_each_sections_fields_in_the_registrys_order():
    referral = build_referral(make_tracker(COMPLETE), "MIS-TEST-0001")
    # who filled it in is there only when someone did it for the patient
    own = tuple(name for name in section_fields("patient") if name != "completed_by")
    assert tuple(referral["patient"]) == own
    helped = {**COMPLETE, "filled_in_for_someone_else": True, "completed_by": "Tom, her son"}
    referral_for = build_referral(make_tracker(helped), "MIS-TEST-0002")
    assert tuple(referral_for["patient"]) == section_fields("patient")
    assert tuple(referral["problem"]) == section_fields("problem")
    derived = ("area", "pregnancy_pelvic_pain")  # worked out, not asked
    assert tuple(referral["eligibility"]) == (*section_fields("eligibility"), *derived)


def test_the_form_skips_after_two_tries_only_the_answers_marked_optional():
    optional = {
        "nhs_number", "email", "communication_needs", "work_role", "gp_practice", "completed_by"
    }  # fmt: skip
    assert set(OPTIONAL_SLOTS) == optional


def test_the_change_list_offers_every_change_and_each_button_clears_its_fields():
    offered = {button_value(b["payload"]) for b in buttons_of("utter_ask_what_to_change")}
    assert offered == set(FIELD_SLOTS) - NOT_ON_THE_CHANGE_LIST
    assert FIELD_SLOTS["work"] == ("work_status", "work_role")
    assert FIELD_SLOTS["postcode"] == ("postcode",)  # where the practice is does not change
    assert FIELD_SLOTS["gp_practice"] == (
        "gp_practice",
        "gp_ods_code",
        "gp_practice_typed",
        "gp_in_area",
    )
    changeable = {slot for group in FIELD_SLOTS.values() for slot in group}
    asked = {name for name in fields() if name not in ("meets_min_age", "gp_ods_code")}
    assert asked - {"gp_in_area", "already_under_service"} <= changeable


def test_intake_reads_the_same_order_and_search_fields_without_importing_the_bot():
    assert intake_fields.field_order() == tuple(fields())
    assert [name for name in FIELD_ORDER if name in fields()] == list(fields())
    searched = {name for name, f in fields().items() if f.get("searched")}
    assert set(SEARCHED_PATIENT_FIELDS) | set(SEARCHED_PROBLEM_FIELDS) == searched
    source = (ROOT / "intake" / "field_registry.py").read_text()
    assert "import bot" not in source and "from bot" not in source
