"""Push mode (issue 10): the relay delivers signed pages of events to Odoo.

:class:`Deliverer`: pages of events after the relay's push cursor, signed, POSTed
to ``delivery_url`` with ``Authorization: Bearer <odoo_token>``. Odoo answers 200
``{committed_up_to}`` and the relay moves its push cursor (and the retention acknowledgement)
to exactly that id, never further; 401/403 mark the link revoked (no more pushes until a new
enrolment); 409 restarts from the beginning of this store; 429, 5xx, timeouts and connection
errors back off exponentially with full jitter (``zk_rules.backoff``), per destination. The
clock, the random source and the HTTP call are injected, so the schedule is computed in tests,
not slept. Enrolment: :mod:`zk_relay.odoo_enrolment`.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from zk_relay.config import Config
from zk_relay.keys import RelayKey
from zk_relay.metrics import Metrics
from zk_relay.odoo_http import HttpReply, Post, http_post_json, reply_error, transport_error
from zk_relay.store import Store
from zk_rules.backoff import backoff_delay

log = logging.getLogger("zk_relay.odoo")


@dataclass
class Destination:
    """Backoff state of one destination (the delivery URL)."""

    failures: int = 0
    next_due: float = 0.0
    page_size: int = 0


class Deliverer:
    """Push mode: one page per :meth:`tick` when due. Returns the seconds until the next
    attempt is due (0 when more pages are waiting)."""

    def __init__(self, store: Store, config: Config, key: RelayKey, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC),
                 rng: random.Random | None = None, post: Post = http_post_json,
                 metrics: Metrics | None = None) -> None:
        self.store = store
        self.config = config
        self.key = key
        self.clock = clock
        self.wall = wall
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.post = post
        self.metrics = metrics
        self.destinations: dict[str, Destination] = {}
        self.attempts = 0

    # -- schedule
    def _idle(self) -> float:
        return self.config.push_interval_seconds

    def tick(self) -> float:
        link = self.store.odoo_link()
        if link is None or link["mode"] != "push" or link["state"] != "active" \
                or not link["delivery_url"]:
            return self._idle()
        url = link["delivery_url"]
        dest = self.destinations.get(url)
        if dest is None:  # first sight (or restart): carry on the failure count, try now
            dest = self.destinations[url] = Destination(failures=int(link["failures"]),
                                                        next_due=self.clock())
        wait = dest.next_due - self.clock()
        if wait > 0:
            return wait
        return self.push_once(link, dest)

    def _fail(self, link: dict[str, Any], dest: Destination, error: str,
              retry_after: float | None = None) -> float:
        dest.failures += 1
        delay = backoff_delay(dest.failures, self.config.push_backoff_base_seconds,
                              self.config.push_backoff_cap_seconds, uniform=self.rng.uniform)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.config.push_backoff_cap_seconds))
        dest.next_due = self.clock() + delay
        at = (self.wall() + timedelta(seconds=delay)).isoformat(timespec="milliseconds")
        self.store.record_push_failure(link["enrolled_at"], failures=dest.failures,
                                       error=error, next_attempt_at=at)
        self._count("failure")
        log.warning("push to Odoo failed (%d in a row), next attempt in %.1f s: %s",
                    dest.failures, delay, error,
                    extra={"failures": dest.failures, "retry_in_s": round(delay, 3),
                           "destination": link["delivery_url"]})
        return delay

    def _count(self, outcome: str, events: int = 0) -> None:
        if self.metrics is not None:
            self.metrics.push_pages.labels(outcome).inc()
            if events:
                self.metrics.pushed_events.inc(events)

    # -- one page
    def build_page(self, after: int, limit: int) -> dict[str, Any] | None:
        rows, more = self.store.events_page(after, limit)
        if not rows:
            return None
        return self.key.sign({"store_id": self.store.store_id, "after": after, "events": rows,
                              "next_after": rows[-1]["id"], "has_more": more,
                              "last_event_id": self.store.last_event_id(),
                              "waiting_since": self.store.received_after(rows[-1]["id"])})

    def push_once(self, link: dict[str, Any], dest: Destination) -> float:  # noqa: C901
        after = int(link["push_cursor"])
        size = dest.page_size or self.config.push_page_size
        page = self.build_page(after, size)
        if page is None:
            dest.next_due = self.clock() + self._idle()
            return self._idle()
        body = json.dumps(page, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        self.attempts += 1
        try:
            reply = self.post(link["delivery_url"], body, link["odoo_token"],
                              self.config.push_timeout_seconds)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return self._fail(link, dest, transport_error(exc))
        status = reply.status
        if status == 200:
            return self._accepted(link, dest, page, reply)
        error, message = reply_error(reply)
        detail = ": ".join(x for x in (error, message) if x)
        if status in (401, 403):
            reason = (f"Odoo refused the relay's credentials (HTTP {status}"
                      f"{': ' + detail if detail else ''}): revoked; enrol again")
            self.store.mark_link_revoked(link["enrolled_at"], reason)
            self.destinations.pop(link["delivery_url"], None)
            self._count("revoked")
            log.error("push stopped: %s", reason, extra={"status": status})
            return self._idle()
        if status == 409:
            payload = reply.json()
            theirs = payload.get("store_id") if isinstance(payload, dict) else None
            if after > 0:
                self.store.set_push_cursor(link["enrolled_at"], 0)
                self._count("store_mismatch")
                log.warning("Odoo knows store %s, this relay is store %s: pushing again from"
                            " the beginning of this store", theirs, self.store.store_id,
                            extra={"store_id": self.store.store_id, "odoo_store_id": theirs})
                return 0.0
            return self._fail(link, dest, f"Odoo refuses store {self.store.store_id} (HTTP 409,"
                              f" it knows {theirs}){': ' + detail if detail else ''}")
        if status in (400, 422):  # Odoo read the page and refused it (signature, contract)
            self.store.note_page_refused(f"HTTP {status}{': ' + detail if detail else ''}")
        if status == 413 and size > 1:
            dest.page_size = max(1, size // 2)
            log.warning("Odoo refused a page of %d events as too large; trying %d", size,
                        dest.page_size)
            return 0.0
        retry_after = None
        if status in (429, 503):
            try:
                retry_after = float(reply.headers.get("retry-after", ""))
            except ValueError:
                retry_after = None
        return self._fail(link, dest, f"HTTP {status}{': ' + detail if detail else ''}",
                          retry_after)

    def _accepted(self, link: dict[str, Any], dest: Destination, page: dict[str, Any],
                  reply: HttpReply) -> float:
        payload = reply.json()
        after = int(page["after"])
        committed = payload.get("committed_up_to") if isinstance(payload, dict) else None
        if not isinstance(committed, int) or isinstance(committed, bool) or committed < 0:
            return self._fail(link, dest, "Odoo answered 200 without a valid committed_up_to")
        rotate = payload.get("rotate_token")
        if not (isinstance(rotate, str) and rotate.strip() and
                not any(ch.isspace() for ch in rotate.strip())):
            rotate = None
        last = self.store.last_event_id()
        cursor = min(committed, last)  # Odoo owns the cursor; nothing past what exists
        if payload.get("mode") == "pull" and cursor <= after:
            # Odoo was switched to pull: it answers with its cursor and imports nothing.
            if rotate:
                self.store.rotate_odoo_token(link["enrolled_at"], rotate.strip())
            self.store.set_link_mode(link["enrolled_at"], "pull")
            self.destinations.pop(link["delivery_url"], None)
            log.info("Odoo switched this relay to pull mode: push stopped")
            return self._idle()
        if cursor == after:
            if rotate:
                self.store.rotate_odoo_token(link["enrolled_at"], rotate.strip())
            return self._fail(link, dest, f"Odoo answered 200 but committed nothing of the page"
                              f" (committed_up_to {committed} = after {after})")
        if cursor < after:
            log.warning("Odoo's cursor (%d) is behind the relay's push cursor (%d): sending"
                        " again from there", cursor, after)
        events = sum(1 for e in page["events"] if after < e["id"] <= cursor)
        acked = self.store.record_push_ok(link["enrolled_at"], cursor=cursor,
                                          committed=committed, events=events,
                                          rotate_token=rotate.strip() if rotate else None)
        if acked is None:  # re-enrolled meanwhile: start over with the new link
            self.destinations.pop(link["delivery_url"], None)
            return 0.0
        dest.failures = 0
        dest.page_size = 0 if dest.page_size >= self.config.push_page_size else dest.page_size
        self._count("committed", events)
        if rotate:
            log.info("Odoo rotated the relay's token")
        mode = payload.get("mode")
        if mode == "pull":
            self.store.set_link_mode(link["enrolled_at"], "pull")
            log.info("Odoo switched this relay to pull mode: push stopped")
            return self._idle()
        if cursor < last:
            dest.next_due = self.clock()
            return 0.0
        dest.next_due = self.clock() + self._idle()
        return self._idle()


class DelivererThread(threading.Thread):
    """Runs :meth:`Deliverer.tick` until stopped; reads the link at least every second (so a
    re-enrolment by the command line is picked up)."""

    def __init__(self, store: Store, config: Config, key: RelayKey, *,
                 metrics: Metrics | None = None) -> None:
        super().__init__(name="zk-relay-deliverer", daemon=True)
        self.deliverer = Deliverer(store, config, key, metrics=metrics)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                wait = self.deliverer.tick()
            except Exception:
                log.exception("push pass failed; will retry")
                wait = 5.0
            if wait > 0:
                self.stopped.wait(min(wait, 1.0))




__all__ = ["Deliverer", "DelivererThread", "HttpReply", "http_post_json"]
