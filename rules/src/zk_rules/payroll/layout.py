"""The payroll CSV column layout (documented column by column in ``LAYOUT.md``).

Rows are built from validated inputs (:mod:`zk_rules.payroll.inputs`) as tuples of text cells,
ready for :mod:`zk_rules.payroll.batch` to write. Two granularities:

* ``day``: one row per employee and work date that has a record;
* ``period``: one row per employee of the batch (also with no day records: zeros), the sums of
  that employee's day rows (see LAYOUT.md, "Aggregation").

Minute measures are written as integer minutes or as decimal hours, ROUND_HALF_UP of the exact
quotient minutes / 60 to ``decimals`` places (a period row rounds the summed minutes once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from zk_rules.payroll.inputs import (
    LEAVE_KIND,
    EmployeeDays,
    PayDay,
    PayrollInputError,
    lot_sort_key,
    parse_employees,
    require_int,
)
from zk_rules.payroll.periods import Period

LAYOUT_VERSION = "zk-payroll-csv/1"
GRANULARITIES = ("day", "period")
SEPARATORS = (";", ",")
UNITS = ("hours", "minutes")
MAX_DECIMALS = 4
_CONFIG_KEYS = ("granularity", "separator", "unit", "decimals", "leave_kinds")
_RESERVED_LEAVE_KINDS = ("other",)

IDENTITY_COLUMNS = ("company", "employee_code", "employee_name")
DAY_COLUMNS = ("work_date", "day_type", "status", "holiday_kind")
PERIOD_COLUMNS = (
    "period_start",
    "period_end",
    "days",
    "workdays",
    "rest_days",
    "holidays_regular",
    "holidays_special",
)
COUNT_COLUMNS = ("provisional_days", "absent_days")
# Minute measures before the leave columns, then the leave columns, then cto_used.
MEASURES_BEFORE_LEAVE = (
    "regular",
    "ot_workday",
    "ot_rest_day",
    "ot_holiday_regular",
    "ot_holiday_special",
    "night",
    "late_in",
    "early_out",
    "undertime",
)
LOTS_COLUMN = "cto_lots_minutes"


@dataclass(frozen=True, slots=True)
class LayoutConfig:
    """The export settings of a company. Build it with :meth:`from_mapping` (validates)."""

    granularity: str = "day"
    separator: str = ";"
    unit: str = "hours"
    decimals: int = 2
    leave_kinds: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, value: Any = None, field: str = "config") -> LayoutConfig:
        """``{granularity, separator, unit, decimals, leave_kinds}``; missing keys = defaults."""
        if isinstance(value, LayoutConfig):
            return value
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise PayrollInputError(field, f"must be an object, got {type(value).__name__}")
        unknown = sorted(str(k) for k in value if k not in _CONFIG_KEYS)
        if unknown:
            raise PayrollInputError(
                f"{field}.{unknown[0]}", f"unknown key (allowed: {', '.join(_CONFIG_KEYS)})"
            )
        default = cls()
        checked = {}
        for key, choices in (
            ("granularity", GRANULARITIES),
            ("separator", SEPARATORS),
            ("unit", UNITS),
        ):
            raw = value.get(key, getattr(default, key))
            if raw not in choices:
                raise PayrollInputError(
                    f"{field}.{key}",
                    f"must be one of {', '.join(repr(c) for c in choices)}, got {raw!r}",
                )
            checked[key] = raw
        decimals = require_int(value.get("decimals", default.decimals), f"{field}.decimals")
        if decimals > MAX_DECIMALS:
            raise PayrollInputError(
                f"{field}.decimals", f"must be <= {MAX_DECIMALS}, got {decimals}"
            )
        raw_kinds = value.get("leave_kinds", ())
        if not isinstance(raw_kinds, list | tuple):
            raise PayrollInputError(f"{field}.leave_kinds", "must be a list of leave kinds")
        kinds: list[str] = []
        for i, kind in enumerate(raw_kinds):
            where = f"{field}.leave_kinds[{i}]"
            if not isinstance(kind, str) or not LEAVE_KIND.fullmatch(kind):
                raise PayrollInputError(where, f"must match [a-z][a-z0-9_]*, got {kind!r}")
            if kind in _RESERVED_LEAVE_KINDS:
                raise PayrollInputError(where, f"{kind!r} is reserved (leave_other column)")
            if kind in kinds:
                raise PayrollInputError(where, f"{kind!r} listed twice")
            kinds.append(kind)
        return cls(decimals=decimals, leave_kinds=tuple(kinds), **checked)

    def to_dict(self) -> dict[str, Any]:
        return {
            "granularity": self.granularity,
            "separator": self.separator,
            "unit": self.unit,
            "decimals": self.decimals,
            "leave_kinds": list(self.leave_kinds),
        }

    @property
    def minute_measures(self) -> tuple[str, ...]:
        """Measure names (without unit suffix), in column order."""
        leave = tuple(f"leave_{kind}" for kind in self.leave_kinds) + ("leave_other",)
        return MEASURES_BEFORE_LEAVE + leave + ("cto_used",)

    @property
    def suffix(self) -> str:
        return "_hours" if self.unit == "hours" else "_minutes"


def columns(config: LayoutConfig | Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The header of a file with this configuration."""
    config = LayoutConfig.from_mapping(config)
    lead = DAY_COLUMNS if config.granularity == "day" else PERIOD_COLUMNS
    measures = tuple(name + config.suffix for name in config.minute_measures)
    return IDENTITY_COLUMNS + lead + COUNT_COLUMNS + measures + (LOTS_COLUMN,)


def row_key(row: Sequence[str]) -> tuple[str, str]:
    """(employee_code, work_date or period_start): unique in a file, the file's sort order."""
    return (row[1], row[3])


