"""E9 overtime lines: one per kind with minutes > 0, awaiting approval unless policy says auto;
and E9.3, carrying managers' decisions over a recomputed day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .errors import EngineInputError
from .model import OVERTIME_KINDS, OvertimeLine, OvertimeMinutes
from .policy import non_negative_int

LINE_STATUSES = ("to_approve", "approved", "refused")


def overtime_lines(overtime: OvertimeMinutes, approval: str) -> tuple[OvertimeLine, ...]:
    """E9.1, ordered workday, rest_day, holiday (G1). Approval only ever reduces the minutes
    that reach payroll; nothing here offsets undertime (E9.2)."""
    status = "approved" if approval == "auto" else "to_approve"
    lines = []
    if overtime.workday > 0:
        lines.append(OvertimeLine("workday", overtime.workday, status))
    if overtime.rest_day > 0:
        lines.append(OvertimeLine("rest_day", overtime.rest_day, status))
    if overtime.holiday > 0:
        lines.append(OvertimeLine("holiday", overtime.holiday, status))
    return tuple(lines)


class ReviewedLine(NamedTuple):
    """An overtime line with the manager's decision carried over a recomputation (E9.1)."""

    kind: str
    minutes: int
    status: str
    approved_minutes: int


class Reconciliation(NamedTuple):
    """E9.3 outcome: the lines to store, and the kinds whose approved credit must be reversed
    (CTO C10) because their minutes changed or the line disappeared."""

    lines: tuple[ReviewedLine, ...]
    revoked_kinds: tuple[str, ...]


def _previous(line: Any, index: int) -> ReviewedLine:
    if isinstance(line, Mapping):
        get = line.get
    else:

        def get(key: str, default: Any = None) -> Any:
            return getattr(line, key, default)

    kind, minutes, status = get("kind"), get("minutes"), get("status")
    if kind not in OVERTIME_KINDS:
        raise EngineInputError(f"previous[{index}].kind", f"must be one of {OVERTIME_KINDS}")
    non_negative_int(minutes, f"previous[{index}].minutes")
    if status not in LINE_STATUSES:
        raise EngineInputError(f"previous[{index}].status", f"must be one of {LINE_STATUSES}")
    approved = get("approved_minutes")
    if approved is None:
        approved = minutes if status == "approved" else 0
    non_negative_int(approved, f"previous[{index}].approved_minutes")
    if approved > minutes:
        raise EngineInputError(f"previous[{index}].approved_minutes", "must be <= minutes")
    return ReviewedLine(kind, minutes, status, approved)


def reconcile_lines(
    previous: Iterable[Any], current: Iterable[OvertimeLine], approval: str = "manager"
) -> Reconciliation:
    """E9.3 on a recomputed day: a line whose minutes are unchanged keeps its decision
    (approved, with its approved minutes, or refused); a changed line starts over at the
    policy's status (``to_approve``, or ``approved`` in full under ``auto``). An approved line
    that changed or vanished is listed for reversal; nothing ever nets against undertime."""
    before = {}
    for index, line in enumerate(previous):
        old = _previous(line, index)
        before[old.kind] = old
    fresh = "approved" if approval == "auto" else "to_approve"
    lines = []
    revoked = []
    seen = set()
    for line in current:
        seen.add(line.kind)
        old = before.get(line.kind)
        if old is not None and old.minutes == line.minutes:
            lines.append(old)
            continue
        if old is not None and old.status == "approved" and old.approved_minutes > 0:
            revoked.append(line.kind)
        lines.append(
            ReviewedLine(line.kind, line.minutes, fresh, line.minutes if fresh == "approved" else 0)
        )
    for kind, old in before.items():
        if kind not in seen and old.status == "approved" and old.approved_minutes > 0:
            revoked.append(kind)
    order = {kind: index for index, kind in enumerate(OVERTIME_KINDS)}
    lines.sort(key=lambda line: order[line.kind])
    return Reconciliation(tuple(lines), tuple(sorted(revoked, key=order.__getitem__)))
