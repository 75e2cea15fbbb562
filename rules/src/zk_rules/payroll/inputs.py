"""Typed, validated inputs of the payroll export (plain data, no Odoo).

The Odoo addon passes one mapping per employee::

    {"code": "E001", "name": "Ana Núñez", "company": "ACME PH",
     "days": [<B4 record dict> + {"holiday_kind", "leaves", overtime_lines[].approved_minutes}],
     "cto_uses": [{"date", "lot", "minutes", "ref"}]}

Every bad value raises :class:`PayrollInputError` (a ``ValueError``) whose message starts with the
path of the field (``employees[1].days[3].overtime_lines[0].approved_minutes: ...``).
Text is normalised to Unicode NFC so that the same name always gives the same bytes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from zk_rules.inputs import Checks, FieldError

DAY_TYPES = ("workday", "rest_day", "holiday")
OVERTIME_KINDS = DAY_TYPES  # an overtime line's kind is the day type it was worked on (E8.9/E8.11)
STATUSES = (
    "compliant",
    "non_compliant",
    "incomplete",
    "absent",
    "on_leave",
    "off",
    "holiday",
    "rest_day_work",
    "holiday_work",
)
LINE_STATUSES = ("approved", "to_approve", "refused")
HOLIDAY_KINDS = ("regular", "special")
LEAVE_KIND = re.compile(r"[a-z][a-z0-9_]*")
# A lot id is printed inside the ``cto_lots_minutes`` field as ``LOT:MINUTES|LOT:MINUTES``.
_LOT_FORBIDDEN = re.compile(r"[|:\x00-\x1f\x7f]")


class PayrollInputError(FieldError):
    """A payroll export input that breaks the documented shape; the message names the field."""


# --------------------------------------------------------------------------- field checks

_checks = Checks(PayrollInputError)
require_mapping = _checks.mapping
require_list = _checks.list
require_int = _checks.int
require_date = _checks.date


def optional_int(value: Any, field: str) -> int | None:
    return None if value is None else require_int(value, field)


def require_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise PayrollInputError(field, f"must be true or false, got {value!r}")
    return value


def require_text(value: Any, field: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise PayrollInputError(field, f"must be text, got {value!r}")
    text = unicodedata.normalize("NFC", value)
    if not allow_empty and not text.strip():
        raise PayrollInputError(field, "must not be empty")
    return text


def require_choice(value: Any, field: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise PayrollInputError(field, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def require_ref(value: Any, field: str) -> str | int:
    if isinstance(value, str) and value.strip():
        return unicodedata.normalize("NFC", value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PayrollInputError(field, f"must be a non-empty string or an integer, got {value!r}")


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a mapping key or an attribute (dataclasses, NamedTuples, engine records)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


# --------------------------------------------------------------------------- typed inputs


@dataclass(frozen=True, slots=True)
class Employee:
    """Who a row is about. ``code`` is the payroll key (Odoo: registration number or badge)."""

    code: str
    name: str
    company: str


@dataclass(frozen=True, slots=True)
class PayLine:
    """An overtime line after review (E9.1). Only ``approved`` lines are paid."""

    kind: str
    minutes: int
    status: str
    approved_minutes: int

    @property
    def payable_minutes(self) -> int:
        """Approved minutes; ``to_approve`` and ``refused`` lines pay 0 (E9.1, C1)."""
        return self.approved_minutes if self.status == "approved" else 0


@dataclass(frozen=True, slots=True)
class PayDay:
    """The B4 fields the export reads, plus ``holiday_kind`` (E3) and leave minutes by kind."""

    work_date: date
    day_type: str
    status: str
    provisional: bool
    holiday_kind: str | None
    regular_minutes: int
    overtime_lines: tuple[PayLine, ...]
    night_minutes: int
    late_in_minutes: int | None
    early_out_minutes: int | None
    undertime_minutes: int
    leave_minutes: int
    leaves: tuple[tuple[str, int], ...]  # (kind, minutes), kinds sorted, minutes > 0
    exceptions: tuple[str, ...] = ()
    missing_check_in: bool = False
    missing_check_out: bool = False

    def approved(self, kind: str) -> int:
        return sum(line.payable_minutes for line in self.overtime_lines if line.kind == kind)

    def to_canonical(self) -> dict[str, Any]:
        """The fields that determine the export, JSON-ready (for the inputs hash)."""
        return {
            "work_date": self.work_date.isoformat(),
            "day_type": self.day_type,
            "status": self.status,
            "provisional": self.provisional,
            "holiday_kind": self.holiday_kind,
            "regular_minutes": self.regular_minutes,
            "overtime_lines": [
                [line.kind, line.minutes, line.status, line.approved_minutes]
                for line in self.overtime_lines
            ],
            "night_minutes": self.night_minutes,
            "late_in_minutes": self.late_in_minutes,
            "early_out_minutes": self.early_out_minutes,
            "undertime_minutes": self.undertime_minutes,
            "leave_minutes": self.leave_minutes,
            "leaves": [list(item) for item in self.leaves],
        }


@dataclass(frozen=True, slots=True)
class CtoUse:
    """A CTO bank ``use`` entry (C9): minutes debited from ``lot`` for leave on ``date``."""

    date: date
    lot: str
    minutes: int
    ref: str | int | None

    def to_canonical(self) -> list[Any]:
        return [self.date.isoformat(), self.lot, self.minutes, self.ref]


@dataclass(frozen=True, slots=True)
class EmployeeDays:
    """One employee's days and CTO uses of a period, validated and sorted (days by date)."""

    employee: Employee
    days: tuple[PayDay, ...]
    cto_uses: tuple[CtoUse, ...]

    def to_canonical(self) -> dict[str, Any]:
        return {
            "code": self.employee.code,
            "name": self.employee.name,
            "company": self.employee.company,
            "days": [day.to_canonical() for day in self.days],
            "cto_uses": [use.to_canonical() for use in self.cto_uses],
        }


