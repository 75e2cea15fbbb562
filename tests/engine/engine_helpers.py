"""Small builders so each engine test states only its punches, schedule and policy."""

from __future__ import annotations

from typing import Any

from zk_rules.engine import compute_days


def punches(date: str, *taps: tuple[str, int | None] | str) -> list[dict[str, Any]]:
    """Punch dicts with ids 1, 2, ... in the order given.

    A tap is ``"HH:MM[:SS]"`` (status null) or ``("HH:MM[:SS]", status)``; a time may carry its
    own date (``"2025-03-30 06:00"``), otherwise it is on ``date``.
    """
    result = []
    for number, tap in enumerate(taps, start=1):
        text, status = (tap, None) if isinstance(tap, str) else tap
        if len(text) <= 8:
            text = f"{date} {text}"
        if len(text) == 16:
            text += ":00"
        result.append({"id": number, "local_time": text, "status": status})
    return result


def day(
    date: str,
    taps: list[dict[str, Any]] | None = None,
    segments: list[list[str]] | None = None,
    unpaid: int = 0,
    *,
    tz: str = "Asia/Manila",
    schedule: dict[str, Any] | None = None,
    holidays: list[dict[str, Any]] | None = None,
    leaves: list[dict[str, Any]] | None = None,
    policy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The G1 record of ``date``; ``segments`` schedules that date (unless ``schedule``)."""
    if schedule is None:
        schedule = {}
        if segments is not None:
            schedule[date] = {"segments": segments, "unpaid_break_minutes": unpaid}
    records = compute_days(
        timezone=tz,
        evaluate_dates=[date],
        punches=taps or [],
        schedule=schedule,
        holidays=holidays or [],
        leaves=leaves or [],
        policy=policy,
    )
    return records[date].to_dict()


def holiday(date: str, kind: str = "regular") -> dict[str, Any]:
    return {"date": date, "name": "Holiday", "kind": kind}
