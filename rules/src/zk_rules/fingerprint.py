"""Punch fingerprint: the identity Odoo and the relay de-duplicate on.

Rule: SHA-256 (hex) of the UTF-8 text ``serial``, ``pin`` and the device-local time
``YYYY-MM-DD HH:MM:SS`` joined by U+001F (shared/docs/architecture.md, "Fingerprint and time").
Every path that reads a terminal (relay push, relay poll, Odoo direct poll) calls this one
function so the same punch has the same fingerprint whichever way it travelled.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

UNIT_SEPARATOR = "\x1f"
LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def normalise_local_time(local_time: str | datetime) -> str:
    """Return the canonical ``YYYY-MM-DD HH:MM:SS`` text; raise ValueError if it is not one."""
    if isinstance(local_time, datetime):
        if local_time.tzinfo is not None:
            raise ValueError("local_time must be naive device-local time, not an aware datetime")
        return local_time.strftime(LOCAL_TIME_FORMAT)
    text = local_time.strip()
    parsed = datetime.strptime(text, LOCAL_TIME_FORMAT)
    return parsed.strftime(LOCAL_TIME_FORMAT)


def punch_fingerprint(serial: str, pin: str, local_time: str | datetime) -> str:
    """SHA-256 hex of ``serial``, ``pin``, local time joined by U+001F."""
    if not serial:
        raise ValueError("serial is empty")
    if not isinstance(pin, str) or not pin:
        raise ValueError("pin must be a non-empty string (PINs are never numbers)")
    text = UNIT_SEPARATOR.join((serial, pin, normalise_local_time(local_time)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
