"""Records read from a terminal with pyzk, mapped to the project's plain punch and user dicts.

The relay's poller and Odoo's direct poll both call these two functions, so a punch polled
over TCP looks exactly like the same punch pushed over ADMS (adms-protocol §5.1-§5.3).

The naming quirk (adms-protocol §5.2, last bullet): pyzk's ``Attendance.status`` is the
*verify type* (1 fingerprint, 15 face, ...) and its ``Attendance.punch`` is the *state*
(0 check-in, 1 check-out, ...). ADMS, the relay and Odoo call the state ``status`` and the
verify type ``verify``. So::

    ours["status"] = pyzk.punch
    ours["verify"] = pyzk.status

Duck-typed: anything with the attributes pyzk's ``Attendance`` / ``User`` have will do; pyzk
itself is not imported. No I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .fingerprint import normalise_local_time

# pyzk invents this name for a user stored without one (``"NN-%s" % user_id``).
_PYZK_NAMELESS_PREFIX = "NN-"


def _pin(value: Any, what: str) -> str:
    """A PIN as a string. pyzk's TCP layouts give a string already; never pad or strip it."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what}: PIN missing ({value!r})")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value or "\x00" in value:
        raise ValueError(f"{what}: PIN must be a non-empty string, not {value!r}")
    return value


def _small_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an int, not {value!r}")
    if not 0 <= value <= 255:
        raise ValueError(f"{what} must be 0-255, not {value!r}")
    return value


def record_from_pyzk(attendance: Any) -> dict[str, Any]:
    """Map a pyzk ``Attendance`` to ``{"pin", "local_time", "status", "verify"}``.

    * ``pin``: ``attendance.user_id`` as a string (leading zeros kept; an int from pyzk's
      old 8/16-byte layouts is turned into its decimal text).
    * ``local_time``: ``attendance.timestamp`` (naive device wall-clock) as
      ``YYYY-MM-DD HH:MM:SS``.
    * ``status``: the attendance state = pyzk ``attendance.punch``.
    * ``verify``: the verification type = pyzk ``attendance.status``.

    Raises ValueError for a record that cannot be a punch (no PIN, no naive datetime, codes
    that are not 0-255); the caller keeps such records with the reason, never drops them.
    """
    pin = _pin(getattr(attendance, "user_id", None), "attendance")
    timestamp = getattr(attendance, "timestamp", None)
    if not isinstance(timestamp, datetime):
        raise ValueError(f"attendance of PIN {pin!r}: timestamp is not a datetime: {timestamp!r}")
    return {
        "pin": pin,
        "local_time": normalise_local_time(timestamp),
        "status": _small_int(getattr(attendance, "punch", None), "attendance state (punch)"),
        "verify": _small_int(getattr(attendance, "status", None), "verify type (status)"),
    }


def user_from_pyzk(user: Any) -> dict[str, Any]:
    """Map a pyzk ``User`` to ``{"pin", "name", "privilege", "card"}``.

    * ``pin``: ``user.user_id`` as a string (not ``user.uid``, the terminal's slot number).
    * ``name``: the stored name; pyzk's stand-in ``"NN-<user_id>"`` for a nameless user
      becomes ``""`` again.
    * ``privilege``: as the terminal numbers it (0 user, 2 enroller, 6 admin, 14 super admin).
    * ``card``: the card number as decimal text, ``""`` when the user has no card (pyzk 0).
    """
    pin = _pin(getattr(user, "user_id", None), "user")
    name = getattr(user, "name", "") or ""
    if not isinstance(name, str):
        raise ValueError(f"user {pin!r}: name is not text: {name!r}")
    name = name.strip()
    if name == f"{_PYZK_NAMELESS_PREFIX}{pin}":
        name = ""
    card = getattr(user, "card", 0)
    if isinstance(card, bool) or not isinstance(card, (int, str)):
        raise ValueError(f"user {pin!r}: card is not a number: {card!r}")
    card_text = str(card).strip()
    if card_text in ("", "0"):
        card_text = ""
    elif not card_text.isdigit():
        raise ValueError(f"user {pin!r}: card is not a number: {card!r}")
    return {
        "pin": pin,
        "name": name,
        "privilege": _small_int(getattr(user, "privilege", 0), f"user {pin!r} privilege"),
        "card": card_text,
    }
