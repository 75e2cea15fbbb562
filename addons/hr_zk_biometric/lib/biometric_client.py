"""The relay's biometric endpoints (/api/v1/biometric/...), token scope `biometric`.
No Odoo model: the transport of hr_zk_attendance's client, two more pages."""

from __future__ import annotations

from typing import Any

from odoo.addons.hr_zk_attendance.lib.relay_client import RelayClient, RelayError


class BiometricClient(RelayClient):
    def _page(self, path: str, key: str, after: int, limit: int) -> dict[str, Any]:
        page = self._request("GET", path, params={"after": after, "limit": limit})
        for field in ("store_id", key, "next_after", "has_more"):
            if field not in page:
                raise RelayError(f"The relay's biometric page has no '{field}'.")
        return page

    def templates(self, after: int, limit: int) -> dict[str, Any]:
        return self._page("/api/v1/biometric/templates", "templates", after, limit)

    def photos(self, after: int, limit: int) -> dict[str, Any]:
        return self._page("/api/v1/biometric/photos", "photos", after, limit)

    def queue_typed(self, serial: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """Queue a command whose fields go in a 'params' object: template_upsert's own
        'kind' (fingerprint, face...) would collide with the command's kind at the top level.
        """
        answer = self._request("POST", f"/api/v1/devices/{serial}/commands",
                               json={"kind": kind, "params": params})
        return answer["command"]

    def biometric_ack(self, store_id: str, templates_up_to: int | None = None,
                      photos_up_to: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"store_id": store_id}
        if templates_up_to is not None:
            body["templates_up_to"] = templates_up_to
        if photos_up_to is not None:
            body["photos_up_to"] = photos_up_to
        return self._request("POST", "/api/v1/biometric/ack", json=body)
