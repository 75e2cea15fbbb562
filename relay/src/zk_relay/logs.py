"""Structured logs: one JSON object per line on stderr, with the request id and device serial.

Every HTTP request gets an id (``X-Request-Id`` from the client when it is a sane token, else a
random one), returned in the ``X-Request-Id`` response header and attached, with the terminal's
serial, to every log line written while the request is handled (context variables: each
Waitress worker thread handles one request at a time).
"""

from __future__ import annotations

import contextvars
import json
import logging
import random
import re
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                        default=None)
serial: contextvars.ContextVar[str | None] = contextvars.ContextVar("serial", default=None)

_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_STANDARD = frozenset(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {
    "message", "asctime", "taskName"}


# Request ids correlate log lines; they are not secrets, so they come from a PRNG seeded once
# from the OS (os.urandom per request is a system call that gives the GIL away).
_ids = random.Random(secrets.randbits(128))


def new_request_id(presented: str | None = None) -> str:
    if presented and _SANE_ID.fullmatch(presented):
        return presented
    return f"{_ids.getrandbits(64):016x}"


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", "request_id"?, "serial"?, ...extra}``, one line."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            event["request_id"] = rid
        sn = serial.get()
        if sn is not None:
            event["serial"] = sn
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                event[key] = value
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid, sn = request_id.get(), serial.get()
        if rid or sn:
            line += f" [request_id={rid} serial={sn}]"
        return line


def setup_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
