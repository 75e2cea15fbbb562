"""The CTO bank of one employee: a deterministic replay of events into lots and ledger (C1–C13).

Use it incrementally (the Odoo addon) or as a whole replay (``replay.replay_document``):

    bank = CtoBank.from_records(policy, stored_lots, stored_entries)   # or CtoBank(policy)
    outcome = bank.apply(event, expire_through=today)                  # one event
    outcome.entries      # new ledger entries to store (append only)
    outcome.rejection    # a C9 refusal, nothing debited
    bank.expire_through(today)                                         # daily cron (C8)

All arithmetic is in integer minutes; the balance is the sum of lot remainders and never
negative (C11).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from zk_rules.cto.events import (
    NO_META,
    CtoCancelled,
    CtoRequest,
    Event,
    Meta,
    Overtime,
    OvertimeRevoked,
    Separation,
    parse_event,
)
from zk_rules.cto.inputs import CtoInputError, require_list
from zk_rules.cto.ledger import Ledger, LedgerEntry, entry_hash, seal
from zk_rules.cto.lots import (
    NEW_LOT_ID,
    OPENING_REF,
    Lot,
    fifo,
    parse_opening_lot,
    plan_usage,
)
from zk_rules.cto.policy import Policy

REJECTION_REASONS = ("invalid_block", "too_many_days", "insufficient_balance")
REJECTION_MESSAGES = {
    "invalid_block": "CTO is taken in whole blocks of {blocks} minutes per day (C9.1).",
    "too_many_days": "A CTO request covers at most {max_days} days (C9.2).",
    "insufficient_balance": (
        "The CTO balance valid on the requested dates does not cover the request; nothing was "
        "debited (C9.3)."
    ),
}
# Fixed reasons of the entries the bank writes on its own (C11 ``reason``).
SYSTEM_REASONS = {
    "cap_monthly": "C4 monthly cap",
    "cap_balance": "C5 balance cap",
    "expire": "C8 expiry",
    "forfeit": "C12 separation",
}


@dataclass(frozen=True)
class Rejection:
    """A C9 refusal of an approved request: the whole request, nothing debited."""

    ref: str | int
    reason: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The G2 ``rejections[]`` item."""
        return {"ref": self.ref, "reason": self.reason}


@dataclass(frozen=True)
class PayrollLine:
    """Minutes the ``payout`` policy sends to payroll (C6 over-cap, C12 separation)."""

    source: str  # "cap_monthly", "cap_balance" or "separation"
    ref: str | int | None
    lot: str | None
    date: date
    minutes: int


@dataclass(frozen=True)
class Outcome:
    """What one call wrote. ``status``: applied, ignored, duplicate or rejected."""

    status: str
    entries: tuple[LedgerEntry, ...] = ()
    rejection: Rejection | None = None
    payroll: tuple[PayrollLine, ...] = ()

    @property
    def lot_ids(self) -> tuple[str, ...]:
        """Lots whose ``remaining`` these entries changed (or that they created), in order."""
        return tuple(dict.fromkeys(e.lot for e in self.entries if e.lot is not None))


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


