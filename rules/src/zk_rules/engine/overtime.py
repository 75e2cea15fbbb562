"""E9 overtime lines: one per kind with minutes > 0, awaiting approval unless policy says auto."""

from __future__ import annotations

from .model import OvertimeLine, OvertimeMinutes


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
