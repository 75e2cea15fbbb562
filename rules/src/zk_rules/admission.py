"""Punch admission: may a stored punch feed attendance, or does it wait (and why)?

The checks, first match wins:

1. the terminal is unknown to Odoo                      -> review, ``terminal_unknown``
2. the terminal is not approved (active)                -> review, ``terminal_pending``
3. a status code the site does not use (None passes)    -> review, ``status_unmapped``
4. no UTC instant, or later than ``now + future``       -> review, ``dated_future``
5. earlier than ``now - past``                          -> review, ``dated_past``
6. the PIN is mapped to no employee on that terminal    -> unmapped, ``pin_unmapped``
7. otherwise                                            -> done

A terminal whose clock has gone wrong dates its punches outside [now - past, now + future]. The
site settings (status codes in use, the window) come in as an :class:`AdmissionPolicy`; the
reason is a code, which the caller turns into words a person reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

#: Status codes a site uses unless configured otherwise (E1.2 plus 255 "no key", adms 5.1).
DEFAULT_STATUS_CODES = "0,1,2,3,4,5,255"
DEFAULT_FUTURE_HOURS = 24
DEFAULT_PAST_DAYS = 400

DONE, REVIEW, UNMAPPED = "done", "review", "unmapped"
TERMINAL_UNKNOWN = "terminal_unknown"
TERMINAL_PENDING = "terminal_pending"
STATUS_UNMAPPED = "status_unmapped"
DATED_FUTURE = "dated_future"
DATED_PAST = "dated_past"
PIN_UNMAPPED = "pin_unmapped"


def parse_status_codes(text: str) -> frozenset[int]:
    """``"0,1, 4,"`` -> {0, 1, 4}: comma-separated integers, blanks skipped."""
    return frozenset(int(code) for code in text.split(",") if code.strip())


@dataclass(frozen=True)
class AdmissionPolicy:
    """The site settings the checks read."""

    status_codes: frozenset[int] = parse_status_codes(DEFAULT_STATUS_CODES)
    future: timedelta = timedelta(hours=DEFAULT_FUTURE_HOURS)
    past: timedelta = timedelta(days=DEFAULT_PAST_DAYS)

    @classmethod
    def from_settings(cls, status_codes: str | Iterable[int] = DEFAULT_STATUS_CODES,
                      future_hours: int | str = DEFAULT_FUTURE_HOURS,
                      past_days: int | str = DEFAULT_PAST_DAYS) -> AdmissionPolicy:
        """From the settings as stored (text of system parameters, or plain values)."""
        codes = (parse_status_codes(status_codes) if isinstance(status_codes, str)
                 else frozenset(int(code) for code in status_codes))
        return cls(codes, timedelta(hours=int(future_hours)), timedelta(days=int(past_days)))


class Admission(NamedTuple):
    """``state`` is ``done``, ``review`` or ``unmapped``; ``reason`` None when done."""

    state: str
    reason: str | None


ADMITTED = Admission(DONE, None)


def admit(*, terminal_known: bool, terminal_active: bool, status: int | None,
          timestamp_utc: datetime | None, pin_mapped: bool, now: datetime,
          policy: AdmissionPolicy) -> Admission:
    """The admission of one punch (``timestamp_utc`` and ``now`` both naive UTC, or both
    aware)."""
    if not terminal_known:
        return Admission(REVIEW, TERMINAL_UNKNOWN)
    if not terminal_active:
        return Admission(REVIEW, TERMINAL_PENDING)
    if status is not None and status not in policy.status_codes:
        return Admission(REVIEW, STATUS_UNMAPPED)
    if timestamp_utc is None or timestamp_utc > now + policy.future:
        return Admission(REVIEW, DATED_FUTURE)
    if timestamp_utc < now - policy.past:
        return Admission(REVIEW, DATED_PAST)
    if not pin_mapped:
        return Admission(UNMAPPED, PIN_UNMAPPED)
    return ADMITTED
