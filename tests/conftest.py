"""Hypothesis runs derandomized by default, so the test command gives the same verdict on every
run (CI included). Explore with fresh random examples: HYPOTHESIS_PROFILE=explore (and
ZK_FUZZ_SCALE=N for the fuzz suite)."""

import os

from hypothesis import settings

settings.register_profile("default-derandomized", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default-derandomized"))
