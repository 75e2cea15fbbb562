"""E7 rounding of interval boundaries on the local wall-clock minute of day."""

from __future__ import annotations

from .localtime import ZoneClock


def round_minute(minute: int, unit: int, mode: str, clock: ZoneClock) -> int:
    """E7.1: round a UTC minute by its local minute of day; the shift is real elapsed time."""
    remainder = (clock.local_minute(minute) % 1440) % unit
    if remainder == 0:
        return minute
    if mode == "down" or (mode == "nearest" and 2 * remainder < unit):
        return minute - remainder
    return minute + unit - remainder


def apply_rounding(
    intervals: list[list[int | None]],
    snapped_starts: list[int],
    snapped_ends: list[int],
    unit: int,
    in_mode: str,
    out_mode: str,
    clock: ZoneClock,
) -> list[list[int | None]]:
    """E7.1 round what grace did not snap; E7.2 drop closed intervals left empty or inverted.

    The drop also applies with rounding off: two taps in one minute leave a 0-minute interval,
    which carries no time and is not an effective interval.
    """
    if unit == 1:  # rounding off (E7.1): only E7.2 applies
        return [
            interval
            for interval in intervals
            if interval[0] is None or interval[1] is None or interval[0] < interval[1]
        ]
    result = []
    for index, interval in enumerate(intervals):
        start, end = interval
        if start is not None and index not in snapped_starts:
            start = round_minute(start, unit, in_mode, clock)
        if end is not None and index not in snapped_ends:
            end = round_minute(end, unit, out_mode, clock)
        if start is not None and end is not None and start >= end:
            continue
        result.append([start, end])
    return result
