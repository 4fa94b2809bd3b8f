"""Public pages: the demo ICB pages with the chat widget, the emergency-department kiosk,
the widget's files, QR codes for the kiosk, the privacy notice and the health check.

The demo pages and the kiosk are templates (web_widget/templates/widget/) that give the widget
its wording from content/ (web_chat.yml, kiosk.yml) in data attributes of its script tag.
Every page here is CSP-clean: no inline script or style, only same-origin files from /widget/.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import segno
import yaml
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)

from intake import chat_gateway, outbox_status
from intake.settings import ROOT

blueprint = Blueprint("pages", __name__, template_folder=str(ROOT / "web_widget" / "templates"))

KIOSK_CONTENT = ROOT / "content" / "kiosk.yml"
WEB_CONTENT = ROOT / "content" / "web_chat.yml"
WIDGET_BUILD = ROOT / "var" / "build" / "widget"
SIGNPOSTING_CONTENT = ROOT / "content" / "signposting.yml"
# Only the widget's own assets are served from web_widget/ (not its templates or README).
_WIDGET_ASSET = re.compile(r"^[a-z0-9][a-z0-9-]*\.(js|css|svg)$")
# Bounds for the kiosk's inactivity timeouts given in the query string (tests shorten them).
KIOSK_SECONDS_RANGE = (2, 3600)
QR_MAX_URL_CHARS = 500


def _widget_dir() -> Path:
    return current_app.config["SETTINGS"].widget_dir


@blueprint.get("/")
def index():
    return render_template("widget/index.html", content=web_content())


@blueprint.get("/msk-advice")
def advice():
    """A second demo page: the chat carries on across pages within the tab."""
    return render_template("widget/advice.html", content=web_content())


@blueprint.get("/widget/<path:filename>")
def widget_file(filename: str):
    if not _WIDGET_ASSET.fullmatch(filename):
        abort(404)
    # nhsuk-tokens.css is built at set-up from the nhsuk-frontend package (see
    # scripts/build_widget_tokens.py); everything else is the widget's own source.
    folder = WIDGET_BUILD if filename == "nhsuk-tokens.css" else _widget_dir()
    response = send_from_directory(folder, filename, max_age=300)
    # Embedding sites (on the chat gateway's CORS allow-list) load these cross-origin.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# Patient-facing wording clinicians edit, by page: the keys each file must have. The pages give
# the widget its wording in data attributes of its script tag (data-banner, data-end-of-chat).
KIOSK_KEYS = {
    "title", "not_for_emergencies", "help_now", "privacy", "start", "timeouts",
    "escalation_banner", "end_of_chat",
}  # fmt: skip
WEB_KEYS = {"escalation_banner", "end_of_chat"}


@lru_cache(maxsize=8)
def _content(path: Path, mtime: float, needed: frozenset[str]) -> dict:
    del mtime  # only the cache key: an edit to the file is picked up without a restart
    content = yaml.safe_load(path.read_text())
    missing = needed - set(content)
    if missing:
        raise RuntimeError(f"{path} is missing {sorted(missing)}")
    return content


def kiosk_content() -> dict:
    return _content(KIOSK_CONTENT, KIOSK_CONTENT.stat().st_mtime, frozenset(KIOSK_KEYS))


def web_content() -> dict:
    """The widget's wording on the website's pages (content/web_chat.yml)."""
    return _content(WEB_CONTENT, WEB_CONTENT.stat().st_mtime, frozenset(WEB_KEYS))


def _seconds(name: str, default: int) -> int:
    """A timeout from the query string (kept within bounds), else the content default.
    Only up to 9 plain ASCII digits count: str.isdigit() takes "\u00b2", which int()
    refuses, and int() takes Arabic-Indic or full-width digits."""
    low, high = KIOSK_SECONDS_RANGE
    given = request.args.get(name, "")
    if not re.fullmatch(r"[0-9]{1,9}", given):
        return int(default)
    return min(max(int(given), low), high)


@blueprint.get("/kiosk")
def kiosk():
    content = kiosk_content()
    timeouts = content["timeouts"]
    response = current_app.make_response(
        render_template(
            "widget/kiosk.html",
            content=content,
            idle_warning_seconds=_seconds("idle_warning_seconds", timeouts["idle_warning_seconds"]),
            idle_reset_seconds=_seconds("idle_reset_seconds", timeouts["idle_reset_seconds"]),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@lru_cache(maxsize=4)
def _signposted_urls(mtime: float) -> frozenset[str]:
    del mtime
    catalogue = yaml.safe_load(SIGNPOSTING_CONTENT.read_text()) or {}
    return frozenset(
        item["url"]
        for item in catalogue.get("resources") or []
        if isinstance(item, dict) and isinstance(item.get("url"), str)
    )


OWN_PAGES = ("/privacy",)  # this site's pages the chat names, shown on the kiosk as QR codes


def own_page(url: str) -> bool:
    """One of this site's own pages the chat names, at the address the kiosk was served from."""
    return url in {f"{request.scheme}://{request.host}{page}" for page in OWN_PAGES}


