"""The backoff schedule of push delivery (and every retrying path): exponential, full jitter,
capped. Computed with seeded random sources, never slept."""

from __future__ import annotations

import random
import statistics

import pytest

from zk_rules.backoff import backoff_ceiling, backoff_delay

BASE, CAP = 5.0, 600.0


def test_ceiling_doubles_then_stays_at_the_cap() -> None:
    assert [backoff_ceiling(n, BASE, CAP) for n in range(0, 10)] == [
        0, 10, 20, 40, 80, 160, 320, 600, 600, 600]
    assert backoff_ceiling(10**6, BASE, CAP) == CAP


@pytest.mark.parametrize("seed", range(5))
def test_every_delay_is_within_zero_and_its_ceiling(seed: int) -> None:
    rng = random.Random(seed)
    for failures in range(1, 40):
        ceiling = backoff_ceiling(failures, BASE, CAP)
        for _ in range(200):
            delay = backoff_delay(failures, BASE, CAP, uniform=rng.uniform)
            assert 0.0 <= delay <= ceiling <= CAP


@pytest.mark.parametrize("failures", [1, 3, 7, 12])
def test_full_jitter_is_uniform_over_zero_to_ceiling(failures: int) -> None:
    rng = random.Random(20240805 + failures)
    ceiling = backoff_ceiling(failures, BASE, CAP)
    sample = [backoff_delay(failures, BASE, CAP, uniform=rng.uniform) / ceiling
              for _ in range(20_000)]
    # uniform(0, 1): mean 1/2, standard deviation 1/sqrt(12); quartiles at 1/4, 1/2, 3/4
    assert statistics.fmean(sample) == pytest.approx(0.5, abs=0.01)
    assert statistics.pstdev(sample) == pytest.approx((1 / 12) ** 0.5, abs=0.01)
    quartiles = statistics.quantiles(sample, n=4)
    assert quartiles == pytest.approx([0.25, 0.5, 0.75], abs=0.015)
    # full jitter: small delays are as likely as large ones (no floor, unlike "equal jitter")
    assert sum(1 for x in sample if x < 0.1) / len(sample) == pytest.approx(0.1, abs=0.01)


def test_jitter_spreads_clients_that_failed_together() -> None:
    """1000 relays failing at the same moment do not retry at the same moment."""
    rng = random.Random(7)
    retries = sorted(backoff_delay(4, BASE, CAP, uniform=rng.uniform) for _ in range(1000))
    buckets = [0] * 8  # 8 equal slices of [0, 80)
    for r in retries:
        buckets[min(7, int(r / 10))] += 1
    assert all(90 <= b <= 160 for b in buckets), buckets


def test_the_deliverer_uses_this_schedule() -> None:
    """The relay's deliverer draws uniform(0, ceiling(n)) for its n-th failure in a row."""
    from zk_relay import odoo_delivery

    assert odoo_delivery.backoff_delay is backoff_delay
