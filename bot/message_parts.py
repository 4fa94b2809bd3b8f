"""A message split into its sentences and clauses, and which of them are questions.

"about 3 months, how long is the wait?" is an answer and a question. The NLU reads the
question part alone when the whole message reads as something else
(bot/nlu/text_intent_classifier.py), and the form keeps the answer part
(bot/dialogue/answer_or_request.py). Pure functions.
"""

from __future__ import annotations

import re

# After the end of a sentence or clause (a full stop only before a space, not inside
# "03.03.1991" or "jo@example.com"), or at a dash between spaces.
_BETWEEN_PARTS = re.compile(r"(?<=[?!;,])\s*|(?<=\.)\s+|\s+[-\u2013]\s+")
# A question mark at the end, or a question word first and a space after it ("can't sleep"
# is not a question).
_ASKS = re.compile(
    r"\?\s*$|^(?:what|where|when|why|who|how|which|is|are|can|could|do|does|will|would|should)\s",
    re.I,
)


def message_parts(text: str) -> list[str]:
    """The sentences and clauses of a message, each with its own punctuation."""
    return [part.strip() for part in _BETWEEN_PARTS.split(text or "") if part and part.strip()]


def is_a_question(part: str) -> bool:
    """A part that asks: it ends with a question mark or starts with a question word."""
    return bool(_ASKS.search(part.strip()))


def question_parts(text: str) -> list[str]:
    """The parts of a message of several parts that end with a question mark (none when the
    message is one part, or asks nothing)."""
    parts = message_parts(text)
    if len(parts) < 2:
        return []
    return [part for part in parts if part.rstrip().endswith("?")]
