"""E6 grace: on workdays a boundary within the grace window snaps to the segment bound."""

from __future__ import annotations


def apply_grace(
    intervals: list[list[int | None]],
    segments: list[tuple[int, int]],
    grace_late: int,
    grace_early_out: int,
) -> tuple[list[int], list[int]]:
    """Snap in place (E6.1); return the indexes whose start / end were snapped (E7 skips them).

    *a* and *b* are found on the intervals as paired, before any snap, so one segment's snap
    never changes what another segment sees. Early arrival is never snapped (E6.2).
    """
    moves: list[tuple[int, int, int]] = []  # (index, 0 start / 1 end, new value)
    for seg_start, seg_end in segments:
        a = b = None
        a_index = b_index = -1
        for index, (start, end) in enumerate(intervals):
            if (start is None or start < seg_end) and (end is None or end > seg_start):
                if start is not None and (a is None or start < a):
                    a, a_index = start, index
                if end is not None and (b is None or end > b):
                    b, b_index = end, index
        if a is not None and seg_start < a <= seg_start + grace_late:
            moves.append((a_index, 0, seg_start))
        if b is not None and seg_end - grace_early_out <= b < seg_end:
            moves.append((b_index, 1, seg_end))
    if not moves:
        return _NONE
    snapped_starts: list[int] = []
    snapped_ends: list[int] = []
    for index, which, value in moves:
        intervals[index][which] = value
        (snapped_starts if which == 0 else snapped_ends).append(index)
    return snapped_starts, snapped_ends


_NONE: tuple[list[int], list[int]] = ([], [])
