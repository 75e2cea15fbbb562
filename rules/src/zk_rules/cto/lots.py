"""Lots (C7): one per credit, consumed FIFO by expiry (C9), expired (C8) or written off (C12).

FIFO order everywhere is (valid_until, earned_date, lot id); a lot that never expires sorts
last, and lot ids compare naturally so L2 comes before L10 (creation order).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from zk_rules.cto.inputs import CtoInputError, require_date, require_int, require_ref

NEW_LOT_ID = re.compile(r"L[1-9][0-9]*")
# C13: the ref of an opening lot, on the lot and on the entries naming it by its ref
# (opening, expire, forfeit).
OPENING_REF = "opening"
_DIGITS = re.compile(r"(\d+)")


@dataclass
class Lot:
    """A credit with its own validity. ``remaining`` is the only field that ever changes.

    ``closed_by`` is ``reverse`` or ``forfeit`` once the lot was taken back (C10) or written off
    (C12): minutes a cancelled request returns to such a lot leave it again at once.
    """

    lot: str
    ref: str | int | None
    earned_date: date
    valid_until: date | None
    credited: int
    remaining: int
    closed_by: str | None = None

    @property
    def expiry_day(self) -> date | None:
        """C8: the lot expires on valid_until + 1 day (None: never)."""
        return None if self.valid_until is None else self.valid_until + timedelta(days=1)

    def usable_on(self, day: date) -> bool:
        """C9.3: earned_date <= day <= valid_until."""
        return self.earned_date <= day and (self.valid_until is None or day <= self.valid_until)

    def to_dict(self) -> dict[str, Any]:
        """The G2 ``lots[]`` item."""
        return {
            "lot": self.lot,
            "ref": self.ref,
            "earned_date": self.earned_date.isoformat(),
            "valid_until": None if self.valid_until is None else self.valid_until.isoformat(),
            "credited": self.credited,
            "remaining": self.remaining,
        }

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any], field: str = "lot") -> Lot:
        """Rebuild a stored lot (the G2 ``lots[]`` shape)."""
        if isinstance(value, Lot):
            return Lot(**vars(value))
        valid_until = value.get("valid_until")
        credited = require_int(value.get("credited"), f"{field}.credited", minimum=1)
        return cls(
            lot=_lot_id(value.get("lot"), f"{field}.lot"),
            ref=None if value.get("ref") is None else require_ref(value["ref"], f"{field}.ref"),
            earned_date=require_date(value.get("earned_date"), f"{field}.earned_date"),
            valid_until=None
            if valid_until is None
            else require_date(valid_until, f"{field}.valid_until"),
            credited=credited,
            remaining=require_int(value.get("remaining", credited), f"{field}.remaining"),
        )


def _lot_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CtoInputError(field, f"must be a non-empty string, got {value!r}")
    return value


def lot_id_key(lot_id: str) -> tuple[Any, ...]:
    """Natural order of lot ids: text parts as text, digit runs as numbers (L2 < L10)."""
    parts = _DIGITS.split(lot_id)
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts))


def fifo_key(lot: Lot) -> tuple[Any, ...]:
    """(valid_until, earned_date, lot id), the one FIFO order of C8, C9 and C12."""
    return (lot.valid_until or date.max, lot.earned_date, lot_id_key(lot.lot))


def fifo(lots: Iterable[Lot]) -> list[Lot]:
    return sorted(lots, key=fifo_key)


def plan_usage(
    lots: Iterable[Lot], dates: Sequence[date], minutes_per_day: int
) -> list[tuple[date, Lot, int]] | None:
    """C9.3 without touching the lots: per date (ascending), take FIFO from lots usable then.

    Returns the (date, lot, minutes) debits, or None when any date cannot be fully covered:
    the caller then debits nothing (no partial debit, no overdraft).
    """
    ordered = fifo(lot for lot in lots if lot.remaining > 0)
    left = {lot.lot: lot.remaining for lot in ordered}
    plan: list[tuple[date, Lot, int]] = []
    for day in sorted(dates):
        need = minutes_per_day
        for lot in ordered:
            if need == 0:
                break
            if left[lot.lot] == 0 or not lot.usable_on(day):
                continue
            take = min(need, left[lot.lot])
            left[lot.lot] -= take
            need -= take
            plan.append((day, lot, take))
        if need:
            return None
    return plan


def parse_opening_lot(value: Any, field: str) -> tuple[str, date, int]:
    """C13 opening lot ``{lot, earned_date, minutes}``; new-lot ids (L1, L2, …) are reserved."""
    if not isinstance(value, Mapping):
        raise CtoInputError(field, f"must be an object, got {type(value).__name__}")
    lot_id = _lot_id(value.get("lot"), f"{field}.lot")
    if NEW_LOT_ID.fullmatch(lot_id):
        raise CtoInputError(
            f"{field}.lot", f"{lot_id!r} is reserved for new lots (L1, L2, …, C7); rename it"
        )
    earned = require_date(value.get("earned_date"), f"{field}.earned_date")
    minutes = require_int(value.get("minutes"), f"{field}.minutes", minimum=1)
    return lot_id, earned, minutes
