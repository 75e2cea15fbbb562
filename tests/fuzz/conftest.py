"""Fixtures for the fuzz tests: a real relay process (relay_proc.py)."""

from relay_proc import running_relay  # noqa: F401
