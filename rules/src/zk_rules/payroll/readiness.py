"""Readiness of a period for export: the days that still block it (issue 9).

A day blocks the export while it is provisional (E10.4: a missing punch, or punches on a day of
leave) or while one of its overtime lines is ``to_approve`` (E9.1: only approved minutes are
paid, so an undecided line would be paid 0 without anyone deciding so). Each blocking day comes
with reason codes and one sentence per reason that tells a person what to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from zk_rules.payroll.inputs import PayDay, parse_employees

KIND_WORDS = {"workday": "a workday", "rest_day": "a rest day", "holiday": "a holiday"}


@dataclass(frozen=True, slots=True)
class BlockingDay:
    """A day of ``employee_code`` that must be resolved before the period is exported."""

    employee_code: str
    employee_name: str
    company: str
    work_date: date
    codes: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        """All reasons as one text (for a list view or an error message)."""
        return " ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "employee_code": self.employee_code,
            "employee_name": self.employee_name,
            "company": self.company,
            "work_date": self.work_date.isoformat(),
            "codes": list(self.codes),
            "reason": self.reason,
        }


def _day_reasons(day: PayDay) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if day.provisional:
        if day.missing_check_in:
            found.append(
                (
                    "missing_check_in",
                    "No check-in punch: add the missing attendance (or correct it) and recompute "
                    "the day.",
                )
            )
        if day.missing_check_out:
            found.append(
                (
                    "missing_check_out",
                    "No check-out punch: add the missing attendance (or correct it) and recompute "
                    "the day.",
                )
            )
        if "worked_on_leave" in day.exceptions:
            found.append(
                (
                    "worked_on_leave",
                    f"Punches on a day of approved leave ({day.leave_minutes} min): shorten or "
                    "cancel the leave if the employee worked, or correct the attendance, then "
                    "recompute the day.",
                )
            )
        if not found:
            found.append(
                (
                    "provisional",
                    f"The day is provisional (status {day.status}): review its attendance and "
                    "recompute it.",
                )
            )
    for line in day.overtime_lines:
        if line.status == "to_approve":
            found.append(
                (
                    "overtime_to_approve",
                    f"Overtime of {line.minutes} min on {KIND_WORDS[line.kind]} waits for "
                    "approval: approve it, approve fewer minutes or refuse it.",
                )
            )
    return found


def blocking_days(employees: Iterable[Any]) -> list[BlockingDay]:
    """The days of these employee bundles (the shape :func:`build_batch` takes) that block
    the export, sorted by (employee_code, work_date). Empty list: the period may be exported."""
    blocked = []
    for bundle in parse_employees(employees):
        emp = bundle.employee
        for day in bundle.days:
            found = _day_reasons(day)
            if found:
                blocked.append(
                    BlockingDay(
                        employee_code=emp.code,
                        employee_name=emp.name,
                        company=emp.company,
                        work_date=day.work_date,
                        codes=tuple(code for code, _ in found),
                        reasons=tuple(text for _, text in found),
                    )
                )
    return blocked
