"""The biometric endpoints (issue 19; README "Biometric data"), for tokens with the
``biometric`` scope only (others: 403 ``forbidden``):

* ``GET  /api/v1/biometric/templates?after=&limit=`` → signed ``{store_id, templates,
  next_after, has_more, signature}``; every template read is audited;
* ``GET  /api/v1/biometric/photos?after=&limit=`` → signed ``{store_id, photos, ...}``;
* ``POST /api/v1/biometric/ack`` ``{store_id, templates_up_to?, photos_up_to?}``;
* ``GET  /api/v1/biometric/audit?after=&limit=`` → ``{store_id, audit, ...}`` (no content).

And the check of the biometric command kinds queued through ``POST
/api/v1/devices/<serial>/commands``: the scope, the key, and the algorithm version of the
target terminal (409 ``not_compatible``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bottle import HTTPResponse, request

from zk_relay.api_common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ApiError,
    int_param,
    json_body,
    json_response,
)
from zk_relay.biometric_commands import BIO_KINDS
from zk_relay.biometric_rows import device_versions
from zk_relay.commands import Command
from zk_relay.keys import RelayKey
from zk_relay.store import Store

_MAX_BIO_LIMIT = 500  # templates and photos are large: smaller pages


def _actor() -> tuple[str, frozenset[str]]:
    name, scopes = request.environ.get("zk.token", ("?", frozenset()))
    return f"token {name}", scopes


def incompatible(store: Store, serial: str, command: Command) -> str | None:
    """Why the terminal cannot use a template_upsert's template (its algorithm version for
    that kind differs), or None. Raises :class:`ApiError` 404 for an unknown terminal."""
    if command.kind != "template_upsert":
        return None
    device = store.device(serial)
    if device is None:
        raise ApiError(404, "not_found", f"device {serial} is not registered")
    kind = command.params["kind"]
    wanted = int(command.params["algorithm"].split(":", 1)[1])
    has = device_versions(device["info"] or {}, device["options"] or {}).get(kind)
    if has is not None and has != wanted:
        return (f"terminal {serial} uses {kind} algorithm version {has}; this template is"
                f" version {wanted}: it cannot use it")
    return None


def check_command_scope(store: Store, serial: str, command: Command) -> str:
    """Who queues ``command`` (for the audit); raises :class:`ApiError` when the token's scope,
    the relay's key or the terminal's algorithm version does not allow it."""
    actor, scopes = _actor()
    needed = "biometric" if command.kind in BIO_KINDS else "events"
    if needed not in scopes:
        raise ApiError(403, "forbidden", f"a {command.kind} command needs a token with the"
                       f" '{needed}' scope")
    if command.kind in BIO_KINDS and store.bio_cipher is None:
        raise ApiError(409, "biometrics_off", "biometric data is off on this relay: no"
                       " biometric key in its configuration (biometric_key)")
    problem = incompatible(store, serial, command)
    if problem:
        raise ApiError(409, "not_compatible", problem)
    return actor


class BiometricApi:
    def __init__(self, store: Store, key: RelayKey) -> None:
        self.store = store
        self.key = key

    def routes(self) -> list[tuple[str, str, Callable[..., HTTPResponse], str]]:
        return [
            ("GET", "/api/v1/biometric/templates", self.templates, "biometric"),
            ("GET", "/api/v1/biometric/photos", self.photos, "biometric"),
            ("POST", "/api/v1/biometric/ack", self.ack, "biometric"),
            ("GET", "/api/v1/biometric/audit", self.audit, "biometric"),
        ]

    def _off(self) -> None:
        if self.store.bio_cipher is None:
            raise ApiError(409, "biometrics_off", "biometric data is off on this relay: no"
                           " biometric key in its configuration (biometric_key), so nothing"
                           " is kept")

    def _page(self, key: str, rows: list[dict[str, Any]], more: bool, after: int,
              signed: bool = True) -> HTTPResponse:
        page = {"store_id": self.store.store_id, key: rows,
                "next_after": rows[-1]["id"] if rows else after, "has_more": more}
        return json_response(self.key.sign(page) if signed else page)

    def templates(self) -> HTTPResponse:
        self._off()
        after = int_param("after", 0, 0, 2**63 - 1)
        limit = int_param("limit", 100, 1, _MAX_BIO_LIMIT)
        rows, more = self.store.templates_page(after, limit, _actor()[0])
        return self._page("templates", rows, more, after)

    def photos(self) -> HTTPResponse:
        self._off()
        after = int_param("after", 0, 0, 2**63 - 1)
        limit = int_param("limit", 50, 1, _MAX_BIO_LIMIT)
        rows, more = self.store.photos_page(after, limit, _actor()[0])
        return self._page("photos", rows, more, after)

    def ack(self) -> HTTPResponse:
        payload = json_body()
        if payload.get("store_id") != self.store.store_id:
            return json_response({"error": "store_mismatch", "message": "this relay's store_id"
                                  " differs: restart from the beginning of this store",
                                  "store_id": self.store.store_id}, 409)
        values = {}
        for field in ("templates_up_to", "photos_up_to"):
            value = payload.get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise ApiError(400, "bad_request", f"{field} must be a non-negative integer")
            values[field] = value
        acked = self.store.biometric_ack(_actor()[0], values["templates_up_to"],
                                         values["photos_up_to"])
        return json_response({"store_id": self.store.store_id, **acked})

    def audit(self) -> HTTPResponse:
        after = int_param("after", 0, 0, 2**63 - 1)
        limit = int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        rows, more = self.store.audit_page(after, limit)
        return self._page("audit", rows, more, after, signed=False)
