"""Employee self-service: is a correction request acceptable, and which days deserve a nudge?

A request (a missing or corrected punch the employee asks for) is checked before it reaches
the manager, first failure wins:

1. the date or time does not parse (``YYYY-MM-DD``, ``HH:MM``)      -> ``bad_date``/``bad_time``
2. direction other than ``in``/``out``                               -> ``bad_direction``
3. the punch would be in the future                                  -> ``in_future``
4. the day is more than ``days_back`` days before today              -> ``too_old``
5. a reason shorter than ``REASON_MIN`` or longer than ``REASON_MAX`` -> ``reason_short``/
   ``reason_long``
6. ``RATE_PER_HOUR`` requests sent in the last hour already          -> ``rate_limited``

The caller turns the code into words a person reads (the Odoo layer, zk.adjustment). Dates and
times are the employee's local wall clock; ``today`` and ``now`` are in the same zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DEFAULT_DAYS_BACK = 31
REASON_MIN = 3
REASON_MAX = 1000
COMMENT_MAX = 2000
RATE_PER_HOUR = 10
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024

BAD_DATE, BAD_TIME, BAD_DIRECTION = "bad_date", "bad_time", "bad_direction"
IN_FUTURE, TOO_OLD = "in_future", "too_old"
REASON_SHORT, REASON_LONG, RATE_LIMITED = "reason_short", "reason_long", "rate_limited"

#: Flags of a day that earn the employee a message the next morning.
NUDGE_FLAGS = ("missing_check_in", "missing_check_out", "absent")


class RequestError(ValueError):
    """A refused request: ``code`` says why (module docstring), ``limit`` the bound broken."""

    def __init__(self, code: str, limit: int | None = None):
        super().__init__(code)
        self.code, self.limit = code, limit


@dataclass(frozen=True)
class PunchRequest:
    """A checked request: the local wall-clock instant and the direction."""

    local: datetime
    direction: str
    reason: str


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise RequestError(BAD_DATE) from None


def parse_clock(text: str) -> time:
    """``"17:05"`` or ``"7:05"`` -> time(17, 5); seconds are not asked of people."""
    value = (text or "").strip()
    hours, sep, minutes = value.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2 \
            or len(hours) > 2:
        raise RequestError(BAD_TIME)
    if int(hours) > 23 or int(minutes) > 59:
        raise RequestError(BAD_TIME)
    return time(int(hours), int(minutes))


def check_reason(text: str, maximum: int = REASON_MAX) -> str:
    reason = (text or "").strip()
    if len(reason) < REASON_MIN:
        raise RequestError(REASON_SHORT, REASON_MIN)
    if len(reason) > maximum:
        raise RequestError(REASON_LONG, maximum)
    return reason


def check_rate(sent_at: Iterable[datetime], now: datetime,
               per_hour: int = RATE_PER_HOUR) -> None:
    """Refuse when ``per_hour`` requests were sent in the hour before ``now``."""
    recent = sum(1 for moment in sent_at if now - timedelta(hours=1) < moment <= now)
    if recent >= per_hour:
        raise RequestError(RATE_LIMITED, per_hour)


def check_request(local: datetime, direction: str, reason: str, now: datetime,
                  days_back: int = DEFAULT_DAYS_BACK) -> PunchRequest:
    """Rules 2-5 of the module docstring for an already parsed local instant."""
    if direction not in ("in", "out"):
        raise RequestError(BAD_DIRECTION)
    if local > now:
        raise RequestError(IN_FUTURE)
    if local.date() < now.date() - timedelta(days=max(days_back, 0)):
        raise RequestError(TOO_OLD, days_back)
    return PunchRequest(local=local, direction=direction, reason=check_reason(reason))


def parse_request(day: str, clock: str, direction: str, reason: str, now: datetime,
                  days_back: int = DEFAULT_DAYS_BACK) -> PunchRequest:
    """A request as a form sends it (text fields), checked by rules 1-5."""
    local = datetime.combine(parse_day(day), parse_clock(clock))
    return check_request(local, direction, reason, now, days_back)


def nudge_flags(missing_check_in: bool, missing_check_out: bool, status: str) -> tuple:
    """The flags of a day worth a message to the employee, in NUDGE_FLAGS order."""
    found = {"missing_check_in": missing_check_in, "missing_check_out": missing_check_out,
             "absent": status == "absent"}
    return tuple(flag for flag in NUDGE_FLAGS if found[flag])


def suggested_punch(missing_check_in: bool, missing_check_out: bool,
                    scheduled: tuple[str, str] | None = None) -> tuple[str, str] | None:
    """What a request started from a flagged day proposes: (direction, "HH:MM"). The
    scheduled start or end when known, else 08:00 / 17:00; None when nothing is missing."""
    start, end = scheduled or ("08:00", "17:00")
    if missing_check_out:
        return "out", end[:5]
    if missing_check_in:
        return "in", start[:5]
    return None
