"""Bounded example counts for the fuzz suite.

By default the whole folder runs in well under a minute. ``ZK_FUZZ_SCALE=20`` (any positive
integer) multiplies every example count for a longer run, e.g. before a release:

    ZK_FUZZ_SCALE=20 HYPOTHESIS_PROFILE=explore .venv/bin/pytest tests/fuzz -q

The default run is derandomized (tests/conftest.py) so CI's verdict is repeatable; the
exploring run draws fresh examples and is where new bugs are found.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("ZK_FUZZ_SCALE", "1") or 1))


def fuzz(examples: int) -> settings:
    """Settings for one property: ``examples`` x scale, no deadline (no timed assertions)."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.function_scoped_fixture],
    )
