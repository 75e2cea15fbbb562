"""E9 overtime lines, E10 status / exceptions / provisional, and the B5 worked example."""

from __future__ import annotations

import pytest
from engine_helpers import day, holiday, punches

from zk_rules.engine import EngineInputError, OvertimeLine, ReviewedLine, reconcile_lines

DATE = "2025-03-03"
SHIFT = [["08:00", "17:00"]]


def test_b5_worked_example():
    # Schedule 08:00-17:00, 60 min unpaid break, Asia/Manila.
    taps = punches(DATE, ("07:58:12", 0), ("12:01:05", 2), ("12:59:40", 3), ("17:02:30", 1))
    record = day(DATE, taps, SHIFT, 60, tz="Asia/Manila")
    # E2.4 truncates to 07:58, 12:01, 12:59, 17:02; E5.1 statuses IN OUT IN OUT are consistent.
    assert record["intervals"] == [
        {"start": f"{DATE}T07:58+08:00", "end": f"{DATE}T12:01+08:00"},
        {"start": f"{DATE}T12:59+08:00", "end": f"{DATE}T17:02+08:00"},
    ]
    # E8.2: 08:00-12:01 = 241, 12:59-17:00 = 241 -> 482.
    assert record["presence_in_schedule_minutes"] == 482
    # E8.3: 12:01-12:59 = 58 taken; E8.4: deduct 60 - 58 = 2; E8.5: regular 482 - 2 = 480.
    assert record["break_taken_minutes"] == 58
    assert record["break_deducted_minutes"] == 2
    assert record["regular_minutes"] == 480
    assert record["scheduled_minutes"] == 480
    assert record["undertime_minutes"] == 0
    # E8.9: post = 2 < 30 -> no overtime. E8.10: early arrival 2.
    assert record["overtime_minutes"] == {"workday": 0, "rest_day": 0, "holiday": 0}
    assert record["overtime_lines"] == []
    assert record["early_arrival_minutes"] == 2
    # E6: no snap (early in, late out): late 0, early out 0.
    assert (record["late_in_minutes"], record["early_out_minutes"]) == (0, 0)
    # E8.1: (12:01 - 07:58) + (17:02 - 12:59) = 243 + 243 = 486 seen by the device.
    assert record["presence_minutes"] == 486
    assert record["worked_minutes"] == 480
    assert record["status"] == "compliant"
    assert record["exceptions"] == []
    assert record["provisional"] is False
    assert record["punch_ids"] == [1, 2, 3, 4]


@pytest.mark.parametrize(("approval", "status"), [("manager", "to_approve"), ("auto", "approved")])
def test_e9_1_one_line_per_kind_with_the_approval_status(approval, status):
    # Out 18:30 on 08:00-17:00: post 90 -> one workday line of 90.
    record = day(
        DATE,
        punches(DATE, ("08:00", 0), ("18:30", 1)),
        SHIFT,
        60,
        policy={"overtime_approval": approval},
    )
    assert record["overtime_lines"] == [{"kind": "workday", "minutes": 90, "status": status}]


def test_e9_1_rest_day_and_holiday_lines():
    rest = day(DATE, punches(DATE, ("09:00", 0), ("12:00", 1)))  # 180 >= 30, below trigger
    assert rest["overtime_lines"] == [{"kind": "rest_day", "minutes": 180, "status": "to_approve"}]
    hol = day(DATE, punches(DATE, ("09:00", 0), ("12:00", 1)), holidays=[holiday(DATE)])
    assert hol["overtime_lines"] == [{"kind": "holiday", "minutes": 180, "status": "to_approve"}]


def test_e9_2_overtime_does_not_offset_tardiness():
    # 08:45-17:45: late 45; in schedule 495 - 60 = 435 -> undertime 45; post 45 -> overtime 45.
    record = day(DATE, punches(DATE, ("08:45", 0), ("17:45", 1)), SHIFT, 60)
    assert record["undertime_minutes"] == 45
    assert record["overtime_lines"] == [{"kind": "workday", "minutes": 45, "status": "to_approve"}]


def test_e9_3_unchanged_minutes_keep_the_decision():
    previous = [{"kind": "workday", "minutes": 90, "status": "approved", "approved_minutes": 60}]
    result = reconcile_lines(previous, [OvertimeLine("workday", 90, "to_approve")])
    assert result.lines == (ReviewedLine("workday", 90, "approved", 60),)
    assert result.revoked_kinds == ()


def test_e9_3_changed_approved_line_returns_to_approve_and_is_reversed():
    # A late punch correction turns 90 into 75 minutes: back to to_approve, and the CTO
    # credit made from the approved 90 must be reversed (C10).
    previous = [{"kind": "workday", "minutes": 90, "status": "approved"}]
    result = reconcile_lines(previous, [OvertimeLine("workday", 75, "to_approve")])
    assert result.lines == (ReviewedLine("workday", 75, "to_approve", 0),)
    assert result.revoked_kinds == ("workday",)


