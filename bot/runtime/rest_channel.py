"""The REST channel the chat gateway talks to: Rasa's own, minus three ways to lose a turn.

Rasa 3.6's `RestInput` answers 200 with whatever replies it collected even when the turn
failed, logs the patient's message verbatim when it does (`rest.message.received.failure`,
text included), and accepts any caller that can reach its port. `GatewayRestInput` keeps
its URL (`/webhooks/rest/webhook`), request and reply, and:

- answers 503, with no replies, when the turn failed or its tracker could not be read or
  saved (`bot.tracker_cache.watching_turn`), so the gateway tells the patient to send the
  message again instead of the turn vanishing;
- logs a failed turn by conversation id and kind of error only, never the message;
- refuses (401) a request without the gateway's bearer token (`token` in credentials.yml,
  from RASA_CHANNEL_TOKEN), compared in constant time;
- reports the tracker store's and the lock store's health at `GET /webhooks/rest/` (503
  when conversations cannot be stored or locked; 401 when a caller shows a token that is
  not this one), which the gateway's /healthz and the cluster's load balancer read.

Only the non-streaming form is offered: the gateway never asks for a stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.runtime.bearer import checked_token, shows
from bot.tracker_cache import watching_turn

logger = logging.getLogger(__name__)

NOT_STORED = "the message could not be stored; please send it again"


def _tracker_store_health(request: Request) -> tuple[bool, str]:
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)  # inside Rasa's FailSafeTrackerStore
    health = getattr(store, "health", None)
    if health is None:
        return True, "ok"
    return health()


def _lock_store_health(request: Request) -> tuple[bool, str]:
    """Whether the shared lock store answers (cluster mode: Redis); in memory it always does."""
    agent = getattr(request.app.ctx, "agent", None)
    health = getattr(getattr(agent, "lock_store", None), "health", None)
    return health() if health else (True, "ok")


class GatewayRestInput(RestInput):
    def __init__(self, token: str) -> None:
        self.token = checked_token(token, "RASA_CHANNEL_TOKEN")

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(str((credentials or {}).get("token") or ""))

    def authorised(self, request: Request) -> bool:
        return shows(request.headers.get("Authorization", ""), self.token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if "Authorization" in request.headers and not self.authorised(request):
                # the gateway shows its token: say at once when it is the wrong one
                return response.json({"status": "the gateway's token is refused"}, status=401)
            ok, detail = _tracker_store_health(request)
            if ok:  # a blocking ping of at most the lock store's socket timeout
                ok, detail = await asyncio.to_thread(_lock_store_health, request)
            if not ok:
                logger.warning("health: %s", detail)
            return response.json({"status": "ok" if ok else detail}, status=200 if ok else 503)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorised(request):
                return response.json({"error": "not authorised"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender_id, text = body.get("sender"), body.get("message")
            if not isinstance(sender_id, str) or not isinstance(text, str):
                return response.json({"error": "sender and message must be text"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender_id, input_channel=self.name(), metadata=metadata
            )
            with watching_turn() as failures:
                try:
                    await on_new_message(message)
                except asyncio.CancelledError:
                    failures.append("cancelled")
                except Exception as error:  # noqa: BLE001 - any failure fails the turn
                    failures.append(type(error).__name__)
            if failures:
                logger.error("turn of conversation %s failed: %s", sender_id, ", ".join(failures))
                return response.json({"error": NOT_STORED}, status=503)
            return response.json(collector.messages)

        return webhook