def qr_url_allowed(url: str) -> bool:
    """Only https links we signpost to: the kiosk must not become a QR code generator for any
    site (a QR code served from an NHS address lends it trust). Without a signposting catalogue,
    any well-formed https URL."""
    if not url or len(url) > QR_MAX_URL_CHARS or not url.isprintable() or " " in url:
        return False
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return False
    if SIGNPOSTING_CONTENT.exists():
        return url in _signposted_urls(SIGNPOSTING_CONTENT.stat().st_mtime)
    return True


@lru_cache(maxsize=256)
def _qr_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer, kind="svg", border=4, scale=1, omitsize=True, xmldecl=False, title="QR code"
    )
    return buffer.getvalue()


@blueprint.get("/kiosk/qr")
def kiosk_qr():
    """An SVG QR code for one signposted link, shown on the kiosk instead of the link."""
    url = request.args.get("url", "")
    if not (own_page(url) or qr_url_allowed(url)):
        abort(404)
    response = Response(_qr_svg(url), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blueprint.get("/healthz")
def health():
    """200 while the app answers; `degraded` when a Rasa process does not answer or cannot
    store conversations (its tracker store), or the action server's outbox has a record
    waiting longer than OUTBOX_ALERT_SECONDS, a refused token, or records that failed and
    need an operator. Counts and ages only (intake/outbox_status.py)."""
    settings = current_app.config["SETTINGS"]
    outbox = outbox_status.read_status(settings.outbox_db)
    rasa = chat_gateway.rasa_health()
    degraded = outbox.degraded(settings.outbox_alert_seconds) or not all(p["ok"] for p in rasa)
    return {"status": "degraded" if degraded else "ok", "rasa": rasa, "outbox": outbox.as_json()}


@blueprint.get("/privacy")
def privacy():
    """The privacy notice from content/privacy.md, as simple escaped HTML: headings, and
    paragraphs of the lines between blank lines. HTML comments there are notes for the
    service and are not shown."""
    text = re.sub(r"<!--.*?-->", "", (ROOT / "content" / "privacy.md").read_text(), flags=re.S)
    body, paragraph = [], []

    def end_paragraph() -> None:
        if paragraph:
            body.append(f"<p>{escape(' '.join(paragraph))}</p>")
            paragraph.clear()

    for line in text.splitlines():
        if line.startswith("# ") or line.startswith("## "):
            end_paragraph()
            level = 1 if line.startswith("# ") else 2
            body.append(f"<h{level}>{escape(line[level + 1 :])}</h{level}>")
        elif line.strip():
            paragraph.append(line.strip())
        else:
            end_paragraph()
    end_paragraph()
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Privacy notice</title>"
        '<link rel="stylesheet" href="/widget/demo.css"></head><body>'
        '<header class="site-header"><div class="site-header-inner">'
        '<span class="site-logo" aria-hidden="true">NHS</span>'
        '<p class="site-name">MSK Intermediate Service</p></div>'
        '<nav class="site-nav" aria-label="Site"><ul>'
        '<li><a href="/">Back to the start</a></li></ul></nav></header>'
        '<main class="page-main">' + "".join(body) + "</main></body></html>"
    )
