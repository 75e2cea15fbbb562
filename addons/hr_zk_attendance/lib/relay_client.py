"""HTTP client for a zk-relay's pull API (/api/v1). Plain Python: no Odoo import.

Every failure becomes a RelayError whose message a person can act on (wrong token, relay
unreachable, unexpected answer); the Odoo layer shows it on the relay record.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import requests

DEFAULT_TIMEOUT = 20.0


class RelayError(Exception):
    """The relay could not be used; the message says why in plain words."""


class RelayStoreChanged(RelayError):
    """The relay answered with another store identity than the one acknowledged against."""


CHECK_RUNNING = ("Check that the relay is running (zk-relay serve, or its service), that the "
                 "URL's host and port are the ones it listens on, and that no firewall "
                 "between Odoo and the relay blocks them.")


def unreachable_message(base: str, exc: Exception, timeout: float) -> str:
    """What a failed connection means, said as a person would (no library text).

    The cause is read from the exception chain: connection refused, name not found,
    timed out, TLS certificate or protocol problem, connection dropped, unusable URL.
    """
    text = " ".join(str(e) for e in _chain(exc))
    host = urlsplit(base).hostname or base
    lead = f"Cannot reach the relay at {base}"
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return (f"The relay's URL {base} is not usable. Write it as http://host:port or "
                "https://host:port (the relay's API address).")
    if isinstance(exc, requests.exceptions.SSLError) or "SSL" in text or "TLS" in text:
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            found = re.search(r"certificate verify failed: ([^()'\"]+)", text)
            why = f" ({found.group(1).strip()})" if found else ""
            return (f"{lead}: TLS certificate problem{why}. Check that the relay's "
                    f"certificate is valid, not expired and made for {host}, or that this "
                    "Odoo server trusts the authority that issued it.")
        return (f"{lead}: the secure (TLS) connection failed. If the relay does not use "
                "HTTPS on this port, write the URL with http://; otherwise check its "
                "certificate and TLS settings.")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return (f"{lead}: timed out after {timeout:.0f} s while connecting. Check that the "
                "relay's machine is on and connected, that the address is right, and that "
                "the network (router port forwarding, VPN, firewall) lets Odoo through.")
    if isinstance(exc, requests.Timeout):
        return (f"{lead}: connected, but it did not answer within {timeout:.0f} s. The relay "
                "may be overloaded or stuck: check its log, and restart it if needed.")
    if "refused" in text.lower():
        return f"{lead}: connection refused. {CHECK_RUNNING}"
    if any(marker in text for marker in ("Name or service not known", "NameResolution",
                                         "nodename nor servname", "getaddrinfo failed",
                                         "Temporary failure in name resolution",
                                         "No address associated")):
        return (f"{lead}: the name {host} was not found. Check the spelling of the URL, and "
                "that the Odoo server can resolve this name (DNS).")
    if "unreachable" in text.lower() or "No route to host" in text:
        return (f"{lead}: no network route to {host}. Check that Odoo's network can reach "
                "the relay's network (VPN, router, firewall).")
    if any(marker in text for marker in ("reset by peer", "aborted", "RemoteDisconnected",
                                         "closed connection")):
        return (f"{lead}: the connection was cut before an answer. Check that the URL is the "
                "relay's API address and port (not the terminals' port) and look at the "
                "relay's log.")
    return f"{lead}: the connection failed. {CHECK_RUNNING}"


def _chain(exc: BaseException | None):
    """The exception, its causes and, for urllib3's wrappers, their reasons."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        reason = getattr(exc, "reason", None)
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = inner or (reason if isinstance(reason, BaseException) else None) \
            or exc.__cause__ or exc.__context__


class RelayClient:
    def __init__(self, url: str, token: str, timeout: float = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        if not url:
            raise RelayError("The relay has no URL.")
        self.base = url.rstrip("/")
        self.token = token or ""
        self.timeout = timeout
        self.session = session or requests.Session()

    # ------------------------------------------------------------------ transport
    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 json: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base}{path}"
        try:
            response = self.session.request(
                method, url, params=params, json=json, timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise RelayError(unreachable_message(self.base, exc, self.timeout)) from exc
        if response.status_code == 401:
            raise RelayError(f"The relay at {self.base} refused Odoo's token. Enrol the relay "
                             "again (Enrolment code), or create a token on the relay with "
                             "\"zk-relay token create NAME\" and paste it on the relay's form.")
        if response.status_code == 409:
            raise RelayStoreChanged(self._message(response) or "The relay's store changed.")
        if response.status_code == 404:
            raise RelayError(f"The relay at {self.base} does not know {path}: is the URL the "
                             "relay's API address (not the terminals' port), and is the relay "
                             "up to date?")
        if response.status_code >= 400:
            detail = self._message(response)
            raise RelayError(f"The relay at {self.base} could not do it (HTTP "
                             f"{response.status_code})" + (f": {detail}." if detail else ".")
                             + " Its log (the zk-relay service) says more.")
        try:
            payload = response.json()
        except ValueError as exc:
            raise RelayError(f"The relay at {self.base} did not answer with JSON; "
                             "is the URL the relay's API address?") from exc
        if not isinstance(payload, dict):
            raise RelayError("The relay's answer is not a JSON object.")
        return payload

    @staticmethod
    def _message(response: requests.Response) -> str:
        try:
            data = response.json()
        except ValueError:
            return response.text[:200].strip()
        if isinstance(data, dict):
            return str(data.get("error") or data.get("message") or "")
        return ""

    # ------------------------------------------------------------------ API
    def health(self) -> dict[str, Any]:
        return self._request("GET", "/health")

    def events(self, after: int, limit: int) -> dict[str, Any]:
        page = self._request("GET", "/api/v1/events", params={"after": after, "limit": limit})
        for key in ("store_id", "events", "next_after", "has_more"):
            if key not in page:
                raise RelayError(f"The relay's events page has no '{key}'.")
        return page

    def ack(self, store_id: str, up_to: int) -> dict[str, Any]:
        return self._request("POST", "/api/v1/events/ack",
                             json={"store_id": store_id, "up_to": up_to})

    def devices(self) -> dict[str, Any]:
        return self._request("GET", "/api/v1/devices")

    def users(self, after: int, limit: int) -> dict[str, Any]:
        return self._request("GET", "/api/v1/users", params={"after": after, "limit": limit})

    def put_device(self, serial: str, timezone: str, name: str | None = None,
                   enabled: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"timezone": timezone, "enabled": enabled}
        if name:
            body["name"] = name
        return self._request("PUT", f"/api/v1/devices/{serial}", json=body)

    def queue_command(self, serial: str, kind: str, **params: Any) -> dict[str, Any]:
        """Queue a typed command (user_upsert, user_delete, attlog_query, check, info)."""
        answer = self._request("POST", f"/api/v1/devices/{serial}/commands",
                               json={"kind": kind, **params})
        return answer["command"]

    def command(self, command_id: int) -> dict[str, Any]:
        return self._request("GET", f"/api/v1/commands/{command_id}")["command"]

    def delete_device(self, serial: str) -> dict[str, Any]:
        return self._request("DELETE", f"/api/v1/devices/{serial}")

    def set_mode(self, mode: str) -> dict[str, Any]:
        """Switch an enrolled relay's delivery mode (push or pull)."""
        return self._request("PUT", "/api/v1/odoo/mode", json={"mode": mode})
