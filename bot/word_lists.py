"""Whole-word matching of clinician-kept word lists in what a patient typed."""

from __future__ import annotations

import re
from collections.abc import Iterable


def normalised(text: str | None) -> str:
    """Lower case, typographic apostrophes as plain ones, one space between words."""
    return " ".join((text or "").lower().replace("\u2019", "'").split())


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern:
    """Any of the phrases as whole words in normalised text, the longest first (so "nhs
    number" is found before "number")."""
    alternation = "|".join(re.escape(p.lower()) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{alternation})(?![a-z])")
