"""Public pages: the demo page with the chat box, its static files, and the health check."""

from html import escape

from flask import Blueprint, current_app, send_from_directory

from intake.settings import ROOT

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def index():
    return send_from_directory(current_app.config["SETTINGS"].widget_dir, "index.html")


@blueprint.get("/widget/<path:filename>")
def widget_file(filename: str):
    return send_from_directory(current_app.config["SETTINGS"].widget_dir, filename)


@blueprint.get("/healthz")
def health():
    return {"status": "ok"}


@blueprint.get("/privacy")
def privacy():
    """The privacy notice from content/privacy.md, as simple escaped HTML."""
    lines = (ROOT / "content" / "privacy.md").read_text().splitlines()
    body = []
    for line in lines:
        if line.startswith("# "):
            body.append(f"<h1>{escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{escape(line[3:])}</h2>")
        elif line.strip():
            body.append(f"<p>{escape(line)}</p>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Privacy notice</title>"
        '<link rel="stylesheet" href="/widget/chat.css"></head><body><main>'
        + "".join(body)
        + "</main></body></html>"
    )
