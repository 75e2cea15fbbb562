"""E6 grace and E7 rounding."""

from __future__ import annotations

from engine_helpers import day, holiday, punches

DATE = "2025-03-03"
NINE_TO_SIX = [["09:00", "18:00"]]


def _hhmm(record):
    def clock(text):
        return None if text is None else text[11:16]

    return [(clock(i["start"]), clock(i["end"])) for i in record["intervals"]]


def test_e6_1_start_within_grace_snaps_to_the_segment_start():
    # [ZKACCESS] start 09:00, allowance 5: 09:03 is not late. Snapped to 09:00, so in schedule
    # 09:00-18:00 = 540, minus the 60 unpunched break = 480 = scheduled: nothing owed.
    record = day(DATE, punches(DATE, ("09:03", 0), ("18:00", 1)), NINE_TO_SIX, 60)
    assert _hhmm(record) == [("09:00", "18:00")]
    assert record["late_in_minutes"] == 0
    assert record["presence_minutes"] == 537  # E8.1 keeps what the device saw: 18:00 - 09:03
    assert (record["regular_minutes"], record["undertime_minutes"]) == (480, 0)
    assert record["status"] == "compliant"


def test_e6_1_beyond_grace_the_whole_difference_counts():
    # 09:06 is late 6 (counted from the start, not from the end of the allowance).
    # In schedule 09:06-18:00 = 534, minus 60 = 474 -> undertime 480 - 474 = 6.
    record = day(DATE, punches(DATE, ("09:06", 0), ("18:00", 1)), NINE_TO_SIX, 60)
    assert record["late_in_minutes"] == 6
    assert record["undertime_minutes"] == 6
    assert record["exceptions"] == ["late_in", "undertime"]
    assert record["status"] == "non_compliant"


def test_e6_1_end_within_grace_snaps_to_the_segment_end():
    snapped = day(DATE, punches(DATE, ("09:00", 0), ("17:56", 1)), NINE_TO_SIX, 60)
    assert _hhmm(snapped) == [("09:00", "18:00")]  # 18:00 - 5 <= 17:56 < 18:00
    assert snapped["early_out_minutes"] == 0
    beyond = day(DATE, punches(DATE, ("09:00", 0), ("17:54", 1)), NINE_TO_SIX, 60)
    assert beyond["early_out_minutes"] == 6  # 18:00 - 17:54


def test_e6_1_each_segment_of_a_split_shift_has_its_own_grace():
    # Back from lunch at 13:04 for a 13:00 segment: snapped, not late.
    taps = punches(DATE, ("08:00", 0), ("12:00", 1), ("13:04", 0), ("17:00", 1))
    record = day(DATE, taps, [["08:00", "12:00"], ["13:00", "17:00"]])
    assert _hhmm(record) == [("08:00", "12:00"), ("13:00", "17:00")]
    assert record["late_in_minutes"] == 0


def test_e6_1_grace_applies_on_workdays_only():
    taps = punches(DATE, ("09:03", 0), ("18:00", 1))
    record = day(DATE, taps, NINE_TO_SIX, 60, holidays=[holiday(DATE)])
    assert _hhmm(record) == [("09:03", "18:00")]


def test_e6_2_early_arrival_is_never_snapped():
    record = day(DATE, punches(DATE, ("08:57", 0), ("18:00", 1)), NINE_TO_SIX, 60)
    assert _hhmm(record) == [("08:57", "18:00")]
    assert record["early_arrival_minutes"] == 3


def test_e7_1_nearest_rounds_up_from_half_the_unit():
    # unit 15, grace off. 08:07: remainder 7, 2*7 = 14 < 15 -> down to 08:00.
    # 17:08: remainder 8, 2*8 = 16 >= 15 -> up to 17:15.
    policy = {
        "grace_late_minutes": 0,
        "grace_early_out_minutes": 0,
        "rounding": {"unit_minutes": 15},
    }
    record = day(
        DATE, punches(DATE, ("08:07", 0), ("17:08", 1)), [["08:00", "17:00"]], 60, policy=policy
    )
    assert _hhmm(record) == [("08:00", "17:15")]
    # post = 15 < 30: no overtime; in schedule 540 - 60 = 480.
    assert record["regular_minutes"] == 480 and record["late_in_minutes"] == 0


def test_e7_1_up_and_down_modes():
    policy = {
        "grace_late_minutes": 0,
        "grace_early_out_minutes": 0,
        "rounding": {"unit_minutes": 15, "in_mode": "up", "out_mode": "down"},
    }
    record = day(
        DATE, punches(DATE, ("08:01", 0), ("17:14", 1)), [["08:00", "17:00"]], 60, policy=policy
    )
    assert _hhmm(record) == [("08:15", "17:00")]
    assert record["late_in_minutes"] == 15  # rounded in at 08:15


def test_e7_3_grace_before_rounding_so_snapped_boundaries_are_not_rounded():
    # E7.3 order: grace first. 08:03 snaps to 08:00 and stays there (in_mode up would give
    # 08:15); 17:10 is after the end, not snapped, rounded down to 17:00.
    policy = {"rounding": {"unit_minutes": 15, "in_mode": "up", "out_mode": "down"}}
    record = day(
        DATE, punches(DATE, ("08:03", 0), ("17:10", 1)), [["08:00", "17:00"]], 60, policy=policy
    )
    assert _hhmm(record) == [("08:00", "17:00")]


def test_e7_1_rounding_uses_the_local_minute_of_day():
    # Asia/Kathmandu is UTC+05:45. 08:07 local, unit 10, down -> 08:00 local.
    # (Rounding the UTC minute 02:22 down to 02:20 would give 08:05 local.)
    policy = {"grace_late_minutes": 0, "rounding": {"unit_minutes": 10, "in_mode": "down"}}
    record = day(
        DATE,
        punches(DATE, ("08:07", 0), ("17:00", 1)),
        [["08:00", "17:00"]],
        60,
        tz="Asia/Kathmandu",
        policy=policy,
    )
    assert record["intervals"][0]["start"] == f"{DATE}T08:00+05:45"


def test_e7_2_interval_left_empty_by_rounding_is_dropped():
    # Rest day 09:01-09:05: start up to 09:15, end down to 09:00 -> start >= end, dropped.
    policy = {"rounding": {"unit_minutes": 15, "in_mode": "up", "out_mode": "down"}}
    record = day(DATE, punches(DATE, ("09:01", 0), ("09:05", 1)), policy=policy)
    assert record["intervals"] == []
    assert record["presence_minutes"] == 4  # E8.1 is before rounding
    assert record["worked_minutes"] == 0
