"""Fixtures of the payroll export tests: plain B4-shaped dicts, as the Odoo addon passes them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "golden"
PERIOD = ("2025-03-01", "2025-03-15")


def day(work_date: str, **over: Any) -> dict[str, Any]:
    """A compliant 8-hour workday (B4 fields the export reads); keywords override."""
    record = {
        "work_date": work_date,
        "day_type": "workday",
        "status": "compliant",
        "exceptions": [],
        "provisional": False,
        "regular_minutes": 480,
        "overtime_lines": [],
        "night_minutes": 0,
        "late_in_minutes": 0,
        "early_out_minutes": 0,
        "undertime_minutes": 0,
        "leave_minutes": 0,
        "missing": {"check_in": False, "check_out": False, "break": False},
    }
    record.update(over)
    return record


def employee(code: str, name: str, days: list, cto_uses: list | None = None, **over: Any):
    bundle = {"code": code, "name": name, "company": "ACME PH", "days": days}
    if cto_uses is not None:
        bundle["cto_uses"] = cto_uses
    bundle.update(over)
    return bundle


def golden_employees() -> list[dict[str, Any]]:
    """The two employees x two days of the golden files (values worked by hand there)."""
    dela_cruz = employee(
        "E001",
        'Dela Cruz, "Jun"',
        [
            day(
                "2025-03-03",
                status="non_compliant",
                exceptions=["late_in", "undertime"],
                regular_minutes=430,
                overtime_lines=[{"kind": "workday", "minutes": 61, "status": "approved"}],
                late_in_minutes=50,
                undertime_minutes=50,
            ),
            day(
                "2025-03-04",
                status="absent",
                exceptions=["absent"],
                regular_minutes=0,
                late_in_minutes=None,
                early_out_minutes=None,
                undertime_minutes=480,
            ),
        ],
    )
    jose = employee(
        "E002",
        "José Müller-Núñez",
        [
            day(
                "2025-03-03",
                day_type="holiday",
                holiday_kind="special",
                status="holiday_work",
                regular_minutes=0,
                overtime_lines=[
                    {
                        "kind": "holiday",
                        "minutes": 300,
                        "status": "approved",
                        "approved_minutes": 250,
                    }
                ],
                night_minutes=20,
            ),
            day(
                "2025-03-04",
                status="on_leave",
                regular_minutes=0,
                leave_minutes=480,
                leaves=[{"kind": "cto", "minutes": 480}],
            ),
        ],
        cto_uses=[
            {"date": "2025-03-04", "lot": "L3", "minutes": 240, "ref": "CTO/0007"},
            {"date": "2025-03-04", "lot": "L1", "minutes": 240, "ref": "CTO/0007"},
        ],
    )
    return [jose, dela_cruz]  # not in code order on purpose


def golden_employees_with_newcomer() -> list[dict[str, Any]]:
    """The golden pair plus E003, who has no day record in the period (a CJK name)."""
    return [*golden_employees(), employee("E003", "李小龍", [])]


def corrected_employees() -> list[dict[str, Any]]:
    """After issue: E001's absent day was recomputed as a full day, E002's holiday record
    was withdrawn, E003 got a rest day."""
    jose, dela_cruz, newcomer = copy.deepcopy(golden_employees_with_newcomer())
    dela_cruz["days"][1] = day("2025-03-04")
    del jose["days"][0]
    newcomer["days"] = [day("2025-03-03", day_type="rest_day", status="off", regular_minutes=0)]
    return [jose, dela_cruz, newcomer]


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()
