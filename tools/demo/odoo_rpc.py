"""A small JSON-RPC client for Odoo's public API (``/jsonrpc``: common.login, object.execute_kw).

The demo drives Odoo only through its public models and methods, as any integration would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from itertools import count


class OdooError(RuntimeError):
    """Odoo answered with an error: ``message`` is Odoo's own text."""


class Odoo:
    def __init__(self, url: str, db: str, login: str, password: str, timeout: float = 300):
        self.url = url.rstrip("/")
        self.db, self.login, self.password = db, login, password
        self.timeout = timeout
        self.uid: int | None = None
        self._ids = count(1)

    def _call(self, service: str, method: str, *args):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                           "params": {"service": service, "method": method,
                                      "args": list(args)}}).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) URL given by run-demo
            f"{self.url}/jsonrpc", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            reply = json.loads(answer.read())
        if reply.get("error"):
            data = reply["error"].get("data") or {}
            raise OdooError(data.get("message") or reply["error"].get("message") or "error")
        return reply.get("result")

    def authenticate(self) -> int:
        uid = self._call("common", "login", self.db, self.login, self.password)
        if not uid:
            raise OdooError(f"Odoo refused the login {self.login!r}")
        self.uid = uid
        return uid

    def reachable(self) -> bool:
        try:
            self.authenticate()
        except (OSError, urllib.error.URLError, OdooError, ValueError):
            return False
        return True

    def call(self, model: str, method: str, *args, **kwargs):
        if self.uid is None:
            self.authenticate()
        return self._call("object", "execute_kw", self.db, self.uid, self.password, model,
                          method, list(args), kwargs)

    def search_read(self, model: str, domain: list, fields: list[str], **kwargs) -> list[dict]:
        return self.call(model, "search_read", domain, fields=fields, **kwargs)

    def count(self, model: str, domain: list) -> int:
        return self.call(model, "search_count", domain)

    def ref(self, xmlid: str) -> int:
        module, name = xmlid.split(".", 1)
        rows = self.search_read("ir.model.data", [("module", "=", module), ("name", "=", name)],
                                ["res_id"], limit=1)
        if not rows:
            raise OdooError(f"no record {xmlid} in Odoo")
        return rows[0]["res_id"]
