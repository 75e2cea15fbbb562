"""E10 status (first match wins), exception codes and the provisional flag."""

from __future__ import annotations


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


def exception_codes(
    status: str,
    late_in: int | None,
    early_out: int | None,
    undertime: int,
    worked_on_leave: bool,
    missing_in: bool,
    missing_out: bool,
    missing_break: bool,
    single: bool,
    long_break: bool,
    double_tap: bool,
    status_conflict: bool,
    dst_transition: bool,
    dst_ambiguous: bool,
    dst_gap: bool,
) -> tuple[str, ...]:
    """E10.3: the codes, emitted in sorted order; informational ones never change the status."""
    codes = []
    if status == "absent":
        codes.append("absent")
    if double_tap:
        codes.append("double_tap_collapsed")
    if dst_ambiguous:
        codes.append("dst_ambiguous_time")
    if dst_gap:
        codes.append("dst_gap_time")
    if dst_transition:
        codes.append("dst_transition")
    if early_out:
        codes.append("early_out")
    if late_in:
        codes.append("late_in")
    if long_break:
        codes.append("long_break")
    if missing_break:
        codes.append("missing_break_punch")
    if missing_in:
        codes.append("missing_check_in")
    if missing_out:
        codes.append("missing_check_out")
    if single:
        codes.append("single_punch")
    if status_conflict:
        codes.append("status_conflict")
    if status == "non_compliant" and undertime > 0:
        codes.append("undertime")
    if worked_on_leave:
        codes.append("worked_on_leave")
    return tuple(codes)
