"""E5 pairing: the status path when statuses are complete and consistent, else the time path
with schedule anchors. Nothing is invented: a missing punch stays missing (E5.5)."""

from __future__ import annotations

from .intake import Tap
from .model import IN, OUT, UNKNOWN, PunchId
from .schedule import DayPlan


class Pairing:
    """Intervals as [start, end] UTC minutes (None = open end / orphan start) and flags."""

    __slots__ = (
        "intervals",
        "missing_in",
        "missing_out",
        "missing_break",
        "ignored",
        "status_conflict",
        "single",
    )

    def __init__(self) -> None:
        self.intervals: list[list[int | None]] = []
        self.missing_in = False
        self.missing_out = False
        self.missing_break = False
        self.ignored: list[PunchId] = []
        self.status_conflict = False
        self.single = False


def _pair_forward(result: Pairing, minutes: list[int]) -> None:
    for k in range(0, len(minutes) - 1, 2):
        result.intervals.append([minutes[k], minutes[k + 1]])
    if len(minutes) % 2:
        result.intervals.append([minutes[-1], None])
        result.missing_out = True


def _single(result: Pairing, tap: Tap, plan: DayPlan | None) -> None:
    """E5.3 N = 1 (on both paths) and its E5.4 conflict test."""
    result.single = True
    if plan is not None:  # IN before the midpoint of [first_start, last_end]
        direction = IN if 2 * tap.minute < plan.first_start + plan.last_end else OUT
    else:
        direction = OUT if tap.direction == OUT else IN
    if tap.status and tap.direction != direction:  # known non-zero status disagrees
        result.status_conflict = True
    if direction == IN:
        result.intervals.append([tap.minute, None])
        result.missing_out = True
    else:
        result.intervals.append([None, tap.minute])
        result.missing_in = True


def pair_day(
    taps: list[Tap], plan: DayPlan | None, use_status: bool, anchor_window: int
) -> Pairing:
    """E5.1-E5.4 for the taps of one work date (time-ordered)."""
    result = Pairing()
    count = len(taps)
    if count == 0:
        return result
    if count == 1:
        _single(result, taps[0], plan)
        return result
    if use_status and taps[0].direction == IN:
        expected = IN
        for tap in taps:
            if tap.direction != expected:
                break
            expected = -expected
        else:  # E5.2: statuses complete, alternating, starting with IN
            _pair_forward(result, [tap.minute for tap in taps])
            return result
    # E5.3 time path; E5.4 a known non-zero status was not used
    result.status_conflict = any(tap.status for tap in taps if tap.direction != UNKNOWN)
    minutes = [tap.minute for tap in taps]
    if count % 2 == 0:
        _pair_forward(result, minutes)
        return result
    first_anchored = last_anchored = False
    if plan is not None:
        first_anchored = abs(minutes[0] - plan.first_start) <= anchor_window
        last_anchored = abs(minutes[-1] - plan.last_end) <= anchor_window
    if first_anchored and last_anchored:  # (a) drop the last internal punch
        result.ignored.append(taps[-2].id)  # its collapsed ids stay in collapsed_punch_ids
        result.missing_break = True
        _pair_forward(result, minutes[:-2] + minutes[-1:])
    elif last_anchored:  # (c) pair from the end; p1 is an orphan OUT
        result.intervals.append([None, minutes[0]])
        result.missing_in = True
        _pair_forward(result, minutes[1:])
    else:  # (b) pair from the start; pN stays open
        _pair_forward(result, minutes)
    return result