# --------------------------------------------------------------------------- parsing

_LINE_ORDER = {kind: i for i, kind in enumerate(OVERTIME_KINDS)}


def parse_line(value: Any, field: str) -> PayLine:
    if isinstance(value, PayLine):
        return value
    if not isinstance(value, Mapping) and not hasattr(value, "kind"):
        raise PayrollInputError(field, f"must be an object, got {type(value).__name__}")
    kind = require_choice(_get(value, "kind"), f"{field}.kind", OVERTIME_KINDS)
    minutes = require_int(_get(value, "minutes"), f"{field}.minutes")
    status = require_choice(_get(value, "status"), f"{field}.status", LINE_STATUSES)
    raw = _get(value, "approved_minutes")
    if raw is None:
        # A line approved without an amount is approved in full (E9.1 "approve all of it").
        approved = minutes if status == "approved" else 0
    else:
        approved = require_int(raw, f"{field}.approved_minutes")
        if approved > minutes:
            raise PayrollInputError(
                f"{field}.approved_minutes", f"must be <= minutes ({minutes}), got {approved}"
            )
    return PayLine(kind, minutes, status, approved)


def parse_leaves(value: Any, field: str) -> tuple[tuple[str, int], ...]:
    """``[{kind, minutes}]`` or ``{kind: minutes}`` → sorted ``((kind, minutes), ...)``."""
    if value is None:
        return ()
    totals: dict[str, int] = {}
    if isinstance(value, Mapping):
        # {kind: minutes}: the key is the kind, the value its minutes.
        items = [(k, v, f"{field}.{k}", f"{field}.{k}") for k, v in value.items()]
    else:
        items = []
        for i, item in enumerate(require_list(value, field)):
            sub = f"{field}[{i}]"
            item = require_mapping(item, sub)
            items.append((item.get("kind"), item.get("minutes"), f"{sub}.kind", f"{sub}.minutes"))
    for kind, minutes, kind_field, minutes_field in items:
        if not isinstance(kind, str) or not LEAVE_KIND.fullmatch(kind):
            raise PayrollInputError(
                kind_field, f"leave kind must match [a-z][a-z0-9_]*, got {kind!r}"
            )
        totals[kind] = totals.get(kind, 0) + require_int(minutes, minutes_field)
    return tuple(sorted((k, m) for k, m in totals.items() if m > 0))


