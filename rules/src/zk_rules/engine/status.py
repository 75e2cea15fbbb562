"""E10 status (first match wins), exception codes and the provisional flag."""

from __future__ import annotations

from dataclasses import dataclass


def day_status(
    day_type: str,
    punched: bool,
    on_leave_all_day: bool,
    missing_in: bool,
    missing_out: bool,
    late_in: int | None,
    early_out: int | None,
    undertime: int,
) -> str:
    """E10.2."""
    if not punched:
        if day_type == "workday":
            return "on_leave" if on_leave_all_day else "absent"
        return "off" if day_type == "rest_day" else "holiday"
    if missing_in or missing_out:
        return "incomplete"
    if day_type == "workday":
        if (late_in or 0) > 0 or (early_out or 0) > 0 or undertime > 0:
            return "non_compliant"
        return "compliant"
    return "rest_day_work" if day_type == "rest_day" else "holiday_work"


@dataclass(slots=True, kw_only=True)
class DayFlags:
    """What E10.3 reads of one day, named: the status, the measures and the punch findings.

    Built by keyword only. Treat it as read-only (not frozen, like ``DayRecord``: frozen
    construction is about three times slower, once per employee-day).
    """

    status: str
    late_in: int | None = None
    early_out: int | None = None
    undertime: int = 0
    worked_on_leave: bool = False
    missing_in: bool = False
    missing_out: bool = False
    missing_break: bool = False
    single: bool = False
    long_break: bool = False
    double_tap: bool = False
    status_conflict: bool = False
    dst_transition: bool = False
    dst_ambiguous: bool = False
    dst_gap: bool = False


def exception_codes(day: DayFlags) -> tuple[str, ...]:
    """E10.3: the codes, emitted in sorted order; informational ones never change the status."""
    codes = []
    if day.status == "absent":
        codes.append("absent")
    if day.double_tap:
        codes.append("double_tap_collapsed")
    if day.dst_ambiguous:
        codes.append("dst_ambiguous_time")
    if day.dst_gap:
        codes.append("dst_gap_time")
    if day.dst_transition:
        codes.append("dst_transition")
    if day.early_out:
        codes.append("early_out")
    if day.late_in:
        codes.append("late_in")
    if day.long_break:
        codes.append("long_break")
    if day.missing_break:
        codes.append("missing_break_punch")
    if day.missing_in:
        codes.append("missing_check_in")
    if day.missing_out:
        codes.append("missing_check_out")
    if day.single:
        codes.append("single_punch")
    if day.status_conflict:
        codes.append("status_conflict")
    if day.status == "non_compliant" and day.undertime > 0:
        codes.append("undertime")
    if day.worked_on_leave:
        codes.append("worked_on_leave")
    return tuple(codes)
