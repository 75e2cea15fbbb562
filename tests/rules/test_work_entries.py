"""Work entries from a computed day (zk_rules.work_entries): the engine's day in, typed,
non-overlapping pieces of time out, whose durations are the engine's figures."""

from datetime import UTC, datetime

import pytest

from zk_rules.engine import compute_days
from zk_rules.work_entries import (
    KIND_CODES,
    EntryRules,
    approved_by_kind,
    day_entries,
    disagreements,
    entry_totals,
    export_totals,
)

ZONE = "Asia/Manila"  # UTC+8, no DST
OFFICE = {"segments": [["08:00", "17:00"]], "unpaid_break_minutes": 60}
NIGHT = {"segments": [["22:00", "06:00"]], "unpaid_break_minutes": 60}
DEDUCT = EntryRules(deduct_late=True, deduct_undertime=True)


def compute(day, times, schedule=OFFICE, holidays=(), leaves=()):
    punches = [{"id": n, "local_time": f"{t if ' ' in t else day + ' ' + t}:00", "status": None}
               for n, t in enumerate(times, 1)]
    sched = {day: schedule} if schedule else {}
    return compute_days(timezone=ZONE, evaluate_dates=[day], punches=punches, schedule=sched,
                        holidays=list(holidays), leaves=list(leaves),
                        policy={"overtime_approval": "manager"})[day].to_dict()


def entries_of(result, schedule=OFFICE, **kw):
    segments = schedule["segments"] if schedule else ()
    return day_entries(result, timezone=ZONE, segments=segments, **kw)


def utc(text):
    """Manila local 'YYYY-MM-DD HH:MM' as an aware UTC datetime."""
    local = datetime.fromisoformat(text + ":00+08:00")
    return local.astimezone(UTC)


def assert_partition(entries):
    for before, after in zip(entries, entries[1:], strict=False):
        assert before.stop <= after.start, (before, after)
    assert all(e.stop > e.start for e in entries)


def minutes(entries, *kinds):
    return sum(e.minutes for e in entries if e.kind in kinds)


def test_e87_late_arrival_deducted_as_lateness_at_the_start_of_the_segment():
    result = compute("2025-03-03", ["08:20", "12:00", "13:00", "17:00"])
    assert result["late_in_minutes"] == 20 and result["undertime_minutes"] == 20
    entries = entries_of(result, rules=DEDUCT)
    assert_partition(entries)
    assert [(e.kind, e.start, e.stop) for e in entries] == [
        ("late", utc("2025-03-03 08:00"), utc("2025-03-03 08:20")),
        ("regular", utc("2025-03-03 08:20"), utc("2025-03-03 12:00")),
        ("regular", utc("2025-03-03 13:00"), utc("2025-03-03 17:00")),
    ]
    assert minutes(entries, "regular") == result["regular_minutes"] == 460


def test_lateness_not_deducted_without_the_company_setting():
    result = compute("2025-03-03", ["08:20", "12:00", "13:00", "17:00"])
    assert [e.kind for e in entries_of(result)] == ["regular", "regular"]


def test_e88_early_out_is_undertime_apart_from_lateness():
    result = compute("2025-03-03", ["08:20", "12:00", "13:00", "16:00"])
    entries = entries_of(result, rules=DEDUCT)
    assert_partition(entries)
    assert minutes(entries, "late") == 20
    assert minutes(entries, "undertime") == 60
    assert [(e.kind, e.start, e.stop) for e in entries if e.kind == "undertime"] == [
        ("undertime", utc("2025-03-03 16:00"), utc("2025-03-03 17:00"))]


def test_e84_unpunched_break_is_cut_from_the_middle_and_approved_overtime_first():
    result = compute("2025-03-03", ["08:00", "19:00"])
    assert result["regular_minutes"] == 480 and result["overtime_minutes"]["workday"] == 120
    lines = [{"kind": "workday", "minutes": 120, "status": "approved", "approved_minutes": 90}]
    entries = entries_of(result, approved=approved_by_kind(lines))
    assert_partition(entries)
    assert [(e.kind, e.start, e.stop) for e in entries] == [
        ("regular", utc("2025-03-03 08:00"), utc("2025-03-03 12:00")),
        ("regular", utc("2025-03-03 13:00"), utc("2025-03-03 17:00")),
        ("ot_workday", utc("2025-03-03 17:00"), utc("2025-03-03 18:30")),
        ("ot_unapproved", utc("2025-03-03 18:30"), utc("2025-03-03 19:00")),
    ]


def test_e91_refused_overtime_is_never_paid_overtime():
    result = compute("2025-03-03", ["08:00", "12:00", "13:00", "19:00"])
    lines = [{"kind": "workday", "minutes": 120, "status": "refused", "approved_minutes": 0}]
    entries = entries_of(result, approved=approved_by_kind(lines))
    assert minutes(entries, "ot_workday", "ot_workday_night") == 0
    assert minutes(entries, "ot_unapproved") == 120


def test_e813_night_shift_is_split_at_midnight_and_labelled_night():
    day = "2025-03-04"
    result = compute(day, ["2025-03-04 22:00", "2025-03-05 06:00"], schedule=NIGHT)
    assert result["regular_minutes"] == 420
    entries = entries_of(result, schedule=NIGHT)
    assert_partition(entries)
    # 480 min of presence, the 60-minute unpunched break out of the middle (01:30-02:30)
    assert [(e.code, e.start, e.stop) for e in entries] == [
        ("ZKNIGHT", utc("2025-03-04 22:00"), utc("2025-03-05 00:00")),
        ("ZKNIGHT", utc("2025-03-05 00:00"), utc("2025-03-05 01:30")),
        ("ZKNIGHT", utc("2025-03-05 02:30"), utc("2025-03-05 06:00")),
    ]
    assert minutes(entries, "regular_night") == result["night_minutes"] == 420


