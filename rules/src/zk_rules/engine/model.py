"""Typed inputs (B1) and outputs (B4) of the engine. Plain mappings are accepted as inputs too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from .localtime import ZoneClock

PunchId = int | str

IN, OUT, UNKNOWN = 1, -1, 0
#: E1.2 status mapping: 0, 3, 4 -> IN; 1, 2, 5 -> OUT; anything else -> UNKNOWN.
DIRECTION_OF_STATUS = {0: IN, 3: IN, 4: IN, 1: OUT, 2: OUT, 5: OUT}

OVERTIME_KINDS = ("workday", "rest_day", "holiday")


@dataclass(frozen=True, slots=True)
class Punch:
    """B1 punch: device-local wall-clock ``YYYY-MM-DD HH:MM:SS`` in the employee's zone."""

    id: PunchId
    local_time: str
    status: int | None = None


@dataclass(frozen=True, slots=True)
class DaySchedule:
    """B1 schedule of one date: ``[["HH:MM", "HH:MM"], ...]``; end <= start ends the next day."""

    segments: tuple[tuple[str, str], ...]
    unpaid_break_minutes: int = 0


@dataclass(frozen=True, slots=True)
class Holiday:
    """B1 holiday-calendar entry (``kind`` regular or special, kept for payroll, E.3)."""

    date: str | date
    name: str = ""
    kind: str = "regular"


@dataclass(frozen=True, slots=True)
class Leave:
    """B1 approved leave of this employee on one date (E4.3)."""

    date: str | date
    minutes: int
    kind: str = ""


class Interval(NamedTuple):
    """An effective interval (after grace and rounding) in UTC epoch minutes.

    ``end`` None = open (missing check-out); ``start`` None = orphan check-out (E5).
    """

    start: int | None
    end: int | None

    @staticmethod
    def utc_datetime(minute: int | None) -> datetime | None:
        """Naive UTC datetime of a bound, the form Odoo stores (``hr.attendance``)."""
        if minute is None:
            return None
        return datetime.fromtimestamp(minute * 60, UTC).replace(tzinfo=None)


class OvertimeLine(NamedTuple):
    """E9.1 line: one per kind with minutes > 0."""

    kind: str
    minutes: int
    status: str


class Missing(NamedTuple):
    """E10.1 missing punches."""

    check_in: bool = False
    check_out: bool = False
    break_: bool = False


class OvertimeMinutes(NamedTuple):
    """E8.9/E8.11 overtime by kind, before approval."""

    workday: int = 0
    rest_day: int = 0
    holiday: int = 0

    @property
    def total(self) -> int:
        return self.workday + self.rest_day + self.holiday


@dataclass(slots=True, kw_only=True)
class DayRecord:
    """B4 record of one employee and work date. ``to_dict()`` gives the G1 output form.

    Treat it as read-only (not frozen only because frozen construction is slower).
    """

    work_date: str
    day_type: str
    status: str
    exceptions: tuple[str, ...]
    provisional: bool
    scheduled_minutes: int
    leave_minutes: int
    expected_minutes: int
    presence_minutes: int
    presence_in_schedule_minutes: int
    worked_minutes: int
    regular_minutes: int
    late_in_minutes: int | None
    early_out_minutes: int | None
    undertime_minutes: int
    early_arrival_minutes: int
    break_taken_minutes: int
    break_deducted_minutes: int
    overtime_minutes: OvertimeMinutes
    overtime_lines: tuple[OvertimeLine, ...]
    night_minutes: int
    missing: Missing
    intervals: tuple[Interval, ...]
    punch_ids: tuple[PunchId, ...]
    collapsed_punch_ids: tuple[PunchId, ...]
    ignored_punch_ids: tuple[PunchId, ...]
    clock: ZoneClock = field(repr=False, compare=False)
    """Zone of the employee, to print interval bounds (E0.1)."""
    paired: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)
    """The closed E5 pairs as the punches gave them (before grace and rounding, E8.1), in
    UTC minutes: what the attendances of this work date are. Not part of the G1 output, so
    one engine run gives both the day's figures and its attendances."""

    def to_dict(self) -> dict[str, Any]:
        """The G1 output form of this record (JSON-ready)."""
        iso = self.clock.iso_minute
        overtime = self.overtime_minutes
        missing = self.missing
        return {
            "work_date": self.work_date,
            "day_type": self.day_type,
            "status": self.status,
            "exceptions": list(self.exceptions),
            "provisional": self.provisional,
            "scheduled_minutes": self.scheduled_minutes,
            "leave_minutes": self.leave_minutes,
            "expected_minutes": self.expected_minutes,
            "presence_minutes": self.presence_minutes,
            "presence_in_schedule_minutes": self.presence_in_schedule_minutes,
            "worked_minutes": self.worked_minutes,
            "regular_minutes": self.regular_minutes,
            "late_in_minutes": self.late_in_minutes,
            "early_out_minutes": self.early_out_minutes,
            "undertime_minutes": self.undertime_minutes,
            "early_arrival_minutes": self.early_arrival_minutes,
            "break_taken_minutes": self.break_taken_minutes,
            "break_deducted_minutes": self.break_deducted_minutes,
            "overtime_minutes": {
                "workday": overtime.workday,
                "rest_day": overtime.rest_day,
                "holiday": overtime.holiday,
            },
            "overtime_lines": [
                {"kind": line.kind, "minutes": line.minutes, "status": line.status}
                for line in self.overtime_lines
            ],
            "night_minutes": self.night_minutes,
            "missing": {
                "check_in": missing.check_in,
                "check_out": missing.check_out,
                "break": missing.break_,
            },
            "intervals": [
                {
                    "start": None if i.start is None else iso(i.start),
                    "end": None if i.end is None else iso(i.end),
                }
                for i in self.intervals
            ],
            "punch_ids": list(self.punch_ids),
            "collapsed_punch_ids": list(self.collapsed_punch_ids),
            "ignored_punch_ids": list(self.ignored_punch_ids),
        }
