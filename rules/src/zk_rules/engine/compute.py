"""The public pure function: B1 inputs -> B4 records, for one employee and many dates.

Everything that does not depend on the date (zone, policy, schedule instants, punch intake,
work-date assignment) is done once per call; each date then costs only its own punches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from .errors import EngineInputError
from .grace import apply_grace
from .intake import Tap, read_taps, sorted_ids
from .localtime import ZoneClock, day_text, parse_date, zone_clock
from .measures import Span, off_day_measures, workday_measures
from .model import (
    DayRecord,
    DaySchedule,
    Holiday,
    Interval,
    Leave,
    Missing,
    OvertimeMinutes,
    Punch,
)
from .overtime import overtime_lines
from .pairing import pair_day
from .policy import Policy, parse_policy
from .rounding import apply_rounding
from .schedule import DayPlan, parse_holidays, parse_leaves, parse_schedule
from .status import DayFlags, day_status, exception_codes
from .workdate import assign_work_dates

_NO_SNAPS: tuple[list[int], list[int]] = ([], [])


def compute_days(
    *,
    timezone: str,
    evaluate_dates: Iterable[str | date],
    punches: Iterable[Punch | Mapping[str, Any]] = (),
    schedule: Mapping[str | date, DaySchedule | Mapping[str, Any]] | None = None,
    holidays: Iterable[Holiday | Mapping[str, Any]] = (),
    leaves: Iterable[Leave | Mapping[str, Any]] = (),
    policy: Policy | Mapping[str, Any] | None = None,
) -> dict[str, DayRecord]:
    """Compute the B4 record of every date in ``evaluate_dates`` (keys ``YYYY-MM-DD``).

    Pass all punches and the schedule of the dates around the range too: a punch belongs to
    the date whose shift window holds it (E3), so neighbouring schedules matter. Raises
    ``EngineInputError`` (a ValueError) naming the field on any malformed input.
    """
    clock = zone_clock(timezone)
    rules = parse_policy(policy)
    if isinstance(evaluate_dates, (str, bytes)):
        raise EngineInputError("evaluate_dates", "must be a list of dates")
    days = [
        parse_date(value, f"evaluate_dates[{index}]") for index, value in enumerate(evaluate_dates)
    ]
    plans = parse_schedule(schedule, clock)
    holiday_days = parse_holidays(holidays)
    leave_minutes = parse_leaves(leaves)
    taps = read_taps(punches, clock, rules.double_tap_seconds)
    by_day = assign_work_dates(
        taps,
        plans,
        rules.early_window_minutes,
        rules.late_window_minutes,
        rules.day_change_minute,
        clock,
    )
    windows: dict[int, Span] = {}
    return {
        day_text(day): compute_day(
            day,
            by_day.get(day, []),
            plans.get(day),
            day in holiday_days,
            leave_minutes.get(day, 0),
            rules,
            clock,
            windows,
        )
        for day in days
    }


_MISSING = {
    (check_in, check_out, brk): Missing(check_in, check_out, brk)
    for check_in in (False, True)
    for check_out in (False, True)
    for brk in (False, True)
}
_ZERO_OVERTIME = OvertimeMinutes()


def _unpunched_day(
    day: int,
    plan: DayPlan | None,
    day_type: str,
    scheduled: int,
    leave: int,
    rules: Policy,
    clock: ZoneClock,
) -> DayRecord:
    """A date with no punches: E10.2 step 1, every measure 0 (the same as the full path)."""
    expected = scheduled - leave
    workday = day_type == "workday"
    if workday:
        if leave > 0:
            late_in: int | None = 0  # E4.3
            status = "on_leave" if expected == 0 else "absent"
        else:
            late_in = None  # E10.2 absent: late and early unknown
            status = "absent"
    else:
        late_in = 0
        status = "off" if day_type == "rest_day" else "holiday"
    dst = plan is not None and plan.dst
    exceptions = exception_codes(DayFlags(status=status, undertime=expected, dst_transition=dst))
    return DayRecord(
        work_date=day_text(day),
        day_type=day_type,
        status=status,
        exceptions=exceptions,
        provisional=False,
        scheduled_minutes=scheduled,
        leave_minutes=leave,
        expected_minutes=expected,
        presence_minutes=0,
        presence_in_schedule_minutes=0,
        worked_minutes=0,
        regular_minutes=0,
        late_in_minutes=late_in,
        early_out_minutes=late_in,
        undertime_minutes=expected if workday else 0,
        early_arrival_minutes=0,
        break_taken_minutes=0,
        break_deducted_minutes=0,
        overtime_minutes=_ZERO_OVERTIME,
        overtime_lines=(),
        night_minutes=0,
        missing=_MISSING[False, False, False],
        intervals=(),
        punch_ids=(),
        collapsed_punch_ids=(),
        ignored_punch_ids=(),
        clock=clock,
    )


def _tap_summary(taps: list[Tap]) -> tuple[list[Any], list[Any], bool, bool, bool]:
    """(ids, collapsed ids, double tap, DST gap, DST repeat) of a day's taps (E2.3, E0.3)."""
    if len(taps) == 1:
        tap = taps[0]
        return tap.ids, tap.collapsed, tap.double_tap, tap.dst_gap, tap.dst_ambiguous
    ids: list[Any] = []
    collapsed: list[Any] = []
    double_tap = dst_gap = dst_ambiguous = False
    for tap in taps:
        ids.extend(tap.ids)
        if tap.collapsed:
            collapsed.extend(tap.collapsed)
            double_tap = double_tap or tap.double_tap
        if tap.dst_gap:
            dst_gap = True
        if tap.dst_ambiguous:
            dst_ambiguous = True
    return ids, collapsed, double_tap, dst_gap, dst_ambiguous


