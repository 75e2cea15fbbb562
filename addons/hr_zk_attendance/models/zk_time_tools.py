"""Time and calendar conversions shared by the models (one place, no model of its own).

Odoo stores datetimes as naive UTC; the engine reads naive local wall-clock times in the
employee's zone and calendar lines as zk_rules.calendar.CalendarLine.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from zk_rules.calendar import CalendarLine


def _to_local(utc_naive, tz):
    """Naive UTC (as Odoo stores it) -> naive wall-clock time in `tz` (a ZoneInfo)."""
    return utc_naive.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)


def _to_utc(local_naive, tz):
    """Naive wall-clock time in `tz` -> naive UTC, as Odoo stores it."""
    return local_naive.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _naive_utc(text):
    """An ISO 8601 text from the relay (`Z` or an offset, or none for UTC) -> naive UTC."""
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _calendar_lines(calendar):
    """An Odoo resource.calendar's working lines as the engine reads them (sections out)."""
    lines = []
    for att in calendar.attendance_ids:
        if att.display_type:
            continue
        lines.append(CalendarLine(
            dayofweek=int(att.dayofweek), hour_from=att.hour_from, hour_to=att.hour_to,
            day_period=att.day_period or "morning",
            week_type=int(att.week_type) if calendar.two_weeks_calendar and att.week_type
            else None,
            date_from=att.date_from or None, date_to=att.date_to or None,
        ))
    return lines
