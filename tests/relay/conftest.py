"""Fixtures for the relay tests (see relay_harness.py)."""

from relay_harness import relay, relay_factory  # noqa: F401
