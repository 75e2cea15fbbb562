"""Self-service request checks (zk_rules.selfservice): what an employee may ask for."""

from datetime import date, datetime, time, timedelta

import pytest

from zk_rules import selfservice as ss

NOW = datetime(2026, 3, 10, 9, 30)


def code_of(call, *args, **kwargs):
    with pytest.raises(ss.RequestError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def test_a_missing_check_out_yesterday_is_accepted():
    request = ss.parse_request("2026-03-09", "17:05", "out", "  Forgot to check out ", NOW)
    assert request == ss.PunchRequest(datetime(2026, 3, 9, 17, 5), "out", "Forgot to check out")


@pytest.mark.parametrize("text", ["", "2026-13-01", "09/03/2026", "yesterday", "2026-02-30"])
def test_dates_that_do_not_parse(text):
    assert code_of(ss.parse_request, text, "08:00", "in", "reason", NOW) == ss.BAD_DATE


@pytest.mark.parametrize("text", ["", "8", "24:00", "12:60", "12:5", "ab:cd", "123:00",
                                  "12:00:00", "-1:00"])
def test_times_that_do_not_parse(text):
    assert code_of(ss.parse_request, "2026-03-09", text, "in", "reason", NOW) == ss.BAD_TIME


def test_single_digit_hours_parse():
    assert ss.parse_clock("7:05") == time(7, 5)


def test_direction_must_be_in_or_out():
    assert code_of(ss.parse_request, "2026-03-09", "08:00", "break", "why", NOW) == \
        ss.BAD_DIRECTION


def test_future_punches_are_refused_even_later_today():
    assert code_of(ss.parse_request, "2026-03-10", "09:31", "in", "why", NOW) == ss.IN_FUTURE
    assert ss.parse_request("2026-03-10", "09:30", "in", "why", NOW).local == NOW


def test_days_back_limit_is_inclusive():
    limit = (NOW.date() - timedelta(days=31)).isoformat()
    assert ss.parse_request(limit, "08:00", "in", "why", NOW).local.date() == \
        date(2026, 2, 7)
    older = (NOW.date() - timedelta(days=32)).isoformat()
    with pytest.raises(ss.RequestError) as caught:
        ss.parse_request(older, "08:00", "in", "why", NOW)
    assert (caught.value.code, caught.value.limit) == (ss.TOO_OLD, 31)
    assert code_of(ss.parse_request, "2026-03-08", "08:00", "in", "why", NOW,
                   days_back=1) == ss.TOO_OLD


def test_reason_length_bounds():
    assert code_of(ss.check_reason, " a ") == ss.REASON_SHORT
    assert ss.check_reason("x" * ss.REASON_MAX) == "x" * ss.REASON_MAX
    assert code_of(ss.check_reason, "x" * (ss.REASON_MAX + 1)) == ss.REASON_LONG


def test_rate_limit_counts_the_last_hour_only():
    recent = [NOW - timedelta(minutes=m) for m in range(ss.RATE_PER_HOUR - 1)]
    ss.check_rate(recent + [NOW - timedelta(hours=2)], NOW)
    with pytest.raises(ss.RequestError) as caught:
        ss.check_rate(recent + [NOW - timedelta(minutes=59)], NOW)
    assert (caught.value.code, caught.value.limit) == (ss.RATE_LIMITED, ss.RATE_PER_HOUR)


def test_nudge_flags_name_what_the_employee_can_fix():
    assert ss.nudge_flags(False, True, "incomplete") == ("missing_check_out",)
    assert ss.nudge_flags(True, False, "incomplete") == ("missing_check_in",)
    assert ss.nudge_flags(False, False, "absent") == ("absent",)
    assert ss.nudge_flags(False, False, "compliant") == ()


def test_suggested_punch_from_a_flagged_day():
    assert ss.suggested_punch(False, True, ("08:00", "17:00")) == ("out", "17:00")
    assert ss.suggested_punch(True, False, ("09:00", "18:00")) == ("in", "09:00")
    assert ss.suggested_punch(False, True) == ("out", "17:00")
    assert ss.suggested_punch(False, False) is None