def parse_day(value: Any, field: str) -> PayDay:
    """A B4 record (dict, or any object with the B4 attributes) plus the payroll extras."""
    if isinstance(value, PayDay):
        return value
    if not isinstance(value, Mapping):
        to_dict = getattr(value, "to_dict", None)
        if to_dict is None:
            raise PayrollInputError(field, f"must be an object, got {type(value).__name__}")
        value = to_dict()
    work_date = require_date(value.get("work_date"), f"{field}.work_date")
    day_type = require_choice(value.get("day_type"), f"{field}.day_type", DAY_TYPES)
    status = require_choice(value.get("status"), f"{field}.status", STATUSES)
    provisional = require_bool(value.get("provisional"), f"{field}.provisional")
    holiday_kind = value.get("holiday_kind")
    if day_type == "holiday":
        require_choice(holiday_kind, f"{field}.holiday_kind", HOLIDAY_KINDS)
    elif holiday_kind is not None:
        raise PayrollInputError(
            f"{field}.holiday_kind", f"must be null on a {day_type} (only holidays have a kind)"
        )
    lines_raw = require_list(value.get("overtime_lines", []), f"{field}.overtime_lines")
    lines = []
    seen: set[str] = set()
    for i, raw in enumerate(lines_raw):
        line = parse_line(raw, f"{field}.overtime_lines[{i}]")
        if line.kind in seen:
            raise PayrollInputError(f"{field}.overtime_lines[{i}].kind", f"{line.kind!r} twice")
        if line.kind != day_type:
            raise PayrollInputError(
                f"{field}.overtime_lines[{i}].kind",
                f"{line.kind!r} overtime on a {day_type} (E8.9/E8.11: the kind is the day type)",
            )
        seen.add(line.kind)
        lines.append(line)
    lines.sort(key=lambda line: _LINE_ORDER[line.kind])
    leave_minutes = require_int(value.get("leave_minutes"), f"{field}.leave_minutes")
    leaves = parse_leaves(value.get("leaves"), f"{field}.leaves")
    leave_sum = sum(m for _, m in leaves)
    if leave_sum != leave_minutes:
        raise PayrollInputError(
            f"{field}.leaves",
            f"minutes by kind add up to {leave_sum}, but leave_minutes is {leave_minutes}"
            " (pass the leave minutes of each kind as counted on this date, E4.3)",
        )
    missing = value.get("missing") or {}
    if not isinstance(missing, Mapping):
        missing = {
            "check_in": getattr(missing, "check_in", False),
            "check_out": getattr(missing, "check_out", False),
        }
    exceptions = value.get("exceptions") or ()
    return PayDay(
        work_date=work_date,
        day_type=day_type,
        status=status,
        provisional=provisional,
        holiday_kind=holiday_kind,
        regular_minutes=require_int(value.get("regular_minutes"), f"{field}.regular_minutes"),
        overtime_lines=tuple(lines),
        night_minutes=require_int(value.get("night_minutes"), f"{field}.night_minutes"),
        late_in_minutes=optional_int(value.get("late_in_minutes"), f"{field}.late_in_minutes"),
        early_out_minutes=optional_int(
            value.get("early_out_minutes"), f"{field}.early_out_minutes"
        ),
        undertime_minutes=require_int(value.get("undertime_minutes"), f"{field}.undertime_minutes"),
        leave_minutes=leave_minutes,
        leaves=leaves,
        exceptions=tuple(sorted(str(code) for code in exceptions)),
        missing_check_in=bool(missing.get("check_in", False)),
        missing_check_out=bool(missing.get("check_out", False)),
    )


