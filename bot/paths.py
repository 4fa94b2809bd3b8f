"""Where the bot finds the project's files: the one place the project root is worked out."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
VAR = ROOT / "var"
