"""CTO bank debits in force, from the bank's ledger (C9 ``use``, C10 ``use_cancel``).

A CTO leave that is approved writes one ``use`` entry per (date, lot), dated the leave date. If
it is cancelled or refused later, C10 writes one ``use_cancel`` per ``use``, dated the day of
the cancellation, not the leave date: netting the entries by date would keep a cancelled leave
on its date. What counts is the sequence of each request: a ``use_cancel`` gives back every
``use`` of the request written before it; ``use`` entries written after it (the request
approved again) are in force. The payroll export reads the result on the leave dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from zk_rules.payroll.inputs import PayrollInputError, require_date, require_int

USE, USE_CANCEL = "use", "use_cancel"


def active_cto_uses(entries: Iterable[Mapping[str, Any]],
                    field: str = "entries") -> list[dict[str, Any]]:
    """``[{date, lot, minutes, ref}]`` (minutes > 0, merged per date, lot and ref, sorted) of
    the ``use`` entries still in force among one employee's ledger ``entries``.

    Each entry: ``{seq, type, date, lot, minutes, ref}`` with ``minutes`` signed as in the
    ledger (a ``use`` is negative). Other entry types are ignored.
    """
    by_ref: dict[Any, list[tuple[int, str, Mapping[str, Any]]]] = {}
    for index, entry in enumerate(entries):
        sub = f"{field}[{index}]"
        if not isinstance(entry, Mapping):
            raise PayrollInputError(sub, f"must be an object, got {type(entry).__name__}")
        kind = entry.get("type")
        if kind not in (USE, USE_CANCEL):
            continue
        seq = require_int(entry.get("seq"), f"{sub}.seq")
        ref = entry.get("ref")
        if ref is None or ref == "":
            raise PayrollInputError(f"{sub}.ref", "a CTO use names its request")
        by_ref.setdefault(ref, []).append((seq, sub, entry))
    merged: dict[tuple[str, str, str], int] = {}
    for ref, items in by_ref.items():
        active: list[tuple[str, Mapping[str, Any]]] = []
        for _seq, sub, entry in sorted(items, key=lambda item: item[0]):
            if entry["type"] == USE_CANCEL:
                active = []  # C10: the request's debits so far are given back
            else:
                active.append((sub, entry))
        for sub, entry in active:
            day = require_date(entry.get("date"), f"{sub}.date").isoformat()
            lot = entry.get("lot")
            if not isinstance(lot, str) or not lot:
                raise PayrollInputError(f"{sub}.lot", f"must be a lot id, got {lot!r}")
            minutes = -require_int(entry.get("minutes"), f"{sub}.minutes", minimum=None)
            if minutes <= 0:
                raise PayrollInputError(f"{sub}.minutes",
                                        f"a use debits the bank (< 0), got {-minutes}")
            key = (day, lot, str(ref))
            merged[key] = merged.get(key, 0) + minutes
    return [{"date": day, "lot": lot, "minutes": minutes, "ref": ref}
            for (day, lot, ref), minutes in sorted(merged.items())]
