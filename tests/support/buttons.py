"""The buttons content/responses.yml offers, as the patient's widget receives them."""

from __future__ import annotations

import yaml
from rasa.core.nlg.interpolator import interpolate

from scripts.layout import ROOT


def work_buttons() -> list[dict]:
    """Each work-status button once (the same buttons are offered again to change the answer)."""
    responses = yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]
    found = {}
    for variants in responses.values():
        for variant in variants:
            for button in variant.get("buttons") or []:
                if '"work_status"' in button["payload"]:
                    sent = interpolate(dict(button), {})
                    found.setdefault(sent["payload"], sent)
    return list(found.values())


def buttons_of(response: str) -> list[dict]:
    """The buttons of one response's first variant, placeholders filled as Rasa fills them."""
    responses = yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]
    return [interpolate(dict(b), {}) for b in responses[response][0].get("buttons") or []]
