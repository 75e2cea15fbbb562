"""E3 work-date assignment and E4 day classification and leave."""

from __future__ import annotations

from engine_helpers import day, holiday, punches

from zk_rules.engine import compute_days

MON, TUE = "2025-03-03", "2025-03-04"


def _owner(schedule, taps, dates=(MON, TUE), policy=None):
    """{date: punch ids}; double taps off so punches a minute apart stay apart."""
    policy = {"double_tap_seconds": 0, **(policy or {})}
    records = compute_days(
        timezone="Asia/Manila",
        evaluate_dates=list(dates),
        punches=taps,
        schedule=schedule,
        policy=policy,
    )
    return {date: list(record.punch_ids) for date, record in records.items()}


def test_e3_1_overnight_shift_belongs_to_its_start_date():
    schedule = {MON: {"segments": [["22:00", "06:00"]], "unpaid_break_minutes": 0}}
    taps = punches(MON, ("21:55", 0), (f"{TUE} 06:03", 1))
    records = compute_days(
        timezone="Asia/Manila", evaluate_dates=[MON, TUE], punches=taps, schedule=schedule
    )
    monday = records[MON]
    assert monday.punch_ids == (1, 2)
    # 22:00 -> 06:00 = 480 scheduled; presence in schedule 480; post = 3 < 30 (no overtime);
    # early arrival 21:55 -> 22:00 = 5; the 480 in-schedule minutes are all night minutes.
    assert (monday.scheduled_minutes, monday.regular_minutes) == (480, 480)
    assert monday.early_arrival_minutes == 5
    assert monday.overtime_minutes.total == 0
    assert monday.night_minutes == 480
    assert records[TUE].status == "off" and records[TUE].punch_ids == ()


def test_e3_2_window_opens_early_window_minutes_before_the_first_start():
    # Shift 08:00-17:00 on Monday: window starts 08:00 - 240 = 04:00 (inclusive).
    schedule = {MON: {"segments": [["08:00", "17:00"]]}}
    taps = punches(MON, "03:59", "04:00")
    # 04:00 is in the window -> Monday. 03:59 is outside: operational date 03:59 - 04:00 ->
    # Sunday 2 March.
    owner = _owner(schedule, taps, dates=("2025-03-02", MON))
    assert owner == {"2025-03-02": [1], MON: [2]}


def test_e3_2_window_closes_late_window_minutes_after_the_last_end():
    # Shift 08:00-17:00 with late window 60: window ends 17:00 + 60 = 18:00 (exclusive).
    # 17:59 -> Monday. 18:00 is outside: with the day change at 20:00 its operational date is
    # that of 18:00 - 20:00 = 22:00 Sunday.
    schedule = {MON: {"segments": [["08:00", "17:00"]]}}
    policy = {"late_window_minutes": 60, "day_change_time": "20:00"}
    owner = _owner(schedule, punches(MON, "17:59", "18:00"), ("2025-03-02", MON), policy)
    assert owner == {"2025-03-02": [2], MON: [1]}


def test_e3_3_overlapping_windows_are_cut_at_the_midpoint():
    # Monday 14:00-22:00, Tuesday 06:00-14:00. Monday's window ends 22:00 + 360 = 04:00 Tue,
    # Tuesday's opens 06:00 - 240 = 02:00 Tue: they overlap. Cut at the midpoint of 22:00 and
    # 06:00 = 02:00 Tuesday: 01:59 -> Monday, 02:00 -> Tuesday.
    schedule = {MON: {"segments": [["14:00", "22:00"]]}, TUE: {"segments": [["06:00", "14:00"]]}}
    owner = _owner(schedule, punches(TUE, "01:59", "02:00"))
    assert owner == {MON: [1], TUE: [2]}


def test_e3_3_touching_shifts_are_cut_at_the_next_start():
    # Monday 22:00-06:00 ends where Tuesday 06:00-14:00 starts: cut at 06:00 Tuesday.
    schedule = {MON: {"segments": [["22:00", "06:00"]]}, TUE: {"segments": [["06:00", "14:00"]]}}
    owner = _owner(schedule, punches(TUE, "05:59", "06:00"))
    assert owner == {MON: [1], TUE: [2]}


