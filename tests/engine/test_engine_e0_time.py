"""E0: whole minutes, real elapsed time across DST, gap and repeat resolution, offsets printed."""

from __future__ import annotations

from engine_helpers import day, punches

BERLIN = "Europe/Berlin"


def test_e0_1_minutes_are_integers_and_instants_print_their_offset():
    record = day(
        "2025-01-06",
        punches("2025-01-06", ("08:00:40", 0), ("17:00:10", 1)),
        [["08:00", "17:00"]],
        60,
        tz="America/New_York",
    )
    # EST is UTC-05:00 in January; the seconds are gone (E2.4), the offset is printed.
    assert record["intervals"] == [
        {"start": "2025-01-06T08:00-05:00", "end": "2025-01-06T17:00-05:00"}
    ]
    for name, value in record.items():
        if name.endswith("_minutes") and not isinstance(value, dict):
            assert isinstance(value, int) and not isinstance(value, bool), name


def test_e0_2_spring_night_22_to_06_lasts_420_minutes_in_berlin():
    # The night into 2025-03-30: 22:00 CET (+01) = 21:00 UTC; 06:00 CEST (+02) = 04:00 UTC.
    # 21:00 -> 04:00 UTC is 7 h = 420 min, not the 480 the wall clock suggests.
    taps = punches("2025-03-29", ("22:00", 0), ("2025-03-30 06:00", 1))
    record = day("2025-03-29", taps, [["22:00", "06:00"]], tz=BERLIN)
    assert record["scheduled_minutes"] == 420
    assert record["presence_minutes"] == 420
    assert record["regular_minutes"] == 420
    # The whole shift is inside the 22:00-06:00 night window, itself 420 real minutes.
    assert record["night_minutes"] == 420
    assert record["intervals"] == [
        {"start": "2025-03-29T22:00+01:00", "end": "2025-03-30T06:00+02:00"}
    ]
    assert "dst_transition" in record["exceptions"]
    assert record["status"] == "compliant"


def test_e0_2_autumn_night_22_to_06_lasts_540_minutes_in_berlin():
    # The night into 2025-10-26: 22:00 CEST (+02) = 20:00 UTC; 06:00 CET (+01) = 05:00 UTC.
    # 20:00 -> 05:00 UTC is 9 h = 540 min. A 30 min unpaid break (presence 540 >= 300 trigger,
    # none punched) leaves regular = 540 - 30 = 510; scheduled = 540 - 30 = 510.
    taps = punches("2025-10-25", ("22:00", 0), ("2025-10-26 06:00", 1))
    record = day("2025-10-25", taps, [["22:00", "06:00"]], 30, tz=BERLIN)
    assert record["scheduled_minutes"] == 510
    assert record["presence_minutes"] == 540
    assert record["break_deducted_minutes"] == 30
    assert record["regular_minutes"] == 510
    assert record["undertime_minutes"] == 0
    # night = |C ∩ Nw| - floor(30 * 540 / 540) = 540 - 30 = 510
    assert record["night_minutes"] == 510
    assert "dst_transition" in record["exceptions"]


def test_e0_2_the_day_after_each_change_is_an_ordinary_480_minute_night():
    for date, nxt in (("2025-03-30", "2025-03-31"), ("2025-10-26", "2025-10-27")):
        record = day(
            date, punches(date, ("22:00", 0), (f"{nxt} 06:00", 1)), [["22:00", "06:00"]], tz=BERLIN
        )
        assert record["scheduled_minutes"] == 480
        assert "dst_transition" not in record["exceptions"]


def test_e0_2_unscheduled_presence_across_the_autumn_change_is_real_time():
    # Rest day. 23:00 CEST (21:00 UTC) -> 03:00 CET (02:00 UTC) = 300 real minutes, not 240.
    # Both go to operational date 2025-10-25 (local time - 04:00, E3.5).
    taps = punches("2025-10-25", ("23:00", 0), ("2025-10-26 03:00", 1))
    record = day("2025-10-25", taps, tz=BERLIN)
    assert record["presence_minutes"] == 300
    # E8.11: total 300 >= trigger 300, nothing punched as break: deduct 60 -> overtime 240.
    assert record["overtime_minutes"]["rest_day"] == 240
    # night: all 300 min are inside 22:00-06:00; 300 - floor(60 * 300 / 300) = 240
    assert record["night_minutes"] == 240


def test_e0_3_gap_time_uses_the_offset_before_the_change_and_is_flagged():
    # 02:30 on 2025-03-30 does not exist in Berlin. fold=0 applies +01:00 -> 01:30 UTC, which
    # prints as 03:30+02:00. From 01:50 CET (00:50 UTC) that is 40 real minutes.
    taps = punches("2025-03-30", ("01:50", 0), ("02:30", 1))
    record = day("2025-03-29", taps, tz=BERLIN)  # operational date: 01:50 - 04:00 -> 29 March
    assert record["intervals"] == [
        {"start": "2025-03-30T01:50+01:00", "end": "2025-03-30T03:30+02:00"}
    ]
    assert record["presence_minutes"] == 40
    assert "dst_gap_time" in record["exceptions"]
    assert "dst_transition" in record["exceptions"]  # the interval spans the change (E8.14)


def test_e0_3_repeated_time_resolves_in_wall_clock_order_and_is_flagged():
    # 02:10 and 02:50 on 2025-10-26 happen twice. In wall-clock order 02:10 has no earlier
    # punch, so it takes its earliest instant (fold=0, +02:00); 02:50+02:00 is later than it,
    # so 02:50 takes +02:00 too: 40 minutes apart.
    taps = punches("2025-10-26", ("02:50", 1), ("02:10", 0))  # given out of order
    record = day("2025-10-25", taps, tz=BERLIN)
    assert record["intervals"] == [
        {"start": "2025-10-26T02:10+02:00", "end": "2025-10-26T02:50+02:00"}
    ]
    assert record["presence_minutes"] == 40
    assert "dst_ambiguous_time" in record["exceptions"]


def test_e0_3_schedule_times_resolve_with_fold_0():
    # Segment 02:30-10:00 on 2025-03-30: 02:30 is in the gap -> +01:00 = 01:30 UTC;
    # 10:00 CEST = 08:00 UTC; 6 h 30 = 390 min.
    spring = day("2025-03-30", segments=[["02:30", "10:00"]], tz=BERLIN)
    assert spring["scheduled_minutes"] == 390
    # Segment 02:30-10:00 on 2025-10-26: 02:30 repeats -> fold=0 = +02:00 = 00:30 UTC;
    # 10:00 CET = 09:00 UTC; 8 h 30 = 510 min.
    autumn = day("2025-10-26", segments=[["02:30", "10:00"]], tz=BERLIN)
    assert autumn["scheduled_minutes"] == 510
    assert autumn["status"] == "absent" and autumn["undertime_minutes"] == 510
