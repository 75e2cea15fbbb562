"""Which approved overtime the bank credits around the employee's opt-in date (issue 23)."""

from __future__ import annotations

from datetime import date

import pytest

from zk_rules.cto import CtoInputError
from zk_rules.cto.membership import (
    BEFORE_JOINING,
    NOT_IN_BANK,
    first_creditable_date,
    not_credited_reason,
)

JOINED = date(2026, 12, 3)


def test_default_credits_from_the_opt_in_date_only():
    assert first_creditable_date(JOINED) == JOINED
    assert not_credited_reason(date(2026, 12, 2), member=True, opt_in=JOINED) == BEFORE_JOINING
    assert not_credited_reason(JOINED, member=True, opt_in=JOINED) is None
    assert not_credited_reason(date(2026, 12, 9), member=True, opt_in=JOINED) is None


def test_period_start_reaches_back_to_the_month_without_pay_periods():
    assert first_creditable_date(JOINED, "period_start") == date(2026, 12, 1)
    reason = not_credited_reason(date(2026, 12, 1), member=True, opt_in=JOINED,
                                 mode="period_start")
    assert reason is None
    reason = not_credited_reason(date(2026, 11, 30), member=True, opt_in=JOINED,
                                 mode="period_start")
    assert reason == BEFORE_JOINING


def test_period_start_takes_the_given_pay_period():
    # a weekly period Monday 30 Nov .. Sunday 6 Dec holds the opt-in date
    start = date(2026, 11, 30)
    assert first_creditable_date(JOINED, "period_start", start) == start
    assert not_credited_reason(start, member=True, opt_in=JOINED, mode="period_start",
                               period_start=start) is None
    # a pay period starting after the opt-in date does not hold it
    with pytest.raises(CtoInputError, match="period_start"):
        first_creditable_date(JOINED, "period_start", date(2026, 12, 16))


def test_not_a_member_earns_nothing_whatever_the_date():
    assert not_credited_reason(date(2027, 1, 5), member=False, opt_in=JOINED) == NOT_IN_BANK
    assert not_credited_reason(date(2027, 1, 5), member=False, opt_in=None) == NOT_IN_BANK


def test_unknown_opt_in_date_restricts_nothing():
    assert first_creditable_date(None, "period_start") is None
    assert not_credited_reason(date(2001, 1, 1), member=True, opt_in=None) is None


def test_unknown_mode_is_refused_naming_the_setting():
    with pytest.raises(CtoInputError, match="backdate"):
        first_creditable_date(JOINED, "whole_history")
