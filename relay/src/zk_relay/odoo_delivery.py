"""The relay's link to Odoo (issue 10): enrolment and push-mode delivery of signed pages.

Enrolment (``zk-relay enrol``): the relay makes an API token for Odoo, then POSTs
``{code, public_key, key_id, store_id, relay_token, relay_url, version}`` to
``{odoo}/zk/relay/enrol``; Odoo answers ``{relay_id, odoo_token, mode, delivery_url, devices}``
or a 4xx ``{error, message}``. The link is kept in the store (table ``odoo_link``).

Push mode (:class:`Deliverer`): pages of events after the relay's push cursor, signed, POSTed
to ``delivery_url`` with ``Authorization: Bearer <odoo_token>``. Odoo answers 200
``{committed_up_to}`` and the relay moves its push cursor (and the retention acknowledgement)
to exactly that id, never further; 401/403 mark the link revoked (no more pushes until a new
enrolment); 409 restarts from the beginning of this store; 429, 5xx, timeouts and connection
errors back off exponentially with full jitter (``zk_rules.backoff``), per destination. The
clock, the random source and the HTTP call are injected, so the schedule is computed in tests,
not slept.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from zk_relay import __version__, adms
from zk_relay.config import Config
from zk_relay.keys import RelayKey
from zk_relay.metrics import Metrics
from zk_relay.store import Store
from zk_rules.backoff import backoff_delay

log = logging.getLogger("zk_relay.odoo")

ENROL_PATH = "/zk/relay/enrol"
MAX_REPLY_BYTES = 1024 * 1024
MODES = ("pull", "push")


# --------------------------------------------------------------------------- HTTP


@dataclass
class HttpReply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None


Post = Callable[[str, bytes, "str | None", float], HttpReply]


def http_post_json(url: str, body: bytes, token: str | None, timeout: float) -> HttpReply:
    """POST a JSON body; never follows a redirect (the bearer token must not travel to
    another address). Transport problems raise OSError / http.client.HTTPException."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "User-Agent": f"zk-relay/{__version__}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                     body=body, headers=headers)
        response = conn.getresponse()
        data = response.read(MAX_REPLY_BYTES + 1)
        return HttpReply(response.status, data[:MAX_REPLY_BYTES],
                         {k.lower(): v for k, v in response.getheaders()})
    finally:
        conn.close()


def _transport_error(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message or exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc}"
    if isinstance(exc, socket.gaierror):
        return f"host name not found: {exc}"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "no answer in time (timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError,
                        http.client.IncompleteRead, BrokenPipeError)):
        return f"connection closed before an answer ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"


def _reply_error(reply: HttpReply) -> tuple[str, str]:
    payload = reply.json()
    if isinstance(payload, dict):
        return str(payload.get("error") or ""), str(payload.get("message") or "")[:300]
    text = reply.body[:200].decode("utf-8", "replace").strip()
    return "", text


def normalise_base_url(url: str, what: str = "--odoo") -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{what}: give the address as https://host[:port] (got {url!r})")
    if parts.query or parts.fragment:
        raise ValueError(f"{what}: no query or fragment, just https://host[:port][/path]")
    return url.rstrip("/")


