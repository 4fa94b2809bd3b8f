"""Chat gateway: the browser talks to this, never to Rasa directly.

It issues the conversation id itself, signed (`intake.conversation_ids`: a client may only
continue an id the gateway issued), limits the message size, rate-limits per conversation and
per client address (Flask-Limiter, in-memory, so per gunicorn worker; the address is the
proxy's X-Forwarded-For entry when TRUSTED_PROXIES says how many proxies to trust, see
`intake.proxies`), and applies a CORS allow-list:
a browser request from an origin that is not the app's own and not in
CHAT_ALLOWED_ORIGINS is refused, and only allowed origins are echoed back. Rasa stays
bound to loopback; only this route reaches it.
"""

from __future__ import annotations

import json
import logging

import urllib3
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from intake import conversation_ids

logger = logging.getLogger(__name__)

blueprint = Blueprint("chat_gateway", __name__, url_prefix="/api/v1/chat")

MAX_MESSAGE_CHARS = 1000
CONVERSATION_ID_PATTERN = conversation_ids.PUBLIC_ID_PATTERN
PREFLIGHT_MAX_AGE_SECONDS = 600

# One limiter for the web app; staff code may reuse it (`from intake.chat_gateway import
# limiter`). No default limits: only decorated routes are limited.
# Fixed windows (each starts at a key's first message): the in-memory store keeps one counter
# per key. A moving window kept a timestamp per message, and the store's expiry timer walked
# every one of them up to 100 times a second: a third of the gateway's CPU under load.
limiter = Limiter(
    key_func=get_remote_address,
    storage_uri="memory://",
    headers_enabled=True,
    strategy="fixed-window",
)


def init_app(app: Flask) -> None:
    """Attach the rate limiter; refuse to start with a limit it cannot read."""
    settings = app.config["SETTINGS"]
    for name in ("chat_rate_per_conversation", "chat_rate_per_address"):
        try:
            parse_many(getattr(settings, name))
        except ValueError:
            raise RuntimeError(
                f"{name.upper()} must be a rate such as 30/minute, not {getattr(settings, name)!r}"
            ) from None
    limiter.init_app(app)


def _settings():
    return current_app.config["SETTINGS"]


def _body() -> object:
    """The JSON body, or None when there is none that can be read."""
    if "chat_body" not in g:
        try:
            g.chat_body = request.get_json(silent=True)
        except RecursionError:
            g.chat_body = None
    return g.chat_body


def _given_conversation() -> str | None:
    """The conversation the client continues: only one whose id this gateway issued."""
    body = _body()
    value = body.get("conversation_id") if isinstance(body, dict) else None
    return conversation_ids.verified(_settings().secret_key, value)


def _conversation_key() -> str:
    """Per conversation; a request starting a new one counts against its address."""
    conversation = _given_conversation()
    return f"conversation:{conversation}" if conversation else f"new:{get_remote_address()}"


def _own_origin() -> str:
    return f"{request.scheme}://{request.host}"


def origin_allowed(origin: str) -> bool:
    return origin == _own_origin() or origin.rstrip("/") in _settings().chat_allowed_origins


def _forbidden_origin() -> tuple[Response, int]:
    return jsonify({"error": "this website may not use the chat"}), 403


@blueprint.before_request
def check_origin():
    """Requests without Origin (not from a browser) pass; browsers must be on the list."""
    origin = request.headers.get("Origin")
    if origin is not None and not origin_allowed(origin):
        return _forbidden_origin()
    return None


CHANNELS = ("web", "kiosk")
# One keep-alive connection pool to Rasa per worker, not a new connection per message.
# Each worker thread may be waiting on Rasa at once: keep a pooled connection for each.
# urllib3 directly: `requests` on top of it was a quarter of the gateway's CPU per message,
# for proxy, cookie and .netrc handling a call to a local Rasa does not need.
GATEWAY_THREADS = 32
RASA_TIMEOUT_SECONDS = 30
CONVERSATION_HEADER = "X-Conversation-Id"  # read by scripts/cluster.py's load balancer
_rasa = urllib3.PoolManager(maxsize=GATEWAY_THREADS, retries=False)


