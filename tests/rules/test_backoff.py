"""Exponential backoff with full jitter (zk_rules.backoff)."""

import pytest

from zk_rules.backoff import backoff_ceiling, backoff_delay


def test_ceiling_doubles_per_failure_up_to_the_cap():
    # base 30 s: 60, 120, 240, 480, then the 600 s cap.
    assert [backoff_ceiling(n, 30, 600) for n in range(0, 7)] == [0, 60, 120, 240, 480, 600, 600]


def test_delay_is_uniform_between_zero_and_the_ceiling():
    seen = []
    assert backoff_delay(3, 30, 600, uniform=lambda a, b: seen.append((a, b)) or b) == 240
    assert seen == [(0.0, 240)]


def test_huge_failure_counts_stay_at_the_cap():
    assert backoff_ceiling(10_000, 1, 3600) == 3600


def test_non_positive_parameters_are_refused():
    with pytest.raises(ValueError):
        backoff_ceiling(1, 0, 10)
