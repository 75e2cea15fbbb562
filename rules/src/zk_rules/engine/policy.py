"""B2 policy parameters: defaults, and validation that names the offending key.

Build a policy once (``parse_policy`` or ``Policy(...)``) and pass it to every call: the addon
computes many employees under one company policy, so nothing is re-validated per day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import EngineInputError
from .localtime import parse_hhmm

ROUNDING_MODES = ("nearest", "up", "down")
STATUS_MODES = ("auto", "ignore")
APPROVAL_MODES = ("auto", "manager")


def non_negative_int(value: Any, name: str) -> int:
    """An integer >= 0 (bools refused: ``true`` is not a number of minutes)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise EngineInputError(name, f"must be an integer, got {value!r}")
    if value < 0:
        raise EngineInputError(name, "must be >= 0")
    return value


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise EngineInputError(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Rounding:
    """E7 rounding; ``unit_minutes`` 1 switches it off."""

    unit_minutes: int = 1
    in_mode: str = "nearest"
    out_mode: str = "nearest"

    def __post_init__(self) -> None:
        if non_negative_int(self.unit_minutes, "policy.rounding.unit_minutes") < 1:
            raise EngineInputError("policy.rounding.unit_minutes", "must be >= 1")
        _choice(self.in_mode, "policy.rounding.in_mode", ROUNDING_MODES)
        _choice(self.out_mode, "policy.rounding.out_mode", ROUNDING_MODES)


_INT_KEYS = (
    "double_tap_seconds",
    "early_window_minutes",
    "late_window_minutes",
    "anchor_window_minutes",
    "grace_late_minutes",
    "grace_early_out_minutes",
    "break_trigger_minutes",
    "rest_day_unpaid_break_minutes",
    "long_break_tolerance_minutes",
    "overtime_threshold_minutes",
)


@dataclass(frozen=True, slots=True)
class Policy:
    """B2 with its defaults (times of day as ``HH:MM`` text, as in B2). Validated on creation."""

    double_tap_seconds: int = 120
    status_mode: str = "auto"
    early_window_minutes: int = 240
    late_window_minutes: int = 360
    day_change_time: str = "04:00"
    anchor_window_minutes: int = 120
    grace_late_minutes: int = 5
    grace_early_out_minutes: int = 5
    rounding: Rounding = field(default_factory=Rounding)
    break_trigger_minutes: int = 300
    rest_day_unpaid_break_minutes: int = 60
    long_break_tolerance_minutes: int = 5
    overtime_threshold_minutes: int = 30
    count_early_arrival: bool = False
    overtime_approval: str = "manager"
    night_start: str = "22:00"
    night_end: str = "06:00"
    # Minutes of day derived in __post_init__ so no day re-parses text.
    day_change_minute: int = field(init=False, compare=False, repr=False)
    night_start_minute: int = field(init=False, compare=False, repr=False)
    night_end_minute: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for key in _INT_KEYS:
            non_negative_int(getattr(self, key), f"policy.{key}")
        _choice(self.status_mode, "policy.status_mode", STATUS_MODES)
        _choice(self.overtime_approval, "policy.overtime_approval", APPROVAL_MODES)
        if not isinstance(self.count_early_arrival, bool):
            raise EngineInputError(
                "policy.count_early_arrival",
                f"must be true or false, got {self.count_early_arrival!r}",
            )
        if not isinstance(self.rounding, Rounding):
            raise EngineInputError("policy.rounding", "must be a Rounding")
        derived = {
            "day_change_minute": parse_hhmm(self.day_change_time, "policy.day_change_time"),
            "night_start_minute": parse_hhmm(self.night_start, "policy.night_start"),
            "night_end_minute": parse_hhmm(self.night_end, "policy.night_end"),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)


POLICY_KEYS = frozenset(f.name for f in fields(Policy) if f.init)


def _rounding(value: Any) -> Rounding:
    if isinstance(value, Rounding):
        return value
    if not isinstance(value, Mapping):
        raise EngineInputError("policy.rounding", f"must be an object, got {value!r}")
    for key in value:
        if key not in ("unit_minutes", "in_mode", "out_mode"):
            raise EngineInputError(f"policy.rounding.{key}", "unknown key")
    return Rounding(**value)


def parse_policy(policy: Policy | Mapping[str, Any] | None) -> Policy:
    """Validate a B2 mapping (any subset of the keys; missing keys take the defaults).

    Unknown keys are refused: a misspelt key silently falling back to its default would yield
    a wrong day.
    """
    if isinstance(policy, Policy):
        return policy
    if policy is None:
        return DEFAULT_POLICY
    if not isinstance(policy, Mapping):
        raise EngineInputError("policy", f"must be an object, got {type(policy).__name__}")
    values = dict(policy)
    for key in values:
        if key not in POLICY_KEYS:
            raise EngineInputError(f"policy.{key}", "unknown policy key (see B2)")
    if "rounding" in values:
        values["rounding"] = _rounding(values["rounding"])
    return Policy(**values)


DEFAULT_POLICY = Policy()
