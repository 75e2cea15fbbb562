"""E8 measures of one work date, on effective intervals in UTC minutes (real elapsed time)."""

from __future__ import annotations

from typing import NamedTuple

from .localtime import ZoneClock
from .policy import Policy
from .schedule import DayPlan

Span = tuple[int, int]


class Measures(NamedTuple):
    """E8 figures of one day (late/early before the null rules of E8.7/E8.8/E4.3)."""

    presence_in_schedule: int
    break_taken: int
    break_deducted: int
    regular: int
    overtime: int
    early_arrival: int
    night: int
    late_in: int
    early_out: int


def union(spans: list[Span]) -> list[Span]:
    """Merge overlapping spans so no minute counts twice (rounding may make intervals touch)."""
    if len(spans) < 2:
        return spans
    for index in range(1, len(spans)):
        if spans[index][0] <= spans[index - 1][1]:
            break
    else:
        return spans  # already ordered and disjoint: the usual case
    spans = sorted(spans)
    merged = [spans[0]]
    for start, end in spans[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            if end > last_end:
                merged[-1] = (last_start, end)
        else:
            merged.append((start, end))
    return merged


def clip(spans: list[Span], low: int | None, high: int | None, out: list[Span]) -> int:
    """Append the parts of spans inside [low, high) (None = unbounded); return their length."""
    total = 0
    for start, end in spans:
        if low is not None and start < low:
            start = low
        if high is not None and end > high:
            end = high
        if end > start:
            out.append((start, end))
            total += end - start
    return total


def night_minutes(
    counted: list[Span],
    deducted: int,
    policy: Policy,
    clock: ZoneClock,
    windows: dict[int, Span],
) -> int:
    """E8.13: |C ∩ Nw| less the deducted break spread in proportion, floored.

    Nw is the union of the local [night_start, night_end) windows, resolved like schedule
    times, so a 22:00-06:00 night is 420 or 540 real minutes on DST nights (E0.2).
    ``night_start == night_end`` means no night window.
    """
    start_minute, end_minute = policy.night_start_minute, policy.night_end_minute
    if not counted or start_minute == end_minute:
        return 0
    if end_minute <= start_minute:
        end_minute += 1440
    inside = total = 0
    low_all, high_all = counted[0]
    for start, end in counted:
        if start < low_all:
            low_all = start
        if end > high_all:
            high_all = end
    offset = clock.steady_offset(low_all, high_all)
    if offset is not None:
        # One offset over all of C: local minutes are elapsed minutes here (the usual day).
        offset //= 60
        for start, end in counted:
            total += end - start
            local_start, local_end = start + offset, end + offset
            # windows [k*1440 + start_minute, k*1440 + end_minute) that can meet the piece
            k = (local_start - end_minute) // 1440 + 1
            last = -((start_minute - local_end) // 1440) - 1
            while k <= last:
                low = k * 1440 + start_minute
                high = low - start_minute + end_minute
                if low < local_start:
                    low = local_start
                if high > local_end:
                    high = local_end
                if high > low:
                    inside += high - low
                k += 1
    else:  # a DST change inside C: windows resolved as schedule times, per local date
        for start, end in counted:
            total += end - start
        inside = _night_across_dst(counted, start_minute, end_minute, clock, windows)
    if total == 0:
        return 0
    return inside - deducted * inside // total


def _night_across_dst(
    counted: list[Span],
    start_minute: int,
    end_minute: int,
    clock: ZoneClock,
    windows: dict[int, Span],
) -> int:
    """|C ∩ Nw| when an offset change falls inside C: each local night resolves like a
    schedule time (fold=0), so it lasts 420 or 540 real minutes on DST nights (E0.2)."""
    inside = 0
    for start, end in counted:
        first_day = clock.local_minute(start) // 1440 - 1
        for day in range(first_day, clock.local_minute(end) // 1440 + 1):
            window = windows.get(day)
            if window is None:
                window = (
                    clock.schedule_minute(day, start_minute),
                    clock.schedule_minute(day, end_minute),
                )
                windows[day] = window
            low = start if start > window[0] else window[0]
            high = end if end < window[1] else window[1]
            if high > low:
                inside += high - low
    return inside


def _per_segment(effective: list[list[int | None]], segments: list[Span]) -> tuple[int, int, int]:
    """Per segment: E8.7/E8.8 late and early (a, b as in E6.1) and E8.3 break taken.

    Break taken = gaps between consecutive intervals that have a start and overlap the
    segment, clipped to it: gaps between segments, or lateness into one, are not breaks.
    """
    late = early = taken = 0
    for seg_start, seg_end in segments:
        a = b = previous_end = None
        for start, end in effective:
            if (start is not None and start >= seg_end) or (end is not None and end <= seg_start):
                continue  # does not overlap this segment
            if end is not None and (b is None or end > b):
                b = end
            if start is None:
                continue
            if a is None or start < a:
                a = start
            if previous_end is not None:
                low = previous_end if previous_end > seg_start else seg_start
                high = start if start < seg_end else seg_end
                if high > low:
                    taken += high - low
            previous_end = end
        if a is not None and a > seg_start:
            late += a - seg_start
        if b is not None and b < seg_end:
            early += seg_end - b
    return late, early, taken


def workday_measures(
    effective: list[list[int | None]],
    closed: list[Span],
    plan: DayPlan,
    policy: Policy,
    clock: ZoneClock,
    windows: dict[int, Span],
) -> Measures:
    """E8.2-E8.10 and E8.13 on a workday."""
    spans = union(closed)
    segments = plan.segments
    counted: list[Span] = []
    in_schedule = 0
    for start, end in spans:
        for seg_start, seg_end in segments:
            low = start if start > seg_start else seg_start
            high = end if end < seg_end else seg_end
            if high > low:
                counted.append((low, high))
                in_schedule += high - low
    late, early, taken = _per_segment(effective, segments)
    deducted = 0
    if in_schedule >= policy.break_trigger_minutes:  # E8.4
        deducted = min(in_schedule, max(0, plan.unpaid_break - taken))
    threshold = policy.overtime_threshold_minutes
    overtime = early_arrival = 0
    if spans and spans[-1][1] > plan.last_end:  # E8.9 post
        pieces: list[Span] = []
        post = clip(spans, plan.last_end, None, pieces)
        if post >= threshold:
            overtime += post
            counted.extend(pieces)
    if plan.gaps:  # E8.9 inter
        pieces = []
        inter = 0
        for low, high in plan.gaps:
            inter += clip(spans, low, high, pieces)
        if inter and inter >= threshold:
            overtime += inter
            counted.extend(pieces)
    if spans and spans[0][0] < plan.first_start:  # E8.10, and E8.9 pre when counted
        pieces = []
        early_arrival = clip(spans, None, plan.first_start, pieces)
        if policy.count_early_arrival and early_arrival >= threshold:
            overtime += early_arrival
            counted.extend(pieces)
    night = night_minutes(counted, deducted, policy, clock, windows)  # E8.13
    return Measures(
        in_schedule,
        taken,
        deducted,
        in_schedule - deducted,  # E8.5
        overtime,
        early_arrival,
        night,
        late,
        early,
    )


def off_day_measures(
    effective: list[list[int | None]],
    closed: list[Span],
    unpaid_break: int,
    policy: Policy,
    clock: ZoneClock,
    windows: dict[int, Span],
) -> Measures:
    """E8.11 (rest day or holiday) and E8.13: all worked time is one overtime piece."""
    spans = union(closed)
    total = 0
    for start, end in spans:
        total += end - start
    taken = 0
    previous_end: int | None = None
    for start, end in effective:
        if start is None:
            continue
        if previous_end is not None and start > previous_end:
            taken += start - previous_end
        previous_end = end
    deducted = 0
    if total >= policy.break_trigger_minutes:
        deducted = min(total, max(0, unpaid_break - taken))
    overtime = total - deducted
    if overtime < policy.overtime_threshold_minutes:
        overtime = 0
    night = night_minutes(spans, deducted, policy, clock, windows) if overtime > 0 else 0
    return Measures(0, taken, deducted, 0, overtime, 0, night, 0, 0)
