"""What every JSON endpoint shares: replies, errors, query and body parsing, the clock check."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
from typing import Any

from bottle import HTTPResponse, request

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def json_response(payload: Any, status: int = 200, **headers: str) -> HTTPResponse:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return HTTPResponse(body, status, headers={**JSON_HEADERS, **headers})


def json_error(status: int, error: str, message: str, **headers: str) -> HTTPResponse:
    return json_response({"error": error, "message": message}, status, **headers)


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def int_param(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be an integer") from None
    if not lo <= value <= hi:
        raise ApiError(400, "bad_request", f"{name} must be between {lo} and {hi}")
    return value


def json_body() -> dict[str, Any]:
    try:
        length = int(request.environ.get("CONTENT_LENGTH") or 0)
        raw = request.environ["wsgi.input"].read(length) if length > 0 else b""
        payload = json.loads(raw.decode("utf-8") or "null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_request", "body must be a JSON object") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "bad_request", "body must be a JSON object")
    return payload


def clock_synchronised() -> bool | None:
    """Whether the kernel says the clock is NTP-synchronised (adjtimex != TIME_ERROR)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        buf = ctypes.create_string_buffer(512)  # struct timex, zeroed: modes = 0 (read only)
        state = libc.adjtimex(buf)
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != 5  # TIME_ERROR
