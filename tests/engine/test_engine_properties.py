"""Invariants of the engine over generated days (hypothesis; example counts kept modest)."""

from __future__ import annotations

import os
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zk_rules.engine import compute_days

# 60 keeps the suite fast on two shared cores; ENGINE_PROPERTY_EXAMPLES=5000 for a deep run.
SETTINGS = settings(
    max_examples=int(os.environ.get("ENGINE_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

ZONES = ("Asia/Manila", "Europe/Berlin")
# An ordinary week and the Berlin autumn change (25/26 October 2025).
BASE_DATES = (date(2025, 3, 3), date(2025, 10, 25))
SHIFTS = (
    None,
    [["08:00", "17:00"]],
    [["08:00", "12:00"], ["13:00", "17:00"]],
    [["22:00", "06:00"]],
    [["06:00", "14:00"], ["22:00", "23:30"]],
)


@st.composite
def employee_days(draw):
    """Three consecutive dates with schedules, punches, leave, a holiday and a policy."""
    zone = draw(st.sampled_from(ZONES))
    first = draw(st.sampled_from(BASE_DATES))
    dates = [first + timedelta(days=k) for k in range(3)]
    schedule = {}
    for current in dates:
        shift = draw(st.sampled_from(SHIFTS))
        if shift is not None:
            schedule[current.isoformat()] = {
                "segments": shift,
                "unpaid_break_minutes": draw(st.sampled_from((0, 30, 60))),
            }
    count = draw(st.integers(min_value=0, max_value=12))
    punches = []
    for number in range(1, count + 1):
        minute = draw(st.integers(min_value=-6 * 60, max_value=3 * 24 * 60 + 6 * 60))
        second = draw(st.integers(min_value=0, max_value=59))
        moment = datetime(first.year, first.month, first.day) + timedelta(
            minutes=minute, seconds=second
        )
        punches.append(
            {
                "id": number,
                "local_time": moment.strftime("%Y-%m-%d %H:%M:%S"),
                "status": draw(st.sampled_from((None, 0, 1, 2, 3, 4, 5, 255))),
            }
        )
    holidays = []
    if draw(st.booleans()):
        holidays.append(
            {"date": draw(st.sampled_from(dates)).isoformat(), "name": "H", "kind": "regular"}
        )
    leaves = []
    if draw(st.booleans()):
        leaves.append(
            {
                "date": draw(st.sampled_from(dates)).isoformat(),
                "minutes": draw(st.sampled_from((60, 240, 480))),
                "kind": "paid",
            }
        )
    policy = {
        "rounding": {
            "unit_minutes": draw(st.sampled_from((1, 5, 15))),
            "in_mode": draw(st.sampled_from(("nearest", "up", "down"))),
            "out_mode": draw(st.sampled_from(("nearest", "up", "down"))),
        },
        "grace_late_minutes": draw(st.sampled_from((0, 5, 10))),
        "count_early_arrival": draw(st.booleans()),
        "status_mode": draw(st.sampled_from(("auto", "ignore"))),
        "overtime_threshold_minutes": draw(st.sampled_from((0, 30))),
    }
    return {
        "timezone": zone,
        "evaluate_dates": [d.isoformat() for d in dates],
        "punches": punches,
        "schedule": schedule,
        "holidays": holidays,
        "leaves": leaves,
        "policy": policy,
    }


def _run(doc):
    records = compute_days(**doc)
    return {key: record.to_dict() for key, record in records.items()}


def _segments_length(doc, work_date):
    """Σ real segment lengths, computed independently with zoneinfo (fold=0)."""
    entry = doc["schedule"].get(work_date)
    if entry is None:
        return 0
    zone = ZoneInfo(doc["timezone"])
    day = date.fromisoformat(work_date)
    total = 0
    for start_text, end_text in entry["segments"]:
        start = datetime.combine(day, datetime.strptime(start_text, "%H:%M").time(), zone)
        end_day = day if end_text > start_text else day + timedelta(days=1)
        end = datetime.combine(end_day, datetime.strptime(end_text, "%H:%M").time(), zone)
        total += int(end.timestamp() - start.timestamp()) // 60
    return total


def _minute_values(record):
    for name, value in record.items():
        if name.endswith("_minutes"):
            if isinstance(value, dict):
                yield from value.values()
            elif value is not None:
                yield value
    for line in record["overtime_lines"]:
        yield line["minutes"]


@SETTINGS
@given(employee_days())
def test_property_no_negative_minutes(doc):
    for record in _run(doc).values():
        for value in _minute_values(record):
            assert isinstance(value, int) and value >= 0
        assert record["undertime_minutes"] <= record["expected_minutes"]


@SETTINGS
@given(employee_days())
def test_property_regular_at_most_the_segments_total_length(doc):
    for work_date, record in _run(doc).items():
        if record["day_type"] == "workday":
            assert record["regular_minutes"] <= _segments_length(doc, work_date)
        else:
            assert record["regular_minutes"] == 0


@SETTINGS
@given(employee_days())
def test_property_worked_is_regular_plus_overtime(doc):
    for record in _run(doc).values():
        overtime = record["overtime_minutes"]
        assert record["worked_minutes"] == record["regular_minutes"] + sum(overtime.values())
        assert sum(line["minutes"] for line in record["overtime_lines"]) == sum(overtime.values())
        assert record["night_minutes"] <= record["worked_minutes"]


@SETTINGS
@given(employee_days(), st.randoms(use_true_random=False))
def test_property_independent_of_punch_order(doc, rng: random.Random):
    shuffled = dict(doc, punches=list(doc["punches"]))
    rng.shuffle(shuffled["punches"])
    assert _run(shuffled) == _run(doc)


@SETTINGS
@given(employee_days(), st.randoms(use_true_random=False))
def test_property_idempotent_under_duplicated_punches(doc, rng: random.Random):
    extra = [dict(p) for p in doc["punches"] if rng.random() < 0.5]
    doubled = dict(doc, punches=doc["punches"] + extra)
    assert _run(doubled) == _run(doc)


@SETTINGS
@given(employee_days())
def test_property_each_punch_lands_on_at_most_one_date_and_intervals_are_ordered(doc):
    seen = []
    for record in _run(doc).values():
        seen.extend(record["punch_ids"])
        assert set(record["collapsed_punch_ids"]) <= set(record["punch_ids"])
        assert set(record["ignored_punch_ids"]) <= set(record["punch_ids"])
        starts = [i["start"] for i in record["intervals"] if i["start"] is not None]
        for interval in record["intervals"]:
            if interval["start"] is not None and interval["end"] is not None:
                assert datetime.fromisoformat(interval["start"]) < datetime.fromisoformat(
                    interval["end"]
                )
        assert [datetime.fromisoformat(s) for s in starts] == sorted(
            datetime.fromisoformat(s) for s in starts
        )
    assert len(seen) == len(set(seen))


@SETTINGS
@given(
    st.integers(min_value=0, max_value=24 * 60 - 1),
    st.integers(min_value=1, max_value=23 * 60),
    st.integers(min_value=0, max_value=23 * 60 + 59),
    st.integers(min_value=0, max_value=23 * 60 + 59),
    st.sampled_from(("Asia/Manila", "Asia/Kathmandu", "America/New_York")),
)
def test_property_e8_13_night_minutes_match_a_minute_by_minute_count(
    offset, length, night_start, night_end, zone_name
):
    # Rest day in January (no DST change near), no break deducted, every minute counted:
    # night must equal the number of worked minutes whose local clock is in the window.
    zone = ZoneInfo(zone_name)
    start = datetime(2025, 1, 6) + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    policy = {
        "night_start": f"{night_start // 60:02d}:{night_start % 60:02d}",
        "night_end": f"{night_end // 60:02d}:{night_end % 60:02d}",
        "overtime_threshold_minutes": 0,
        "break_trigger_minutes": 10**6,
        # both punches on one operational date: the day changes at the start time (E3.5)
        "day_change_time": start.strftime("%H:%M"),
        "double_tap_seconds": 0,
    }
    doc = {
        "timezone": zone_name,
        "evaluate_dates": [start.date().isoformat()],
        "punches": [
            {"id": 1, "local_time": start.strftime("%Y-%m-%d %H:%M:%S"), "status": 0},
            {"id": 2, "local_time": end.strftime("%Y-%m-%d %H:%M:%S"), "status": 1},
        ],
        "policy": policy,
    }
    record = _run(doc)[start.date().isoformat()]
    assert record["presence_minutes"] == length
    expected = 0
    if night_start != night_end:
        instant = start.replace(tzinfo=zone).timestamp()
        for minute in range(length):
            local = datetime.fromtimestamp(instant + 60 * minute, zone)
            clock = local.hour * 60 + local.minute
            if night_start < night_end:
                expected += night_start <= clock < night_end
            else:
                expected += clock >= night_start or clock < night_end
    assert record["night_minutes"] == expected
