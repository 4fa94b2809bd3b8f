"""Every button in content/responses.yml reaches the patient as a payload Rasa can read back.

Rasa fills {placeholders} in buttons too, so a payload that carries values must be written
with doubled braces; with single braces Rasa logs an error on every reply that shows it.
"""

from __future__ import annotations

import json
import re

import yaml
from rasa.core.nlg.interpolator import interpolate

from scripts.layout import ROOT

PAYLOAD = re.compile(r"^/(?P<intent>\w+)(?P<entities>\{.*\})?$")


def buttons() -> list[dict]:
    responses = yaml.safe_load((ROOT / "content" / "responses.yml").read_text())["responses"]
    return [b for variants in responses.values() for v in variants for b in v.get("buttons", [])]


def test_every_button_payload_survives_interpolation_as_an_intent_with_json_values():
    found = buttons()
    assert len(found) > 20
    for button in found:
        if "{" in button["payload"]:
            # Single braces come out the same, but only after Rasa logs a KeyError for them.
            assert "{{" in button["payload"], f"{button['title']}: write the values in {{{{ }}}}"
        sent = interpolate(dict(button), {"side": "left", "phone": "0300 000 0000"})["payload"]
        if not sent.startswith("/"):
            assert "{" not in sent, f"{button['title']}: {sent!r}"  # typed words, as a patient
            continue
        match = PAYLOAD.match(sent)
        assert match, f"{button['title']}: {sent!r} is not /intent or /intent{{json}}"
        if match["entities"]:
            assert isinstance(json.loads(match["entities"]), dict), sent
