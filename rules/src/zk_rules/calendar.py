"""Working schedule from Odoo-style calendar lines (engine-rules.md Part D, "Schedule").

Odoo 18 calendar lines cannot cross midnight, so a 22:00-06:00 shift is two lines: one ending
at 24:00 and one starting at 00:00 on the next weekday. Part D joins them into one segment of
the first day; this module does that, honours `week_type` and `date_from`/`date_to`, and takes
the total of `lunch` lines as the unpaid break. Plain data in, the engine's B1 `schedule` out.

A lunch line that fills the gap between two work lines (08-12, lunch 12-13, 13-17) joins them
into one segment (08:00-17:00) with the lunch as its unpaid break: the engine's break is
floating (Part E6), and keeping 08-12 and 13-17 as two segments while also deducting the lunch
would count the hour twice (7 h scheduled where Odoo says 8 h).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class CalendarLine:
    dayofweek: int  # 0 = Monday, as Odoo's selection values '0'..'6'
    hour_from: float
    hour_to: float
    day_period: str = "morning"  # morning | afternoon | lunch
    week_type: int | None = None  # None = every week; 0/1 on two-week calendars
    date_from: date | None = None
    date_to: date | None = None

    def applies(self, day: date, week_type: int | None) -> bool:
        if self.dayofweek != day.weekday():
            return False
        if self.week_type is not None and week_type is not None and self.week_type != week_type:
            return False
        if self.date_from and day < self.date_from:
            return False
        return not (self.date_to and day > self.date_to)


def hhmm(hours: float) -> str:
    """Odoo float hours (0-24) as HH:MM; 24:00 stays 24:00 for the join below."""
    minutes = round(hours * 60)
    if not 0 <= minutes <= 24 * 60:
        raise ValueError(f"hour {hours} is outside 0-24")
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def odoo_week_type(day: date) -> int:
    """Odoo's two-week parity: floor(ordinal / 7) % 2 (resource.calendar_attendance)."""
    return (day.toordinal() // 7) % 2


def schedule_for_dates(
    lines: Sequence[CalendarLine],
    dates: Iterable[date],
    two_weeks: bool = False,
) -> dict[str, dict]:
    """B1 `schedule` for the given dates: {iso date: {segments, unpaid_break_minutes}}."""
    result: dict[str, dict] = {}
    for day in sorted(set(dates)):
        entry = _day_entry(lines, day, two_weeks)
        if entry["segments"]:
            result[day.isoformat()] = entry
    return result


def _day_lines(lines: Sequence[CalendarLine], day: date, two_weeks: bool) -> list[CalendarLine]:
    week_type = odoo_week_type(day) if two_weeks else None
    return sorted((ln for ln in lines if ln.applies(day, week_type)),
                  key=lambda ln: (ln.hour_from, ln.hour_to))


def _joined_runs(own: list[CalendarLine]) -> list[tuple[float, float]]:
    """Work lines joined through contiguous lunch lines, as (hour_from, hour_to) runs."""
    runs: list[list[float]] = []
    has_work: list[bool] = []
    for line in sorted(own, key=lambda ln: (ln.hour_from, ln.hour_to)):
        is_work = line.day_period != "lunch"
        if runs and round(runs[-1][1] * 60) == round(line.hour_from * 60):
            runs[-1][1] = max(runs[-1][1], line.hour_to)
            has_work[-1] = has_work[-1] or is_work
        else:
            runs.append([line.hour_from, line.hour_to])
            has_work.append(is_work)
    return [(start, end) for (start, end), work in zip(runs, has_work, strict=True) if work]


def _day_entry(lines: Sequence[CalendarLine], day: date, two_weeks: bool) -> dict:
    own = _day_lines(lines, day, two_weeks)
    lunch = sum(round((ln.hour_to - ln.hour_from) * 60) for ln in own
                if ln.day_period == "lunch")
    following = _joined_runs(_day_lines(lines, day + timedelta(days=1), two_weeks))
    segments: list[list[str]] = []
    for hour_from, hour_to in _joined_runs(own):
        if round(hour_from * 60) == 0 and _continues_previous(lines, day, two_weeks):
            continue  # the tail of yesterday's overnight shift, joined there
        start, end = hhmm(hour_from), hhmm(hour_to)
        if end == "24:00":
            tail = next((run for run in following if round(run[0] * 60) == 0), None)
            end = hhmm(tail[1]) if tail else "00:00"
        segments.append([start, end])
    return {"segments": segments, "unpaid_break_minutes": max(lunch, 0)}


def _continues_previous(lines: Sequence[CalendarLine], day: date, two_weeks: bool) -> bool:
    previous = _day_lines(lines, day - timedelta(days=1), two_weeks)
    return any(round(ln.hour_to * 60) == 24 * 60 and ln.day_period != "lunch"
               for ln in previous)
