"""HTTP to Odoo for enrolment and push delivery: one JSON POST, its reply, readable errors."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from zk_relay import __version__

MAX_REPLY_BYTES = 1024 * 1024




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


def transport_error(exc: BaseException) -> str:
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


def reply_error(reply: HttpReply) -> tuple[str, str]:
    payload = reply.json()
    if isinstance(payload, dict):
        return str(payload.get("error") or ""), str(payload.get("message") or "")[:300]
    text = reply.body[:200].decode("utf-8", "replace").strip()
    return "", text

