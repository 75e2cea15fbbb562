"""B1 schedule, holidays and leaves -> instants and lookups (E3.1, E4).

A schedule time resolves with fold=0 (E0.3); a segment whose end <= start ends the next day
(E3.1). Segment lengths are real elapsed minutes (E0.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import EngineInputError
from .localtime import ZoneClock, day_text, parse_date, parse_hhmm
from .model import DaySchedule, Holiday, Leave
from .policy import non_negative_int

HOLIDAY_KINDS = ("regular", "special")


class DayPlan:
    """The segments of one scheduled date as UTC minutes, sorted, with derived figures."""

    __slots__ = (
        "day",
        "segments",
        "unpaid_break",
        "first_start",
        "last_end",
        "length",
        "gaps",
        "dst",
    )

    def __init__(
        self, day: int, segments: list[tuple[int, int]], unpaid_break: int, clock: ZoneClock
    ) -> None:
        self.day = day
        self.segments = segments
        self.unpaid_break = unpaid_break
        self.first_start = segments[0][0]
        self.last_end = max(end for _start, end in segments)
        self.length = sum(end - start for start, end in segments)
        self.gaps = [
            (segments[i][1], segments[i + 1][0])
            for i in range(len(segments) - 1)
            if segments[i][1] < segments[i + 1][0]
        ]
        self.dst = any(clock.spans_transition(start, end) for start, end in segments)


def _day_schedule(value: Any, name: str) -> tuple[Any, Any]:
    if isinstance(value, DaySchedule):
        return value.segments, value.unpaid_break_minutes
    if isinstance(value, Mapping):
        for key in value:
            if key not in ("segments", "unpaid_break_minutes"):
                raise EngineInputError(f"{name}.{key}", "unknown key")
        if "segments" not in value:
            raise EngineInputError(f"{name}.segments", "is required")
        return value["segments"], value.get("unpaid_break_minutes", 0)
    raise EngineInputError(name, "must be an object {segments, unpaid_break_minutes}")


def _plan(raw_date: Any, value: Any, clock: ZoneClock) -> DayPlan | None:
    """Validate one schedule entry and resolve it to instants (None: no segments)."""
    day = parse_date(raw_date, f"schedule key {raw_date!r}")
    name = f"schedule.{day_text(day)}"
    raw_segments, unpaid = _day_schedule(value, name)
    unpaid = non_negative_int(unpaid, f"{name}.unpaid_break_minutes")
    if isinstance(raw_segments, (str, bytes)) or not isinstance(raw_segments, Iterable):
        raise EngineInputError(f"{name}.segments", "must be a list of [start, end] pairs")
    segments = []
    for index, pair in enumerate(raw_segments):
        field = f"{name}.segments[{index}]"
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise EngineInputError(field, f'must be a pair ["HH:MM", "HH:MM"], got {pair!r}')
        start = parse_hhmm(pair[0], f"{field}[0]")
        end = parse_hhmm(pair[1], f"{field}[1]", allow_24=True)
        if end <= start:
            end += 1440  # E3.1: ends the next day
        segments.append((clock.schedule_minute(day, start), clock.schedule_minute(day, end)))
    if not segments:
        return None
    segments.sort()
    for index in range(1, len(segments)):
        if segments[index][0] < segments[index - 1][1]:
            raise EngineInputError(f"{name}.segments", "segments overlap")
    return DayPlan(day, segments, unpaid, clock)


def _cache_key(raw_date: Any, value: Any) -> tuple[Any, ...] | None:
    """Key of an entry whose validated plan may be reused, or None (validate it afresh)."""
    if isinstance(value, DaySchedule):
        segments, unpaid = value.segments, value.unpaid_break_minutes
    elif type(value) is dict:
        for key in value:
            if key != "segments" and key != "unpaid_break_minutes":
                return None
        segments, unpaid = value.get("segments"), value.get("unpaid_break_minutes", 0)
    else:
        return None
    try:
        key = (raw_date, tuple(map(tuple, segments)), unpaid, type(unpaid))
        hash(key)
    except TypeError:
        return None
    return key


def parse_schedule(schedule: Mapping[Any, Any] | None, clock: ZoneClock) -> dict[int, DayPlan]:
    """Schedule mapping -> {day number: DayPlan} for dates with at least one segment.

    Parsed days are cached per zone: employees on one calendar share them, so a month of a
    thousand employees resolves each distinct schedule day once.
    """
    plans: dict[int, DayPlan] = {}
    if schedule is None:
        return plans
    if not isinstance(schedule, Mapping):
        raise EngineInputError("schedule", "must be an object {date: {segments, ...}}")
    cache = clock.plan_cache
    for raw_date, value in schedule.items():
        key = _cache_key(raw_date, value)
        if key is not None and key in cache:
            plan = cache[key]
        else:
            plan = _plan(raw_date, value, clock)
            if key is not None:
                if len(cache) > 100_000:  # bound memory in a long-running server
                    cache.clear()
                cache[key] = plan
        if plan is not None:
            plans[plan.day] = plan  # type: ignore[union-attr]
    return plans


def parse_holidays(holidays: Iterable[Any] | None) -> dict[int, str]:
    """Holiday calendar -> {day number: kind} (E4.1; the kind is kept for payroll, E.3)."""
    result: dict[int, str] = {}
    for index, holiday in enumerate(holidays or ()):
        name = f"holidays[{index}]"
        if isinstance(holiday, Holiday):
            raw_date, kind = holiday.date, holiday.kind
        elif isinstance(holiday, Mapping):
            if "date" not in holiday:
                raise EngineInputError(f"{name}.date", "is required")
            raw_date, kind = holiday["date"], holiday.get("kind", "regular")
        else:
            raise EngineInputError(name, "must be an object {date, name, kind}")
        if kind not in HOLIDAY_KINDS:
            raise EngineInputError(f"{name}.kind", f"must be one of {', '.join(HOLIDAY_KINDS)}")
        result[parse_date(raw_date, f"{name}.date")] = kind
    return result


def parse_leaves(leaves: Iterable[Any] | None) -> dict[int, int]:
    """Approved leaves -> {day number: total minutes} (E4.3)."""
    result: dict[int, int] = {}
    for index, leave in enumerate(leaves or ()):
        name = f"leaves[{index}]"
        if isinstance(leave, Leave):
            raw_date, minutes = leave.date, leave.minutes
        elif isinstance(leave, Mapping):
            for key in ("date", "minutes"):
                if key not in leave:
                    raise EngineInputError(f"{name}.{key}", "is required")
            raw_date, minutes = leave["date"], leave["minutes"]
        else:
            raise EngineInputError(name, "must be an object {date, minutes, kind}")
        day = parse_date(raw_date, f"{name}.date")
        result[day] = result.get(day, 0) + non_negative_int(minutes, f"{name}.minutes")
    return result
