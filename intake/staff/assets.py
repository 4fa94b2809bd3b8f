"""The NHS.UK frontend's compiled CSS and its images, from node_modules (installed by the
set-up with `npm ci`, never committed), served under /staff/static/nhsuk/."""

from __future__ import annotations

import re
from functools import lru_cache

from flask import Response, abort, send_from_directory

from intake.settings import ROOT
from intake.staff.blueprint import blueprint

NHSUK_DIST = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
STYLESHEET = "nhsuk-frontend.min.css"
# The NHS web font comes from another site, which the Content-Security-Policy does not allow
# (the staff app loads nothing from elsewhere): its @font-face rules are dropped, and the
# stylesheet's own fallback (Arial) is used.
_REMOTE_FONT = re.compile(r"@font-face\{[^}]*url\(https?://[^}]*\}")


@lru_cache(maxsize=1)
def _stylesheet() -> str:
    # The stylesheet points its icons at /assets/...; here they live under this route.
    css = _REMOTE_FONT.sub("", (NHSUK_DIST / STYLESHEET).read_text())
    return css.replace("url(/assets/", "url(/staff/static/nhsuk/assets/")


@blueprint.get("/static/nhsuk/<path:filename>")
def nhsuk_asset(filename: str):
    if filename == STYLESHEET:
        if not (NHSUK_DIST / STYLESHEET).exists():
            abort(404)
        response = Response(_stylesheet(), mimetype="text/css")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response
    if not filename.startswith("assets/"):
        abort(404)
    return send_from_directory(NHSUK_DIST, filename, max_age=3600)
