"""Part D schedule mapping: calendar lines -> engine schedule (zk_rules.calendar)."""

from datetime import date

import pytest

from zk_rules.calendar import CalendarLine, hhmm, odoo_week_type, schedule_for_dates

MON, TUE = date(2025, 3, 3), date(2025, 3, 4)  # a Monday and the Tuesday after


def office_week():
    lines = []
    for dow in range(5):
        lines += [CalendarLine(dow, 8, 12), CalendarLine(dow, 12, 13, "lunch"),
                  CalendarLine(dow, 13, 17, "afternoon")]
    return lines


def test_part_d_lunch_line_joins_the_day_into_one_segment_with_an_unpaid_break():
    schedule = schedule_for_dates(office_week(), [MON])
    # 08-12 + lunch 12-13 + 13-17 is one segment 08:00-17:00 (540 min) with a 60-minute
    # floating unpaid break: scheduled = 540 - 60 = 480, Odoo's 8 hours (Part E6).
    assert schedule == {"2025-03-03": {"segments": [["08:00", "17:00"]],
                                       "unpaid_break_minutes": 60}}


def test_part_d_split_shift_without_lunch_line_stays_two_segments():
    lines = [CalendarLine(0, 8, 12), CalendarLine(0, 16, 20, "afternoon")]
    schedule = schedule_for_dates(lines, [MON])
    assert schedule["2025-03-03"] == {"segments": [["08:00", "12:00"], ["16:00", "20:00"]],
                                      "unpaid_break_minutes": 0}


def test_part_d_rest_days_are_not_listed():
    sunday = date(2025, 3, 9)
    assert schedule_for_dates(office_week(), [sunday]) == {}


def test_part_d_overnight_24_00_joins_next_day_00_00_line():
    # Mon 22:00-24:00 + Tue 00:00-06:00 is one segment 22:00-06:00 of Monday (E3.1: end <= start).
    lines = [CalendarLine(0, 22, 24), CalendarLine(1, 0, 6)]
    schedule = schedule_for_dates(lines, [MON, TUE])
    assert schedule == {"2025-03-03": {"segments": [["22:00", "06:00"]],
                                       "unpaid_break_minutes": 0}}


def test_part_d_first_night_after_rest_day_has_no_phantom_tail():
    # Sunday has no 22-24 line, so Monday's 00-06 line is a shift of its own.
    lines = [CalendarLine(0, 0, 6), CalendarLine(0, 22, 24), CalendarLine(1, 0, 6)]
    schedule = schedule_for_dates(lines, [MON])
    assert schedule["2025-03-03"]["segments"] == [["00:00", "06:00"], ["22:00", "06:00"]]


def test_part_d_week_type_selects_lines_on_two_week_calendars():
    lines = [CalendarLine(0, 8, 12, week_type=0), CalendarLine(0, 13, 17, week_type=1)]
    other_monday = date(2025, 3, 10)
    first = schedule_for_dates(lines, [MON], two_weeks=True)["2025-03-03"]["segments"]
    second = schedule_for_dates(lines, [other_monday], two_weeks=True)["2025-03-10"]["segments"]
    assert odoo_week_type(MON) != odoo_week_type(other_monday)
    assert {tuple(first[0]), tuple(second[0])} == {("08:00", "12:00"), ("13:00", "17:00")}


def test_part_d_date_range_limits_lines():
    lines = [CalendarLine(0, 8, 17, date_from=date(2025, 3, 10))]
    assert schedule_for_dates(lines, [MON]) == {}
    assert schedule_for_dates(lines, [date(2025, 3, 10)])["2025-03-10"]["segments"] == [
        ["08:00", "17:00"]]


def test_hhmm_rejects_hours_outside_the_day():
    assert hhmm(7.5) == "07:30"
    with pytest.raises(ValueError, match="outside 0-24"):
        hhmm(25)
