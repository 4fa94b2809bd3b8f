"""Bearer tokens between the processes: too short stops the start; only the exact one passes."""

from __future__ import annotations

import pytest

from bot.runtime.bearer import checked_token, shows

TOKEN = "a-token-long-enough-0123456789"


def test_a_missing_or_short_token_names_its_setting():
    for given in ("", "short"):
        with pytest.raises(ValueError, match="RASA_CHANNEL_TOKEN is missing or too short"):
            checked_token(given, "RASA_CHANNEL_TOKEN")
    assert checked_token(TOKEN, "RASA_CHANNEL_TOKEN") == TOKEN


@pytest.mark.parametrize(
    ("header", "passes"),
    [
        (f"Bearer {TOKEN}", True),
        (TOKEN, False),
        (f"Bearer {TOKEN}x", False),
        (f"bearer {TOKEN}", False),
        ("", False),
        ("Bearer ", False),
    ],
)
def test_only_the_exact_bearer_header_passes(header, passes):
    assert shows(header, TOKEN) is passes
