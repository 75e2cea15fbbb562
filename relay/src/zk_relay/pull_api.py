"""The pull API for Odoo: token-authenticated JSON under ``/api/v1/`` plus ``/health``.

Contract (keep it: Odoo's client is written against it):

* ``GET  /api/v1/events?after=<id>&limit=<n>`` → ``{store_id, events, next_after, has_more}``
* ``POST /api/v1/events/ack`` ``{store_id, up_to}`` → ``{store_id, acked_up_to}`` (409 on a
  different store_id)
* ``GET  /api/v1/devices``, ``PUT /api/v1/devices/<serial>``, ``DELETE /api/v1/devices/<serial>``
* ``GET  /api/v1/users|oplog|quarantine?after=&limit=`` (same page shape)
* ``POST /api/v1/devices/<serial>/commands`` ``{kind, ...fields}`` → 201 ``{store_id, command}``
* ``GET  /api/v1/commands?after=&limit=[&serial=&state=]`` (same page shape, key ``commands``)
* ``GET  /api/v1/commands/<id>`` → ``{store_id, command}``
* ``PUT  /api/v1/odoo/mode`` ``{mode: push|pull}`` → ``{store_id, mode}`` (409: not enrolled,
  revoked, no delivery URL for push)
* ``GET  /health``, ``GET /metrics`` (no token); reconciliation and health: ``recon_api.py``
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from typing import Any

from bottle import HTTPResponse, request

from zk_relay import __version__, adms, commands
from zk_relay.api_common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ApiError,
    clock_synchronised,
    int_param,
    json_body,
    json_error,
    json_response,
)
from zk_relay.biometric_api import check_command_scope
from zk_relay.config import Config
from zk_relay.keys import RelayKey, load_or_create
from zk_relay.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from zk_relay.metrics import Metrics
from zk_relay.store import COMMAND_STATES, Store, link_status
from zk_relay.terminal_health import relay_health

log = logging.getLogger("zk_relay.api")

COMMAND_KEYS = ("id", "serial", "kind", "params", "command", "state", "return_code", "result",
                "result_fields", "created_at", "sent_at", "done_at", "retries")


def command_json(c: dict[str, Any]) -> dict[str, Any]:
    return {key: (c[key] or None) if key == "kind" else c[key] for key in COMMAND_KEYS}


class Api:
    def __init__(self, store: Store, config: Config, metrics: Metrics | None = None,
                 key: RelayKey | None = None,
                 knocks_refused: Callable[[], int] | None = None) -> None:
        self.store = store
        self.config = config
        self.metrics = metrics
        self.key = key or load_or_create(store.path.parent)
        # knocks of unknown serials refused by the per-address limit (in memory, since start)
        self.knocks_refused = knocks_refused or (lambda: 0)

    def routes(self) -> list[tuple[str, str, Callable[..., HTTPResponse], bool | str]]:
        """(method, path, handler, needs token: False, True (scope events) or the scope)"""
        return [
            ("GET", "/health", self.health, False),
            ("GET", "/api/v1/events", self.events, True),
            ("POST", "/api/v1/events/ack", self.ack, True),
            ("GET", "/api/v1/devices", self.devices, True),
            ("PUT", "/api/v1/devices/<serial>", self.put_device, True),
            ("DELETE", "/api/v1/devices/<serial>", self.delete_device, True),
            ("GET", "/api/v1/users", self.users, True),
            ("GET", "/api/v1/oplog", self.oplog, True),
            ("GET", "/api/v1/quarantine", self.quarantine, True),
            ("POST", "/api/v1/devices/<serial>/commands", self.post_command, "any"),
            ("GET", "/api/v1/commands", self.list_commands, True),
            ("GET", "/api/v1/commands/<cid>", self.get_command, True),
            ("PUT", "/api/v1/odoo/mode", self.put_odoo_mode, True),
            ("GET", "/metrics", self.metrics_page, False),
        ]

    def wrap(self, handler: Callable[..., HTTPResponse], needs_token: bool,
             scope: str = "events") -> Callable[..., HTTPResponse]:
        """``scope``: what the token must allow (``events``, ``biometric``, or ``any`` when the
        handler decides, as the command endpoint does per kind); else 403 forbidden."""
        def wrapped(**kwargs: Any) -> HTTPResponse:
            if needs_token:
                header = request.environ.get("HTTP_AUTHORIZATION", "")
                scheme, _, token = header.partition(" ")
                name = self.store.check_token(token.strip()) if token.strip() else None
                if scheme.lower() != "bearer" or name is None:
                    return json_error(401, "unauthorized",
                                      "missing or invalid 'Authorization: Bearer <token>'",
                                      **{"WWW-Authenticate": 'Bearer realm="zk-relay"'})
                scopes = self.store.token_scopes(name)
                if scope != "any" and scope not in scopes:
                    return json_error(403, "forbidden", f"this token's scope"
                                      f" ({', '.join(sorted(scopes))}) does not allow this:"
                                      f" it needs the '{scope}' scope")
                request.environ["zk.token"] = (name, scopes)
            try:
                return handler(**kwargs)
            except ApiError as exc:
                return json_error(exc.status, exc.error, exc.message)

        return wrapped

    # -- pages
    def _page(self, fetch: Callable[[int, int], tuple[list[dict[str, Any]], bool]],
              key: str, *, signed: bool = False) -> HTTPResponse:
        after = int_param("after", 0, 0, 2**63 - 1)
        limit = int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        rows, more = fetch(after, limit)
        page = {
            "store_id": self.store.store_id,
            key: rows,
            "next_after": rows[-1]["id"] if rows else after,
            "has_more": more,
        }
        if signed:  # event pages: how far the store goes, so Odoo can show its lag
            page["last_event_id"] = self.store.last_event_id()
            page["waiting_since"] = self.store.received_after(page["next_after"])
        return json_response(self.key.sign(page) if signed else page)

    def events(self) -> HTTPResponse:
        """Signed (issue 10): ``signature`` over the canonical JSON of the rest of the page."""
        return self._page(self.store.events_page, "events", signed=True)

    def users(self) -> HTTPResponse:
        return self._page(self.store.users_page, "users")

    def oplog(self) -> HTTPResponse:
        return self._page(self.store.oplog_page, "oplog")

    def quarantine(self) -> HTTPResponse:
        return self._page(self.store.quarantine_page, "quarantine")

    def ack(self) -> HTTPResponse:
        payload = json_body()
        store_id = payload.get("store_id")
        up_to = payload.get("up_to")
        if not isinstance(store_id, str):
            raise ApiError(400, "bad_request", "store_id (string) is required")
        if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to < 0:
            raise ApiError(400, "bad_request", "up_to must be a non-negative integer")
        if store_id != self.store.store_id:
            return json_response({"error": "store_mismatch",
                                  "message": "this relay's store_id differs: restart from the"
                                  " beginning of this store", "store_id": self.store.store_id},
                                 409)
        acked = self.store.ack(up_to)
        return json_response({"store_id": self.store.store_id, "acked_up_to": acked})

    # -- link to Odoo
    def put_odoo_mode(self) -> HTTPResponse:
        """Odoo (pulling, so it can reach us) switches the relay to push or back to pull."""
        mode = json_body().get("mode")
        if mode not in ("push", "pull"):
            raise ApiError(400, "bad_request", "mode must be 'push' or 'pull'")
        link = self.store.odoo_link()
        if link is None:
            raise ApiError(409, "not_enrolled", "this relay is not enrolled with Odoo:"
                           " run `zk-relay enrol` on the relay")
        if link["state"] != "active":
            raise ApiError(409, "revoked", "this relay's link to Odoo is revoked: enrol again")
        if mode == "push" and not link["delivery_url"]:
            raise ApiError(409, "no_delivery_url", "the enrolment gave no delivery URL:"
                           " enrol again to push")
        self.store.set_link_mode(link["enrolled_at"], mode)
        log.info("Odoo set the delivery mode to %s", mode, extra={"mode": mode})
        return json_response({"store_id": self.store.store_id, "mode": mode})

    # -- devices
    @staticmethod
    def _device_json(d: dict[str, Any]) -> dict[str, Any]:
        return {
            "serial": d["serial"],
            "name": d["name"],
            "timezone": d["timezone"],
            "enabled": d["enabled"],
            "last_seen": d["last_seen"],
            "last_addr": d["last_addr"],
            "pushver": d["pushver"],
            "info": d["info"] or {},
            "options": d["options"] or {},
            "stamps": {"ATTLOG": d["attlog_stamp"], "OPERLOG": d["operlog_stamp"],
                       "ATTPHOTO": d["attphoto_stamp"], "BIODATA": d["biodata_stamp"]},
            "counts": {"events": d["events_stored"], "duplicates": d["events_duplicate"],
                       "quarantined": d["quarantined"], "oplog": d["oplog_stored"],
                       "users": d["users_stored"], "biodata": d["bio_stored"],
                       "photos": d["photos_stored"]},
            "last_event_at": d["last_event_at"],
            "address": d["address"],
            "port": d["port"],
            "poll": {"last_poll_at": d["last_poll_at"], "last_poll_ok": d["last_poll_ok"],
                     "failures": d["poll_failures"], "last_error": d["last_poll_error"]}
            if d["address"] else None,
        }

    def devices(self) -> HTTPResponse:
        pending = [{k: p[k] for k in ("serial", "first_seen", "last_seen", "remote_addr",
                                      "knocks")} for p in self.store.pending()]
        return json_response({
            "store_id": self.store.store_id,
            "devices": [self._device_json(d) for d in self.store.devices()],
            "pending": pending,
        })

    def put_device(self, serial: str) -> HTTPResponse:
        if not adms.valid_serial(serial):
            raise ApiError(400, "bad_request", "serial: 1-64 letters, digits, '-' or '_'")
        payload = json_body()
        timezone = payload.get("timezone")
        name = payload.get("name")
        enabled = payload.get("enabled")
        pushcommkey = payload.get("pushcommkey")
        if timezone is not None and not isinstance(timezone, str):
            raise ApiError(400, "bad_request", "timezone must be an IANA zone name string")
        if name is not None and not isinstance(name, str):
            raise ApiError(400, "bad_request", "name must be a string")
        if enabled is not None and not isinstance(enabled, bool):
            raise ApiError(400, "bad_request", "enabled must be true or false")
        if pushcommkey is not None and not isinstance(pushcommkey, str):
            raise ApiError(400, "bad_request", "pushcommkey must be a string")
        address = payload.get("address")
        if address is not None and not isinstance(address, str):
            raise ApiError(400, "bad_request", "address must be a string ('' stops polling)")
        port, password = payload.get("port"), payload.get("password")
        for key, value in (("port", port), ("password", password)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ApiError(400, "bad_request", f"{key} must be an integer")
        try:
            device, created = self.store.upsert_device(
                serial, timezone=timezone, name=name, enabled=enabled,
                pushcommkey=pushcommkey or None, address=address, port=port,
                comm_password=password)
        except ValueError as exc:
            raise ApiError(400, "bad_request", str(exc)) from None
        return json_response({"store_id": self.store.store_id, "created": created,
                              "device": self._device_json(device)}, 201 if created else 200)

    def delete_device(self, serial: str) -> HTTPResponse:
        try:
            device, _ = self.store.upsert_device(serial, enabled=False, create=False)
        except LookupError:
            raise ApiError(404, "not_found", f"device {serial} is not registered") from None
        return json_response({"store_id": self.store.store_id,
                              "device": self._device_json(device)})

    # -- device commands (§4.6-§4.8)
    def post_command(self, serial: str) -> HTTPResponse:
        """Every 400 here names the refused field (``body`` when it is not a JSON object)."""
        try:
            payload = json_body()
        except ApiError as exc:
            return json_response({"error": "bad_request", "field": "body",
                                  "message": exc.message}, 400)
        kind = payload.get("kind")
        try:
            if "params" in payload:
                params = payload["params"]
                if not isinstance(params, dict) or set(payload) - {"kind", "params"}:
                    raise commands.CommandError("params", "give the fields either at the top"
                                                " level or in a 'params' object, not both")
            else:
                params = {k: v for k, v in payload.items() if k != "kind"}
            command = commands.build(kind, params)
        except commands.CommandError as exc:
            return json_response({"error": "bad_request", "field": exc.field,
                                  "message": str(exc)}, 400)
        actor = check_command_scope(self.store, serial, command)
        try:
            queued = self.store.queue_command(serial, command, actor)
        except LookupError:
            raise ApiError(404, "not_found", f"device {serial} is not registered") from None
        log.info("command %s queued for %s: %s", queued["id"], serial, command.kind,
                 extra={"command_id": queued["id"], "kind": command.kind})
        return json_response({"store_id": self.store.store_id,
                              "command": command_json(queued)}, 201)

    def list_commands(self) -> HTTPResponse:
        serial = request.query.get("serial") or None
        state = request.query.get("state") or None
        if state is not None and state not in COMMAND_STATES:
            raise ApiError(400, "bad_request", "state must be one of "
                           + ", ".join(COMMAND_STATES))

        def fetch(after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
            rows, more = self.store.commands_page(after, limit, serial, state)
            return [command_json(r) for r in rows], more

        return self._page(fetch, "commands")

    def get_command(self, cid: str) -> HTTPResponse:
        # ASCII digits only: str.isdigit() also accepts '²' and other digits int() refuses.
        valid = cid.isascii() and cid.isdigit() and len(cid) <= 18
        found = self.store.command(int(cid)) if valid else None
        if found is None:
            raise ApiError(404, "not_found", f"no command {cid}")
        return json_response({"store_id": self.store.store_id, "command": command_json(found)})

    def metrics_page(self) -> HTTPResponse:
        if self.metrics is None:
            raise ApiError(404, "not_found", "metrics are not enabled")
        return HTTPResponse(self.metrics.render(), 200,
                            headers={"Content-Type": METRICS_CONTENT_TYPE,
                                     "Cache-Control": "no-store"})

    # -- health
    def health(self) -> HTTPResponse:
        writable = self.store.probe_writable()
        try:
            disk_free = shutil.disk_usage(self.store.path.parent).free
        except OSError:
            disk_free = None
        acked = self.store.acked_up_to()
        backlog = self.store.backlog_by_device()
        saved = self.store.saved_health()
        devices = [{"serial": d["serial"], "enabled": d["enabled"], "last_seen": d["last_seen"],
                    "last_event_at": d["last_event_at"],
                    "events_waiting_for_ack": backlog.get(d["serial"], 0),
                    "mode": "poll" if d["address"] else "push",
                    **({"last_poll_ok": d["last_poll_ok"], "poll_failures": d["poll_failures"],
                        "last_poll_error": d["last_poll_error"]} if d["address"] else {}),
                    "health": saved.get(d["serial"])}
                   for d in self.store.devices()]
        waiting, clock = sum(backlog.values()), clock_synchronised()
        delivery = link_status(self.store)
        revoked = bool(delivery["odoo"] and delivery["odoo"]["state"] == "revoked")
        ok = writable and clock is not False and not revoked
        return json_response({
            "status": "ok" if ok else "degraded",
            "version": __version__,
            "store_id": self.store.store_id,
            "db_writable": writable,
            "disk_free_bytes": disk_free,
            "clock_synchronised": clock,
            "events_waiting_for_ack": waiting,
            "acked_up_to": acked,
            "last_event_id": self.store.last_event_id(),
            "devices": devices,
            "pending": len(self.store.pending()),
            "pending_dropped": self.store.pending_dropped(),
            "knocks_refused": self.knocks_refused(),
            "delivery": delivery,
            "relay": relay_health(self.store),
            "key_id": self.key.key_id,
            "biometrics": self.store.biometric_state(),
        }, 200 if writable else 503)