class CtoBank:
    """One employee's bank. Not thread-safe; the Odoo addon locks the employee row."""

    def __init__(self, policy: Policy | Mapping[str, Any] | None = None) -> None:
        self.policy = policy if isinstance(policy, Policy) else Policy.from_mapping(policy)
        self._lots: dict[str, Lot] = {}
        self._ledger = Ledger()
        self._month_credited: dict[str, int] = {}
        self._credit_lot: dict[str | int, str | None] = {}  # overtime ref -> its lot (C1)
        self._reversed: set[str | int] = set()
        self._active_uses: dict[str | int, list[tuple[str, int]]] = {}  # request ref -> debits
        self._next_lot = 1
        self._rejections: list[Rejection] = []

    @classmethod
    def from_records(
        cls,
        policy: Policy | Mapping[str, Any] | None,
        lots: Iterable[Lot | Mapping[str, Any]],
        ledger: Iterable[LedgerEntry | Mapping[str, Any]],
        *,
        verify_hashes: bool = True,
    ) -> CtoBank:
        """Rebuild a bank from stored lots (G2 ``lots[]`` shape) and ledger entries.

        Everything else is derived from the ledger: month totals (C4), credited overtime refs
        (C1), reversed refs, and each request's active debits (C10). The records are checked:
        gapless seq, running ``balance_after``, each lot's remaining = the sum of its entries,
        and (``verify_hashes``) the C11 hash chain. Entries without hashes (a G2 output) are
        accepted only with ``verify_hashes=False`` and are then sealed afresh.
        """
        bank = cls(policy)
        for index, item in enumerate(require_list(list(lots), "lots")):
            lot = Lot.from_mapping(item, f"lots[{index}]")
            if lot.lot in bank._lots:
                raise CtoInputError(f"lots[{index}].lot", f"duplicate lot id {lot.lot!r}")
            bank._lots[lot.lot] = lot
        computed = dict.fromkeys(bank._lots, 0)
        for index, item in enumerate(require_list(list(ledger), "ledger")):
            field = f"ledger[{index}]"
            entry = LedgerEntry.from_mapping(item, field)
            bank._check_stored(entry, field, index, verify_hashes)
            if not verify_hashes:
                entry = seal(entry, bank._ledger.last_hash)
            if entry.lot is not None:
                if entry.lot not in computed:
                    raise CtoInputError(f"{field}.lot", f"unknown lot {entry.lot!r}")
                computed[entry.lot] += entry.minutes
                if computed[entry.lot] < 0:
                    raise CtoInputError(f"{field}.minutes", "takes the lot below 0 (C11)")
            bank._ledger.adopt(entry)
            bank._replay_entry(entry)
        for index, lot in enumerate(bank._lots.values()):
            if computed[lot.lot] != lot.remaining:
                raise CtoInputError(
                    f"lots[{index}].remaining",
                    f"is {lot.remaining} but the ledger gives {computed[lot.lot]}",
                )
        numbers = [int(lot_id[1:]) for lot_id in bank._lots if NEW_LOT_ID.fullmatch(lot_id)]
        bank._next_lot = max(numbers, default=0) + 1
        return bank

    def _check_stored(self, entry: LedgerEntry, field: str, index: int, verify: bool) -> None:
        if entry.seq != index + 1:
            raise CtoInputError(f"{field}.seq", f"must be {index + 1} (gapless), got {entry.seq}")
        expected = self.balance + entry.minutes
        if entry.balance_after != expected:
            raise CtoInputError(
                f"{field}.balance_after", f"must be {expected}, got {entry.balance_after}"
            )
        if verify and (
            entry.prev_hash != self._ledger.last_hash
            or entry.hash != entry_hash(entry.prev_hash, entry.payload())
        ):
            raise CtoInputError(f"{field}.hash", "the hash chain is broken (tampered entry?)")

    def _replay_entry(self, entry: LedgerEntry) -> None:
        """Derive the bookkeeping of one stored entry (the inverse of the writers below)."""
        lot = self._lots.get(entry.lot) if entry.lot is not None else None
        if entry.type in ("opening", "earn") and lot is not None:
            self._add_month(lot.earned_date, entry.minutes)
            if entry.type == "earn":
                self._credit_lot[entry.ref] = entry.lot
        elif entry.type in ("cap_monthly", "cap_balance"):
            self._credit_lot.setdefault(entry.ref, None)
        elif entry.type == "use":
            self._active_uses.setdefault(entry.ref, []).append((entry.lot, -entry.minutes))
        elif entry.type == "use_cancel":
            self._active_uses.pop(entry.ref, None)
        elif entry.type == "reverse" and lot is not None:
            # credit reversed = taken back + shortfall (0 for a correcting entry)
            self._add_month(lot.earned_date, entry.minutes - (entry.shortfall_minutes or 0))
            self._reversed.add(entry.ref)
            lot.closed_by = "reverse"
        elif entry.type == "forfeit" and lot is not None:
            lot.closed_by = "forfeit"

    # ----------------------------------------------------------------- read-only views
    @property
    def balance(self) -> int:
        return self._ledger.balance

    @property
    def lots(self) -> tuple[Lot, ...]:
        """Lots in creation order (opening lots first). Do not mutate them."""
        return tuple(self._lots.values())

    def lot(self, lot_id: str) -> Lot:
        """The lot ``lot_id`` (KeyError if unknown)."""
        return self._lots[lot_id]

    @property
    def ledger(self) -> tuple[LedgerEntry, ...]:
        return self._ledger.entries

    @property
    def month_credited(self) -> dict[str, int]:
        """C4 totals per ``YYYY-MM`` (opening lots in, reversals out), sorted by month."""
        return dict(sorted(self._month_credited.items()))

    @property
    def rejections(self) -> tuple[Rejection, ...]:
        """C9 refusals made by this object (they are not ledger entries)."""
        return tuple(self._rejections)

    def credited_ref(self, ref: str | int) -> bool:
        """True once an overtime ``ref`` was credited (or cut to 0 by the caps): C1 at most once."""
        return ref in self._credit_lot

    def to_document(self) -> dict[str, Any]:
        """The G2 output document."""
        return {
            "balance": self.balance,
            "month_credited": self.month_credited,
            "lots": [lot.to_dict() for lot in self._lots.values()],
            "ledger": [entry.to_replay_dict() for entry in self._ledger],
            "rejections": [rejection.to_dict() for rejection in self._rejections],
        }

    # ----------------------------------------------------------------- writing
    def add_opening_lots(
        self,
        opening_lots: list[Any] | tuple[Any, ...],
        *,
        meta: Meta = NO_META,
        field: str = "opening_lots",
    ) -> Outcome:
        """C13: migrated lots, written as given (never capped) before any event.

        Each lot's ``ref`` is ``OPENING_REF`` (``"opening"``), so its ``opening`` entry and the
        ``expire``/``forfeit`` entries that later name it by its ref carry it too. Banks stored
        before this rule have opening lots and entries with a null ref: ``from_records`` keeps
        stored entries exactly as they are (the hash chain covers the ref); only the stored
        lots decide the ref of later entries.
        """
        items = require_list(opening_lots, field)
        if any(entry.type != "opening" for entry in self._ledger):
            raise CtoInputError(field, "opening lots must be written before any event (C13)")
        parsed = [parse_opening_lot(item, f"{field}[{i}]") for i, item in enumerate(items)]
        seen = set(self._lots)
        for index, (lot_id, _, _) in enumerate(parsed):
            if lot_id in seen:
                raise CtoInputError(f"{field}[{index}].lot", f"duplicate lot id {lot_id!r}")
            seen.add(lot_id)
        entries = []
        for lot_id, earned, minutes in parsed:
            lot = Lot(
                lot_id, OPENING_REF, earned, self.policy.valid_until(earned), minutes, minutes
            )
            self._lots[lot_id] = lot
            self._add_month(earned, minutes)
            entries.append(
                self._write(
                    meta,
                    date=earned,
                    type="opening",
                    minutes=minutes,
                    lot=lot_id,
                    ref=OPENING_REF,
                )
            )
        return Outcome("applied" if entries else "ignored", tuple(entries))

    def apply(
        self,
        event: Event | Mapping[str, Any],
        *,
        expire_through: date | None = None,
        field: str = "event",
    ) -> Outcome:
        """Apply one event (C3 order = call order). Expiries due by its effective date come first.

        ``expire_through`` caps that expiry sweep (the addon passes today, so approving a
        leave in advance never expires lots ahead of the calendar); by default the sweep runs
        to the event's effective date, as a replay does (C8).
        """
        ev = parse_event(event, field)
        horizon = ev.effective_date
        if expire_through is not None and expire_through < horizon:
            horizon = expire_through
        swept = self._sweep(horizon, ev.meta)
        if isinstance(ev, Overtime):
            outcome = self._earn(ev)
        elif isinstance(ev, CtoRequest):
            outcome = self._use(ev)
        elif isinstance(ev, OvertimeRevoked):
            outcome = self._reverse(ev)
        elif isinstance(ev, CtoCancelled):
            outcome = self._cancel(ev, horizon)
        else:
            outcome = self._separate(ev)
        if swept:
            status = "applied" if outcome.status == "ignored" else outcome.status
            return Outcome(status, swept + outcome.entries, outcome.rejection, outcome.payroll)
        return outcome

    def expire_through(
        self, day: date, *, actor: str | None = None, timestamp: str | None = None
    ) -> Outcome:
        """C8 sweep (daily cron, replay ``as_of``): expire lots whose expiry day <= ``day``."""
        entries = self._sweep(day, Meta(actor=actor, timestamp=timestamp))
        return Outcome("applied" if entries else "ignored", entries)

    def check_request(self, dates: Iterable[date], minutes_per_day: int) -> Rejection | None:
        """C9 validation without writing anything (the addon's leave-approval check)."""
        reason = self._validate(tuple(sorted(dates)), minutes_per_day)[0]
        return None if reason is None else self._rejection("(check)", reason)

    # ----------------------------------------------------------------- rules
    def _earn(self, ev: Overtime) -> Outcome:
        """C1, C2, C4, C5, C6, C7."""
        if ev.status != "approved":
            return Outcome("ignored")
        if ev.ref in self._credit_lot:
            return Outcome("duplicate")
        raw = self.policy.credit_raw(ev.kind, ev.approved_minutes or 0)
        if raw == 0:  # nothing to credit and nothing in the ledger: not "credited" (C1)
            return Outcome("ignored")
        self._credit_lot[ev.ref] = None  # C1: from now on this ref is credited (maybe 0, C6)
        after_monthly = raw
        if self.policy.monthly_cap_minutes is not None:
            room = self.policy.monthly_cap_minutes - self._month_credited.get(
                month_of(ev.work_date), 0
            )
            after_monthly = max(0, min(raw, room))
        credit = after_monthly
        if self.policy.balance_cap_minutes is not None:
            credit = max(0, min(after_monthly, self.policy.balance_cap_minutes - self.balance))
        entries: list[LedgerEntry] = []
        if credit > 0:
            lot_id = f"L{self._next_lot}"
            self._next_lot += 1
            self._lots[lot_id] = Lot(
                lot_id, ev.ref, ev.work_date, self.policy.valid_until(ev.work_date), credit, credit
            )
            self._credit_lot[ev.ref] = lot_id
            self._add_month(ev.work_date, credit)
            entries.append(
                self._write(
                    ev.meta,
                    date=ev.work_date,
                    type="earn",
                    minutes=credit,
                    lot=lot_id,
                    ref=ev.ref,
                    raw_minutes=raw,
                )
            )
        payroll = []
        for kind, cut in (
            ("cap_monthly", raw - after_monthly),
            ("cap_balance", after_monthly - credit),
        ):
            if cut <= 0:
                continue
            entries.append(
                self._write(
                    ev.meta,
                    date=ev.work_date,
                    type=kind,
                    minutes=0,
                    ref=ev.ref,
                    uncredited_minutes=cut,
                    system=True,
                )
            )
            if self.policy.cap_overflow == "payout":
                payroll.append(PayrollLine(kind, ev.ref, None, ev.work_date, cut))
        return Outcome("applied", tuple(entries), payroll=tuple(payroll))

    def _validate(self, dates: tuple[date, ...], minutes_per_day: int):
        """C9 in its fixed order; the first failure decides. Returns (reason, plan)."""
        if minutes_per_day not in self.policy.allowed_day_blocks_minutes:
            return "invalid_block", None
        if len(dates) > self.policy.max_days_per_request:
            return "too_many_days", None
        plan = plan_usage(self._lots.values(), dates, minutes_per_day)
        if plan is None:
            return "insufficient_balance", None
        return None, plan

    def _use(self, ev: CtoRequest) -> Outcome:
        """C9: one ``use`` entry per (date, lot consumed), or a rejection and no entry."""
        if ev.state != "approved":
            return Outcome("ignored")
        if ev.ref in self._active_uses:
            return Outcome("duplicate")
        reason, plan = self._validate(ev.dates, ev.minutes_per_day)
        if reason is not None:
            rejection = self._rejection(ev.ref, reason)
            self._rejections.append(rejection)
            return Outcome("rejected", rejection=rejection)
        entries, debits = [], []
        for day, lot, minutes in plan:
            lot.remaining -= minutes
            debits.append((lot.lot, minutes))
            entries.append(
                self._write(
                    ev.meta, date=day, type="use", minutes=-minutes, lot=lot.lot, ref=ev.ref
                )
            )
        self._active_uses[ev.ref] = debits
        return Outcome("applied", tuple(entries))

    def _reverse(self, ev: OvertimeRevoked) -> Outcome:
        """C10: take back what is left of the line's own lot; the rest is the shortfall."""
        lot_id = self._credit_lot.get(ev.ref)
        if lot_id is None or ev.ref in self._reversed:
            return Outcome("ignored")
        self._reversed.add(ev.ref)
        lot = self._lots[lot_id]
        taken = lot.remaining  # min(remaining, credited): remaining never exceeds credited
        lot.remaining = 0
        lot.closed_by = "reverse"
        self._add_month(lot.earned_date, -lot.credited)  # the whole credit (G2)
        entry = self._write(
            ev.meta,
            date=ev.date,
            type="reverse",
            minutes=-taken,
            lot=lot_id,
            ref=ev.ref,
            shortfall_minutes=lot.credited - taken,
        )
        return Outcome("applied", (entry,))

    def _cancel(self, ev: CtoCancelled, horizon: date) -> Outcome:
        """C10: one ``use_cancel`` per ``use`` of the request, in order; a lot that is no longer
        open (expired by ``horizon``, reversed, forfeited) is closed again right after it."""
        debits = self._active_uses.pop(ev.ref, None)
        if not debits:
            return Outcome("ignored")
        entries = []
        for lot_id, minutes in debits:
            lot = self._lots[lot_id]
            lot.remaining += minutes
            entries.append(
                self._write(
                    ev.meta,
                    date=ev.date,
                    type="use_cancel",
                    minutes=minutes,
                    lot=lot_id,
                    ref=ev.ref,
                )
            )
            closing = lot.closed_by
            if closing is None and lot.expiry_day is not None and lot.expiry_day <= horizon:
                closing = "expire"
            if closing is None:
                continue
            back = lot.remaining
            lot.remaining = 0
            extra: dict[str, Any] = {"ref": lot.ref, "system": True}
            if closing == "reverse":
                # The credit was revoked: these minutes are no longer owed by the employee,
                # so the recorded shortfall shrinks by them (a correcting entry, C11).
                extra = {
                    "ref": lot.ref,
                    "shortfall_minutes": -back,
                    "reason_text": "C10 reversal after cancellation",
                }
            entries.append(
                self._write(ev.meta, date=ev.date, type=closing, minutes=-back, lot=lot_id, **extra)
            )
        return Outcome("applied", tuple(entries))

    def _separate(self, ev: Separation) -> Outcome:
        """C12: one ``forfeit`` per lot with remaining > 0, FIFO, dated the separation."""
        entries, payroll = [], []
        for lot in fifo(lot for lot in self._lots.values() if lot.remaining > 0):
            minutes = lot.remaining
            lot.remaining = 0
            lot.closed_by = "forfeit"
            entries.append(
                self._write(
                    ev.meta,
                    date=ev.date,
                    type="forfeit",
                    minutes=-minutes,
                    lot=lot.lot,
                    ref=lot.ref,
                    system=True,
                )
            )
            if self.policy.separation == "payout":
                payroll.append(PayrollLine("separation", lot.ref, lot.lot, ev.date, minutes))
        return Outcome("applied" if entries else "ignored", tuple(entries), payroll=tuple(payroll))

    def _sweep(self, day: date, meta: Meta) -> tuple[LedgerEntry, ...]:
        """C8: expire due lots in FIFO order, each entry dated its lot's expiry day."""
        due = [
            lot
            for lot in self._lots.values()
            if lot.remaining > 0 and lot.expiry_day is not None and lot.expiry_day <= day
        ]
        entries = []
        for lot in fifo(due):
            minutes = lot.remaining
            lot.remaining = 0
            entries.append(
                self._write(
                    meta,
                    date=lot.expiry_day,
                    type="expire",
                    minutes=-minutes,
                    lot=lot.lot,
                    ref=lot.ref,
                    system=True,
                )
            )
        return tuple(entries)

    # ----------------------------------------------------------------- helpers
    def _write(
        self, meta: Meta, *, system: bool = False, reason_text: str | None = None, **fields: Any
    ) -> LedgerEntry:
        reason = reason_text or (SYSTEM_REASONS[fields["type"]] if system else meta.reason)
        return self._ledger.append(
            actor=meta.actor, timestamp=meta.timestamp, reason=reason, **fields
        )

    def _add_month(self, day: date, minutes: int) -> None:
        key = month_of(day)
        self._month_credited[key] = self._month_credited.get(key, 0) + minutes

    def _rejection(self, ref: str | int, reason: str) -> Rejection:
        blocks = "/".join(str(b) for b in self.policy.allowed_day_blocks_minutes)
        message = REJECTION_MESSAGES[reason].format(
            blocks=blocks, max_days=self.policy.max_days_per_request
        )
        return Rejection(ref, reason, message)
