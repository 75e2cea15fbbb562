"""Leave minutes of a day by kind (LAYOUT.md leave columns): the engine's E4.3
``leave_minutes`` shared among the kinds of the day's leaves; the columns add up to it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payroll_helpers import PERIOD, day, employee

from zk_rules.payroll import (
    PayrollInputError,
    build_batch,
    columns,
    read_rows,
    split_leave_minutes,
)


def test_e4_3_half_day_of_two_kinds_keeps_each_half():
    assert split_leave_minutes(480, {"sick": 240, "cto": 240}) == {"cto": 240, "sick": 240}


def test_e4_3_leave_of_a_kind_the_day_no_longer_matches_is_other():
    assert split_leave_minutes(60, {}) == {"other": 60}
    assert split_leave_minutes(60, {"sick": 0}) == {"other": 60}


def test_e4_3_one_kind_takes_the_whole_engine_count():
    # The engine counted 300 (clock time of 08:00-13:00), the HR system 240 (lunch excluded):
    # the day's leave is one kind, so all of the day's leave minutes are that kind.
    assert split_leave_minutes(300, {"cto": 240}) == {"cto": 300}


def test_e4_3_more_leave_than_the_day_is_shared_in_proportion():
    # Two kinds asking 300 + 240 of a 480-minute day (E4.3 caps at the scheduled time):
    # 480 * 300/540 = 266.67 -> 267, 480 * 240/540 = 213.33 -> 213.
    assert split_leave_minutes(480, {"vacation": 300, "sick": 240}) == {
        "sick": 213, "vacation": 267}


def test_e4_3_remainders_go_to_the_largest_then_to_the_first_kind():
    assert split_leave_minutes(100, {"c": 1, "a": 1, "b": 1}) == {"a": 34, "b": 33, "c": 33}
    assert split_leave_minutes(10, {"a": 1, "b": 2}) == {"a": 3, "b": 7}  # 3.33, 6.67


def test_nothing_on_a_day_without_leave():
    assert split_leave_minutes(0, {"sick": 240}) == {}


@pytest.mark.parametrize(("total", "weights", "field"), [
    (-1, {}, "leave_minutes"),
    (1.5, {}, "leave_minutes"),
    (60, {"Sick": 60}, "leaves"),
    (60, {"other kind": 60}, "leaves"),
    (60, {"sick": -5}, "leaves.sick"),
    (60, {"sick": True}, "leaves.sick"),
])
def test_bad_inputs_name_their_field(total, weights, field):
    with pytest.raises(PayrollInputError, match=f"^{field}"):
        split_leave_minutes(total, weights)


kinds = st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
                        st.integers(0, 600), max_size=5)


@given(st.integers(0, 1440), kinds)
def test_e4_3_columns_always_add_up_to_the_day_and_ignore_order(total, weights):
    result = split_leave_minutes(total, weights)
    assert sum(result.values()) == total
    assert all(minutes > 0 for minutes in result.values())
    assert result == split_leave_minutes(total, dict(reversed(list(weights.items()))))
    if total and sum(weights.values()) == total:
        assert result == {k: m for k, m in weights.items() if m}
    if any(weights.values()):
        assert "other" not in result or weights.get("other")


def test_e4_3_mixed_kinds_reach_their_columns():
    """A day of half sick leave and half CTO, through the layout: each kind its column."""
    leaves = split_leave_minutes(480, {"sick": 240, "cto": 240})
    data = [employee("E001", "Ana", [day("2025-03-03", status="on_leave", regular_minutes=0,
                                        leave_minutes=480, leaves=leaves)])]
    config = {"unit": "minutes", "leave_kinds": ["cto", "sick"]}
    batch = build_batch(PERIOD, data, config)
    [row] = read_rows(batch.content, config)
    cells = dict(zip(columns(config), row, strict=True))
    assert (cells["leave_cto_minutes"], cells["leave_sick_minutes"],
            cells["leave_other_minutes"], cells["status"]) == ("240", "240", "0", "on_leave")
