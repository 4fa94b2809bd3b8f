"""Web app settings, read from the environment (scripts/stack.py sets them from .env)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    intake_db: Path
    intake_api_token: str
    rasa_url: str
    widget_dir: Path

    @classmethod
    def from_env(cls, overrides: dict[str, Any]) -> Settings:
        token = os.environ.get("INTAKE_API_TOKEN", "")
        settings = cls(
            intake_db=Path(os.environ.get("INTAKE_DB", ROOT / "var" / "intake.db")),
            intake_api_token=token,
            rasa_url=os.environ.get(
                "RASA_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
            ),
            widget_dir=ROOT / "web_widget",
        )
        known = {field.name for field in fields(cls)}
        settings = replace(settings, **{k: v for k, v in overrides.items() if k in known})
        if len(settings.intake_api_token) < 16:
            raise RuntimeError(
                "INTAKE_API_TOKEN is missing or too short: run `make run`, which writes it to .env"
            )
        return settings
