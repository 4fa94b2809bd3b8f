"""The bearer tokens between the processes (gateway to Rasa, Rasa to the action server)."""

from __future__ import annotations

import hmac

MIN_TOKEN_CHARS = 16


def checked_token(token: str, name: str) -> str:
    """The token, if long enough to be one the set-up generated; else a clear error."""
    if len(token) < MIN_TOKEN_CHARS:
        raise ValueError(f"{name} is missing or too short: run `make run`, which writes it to .env")
    return token


def shows(authorization: str, token: str) -> bool:
    """Whether an Authorization header carries this bearer token (compared in constant time)."""
    return hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode())