def test_e813_night_share_of_the_break_moves_the_label_not_the_time():
    # 08:00-23:30 with no break punch: 480 regular, 390 overtime, night 22:00-23:30 less a
    # proportional share of the 60-minute break (E8.13).
    result = compute("2025-03-03", ["08:00", "23:30"])
    lines = [{"kind": "workday", "minutes": result["overtime_minutes"]["workday"],
              "status": "approved", "approved_minutes": None}]
    entries = entries_of(result, approved=approved_by_kind(lines))
    assert_partition(entries)
    night = minutes(entries, *[k for k in KIND_CODES if k.endswith("_night")])
    assert night == result["night_minutes"] < 90
    assert minutes(entries, "ot_workday", "ot_workday_night") == 390
    assert minutes(entries, "regular", "regular_night") == 480


def test_e811_holiday_worked_is_holiday_overtime_of_its_kind():
    day = "2025-03-05"
    result = compute(day, ["08:00", "17:00"], holidays=[{"date": day, "name": "Feast",
                                                         "kind": "special"}])
    assert result["day_type"] == "holiday" and result["overtime_minutes"]["holiday"] == 480
    lines = [{"kind": "holiday", "minutes": 480, "status": "approved", "approved_minutes": 480}]
    entries = entries_of(result, approved=approved_by_kind(lines), holiday_kind="special")
    assert {e.kind for e in entries} == {"ot_holiday_special"}
    assert minutes(entries, "ot_holiday_special") == 480


def test_e811_rest_day_work_below_the_threshold_has_no_entry():
    result = compute("2025-03-08", ["09:00", "09:20"], schedule=None)
    assert entries_of(result, schedule=None) == []


def test_e102_absence_fills_the_schedule_outside_leave():
    day = "2025-03-06"
    result = compute(day, [], leaves=[{"date": day, "minutes": 240, "kind": "sick"}])
    assert result["status"] == "absent" and result["undertime_minutes"] == 240
    leave = [(utc(f"{day} 08:00"), utc(f"{day} 12:00"))]
    entries = entries_of(result, leave_spans=leave)
    assert [(e.kind, e.start, e.stop) for e in entries] == [
        ("absence", utc(f"{day} 12:00"), utc(f"{day} 14:00")),
        ("absence", utc(f"{day} 15:00"), utc(f"{day} 17:00")),
    ]


def test_e102_absence_is_made_whatever_the_deduction_settings():
    result = compute("2025-03-06", [])
    assert minutes(entries_of(result), "absence") == 480


def test_open_interval_time_is_never_called_missing():
    result = compute("2025-03-03", ["08:00"])  # forgotten check-out
    assert result["status"] == "incomplete"
    assert entries_of(result, rules=DEDUCT) == []


def test_every_kind_has_a_distinct_payroll_code():
    assert len(set(KIND_CODES.values())) == len(KIND_CODES)
    assert KIND_CODES["regular"] == "WORK100"  # Odoo's own attendance type


@pytest.mark.parametrize("times", [
    ["07:40", "12:10", "12:50", "18:45"], ["08:03", "17:01"], ["09:30", "15:00"],
    ["06:00", "23:59"], ["08:00", "10:00", "14:00", "20:00"],
])
def test_durations_always_equal_the_engine_figures(times):
    result = compute("2025-03-03", times)
    approved = {"workday": result["overtime_minutes"]["workday"] // 2}
    entries = entries_of(result, approved=approved, rules=DEDUCT)
    assert_partition(entries)
    assert minutes(entries, "regular", "regular_night") == result["regular_minutes"]
    ot = minutes(entries, "ot_workday", "ot_workday_night", "ot_unapproved",
                 "ot_unapproved_night")
    assert ot == result["overtime_minutes"]["workday"]
    night = minutes(entries, *[k for k in KIND_CODES if k.endswith("_night")])
    assert night == result["night_minutes"]
    late = min(result["late_in_minutes"] or 0, result["undertime_minutes"])
    assert minutes(entries, "late") == late
    assert minutes(entries, "undertime") == result["undertime_minutes"] - late


def test_agreement_export_rows_against_entry_kinds():
    rows = [
        {"employee_code": "E1", "status": "non_compliant", "regular_minutes": "460",
         "ot_workday_minutes": "90", "ot_rest_day_minutes": "0",
         "ot_holiday_regular_minutes": "0", "ot_holiday_special_minutes": "0",
         "night_minutes": "30", "late_in_minutes": "20", "undertime_minutes": "20",
         "leave_other_minutes": "0"},
        {"employee_code": "E1", "status": "absent", "regular_minutes": "0",
         "ot_workday_minutes": "0", "ot_rest_day_minutes": "0",
         "ot_holiday_regular_minutes": "0", "ot_holiday_special_minutes": "0",
         "night_minutes": "0", "late_in_minutes": "", "undertime_minutes": "480",
         "leave_other_minutes": "0"},
    ]
    export = export_totals(rows, DEDUCT)
    entries = entry_totals([("E1", "regular", 460), ("E1", "ot_workday", 60),
                            ("E1", "ot_workday_night", 30), ("E1", "ot_unapproved_night", 0),
                            ("E1", "late", 20), ("E1", "absence", 480)])
    assert disagreements(export, entries) == []
    wrong = entry_totals([("E1", "regular", 400)])
    assert ("E1", "regular", 460, 400) in disagreements(export, wrong)
