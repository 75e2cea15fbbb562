"""The WSGI application: device endpoints under /iclock/, the pull API under /api/v1/."""

from __future__ import annotations

import logging
from typing import Any

from bottle import Bottle, HTTPError, request

from zk_relay.api import Api, json_error
from zk_relay.config import Config
from zk_relay.push import PushHandlers, text
from zk_relay.store import Store

log = logging.getLogger("zk_relay.app")


class RelayBottle(Bottle):
    """Bottle whose error pages are text/plain (devices) or JSON (API), never HTML."""

    def default_error_handler(self, res: HTTPError) -> Any:
        path = request.environ.get("PATH_INFO", "")
        status = res.status_code
        if path.startswith("/api/") or path == "/health":
            reply = json_error(status, "http_error", res.status_line)
        else:
            reply = text("ERROR " + str(status), status)
        res.headers.clear()
        for key, value in reply.headers.items():
            res.set_header(key, value)
        return reply.body


def create_app(store: Store, config: Config) -> Bottle:
    app = RelayBottle(catchall=True)
    push = PushHandlers(store, config)

    def iclock(endpoint: str) -> Any:
        return push.dispatch(request.environ, endpoint)

    app.route("/iclock/<endpoint>", ["GET", "POST"], iclock)
    api = Api(store, config)
    for method, path, handler, needs_token in api.routes():
        app.route(path, method, api.wrap(handler, needs_token))
    return app
