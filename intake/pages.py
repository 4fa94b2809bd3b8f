"""Public pages: the demo page with the chat box, its static files, and the health check."""

from flask import Blueprint, current_app, send_from_directory

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
