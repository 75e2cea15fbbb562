"""Enrolment (issue 10, ``zk-relay enrol``): the relay makes an API token for Odoo, then POSTs
``{code, public_key, key_id, store_id, relay_token, relay_url, version}`` to
``{odoo}/zk/relay/enrol``; Odoo answers ``{relay_id, odoo_token, mode, delivery_url, devices}``
or a 4xx ``{error, message}``. The link is kept in the store (table ``odoo_link``)."""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from zk_relay import __version__, adms
from zk_relay.config import Config
from zk_relay.keys import RelayKey
from zk_relay.odoo_http import HttpReply, Post, http_post_json, reply_error, transport_error
from zk_relay.store import Store

log = logging.getLogger("zk_relay.odoo")

ENROL_PATH = "/zk/relay/enrol"
MODES = ("pull", "push")


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
    error, message = reply_error(reply)
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


def _status_url(payload: Any, odoo_url: str, field: str = "status_url") -> str | None:
    """Optional ``status_url`` (issue 17): where a push-mode relay sends reconciliation and
    health (``odoo_status.py``); likewise ``biometric_url`` and ``commands_url`` (issue 19,
    ``odoo_biometric.py``). An unusable one is ignored with a warning, nothing else."""
    value = payload.get(field) if isinstance(payload, dict) else None
    if not value:
        return None
    url = urljoin(odoo_url + "/", value) if isinstance(value, str) else ""
    if urlsplit(url).scheme not in {"http", "https"}:
        log.warning("Odoo's %s %r is not an http(s) address: ignored", field, value)
        return None
    return url


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
    # with a biometric key the token Odoo gets may also read templates and photos (issue 19)
    biometric = getattr(store, "bio_cipher", None) is not None
    relay_token = store.create_token(token_name, ("events", "biometric") if biometric
                                     else ("events",))
    url = odoo_url + ENROL_PATH
    request = {"code": code, "public_key": key.public_key_b64, "key_id": key.key_id,
               "store_id": store.store_id, "relay_token": relay_token,
               "relay_url": relay_url or None, "version": __version__, "biometric": biometric}
    try:
        try:
            reply = post(url, json.dumps(request).encode("utf-8"), None,
                         config.push_timeout_seconds)
        except (OSError, http.client.HTTPException) as exc:
            raise EnrolError(f"cannot reach Odoo at {odoo_url}: {transport_error(exc)}"
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
        delivery_url=delivery, token_name=token_name,
        status_url=_status_url(reply.json(), odoo_url),
        biometric_url=_status_url(reply.json(), odoo_url, "biometric_url"),
        commands_url=_status_url(reply.json(), odoo_url, "commands_url"))
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

