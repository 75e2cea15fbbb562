"""CTO bank, rules C1–C14 of shared/docs/engine-rules.md Part C, as plain Python (no Odoo).

Modules: ``policy`` (parameters, defaults, validation), ``events`` (the G2 event types),
``lots`` (lots and FIFO), ``ledger`` (append-only hash-chained entries, C11), ``bank`` (the
deterministic replay, incremental or whole), ``replay`` (the G2 JSON document), ``reports``
(C14 certificate and expiry warnings).
"""

from zk_rules.cto.bank import CtoBank, Outcome, PayrollLine, Rejection
from zk_rules.cto.events import (
    CtoCancelled,
    CtoRequest,
    Meta,
    Overtime,
    OvertimeRevoked,
    Separation,
    parse_event,
)
from zk_rules.cto.inputs import CtoInputError
from zk_rules.cto.ledger import LedgerEntry, entry_hash, verify_chain
from zk_rules.cto.lots import OPENING_REF, Lot
from zk_rules.cto.policy import Expiry, Policy
from zk_rules.cto.replay import replay_bank, replay_document
from zk_rules.cto.reports import certificate_of_coc_earned, expiry_warnings, movements_by_month

__all__ = [
    "CtoBank",
    "CtoCancelled",
    "CtoInputError",
    "CtoRequest",
    "Expiry",
    "LedgerEntry",
    "Lot",
    "Meta",
    "OPENING_REF",
    "Outcome",
    "Overtime",
    "OvertimeRevoked",
    "PayrollLine",
    "Policy",
    "Rejection",
    "Separation",
    "certificate_of_coc_earned",
    "entry_hash",
    "expiry_warnings",
    "movements_by_month",
    "parse_event",
    "replay_bank",
    "replay_document",
    "verify_chain",
]
