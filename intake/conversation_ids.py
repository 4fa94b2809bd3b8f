"""Conversation ids the chat gateway issues, signed so that only ids it issued continue.

A public id is 64 hex digits: the conversation's own id (32, a random UUID; Rasa's sender id,
and the id staff see on referrals and transcripts) followed by the first 32 hex digits of its
HMAC-SHA256 under a key derived from FLASK_SECRET_KEY. A client that invents ids cannot make
new conversations that dodge the per-conversation rate limit (an id that does not verify
starts a new conversation, counted against the client's address), nor continue another
patient's conversation by guessing its Rasa id.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

PUBLIC_ID_PATTERN = "^[0-9a-f]{64}$"
_PUBLIC_ID = re.compile(PUBLIC_ID_PATTERN)
_PURPOSE = b"msk-assistant chat conversation id"


def _signature(secret_key: str, conversation: str) -> str:
    key = hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, conversation.encode(), hashlib.sha256).hexdigest()[:32]


def public_id(secret_key: str, conversation: str) -> str:
    """The id given to the client (64 hex digits) for `conversation` (32)."""
    return conversation + _signature(secret_key, conversation)


def issue(secret_key: str) -> str:
    """A new conversation's public id."""
    return public_id(secret_key, uuid.uuid4().hex)


def verified(secret_key: str, given: object) -> str | None:
    """The conversation of a public id this gateway issued; None for anything else."""
    if not isinstance(given, str) or not _PUBLIC_ID.fullmatch(given):
        return None
    conversation, signature = given[:32], given[32:]
    if hmac.compare_digest(signature, _signature(secret_key, conversation)):
        return conversation
    return None
