"""Push mode, issue 19: biometric pages to Odoo and Odoo's outbox of commands back, for a relay
Odoo cannot reach. Both run in the monitor thread when the link is active and in push mode.

:class:`BiometricPusher` (needs the relay's biometric key and the enrolment's
``biometric_url``): POSTs signed pages of templates, then of punch photos, shaped as
``GET /api/v1/biometric/templates|photos`` answers them plus ``after`` (the cursor the page
starts after, inside the signature)::

    {"store_id", "after": 40, "templates": [...], "next_after": 90, "has_more", "signature"}

Odoo answers ``200 {"committed_up_to": N}``: the relay sends from exactly ``N`` next (clamped
to what it sent; Odoo owns the cursor) and only then moves its biometric acknowledgement (so
retention never deletes what Odoo has not committed). ``"wanted": false`` (Odoo keeps photos
on the relay) pauses that kind for ``push_backoff_cap_seconds``. Anything else — ``409
biometrics_off`` when Odoo has no biometric key, 5xx, no answer — is logged, kept for
``zk-relay odoo status``, and retried with full-jitter backoff.

:class:`OutboxFetcher` (needs the enrolment's ``commands_url``): every
``health_interval_seconds`` (at once while something changed) POSTs
``{"store_id", "results": [...]}`` — the outbox commands whose state Odoo has not heard —
and Odoo answers ``{"commands": [{"outbox_id", "serial", "kind", "params"}]}``, the commands
waiting for this relay, and optionally ``"biometric_cursors": {"templates", "photos"}``, where
Odoo stands: a push cursor beyond it goes back to it (Odoo asked to read everything again).
Each command is queued once (by ``outbox_id``) or refused with a reason (``bad_request``,
``not_compatible``, ``not_found``, ``biometrics_off``) that the next POST reports.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from zk_relay.api_common import ApiError
from zk_relay.biometric_api import incompatible
from zk_relay.commands import CommandError, build
from zk_relay.config import Config
from zk_relay.keys import RelayKey
from zk_relay.odoo_http import HttpReply, Post, http_post_json, reply_error, transport_error
from zk_relay.store import Store
from zk_rules.backoff import backoff_delay

log = logging.getLogger("zk_relay.odoo")
PAGE = {"templates": 50, "photos": 20}  # templates up to 64 KiB, photos larger


def _active(link: dict[str, Any] | None, url_field: str) -> str | None:
    if link is None or link["mode"] != "push" or link["state"] != "active":
        return None
    return link.get(url_field) or None


class _Backoff:
    def __init__(self, config: Config, clock: Callable[[], float], rng: random.Random | None
                 ) -> None:
        self.config = config
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.failures = 0
        self.next_due = 0.0

    def due(self) -> float:
        return self.next_due - self.clock()

    def ok(self, wait: float) -> float:
        self.failures = 0
        self.next_due = self.clock() + wait
        return wait

    def fail(self, what: str, error: str) -> float:
        self.failures += 1
        wait = backoff_delay(self.failures, self.config.push_backoff_base_seconds,
                             self.config.push_backoff_cap_seconds, self.rng.uniform)
        self.next_due = self.clock() + wait
        log.warning("%s (%d in a row), next attempt in %.1f s: %s", what, self.failures, wait,
                    error, extra={"failures": self.failures})
        return wait


def _post(post: Post, url: str, body: dict[str, Any], token: str, timeout: float
          ) -> tuple[HttpReply | None, str | None]:
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    try:
        return post(url, data, token, timeout), None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, transport_error(exc)


def _refusal(reply: HttpReply) -> str:
    error, message = reply_error(reply)
    return f"HTTP {reply.status}: {error or 'unexpected answer'}{': ' + message if message else ''}"


class BiometricPusher:
    def __init__(self, store: Store, config: Config, key: RelayKey, *,
                 clock: Callable[[], float] = time.monotonic, post: Post = http_post_json,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.config = config
        self.key = key
        self.post = post
        self.backoff = _Backoff(config, clock, rng)
        self.clock = clock
        self.limit = dict(PAGE)
        self.paused_until = {"templates": 0.0, "photos": 0.0}
        self.sent = 0

    def build_page(self, kind: str) -> dict[str, Any]:
        after = self.store.bio_push_cursor(kind)
        rows, more = (self.store.templates_page if kind == "templates" else
                      self.store.photos_page)(after, self.limit[kind], "odoo (push)")
        return self.key.sign({"store_id": self.store.store_id, "after": after, kind: rows,
                              "next_after": rows[-1]["id"] if rows else after,
                              "has_more": more})

    def tick(self) -> float:
        """Send one page when due; the seconds until the next attempt."""
        link = self.store.odoo_link()
        url = _active(link, "biometric_url")
        if url is None or self.store.bio_cipher is None:
            return self.config.health_interval_seconds
        wait = self.backoff.due()
        if wait > 0:
            return wait
        assert link is not None
        now = self.clock()
        kind = next((k for k in ("templates", "photos") if self.paused_until[k] <= now
                     and self.store.bio_rows_after(k, self.store.bio_push_cursor(k))), None)
        if kind is None:
            return self.backoff.ok(self.config.health_interval_seconds)
        page = self.build_page(kind)
        reply, error = _post(self.post, url, page, link["odoo_token"],
                             self.config.push_timeout_seconds)
        if reply is None:
            return self._fail(f"cannot reach Odoo: {error}")
        if reply.status == 413 and self.limit[kind] > 1:
            self.limit[kind] = max(1, self.limit[kind] // 2)
            return self.backoff.ok(0.0)
        answer = reply.json() if reply.status == 200 else None
        committed = answer.get("committed_up_to") if isinstance(answer, dict) else None
        if isinstance(committed, bool) or not isinstance(committed, int) or committed < 0:
            return self._fail(_refusal(reply))
        cursor = min(committed, page["next_after"])
        self.store.record_bio_push_ok(kind, cursor)
        if answer.get("wanted") is False:
            self.paused_until[kind] = self.clock() + self.config.push_backoff_cap_seconds
            return self.backoff.ok(0.0)
        if cursor == page["after"] and page[kind]:
            return self._fail(f"Odoo committed none of the {kind} page after {cursor}")
        self.sent += 1
        return self.backoff.ok(0.0)

    def _fail(self, error: str) -> float:
        self.store.record_bio_push_error(error)
        return self.backoff.fail("biometric push to Odoo failed", error)


class OutboxFetcher:
    def __init__(self, store: Store, config: Config, *,
                 clock: Callable[[], float] = time.monotonic, post: Post = http_post_json,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.config = config
        self.post = post
        self.backoff = _Backoff(config, clock, rng)

    def tick(self) -> float:
        """Report what changed and take the waiting commands, when due."""
        link = self.store.odoo_link()
        url = _active(link, "commands_url")
        if url is None:
            return self.config.health_interval_seconds
        wait = self.backoff.due()
        changes = self.store.outbox_changes()
        if wait > 0 and not (changes and self.backoff.failures == 0):
            return wait
        assert link is not None
        reply, error = _post(self.post, url, {"store_id": self.store.store_id,
                                              "results": changes},
                             link["odoo_token"], self.config.push_timeout_seconds)
        if reply is None:
            return self._fail(f"cannot reach Odoo: {error}")
        answer = reply.json() if reply.status == 200 else None
        commands = answer.get("commands") if isinstance(answer, dict) else None
        if not isinstance(commands, list):
            return self._fail(_refusal(reply))
        self.store.outbox_reported(changes)
        if self.backoff.failures:
            self.store.clear_bio_push_error("commands:")
        cursors = answer.get("biometric_cursors")
        if isinstance(cursors, dict):
            self.store.rewind_bio_push(cursors)
        taken = sum(self.take(item) for item in commands if isinstance(item, dict))
        more = taken or answer.get("has_more") is True
        return self.backoff.ok(0.0 if more else self.config.health_interval_seconds)

    def take(self, item: dict[str, Any]) -> bool:
        """Queue one outbox command (once); True when it is new to the relay."""
        outbox_id, serial = item.get("outbox_id"), item.get("serial")
        if isinstance(outbox_id, bool) or not isinstance(outbox_id, int) \
                or not isinstance(serial, str):
            log.warning("Odoo's outbox handed out a command without outbox_id or serial")
            return False
        kind, params = str(item.get("kind") or ""), item.get("params")
        command = sealed = refusal = message = None
        try:
            command = build(kind, params if isinstance(params, dict) else {})
            message = incompatible(self.store, serial, command)
            refusal = "not_compatible" if message else None
            sealed = None if refusal else self.store.seal_command(serial, command)
        except CommandError as exc:
            refusal, message = "bad_request", str(exc)
        except ApiError as exc:
            refusal, message = exc.error, exc.message
        except PermissionError as exc:
            refusal, message = "biometrics_off", str(exc)
        except ValueError as exc:
            refusal, message = "bad_request", str(exc)
        try:
            new = self.store.outbox_take(outbox_id, serial, kind, command, sealed, refusal,
                                         message)
        except LookupError as exc:
            new = self.store.outbox_take(outbox_id, serial, kind, None, None, "not_found",
                                         str(exc))
        if new:
            log.info("outbox command %d (%s for %s) %s", outbox_id, kind, serial,
                     f"refused: {message}" if refusal else "queued",
                     extra={"serial": serial})
        return new

    def _fail(self, error: str) -> float:
        self.store.record_bio_push_error(f"commands: {error}")
        return self.backoff.fail("fetching commands from Odoo failed", error)
