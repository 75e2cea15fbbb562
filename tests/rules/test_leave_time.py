"""zk_rules.leave_time: a leave's working minutes per date (daily records, CTO, payroll)."""

from datetime import date, datetime

import pytest

from zk_rules.leave_time import leave_minutes_per_date


def office_day(day, lunch=True):
    """08-12 and 13-17 (lunch 12-13 is not working time), as Odoo's calendar reads."""
    at = lambda h, m=0: datetime(day.year, day.month, day.day, h, m)  # noqa: E731
    return [(at(8), at(12)), (at(13), at(17))] if lunch else [(at(8), at(17))]


MON, TUE, WED = date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 5)


def test_full_day_leave_counts_the_working_hours_not_the_clock():
    work = office_day(MON)
    assert leave_minutes_per_date(work, datetime(2025, 3, 3), datetime(2025, 3, 4)) == {
        MON: 480}


def test_lunch_inside_the_leave_is_not_leave():
    """Part D: 08:00-13:00 on 08-12 / lunch / 13-17 is 4 h, as hr.leave and the bank say."""
    work = office_day(MON)
    assert leave_minutes_per_date(work, datetime(2025, 3, 3, 8), datetime(2025, 3, 3, 13)) == {
        MON: 240}


def test_several_days_each_date_its_own_minutes():
    work = office_day(MON) + office_day(TUE) + office_day(WED)
    got = leave_minutes_per_date(work, datetime(2025, 3, 3, 13), datetime(2025, 3, 5, 10))
    assert got == {MON: 240, TUE: 480, WED: 120}


def test_dates_without_covered_working_time_are_left_out():
    work = office_day(MON) + office_day(WED)  # Tuesday: a holiday, already taken out
    got = leave_minutes_per_date(work, datetime(2025, 3, 3), datetime(2025, 3, 6))
    assert got == {MON: 480, WED: 480}
    assert leave_minutes_per_date(work, datetime(2025, 3, 3, 18), datetime(2025, 3, 3, 20)) \
        == {}


def test_an_interval_counts_on_the_date_it_starts():
    """A night shift 22:00-06:00 belongs to the date it starts, as Odoo groups it."""
    work = [(datetime(2025, 3, 3, 22), datetime(2025, 3, 4, 6))]
    assert leave_minutes_per_date(work, datetime(2025, 3, 3, 23), datetime(2025, 3, 4, 7)) \
        == {MON: 420}


def test_rounded_to_the_minute_once_per_date():
    """Three pieces of 20 s make one minute: rounding per date, not per piece."""
    work = [(datetime(2025, 3, 3, 8, 0, 0), datetime(2025, 3, 3, 8, 0, 20)),
            (datetime(2025, 3, 3, 9, 0, 0), datetime(2025, 3, 3, 9, 0, 20)),
            (datetime(2025, 3, 3, 10, 0, 0), datetime(2025, 3, 3, 10, 0, 20))]
    assert leave_minutes_per_date(work, datetime(2025, 3, 3), datetime(2025, 3, 4)) == {MON: 1}


def test_without_bounds_the_intervals_are_what_the_leave_covers():
    """As Odoo's calendar gives them when asked over the leave: already clipped."""
    covered = [(datetime(2025, 3, 3, 13), datetime(2025, 3, 3, 17)),
               (datetime(2025, 3, 4, 8), datetime(2025, 3, 4, 12)),
               (datetime(2025, 3, 4, 13), datetime(2025, 3, 4, 15, 30))]
    assert leave_minutes_per_date(covered) == {MON: 240, TUE: 390}


@pytest.mark.parametrize(("start", "end"), [
    (datetime(2025, 3, 3, 10), datetime(2025, 3, 3, 10)),
    (datetime(2025, 3, 3, 12), datetime(2025, 3, 3, 9)),
])
def test_empty_or_reversed_leave_has_no_minutes(start, end):
    assert leave_minutes_per_date(office_day(MON), start, end) == {}
