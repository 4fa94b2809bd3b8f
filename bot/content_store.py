"""Read-only access to the clinician-editable YAML in content/, loaded once per process."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from bot.paths import CONTENT

CONTENT_DIR = CONTENT


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed content/<name>.yml."""
    return yaml.safe_load((CONTENT_DIR / f"{name}.yml").read_text())
