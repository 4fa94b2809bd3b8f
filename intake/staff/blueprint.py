"""The one blueprint every staff module adds its routes to (mounted at /staff)."""

from flask import Blueprint

blueprint = Blueprint(
    "staff",
    __name__,
    url_prefix="/staff",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
