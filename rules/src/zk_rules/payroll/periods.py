"""Pay periods per company and the instant each one closes (issue 9).

Kinds:

* ``weekly``: seven days starting on ``week_start`` (0 = Monday … 6 = Sunday, as
  :meth:`datetime.date.weekday`).
* ``semi_monthly``: the 1st–15th and the 16th–last day of each month (28, 29, 30 or 31).
* ``monthly``: the 1st–last day of each month.

A period is a pair of **inclusive** dates. It closes at ``close_time`` on the local date
``end + close_offset_days`` in the company's IANA zone. The default (offset 1, ``12:00``) closes
at noon of the day after the last day: a 22:00–06:00 shift on the last day and its E3 late window
(360 min after the shift end) are over by then. A close time that does not exist on that date
(spring DST gap) or exists twice (autumn repeat) takes the UTC offset in force before the change
(Python ``fold=0``, the rule E0.3 gives schedule times). Close instants are returned as aware UTC
datetimes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zk_rules.payroll.inputs import PayrollInputError, require_date, require_int

PERIOD_KINDS = ("weekly", "semi_monthly", "monthly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MIN_YEAR, MAX_YEAR = 1900, 2199  # the engine's date bounds
MAX_CLOSE_OFFSET_DAYS = 62
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_POLICY_KEYS = ("kind", "timezone", "week_start", "close_offset_days", "close_time")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A pay period: ``start`` … ``end``, both dates included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PayrollInputError("period.end", f"{self.end} is before start {self.start}")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> Iterator[date]:
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)

    @property
    def label(self) -> str:
        """``2025-03-01..2025-03-15``: a stable name for file names and batch references."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_value(cls, value: Any, field: str = "period") -> Period:
        """A :class:`Period`, ``{"start", "end"}`` or a ``(start, end)`` pair."""
        if isinstance(value, Period):
            return value
        if isinstance(value, Mapping):
            start, end = value.get("start"), value.get("end")
            names = (f"{field}.start", f"{field}.end")
        elif isinstance(value, list | tuple) and len(value) == 2:
            start, end = value
            names = (f"{field}[0]", f"{field}[1]")
        else:
            raise PayrollInputError(field, f"must be {{start, end}}, got {value!r}")
        first, last = require_date(start, names[0]), require_date(end, names[1])
        if last < first:
            raise PayrollInputError(names[1], f"{last} is before start {first}")
        return cls(first, last)


