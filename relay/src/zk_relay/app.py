"""The WSGI application: device endpoints under /iclock/, the pull API under /api/v1/, wrapped
in a small middleware that gives every request an id, a JSON access-log line and metrics."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from bottle import Bottle, HTTPError, request

from zk_relay import logs
from zk_relay.adms_endpoints import PushHandlers, text
from zk_relay.biometric_api import BiometricApi
from zk_relay.config import Config
from zk_relay.keys import RelayKey
from zk_relay.metrics import Metrics, route_of
from zk_relay.pull_api import Api, clock_synchronised, json_error
from zk_relay.recon_api import ReconApi
from zk_relay.store import Store

log = logging.getLogger("zk_relay.app")
access = logging.getLogger("zk_relay.access")
_SN = re.compile(r"(?:^|&)sn=([A-Za-z0-9_-]{1,64})(?:&|$)", re.IGNORECASE)
_API_SERIAL = re.compile(r"^/api/v1/devices/([A-Za-z0-9_-]{1,64})")


class RelayBottle(Bottle):
    """Bottle whose error pages are text/plain (devices) or JSON (API), never HTML."""

    def default_error_handler(self, res: HTTPError) -> Any:
        path = request.environ.get("PATH_INFO", "")
        status = res.status_code
        if path.startswith("/api/") or path in {"/health", "/metrics"}:
            reply = json_error(status, "http_error", res.status_line)
        else:
            reply = text("ERROR " + str(status), status)
        res.headers.clear()
        for key, value in reply.headers.items():
            res.set_header(key, value)
        return reply.body


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def observed(app: WSGIApp, metrics: Metrics | None) -> WSGIApp:
    """Request id + serial in the logging context, one access-log line, request metrics."""

    # (route, status) -> (request counter, latency histogram): labels() looked up once
    children: dict[tuple[str, str], tuple[Any, Any]] = {}

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]
                   ) -> Iterable[bytes]:
        started = time.perf_counter()
        rid = logs.new_request_id(environ.get("HTTP_X_REQUEST_ID"))
        path = environ.get("PATH_INFO", "")
        match = _SN.search(environ.get("QUERY_STRING", "")) if path.startswith("/iclock/") \
            else _API_SERIAL.match(path)
        rid_token = logs.request_id.set(rid)
        sn_token = logs.serial.set(match.group(1) if match else None)
        status_box: list[str] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_box.append(status)
            headers.append(("X-Request-Id", rid))
            return start_response(status, headers, exc_info)

        try:
            body = app(environ, start)
        finally:
            elapsed = time.perf_counter() - started
            status = status_box[-1][:3] if status_box else "500"
            if metrics is not None:
                route = route_of(path)
                child = children.get((route, status))
                if child is None:
                    child = children[route, status] = (metrics.requests.labels(route, status),
                                                       metrics.latency.labels(route))
                child[0].inc()
                child[1].observe(elapsed)
            if access.isEnabledFor(logging.INFO):
                query = environ.get("QUERY_STRING", "")
                access.info("%s %s %s", environ.get("REQUEST_METHOD"), path, status, extra={
                    "method": environ.get("REQUEST_METHOD"), "path": path,
                    "query": query[:256] if path.startswith("/iclock/") else None,
                    "status": int(status), "duration_ms": round(elapsed * 1000, 2),
                    "addr": environ.get("REMOTE_ADDR")})
            logs.serial.reset(sn_token)
            logs.request_id.reset(rid_token)
        return body

    return middleware


def create_app(store: Store, config: Config, *, metrics: Metrics | None = None,
               now: Callable[[], datetime] | None = None, key: RelayKey | None = None
               ) -> WSGIApp:
    app = RelayBottle(catchall=True)
    push = PushHandlers(store, config, now=now, metrics=metrics)

    def iclock(endpoint: str) -> Any:
        return push.dispatch(request.environ, endpoint)

    app.route("/iclock/<endpoint>", ["GET", "POST"], iclock)
    api = Api(store, config, metrics, key, knocks_refused=lambda: push.knocks.refused)
    recon = ReconApi(store, api.key)
    bio = BiometricApi(store, api.key)
    for method, path, handler, needs in api.routes() + recon.routes() + bio.routes():
        scope = needs if isinstance(needs, str) else "events"
        app.route(path, method, api.wrap(handler, bool(needs), scope))
    if metrics is not None:
        metrics.attach_store(store, clock_synchronised)
    return observed(app, metrics)
