"""Payroll export: a monthly period for 1,000 employees x 31 days (issue 9), plain module.

The inputs are the plain dicts the Odoo addon passes (B4 day records with reviewed overtime
lines, leave by kind, holiday kind, CTO uses), March 2025: workdays with late arrivals,
absences, incomplete days, approved / to-approve / refused overtime, rest-day work, a regular
and a special holiday, sick leave and CTO leave paid from two lots.

Measured, each the best of ``--repeat`` interleaved runs (seconds), and separately the peak of
``tracemalloc`` (Python allocations, the input dicts excluded since they exist before):

* ``build_batch`` per day (31,000 rows) and per period (1,000 rows): validation, rows,
  rendering, SHA-256 of the file and of the canonical JSON of the inputs;
* ``correction_batch`` (diff) of the per-day batch against a copy with 1 % of the days changed;
* the baseline: ``csv.writer`` writing the same per-day rows straight from the dicts (raw
  integers, no validation, no rounding, no hashing) and encoding them.

Prints a table; no assertions. Run: ``.venv/bin/python bench/payroll_bench.py``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import random
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from zk_rules.payroll import build_batch, correction_batch

PERIOD = ("2025-03-01", "2025-03-31")
MONTH = [date(2025, 3, 1) + timedelta(days=i) for i in range(31)]
HOLIDAYS = {date(2025, 3, 3): "regular", date(2025, 3, 17): "special"}
CONFIG = {"granularity": "day", "separator": ";", "unit": "hours", "leave_kinds": ["cto", "sick"]}


def _day(day: date, rng: random.Random) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    record: dict[str, Any] = {
        "work_date": day.isoformat(),
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
    uses: list[dict[str, Any]] = []
    roll = rng.random()
    if day in HOLIDAYS:
        record.update(
            day_type="holiday", holiday_kind=HOLIDAYS[day], status="holiday", regular_minutes=0
        )
        if roll < 0.2:
            record.update(
                status="holiday_work",
                overtime_lines=[
                    {
                        "kind": "holiday",
                        "minutes": 480,
                        "status": "approved",
                        "approved_minutes": 480,
                    }
                ],
            )
    elif day.weekday() >= 5:
        record.update(day_type="rest_day", status="off", regular_minutes=0)
        if roll < 0.1:
            record.update(
                status="rest_day_work",
                overtime_lines=[
                    {
                        "kind": "rest_day",
                        "minutes": 300,
                        "status": "approved",
                        "approved_minutes": 240,
                    }
                ],
                night_minutes=rng.randrange(0, 60),
            )
    elif roll < 0.03:
        record.update(
            status="absent",
            regular_minutes=0,
            late_in_minutes=None,
            early_out_minutes=None,
            undertime_minutes=480,
            exceptions=["absent"],
        )
    elif roll < 0.05:
        record.update(
            status="incomplete",
            provisional=True,
            early_out_minutes=None,
            missing={"check_in": False, "check_out": True, "break": False},
        )
    elif roll < 0.08:
        record.update(
            status="on_leave",
            regular_minutes=0,
            leave_minutes=480,
            leaves=[{"kind": "sick", "minutes": 480}],
        )
    elif roll < 0.10:
        record.update(
            status="on_leave",
            regular_minutes=0,
            leave_minutes=480,
            leaves=[{"kind": "cto", "minutes": 480}],
        )
        uses = [
            {"date": day.isoformat(), "lot": "L1", "minutes": 240, "ref": "CTO/1"},
            {"date": day.isoformat(), "lot": "L2", "minutes": 240, "ref": "CTO/1"},
        ]
    elif roll < 0.30:
        late = rng.randrange(1, 45)
        record.update(
            status="non_compliant",
            regular_minutes=480 - late,
            late_in_minutes=late,
            undertime_minutes=late,
            exceptions=["late_in", "undertime"],
        )
    if record["day_type"] == "workday" and rng.random() < 0.15:
        minutes = rng.randrange(30, 180)
        status = rng.choice(["approved", "approved", "to_approve", "refused"])
        record["overtime_lines"] = [
            {
                "kind": "workday",
                "minutes": minutes,
                "status": status,
                "approved_minutes": minutes if status == "approved" else 0,
            }
        ]
    return record, uses


def make_employees(count: int, seed: int = 9) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    employees = []
    for index in range(count):
        days, uses = [], []
        for day in MONTH:
            record, day_uses = _day(day, rng)
            days.append(record)
            uses.extend(day_uses)
        employees.append(
            {
                "code": f"E{index:05d}",
                "name": rng.choice(["Ana Núñez", "José Dela Cruz", "王小明", 'Ben "B" Reyes, Jr.']),
                "company": "ACME PH",
                "days": days,
                "cto_uses": uses,
            }
        )
    return employees


def baseline(employees: list[dict[str, Any]]) -> bytes:
    """csv.writer of the same per-day rows, values as they are (no checks, no rounding)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "company",
            "employee_code",
            "employee_name",
            "work_date",
            "day_type",
            "status",
            "regular",
            "overtime",
            "night",
            "late_in",
            "early_out",
            "undertime",
            "leave",
        ]
    )
    for emp in employees:
        for d in emp["days"]:
            lines = d["overtime_lines"]
            writer.writerow(
                [
                    emp["company"],
                    emp["code"],
                    emp["name"],
                    d["work_date"],
                    d["day_type"],
                    d["status"],
                    d["regular_minutes"],
                    lines[0]["minutes"] if lines else 0,
                    d["night_minutes"],
                    d["late_in_minutes"],
                    d["early_out_minutes"],
                    d["undertime_minutes"],
                    d["leave_minutes"],
                ]
            )
    return out.getvalue().encode("utf-8")


