"""Daily engine throughput: employee-days per second on one core (issue 4).

A month (October 2025, which holds the Europe/Berlin autumn DST night) of 1,000 employees with
realistic punch patterns: day shifts with and without break punches, split shifts, night
shifts, double taps, forgotten punches, absences, overtime, leave, a public holiday, devices
that send correct statuses, all 0, or 255. Each employee's month is one ``compute_days`` call,
as the Odoo addon makes it.

The baseline runs the same loop doing only the parsing and time-zone conversion of the
punches (standard library: ``datetime.fromisoformat`` + ``zoneinfo``). Prints a table and,
per target (>= 20,000 employee-days/s and <= 5x the baseline, for ``compute_days``), whether
it was met; no assertions. Run: ``.venv/bin/python bench/engine_bench.py [--employees N]
[--repeat R]`` (the default, 1,000 employees best of 5, takes about 10 seconds).
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from zk_rules.engine import compute_days, parse_policy
from zk_rules.engine.intake import read_taps
from zk_rules.engine.localtime import zone_clock

MONTH_START = date(2025, 10, 1)
MONTH_DAYS = 31
ZONES = ("Asia/Manila", "Europe/Berlin", "America/New_York")
HOLIDAY = date(2025, 10, 3)
TARGET_RATE = 20_000  # employee-days per second (issue 4)
TARGET_TIMES_BASELINE = 5.0


def _stamp(day: date, minute_of_day: int, rng: random.Random) -> str:
    moment = datetime(day.year, day.month, day.day) + timedelta(
        minutes=minute_of_day, seconds=rng.randrange(60)
    )
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _employee(index: int, rng: random.Random) -> dict[str, Any]:
    """One employee's month as plain dicts, the shape the addon builds from Odoo records."""
    kind = rng.choices(("day", "split", "night"), weights=(7, 2, 1))[0]
    device = rng.choices(("statuses", "all_zero", "all_255"), weights=(5, 3, 2))[0]
    shifts = {
        "day": ([("08:00", "17:00")], 60, [(480, 1020)]),
        "split": ([("08:00", "12:00"), ("13:00", "17:00")], 0, [(480, 720), (780, 1020)]),
        "night": ([("22:00", "06:00")], 30, [(1320, 1800)]),
    }[kind]
    segments, unpaid, bounds = shifts
    schedule: dict[str, Any] = {}
    punches: list[dict[str, Any]] = []
    leaves: list[dict[str, Any]] = []
    next_id = index * 1000

    def punch(day: date, minute: int, status: int) -> None:
        nonlocal next_id
        next_id += 1
        code = {"statuses": status, "all_zero": 0, "all_255": 255}[device]
        punches.append({"id": next_id, "local_time": _stamp(day, minute, rng), "status": code})
        if rng.random() < 0.03:  # double tap
            next_id += 1
            punches.append({"id": next_id, "local_time": _stamp(day, minute, rng), "status": code})

    for offset in range(-1, MONTH_DAYS + 1):
        day = MONTH_START + timedelta(days=offset)
        if day.weekday() >= 5:
            if rng.random() < 0.05:  # some weekend work
                start = 540 + rng.randrange(-30, 30)
                punch(day, start, 0)
                punch(day, start + 240 + rng.randrange(60), 1)
            continue
        schedule[day.isoformat()] = {
            "segments": [list(pair) for pair in segments],
            "unpaid_break_minutes": unpaid,
        }
        roll = rng.random()
        if roll < 0.03:
            continue  # absent
        if roll < 0.06:
            leaves.append({"date": day.isoformat(), "minutes": 480, "kind": "paid"})
            continue
        first, last = bounds[0][0], bounds[-1][1]
        start = first + rng.randrange(-20, 12)
        end = last + (rng.randrange(60, 150) if rng.random() < 0.15 else rng.randrange(-8, 20))
        forget_out = rng.random() < 0.02
        punch(day, start, 0)
        if kind == "split":
            punch(day, bounds[0][1] + rng.randrange(0, 5), 1)
            punch(day, bounds[1][0] + rng.randrange(-5, 6), 0)
        elif kind == "day" and rng.random() < 0.6:
            lunch = 720 + rng.randrange(-15, 30)
            punch(day, lunch, 2)
            if rng.random() > 0.02:  # forgotten break-in
                punch(day, lunch + 45 + rng.randrange(30), 3)
        if not forget_out:
            punch(day, end, 1)
    rng.shuffle(punches)
    return {
        "timezone": rng.choice(ZONES),
        "punches": punches,
        "schedule": schedule,
        "holidays": [{"date": HOLIDAY.isoformat(), "name": "Holiday", "kind": "regular"}],
        "leaves": leaves,
    }


