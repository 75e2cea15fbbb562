"""E0.3 resolution, E1 intake and E2 double-tap collapse of one employee's punches.

Done once per call for all punches (not per date): the result is a time-ordered list of
``Tap`` (one per surviving punch or cluster), each truncated to its whole minute (E2.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import EngineInputError
from .localtime import ZoneClock, parse_local_time
from .model import DIRECTION_OF_STATUS, UNKNOWN, Punch, PunchId


def id_key(punch_id: PunchId) -> tuple[bool, Any]:
    """Sort key for ids that may be ints or strings (E1.3 ties, sorted id lists)."""
    return (isinstance(punch_id, str), punch_id)


def sorted_ids(ids: list[PunchId]) -> tuple[PunchId, ...]:
    """Ids in order: numbers, then strings (a plain sort when all ids share one type)."""
    if len(ids) < 2:
        return tuple(ids)
    try:
        return tuple(sorted(ids))
    except TypeError:  # ints mixed with strings
        return tuple(sorted(ids, key=id_key))


class Tap:
    """A punch after E1 and E2: one instant (UTC minute), one status, and the ids it stands for."""

    __slots__ = (
        "minute",
        "status",
        "direction",
        "id",
        "ids",
        "collapsed",
        "double_tap",
        "dst_gap",
        "dst_ambiguous",
    )

    def __init__(
        self,
        minute: int,
        status: int | None,
        punch_id: PunchId,
        ids: list[PunchId],
        collapsed: list[PunchId],
        double_tap: bool,
        dst_gap: bool,
        dst_ambiguous: bool,
    ) -> None:
        self.minute = minute
        self.status = status  # a known code 0-5, or None
        self.direction = DIRECTION_OF_STATUS.get(status, UNKNOWN)  # type: ignore[arg-type]
        self.id = punch_id
        self.ids = ids
        self.collapsed = collapsed
        self.double_tap = double_tap
        self.dst_gap = dst_gap
        self.dst_ambiguous = dst_ambiguous

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Tap({self.minute}, {self.status}, {self.id!r}, {self.ids!r})"


def _fields(punch: Any, index: int) -> tuple[Any, Any, Any]:
    if isinstance(punch, Punch):
        return punch.id, punch.local_time, punch.status
    if isinstance(punch, Mapping):
        if "id" not in punch:
            raise EngineInputError(f"punches[{index}].id", "is required")
        if "local_time" not in punch:
            raise EngineInputError(f"punches[{index}].local_time", "is required")
        return punch["id"], punch["local_time"], punch.get("status")
    raise EngineInputError(f"punches[{index}]", "must be an object {id, local_time, status}")


def _check(punch_id: Any, status: Any, index: int) -> None:
    if isinstance(punch_id, bool) or not isinstance(punch_id, (int, str)) or punch_id == "":
        raise EngineInputError(
            f"punches[{index}].id", f"must be an integer or a non-empty string, got {punch_id!r}"
        )
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise EngineInputError(
            f"punches[{index}].status", f"must be an integer or null, got {status!r}"
        )


Row = tuple[int, bool, PunchId, "int | None"]


def _read(punches: Iterable[Any]) -> list[Row]:
    """Validate; drop exact repeats of one id (E1.1 idempotence); refuse conflicting ones."""
    seen: dict[PunchId, tuple[int, Any]] = {}
    rows: list[Row] = []
    for index, punch in enumerate(punches):
        if type(punch) is dict and "id" in punch and "local_time" in punch:
            punch_id, local_time, status = punch["id"], punch["local_time"], punch.get("status")
        else:
            punch_id, local_time, status = _fields(punch, index)
        id_type = type(punch_id)
        if not (
            (id_type is int or (id_type is str and punch_id))
            and (status is None or type(status) is int)
        ):
            _check(punch_id, status, index)
        local = parse_local_time(local_time, f"punches[{index}].local_time")
        known = seen.get(punch_id)
        if known is not None:
            if known != (local, status):
                raise EngineInputError(
                    f"punches[{index}].id",
                    f"duplicate id {punch_id!r} with a different local_time or status",
                )
            continue
        seen[punch_id] = (local, status)
        rows.append((local, id_type is str, punch_id, status))
    return rows


def read_taps(punches: Iterable[Any], clock: ZoneClock, double_tap_seconds: int) -> list[Tap]:
    """Punches -> time-ordered taps (E0.3, E1.1-E1.3, E2.1-E2.4)."""
    rows = _read(punches)
    rows.sort()  # wall-clock order, then id: E0.3 resolves repeats in this order
    resolved = []  # (utc seconds, id is str, id, status, merged ids, gap, ambiguous)
    previous: int | None = None
    special = False
    offsets = clock.offsets
    index, count = 0, len(rows)
    while index < count:
        local, is_str, punch_id, status = rows[index]
        index += 1
        merged: tuple[PunchId, ...] = ()
        if index < count and rows[index][0] == local:  # E1.1: same local time = one punch
            extra = []
            while index < count and rows[index][0] == local:
                other = rows[index]
                extra.append(other[2])
                if other[3] in DIRECTION_OF_STATUS:
                    status = other[3]  # last known status in id order, as E2.2
                index += 1
            merged = tuple(extra)
        off0, off1 = offsets(local)
        utc = local - off0
        if off0 == off1:
            resolved.append((utc, is_str, punch_id, status, merged, False, False))
        elif off0 < off1:  # E0.3 gap: fold=0, the offset in force before the change
            special = True
            resolved.append((utc, is_str, punch_id, status, merged, True, False))
        else:  # E0.3 repeat: the earliest instant later than the previous punch, else fold=0
            special = True
            if previous is not None and utc <= previous < local - off1:
                utc = local - off1
            resolved.append((utc, is_str, punch_id, status, merged, False, True))
        previous = utc
    if special:
        # Only gap and repeat times can break wall-clock order; otherwise it is time order.
        resolved.sort(key=lambda row: (row[0], row[1], row[2]))  # E1.3
    taps: list[Tap] = []
    index, count = 0, len(resolved)
    while index < count:  # E2.1: clusters anchored to their first punch
        first = resolved[index]
        stop = index + 1
        limit = first[0] + double_tap_seconds
        while stop < count and resolved[stop][0] <= limit:
            stop += 1
        if stop == index + 1 and not first[4]:
            status = first[3]
            taps.append(
                Tap(
                    first[0] // 60,
                    status if status in DIRECTION_OF_STATUS else None,
                    first[2],
                    [first[2]],
                    _NONE,
                    False,
                    first[5],
                    first[6],
                )
            )
            index = stop
            continue
        status = None
        ids: list[PunchId] = []
        gap = ambiguous = False
        for row in resolved[index:stop]:
            if row[3] in DIRECTION_OF_STATUS:
                status = row[3]  # E2.2: last known status of the cluster
            ids.append(row[2])
            ids.extend(row[4])
            gap = gap or row[5]
            ambiguous = ambiguous or row[6]
        taps.append(
            Tap(first[0] // 60, status, first[2], ids, ids[1:], stop - index > 1, gap, ambiguous)
        )
        index = stop
    return taps


_NONE: list[PunchId] = []
