"""E0: device-local wall clock <-> real instants in one IANA zone.

Instants are integer seconds (or minutes) since the Unix epoch, UTC. Durations are differences
of instants, never of wall-clock values (E0.2). A zone's UTC-offset transitions are found once
per year and cached, so resolving thousands of punches costs a bisect each (the addon calls the
engine per employee and per range of dates).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import EngineInputError

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: Dates outside these years are refused: attendance data never needs them, and the zone
#: table must stay inside what ``datetime`` can represent.
MIN_YEAR, MAX_YEAR = 1900, 2199
_SAMPLE_SECONDS = 6 * 3600  # no zone changes offset twice within 6 h
_MARGIN_SECONDS = 2 * 86400  # offsets stay below a day, so 2 days covers local/UTC skew
_ONE_SECOND = timedelta(seconds=1)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_OF_DAY_RE = re.compile(r" [0-9]{2}:[0-9]{2}:[0-9]{2}")
_HHMM_RE = re.compile(r"[0-9]{2}:[0-9]{2}")

# Validated texts only: a hit means the text was checked before (bounded: dates in use,
# at most 86,400 times of day).
_DAY_BY_TEXT: dict[str, int] = {}
_TEXT_BY_DAY: dict[int, str] = {}
_SECONDS_BY_TIME: dict[str, int] = {}
_CLOCK_TEXT = [f"T{minute // 60:02d}:{minute % 60:02d}" for minute in range(1440)]
_OFFSET_TEXT: dict[int, str] = {}


def parse_date(value: object, field: str) -> int:
    """``YYYY-MM-DD`` (or a ``date``) -> day number since 1970-01-01."""
    if isinstance(value, str):
        day = _DAY_BY_TEXT.get(value)
        if day is not None:
            return day
        if _DATE_RE.fullmatch(value):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                parsed = None
            if parsed is not None and MIN_YEAR <= parsed.year <= MAX_YEAR:
                day = parsed.toordinal() - EPOCH_ORDINAL
                _DAY_BY_TEXT[value] = day
                return day
    if isinstance(value, date) and not isinstance(value, datetime):
        if MIN_YEAR <= value.year <= MAX_YEAR:
            return value.toordinal() - EPOCH_ORDINAL
    raise EngineInputError(
        field, f"must be a date YYYY-MM-DD in the years {MIN_YEAR}-{MAX_YEAR}, got {value!r}"
    )


def day_text(day: int) -> str:
    """Day number -> ``YYYY-MM-DD``."""
    text = _TEXT_BY_DAY.get(day)
    if text is None:
        text = date.fromordinal(day + EPOCH_ORDINAL).isoformat()
        _TEXT_BY_DAY[day] = text
    return text


def parse_hhmm(value: object, field: str, *, allow_24: bool = False) -> int:
    """``HH:MM`` -> minutes of day; ``24:00`` only where a day may end (segment ends)."""
    if isinstance(value, str) and _HHMM_RE.fullmatch(value):
        hours, minutes = int(value[:2]), int(value[3:])
        if minutes < 60 and (hours < 24 or (allow_24 and hours == 24 and minutes == 0)):
            return hours * 60 + minutes
    raise EngineInputError(field, f"must be a time HH:MM, got {value!r}")


def parse_local_time(value: object, field: str) -> int:
    """``YYYY-MM-DD HH:MM:SS`` -> naive local seconds since 1970-01-01 00:00 (wall clock)."""
    try:
        return _DAY_BY_TEXT[value[:10]] * 86400 + _SECONDS_BY_TIME[value[10:]]  # type: ignore[index]
    except (KeyError, TypeError):
        pass
    if isinstance(value, str) and len(value) == 19:
        time_text = value[10:]
        if _TIME_OF_DAY_RE.fullmatch(time_text):
            hours, minutes, seconds = int(value[11:13]), int(value[14:16]), int(value[17:19])
            if hours < 24 and minutes < 60 and seconds < 60:
                day = parse_date(value[:10], field)
                _SECONDS_BY_TIME[time_text] = hours * 3600 + minutes * 60 + seconds
                return day * 86400 + _SECONDS_BY_TIME[time_text]
    raise EngineInputError(field, f"must be a local time 'YYYY-MM-DD HH:MM:SS', got {value!r}")


def _offset_seconds(zone: ZoneInfo, utc_seconds: int) -> int:
    return datetime.fromtimestamp(utc_seconds, zone).utcoffset() // _ONE_SECOND


class ZoneClock:
    """Offset arithmetic of one zone from a cached table of its transitions (E0.2, E0.3).

    A transition at UTC second T from offset a to b makes the local seconds between T+min(a,b)
    and T+max(a,b) special: a gap when b > a (they do not exist), a repeat when b < a.
    The table covers whole years around the instants asked for and grows on demand; it is
    one tuple replaced at once, so threads of a server never see half of an update.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.zone = ZoneInfo(key)
        #: parsed schedule days of this zone, shared by employees on the same calendar
        self.plan_cache: dict[tuple[object, ...], object] = {}
        self._years = (0, -1)
        # (lo, hi, base offset, UTC instants, local lows, local highs, before, after)
        self._state: tuple[Any, ...] = (0, 0, 0, [], [], [], [], [])

    def _cover(self, seconds: int) -> tuple[Any, ...]:
        year = date.fromordinal(seconds // 86400 + EPOCH_ORDINAL).year
        first, last = self._years
        if first > last:
            first = last = year
        first, last = max(MIN_YEAR, min(first, year - 1)), min(MAX_YEAR, max(last, year + 1))
        lo = (date(first, 1, 1).toordinal() - EPOCH_ORDINAL) * 86400
        hi = (date(last + 1, 1, 1).toordinal() - EPOCH_ORDINAL) * 86400
        if not lo <= seconds < hi:
            raise EngineInputError("time", f"outside the years {MIN_YEAR}-{MAX_YEAR}")
        start, stop = lo - _MARGIN_SECONDS, hi + _MARGIN_SECONDS
        trans: list[tuple[int, int, int]] = []
        before = base = _offset_seconds(self.zone, start)
        at = start
        while at < stop:
            nxt = min(at + _SAMPLE_SECONDS, stop)
            after = _offset_seconds(self.zone, nxt)
            if after != before:
                low, high = at, nxt  # offset(low) == before, offset(high) == after
                while high - low > 1:
                    mid = (low + high) // 2
                    if _offset_seconds(self.zone, mid) == before:
                        low = mid
                    else:
                        high = mid
                trans.append((high, before, after))
                before = after
            at = nxt
        state = (
            lo,
            hi,
            base,
            [t for t, _a, _b in trans],
            [t + min(a, b) for t, a, b in trans],
            [t + max(a, b) for t, a, b in trans],
            [a for _t, a, _b in trans],
            [b for _t, _a, b in trans],
        )
        self._state = state
        self._years = (first, last)
        return state

    def offsets(self, local_seconds: int) -> tuple[int, int]:
        """(fold=0 offset, fold=1 offset) of a wall-clock time; equal unless gap or repeat."""
        state = self._state
        if not state[0] <= local_seconds < state[1]:
            state = self._cover(local_seconds)
        lows = state[4]
        if not lows:
            return state[2], state[2]
        index = bisect_right(lows, local_seconds) - 1
        if index < 0:
            return state[2], state[2]
        if local_seconds < state[5][index]:
            # inside a gap or a repeat: fold=0 keeps the offset in force before (PEP 495)
            return state[6][index], state[7][index]
        after = state[7][index]
        return after, after

    def utc_offset(self, utc_seconds: int) -> int:
        """Offset in force at a UTC instant."""
        state = self._state
        if not state[0] <= utc_seconds < state[1]:
            state = self._cover(utc_seconds)
        instants = state[3]
        if not instants:
            return state[2]
        index = bisect_right(instants, utc_seconds) - 1
        return state[2] if index < 0 else state[7][index]

    def schedule_minute(self, day: int, minute_of_day: int) -> int:
        """A schedule time (E0.3: fold=0) as a UTC minute; minute_of_day may reach 2880."""
        local = day * 86400 + minute_of_day * 60
        return (local - self.offsets(local)[0]) // 60

    def local_minute(self, utc_minute: int) -> int:
        """UTC minute -> local wall-clock minute since 1970-01-01 00:00."""
        return utc_minute + self.utc_offset(utc_minute * 60) // 60

    def steady_offset(self, start_minute: int, end_minute: int) -> int | None:
        """The offset (seconds) in force over [start, end] if no change lies inside, else None."""
        start, end = start_minute * 60, end_minute * 60
        state = self._state
        if not (state[0] <= start < state[1] and state[0] <= end < state[1]):
            self._cover(start)
            state = self._cover(end)
        instants = state[3]
        if not instants:
            return state[2]
        index = bisect_right(instants, start)
        if index < len(instants) and instants[index] < end:
            return None
        return state[2] if index == 0 else state[7][index - 1]

    def spans_transition(self, start_minute: int, end_minute: int) -> bool:
        """E8.14: an offset change lies strictly inside (start, end)."""
        start, end = start_minute * 60, end_minute * 60
        state = self._state
        if not (state[0] <= start < state[1] and state[0] <= end < state[1]):
            self._cover(start)
            state = self._cover(end)
        instants = state[3]
        if not instants:
            return False
        index = bisect_right(instants, start)
        return index < len(instants) and instants[index] < end

    def iso_minute(self, utc_minute: int) -> str:
        """E0.1 output form: local ISO time with offset, to the minute (2025-10-26T02:10+02:00)."""
        offset = self.utc_offset(utc_minute * 60)
        day, minute = divmod(utc_minute + offset // 60, 1440)
        text = _OFFSET_TEXT.get(offset)
        if text is None:
            sign = "+" if offset >= 0 else "-"
            hours, minutes = divmod(abs(offset) // 60, 60)
            text = _OFFSET_TEXT[offset] = f"{sign}{hours:02d}:{minutes:02d}"
        return day_text(day) + _CLOCK_TEXT[minute] + text


@lru_cache(maxsize=256)
def _clock(key: str) -> ZoneClock:
    return ZoneClock(key)


def zone_clock(key: object, field: str = "timezone") -> ZoneClock:
    """The cached clock of an IANA zone; an unknown or malformed name is an input error."""
    if not isinstance(key, str) or not key:
        raise EngineInputError(field, f"must be an IANA time zone name, got {key!r}")
    try:
        return _clock(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise EngineInputError(field, f"unknown IANA time zone {key!r}") from exc