def is_plain_http_remote(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


# --------------------------------------------------------------------------- enrolment


class EnrolError(Exception):
    """Enrolment failed; the message is for the person at the command line."""


@dataclass
class Enrolment:
    relay_id: int
    mode: str
    delivery_url: str | None
    odoo_url: str
    token_name: str
    registered: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    revoked_previous: str | None = None


def _enrol_refusal(reply: HttpReply, url: str) -> str:
    error, message = _reply_error(reply)
    detail = ": ".join(x for x in (error, message) if x) or "no details"
    status = reply.status
    if status in (401, 403):
        return (f"Odoo refused the enrolment code ({detail}). Codes are single-use and expire:"
                " create a new one in Odoo and run this command again.")
    if status == 404:
        return (f"{url} does not exist (HTTP 404): check the Odoo address and that the zk-odoo"
                " attendance module is installed there.")
    if status == 429:
        return f"Odoo is limiting enrolment attempts (HTTP 429: {detail}); wait and try again."
    if 300 <= status < 400:
        return (f"Odoo answered with a redirect to {reply.headers.get('location', '?')}"
                f" (HTTP {status}): give that address (https://…) as --odoo.")
    if status >= 500:
        return f"Odoo failed to process the enrolment (HTTP {status}: {detail}); try again later."
    return f"Odoo refused the enrolment (HTTP {status}: {detail})."


def _parse_enrol_reply(payload: Any, odoo_url: str) -> tuple[int, str, str, str | None, list[Any]]:
    if not isinstance(payload, dict):
        raise EnrolError("Odoo's answer to the enrolment is not a JSON object")
    relay_id = payload.get("relay_id")
    token = payload.get("odoo_token")
    mode = payload.get("mode")
    delivery = payload.get("delivery_url")
    devices = payload.get("devices", [])
    if not isinstance(relay_id, int) or isinstance(relay_id, bool) or relay_id <= 0:
        raise EnrolError("Odoo's enrolment answer has no valid relay_id (a positive integer)")
    if not isinstance(token, str) or not token.strip() or any(ch.isspace() for ch in token):
        raise EnrolError("Odoo's enrolment answer has no valid odoo_token")
    if mode not in MODES:
        raise EnrolError(f"Odoo's enrolment answer has mode {mode!r}; expected 'pull' or 'push'")
    if delivery is not None and not isinstance(delivery, str):
        raise EnrolError("Odoo's enrolment answer has a delivery_url that is not a string")
    if delivery:
        delivery = urljoin(odoo_url + "/", delivery)
        if urlsplit(delivery).scheme not in {"http", "https"}:
            raise EnrolError(f"Odoo's delivery_url {delivery!r} is not an http(s) address")
    else:
        delivery = None
    if mode == "push" and delivery is None:
        raise EnrolError("Odoo chose push mode but gave no delivery_url")
    if not isinstance(devices, list):
        raise EnrolError("Odoo's enrolment answer has devices that are not a list")
    return relay_id, token.strip(), mode, delivery, devices


def enrol(store: Store, config: Config, key: RelayKey, *, odoo_url: str, code: str,
          relay_url: str | None = None, post: Post = http_post_json) -> Enrolment:
    """Enrol this relay with Odoo; raise :class:`EnrolError` with a clear message."""
    try:
        odoo_url = normalise_base_url(odoo_url)
        if relay_url:
            relay_url = normalise_base_url(relay_url, "--url")
    except ValueError as exc:
        raise EnrolError(str(exc)) from None
    code = (code or "").strip()
    if not code:
        raise EnrolError("--code: give the enrolment code shown in Odoo")
    token_name = store.next_token_name()
    relay_token = store.create_token(token_name)
    url = odoo_url + ENROL_PATH
    request = {"code": code, "public_key": key.public_key_b64, "key_id": key.key_id,
               "store_id": store.store_id, "relay_token": relay_token,
               "relay_url": relay_url or None, "version": __version__}
    try:
        try:
            reply = post(url, json.dumps(request).encode("utf-8"), None,
                         config.push_timeout_seconds)
        except (OSError, http.client.HTTPException) as exc:
            raise EnrolError(f"cannot reach Odoo at {odoo_url}: {_transport_error(exc)}"
                             ) from None
        if reply.status != 200:
            raise EnrolError(_enrol_refusal(reply, url))
        relay_id, odoo_token, mode, delivery, devices = _parse_enrol_reply(reply.json(),
                                                                            odoo_url)
    except BaseException:
        store.revoke_token(token_name)  # Odoo never got (or will never use) it
        raise
    result = Enrolment(relay_id, mode, delivery, odoo_url, token_name)
    result.revoked_previous = store.save_enrolment(
        odoo_url=odoo_url, relay_id=relay_id, odoo_token=odoo_token, mode=mode,
        delivery_url=delivery, token_name=token_name)
    if result.revoked_previous:
        store.revoke_token(result.revoked_previous)
    for item in devices:
        serial = item.get("serial") if isinstance(item, dict) else None
        if not isinstance(serial, str) or not adms.valid_serial(serial):
            result.skipped.append((str(serial), "not a valid serial"))
            continue
        tz, name, enabled = item.get("timezone"), item.get("name"), item.get("enabled")
        try:
            if not isinstance(tz, str):
                raise ValueError("timezone missing")
            if name is not None and not isinstance(name, str):
                raise ValueError("name is not a string")
            if enabled is not None and not isinstance(enabled, bool):
                raise ValueError("enabled is not true/false")
            store.upsert_device(serial, timezone=tz, name=name or None, enabled=enabled)
        except (ValueError, LookupError) as exc:
            result.skipped.append((serial, str(exc)))
            continue
        result.registered.append(serial)
    log.info("enrolled with %s as relay %d (mode %s)", odoo_url, relay_id, mode,
             extra={"relay_id": relay_id, "mode": mode})
    return result


# --------------------------------------------------------------------------- push delivery


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
            return self._fail(link, dest, _transport_error(exc))
        status = reply.status
        if status == 200:
            return self._accepted(link, dest, page, reply)
        error, message = _reply_error(reply)
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


__all__ = ["Deliverer", "DelivererThread", "EnrolError", "Enrolment", "HttpReply", "enrol",
           "http_post_json"]
