"""Chat gateway: the browser talks to this, never to Rasa directly.

Minimal for now: issues the conversation id, limits message size, forwards to Rasa's
REST channel. Rate limits and the CORS allow-list come with the intake issue.
"""

from __future__ import annotations

import re
import uuid

import requests
from flask import Blueprint, current_app, jsonify, request

blueprint = Blueprint("chat_gateway", __name__, url_prefix="/api/v1/chat")

MAX_MESSAGE_CHARS = 1000
_CONVERSATION_ID = re.compile(r"^[0-9a-f]{32}$")


@blueprint.post("")
def chat():
    body = request.get_json(silent=True) or {}
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        return jsonify({"error": "message must be non-empty text"}), 400
    if len(message) > MAX_MESSAGE_CHARS:
        return jsonify({"error": f"message must be at most {MAX_MESSAGE_CHARS} characters"}), 413
    conversation_id = body.get("conversation_id")
    if not (isinstance(conversation_id, str) and _CONVERSATION_ID.match(conversation_id)):
        conversation_id = uuid.uuid4().hex
    try:
        reply = requests.post(
            f"{current_app.config['SETTINGS'].rasa_url}/webhooks/rest/webhook",
            json={"sender": conversation_id, "message": message},
            timeout=30,
        )
        reply.raise_for_status()
    except requests.RequestException:
        return jsonify({"error": "the assistant is not available just now; please try again"}), 503
    return jsonify({"conversation_id": conversation_id, "messages": reply.json()})