def _check_year(day: date, field: str) -> date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise PayrollInputError(field, f"year must be {MIN_YEAR}-{MAX_YEAR}, got {day}")
    return day


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@dataclass(frozen=True, slots=True)
class PeriodPolicy:
    """A company's pay-period setting. Build it with :meth:`from_mapping` (validates)."""

    kind: str
    timezone: str
    week_start: int = 0
    close_offset_days: int = 1
    close_time: time = time(12, 0)

    @classmethod
    def from_mapping(cls, value: Any, field: str = "period_policy") -> PeriodPolicy:
        """``{kind, timezone, week_start?, close_offset_days?, close_time? "HH:MM"}``."""
        if isinstance(value, PeriodPolicy):
            return value
        if not isinstance(value, Mapping):
            raise PayrollInputError(field, f"must be an object, got {type(value).__name__}")
        unknown = sorted(str(k) for k in value if k not in _POLICY_KEYS)
        if unknown:
            raise PayrollInputError(
                f"{field}.{unknown[0]}", f"unknown key (allowed: {', '.join(_POLICY_KEYS)})"
            )
        kind = value.get("kind")
        if kind not in PERIOD_KINDS:
            raise PayrollInputError(
                f"{field}.kind", f"must be one of {', '.join(PERIOD_KINDS)}, got {kind!r}"
            )
        zone = value.get("timezone")
        try:
            if not isinstance(zone, str) or not zone:
                raise ValueError
            ZoneInfo(zone)
        except (ValueError, ZoneInfoNotFoundError):
            raise PayrollInputError(
                f"{field}.timezone", f"must be an IANA zone such as 'Asia/Manila', got {zone!r}"
            ) from None
        week_start = value.get("week_start", 0)
        if isinstance(week_start, str) and week_start.lower() in WEEKDAYS:
            week_start = WEEKDAYS.index(week_start.lower())
        week_start = require_int(week_start, f"{field}.week_start")
        if week_start > 6:
            raise PayrollInputError(
                f"{field}.week_start", f"must be 0-6 (0 = Monday), got {week_start}"
            )
        offset = require_int(value.get("close_offset_days", 1), f"{field}.close_offset_days")
        if offset > MAX_CLOSE_OFFSET_DAYS:
            raise PayrollInputError(
                f"{field}.close_offset_days", f"must be <= {MAX_CLOSE_OFFSET_DAYS}, got {offset}"
            )
        raw_time = value.get("close_time", "12:00")
        match = _HHMM.fullmatch(raw_time) if isinstance(raw_time, str) else None
        if match is None:
            raise PayrollInputError(f"{field}.close_time", f"must be 'HH:MM', got {raw_time!r}")
        close = time(int(match.group(1)), int(match.group(2)))
        return cls(kind, zone, week_start, offset, close)

    # ----------------------------------------------------------------- periods

    def period_containing(self, day: date | str) -> Period:
        """The period that holds ``day``."""
        day = _check_year(require_date(day, "day"), "day")
        if self.kind == "weekly":
            start = day - timedelta(days=(day.weekday() - self.week_start) % 7)
            return Period(start, start + timedelta(days=6))
        last = _last_day(day.year, day.month)
        if self.kind == "monthly":
            return Period(day.replace(day=1), day.replace(day=last))
        if day.day <= 15:
            return Period(day.replace(day=1), day.replace(day=15))
        return Period(day.replace(day=16), day.replace(day=last))

    def next_period(self, period: Period) -> Period:
        return self.period_containing(period.end + timedelta(days=1))

    def previous_period(self, period: Period) -> Period:
        return self.period_containing(period.start - timedelta(days=1))

    def closes_at(self, period: Period) -> datetime:
        """The instant (aware, UTC) at which ``period`` closes."""
        close_day = period.end + timedelta(days=self.close_offset_days)
        local = datetime.combine(close_day, self.close_time, tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(UTC)  # fold=0 for a gap or a repeat (E0.3)

    def closed_between(self, after: datetime, until: datetime) -> list[Period]:
        """Periods whose close instant ``c`` satisfies ``after < c <= until``, oldest first.

        The scheduled action calls it with its previous and current run times, so a period is
        picked up exactly once even if a run was missed.
        """
        for name, moment in (("after", after), ("until", until)):
            if not isinstance(moment, datetime) or moment.utcoffset() is None:
                raise PayrollInputError(name, f"must be an aware datetime, got {moment!r}")
        if until <= after:
            return []
        zone = ZoneInfo(self.timezone)
        first_local = after.astimezone(zone).date()
        period = self.period_containing(first_local - timedelta(days=self.close_offset_days + 2))
        closed = []
        while True:
            moment = self.closes_at(period)
            if moment > until:
                return closed
            if moment > after:
                closed.append(period)
            period = self.next_period(period)


def period_containing(policy: PeriodPolicy | Mapping[str, Any], day: date | str) -> Period:
    return PeriodPolicy.from_mapping(policy).period_containing(day)


def closes_at(policy: PeriodPolicy | Mapping[str, Any], period: Period | Any) -> datetime:
    return PeriodPolicy.from_mapping(policy).closes_at(Period.from_value(period))


def periods_closed_between(
    policy: PeriodPolicy | Mapping[str, Any], after: datetime, until: datetime
) -> list[Period]:
    return PeriodPolicy.from_mapping(policy).closed_between(after, until)