def _run_engine(employees: list[dict[str, Any]], dates: list[str], policy: Any) -> int:
    days = 0
    for employee in employees:
        records = compute_days(evaluate_dates=dates, policy=policy, **employee)
        days += len(records)
    return days


def _run_engine_to_dict(employees: list[dict[str, Any]], dates: list[str], policy: Any) -> int:
    days = 0
    for employee in employees:
        for record in compute_days(evaluate_dates=dates, policy=policy, **employee).values():
            record.to_dict()
            days += 1
    return days


def _run_baseline(employees: list[dict[str, Any]], dates: list[str], policy: Any) -> int:
    """Only parse each punch's local time and convert it to UTC in the employee's zone."""
    days = 0
    for employee in employees:
        zone = ZoneInfo(employee["timezone"])
        for punch in employee["punches"]:
            datetime.fromisoformat(punch["local_time"]).replace(tzinfo=zone).timestamp()
        days += len(dates)
    return days


def _run_intake(employees: list[dict[str, Any]], dates: list[str], policy: Any) -> int:
    """The engine's own intake only (parse, E0.3 resolve, E1 sort, E2 collapse)."""
    days = 0
    for employee in employees:
        read_taps(employee["punches"], zone_clock(employee["timezone"]), 120)
        days += len(dates)
    return days


def _timed(
    run: Any, employees: list[dict[str, Any]], dates: list[str], policy: Any
) -> tuple[float, int]:
    gc.collect()
    started = time.perf_counter()
    days = run(employees, dates, policy)
    return time.perf_counter() - started, days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="best of R runs (default 5)")
    args = parser.parse_args()
    rng = random.Random(20251026)
    employees = [_employee(index, rng) for index in range(args.employees)]
    dates = [(MONTH_START + timedelta(days=k)).isoformat() for k in range(MONTH_DAYS)]
    policy = parse_policy({})
    for zone in ZONES:  # warm the zone caches, as a long-running server would have them
        zone_clock(zone)
    _run_engine(employees[:10], dates, policy)
    punch_count = sum(len(employee["punches"]) for employee in employees)
    runs = (
        ("baseline: parse + tz convert (stdlib)", _run_baseline),
        ("engine intake only (parse, E0-E2)", _run_intake),
        ("engine compute_days -> DayRecord", _run_engine),
        ("engine + to_dict (G1 JSON form)", _run_engine_to_dict),
    )
    best = {label: (float("inf"), 0) for label, _run in runs}
    for _ in range(args.repeat):  # interleaved, so a busy moment hits every row alike
        for label, run in runs:
            seconds, days = _timed(run, employees, dates, policy)
            if seconds < best[label][0]:
                best[label] = (seconds, days)
    rows = [(label, *best[label]) for label, _run in runs]
    base_rate = rows[0][2] / rows[0][1]
    print(
        f"{args.employees} employees x {MONTH_DAYS} days = {rows[0][2]} employee-days, "
        f"{punch_count} punches, one core, best of {args.repeat}"
    )
    print(f"{'run':<40} {'seconds':>9} {'emp-days/s':>12} {'x baseline':>11}")
    for label, seconds, days in rows:
        rate = days / seconds
        print(f"{label:<40} {seconds:>9.3f} {rate:>12,.0f} {base_rate / rate:>10.2f}x")
    engine_seconds, engine_days = best["engine compute_days -> DayRecord"]
    engine_rate = engine_days / engine_seconds
    times_baseline = base_rate / engine_rate
    print("targets (engine compute_days -> DayRecord, best of the interleaved runs):")
    for met, text in (
        (engine_rate >= TARGET_RATE,
         f">= {TARGET_RATE:,} employee-days/s (measured {engine_rate:,.0f})"),
        (times_baseline <= TARGET_TIMES_BASELINE,
         f"<= {TARGET_TIMES_BASELINE:g}x the parse + tz baseline (measured"
         f" {times_baseline:.2f}x)"),
    ):
        print(f"  {'met    ' if met else 'NOT MET'}  {text}")


if __name__ == "__main__":
    main()