def test_e3_4_split_shift_is_one_date_with_several_segments():
    schedule = {MON: {"segments": [["08:00", "12:00"], ["13:00", "17:00"]]}}
    taps = punches(MON, ("08:00", 0), ("12:00", 1), ("13:00", 0), ("17:00", 1))
    record = compute_days(
        timezone="Asia/Manila", evaluate_dates=[MON], punches=taps, schedule=schedule
    )[MON]
    assert record.punch_ids == (1, 2, 3, 4)
    assert record.scheduled_minutes == 480  # 240 + 240


def test_e3_5_unwindowed_punch_goes_to_its_operational_date():
    # No schedule: 03:30 Tuesday - 04:00 = 23:30 Monday -> Monday; 04:00 -> Tuesday.
    assert _owner({}, punches(TUE, "03:30", "04:00")) == {MON: [1], TUE: [2]}
    # With the day change at 00:00 both stay on Tuesday.
    assert _owner({}, punches(TUE, "03:30", "04:00"), policy={"day_change_time": "00:00"}) == {
        MON: [],
        TUE: [1, 2],
    }


def test_e4_1_day_type():
    assert day(MON, segments=[["08:00", "17:00"]])["day_type"] == "workday"
    assert day(MON)["day_type"] == "rest_day"
    # A holiday wins over a schedule.
    assert day(MON, segments=[["08:00", "17:00"]], holidays=[holiday(MON)])["day_type"] == "holiday"


def test_e4_2_scheduled_minutes():
    # 240 + 240 - 60 = 420
    assert (
        day(MON, segments=[["08:00", "12:00"], ["13:00", "17:00"]], unpaid=60)["scheduled_minutes"]
        == 420
    )
    # never below 0: 480 - 600 -> 0
    assert day(MON, segments=[["08:00", "16:00"]], unpaid=600)["scheduled_minutes"] == 0
    # a holiday and a rest day expect nothing
    assert (
        day(MON, segments=[["08:00", "17:00"]], unpaid=60, holidays=[holiday(MON)])[
            "scheduled_minutes"
        ]
        == 0
    )
    assert day(MON)["scheduled_minutes"] == 0


def test_e4_3_partial_leave_is_judged_by_undertime_only():
    # Scheduled 480; 240 min of leave -> expected 240. Worked 08:00-12:00 = 240 in schedule,
    # below the 300 trigger so no break deducted: regular 240, undertime max(0, 240-240) = 0.
    # Leaving at 12:00 would be 300 min early, but a leave day reports 0 and raises nothing.
    leaves = [{"date": MON, "minutes": 240, "kind": "paid"}]
    record = day(
        MON, punches(MON, ("08:00", 0), ("12:00", 1)), [["08:00", "17:00"]], 60, leaves=leaves
    )
    assert (record["leave_minutes"], record["expected_minutes"]) == (240, 240)
    assert (record["regular_minutes"], record["undertime_minutes"]) == (240, 0)
    assert (record["late_in_minutes"], record["early_out_minutes"]) == (0, 0)
    assert record["status"] == "compliant" and record["exceptions"] == []


def test_e4_3_leave_is_capped_at_scheduled_and_a_whole_leave_day_is_on_leave():
    # 300 + 300 = 600 min of leave on a 480-minute day -> leave 480, expected 0.
    leaves = [
        {"date": MON, "minutes": 300, "kind": "paid"},
        {"date": MON, "minutes": 300, "kind": "cto"},
    ]
    record = day(MON, [], [["08:00", "17:00"]], 60, leaves=leaves)
    assert (record["leave_minutes"], record["expected_minutes"]) == (480, 0)
    assert record["status"] == "on_leave"
    assert (record["late_in_minutes"], record["early_out_minutes"]) == (0, 0)
    assert record["undertime_minutes"] == 0 and not record["provisional"]


def test_e4_3_punches_on_a_whole_leave_day_are_worked_on_leave_and_provisional():
    leaves = [{"date": MON, "minutes": 480, "kind": "paid"}]
    record = day(
        MON, punches(MON, ("08:00", 0), ("17:00", 1)), [["08:00", "17:00"]], 60, leaves=leaves
    )
    assert "worked_on_leave" in record["exceptions"]
    assert record["provisional"] is True


def test_e4_3_leave_on_a_rest_day_counts_nothing():
    record = day(MON, [], leaves=[{"date": MON, "minutes": 480, "kind": "paid"}])
    assert (record["leave_minutes"], record["expected_minutes"], record["status"]) == (0, 0, "off")
