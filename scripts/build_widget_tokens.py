"""Build the widget's NHS.UK design tokens from the installed nhsuk-frontend package.

nhsuk-frontend publishes its colours, focus colours and breakpoints as CSS custom
properties on `:root`. The widget lives in a Shadow DOM on other people's pages, so the
set-up copies that token block onto `:host` in `var/build/widget/nhsuk-tokens.css`, which
the widget loads before its own stylesheet. Usage: python -m scripts.build_widget_tokens
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from scripts.layout import ROOT, VAR

PACKAGE_CSS = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk" / "nhsuk-frontend.min.css"
TOKENS_CSS = VAR / "build" / "widget" / "nhsuk-tokens.css"
_ROOT_BLOCK = re.compile(r"(?<![\w-]):root\{([^{}]*)\}")


def tokens_css(package_css: str) -> str:
    """The package's top-level `:root` custom properties, re-scoped to the widget's `:host`."""
    declarations = [
        declaration.strip()
        for block in _ROOT_BLOCK.findall(package_css)
        for declaration in block.split(";")
        if declaration.strip().startswith("--nhsuk-")
    ]
    if not declarations:
        raise ValueError("no --nhsuk-* custom properties found on :root")
    body = ";\n  ".join(declarations)
    header = "/* Generated from nhsuk-frontend by scripts/build_widget_tokens.py. */"
    return f"{header}\n:host {{\n  {body};\n}}\n"


def build(source: Path = PACKAGE_CSS, target: Path = TOKENS_CSS) -> None:
    """Write the tokens file (cheap: one read of the package's stylesheet)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(tokens_css(source.read_text()))


if __name__ == "__main__":
    try:
        build()
    except (OSError, ValueError) as error:
        sys.exit(
            f"make: building the widget's NHS.UK tokens failed ({error}); run 'make setup' again."
        )
