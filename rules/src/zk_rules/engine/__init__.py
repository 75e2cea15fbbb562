"""Daily activity engine (engine-rules.md Part B, rules E0-E10) as plain Python, no Odoo.

Public API: ``compute_days`` (B1 inputs -> B4 ``DayRecord`` per date), the typed inputs
``Punch``/``DaySchedule``/``Holiday``/``Leave``/``Policy``, ``parse_policy``,
``reconcile_lines`` (E9.3 on a recomputed day) and ``replay.replay_document`` (G1 JSON).
"""

from .compute import compute_days
from .errors import EngineInputError
from .model import (
    DayRecord,
    DaySchedule,
    Holiday,
    Interval,
    Leave,
    Missing,
    OvertimeLine,
    OvertimeMinutes,
    Punch,
)
from .overtime import Reconciliation, ReviewedLine, reconcile_lines
from .policy import DEFAULT_POLICY, Policy, Rounding, parse_policy

__all__ = [
    "DEFAULT_POLICY",
    "DayRecord",
    "DaySchedule",
    "EngineInputError",
    "Holiday",
    "Interval",
    "Leave",
    "Missing",
    "OvertimeLine",
    "OvertimeMinutes",
    "Policy",
    "Punch",
    "Reconciliation",
    "ReviewedLine",
    "Rounding",
    "compute_days",
    "parse_policy",
    "reconcile_lines",
]
