"""The referral form's part of the Rasa domain, built from the field registry.

`content/referral_fields.yml` (`form:`) lists the form's questions in order, the intents that
are never an answer, and the answers also taken when said before their question. This writes
the form and one slot per question with its mappings, so a question added there gets its slot,
its mapping and the one `not_intent` list without anyone copying them by hand:

- every question: the whole message (`from_text`) while the form asks it, unless the intent
  is one of `not_an_answer`;
- an answer said in passing: also its entity (`from_entity`) outside the form and while the
  form asks the questions listed, unless the intent is one of `not_said_in_passing`.

Called by scripts/train_if_needed.py when it builds var/build/domain/ (the domain parts Rasa
merges); `merged_domain()` gives tests the whole domain as Rasa sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scripts.layout import DOMAIN_PARTS, ROOT

REGISTRY = ROOT / "content" / "referral_fields.yml"
FORM = "referral_form"
FILE_NAME = "generated-referral_form.yml"


def _while_asking(slot: str) -> dict[str, str]:
    return {"active_loop": FORM, "requested_slot": slot}


def form_domain(registry: dict[str, Any] | None = None) -> dict[str, Any]:
    """The form and its questions' slots, as a domain part."""
    form = (registry or yaml.safe_load(REGISTRY.read_text()))["form"]
    slots: dict[str, Any] = {}
    for question in form["questions"]:
        mappings: list[dict[str, Any]] = []
        early = form["said_in_passing"].get(question)
        if early:
            mappings.append(
                {
                    "type": "from_entity",
                    "entity": early["entity"],
                    "not_intent": list(form["not_said_in_passing"]),
                    # never outside the form: at the read-back "can it say neck and right
                    # shoulder" changed the stored part with no check (a blind usability
                    # test); before the form, the form's extract_<slot> reads the opening
                    "conditions": [_while_asking(slot) for slot in early["while_asking"]],
                }
            )
        mappings.append(
            {
                "type": "from_text",
                "not_intent": list(form["not_an_answer"]),
                "conditions": [_while_asking(question)],
            }
        )
        slots[question] = {"type": "any", "influence_conversation": False, "mappings": mappings}
    return {
        "version": "3.1",
        "slots": slots,
        "forms": {FORM: {"required_slots": list(form["questions"])}},
    }


def write_form_domain(directory: Path) -> Path:
    """Write the form's domain part into `directory` (the built domain)."""
    path = directory / FILE_NAME
    header = "# Generated from content/referral_fields.yml by scripts/form_domain.py: edit that.\n"
    path.write_text(header + yaml.safe_dump(form_domain(), sort_keys=False, width=100))
    return path


def merged_domain() -> dict[str, Any]:
    """The domain's slots, forms and actions as Rasa merges them (domain.yml, the form part)."""
    merged: dict[str, Any] = {}
    for part in (yaml.safe_load(path.read_text()) for path in DOMAIN_PARTS):
        for key in ("slots", "forms", "responses"):
            merged.setdefault(key, {}).update(part.get(key) or {})
        merged.setdefault("actions", []).extend(part.get("actions") or [])
    generated = form_domain()
    merged["slots"].update(generated["slots"])
    merged["forms"].update(generated["forms"])
    return merged
