"""``zk-replay bank``: the G2 replay (engine-rules.md Part G2), a pure function of its input.

Opening lots first (C13), then the events in list order (C3), then expiries up to ``as_of``
(C8). A document that breaks Part G2 raises :class:`CtoInputError` (a ``ValueError``) naming
the field, which the CLI prints before exiting with status 2.
"""

from __future__ import annotations

from typing import Any

from zk_rules.cto.bank import CtoBank
from zk_rules.cto.events import CtoCancelled, CtoRequest, Overtime, OvertimeRevoked, parse_event
from zk_rules.cto.inputs import (
    CtoInputError,
    reject_unknown_keys,
    require_date,
    require_list,
    require_mapping,
)

DOCUMENT_KEYS = ("policy", "opening_lots", "events", "as_of")


def replay_bank(doc: dict[str, Any]) -> CtoBank:
    """Replay a G2 input document into a bank (for callers that want the objects)."""
    data = require_mapping(doc, "document")
    reject_unknown_keys(data, DOCUMENT_KEYS, "")
    bank = CtoBank(data.get("policy"))
    opening = data.get("opening_lots")
    bank.add_opening_lots([] if opening is None else opening, field="opening_lots")
    as_of = None if data.get("as_of") is None else require_date(data["as_of"], "as_of")
    seen_overtime: set[Any] = set()
    seen_requests: set[Any] = set()
    for index, raw in enumerate(require_list(data.get("events", []), "events")):
        field = f"events[{index}]"
        event = parse_event(raw, field)
        # A self-contained document can only revoke or cancel what it recorded before:
        # an unknown ref is a typo, not a no-op.
        if isinstance(event, Overtime):
            seen_overtime.add(event.ref)
        elif isinstance(event, CtoRequest):
            seen_requests.add(event.ref)
        elif isinstance(event, OvertimeRevoked) and event.ref not in seen_overtime:
            raise CtoInputError(f"{field}.ref", f"no earlier overtime event has ref {event.ref!r}")
        elif isinstance(event, CtoCancelled) and event.ref not in seen_requests:
            raise CtoInputError(
                f"{field}.ref", f"no earlier cto_request event has ref {event.ref!r}"
            )
        bank.apply(event)
    if as_of is not None:
        bank.expire_through(as_of)
    return bank


def replay_document(doc: dict[str, Any]) -> dict[str, Any]:
    """G2: input document -> output document (balance, month_credited, lots, ledger, rejections)."""
    return replay_bank(doc).to_document()