def test_e9_3_vanished_or_refused_lines():
    previous = [
        {"kind": "workday", "minutes": 40, "status": "approved", "approved_minutes": 40},
        {"kind": "holiday", "minutes": 50, "status": "refused"},
    ]
    # The workday line is gone (now below the threshold): reverse it. The refused holiday
    # line changed minutes: a new decision is needed.
    result = reconcile_lines(previous, [OvertimeLine("holiday", 55, "to_approve")])
    assert result.lines == (ReviewedLine("holiday", 55, "to_approve", 0),)
    assert result.revoked_kinds == ("workday",)
    # Under automatic approval a changed line is approved in full at once.
    auto = reconcile_lines(previous[:1], [OvertimeLine("workday", 45, "approved")], "auto")
    assert auto.lines == (ReviewedLine("workday", 45, "approved", 45),)
    assert auto.revoked_kinds == ("workday",)


def test_e9_3_previous_lines_are_validated():
    bad = [{"kind": "workday", "minutes": 30, "status": "approved", "approved_minutes": 31}]
    with pytest.raises(EngineInputError, match=r"^previous\[0\]\.approved_minutes"):
        reconcile_lines(bad, [])


def test_e10_2_no_punches():
    absent = day(DATE, [], SHIFT, 60)
    assert absent["status"] == "absent"
    assert absent["undertime_minutes"] == 480  # = expected
    assert (absent["late_in_minutes"], absent["early_out_minutes"]) == (None, None)
    assert absent["exceptions"] == ["absent"]
    assert day(DATE)["status"] == "off"
    assert day(DATE, holidays=[holiday(DATE)])["status"] == "holiday"
    leave = [{"date": DATE, "minutes": 480, "kind": "sick"}]
    assert day(DATE, [], SHIFT, 60, leaves=leave)["status"] == "on_leave"


def test_e10_2_first_match_wins():
    # Missing check-out beats non-compliance: 08:30 (late 30) and nothing else.
    late_single = day(DATE, punches(DATE, ("08:30", 0)), SHIFT, 60)
    assert late_single["status"] == "incomplete"
    assert "late_in" in late_single["exceptions"]
    assert "undertime" not in late_single["exceptions"]  # only when non_compliant
    # Workday without deviations: compliant.
    assert day(DATE, punches(DATE, ("08:00", 0), ("17:00", 1)), SHIFT, 60)["status"] == (
        "compliant"
    )
    # Early out: non_compliant.
    early = day(DATE, punches(DATE, ("08:00", 0), ("16:00", 1)), SHIFT, 60)
    assert early["status"] == "non_compliant"
    assert early["exceptions"] == ["early_out", "undertime"]
    # Rest day / holiday with a missing punch: incomplete too.
    assert day(DATE, punches(DATE, ("09:00", 0)))["status"] == "incomplete"
    assert day(DATE, punches(DATE, ("09:00", 0)), holidays=[holiday(DATE)])["status"] == (
        "incomplete"
    )


def test_e10_3_exceptions_are_a_sorted_set():
    # Double tap + status conflict + missing break punch + late: codes come sorted.
    taps = punches(DATE, ("08:10:00", 1), ("08:10:30", 1), ("12:00", 1), ("17:00", 1))
    record = day(DATE, taps, SHIFT, 60)
    assert record["exceptions"] == sorted(set(record["exceptions"]))
    assert {"double_tap_collapsed", "status_conflict", "missing_break_punch", "late_in"} <= set(
        record["exceptions"]
    )


def test_e10_3_long_break_only_on_workdays():
    # Workday lunch 12:00-13:06: 66 > 60 + 5 -> long_break.
    taps = punches(DATE, ("08:00", 0), ("12:00", 2), ("13:06", 3), ("17:00", 1))
    assert "long_break" in day(DATE, taps, SHIFT, 60)["exceptions"]
    # 65 is not more than 65.
    taps = punches(DATE, ("08:00", 0), ("12:00", 2), ("13:05", 3), ("17:00", 1))
    assert "long_break" not in day(DATE, taps, SHIFT, 60)["exceptions"]
    # Rest day with a 3-hour gap: no long_break.
    taps = punches(DATE, ("08:00", 0), ("10:00", 1), ("13:00", 0), ("17:00", 1))
    assert "long_break" not in day(DATE, taps)["exceptions"]


def test_e10_4_provisional_for_incomplete_or_worked_on_leave():
    assert day(DATE, punches(DATE, ("08:00", 0)), SHIFT, 60)["provisional"] is True
    assert day(DATE, punches(DATE, ("08:00", 0), ("17:00", 1)), SHIFT, 60)["provisional"] is False
    leave = [{"date": DATE, "minutes": 480, "kind": "paid"}]
    on_leave = day(DATE, punches(DATE, ("08:00", 0), ("17:00", 1)), SHIFT, 60, leaves=leave)
    assert on_leave["provisional"] is True and on_leave["status"] == "compliant"


def test_e10_3_exception_codes_read_named_flags_in_sorted_order():
    from zk_rules.engine.status import DayFlags, exception_codes

    assert exception_codes(DayFlags(status="absent", undertime=480)) == ("absent",)
    flags = DayFlags(status="non_compliant", late_in=5, undertime=5, dst_gap=True, single=True)
    assert exception_codes(flags) == ("dst_gap_time", "late_in", "single_punch", "undertime")
    with pytest.raises(TypeError):
        DayFlags("absent")  # keyword construction only: 15 flags are not read by position
