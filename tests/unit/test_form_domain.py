"""The referral form's part of the domain is built from the field registry
(scripts/form_domain.py): every question gets its slot, its mappings and the one list of
intents that are never an answer, and Rasa merges the built parts into one domain."""

from __future__ import annotations

import yaml
from rasa.shared.core.domain import Domain

from scripts.form_domain import FORM, form_domain, merged_domain, write_form_domain
from scripts.layout import DOMAIN_PARTS, ROOT

REGISTRY = yaml.safe_load((ROOT / "content" / "referral_fields.yml").read_text())["form"]


def test_domain_yml_holds_neither_the_form_nor_its_questions_slots():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert "forms" not in domain
    assert not set(REGISTRY["questions"]) & set(domain["slots"])


def test_every_question_is_taken_as_a_whole_message_only_while_asked_and_never_a_digression():
    built = form_domain()
    assert built["forms"][FORM]["required_slots"] == REGISTRY["questions"]
    for question in REGISTRY["questions"]:
        text = built["slots"][question]["mappings"][-1]
        assert text["type"] == "from_text"
        assert text["conditions"] == [{"active_loop": FORM, "requested_slot": question}]
        assert text["not_intent"] == REGISTRY["not_an_answer"]
        assert {"red_flag", "red_flag_check", "stop", "ask_help"} <= set(text["not_intent"])


def test_an_answer_said_in_passing_is_its_entity_only_while_listed_questions_are_asked():
    """Never outside the form: at the read-back, "can it say neck and right shoulder" changed
    the stored part with no check (a blind usability test); the form reads the opening."""
    slot = form_domain()["slots"]["duration"]
    entity = slot["mappings"][0]
    assert (entity["type"], entity["entity"]) == ("from_entity", "duration")
    assert all(condition.get("active_loop") == FORM for condition in entity["conditions"])
    assert {"active_loop": FORM, "requested_slot": "pain_score"} in entity["conditions"]
    assert {"active_loop": FORM, "requested_slot": "goals"} not in entity["conditions"]
    assert "red_flag" in entity["not_intent"]
    assert len(form_domain()["slots"]["goals"]["mappings"]) == 1  # never said in passing


def test_a_question_added_to_the_registry_gets_its_slot_and_mappings():
    registry = {"form": {**REGISTRY, "questions": [*REGISTRY["questions"], "favourite_colour"]}}
    built = form_domain(registry)
    assert built["slots"]["favourite_colour"]["mappings"][0]["not_intent"]
    assert built["forms"][FORM]["required_slots"][-1] == "favourite_colour"


def test_rasa_merges_the_built_parts_into_the_domain_the_model_is_trained_on(tmp_path):
    for part in DOMAIN_PARTS:
        (tmp_path / f"{part.parent.name}-{part.name}").write_text(part.read_text())
    write_form_domain(tmp_path)
    domain = Domain.from_directory(str(tmp_path))
    assert domain.required_slots_for_form(FORM) == REGISTRY["questions"]
    slot = next(slot for slot in domain.slots if slot.name == "postcode")
    assert [mapping["type"] for mapping in slot.mappings] == ["from_entity", "from_text"]
    rasa_own = {"requested_slot", "session_started_metadata"}
    assert set(merged_domain()["slots"]) == {slot.name for slot in domain.slots} - rasa_own
