"""What the patient's reply to "Do you want to stop?" means, read from the words.

The buttons send /affirm (Yes, stop) and /deny (No, carry on), but a patient may type the
answer, and the NLU reads "no, carry on" or "I want to carry on" as agreeing and "don't stop"
as stop. Stopping clears every answer, so only a plain yes or stop stops; any sign of going
on ("carry on", "continue", "don't stop", a no) carries on.
"""

from __future__ import annotations

import re

from bot.contact_fields import parse_yes_no

STOP, CARRY_ON = "stop", "carry_on"
_CARRY_ON = re.compile(
    r"\b(?:carry on|carrying on|continue|keep going|go on|going on|don'?t stop|do not stop|"
    r"not stop|no stop|rather not stop|not yet|changed my mind|mistake|by accident)\b",
    re.I,
)
_STOP = re.compile(r"\b(?:stop|quit|cancel|end it here|finish now)\b", re.I)


def stop_answer(text: str) -> str | None:
    """STOP, CARRY_ON, or None when the words say neither."""
    said = " ".join((text or "").split())
    if said.lower() == "/affirm":
        return STOP
    if said.lower() == "/deny" or _CARRY_ON.search(said):
        return CARRY_ON
    yes_no = parse_yes_no(said)
    if yes_no is False:
        return CARRY_ON
    if yes_no is True or _STOP.search(said):
        return STOP
    return None