# --------------------------------------------------------------------------- formatting


@lru_cache(maxsize=65536)
def hours_text(minutes: int, decimals: int = 2) -> str:
    """Decimal hours: ROUND_HALF_UP of the exact quotient ``minutes / 60`` to ``decimals``.

    Integer arithmetic: ``floor(minutes * 10**decimals / 60 + 1/2)`` (minutes >= 0), so
    61 -> ``1.02``, 50 -> ``0.83``, 3 -> ``0.05``, 0 -> ``0.00``.
    """
    scaled = (minutes * 10**decimals * 2 + 60) // 120
    if decimals == 0:
        return str(scaled)
    digits = str(scaled).rjust(decimals + 1, "0")
    return f"{digits[:-decimals]}.{digits[-decimals:]}"


def minutes_formatter(config: LayoutConfig):
    """The cell text of a minute measure (``None`` = unknown, an empty cell)."""
    if config.unit == "minutes":

        def fmt(minutes: int | None) -> str:
            return "" if minutes is None else str(minutes)

    else:
        decimals = config.decimals
        cache: dict[int | None, str] = {None: ""}

        def fmt(minutes: int | None) -> str:
            text = cache.get(minutes)
            if text is None:
                text = cache[minutes] = hours_text(minutes, decimals)
            return text

    return fmt


def lots_text(lots: Mapping[str, int]) -> str:
    """``L1:240|L2:120``: minutes by lot, natural lot order (L2 before L10); empty if none."""
    return "|".join(f"{lot}:{lots[lot]}" for lot in sorted(lots, key=lot_sort_key) if lots[lot])


# --------------------------------------------------------------------------- rows


def _day_values(day: PayDay, leave_kinds: tuple[str, ...], cto_used: int) -> list[int | None]:
    """Counts then minute measures of one day, in column order (None = unknown)."""
    holiday = day.approved("holiday")
    special = day.holiday_kind == "special"
    leave = dict(day.leaves)
    other = day.leave_minutes - sum(leave.get(kind, 0) for kind in leave_kinds)
    return [
        1 if day.provisional else 0,
        1 if day.status == "absent" else 0,
        day.regular_minutes,
        day.approved("workday"),
        day.approved("rest_day"),
        0 if special else holiday,
        holiday if special else 0,
        day.night_minutes,
        day.late_in_minutes,
        day.early_out_minutes,
        day.undertime_minutes,
        *(leave.get(kind, 0) for kind in leave_kinds),
        other,
        cto_used,
    ]


def _uses_by_date(bundle: EmployeeDays) -> dict[Any, dict[str, int]]:
    by_date: dict[Any, dict[str, int]] = {}
    for use in bundle.cto_uses:
        lots = by_date.setdefault(use.date, {})
        lots[use.lot] = lots.get(use.lot, 0) + use.minutes
    return by_date


def build_rows(
    period: Period | Any,
    employees: Iterable[Any],
    config: LayoutConfig | Mapping[str, Any] | None = None,
) -> list[tuple[str, ...]]:
    """Validate the inputs and return the data rows (no header), sorted by (code, date)."""
    config = LayoutConfig.from_mapping(config)
    period = Period.from_value(period)
    bundles = parse_employees(employees, within=period)
    return rows_from_bundles(period, bundles, config)


def rows_from_bundles(
    period: Period, bundles: Sequence[EmployeeDays], config: LayoutConfig
) -> list[tuple[str, ...]]:
    """Rows of already validated, sorted bundles (see :func:`build_rows`)."""
    fmt = minutes_formatter(config)
    kinds = config.leave_kinds
    n_counts = len(COUNT_COLUMNS)
    rows: list[tuple[str, ...]] = []
    for bundle in bundles:
        emp = bundle.employee
        ident = (emp.company, emp.code, emp.name)
        uses = _uses_by_date(bundle)
        if config.granularity == "day":
            for day in bundle.days:
                lots = uses.get(day.work_date, {})
                values = _day_values(day, kinds, sum(lots.values()))
                rows.append(
                    ident
                    + (day.work_date.isoformat(), day.day_type, day.status, day.holiday_kind or "")
                    + tuple(str(v) for v in values[:n_counts])
                    + tuple(fmt(v) for v in values[n_counts:])
                    + (lots_text(lots),)
                )
            continue
        totals = [0] * (n_counts + len(config.minute_measures))
        period_lots: dict[str, int] = {}
        day_types = {"workday": 0, "rest_day": 0, "regular": 0, "special": 0}
        for day in bundle.days:
            lots = uses.get(day.work_date, {})
            for lot, minutes in lots.items():
                period_lots[lot] = period_lots.get(lot, 0) + minutes
            day_types[day.holiday_kind or day.day_type] += 1
            for i, value in enumerate(_day_values(day, kinds, sum(lots.values()))):
                if value:  # None (unknown late/early) adds nothing
                    totals[i] += value
        rows.append(
            ident
            + (
                period.start.isoformat(),
                period.end.isoformat(),
                str(len(bundle.days)),
                str(day_types["workday"]),
                str(day_types["rest_day"]),
                str(day_types["regular"]),
                str(day_types["special"]),
            )
            + tuple(str(v) for v in totals[:n_counts])
            + tuple(fmt(v) for v in totals[n_counts:])
            + (lots_text(period_lots),)
        )
    rows.sort(key=row_key)
    return rows


def csv_cell(text: str, separator: str) -> str:
    """RFC 4180 quoting: a cell holding the separator, ``"``, CR or LF is enclosed in double
    quotes and its quotes are doubled; any other cell is written as is."""
    if separator in text or '"' in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text
