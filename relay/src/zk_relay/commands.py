"""Device commands (adms-protocol.md §4.6-§4.8): typed kinds only, rendered here.

Only these kinds exist; nothing else can be expressed through the API, so the commands that can
harm a terminal or its host (``Shell``, ``GetFile``, ``PutFile``, ``UPGRADE``, ``CLEAR …``,
``REBOOT``, ``SET OPTION …``, ``ENROLL_*`` …) cannot be queued at all:

==============  =====================================  ==========================================
kind            fields                                 what the terminal receives
==============  =====================================  ==========================================
user_upsert     pin, name, privilege?, card?,          ``DATA UPDATE USERINFO PIN=..\\tName=..``
                password?                              ``\\tPri=..[\\tPasswd=..][\\tCard=..]``
user_delete     pin                                    ``DATA DELETE USERINFO PIN=..``
attlog_query    start, end (device-local               ``DATA QUERY ATTLOG StartTime=..\\t``
                ``YYYY-MM-DD HH:MM:SS``)               ``EndTime=..`` (TAB: §9.15)
check           —                                      ``CHECK``
info            —                                      ``INFO``
==============  =====================================  ==========================================

and the biometric kinds ``template_upsert``, ``template_delete``, ``user_erase``
(``biometric_commands.py``).

Every value is validated against a narrow pattern: a TAB, CR, LF, NUL or any other control
character (or a Unicode line/paragraph separator) can never reach the terminal, so no value can
inject a second field or a second command. A refusal names the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zk_relay.biometric_commands import BIO_KINDS, build_biometric
from zk_relay.biometric_commands import WIRE_PREFIXES as BIO_WIRE_PREFIXES

KINDS = ("user_upsert", "user_delete", "attlog_query", "check", "info", *BIO_KINDS)
PRIVILEGES = (0, 2, 6, 10, 14)  # §5.3: user, enroller, admin, user-defined, super admin
MAX_NAME = 64
_PIN = re.compile(r"[A-Za-z0-9]{1,24}")
_CARD = re.compile(r"[0-9]{1,20}")
_PASSWORD = re.compile(r"[0-9A-Za-z]{1,16}")
_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
# what the store accepts to hand out, whatever wrote the row (defence in depth)
WIRE_PREFIXES = ("DATA UPDATE USERINFO ", "DATA DELETE USERINFO ", "DATA QUERY ATTLOG ",
                 *BIO_WIRE_PREFIXES)
WIRE_EXACT = ("CHECK", "INFO")


class CommandError(ValueError):
    """A refused command; ``field`` names the offending field (or ``kind``/``body``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Command:
    kind: str
    params: dict[str, Any]
    text: str  # what follows ``C:<id>:`` on the wire (a template: its placeholder)
    secret: bytes | None = None  # template_upsert: the template (base64), sealed when stored


def unsafe_character(value: str) -> str | None:
    """The first character that must never reach a terminal (controls, separators), or None."""
    for ch in value:
        if ch in "\u2028\u2029" or unicodedata.category(ch) in {"Cc", "Cs"}:
            return ch
    return None


def _string(params: dict[str, Any], field: str, *, required: bool) -> str | None:
    value = params.get(field)
    if value is None:
        if required:
            raise CommandError(field, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CommandError(field, "must be a string")
    text = str(value)
    bad = unsafe_character(text)
    if bad is not None:
        raise CommandError(field, f"contains the control character U+{ord(bad):04X}"
                                  " (TAB, CR, LF, NUL and other controls are refused)")
    return text


def _pin(params: dict[str, Any]) -> str:
    pin = _string(params, "pin", required=True)
    assert pin is not None
    if not _PIN.fullmatch(pin):
        raise CommandError("pin", "must be 1-24 letters or digits")
    return pin


def _local_time(params: dict[str, Any], field: str) -> str:
    value = _string(params, field, required=True)
    assert value is not None
    if not _TIME.fullmatch(value):
        raise CommandError(field, "must be device-local time 'YYYY-MM-DD HH:MM:SS'")
    try:
        datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise CommandError(field, f"is not a valid date and time: {value!r}") from None
    return value


def _only(params: dict[str, Any], allowed: set[str]) -> None:
    for key in params:
        if key not in allowed:
            raise CommandError(key, f"is not a field of this kind (allowed: "
                                    f"{', '.join(sorted(allowed)) or 'none'})")


def build(kind: Any, params: dict[str, Any]) -> Command:
    """Validate ``params`` for ``kind`` and render the terminal's command text."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise CommandError("kind", f"must be one of {', '.join(KINDS)}"
                                   " (no other command can be queued)")
    if kind == "user_upsert":
        _only(params, {"pin", "name", "privilege", "card", "password"})
        pin = _pin(params)
        name = _string(params, "name", required=True)
        assert name is not None
        if len(name) > MAX_NAME:
            raise CommandError("name", f"must be at most {MAX_NAME} characters")
        privilege = params.get("privilege", 0)
        if isinstance(privilege, bool) or not isinstance(privilege, int) \
                or privilege not in PRIVILEGES:
            raise CommandError("privilege", "must be one of 0 (user), 2 (enroller), 6 (admin),"
                                            " 10 (user-defined), 14 (super admin)")
        card = _string(params, "card", required=False)
        if card is not None and card != "" and not _CARD.fullmatch(card):
            raise CommandError("card", "must be 1-20 digits (the card number)")
        password = _string(params, "password", required=False)
        if password is not None and password != "" and not _PASSWORD.fullmatch(password):
            raise CommandError("password", "must be 1-16 letters or digits")
        clean: dict[str, Any] = {"pin": pin, "name": name, "privilege": privilege}
        fields = [f"PIN={pin}", f"Name={name}", f"Pri={privilege}"]
        if password is not None:
            clean["password"] = password
            fields.append(f"Passwd={password}")
        if card is not None:
            clean["card"] = card
            fields.append(f"Card={card}")
        return Command(kind, clean, "DATA UPDATE USERINFO " + "\t".join(fields))
    if kind == "user_delete":
        _only(params, {"pin"})
        pin = _pin(params)
        return Command(kind, {"pin": pin}, f"DATA DELETE USERINFO PIN={pin}")
    if kind in BIO_KINDS:
        allowed = {"pin"} if kind == "user_erase" else {"pin", "kind", "index"}
        if kind == "template_upsert":
            allowed |= {"algorithm", "data", "valid", "format", "sub_index", "minor_version"}
        _only(params, allowed)
        clean, text, secret = build_biometric(kind, params, _pin(params), CommandError)
        return Command(kind, clean, text, secret)
    if kind == "attlog_query":
        _only(params, {"start", "end"})
        start = _local_time(params, "start")
        end = _local_time(params, "end")
        if end < start:
            raise CommandError("end", "must not be before start")
        return Command(kind, {"start": start, "end": end},
                       f"DATA QUERY ATTLOG StartTime={start}\tEndTime={end}")
    _only(params, set())
    return Command(kind, {}, "CHECK" if kind == "check" else "INFO")


def wire_safe(text: str) -> bool:
    """Whether a stored command text may be handed out: one of the typed kinds' shapes, one
    line, no control character but the field-separating TAB."""
    if not (text in WIRE_EXACT or text.startswith(WIRE_PREFIXES)):
        return False
    return unsafe_character(text.replace("\t", " ")) is None


def state_for(return_code: int | None) -> str:
    """§4.8: ``Return`` ≥ 0 is success (some commands return counts); otherwise failed."""
    return "done" if return_code is not None and return_code >= 0 else "failed"
