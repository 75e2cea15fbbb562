"""What a simulated terminal holds: enrolled users and its attendance log.

Shared by every simulator in this package (the pyzk TCP terminal now, the ADMS push terminal
later), so field names follow the ADMS record formats (adms-protocol §5.1, §5.3): ``pin`` is
an opaque string, ``status`` the attendance state, ``verify`` how the user was verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Privileges as terminals number them (adms-protocol §5.3 "Pri").
PRIV_USER = 0
PRIV_ENROLLER = 2
PRIV_ADMIN = 6
PRIV_SUPER_ADMIN = 14

# Attendance states (adms-protocol §5.1 STATUS).
STATE_CHECK_IN = 0
STATE_CHECK_OUT = 1
STATE_BREAK_OUT = 2
STATE_BREAK_IN = 3
STATE_OVERTIME_IN = 4
STATE_OVERTIME_OUT = 5

# A few verify types (adms-protocol §5.2, appendix 7 convention).
VERIFY_FINGERPRINT = 1
VERIFY_PASSWORD = 3
VERIFY_CARD = 4
VERIFY_FACE = 15


def _check_byte(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 255:
        raise ValueError(f"{name} must be an int 0-255, not {value!r}")


@dataclass(frozen=True, slots=True)
class TerminalUser:
    """A user enrolled on a terminal.

    ``uid`` is the terminal's internal slot number (1-65535); ``pin`` is the user id people
    type and records carry, a string that may have leading zeros or letters.
    """

    uid: int
    pin: str
    name: str = ""
    privilege: int = PRIV_USER
    password: str = ""
    card: int = 0
    group_id: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.uid, int) or not 1 <= self.uid <= 0xFFFF:
            raise ValueError(f"uid must be an int 1-65535, not {self.uid!r}")
        if not isinstance(self.pin, str) or not self.pin or "\x00" in self.pin:
            raise ValueError(f"pin must be a non-empty string, not {self.pin!r}")
        _check_byte("privilege", self.privilege)
        if not isinstance(self.card, int) or not 0 <= self.card <= 0xFFFFFFFF:
            raise ValueError(f"card must be an int 0-4294967295, not {self.card!r}")


@dataclass(frozen=True, slots=True)
class TerminalRecord:
    """One attendance event as the terminal stores it.

    ``local_time`` is the terminal's wall clock (naive, no zone). ``status`` is the state
    (0 check-in, 1 check-out, ...), ``verify`` the verification type (1 fingerprint, 15 face,
    ...). pyzk swaps the names: its ``Attendance.punch`` is our ``status`` and its
    ``Attendance.status`` our ``verify``.
    """

    pin: str
    local_time: datetime
    status: int = STATE_CHECK_IN
    verify: int = VERIFY_FINGERPRINT
    workcode: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.pin, str) or not self.pin or "\x00" in self.pin:
            raise ValueError(f"pin must be a non-empty string, not {self.pin!r}")
        if not isinstance(self.local_time, datetime) or self.local_time.tzinfo is not None:
            raise ValueError("local_time must be a naive datetime (device wall clock)")
        if self.local_time.microsecond:
            raise ValueError("terminals record whole seconds")
        _check_byte("status", self.status)
        _check_byte("verify", self.verify)
        if not isinstance(self.workcode, int) or not 0 <= self.workcode <= 0xFFFFFFFF:
            raise ValueError(f"workcode must be an int 0-4294967295, not {self.workcode!r}")

    @property
    def local_time_text(self) -> str:
        return self.local_time.strftime("%Y-%m-%d %H:%M:%S")