def parse_cto_use(value: Any, field: str) -> CtoUse:
    """``{date, lot, minutes, ref}`` with minutes > 0, or a CTO ledger ``use`` entry.

    A ledger entry (``zk_rules.cto.LedgerEntry`` or its ``to_dict()``) carries ``type: "use"``
    and the signed balance effect (negative); any other entry type is refused: pass the uses
    of requests that are still active (a cancelled request's uses are left out).
    """
    if isinstance(value, CtoUse):
        return value
    if not isinstance(value, Mapping):
        if not hasattr(value, "lot"):
            raise PayrollInputError(field, f"must be an object, got {type(value).__name__}")
        value = {k: getattr(value, k, None) for k in ("date", "lot", "minutes", "ref", "type")}
    minutes = value.get("minutes")
    if value.get("type") is not None:
        if value["type"] != "use":
            raise PayrollInputError(
                f"{field}.type",
                f"only 'use' ledger entries are CTO used, got {value['type']!r}",
            )
        minutes = -require_int(minutes, f"{field}.minutes", minimum=None)
    lot = require_text(value.get("lot"), f"{field}.lot")
    if _LOT_FORBIDDEN.search(lot):
        raise PayrollInputError(f"{field}.lot", f"must not contain '|', ':' or controls: {lot!r}")
    ref = value.get("ref")
    return CtoUse(
        date=require_date(value.get("date"), f"{field}.date"),
        lot=lot,
        minutes=require_int(minutes, f"{field}.minutes", minimum=1),
        ref=None if ref is None else require_ref(ref, f"{field}.ref"),
    )


def parse_employee(value: Any, field: str, within: Any = None) -> EmployeeDays:
    """One employee bundle: ``{code, name, company, days[], cto_uses[]}``.

    ``within`` (a period, anything with ``start``/``end`` dates) refuses days outside it.
    """
    if isinstance(value, EmployeeDays):
        return value
    value = require_mapping(value, field)
    employee = Employee(
        code=require_text(value.get("code"), f"{field}.code"),
        name=require_text(value.get("name"), f"{field}.name"),
        company=require_text(value.get("company"), f"{field}.company"),
    )
    days: dict[date, PayDay] = {}
    for i, raw in enumerate(require_list(value.get("days", []), f"{field}.days")):
        day = parse_day(raw, f"{field}.days[{i}]")
        if within is not None and not within.start <= day.work_date <= within.end:
            raise PayrollInputError(
                f"{field}.days[{i}].work_date",
                f"{day.work_date} is outside the period {within.start}..{within.end}",
            )
        if day.work_date in days:
            raise PayrollInputError(
                f"{field}.days[{i}].work_date", f"{day.work_date} given twice for {employee.code}"
            )
        days[day.work_date] = day
    uses = []
    for i, raw in enumerate(require_list(value.get("cto_uses", []), f"{field}.cto_uses")):
        use = parse_cto_use(raw, f"{field}.cto_uses[{i}]")
        if use.date not in days:
            raise PayrollInputError(
                f"{field}.cto_uses[{i}].date",
                f"no day record of {employee.code} on {use.date} (CTO leave is on a record's date)",
            )
        uses.append(use)
    uses.sort(key=lambda u: (u.date, lot_sort_key(u.lot), str(u.ref), u.minutes))
    return EmployeeDays(employee, tuple(days[d] for d in sorted(days)), tuple(uses))


def parse_employees(
    values: Iterable[Any], field: str = "employees", within: Any = None
) -> tuple[EmployeeDays, ...]:
    """Validate every bundle; codes must be unique; result sorted by code (code-point order)."""
    if isinstance(values, Mapping | str | bytes):
        raise PayrollInputError(field, "must be a list of employees")
    seen: dict[str, int] = {}
    result = []
    for i, raw in enumerate(values):
        bundle = parse_employee(raw, f"{field}[{i}]", within)
        code = bundle.employee.code
        if code in seen:
            raise PayrollInputError(
                f"{field}[{i}].code", f"{code!r} already used by {field}[{seen[code]}]"
            )
        seen[code] = i
        result.append(bundle)
    result.sort(key=lambda b: b.employee.code)
    return tuple(result)


_DIGITS = re.compile(r"(\d+)")


def lot_sort_key(lot: str) -> tuple[Any, ...]:
    """Natural order of lot ids, so L2 comes before L10 (creation order, as in ``cto.lots``)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _DIGITS.split(lot) if p)
