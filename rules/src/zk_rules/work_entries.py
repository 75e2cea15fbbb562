"""Work entries of one computed day (issue 21): a B4 day record -> typed time pieces.

Odoo's payroll reads *work entries* (type, start, stop). This module turns one daily record of
the engine (B4, ``zk_rules.engine``) into pieces of time that never overlap, each with a kind
whose payroll code a salary rule can use:

* worked time: ``regular`` (presence in schedule less the deducted break, E8.5) and
  overtime by kind (E8.9/E8.11; only **approved** minutes, E9.1, the rest is
  ``ot_unapproved``); the part of each worked piece inside the night window is its ``_night``
  variant (E8.13), so a salary rule sees regular and overtime hours and, apart, night hours;
* missing time on a workday: ``late`` and ``undertime`` where the company deducts them
  (``EntryRules``), ``absence`` on a scheduled day without punches (E10.2 ``absent``).

Leave (paid, unpaid, CTO) is not made here: Odoo makes its leave entries itself; missing time
is placed outside ``leave_spans`` so the two never overlap.

Where a figure is not a place on the clock, a choice: the deducted break (E8.4) and any
overtime not approved are taken from the middle and the end of their time, and the
proportional break share of the night (E8.13) moves a few minutes of night label at the edge
of the night time. Durations therefore always equal the engine's figures, which the agreement
check (``export_totals`` / ``entry_totals``) compares with the payroll CSV.

All arithmetic is on whole UTC minutes (E0.1, E0.2); pieces are split at local midnight of the
employee's zone, as Odoo splits its own entries per day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from zk_rules.payroll.inputs import parse_line

Span = tuple[int, int]

#: kind -> payroll code of the work-entry type (the addon's data records carry the same codes)
KIND_CODES = {
    "regular": "WORK100",  # Odoo's own attendance type
    "regular_night": "ZKNIGHT",
    "ot_workday": "ZKOTWD",
    "ot_workday_night": "ZKOTWDN",
    "ot_rest_day": "ZKOTRD",
    "ot_rest_day_night": "ZKOTRDN",
    "ot_holiday_regular": "ZKOTHR",
    "ot_holiday_regular_night": "ZKOTHRN",
    "ot_holiday_special": "ZKOTHS",
    "ot_holiday_special_night": "ZKOTHSN",
    "ot_unapproved": "ZKOTNA",
    "ot_unapproved_night": "ZKOTNAN",
    "late": "ZKLATE",
    "undertime": "ZKUNDER",
    "absence": "ZKABS",
}
CODE_KINDS = {code: kind for kind, code in KIND_CODES.items()}

#: the quantities both sides are compared on (names of the payroll CSV's minute columns,
#: plus the deductions as the work entries carry them)
CHECK_COLUMNS = (
    "regular",
    "ot_workday",
    "ot_rest_day",
    "ot_holiday_regular",
    "ot_holiday_special",
    "night",
    "late_deducted",
    "undertime_deducted",
    "absence",
    "leave",
)


@dataclass(frozen=True, slots=True)
class EntryRules:
    """What the company deducts, and the E8.9 keys that decide which pieces are overtime."""

    deduct_late: bool = False
    deduct_undertime: bool = False
    overtime_threshold_minutes: int = 30
    count_early_arrival: bool = False
    night_start: str = "22:00"
    night_end: str = "06:00"


@dataclass(frozen=True, slots=True)
class WorkEntry:
    kind: str
    start: datetime  # aware, UTC
    stop: datetime

    @property
    def code(self) -> str:
        return KIND_CODES[self.kind]

    @property
    def minutes(self) -> int:
        return int((self.stop - self.start).total_seconds() // 60)


# --------------------------------------------------------------------------- time helpers


def _minute(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp()) // 60


def _local_minute(day: date, hhmm: str, zone: ZoneInfo) -> int:
    """A schedule time of `day` as a UTC minute (fold=0, E0.3); 24:00 is the next midnight."""
    if hhmm == "24:00":
        moment = datetime.combine(day + timedelta(days=1), time.min, zone)
    else:
        moment = datetime.combine(day, time.fromisoformat(hhmm), zone)
    return int(moment.timestamp()) // 60


def _to_datetime(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def _union(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _clip(spans: Iterable[Span], low: int | None, high: int | None) -> list[Span]:
    out = []
    for start, end in spans:
        start = start if low is None else max(start, low)
        end = end if high is None else min(end, high)
        if end > start:
            out.append((start, end))
    return out


def _minus(spans: Iterable[Span], holes: Iterable[Span]) -> list[Span]:
    """spans with the holes cut out (both lists of disjoint spans)."""
    result = list(spans)
    for low, high in _union(holes):
        nxt = []
        for start, end in result:
            if end <= low or start >= high:
                nxt.append((start, end))
                continue
            if start < low:
                nxt.append((start, low))
            if end > high:
                nxt.append((high, end))
        result = nxt
    return result


def _length(spans: Iterable[Span]) -> int:
    return sum(end - start for start, end in spans)


def _trim(spans: list[Span], target: int) -> list[Span]:
    """Keep `target` minutes of the spans: the excess is taken out of the middle of their
    time (where an unpunched break or the unpaid part of a day most likely is)."""
    total = _length(spans)
    excess = total - max(target, 0)
    if excess <= 0:
        return list(spans)
    cut_from = (total - excess) // 2  # minutes kept before the cut
    kept, seen = [], 0
    cut_to = cut_from + excess
    for start, end in spans:
        length = end - start
        # part of this span before the cut, and after it, on the worked-minute axis
        before = min(max(cut_from - seen, 0), length)
        after = min(max(seen + length - cut_to, 0), length)
        if before:
            kept.append((start, start + before))
        if after:
            kept.append((end - after, end))
        seen += length
    return kept


def _take(spans: list[Span], minutes: int) -> tuple[list[Span], list[Span]]:
    """The first `minutes` of the spans in time order, and the rest."""
    first, rest, left = [], [], max(minutes, 0)
    for start, end in spans:
        if left <= 0:
            rest.append((start, end))
            continue
        cut = min(end, start + left)
        first.append((start, cut))
        left -= cut - start
        if cut < end:
            rest.append((cut, end))
    return first, rest


# --------------------------------------------------------------------------- the day


def approved_by_kind(lines: Iterable[Any]) -> dict[str, int]:
    """Approved minutes per overtime kind, read as the payroll export reads them (E9.1)."""
    result: dict[str, int] = defaultdict(int)
    for index, line in enumerate(lines):
        parsed = parse_line(line, f"overtime_lines[{index}]")
        result[parsed.kind] += parsed.payable_minutes
    return dict(result)


def day_entries(
    day: Mapping[str, Any],
    *,
    timezone: str,
    segments: Sequence[Sequence[str]] = (),
    approved: Mapping[str, int] | None = None,
    holiday_kind: str | None = None,
    leave_spans: Iterable[tuple[datetime, datetime]] = (),
    rules: EntryRules = EntryRules(),  # noqa: B008 (frozen, shared safely)
) -> list[WorkEntry]:
    """The work entries of one day record (B4 dict), sorted by start, split at midnight.

    `segments` are the day's schedule segments (engine form, ``[["08:00", "17:00"]]``),
    `approved` the approved overtime minutes per kind (``approved_by_kind``),
    `holiday_kind` ``regular``/``special`` on a holiday, `leave_spans` the employee's leave
    time of the day (aware datetimes) that missing time must not cover.
    """
    zone = ZoneInfo(timezone)
    work_date = date.fromisoformat(day["work_date"])
    approved = approved or {}
    closed = _union(
        (_minute(iv["start"]), _minute(iv["end"]))
        for iv in day.get("intervals") or ()
        if iv.get("start") and iv.get("end")
    )
    segs = [
        (
            _local_minute(work_date, start, zone),
            _local_minute(work_date + timedelta(days=1) if end <= start else work_date, end, zone),
        )
        for start, end in segments
    ]
    day_type = day.get("day_type")
    pieces: list[tuple[str, int, int]] = []
    if day_type == "workday" and segs:
        pieces += _workday_worked(day, closed, segs, approved, rules)
        pieces += _missing_time(day, closed, segs, leave_spans, rules)
    elif closed:
        kind = "rest_day" if day_type == "rest_day" else "holiday"
        overtime = (day.get("overtime_minutes") or {}).get(kind) or 0
        label = kind if kind == "rest_day" else f"holiday_{holiday_kind or 'regular'}"
        pieces += _overtime(_trim(closed, overtime), label, approved.get(kind, 0))
    pieces = _night_labels(pieces, day.get("night_minutes") or 0, work_date, zone, rules)
    return _split_at_midnight(pieces, zone)


def _workday_worked(day, closed, segs, approved, rules) -> list[tuple[str, int, int]]:
    """Regular time (P ∩ S less the deducted break) and the overtime pieces (E8.9)."""
    in_schedule = _union(p for low, high in segs for p in _clip(closed, low, high))
    regular = _trim(in_schedule, day.get("regular_minutes") or 0)
    first_start, last_end = segs[0][0], segs[-1][1]
    threshold = rules.overtime_threshold_minutes
    overtime: list[Span] = []
    post = _clip(closed, last_end, None)
    if post and _length(post) >= threshold:
        overtime += post
    gaps = [(segs[i][1], segs[i + 1][0]) for i in range(len(segs) - 1)]
    inter = [p for low, high in gaps for p in _clip(closed, low, high)]
    if inter and _length(inter) >= threshold:
        overtime += inter
    pre = _clip(closed, None, first_start)
    if rules.count_early_arrival and pre and _length(pre) >= threshold:
        overtime += pre
    total = (day.get("overtime_minutes") or {}).get("workday") or 0
    overtime = _trim(_union(overtime), total)
    return [("regular", s, e) for s, e in regular] + _overtime(
        overtime, "workday", approved.get("workday", 0)
    )


def _overtime(spans: list[Span], label: str, approved: int) -> list[tuple[str, int, int]]:
    """The first approved minutes of the overtime are paid as its kind, the rest is not."""
    paid, rest = _take(spans, approved)
    return [(f"ot_{label}", s, e) for s, e in paid] + [("ot_unapproved", s, e) for s, e in rest]


def _missing_time(day, closed, segs, leave_spans, rules) -> list[tuple[str, int, int]]:
    """Absence (no punch on a scheduled day) or deducted lateness and undertime."""
    undertime = day.get("undertime_minutes") or 0
    if undertime <= 0:
        return []
    leave = [(int(a.timestamp()) // 60, int(b.timestamp()) // 60) for a, b in leave_spans]
    if day.get("status") == "absent":
        return [("absence", s, e) for s, e in _trim(_minus(segs, leave), undertime)]
    if not (rules.deduct_late or rules.deduct_undertime):
        return []
    cover = list(closed)
    for iv in day.get("intervals") or ():  # open ones: the time after the punch is unknown
        if iv.get("start") and not iv.get("end"):
            cover.append((_minute(iv["start"]), segs[-1][1]))
        elif iv.get("end") and not iv.get("start"):
            cover.append((segs[0][0], _minute(iv["end"])))
    missing = _minus(_minus(segs, _union(cover)), leave)
    seg_starts = {low for low, _high in segs}
    seg_ends = {high for _low, high in segs}
    late_spans = [span for span in missing if span[0] in seg_starts]
    early = [span for span in missing if span[0] not in seg_starts and span[1] in seg_ends]
    inner = [span for span in missing if span[0] not in seg_starts and span[1] not in seg_ends]
    late = min(day.get("late_in_minutes") or 0, undertime)
    pieces = []
    if rules.deduct_late and late:
        taken, _rest = _take(late_spans, late)
        pieces += [("late", s, e) for s, e in taken]
    rest = undertime - late
    if rules.deduct_undertime and rest > 0:
        # early departure first (it is where it is), then long breaks from the middle
        from_early = min(rest, _length(early))
        taken = _keep_last(early, from_early)
        pieces += [("undertime", s, e) for s, e in taken]
        pieces += [("undertime", s, e) for s, e in _trim(inner, rest - from_early)]
    return pieces


def _keep_last(spans: list[Span], minutes: int) -> list[Span]:
    """The last `minutes` of the spans in time order."""
    kept, left = [], minutes
    for start, end in reversed(spans):
        if left <= 0:
            break
        cut = max(start, end - left)
        kept.insert(0, (cut, end))
        left -= end - cut
    return kept


def _night_windows(work_date: date, zone: ZoneInfo, rules: EntryRules) -> list[Span]:
    if rules.night_start == rules.night_end:
        return []
    windows = []
    for offset in range(-1, 3):
        day = work_date + timedelta(days=offset)
        start = _local_minute(day, rules.night_start, zone)
        end_day = day + timedelta(days=1) if rules.night_end <= rules.night_start else day
        windows.append((start, _local_minute(end_day, rules.night_end, zone)))
    return windows


def _night_labels(pieces, night: int, work_date, zone, rules) -> list[tuple[str, int, int]]:
    """Worked pieces inside the night window become their `_night` kind, `night` minutes in
    all (E8.13's figure, whose break share is not a place on the clock)."""
    windows = _night_windows(work_date, zone, rules)
    worked = [p for p in pieces if p[0] == "regular" or p[0].startswith("ot_")]
    others = [p for p in pieces if p not in worked]
    labelled: list[tuple[str, int, int, bool]] = []
    for kind, start, end in sorted(worked, key=lambda p: p[1]):
        cuts = sorted({start, end, *[t for w in windows for t in w if start < t < end]})
        for low, high in zip(cuts, cuts[1:], strict=False):
            at_night = any(w0 <= low and high <= w1 for w0, w1 in windows)
            labelled.append((kind, low, high, at_night))
    have = sum(high - low for _k, low, high, n in labelled if n)
    labelled = _shift_night(labelled, have - night)
    out = [(f"{k}_night" if n else k, low, high) for k, low, high, n in labelled]
    return out + others


def _shift_night(labelled, excess: int):
    """Move `excess` minutes of night label to day (excess > 0) or day to night (< 0), at the
    latest minutes first."""
    if not excess:
        return labelled
    source = excess > 0
    left = abs(excess)
    result = list(labelled)
    for index in range(len(result) - 1, -1, -1):
        kind, low, high, night = result[index]
        if night != source or left <= 0:
            continue
        cut = max(low, high - left)
        left -= high - cut
        replaced = [(kind, cut, high, not night)]
        if cut > low:
            replaced.insert(0, (kind, low, cut, night))
        result[index:index + 1] = replaced
    return result


def _split_at_midnight(pieces, zone: ZoneInfo) -> list[WorkEntry]:
    """Cut at each local midnight; join touching pieces of one kind within a day."""
    entries: list[tuple[str, int, int]] = []
    for kind, start, end in sorted(pieces, key=lambda p: (p[1], p[2])):
        while start < end:
            local = _to_datetime(start).astimezone(zone)
            midnight = int(datetime.combine(local.date() + timedelta(days=1), time.min,
                                            zone).timestamp()) // 60
            stop = min(end, midnight)
            at_midnight = local.time() == time.min
            if entries and entries[-1][0] == kind and entries[-1][2] == start \
                    and not at_midnight:
                entries[-1] = (kind, entries[-1][1], stop)
            else:
                entries.append((kind, start, stop))
            start = stop
    return [WorkEntry(kind, _to_datetime(s), _to_datetime(e)) for kind, s, e in entries]


# --------------------------------------------------------------------------- agreement


def _column_of(kind: str) -> list[str]:
    """The check columns an entry kind counts toward."""
    base = kind.removesuffix("_night")
    columns = ["night"] if kind.endswith("_night") else []
    if base == "regular" or (base.startswith("ot_") and base != "ot_unapproved"):
        columns.append(base)
    elif base in ("late", "undertime"):
        columns.append(f"{base}_deducted")
    elif base in ("absence", "leave"):
        columns.append(base)
    return columns


def entry_totals(entries: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """{(employee code, column): minutes} from (employee code, kind, minutes) of the entries;
    kind ``leave`` for Odoo's leave entries."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for employee, kind, minutes in entries:
        for column in _column_of(kind):
            totals[employee, column] += minutes
    return dict(totals)


def export_totals(
    rows: Iterable[Mapping[str, str]], rules: EntryRules
) -> dict[tuple[str, str], int]:
    """{(employee code, column): minutes} from the payroll CSV's **day** rows written in
    minutes (``zk-payroll-csv/1``), with the deductions the company makes (as the entries)."""
    totals: dict[tuple[str, str], int] = defaultdict(int)

    def number(row, name):
        value = row.get(name) or ""
        return int(value) if value else 0

    for row in rows:
        code = row["employee_code"]
        for column in ("regular", "ot_workday", "ot_rest_day", "ot_holiday_regular",
                       "ot_holiday_special", "night"):
            totals[code, column] += number(row, f"{column}_minutes")
        totals[code, "leave"] += sum(
            int(v) for k, v in row.items() if k.startswith("leave_") and k.endswith(
                "_minutes") and v)
        undertime = number(row, "undertime_minutes")
        if row.get("status") == "absent":
            totals[code, "absence"] += undertime
            continue
        late = min(number(row, "late_in_minutes"), undertime)
        if rules.deduct_late:
            totals[code, "late_deducted"] += late
        if rules.deduct_undertime:
            totals[code, "undertime_deducted"] += undertime - late
    return dict(totals)


def disagreements(
    export: Mapping[tuple[str, str], int], entries: Mapping[tuple[str, str], int]
) -> list[tuple[str, str, int, int]]:
    """(employee code, column, export minutes, work-entry minutes) where they differ."""
    keys = sorted(set(export) | set(entries))
    return [
        (code, column, export.get((code, column), 0), entries.get((code, column), 0))
        for code, column in keys
        if export.get((code, column), 0) != entries.get((code, column), 0)
    ]
