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
    """E10.3: sorted codes; informational ones never change the status."""
    flags = (
        ("late_in", (late_in or 0) > 0),
        ("early_out", (early_out or 0) > 0),
        ("undertime", status == "non_compliant" and undertime > 0),
        ("absent", status == "absent"),
        ("worked_on_leave", worked_on_leave),
        ("missing_check_in", missing_in),
        ("missing_check_out", missing_out),
        ("missing_break_punch", missing_break),
        ("single_punch", single),
        ("long_break", long_break),
        ("double_tap_collapsed", double_tap),
        ("status_conflict", status_conflict),
        ("dst_transition", dst_transition),
        ("dst_ambiguous_time", dst_ambiguous),
        ("dst_gap_time", dst_gap),
    )
    return tuple(sorted(code for code, raised in flags if raised))
