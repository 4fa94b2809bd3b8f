"""Service facts from content/service.yml (minimum age, phone number), loaded once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SERVICE_FILE = Path(__file__).resolve().parent.parent / "content" / "service.yml"


@lru_cache(maxsize=1)
def service_facts() -> dict[str, Any]:
    """The parsed content/service.yml."""
    return yaml.safe_load(SERVICE_FILE.read_text())


def min_age() -> int:
    return int(service_facts()["min_age"])


def service_phone() -> str:
    return str(service_facts()["phone"])
