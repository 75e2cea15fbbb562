"""E8 measures of one work date, on effective intervals in UTC minutes (real elapsed time)."""

from __future__ import annotations

from .localtime import ZoneClock
from .policy import Policy
from .schedule import DayPlan

Span = tuple[int, int]


class Measures:
    """E8 figures of one day (late/early before the null rules of E8.7/E8.8/E4.3)."""

    __slots__ = (
        "presence_in_schedule",
        "break_taken",
        "break_deducted",
        "regular",
        "overtime",
        "early_arrival",
        "night",
        "late_in",
        "early_out",
    )

    def __init__(self) -> None:
        self.presence_in_schedule = 0
        self.break_taken = 0
        self.break_deducted = 0
        self.regular = 0
        self.overtime = 0
        self.early_arrival = 0
        self.night = 0
        self.late_in = 0
        self.early_out = 0


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
    for start, end in counted:
        total += end - start
        if clock.fixed or not clock.spans_transition(start, end):
            # One offset over the whole piece: local minutes are elapsed minutes here.
            offset = clock.utc_offset(start * 60) // 60
            local_start, local_end = start + offset, end + offset
            base = local_start - local_start % 1440 - 1440
            while base < local_end:
                low, high = base + start_minute, base + end_minute
                if low < local_start:
                    low = local_start
                if high > local_end:
                    high = local_end
                if high > low:
                    inside += high - low
                base += 1440
            continue
        for day in range(
            clock.local_minute(start) // 1440 - 1, clock.local_minute(end) // 1440 + 1
        ):
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
    if total == 0:
        return 0
    return inside - deducted * inside // total


def _per_segment(m: Measures, effective: list[list[int | None]], segments: list[Span]) -> None:
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
    m.late_in, m.early_out, m.break_taken = late, early, taken


def workday_measures(
    effective: list[list[int | None]],
    closed: list[Span],
    plan: DayPlan,
    policy: Policy,
    clock: ZoneClock,
    windows: dict[int, Span],
) -> Measures:
    """E8.2-E8.10 and E8.13 on a workday."""
    m = Measures()
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
    m.presence_in_schedule = in_schedule
    _per_segment(m, effective, segments)
    if in_schedule >= policy.break_trigger_minutes:  # E8.4
        m.break_deducted = min(in_schedule, max(0, plan.unpaid_break - m.break_taken))
    m.regular = in_schedule - m.break_deducted  # E8.5
    threshold = policy.overtime_threshold_minutes
    first_start, last_end = plan.first_start, plan.last_end
    if spans and spans[-1][1] > last_end:  # E8.9 post
        pieces: list[Span] = []
        post = clip(spans, last_end, None, pieces)
        if post and post >= threshold:
            m.overtime += post
            counted.extend(pieces)
    if plan.gaps:  # E8.9 inter
        pieces = []
        inter = 0
        for low, high in plan.gaps:
            inter += clip(spans, low, high, pieces)
        if inter and inter >= threshold:
            m.overtime += inter
            counted.extend(pieces)
    if spans and spans[0][0] < first_start:  # E8.10, and E8.9 pre when counted
        pieces = []
        m.early_arrival = clip(spans, None, first_start, pieces)
        if policy.count_early_arrival and m.early_arrival and m.early_arrival >= threshold:
            m.overtime += m.early_arrival
            counted.extend(pieces)
    m.night = night_minutes(counted, m.break_deducted, policy, clock, windows)  # E8.13
    return m


def off_day_measures(
    effective: list[list[int | None]],
    closed: list[Span],
    unpaid_break: int,
    policy: Policy,
    clock: ZoneClock,
    windows: dict[int, Span],
) -> Measures:
    """E8.11 (rest day or holiday) and E8.13: all worked time is one overtime piece."""
    m = Measures()
    spans = union(closed)
    total = sum(end - start for start, end in spans)
    previous_end: int | None = None
    for start, end in effective:
        if start is None:
            continue
        if previous_end is not None and start > previous_end:
            m.break_taken += start - previous_end
        previous_end = end
    if total >= policy.break_trigger_minutes:
        m.break_deducted = min(total, max(0, unpaid_break - m.break_taken))
    overtime = total - m.break_deducted
    m.overtime = overtime if overtime >= policy.overtime_threshold_minutes else 0
    if m.overtime > 0:
        m.night = night_minutes(spans, m.break_deducted, policy, clock, windows)
    return m
