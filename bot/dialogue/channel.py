"""Where the patient is talking from: the website, or the emergency-department kiosk."""

from __future__ import annotations

from rasa_sdk import Tracker


def is_kiosk(tracker: Tracker) -> bool:
    """The emergency-department kiosk says so in the message metadata."""
    metadata = tracker.latest_message.get("metadata") or {}
    return bool(metadata.get("kiosk")) or metadata.get("channel") == "kiosk"