def best_time(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_mib(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    employees = make_employees(args.employees)
    day_batch = build_batch(PERIOD, employees, CONFIG)
    changed = make_employees(args.employees)
    rng = random.Random(1)
    for emp in changed:
        for record in emp["days"]:
            if rng.random() < 0.01:
                record["night_minutes"] += 30
    changed_batch = build_batch(PERIOD, changed, CONFIG)

    cases: dict[str, Callable[[], Any]] = {
        "baseline: csv.writer, raw values": lambda: baseline(employees),
        "build_batch per day": lambda: build_batch(PERIOD, employees, CONFIG),
        "build_batch per period": lambda: build_batch(
            PERIOD, employees, {**CONFIG, "granularity": "period"}
        ),
        "correction_batch diff (1 % changed)": lambda: correction_batch(
            day_batch.content, changed_batch, mode="diff"
        ),
    }
    sizes = {
        "baseline: csv.writer, raw values": len(baseline(employees)),
        "build_batch per day": len(day_batch.content),
        "build_batch per period": len(cases["build_batch per period"]().content),
        "correction_batch diff (1 % changed)": len(
            cases["correction_batch diff (1 % changed)"]().content
        ),
    }
    times = {name: float("inf") for name in cases}
    for _ in range(args.repeat):  # interleaved, best of N
        for name, fn in cases.items():
            times[name] = min(times[name], best_time(fn))
    peaks = {name: peak_mib(fn) for name, fn in cases.items()}

    days = sum(len(e["days"]) for e in employees)
    base = times["baseline: csv.writer, raw values"]
    print(
        f"payroll export: {args.employees} employees x 31 days = {days} employee-days, "
        f"best of {args.repeat}, one process"
    )
    print(f"{'case':40} {'seconds':>8} {'x baseline':>10} {'peak MiB':>9} {'file KiB':>9}")
    for name in cases:
        print(
            f"{name:40} {times[name]:8.3f} {times[name] / base:10.2f} "
            f"{peaks[name]:9.1f} {sizes[name] / 1024:9.0f}"
        )


if __name__ == "__main__":
    main()
