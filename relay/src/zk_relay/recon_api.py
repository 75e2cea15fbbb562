"""Pull API for reconciliation and health (issue 17), beside ``pull_api.py``: same token, same
page shape, and the pages Odoo imports from are signed like event pages.

* ``GET  /api/v1/reconciliation?after=<revision>&limit=&serial=`` → signed
  ``{store_id, days, next_after, has_more}``: terminal-day rows in the order they changed
* ``POST /api/v1/reconciliation`` ``{serial, from, to?}`` → 202 ``{store_id, runs}``
* ``GET  /api/v1/reconciliation/runs?after=&limit=&serial=`` → ``{store_id, runs, …}``
* ``GET  /api/v1/health/terminals`` → signed ``{store_id, relay, terminals, generated_at}``
* ``GET  /api/v1/health/events?after=&limit=&serial=`` → signed ``{store_id, events, …}``
* ``POST /api/v1/devices/<serial>/clock`` → 202 ``{store_id, repair}``
* ``GET  /api/v1/clock-repairs?after=&limit=`` → ``{store_id, repairs, …}``
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bottle import HTTPResponse, request

from zk_relay.keys import RelayKey
from zk_relay.pull_api import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ApiError,
    int_param,
    json_body,
    json_response,
)
from zk_relay.reconciler import local_now
from zk_relay.store import Store
from zk_relay.terminal_health import relay_health
from zk_rules import reconciliation as rules


def request_range(store: Store, serial: str, first: Any, last: Any, origin: str,
                  now: datetime | None = None) -> list[dict[str, Any]]:
    """Queue the days ``first``..``last`` of a terminal (API and command line)."""
    device = store.device(serial)
    if device is None:
        raise LookupError(f"device {serial} is not registered")
    if not isinstance(first, str) or (last is not None and not isinstance(last, str)):
        raise ValueError("from and to are days, YYYY-MM-DD")
    today = local_now(device, now or datetime.now(UTC)).date()
    days = rules.days_between(first, last or first, today)
    return store.request_days(serial, days, origin)


class ReconApi:
    def __init__(self, store: Store, key: RelayKey) -> None:
        self.store = store
        self.key = key

    def routes(self) -> list[tuple[str, str, Callable[..., HTTPResponse], bool]]:
        return [
            ("GET", "/api/v1/reconciliation", self.days, True),
            ("POST", "/api/v1/reconciliation", self.post_days, True),
            ("GET", "/api/v1/reconciliation/runs", self.runs, True),
            ("GET", "/api/v1/health/terminals", self.terminals, True),
            ("GET", "/api/v1/health/events", self.events, True),
            ("POST", "/api/v1/devices/<serial>/clock", self.post_clock, True),
            ("GET", "/api/v1/clock-repairs", self.repairs, True),
        ]

    def _page(self, fetch: Callable[..., tuple[list[dict[str, Any]], bool]], key: str,
              cursor: str, *, signed: bool, by_serial: bool = True) -> HTTPResponse:
        after = int_param("after", 0, 0, 2**63 - 1)
        limit = int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        serial = request.query.get("serial") or None
        rows, more = fetch(after, limit, serial) if by_serial else fetch(after, limit)
        page = {"store_id": self.store.store_id, key: rows,
                "next_after": rows[-1][cursor] if rows else after, "has_more": more}
        return json_response(self.key.sign(page) if signed else page)

    def days(self) -> HTTPResponse:
        return self._page(self.store.recon_days_page, "days", "revision", signed=True)

    def runs(self) -> HTTPResponse:
        return self._page(self.store.recon_runs_page, "runs", "id", signed=False)

    def events(self) -> HTTPResponse:
        return self._page(self.store.health_events_page, "events", "id", signed=True)

    def repairs(self) -> HTTPResponse:
        return self._page(self.store.clock_repairs_page, "repairs", "id", signed=False,
                          by_serial=False)

    def post_days(self) -> HTTPResponse:
        payload = json_body()
        serial = payload.get("serial")
        if not isinstance(serial, str) or not serial:
            raise ApiError(400, "bad_request", "serial (string) is required")
        try:
            runs = request_range(self.store, serial, payload.get("from"), payload.get("to"),
                                 "demand")
        except LookupError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except ValueError as exc:
            raise ApiError(400, "bad_request", str(exc)) from None
        return json_response({"store_id": self.store.store_id, "runs": runs}, 202)

    def terminals(self) -> HTTPResponse:
        saved = self.store.saved_health()
        page = {"store_id": self.store.store_id, "relay": relay_health(self.store),
                "terminals": [saved[s] for s in sorted(saved)],
                "generated_at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        return json_response(self.key.sign(page))

    def post_clock(self, serial: str) -> HTTPResponse:
        try:
            repair = self.store.request_clock_repair(serial, "demand", None)
        except LookupError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        return json_response({"store_id": self.store.store_id, "repair": repair}, 202)
