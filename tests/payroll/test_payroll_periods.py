"""Pay periods: boundaries, February and leap years, close instants across DST, cron windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zk_rules.payroll import (
    PayrollInputError,
    Period,
    PeriodPolicy,
    closes_at,
    period_containing,
    periods_closed_between,
)

D = date.fromisoformat


def policy(kind, tz="Asia/Manila", **extra):
    return PeriodPolicy.from_mapping({"kind": kind, "timezone": tz, **extra})


def utc(text):
    return datetime.fromisoformat(text).astimezone(UTC)


# --------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize(
    ("week_start", "day", "start", "end"),
    [
        (0, "2025-03-05", "2025-03-03", "2025-03-09"),  # Monday weeks
        (0, "2025-03-03", "2025-03-03", "2025-03-09"),  # the start day itself
        (0, "2025-03-09", "2025-03-03", "2025-03-09"),  # the last day itself
        (6, "2025-03-05", "2025-03-02", "2025-03-08"),  # Sunday weeks
        ("saturday", "2025-03-08", "2025-03-08", "2025-03-14"),
        (0, "2025-01-01", "2024-12-30", "2025-01-05"),  # across the new year
        (2, "2024-02-29", "2024-02-28", "2024-03-05"),  # Wednesday weeks over a leap day
    ],
)
def test_weekly_periods_start_on_the_configured_weekday(week_start, day, start, end):
    period = policy("weekly", week_start=week_start).period_containing(day)
    assert period == Period(D(start), D(end))
    assert period.days == 7


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        ("2025-03-01", "2025-03-01", "2025-03-15"),
        ("2025-03-15", "2025-03-01", "2025-03-15"),
        ("2025-03-16", "2025-03-16", "2025-03-31"),
        ("2025-04-30", "2025-04-16", "2025-04-30"),
        ("2025-02-20", "2025-02-16", "2025-02-28"),  # February, common year
        ("2024-02-29", "2024-02-16", "2024-02-29"),  # leap year
        ("2000-02-16", "2000-02-16", "2000-02-29"),  # divisible by 400: leap
        ("2100-02-27", "2100-02-16", "2100-02-28"),  # divisible by 100: not leap
        ("2025-12-31", "2025-12-16", "2025-12-31"),
    ],
)
def test_semi_monthly_periods(day, start, end):
    assert policy("semi_monthly").period_containing(day) == Period(D(start), D(end))


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        ("2025-01-31", "2025-01-01", "2025-01-31"),
        ("2025-02-01", "2025-02-01", "2025-02-28"),
        ("2024-02-10", "2024-02-01", "2024-02-29"),
        ("2025-04-30", "2025-04-01", "2025-04-30"),
    ],
)
def test_monthly_periods(day, start, end):
    assert period_containing({"kind": "monthly", "timezone": "UTC"}, day) == Period(
        D(start), D(end)
    )


def test_next_and_previous_periods_tile_the_calendar():
    semi = policy("semi_monthly")
    first = semi.period_containing("2024-02-01")
    second = semi.next_period(first)
    assert second == Period(D("2024-02-16"), D("2024-02-29"))
    assert semi.next_period(second) == Period(D("2024-03-01"), D("2024-03-15"))
    assert semi.previous_period(first) == Period(D("2024-01-16"), D("2024-01-31"))


# --------------------------------------------------------------------------- close instants


def test_default_close_is_noon_of_the_next_local_day():
    p = policy("monthly", "Asia/Manila")
    assert p.closes_at(p.period_containing("2025-02-14")) == utc("2025-03-01T12:00+08:00")
    assert closes_at(
        {"kind": "monthly", "timezone": "Asia/Manila"}, {"start": "2024-02-01", "end": "2024-02-29"}
    ) == utc("2024-03-01T04:00Z")


def test_close_time_across_the_spring_dst_change_in_berlin():
    berlin = policy("weekly", "Europe/Berlin", close_offset_days=1, close_time="00:00")
    before = berlin.period_containing("2025-03-20")  # 17..23 March, CET
    dst_week = berlin.period_containing("2025-03-27")  # 24..30 March, DST starts 30 March
    assert berlin.closes_at(before) == utc("2025-03-23T23:00Z")  # 00:00+01:00 on the 24th
    assert berlin.closes_at(dst_week) == utc("2025-03-30T22:00Z")  # 00:00+02:00 on the 31st
    # Seven calendar days, one real hour fewer.
    assert berlin.closes_at(dst_week) - berlin.closes_at(before) == timedelta(hours=167)


def test_close_time_in_the_spring_gap_takes_the_offset_before_the_change():
    berlin = policy("weekly", "Europe/Berlin", close_offset_days=0, close_time="02:30")
    week = berlin.period_containing("2025-03-30")
    assert week.end == D("2025-03-30")
    # 02:30 does not exist on 30 March 2025; fold=0 reads it with +01:00 (E0.3).
    assert berlin.closes_at(week) == utc("2025-03-30T01:30Z")


def test_close_time_in_the_autumn_repeat_takes_the_first_occurrence():
    berlin = policy("monthly", "Europe/Berlin", close_offset_days=26, close_time="02:30")
    september = berlin.period_containing("2025-09-10")
    assert september.end + timedelta(days=26) == D("2025-10-26")
    assert berlin.closes_at(september) == utc("2025-10-26T00:30Z")  # 02:30+02:00, not +01:00
    october = berlin.period_containing("2025-10-10")
    assert berlin.closes_at(october) == utc("2025-11-26T01:30Z")  # CET again


# --------------------------------------------------------------------------- cron windows


def test_periods_closed_between_two_cron_runs():
    monthly = {"kind": "monthly", "timezone": "Asia/Manila"}
    closed = periods_closed_between(
        monthly, utc("2025-03-01T00:00Z"), utc("2025-06-01T12:00+08:00")
    )
    assert [p.start.month for p in closed] == [2, 3, 4, 5]  # May closes exactly at `until`
    assert (
        periods_closed_between(monthly, utc("2025-06-01T04:00Z"), utc("2025-06-01T04:00:01Z")) == []
    )  # not picked twice
    assert periods_closed_between(monthly, utc("2025-06-02T00:00Z"), utc("2025-06-01T00:00Z")) == []


def test_periods_closed_between_needs_aware_datetimes():
    with pytest.raises(PayrollInputError, match="^after: must be an aware datetime"):
        periods_closed_between(
            {"kind": "weekly", "timezone": "UTC"}, datetime(2025, 3, 1), utc("2025-03-09T00:00Z")
        )


@given(
    kind=st.sampled_from(["weekly", "semi_monthly", "monthly"]),
    tz=st.sampled_from(["Europe/Berlin", "Asia/Manila", "America/New_York", "UTC"]),
    offset=st.integers(0, 10),
    close=st.sampled_from(["00:00", "02:30", "12:00", "23:59"]),
    start=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    cuts=st.lists(st.integers(1, 60 * 24 * 40), min_size=1, max_size=6),
)
def test_cron_windows_pick_every_period_exactly_once(kind, tz, offset, close, start, cuts):
    p = policy(kind, tz, close_offset_days=offset, close_time=close)
    instants = [start]
    for minutes in cuts:
        instants.append(instants[-1] + timedelta(minutes=minutes))
    pieces = []
    for after, until in zip(instants, instants[1:], strict=False):
        pieces.extend(p.closed_between(after, until))
    whole = p.closed_between(instants[0], instants[-1])
    assert pieces == whole
    for period in whole:
        assert instants[0] < p.closes_at(period) <= instants[-1]
    assert all(a.end + timedelta(days=1) == b.start for a, b in zip(whole, whole[1:], strict=False))


@given(
    kind=st.sampled_from(["weekly", "semi_monthly", "monthly"]),
    week_start=st.integers(0, 6),
    day=st.dates(date(1901, 1, 1), date(2198, 12, 1)),
)
def test_every_date_lies_in_one_period_of_the_right_length(kind, week_start, day):
    p = policy(kind, "UTC", week_start=week_start)
    period = p.period_containing(day)
    assert day in period
    assert p.next_period(period).start == period.end + timedelta(days=1)
    assert p.period_containing(period.start) == p.period_containing(period.end) == period
    low, high = {"weekly": (7, 7), "semi_monthly": (13, 16), "monthly": (28, 31)}[kind]
    assert low <= period.days <= high
    if kind == "weekly":
        assert period.start.weekday() == week_start


# --------------------------------------------------------------------------- bad settings


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ({"kind": "biweekly"}, "kind"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"week_start": 7}, "week_start"),
        ({"week_start": "funday"}, "week_start"),
        ({"close_time": "24:00"}, "close_time"),
        ({"close_time": "8:00"}, "close_time"),
        ({"close_offset_days": -1}, "close_offset_days"),
        ({"close_offset_days": 63}, "close_offset_days"),
        ({"close_day": 1}, "close_day"),
    ],
)
def test_bad_period_settings_name_the_field(setting, field):
    with pytest.raises(PayrollInputError) as caught:
        PeriodPolicy.from_mapping({"kind": "weekly", "timezone": "UTC", **setting})
    assert caught.value.field == f"period_policy.{field}"


def test_dates_outside_the_engine_years_are_refused():
    with pytest.raises(PayrollInputError, match="^day: year must be 1900-2199"):
        policy("monthly").period_containing("1899-12-31")
    assert policy("monthly").period_containing(date(2199, 12, 31)).end == date(2199, 12, 31)


def test_fixed_offset_zones_are_not_iana_names():
    with pytest.raises(PayrollInputError):
        PeriodPolicy.from_mapping({"kind": "weekly", "timezone": UTC})
