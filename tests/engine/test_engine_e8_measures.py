"""E8 measures, each with its arithmetic."""

from __future__ import annotations

from engine_helpers import day, holiday, punches

DATE = "2025-03-03"
SHIFT = [["08:00", "17:00"]]
SPLIT = [["08:00", "12:00"], ["13:00", "17:00"]]


def test_e8_1_presence_is_before_grace_and_rounding():
    # Raw 08:03-17:00 = 537; after grace the interval is 08:00-17:00 (540 in schedule).
    record = day(DATE, punches(DATE, ("08:03", 0), ("17:00", 1)), SHIFT, 60)
    assert record["presence_minutes"] == 537
    assert record["presence_in_schedule_minutes"] == 540


def test_e8_2_presence_in_schedule_counts_only_overlap_with_segments():
    # 07:30-17:45 against 08:00-17:00 -> 540 in schedule (30 before, 45 after are not).
    record = day(DATE, punches(DATE, ("07:30", 0), ("17:45", 1)), SHIFT, 60)
    assert record["presence_in_schedule_minutes"] == 540


def test_e8_3_break_taken_between_intervals_inside_a_segment_open_one_included():
    # [08:00-12:00] then an open interval from 13:00: the 60-minute gap is a break taken.
    record = day(DATE, punches(DATE, ("08:00", 0), ("12:00", 1), ("13:00", 0)), SHIFT, 60)
    assert record["break_taken_minutes"] == 60


def test_e8_3_gaps_between_segments_and_lateness_into_them_are_not_breaks():
    # Split shift, out 12:00 (segment end), back 13:20 (segment 2 starts 13:00).
    # Segment 1 sees only [08:00-12:00]; segment 2 only [13:20-17:00]: no gap inside either.
    taps = punches(DATE, ("08:00", 0), ("12:00", 1), ("13:20", 0), ("17:00", 1))
    record = day(DATE, taps, SPLIT)
    assert record["break_taken_minutes"] == 0
    assert record["late_in_minutes"] == 20  # 13:20 - 13:00, lateness into segment 2


def test_e8_4_unpunched_or_short_break_is_topped_up():
    # No break punched: 540 in schedule, taken 0 -> deduct min(540, max(0, 60 - 0)) = 60.
    full = day(DATE, punches(DATE, ("08:00", 0), ("17:00", 1)), SHIFT, 60)
    assert (full["break_deducted_minutes"], full["regular_minutes"]) == (60, 480)
    # 40-minute break punched: 500 in schedule, deduct 60 - 40 = 20 -> regular 480.
    short = day(
        DATE, punches(DATE, ("08:00", 0), ("12:00", 2), ("12:40", 3), ("17:00", 1)), SHIFT, 60
    )
    assert (short["break_taken_minutes"], short["break_deducted_minutes"]) == (40, 20)
    assert short["regular_minutes"] == 480


def test_e8_4_no_deduction_below_the_trigger():
    # 08:00-12:59 = 299 in schedule < 300 -> nothing deducted, regular 299.
    record = day(DATE, punches(DATE, ("08:00", 0), ("12:59", 1)), SHIFT, 60)
    assert (record["break_deducted_minutes"], record["regular_minutes"]) == (0, 299)
    # undertime 480 - 299 = 181; early out 17:00 - 12:59 = 241
    assert (record["undertime_minutes"], record["early_out_minutes"]) == (181, 241)


def test_e8_5_and_e8_6_undertime_includes_late_early_and_long_break():
    # Late 08:10 (10), lunch 12:00-13:30 (90, 30 over), out 16:50 (10 early).
    # In schedule (12:00-08:10) + (16:50-13:30) = 230 + 200 = 430; taken 90 -> deduct 0.
    # regular 430; undertime 480 - 430 = 50 = 10 + 10 + 30.
    taps = punches(DATE, ("08:10", 0), ("12:00", 2), ("13:30", 3), ("16:50", 1))
    record = day(DATE, taps, SHIFT, 60)
    assert record["regular_minutes"] == 430
    assert record["undertime_minutes"] == 50
    assert (record["late_in_minutes"], record["early_out_minutes"]) == (10, 10)
    # long break: taken 90 > 60 + 5
    assert record["exceptions"] == ["early_out", "late_in", "long_break", "undertime"]


