"""Small builders for CTO bank events and documents (G2 shapes)."""

from __future__ import annotations

from typing import Any

from zk_rules.cto import CtoBank


def ot(ref, work_date, minutes, kind="workday", status="approved", **extra) -> dict[str, Any]:
    return {
        "type": "overtime",
        "ref": ref,
        "work_date": work_date,
        "kind": kind,
        "approved_minutes": minutes,
        "status": status,
        **extra,
    }


def req(ref, dates, minutes_per_day=240, state="approved", **extra) -> dict[str, Any]:
    return {
        "type": "cto_request",
        "ref": ref,
        "dates": list(dates),
        "minutes_per_day": minutes_per_day,
        "state": state,
        **extra,
    }


def revoke(ref, day) -> dict[str, Any]:
    return {"type": "overtime_revoked", "ref": ref, "date": day}


def cancel(ref, day) -> dict[str, Any]:
    return {"type": "cto_cancelled", "ref": ref, "date": day}


def separation(day) -> dict[str, Any]:
    return {"type": "separation", "date": day}


def bank_with(events, policy=None, opening=()) -> CtoBank:
    bank = CtoBank(policy)
    bank.add_opening_lots(list(opening))
    for event in events:
        bank.apply(event)
    return bank


def rows(bank: CtoBank, *types: str) -> list[tuple]:
    """(type, date, minutes, lot, ref) of the ledger, optionally only some types."""
    return [
        (e.type, e.date.isoformat(), e.minutes, e.lot, e.ref)
        for e in bank.ledger
        if not types or e.type in types
    ]


def remaining(bank: CtoBank) -> dict[str, int]:
    return {lot.lot: lot.remaining for lot in bank.lots}
