"""zk_rules.reconciliation: the state a terminal-day gets, which days are due, when a terminal
is asked (issue 17)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zk_rules import reconciliation as r


@pytest.mark.parametrize(("counts", "expected"), [
    ((10, 10, 0, 0, False), (r.CONFIRMED, None)),
    ((10, 10, 3, 0, False), (r.GAPS_FILLED, None)),
    ((0, 0, 0, 0, False), (r.CONFIRMED, None)),  # an empty day both sides agree on
    ((4, 10, 0, 0, False), (r.INCOMPLETE, r.TERMINAL_HOLDS_FEWER)),
    ((0, 10, 0, 0, True), (r.INCOMPLETE, r.LOG_CLEARED)),
    ((0, 0, 0, 0, True), (r.INCOMPLETE, r.LOG_CLEARED)),  # cleared: an empty day proves nothing
    ((5, 5, 0, 0, True), (r.CONFIRMED, None)),  # cleared later: the day still came back whole
    ((10, 10, 0, 2, False), (r.INCOMPLETE, r.OTHER_DAYS)),
    ((10, 10, 4, 2, False), (r.INCOMPLETE, r.OTHER_DAYS)),
])
def test_answered_state(counts, expected):
    assert r.answered_state(*counts) == expected


@given(at=st.integers(0, 50), on=st.integers(0, 50), gaps=st.integers(0, 50),
       other=st.integers(0, 5), cleared=st.booleans())
def test_never_confirmed_unless_everything_came_back(at, on, gaps, other, cleared):
    state, _ = r.answered_state(at, on, gaps, other, cleared)
    if state in (r.CONFIRMED, r.GAPS_FILLED):
        assert other == 0 and at >= on
    if state == r.CONFIRMED:
        assert gaps == 0
        assert not (cleared and at == 0)


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="never negative"):
        r.answered_state(-1, 0, 0, 0)


def test_day_range_ends_now_for_today():
    now = datetime(2025, 3, 4, 10, 30, 5)
    assert r.day_range("2025-03-03", now) == ("2025-03-03 00:00:00", "2025-03-03 23:59:59")
    assert r.day_range("2025-03-04", now) == ("2025-03-04 00:00:00", "2025-03-04 10:30:05")


def test_days_between_refuses_future_reversed_long_and_malformed():
    today = date(2025, 3, 4)
    assert r.days_between("2025-03-02", "2025-03-04", today) == [
        "2025-03-02", "2025-03-03", "2025-03-04"]
    for first, last, words in (("2025-03-05", "2025-03-05", "has not begun"),
                               ("2025-03-04", "2025-03-01", "before"),
                               ("2024-01-01", "2025-03-01", "at most"),
                               ("03/01/2025", "2025-03-01", "YYYY-MM-DD")):
        with pytest.raises(ValueError, match=words):
            r.days_between(first, last, today)


def test_closed_days_stop_at_the_first_day():
    today = date(2025, 3, 10)
    assert r.closed_days(today, 3) == ["2025-03-07", "2025-03-08", "2025-03-09"]
    assert r.closed_days(today, 3, first_day=date(2025, 3, 9)) == ["2025-03-09"]
    assert r.closed_days(today, 3, first_day=today) == []


def test_due_days_once_a_night_and_only_retry_states():
    now = datetime(2025, 3, 10, 2, 0)
    states = {"2025-03-07": r.CONFIRMED, "2025-03-08": r.NOT_ANSWERED,
              "2025-03-09": r.TERMINAL_OFFLINE, "2025-03-06": r.INCOMPLETE}
    asked = {"2025-03-09": now - timedelta(hours=2), "2025-03-08": now - timedelta(hours=24)}
    candidates = ["2025-03-05", "2025-03-06", "2025-03-07", "2025-03-08", "2025-03-09"]
    # 05: never asked; 08: asked last night; 09: asked two hours ago: not again tonight
    assert r.due_days(states, asked, candidates, now) == ["2025-03-05", "2025-03-08"]


def test_spread_is_stable_inside_the_first_half_and_windows_cross_midnight():
    offsets = {r.spread_offset(f"SN{i:04d}", "22:00-04:00") for i in range(200)}
    assert max(offsets) < 180 and len(offsets) > 50  # spread, within 3 of the 6 hours
    assert r.spread_offset("SN0001", "22:00-04:00") == r.spread_offset("SN0001", "22:00-04:00")
    serial = "SN0001"
    offset = r.spread_offset(serial, "22:00-04:00")
    turn = datetime(2025, 3, 10, 22, 0) + timedelta(minutes=offset)
    assert r.in_window(serial, "22:00-04:00", turn)
    assert r.in_window(serial, "22:00-04:00", datetime(2025, 3, 11, 3, 59))
    assert not r.in_window(serial, "22:00-04:00", datetime(2025, 3, 11, 4, 0))
    assert not r.in_window(serial, "22:00-04:00", datetime(2025, 3, 10, 21, 59))
    if offset:
        assert not r.in_window(serial, "22:00-04:00", turn - timedelta(minutes=1))
    assert r.in_window(serial, "00:00-24:00", datetime(2025, 3, 10, 23, 59))
