"""A leave's working minutes on each date: one rule for the daily records (the E4.3 input),
the CTO debit (C9 request) and the payroll leave columns.

The minutes of a leave on a date are the schedule's working time the leave covers that
date: the working intervals (lunch lines are not working time; public holidays and the
employee's other leaves are already taken out by whoever reads the calendar) clipped to the
leave, summed per local date of their start, rounded to the minute once per date. Dates on
which the leave covers no working time are left out. engine-rules Part D: "from the leave's
hours on that date", as Odoo counts a leave's duration: 08:00-13:00 on a 08-12 / lunch 12-13
/ 13-17 day is 4 h.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime


def leave_minutes_per_date(work: Iterable[tuple[datetime, datetime]],
                           leave_start: datetime | None = None,
                           leave_end: datetime | None = None) -> dict[date, int]:
    """{date: minutes} of the leave [leave_start, leave_end) over the working intervals.

    Without bounds, `work` is the working time the leave covers, already clipped (as Odoo's
    calendar gives it when asked over the leave). All datetimes are naive wall-clock times
    of one zone (the employee's), or all aware; a date is the date of an interval's start.
    """
    if leave_start is not None and leave_end is not None and leave_end <= leave_start:
        return {}
    seconds: dict[date, float] = defaultdict(float)
    for start, end in work:
        low = start if leave_start is None else max(start, leave_start)
        high = end if leave_end is None else min(end, leave_end)
        if high > low:
            seconds[start.date()] += (high - low).total_seconds()
    minutes = {day: round(total / 60) for day, total in seconds.items()}
    return {day: value for day, value in sorted(minutes.items()) if value > 0}
