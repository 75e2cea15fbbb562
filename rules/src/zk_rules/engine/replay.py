"""G1 replay: a daily-engine input document (JSON object) -> the G1 output document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .compute import compute_days
from .errors import EngineInputError

_LISTS = ("punches", "holidays", "leaves")


def replay_document(doc: dict[str, Any]) -> dict[str, Any]:
    """``{"days": {date: B4 record}}`` for every date of ``evaluate_dates`` (Part G1).

    Raises ``EngineInputError`` (ValueError) naming the field, so ``zk-replay day`` exits 2.
    """
    if not isinstance(doc, Mapping):
        raise EngineInputError("document", "must be a JSON object")
    for key in ("timezone", "evaluate_dates"):
        if key not in doc:
            raise EngineInputError(key, "is required")
    if not isinstance(doc["evaluate_dates"], list):
        raise EngineInputError("evaluate_dates", "must be a list of dates YYYY-MM-DD")
    for key in _LISTS:
        if doc.get(key) is not None and not isinstance(doc[key], list):
            raise EngineInputError(key, "must be a list")
    schedule = doc.get("schedule")
    if schedule is not None and not isinstance(schedule, Mapping):
        raise EngineInputError("schedule", "must be an object {date: {segments, ...}}")
    policy = doc.get("policy")
    if policy is not None and not isinstance(policy, Mapping):
        raise EngineInputError("policy", "must be an object")
    records = compute_days(
        timezone=doc["timezone"],
        evaluate_dates=doc["evaluate_dates"],
        punches=doc.get("punches") or (),
        schedule=schedule,
        holidays=doc.get("holidays") or (),
        leaves=doc.get("leaves") or (),
        policy=policy,
    )
    return {"days": {work_date: record.to_dict() for work_date, record in records.items()}}