def test_e8_7_late_is_null_with_missing_check_in_and_e8_8_early_null_with_missing_out():
    orphan = day(DATE, punches(DATE, ("11:00", 1), ("13:00", 0), ("17:00", 1)), SHIFT, 60)
    assert orphan["missing"]["check_in"] and orphan["late_in_minutes"] is None
    open_end = day(DATE, punches(DATE, ("08:00", 0), ("12:00", 1), ("13:00", 0)), SHIFT, 60)
    assert open_end["missing"]["check_out"] and open_end["early_out_minutes"] is None
    assert open_end["late_in_minutes"] == 0


def test_e8_9_post_shift_overtime_counts_in_full_from_the_threshold():
    # Out 17:35: post = 35 >= 30 -> 35 minutes of overtime (not 35 - 30).
    over = day(DATE, punches(DATE, ("08:00", 0), ("17:35", 1)), SHIFT, 60)
    assert over["overtime_minutes"] == {"workday": 35, "rest_day": 0, "holiday": 0}
    assert over["worked_minutes"] == 480 + 35  # E8.12
    # Out 17:29: post = 29 < 30 -> no overtime.
    under = day(DATE, punches(DATE, ("08:00", 0), ("17:29", 1)), SHIFT, 60)
    assert under["overtime_minutes"]["workday"] == 0
    assert under["worked_minutes"] == 480


def test_e8_9_work_between_segments_is_overtime():
    # Split shift, worked straight 08:00-17:00: in schedule 480, inter = 12:00-13:00 = 60.
    record = day(DATE, punches(DATE, ("08:00", 0), ("17:00", 1)), SPLIT)
    assert record["regular_minutes"] == 480
    assert record["overtime_minutes"]["workday"] == 60
    assert record["worked_minutes"] == 540


def test_e8_9_pre_shift_counts_only_with_count_early_arrival_and_e8_10_is_reported():
    taps = punches(DATE, ("07:00", 0), ("17:00", 1))
    # pre = 07:00-08:00 = 60. Off by default: no overtime, early arrival still reported.
    default = day(DATE, taps, SHIFT, 60)
    assert default["early_arrival_minutes"] == 60
    assert default["overtime_minutes"]["workday"] == 0
    counted = day(DATE, taps, SHIFT, 60, policy={"count_early_arrival": True})
    assert counted["overtime_minutes"]["workday"] == 60
    assert counted["worked_minutes"] == 480 + 60


def test_e8_9_overtime_never_nets_against_undertime():
    # 09:00-18:00 on 08:00-17:00: late 60; in schedule 480 - 60 break = 420 -> undertime 60;
    # post 17:00-18:00 = 60 -> overtime 60. Both stand.
    record = day(DATE, punches(DATE, ("09:00", 0), ("18:00", 1)), SHIFT, 60)
    assert (record["late_in_minutes"], record["undertime_minutes"]) == (60, 60)
    assert record["overtime_minutes"]["workday"] == 60
    assert record["worked_minutes"] == 420 + 60
    assert record["status"] == "non_compliant"


def test_e8_12_worked_is_regular_plus_all_overtime():
    # 07:45-18:15 on 08:00-17:00 (60 break), count_early_arrival on: in schedule 540 - 60 =
    # 480 regular; pre 15 < 30 (dropped), post 75 -> worked = 480 + 75 = 555.
    record = day(
        DATE,
        punches(DATE, ("07:45", 0), ("18:15", 1)),
        SHIFT,
        60,
        policy={"count_early_arrival": True},
    )
    assert record["regular_minutes"] == 480
    assert record["overtime_minutes"]["workday"] == 75
    assert record["worked_minutes"] == 555
    assert record["early_arrival_minutes"] == 15