def rasa_url_for(conversation: str) -> str:
    """The Rasa process that holds this conversation: always the same one for an id.

    RASA_URL may list several Rasa processes (comma-separated). Each keeps its conversations'
    locks and trackers in memory, so a conversation must never move between them.
    """
    urls = _rasa_urls()
    return urls[int(conversation, 16) % len(urls)]


def _rasa_urls() -> list[str]:
    return [url.strip() for url in _settings().rasa_url.split(",") if url.strip()]


HEALTH_TIMEOUT_SECONDS = 2


def rasa_health() -> list[dict[str, object]]:
    """Each Rasa process's own health, as its REST channel reports it: whether it answers, and
    whether it can store conversations (bot/runtime/rest_channel.py). For /healthz."""
    found = []
    for number, url in enumerate(_rasa_urls(), start=1):
        try:
            reply = _rasa.request(
                "GET",
                f"{url}/webhooks/rest/",
                headers={"Authorization": f"Bearer {_settings().rasa_channel_token}"},
                timeout=HEALTH_TIMEOUT_SECONDS,
            )
            detail = json.loads(reply.data).get("status", "?") if reply.data else "?"
            ok = reply.status == 200
        except (urllib3.exceptions.HTTPError, ValueError, AttributeError):
            ok, detail = False, "not answering"
        found.append({"process": number, "ok": ok, "status": detail})
    return found


@blueprint.after_request
def cors_headers(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin is not None and origin_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    response.vary.add("Origin")
    return response


@blueprint.errorhandler(TooManyRequests)
def too_many(error: TooManyRequests):
    message = "too many messages: please wait a minute, then try again"
    return jsonify({"error": message, "limit": str(error.description)}), 429


@blueprint.route("", methods=["OPTIONS"])
def preflight():
    """CORS preflight: allowed origins may POST JSON (the origin check ran before this)."""
    response = Response(status=204)
    if request.headers.get("Origin"):
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
    return response


@blueprint.route("", methods=["POST"], provide_automatic_options=False)
@limiter.limit(lambda: _settings().chat_rate_per_address, key_func=get_remote_address)
@limiter.limit(lambda: _settings().chat_rate_per_conversation, key_func=_conversation_key)
def chat():
    body = _body()
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        return jsonify({"error": "message must be non-empty text"}), 400
    if len(message) > MAX_MESSAGE_CHARS:
        return jsonify({"error": f"message must be at most {MAX_MESSAGE_CHARS} characters"}), 413
    conversation = _given_conversation()
    if conversation is None:
        public_id = conversation_ids.issue(_settings().secret_key)
        conversation = public_id[:32]
    else:
        public_id = body["conversation_id"]
    channel = body.get("channel") if body.get("channel") in CHANNELS else "web"
    payload = {"sender": conversation, "message": message, "metadata": {"channel": channel}}
    try:
        reply = _rasa.request(
            "POST",
            f"{rasa_url_for(conversation)}/webhooks/rest/webhook",
            body=json.dumps(payload).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {_settings().rasa_channel_token}",
                # a load balancer in front of several Rasa nodes (cluster mode) keeps each
                # conversation on one node while that node is up: its tracker stays cached
                CONVERSATION_HEADER: conversation,
            },
            timeout=RASA_TIMEOUT_SECONDS,
        )
        if reply.status >= 400:
            raise ValueError(f"Rasa answered {reply.status}")
        messages = json.loads(reply.data)
    except (urllib3.exceptions.HTTPError, ValueError) as error:
        # The conversation and the failure only (a 401 is a wrong RASA_CHANNEL_TOKEN)
        logger.error("chat: conversation %s not answered: %s", conversation, error)
        return jsonify({"error": "the assistant is not available just now; please try again"}), 503
    return jsonify({"conversation_id": public_id, "messages": messages})
