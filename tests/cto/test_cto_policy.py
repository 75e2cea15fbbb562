"""Policy parameters, defaults and validation (Part C, Part E); C2 rates; C7 validity."""

from __future__ import annotations

from datetime import date

import pytest

from zk_rules.cto import CtoInputError, Expiry, Policy
from zk_rules.cto.policy import add_months


def test_defaults_follow_csc():
    policy = Policy.from_mapping({})
    assert policy.credit_raw("workday", 60) == 60  # 60 × 1.0
    assert policy.credit_raw("rest_day", 60) == 90  # 60 × 1.5
    assert policy.credit_raw("holiday", 60) == 90  # 60 × 1.5
    assert policy.monthly_cap_minutes == 2400  # 40 h
    assert policy.balance_cap_minutes == 7200  # 120 h
    assert policy.expiry == Expiry("rolling_months", 12)
    assert policy.allowed_day_blocks_minutes == (240, 480)
    assert policy.max_days_per_request == 5
    assert policy.cap_overflow == "forfeit" and policy.separation == "forfeit"
    assert Policy.from_mapping(None) == policy == Policy()


def test_c2_rate_exact_decimal_1_5_times_41_is_61():
    # 41 × 1.5 = 61.5 exactly -> floor 61 (never 61.4999… -> 61 by luck, nor 62)
    assert Policy.from_mapping({}).credit_raw("rest_day", 41) == 61


@pytest.mark.parametrize(
    ("rate", "minutes", "expected"),
    [
        (1.1, 10, 11),  # float 1.1 is 1.100000000000000088…; its decimal text "1.1" × 10 = 11
        ("1.1", 10, 11),
        (0.7, 10, 7),  # 0.7 as a binary float is 0.6999…; decimal 0.7 × 10 = 7
        ("1.25", 7, 8),  # 8.75 -> 8
        (2, 33, 66),
        ("0", 100, 0),
    ],
)
def test_c2_rate_uses_the_decimal_text(rate, minutes, expected):
    policy = Policy.from_mapping({"rates": {"workday": rate}})
    assert policy.credit_raw("workday", minutes) == expected
    assert policy.credit_raw("rest_day", 2) == 3  # untouched kinds keep 1.5


def test_c2_flsa_style_rates():
    policy = Policy.from_mapping({"rates": {"workday": 1.5, "rest_day": 1.5, "holiday": 1.5}})
    assert [policy.credit_raw(k, 41) for k in ("workday", "rest_day", "holiday")] == [61] * 3


def test_c7_rolling_months_example_from_the_spec():
    # C7: earned 2024-03-15 -> valid until 2025-03-14
    assert Expiry().valid_until(date(2024, 3, 15)) == date(2025, 3, 14)


def test_c7_rolling_months_clamps_the_day():
    # 2024-02-29 + 12 months -> 2025-02-28 (clamped) - 1 day = 2025-02-27
    assert Expiry().valid_until(date(2024, 2, 29)) == date(2025, 2, 27)
    # 2024-01-31 + 1 month -> 2024-02-29 (clamped, leap year) - 1 day = 2024-02-28
    assert Expiry("rolling_months", 1).valid_until(date(2024, 1, 31)) == date(2024, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


def test_c7_end_of_following_year_and_none():
    assert Expiry("end_of_following_year").valid_until(date(2024, 1, 1)) == date(2025, 12, 31)
    assert Expiry("end_of_following_year").valid_until(date(2024, 12, 31)) == date(2025, 12, 31)
    assert Expiry("none").valid_until(date(2024, 1, 1)) is None


def test_caps_may_be_switched_off_with_null():
    policy = Policy.from_mapping({"monthly_cap_minutes": None, "balance_cap_minutes": None})
    assert policy.monthly_cap_minutes is None and policy.balance_cap_minutes is None


def test_to_dict_round_trips():
    given = {
        "rates": {"workday": "1.25", "rest_day": "1.5", "holiday": "2"},
        "monthly_cap_minutes": 600,
        "balance_cap_minutes": None,
        "expiry": {"mode": "end_of_following_year", "months": 12},
        "allowed_day_blocks_minutes": [60, 120],
        "max_days_per_request": 3,
        "cap_overflow": "payout",
        "separation": "payout",
    }
    assert Policy.from_mapping(given).to_dict() == given
    assert Policy.from_mapping(Policy.from_mapping(given).to_dict()) == Policy.from_mapping(given)


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"rates": {"workday": -1}}, "policy.rates.workday"),
        ({"rates": {"workday": "abc"}}, "policy.rates.workday"),
        ({"rates": {"workday": True}}, "policy.rates.workday"),
        ({"rates": {"workday": "NaN"}}, "policy.rates.workday"),
        ({"rates": {"overtime": 1}}, "policy.rates.overtime"),
        ({"monthly_cap_minutes": 2.5}, "policy.monthly_cap_minutes"),
        ({"balance_cap_minutes": -1}, "policy.balance_cap_minutes"),
        ({"expiry": {"mode": "yearly"}}, "policy.expiry.mode"),
        ({"expiry": {"months": 0}}, "policy.expiry.months"),
        ({"allowed_day_blocks_minutes": []}, "policy.allowed_day_blocks_minutes"),
        ({"allowed_day_blocks_minutes": [240, "8h"]}, "policy.allowed_day_blocks_minutes[1]"),
        ({"max_days_per_request": 0}, "policy.max_days_per_request"),
        ({"monthly_cap": 100}, "policy.monthly_cap"),
        ({"cap_overflow": "cash"}, "policy.cap_overflow"),
        ([], "policy"),
    ],
)
def test_invalid_policy_names_the_field(policy, field):
    with pytest.raises(CtoInputError) as info:
        Policy.from_mapping(policy)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert isinstance(info.value, ValueError)
