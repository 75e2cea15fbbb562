"""E3 work-date assignment: shift windows, the median cut between them, the day-change hour."""

from __future__ import annotations

from bisect import bisect_right

from .intake import Tap
from .localtime import ZoneClock
from .schedule import DayPlan


def shift_windows(
    plans: dict[int, DayPlan], early: int, late: int
) -> tuple[list[int], list[int], list[int]]:
    """E3.2-E3.3: (days, window starts, window ends) in UTC minutes, sorted, non-overlapping."""
    days = sorted(plans)
    starts = [plans[day].first_start - early for day in days]
    ends = [plans[day].last_end + late for day in days]
    for k in range(len(days) - 1):
        if ends[k] > starts[k + 1]:
            last_end, first_start = plans[days[k]].last_end, plans[days[k + 1]].first_start
            # E3.3 median principle: cut at the midpoint, or at D''s start if shifts touch
            cut = (last_end + first_start) // 2 if last_end < first_start else first_start
            ends[k] = starts[k + 1] = cut
    for k in range(1, len(days)):
        # Schedules so odd that cut windows still overlap: the earlier date keeps the time.
        starts[k] = max(starts[k], ends[k - 1])
        ends[k] = max(ends[k], starts[k])
    return days, starts, ends


def assign_work_dates(
    taps: list[Tap],
    plans: dict[int, DayPlan],
    early: int,
    late: int,
    day_change_minute: int,
    clock: ZoneClock,
) -> dict[int, list[Tap]]:
    """E3.4-E3.5: {work date (day number): taps in time order}."""
    days, starts, ends = shift_windows(plans, early, late)
    by_day: dict[int, list[Tap]] = {}
    for tap in taps:
        minute = tap.minute
        index = bisect_right(starts, minute) - 1
        if index >= 0 and minute < ends[index]:
            day = days[index]  # E3.4
        else:  # E3.5 operational date
            day = (clock.local_minute(minute) - day_change_minute) // 1440
        bucket = by_day.get(day)
        if bucket is None:
            by_day[day] = [tap]
        else:
            bucket.append(tap)
    return by_day
