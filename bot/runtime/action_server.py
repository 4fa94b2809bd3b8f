"""Start the action server (`python -m bot.runtime.action_server`, same arguments as
`python -m rasa_sdk`): rasa-sdk's own app, with two additions made on the app it builds
(through Sanic's middleware, as rasa-sdk's `attach_sanic_app_extensions` hook would):

- every call except `GET /health` must carry `Authorization: Bearer <ACTION_SERVER_TOKEN>`
  (Rasa sends it: endpoints.yml), compared in constant time; anything else gets 401, so a
  made-up tracker sent from another program on the machine stores nothing;
- an action that fails answers 500 with `{"error": "the action failed"}` only. rasa-sdk's
  own answer echoes the whole request, the conversation's tracker with the patient's details,
  which Rasa then writes into its log as the error's text.
"""

from __future__ import annotations

import logging
import os

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.runtime.bearer import checked_token, shows

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health"})
FAILED = {"error": "the action failed"}


def secure(app: Sanic, token: str) -> Sanic:
    """Add the token check and the plain failure answer to rasa-sdk's app."""
    try:
        token = checked_token(token, "ACTION_SERVER_TOKEN")
    except ValueError as error:
        raise SystemExit(str(error)) from None

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if not shows(request.headers.get("Authorization", ""), token):
            return response.json({"error": "not authorised"}, status=401)
        return None

    @app.middleware("response")
    async def plain_failure(request: Request, answer: HTTPResponse) -> HTTPResponse | None:
        if answer.status >= 500:
            return response.json(FAILED, status=answer.status)
        return None

    return app


def main() -> None:
    args = create_argument_parser().parse_args()
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    app = secure(create_app(args.actions), os.environ.get("ACTION_SERVER_TOKEN", ""))
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    logger.info("Action server on http://%s:%s", host, args.port)
    app.run(host, args.port, workers=1)


if __name__ == "__main__":
    main()
