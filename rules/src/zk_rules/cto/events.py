"""The events a CTO bank replays (engine-rules.md G2), as frozen dataclasses.

Each event has an ``effective_date`` (C3): the work date for overtime, the first leave date for
a request, the event date otherwise. Expiries due by that date are applied before the event
(C8). ``actor``, ``timestamp`` and ``reason`` are optional audit fields (C11) copied onto the
ledger entries the event writes; a replay document usually leaves them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from zk_rules.cto.inputs import (
    CtoInputError,
    optional_text,
    require_date,
    require_int,
    require_list,
    require_mapping,
    require_ref,
)
from zk_rules.cto.policy import KINDS

OVERTIME_STATUSES = ("approved", "to_approve", "refused")  # E9 vocabulary


@dataclass(frozen=True)
class Meta:
    """Who recorded an event and when (C11); never part of the bank arithmetic."""

    actor: str | None = None
    timestamp: str | None = None
    reason: str | None = None


NO_META = Meta()


@dataclass(frozen=True)
class Overtime:
    """An overtime line (E9); only ``status == "approved"`` earns (C1)."""

    ref: str | int
    work_date: date
    kind: str
    approved_minutes: int | None
    status: str
    meta: Meta = NO_META

    @property
    def effective_date(self) -> date:
        return self.work_date


@dataclass(frozen=True)
class CtoRequest:
    """A CTO leave request (C9); only ``state == "approved"`` debits. Dates are kept sorted."""

    ref: str | int
    dates: tuple[date, ...]
    minutes_per_day: int
    state: str
    meta: Meta = NO_META

    @property
    def effective_date(self) -> date:
        return self.dates[0]


@dataclass(frozen=True)
class OvertimeRevoked:
    """An approved overtime line revoked after crediting (C10, E9.3)."""

    ref: str | int
    date: date
    meta: Meta = NO_META

    @property
    def effective_date(self) -> date:
        return self.date


@dataclass(frozen=True)
class CtoCancelled:
    """An approved request cancelled; its minutes go back to their lots (C10)."""

    ref: str | int
    date: date
    meta: Meta = NO_META

    @property
    def effective_date(self) -> date:
        return self.date


@dataclass(frozen=True)
class Separation:
    """The employee leaves or transfers: remaining lots are written off (C12)."""

    date: date
    meta: Meta = NO_META

    @property
    def effective_date(self) -> date:
        return self.date


Event = Overtime | CtoRequest | OvertimeRevoked | CtoCancelled | Separation
EVENT_CLASSES = (Overtime, CtoRequest, OvertimeRevoked, CtoCancelled, Separation)


def parse_event(value: Any, field: str = "event") -> Event:
    """Turn a G2 event object into an event; raise CtoInputError naming the bad field."""
    if isinstance(value, EVENT_CLASSES):
        return value
    data = require_mapping(value, field)
    kind = data.get("type")
    meta = _meta(data, field)
    if kind == "overtime":
        return _overtime(data, field, meta)
    if kind == "cto_request":
        return _request(data, field, meta)
    if kind in ("overtime_revoked", "cto_cancelled"):
        cls = OvertimeRevoked if kind == "overtime_revoked" else CtoCancelled
        return cls(
            ref=require_ref(data.get("ref"), f"{field}.ref"),
            date=require_date(data.get("date"), f"{field}.date"),
            meta=meta,
        )
    if kind == "separation":
        return Separation(date=require_date(data.get("date"), f"{field}.date"), meta=meta)
    raise CtoInputError(
        f"{field}.type",
        "must be one of overtime, cto_request, overtime_revoked, cto_cancelled, separation; "
        f"got {kind!r}",
    )


def _meta(data: Mapping[str, Any], field: str) -> Meta:
    values = [optional_text(data.get(key), f"{field}.{key}") for key in Meta.__annotations__]
    return Meta(*values) if any(v is not None for v in values) else NO_META


def _overtime(data: Mapping[str, Any], field: str, meta: Meta) -> Overtime:
    status = data.get("status")
    if status not in OVERTIME_STATUSES:
        raise CtoInputError(
            f"{field}.status", f"must be one of {', '.join(OVERTIME_STATUSES)}, got {status!r}"
        )
    kind = data.get("kind")
    if kind not in KINDS:
        raise CtoInputError(f"{field}.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    minutes = data.get("approved_minutes")
    if status == "approved" or minutes is not None:
        # A pending or refused line may not have approved minutes yet (E9.1).
        minutes = require_int(minutes, f"{field}.approved_minutes", minimum=0)
    return Overtime(
        ref=require_ref(data.get("ref"), f"{field}.ref"),
        work_date=require_date(data.get("work_date"), f"{field}.work_date"),
        kind=kind,
        approved_minutes=minutes,
        status=status,
        meta=meta,
    )


def _request(data: Mapping[str, Any], field: str, meta: Meta) -> CtoRequest:
    state = data.get("state")
    if not isinstance(state, str) or not state:
        raise CtoInputError(f"{field}.state", f"must be a non-empty string, got {state!r}")
    dates_in = require_list(data.get("dates"), f"{field}.dates")
    if not dates_in:
        raise CtoInputError(f"{field}.dates", "must list at least one date")
    dates = [require_date(item, f"{field}.dates[{i}]") for i, item in enumerate(dates_in)]
    if len(set(dates)) != len(dates):
        raise CtoInputError(f"{field}.dates", "must not repeat a date")
    return CtoRequest(
        ref=require_ref(data.get("ref"), f"{field}.ref"),
        dates=tuple(sorted(dates)),
        minutes_per_day=require_int(data.get("minutes_per_day"), f"{field}.minutes_per_day"),
        state=state,
        meta=meta,
    )