def test_e8_11_rest_day_work_is_rest_day_overtime_with_a_break():
    # 09:00-12:00 and 13:00-18:00: total 180 + 300 = 480; taken 60 -> deduct 0 -> OT 480.
    punched = day(DATE, punches(DATE, ("09:00", 0), ("12:00", 1), ("13:00", 0), ("18:00", 1)))
    assert punched["overtime_minutes"] == {"workday": 0, "rest_day": 480, "holiday": 0}
    assert punched["break_taken_minutes"] == 60
    # 09:00-18:00 straight: total 540 >= 300, taken 0 -> deduct 60 (rest-day break) -> 480.
    straight = day(DATE, punches(DATE, ("09:00", 0), ("18:00", 1)))
    assert straight["break_deducted_minutes"] == 60
    assert straight["overtime_minutes"]["rest_day"] == 480
    for record in (punched, straight):
        assert record["scheduled_minutes"] == record["regular_minutes"] == 0
        assert record["undertime_minutes"] == 0
        assert (record["late_in_minutes"], record["early_out_minutes"]) == (0, 0)
        assert record["status"] == "rest_day_work"


def test_e8_11_short_rest_day_work_below_threshold_is_not_overtime():
    record = day(DATE, punches(DATE, ("09:00", 0), ("09:20", 1)))  # 20 < 30
    assert record["overtime_minutes"]["rest_day"] == 0
    assert record["worked_minutes"] == 0
    assert record["presence_minutes"] == 20


def test_e8_11_holiday_work_uses_the_schedule_break_and_wins_over_rest_day():
    # Holiday with 08:00-17:00 and a 30-minute break: total 540, deduct 30 -> holiday 510.
    record = day(
        DATE, punches(DATE, ("08:00", 0), ("17:00", 1)), SHIFT, 30, holidays=[holiday(DATE)]
    )
    assert record["overtime_minutes"] == {"workday": 0, "rest_day": 0, "holiday": 510}
    assert record["status"] == "holiday_work"
    # Holiday without a schedule: the rest-day break (60) applies -> 540 - 60 = 480.
    bare = day(DATE, punches(DATE, ("08:00", 0), ("17:00", 1)), holidays=[holiday(DATE)])
    assert bare["overtime_minutes"]["holiday"] == 480


def test_e8_11_late_and_early_are_null_when_the_punch_is_missing():
    record = day(DATE, punches(DATE, ("09:00", 0)))
    assert (record["late_in_minutes"], record["early_out_minutes"]) == (0, None)


def test_e8_13_night_minutes_spread_the_deducted_break():
    # Shift 14:00-23:00, 60 unpaid, worked 14:00-23:30 with no break punched.
    # In schedule 540 -> deduct 60 -> regular 480; post 30 >= 30 -> overtime 30.
    # C = 540 + 30 = 570 min; C ∩ [22:00, 06:00) = 22:00-23:30 = 90.
    # night = 90 - floor(60 * 90 / 570) = 90 - floor(9.47) = 81.
    record = day(DATE, punches(DATE, ("14:00", 0), ("23:30", 1)), [["14:00", "23:00"]], 60)
    assert (record["regular_minutes"], record["overtime_minutes"]["workday"]) == (480, 30)
    assert record["night_minutes"] == 81


def test_e8_13_rejected_overtime_pieces_are_not_night_time():
    # Shift 14:00-22:00 (no break), out 22:20: post 20 < 30 is not counted, so C is the
    # schedule only (14:00-22:00) and touches no night minute.
    record = day(DATE, punches(DATE, ("14:00", 0), ("22:20", 1)), [["14:00", "22:00"]])
    assert record["night_minutes"] == 0


def test_e8_13_night_window_comes_from_policy():
    # Night 20:00-23:00 on the 14:00-23:30 day above: C ∩ window = 20:00-23:00 = 180;
    # 180 - floor(60 * 180 / 570) = 180 - 18 = 162.
    record = day(
        DATE,
        punches(DATE, ("14:00", 0), ("23:30", 1)),
        [["14:00", "23:00"]],
        60,
        policy={"night_start": "20:00", "night_end": "23:00"},
    )
    assert record["night_minutes"] == 162


def test_e8_14_dst_transition_only_when_something_spans_an_offset_change():
    ordinary = day(
        "2025-10-27",
        punches("2025-10-27", ("22:00", 0), ("2025-10-28 06:00", 1)),
        [["22:00", "06:00"]],
        tz="Europe/Berlin",
    )
    assert "dst_transition" not in ordinary["exceptions"]
    # An unpunched schedule that spans the change still raises it.
    absent = day("2025-10-25", [], [["22:00", "06:00"]], tz="Europe/Berlin")
    assert "dst_transition" in absent["exceptions"]
