"""Exponential backoff with full jitter, capped (architecture: every retrying path uses it).

delay(n) = uniform(0, min(cap, base * 2**n)) for the n-th consecutive failure (n >= 1), the
"full jitter" of AWS's backoff study: retries of many clients spread out instead of pulsing.
The random source is a parameter so callers and tests can compute a delay, not sleep it.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_ceiling(failures: int, base: float, cap: float) -> float:
    """Upper bound of the delay after `failures` consecutive failures (0 -> no delay)."""
    if failures <= 0:
        return 0.0
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    # 2**failures overflows nothing here: the exponent is clamped once the cap is reached.
    exponent = min(failures, 62)
    return min(cap, base * (2**exponent))


def backoff_delay(failures: int, base: float, cap: float,
                  uniform: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to wait before the next attempt: uniform(0, ceiling)."""
    return uniform(0.0, backoff_ceiling(failures, base, cap))