def _spans_dst(plan: DayPlan | None, closed: list[Span], clock: ZoneClock) -> bool:
    """E8.14: a segment or a closed interval of the day spans a change of UTC offset."""
    if plan is not None and plan.dst:
        return True
    if not closed:
        return False
    high = closed[-1][1]
    for _start, end in closed:
        if end > high:
            high = end
    if clock.steady_offset(closed[0][0], high) is not None:
        return False  # one range test settles the usual day
    return any(clock.spans_transition(start, end) for start, end in closed)


def compute_day(
    day: int,
    taps: list[Tap],
    plan: DayPlan | None,
    is_holiday: bool,
    leave_total: int,
    rules: Policy,
    clock: ZoneClock,
    windows: dict[int, Span],
) -> DayRecord:
    """One work date from its assigned taps (E4-E10); inputs already validated."""
    day_type = "holiday" if is_holiday else ("workday" if plan is not None else "rest_day")
    workday = day_type == "workday"
    scheduled = max(0, plan.length - plan.unpaid_break) if workday else 0  # E4.2
    leave = min(leave_total, scheduled) if workday else 0  # E4.3
    if not taps:
        return _unpunched_day(day, plan, day_type, scheduled, leave, rules, clock)
    expected = scheduled - leave
    pairing = pair_day(taps, plan, rules.status_mode == "auto", rules.anchor_window_minutes)
    intervals = pairing.intervals
    # E8.1 boundaries, kept before grace snaps the intervals in place: the attendances
    paired = tuple(
        (start, end) for start, end in intervals if start is not None and end is not None
    )
    presence = 0  # E8.1, before grace and rounding
    for start, end in paired:
        presence += end - start
    snaps = _NO_SNAPS
    if workday:
        snaps = apply_grace(
            intervals, plan.segments, rules.grace_late_minutes, rules.grace_early_out_minutes
        )
    rounding = rules.rounding
    effective = apply_rounding(
        intervals,
        snaps[0],
        snaps[1],
        rounding.unit_minutes,
        rounding.in_mode,
        rounding.out_mode,
        clock,
    )
    closed = [(start, end) for start, end in effective if start is not None and end is not None]
    missing_in, missing_out = pairing.missing_in, pairing.missing_out
    if workday:
        m = workday_measures(effective, closed, plan, rules, clock, windows)
        overtime = OvertimeMinutes(m.overtime, 0, 0) if m.overtime else _ZERO_OVERTIME
        undertime = max(0, expected - m.regular)  # E8.6
        late_in = None if missing_in else m.late_in  # E8.7
        early_out = None if missing_out else m.early_out  # E8.8
        long_break = m.break_taken > plan.unpaid_break + rules.long_break_tolerance_minutes
    else:
        unpaid = plan.unpaid_break if plan is not None else rules.rest_day_unpaid_break_minutes
        m = off_day_measures(effective, closed, unpaid, rules, clock, windows)
        overtime = _ZERO_OVERTIME
        if m.overtime:
            overtime = (
                OvertimeMinutes(0, 0, m.overtime)
                if is_holiday
                else OvertimeMinutes(0, m.overtime, 0)
            )
        undertime = 0
        late_in = None if missing_in else 0  # E8.11
        early_out = None if missing_out else 0
        long_break = False
    if leave > 0:
        late_in = early_out = 0  # E4.3: judged by undertime only
    worked_on_leave = leave > 0 and expected == 0  # E4.3 (leave > 0 implies a workday)
    status = day_status(
        day_type, True, worked_on_leave, missing_in, missing_out, late_in, early_out, undertime
    )
    ids, collapsed, double_tap, dst_gap, dst_ambiguous = _tap_summary(taps)
    exceptions = exception_codes(
        DayFlags(
            status=status,
            late_in=late_in,
            early_out=early_out,
            undertime=undertime,
            worked_on_leave=worked_on_leave,
            missing_in=missing_in,
            missing_out=missing_out,
            missing_break=pairing.missing_break,
            single=pairing.single,
            long_break=long_break,
            double_tap=double_tap,
            status_conflict=pairing.status_conflict,
            dst_transition=_spans_dst(plan, closed, clock),
            dst_ambiguous=dst_ambiguous,
            dst_gap=dst_gap,
        )
    )
    return DayRecord(
        work_date=day_text(day),
        day_type=day_type,
        status=status,
        exceptions=exceptions,
        provisional=status == "incomplete" or worked_on_leave,  # E10.4
        scheduled_minutes=scheduled,
        leave_minutes=leave,
        expected_minutes=expected,
        presence_minutes=presence,
        presence_in_schedule_minutes=m.presence_in_schedule,
        worked_minutes=m.regular + m.overtime,  # E8.12 (one kind per day)
        regular_minutes=m.regular,
        late_in_minutes=late_in,
        early_out_minutes=early_out,
        undertime_minutes=undertime,
        early_arrival_minutes=m.early_arrival,
        break_taken_minutes=m.break_taken,
        break_deducted_minutes=m.break_deducted,
        overtime_minutes=overtime,
        overtime_lines=overtime_lines(overtime, rules.overtime_approval) if m.overtime else (),
        night_minutes=m.night,
        missing=_MISSING[missing_in, missing_out, pairing.missing_break],
        intervals=tuple([Interval(start, end) for start, end in effective]),
        punch_ids=sorted_ids(ids),
        collapsed_punch_ids=sorted_ids(collapsed) if collapsed else (),
        ignored_punch_ids=sorted_ids(pairing.ignored) if pairing.ignored else (),
        clock=clock,
        paired=paired,
    )
