"""HTTP client for a zk-relay's pull API (/api/v1). Plain Python: no Odoo import.

Every failure becomes a RelayError whose message a person can act on (wrong token, relay
unreachable, unexpected answer); the Odoo layer shows it on the relay record.
"""

from __future__ import annotations

from typing import Any

import requests

DEFAULT_TIMEOUT = 20.0


class RelayError(Exception):
    """The relay could not be used; the message says why in plain words."""


class RelayStoreChanged(RelayError):
    """The relay answered with another store identity than the one acknowledged against."""


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
        except requests.Timeout as exc:
            raise RelayError(f"The relay at {self.base} did not answer within "
                             f"{self.timeout:.0f} s.") from exc
        except requests.RequestException as exc:
            raise RelayError(f"Cannot reach the relay at {self.base}: {exc}") from exc
        if response.status_code == 401:
            raise RelayError("The relay refused the token (401). Create a token on the relay "
                             "with `zk-relay token create NAME` and paste it here.")
        if response.status_code == 409:
            raise RelayStoreChanged(self._message(response) or "The relay's store changed.")
        if response.status_code >= 400:
            detail = self._message(response)
            raise RelayError(f"The relay answered {response.status_code} to {method} {path}"
                             + (f": {detail}" if detail else "."))
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
