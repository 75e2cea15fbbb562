"""C14 report data as plain dicts; the Odoo addon only renders them.

* :func:`certificate_of_coc_earned`: the monthly *Certificate of COC Earned* of one employee
  (minutes earned, lots and their expiry, balance, cut minutes) [TEACHERPH] [CTO-FORM].
* :func:`expiry_warnings`: lots that expire within N days (default 60).
* :func:`movements_by_month`: earned / used / expired … per month, the per-period record
  C11 asks for (FLSA 553.50).

Inputs are the bank's lots and ledger, as objects or as stored dicts (G2 shapes).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from zk_rules.cto.bank import month_of
from zk_rules.cto.inputs import CtoInputError, require_int
from zk_rules.cto.ledger import ENTRY_TYPES, LedgerEntry
from zk_rules.cto.lots import Lot, fifo

DEFAULT_WARNING_DAYS = 60
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _lots(lots: Iterable[Lot | Mapping[str, Any]]) -> list[Lot]:
    return [Lot.from_mapping(item, f"lots[{i}]") for i, item in enumerate(lots)]


def _entries(ledger: Iterable[LedgerEntry | Mapping[str, Any]]) -> list[LedgerEntry]:
    return [LedgerEntry.from_mapping(item, f"ledger[{i}]") for i, item in enumerate(ledger)]


def month_bounds(month: str) -> tuple[date, date]:
    """``YYYY-MM`` -> (first day, last day)."""
    match = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CtoInputError("month", f"must be YYYY-MM, got {month!r}")
    year, number = int(match.group(1)), int(match.group(2))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def certificate_of_coc_earned(
    lots: Iterable[Lot | Mapping[str, Any]],
    ledger: Iterable[LedgerEntry | Mapping[str, Any]],
    month: str,
    *,
    as_of: date | None = None,
) -> dict[str, Any]:
    """C14 certificate of one employee-month, as the ledger stood on ``as_of``.

    ``as_of`` defaults to the last day of the month, so a certificate printed again later
    shows the same figures unless back-dated entries were recorded since. Figures are
    positive minutes; ``credited_minutes`` is the month's C4 total (opening + earned −
    reversed), ``lots`` are the lots earned in the month with what was left of them on
    ``as_of``.
    """
    start, end = month_bounds(month)
    as_of = end if as_of is None else as_of
    all_lots = _lots(lots)
    entries = [entry for entry in _entries(ledger) if entry.date <= as_of]
    in_month = [entry for entry in entries if start <= entry.date <= end]
    month_lots = {lot.lot for lot in all_lots if start <= lot.earned_date <= end}

    def total(kind: str, rows: Iterable[LedgerEntry] = in_month) -> int:
        return sum(entry.minutes for entry in rows if entry.type == kind)

    cut = {
        kind: sum(entry.uncredited_minutes or 0 for entry in in_month if entry.type == kind)
        for kind in ("cap_monthly", "cap_balance")
    }
    # A reversal lowers the month of the lot it reverses by the whole credit (G2).
    reversed_minutes = sum(
        entry.shortfall_minutes - entry.minutes
        for entry in entries
        if entry.type == "reverse" and entry.lot in month_lots
    )
    remaining: dict[str, int] = {}
    for entry in entries:
        if entry.lot is not None:
            remaining[entry.lot] = remaining.get(entry.lot, 0) + entry.minutes
    earned = total("earn")
    opening = total("opening")
    return {
        "month": month,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "as_of": as_of.isoformat(),
        "earned_minutes": earned,
        "opening_minutes": opening,
        "cut_minutes": {**cut, "total": cut["cap_monthly"] + cut["cap_balance"]},
        "reversed_minutes": reversed_minutes,
        "credited_minutes": earned + opening - reversed_minutes,
        "used_minutes": -(total("use") + total("use_cancel")),
        "expired_minutes": -total("expire"),
        "forfeited_minutes": -total("forfeit"),
        "lots": [
            {**lot.to_dict(), "remaining": remaining.get(lot.lot, 0)}
            for lot in fifo(lot for lot in all_lots if lot.lot in month_lots)
        ],
        "balance": sum(entry.minutes for entry in entries),
    }


def expiry_warnings(
    lots: Iterable[Lot | Mapping[str, Any]],
    today: date,
    within_days: int = DEFAULT_WARNING_DAYS,
) -> list[dict[str, Any]]:
    """Lots with minutes left that expire (valid_until + 1, C8) in 1..``within_days`` days.

    FIFO order, each the G2 lot plus ``expires_on`` and ``days_left``.
    """
    within_days = require_int(within_days, "within_days")
    horizon = today + timedelta(days=within_days)
    warnings = []
    for lot in fifo(_lots(lots)):
        expiry = lot.expiry_day
        if lot.remaining > 0 and expiry is not None and today < expiry <= horizon:
            warnings.append(
                {
                    **lot.to_dict(),
                    "expires_on": expiry.isoformat(),
                    "days_left": (expiry - today).days,
                }
            )
    return warnings


def movements_by_month(
    ledger: Iterable[LedgerEntry | Mapping[str, Any]],
) -> dict[str, dict[str, int]]:
    """Signed minutes per entry type per month of the entry date, plus ``uncredited``."""
    table: dict[str, dict[str, int]] = {}
    for entry in _entries(ledger):
        row = table.setdefault(
            month_of(entry.date), {**dict.fromkeys(ENTRY_TYPES, 0), "uncredited": 0}
        )
        row[entry.type] += entry.minutes
        row["uncredited"] += entry.uncredited_minutes or 0
    return dict(sorted(table.items()))
