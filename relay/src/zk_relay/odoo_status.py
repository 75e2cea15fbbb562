"""Push mode, second channel (issue 17): reconciliation days, health events and terminal health
to Odoo's ``status_url``, for a relay Odoo cannot reach (the pull API carries the same).

Only when the link is active, in push mode, and the enrolment answer gave a ``status_url``.
Every ``health_interval_seconds`` (at once while more rows wait) the relay POSTs, with the
link's bearer token, a page signed like event pages::

    {"store_id", "after": {"days": R, "events": E}, "days": [...], "events": [...],
     "next_after": {"days": R2, "events": E2}, "has_more", "relay": {...},
     "terminals": [...], "generated_at", "signature"}

``days`` are reconciliation rows after revision ``R`` and ``events`` health events after id
``E`` (shapes as in the pull API, up to ``push_page_size`` each). Odoo answers ``200
{"committed": {"days": R2, "events": E2}}``: Odoo owns both cursors, as with events — the relay
sends from exactly what Odoo says next time (clamped to what it sent). Any other answer, or
none, backs off like event pushes (full jitter, ``push_backoff_*``). A revoked link is the
event deliverer's business: this channel just stops when the link is not active.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from zk_relay.config import Config
from zk_relay.keys import RelayKey
from zk_relay.odoo_http import Post, http_post_json, reply_error, transport_error
from zk_relay.store import Store
from zk_relay.terminal_health import relay_health
from zk_rules.backoff import backoff_delay

log = logging.getLogger("zk_relay.odoo")
CURSORS = ("status_days_cursor", "status_events_cursor")


class StatusPusher:
    def __init__(self, store: Store, config: Config, key: RelayKey, *,
                 clock: Callable[[], float] = time.monotonic, post: Post = http_post_json,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.config = config
        self.key = key
        self.clock = clock
        self.post = post
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.next_due = 0.0
        self.failures = 0
        self.sent = 0

    def cursors(self) -> tuple[int, int]:
        days, events = (int(self.store.meta(k) or 0) for k in CURSORS)
        return days, events

    def build_page(self) -> dict[str, Any]:
        days_after, events_after = self.cursors()
        limit = self.config.push_page_size
        days, more_days = self.store.recon_days_page(days_after, limit)
        events, more_events = self.store.health_events_page(events_after, limit)
        saved = self.store.saved_health()
        return self.key.sign({
            "store_id": self.store.store_id,
            "after": {"days": days_after, "events": events_after},
            "days": days, "events": events,
            "next_after": {"days": days[-1]["revision"] if days else days_after,
                           "events": events[-1]["id"] if events else events_after},
            "has_more": more_days or more_events,
            "relay": relay_health(self.store),
            "terminals": [saved[s] for s in sorted(saved)],
            "generated_at": datetime.now(UTC).isoformat(timespec="milliseconds")})

    def tick(self) -> float:
        """Send one page when due; the seconds until the next one."""
        link = self.store.odoo_link()
        if link is None or link["mode"] != "push" or link["state"] != "active" \
                or not link.get("status_url"):
            return self.config.health_interval_seconds
        wait = self.next_due - self.clock()
        if wait > 0:
            return wait
        page = self.build_page()
        body = json.dumps(page, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        try:
            reply = self.post(link["status_url"], body, link["odoo_token"],
                              self.config.push_timeout_seconds)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return self._fail(transport_error(exc))
        payload = reply.json() if reply.status == 200 else None
        committed = payload.get("committed") if isinstance(payload, dict) else None
        if not isinstance(committed, dict) or not all(
                isinstance(committed.get(k), int) and not isinstance(committed.get(k), bool)
                and committed.get(k) >= 0 for k in ("days", "events")):
            error, message = reply_error(reply)
            return self._fail(f"HTTP {reply.status}: {error or 'no valid committed'}"
                              f"{': ' + message if message else ''}")
        sent = page["next_after"]
        values = (min(committed["days"], sent["days"]), min(committed["events"], sent["events"]))

        def job(conn: Any) -> None:
            for key, value in zip(CURSORS, values, strict=True):
                conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO"
                             " UPDATE SET value = excluded.value", (key, str(value)))

        self.store.write(job)
        self.failures = 0
        self.sent += 1
        more = page["has_more"] and values == (sent["days"], sent["events"])
        wait = 0.0 if more else self.config.health_interval_seconds
        self.next_due = self.clock() + wait
        return wait

    def _fail(self, error: str) -> float:
        self.failures += 1
        wait = backoff_delay(self.failures, self.config.push_backoff_base_seconds,
                             self.config.push_backoff_cap_seconds, self.rng.uniform)
        self.next_due = self.clock() + wait
        log.warning("status push to Odoo failed (%d in a row), next attempt in %.1f s: %s",
                    self.failures, wait, error, extra={"failures": self.failures})
        return wait
