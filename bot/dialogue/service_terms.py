"""Which part of the service a question asks about ("what is rheumatology?"), so the answer
explains that word and not only the service as a whole.

The words are in content/service_terms.yml; the answers are utter_answer_term_<id> in
content/responses.yml.
"""

from __future__ import annotations

import re
from functools import cache

from bot.content_store import load
from bot.word_lists import normalised, phrase_pattern

# A question about what a word means, not "is this physio?" (that is about this service).
_ASKS_WHAT = re.compile(
    r"\b(?:what|whats|what's|explain|meaning|mean|means|stand for|stands for|do they do"
    r"|does .* do|who are)\b"
)


@cache
def _terms() -> tuple[dict[str, str], re.Pattern]:
    words = {w.lower(): term for term, ws in load("service_terms")["terms"].items() for w in ws}
    return words, phrase_pattern(words)


def term_ids() -> tuple[str, ...]:
    return tuple(load("service_terms")["terms"])


def asked_term(text: str | None) -> str | None:
    """The one service term a "what is ...?" question names; None when it names none or
    several, or is not asking what something is."""
    lowered = normalised(text)
    if not _ASKS_WHAT.search(lowered):
        return None
    words, pattern = _terms()
    named = {words[word] for word in pattern.findall(lowered)}
    return named.pop() if len(named) == 1 else None
