"""Web app settings, read from the environment (scripts/stack.py sets them from .env)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent.parent


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blank lines ignored)."""
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"0", "false", "no", "off", ""}


def _chat_origins(env: dict[str, str]) -> tuple[str, ...]:
    """CHAT_ALLOWED_ORIGINS (comma-separated), by default the app's own origin."""
    port = env.get("WEB_PORT", "8000")
    given = env.get("CHAT_ALLOWED_ORIGINS", f"http://127.0.0.1:{port},http://localhost:{port}")
    return tuple(origin.strip().rstrip("/") for origin in given.split(",") if origin.strip())


def _count(
    env: dict[str, str], name: str, default: str, *, least: int = 0, most: int = 10**9
) -> int:
    """A whole number setting within bounds; anything else stops the app starting."""
    value = env.get(name, default).strip()
    if not (value.isascii() and value.isdigit()) or not least <= int(value) <= most:
        raise RuntimeError(f"{name} must be a whole number from {least} to {most}, not {value!r}")
    return int(value)


def _time_zone(name: str) -> str:
    """An IANA time zone name the system knows (Europe/London); anything else stops the app."""
    try:
        ZoneInfo(name.strip())
    except (ValueError, ZoneInfoNotFoundError):
        raise RuntimeError(
            f"STAFF_TIME_ZONE must be a time zone such as Europe/London, not {name!r}"
        ) from None
    return name.strip()


@dataclass(frozen=True)
class Settings:
    intake_db: Path
    intake_api_token: str
    rasa_url: str
    widget_dir: Path
    rasa_channel_token: str = ""  # the bearer token Rasa's REST channel asks for
    # staff app (issue 5)
    secret_key: str = ""
    tracker_db: Path = ROOT / "var" / "tracker.db"
    session_cookie_secure: bool = True  # SESSION_COOKIE_SECURE=0 only for plain-http tests
    staff_idle_minutes: int = 30
    retention_days: int = 365
    # chat gateway (issue 5): Flask-Limiter rate strings, and the CORS allow-list
    chat_rate_per_conversation: str = "30/minute"
    chat_rate_per_address: str = "120/minute"
    chat_allowed_origins: tuple[str, ...] = ("http://127.0.0.1:8000", "http://localhost:8000")
    # retention of conversations with no referral, and the action server's outbox (read and
    # purged by path, as bot/outbox.py writes it: intake never imports bot/)
    abandoned_retention_days: int = 30
    outbox_db: Path = ROOT / "var" / "outbox.db"
    outbox_body_days: int = 30
    outbox_alert_seconds: int = 900
    # How many reverse proxies in front of the app to trust for X-Forwarded-For/-Proto/-Host
    # (0: none; the client address is the connection's). See intake/proxies.py.
    trusted_proxies: int = 0
    # staff worklist (issue 24): open referrals (new, in review) waiting more than this many
    # days since they arrived are highlighted; dates and times are shown in this time zone.
    staff_waiting_alert_days: int = 14
    staff_time_zone: str = "Europe/London"

    @classmethod
    def from_env(cls, overrides: dict[str, Any]) -> Settings:
        # The environment wins; the root .env (generated secrets) fills the gaps, so that
        # `flask --app intake.wsgi create-user ...` works from a plain shell.
        env = {**read_dotenv(ROOT / ".env"), **os.environ}
        token = env.get("INTAKE_API_TOKEN", "")
        settings = cls(
            intake_db=Path(env.get("INTAKE_DB", ROOT / "var" / "intake.db")),
            intake_api_token=token,
            rasa_url=env.get("RASA_URL", f"http://127.0.0.1:{env.get('RASA_PORT', '5005')}"),
            widget_dir=ROOT / "web_widget",
            rasa_channel_token=env.get("RASA_CHANNEL_TOKEN", ""),
            secret_key=env.get("FLASK_SECRET_KEY", ""),
            tracker_db=Path(env.get("TRACKER_DB", ROOT / "var" / "tracker.db")),
            session_cookie_secure=_flag(env.get("SESSION_COOKIE_SECURE", "1")),
            staff_idle_minutes=int(env.get("STAFF_IDLE_MINUTES", "30")),
            retention_days=int(env.get("RETENTION_DAYS", "365")),
            chat_rate_per_conversation=env.get("CHAT_RATE_PER_CONVERSATION", "30/minute"),
            chat_rate_per_address=env.get("CHAT_RATE_PER_ADDRESS", "120/minute"),
            chat_allowed_origins=_chat_origins(env),
            trusted_proxies=_count(env, "TRUSTED_PROXIES", "0", most=5),
            abandoned_retention_days=_count(env, "ABANDONED_RETENTION_DAYS", "30", least=1),
            outbox_db=Path(env.get("OUTBOX_DB", ROOT / "var" / "outbox.db")),
            outbox_body_days=_count(env, "OUTBOX_BODY_DAYS", "30", least=1),
            outbox_alert_seconds=_count(env, "OUTBOX_ALERT_SECONDS", "900", least=1),
            staff_waiting_alert_days=_count(env, "STAFF_WAITING_ALERT_DAYS", "14", least=1),
            staff_time_zone=_time_zone(env.get("STAFF_TIME_ZONE", "Europe/London")),
        )
        known = {field.name for field in fields(cls)}
        settings = replace(settings, **{k: v for k, v in overrides.items() if k in known})
        if len(settings.intake_api_token) < 16:
            raise RuntimeError(
                "INTAKE_API_TOKEN is missing or too short: run `make run`, which writes it to .env"
            )
        if len(settings.secret_key) < 16:
            raise RuntimeError(
                "FLASK_SECRET_KEY is missing or too short: run `make run`, which writes it to .env"
            )
        return settings
