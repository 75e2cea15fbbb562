"""The one door between Odoo and zk_rules.cto: every bank change goes through here.

Each operation locks the employee's bank (transaction advisory lock), rebuilds it from the
stored lots and ledger (``CtoBank.from_records``, which re-checks seq, balances and the hash
chain), applies one event and appends what it wrote. Nothing else writes lots or entries.
"""

from datetime import UTC, datetime

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from zk_rules.cto import CtoBank, CtoInputError, Meta

from .labels import without_spec_codes

# Context key set only by this model: the protected models accept writes under it alone.
WRITING = "hr_cto_bank_writing"
LOCK_CLASS = 0x43544F  # "CTO": first key of pg_advisory_xact_lock(int, int)
LOT_COLUMNS = ("lot", "ref", "earned_date", "valid_until", "credited", "remaining")
OPTIONAL_INTS = ("raw_minutes", "uncredited_minutes", "shortfall_minutes")
ENTRY_COLUMNS = ("seq", "date", "type", "minutes", "lot", "ref", "balance_after",
                 "raw_minutes", "uncredited_minutes", "shortfall_minutes", "actor",
                 "timestamp", "reason", "prev_hash", "hash")


class HrCtoBank(models.AbstractModel):
    _name = "hr.cto.bank"
    _description = "CTO bank operations"

    # ------------------------------------------------------------------ reading
    @api.model
    def _stored(self, employee):
        """The employee's lots and ledger as zk_rules dicts, read with SQL so that NULL stays
        None (the hash covers the difference between 0 and null)."""
        self.env["hr.cto.lot"].flush_model()
        self.env["hr.cto.ledger.entry"].flush_model()
        self.env.cr.execute(SQL(
            "SELECT %s FROM hr_cto_lot WHERE employee_id = %s ORDER BY id",
            SQL(", ").join(SQL.identifier(name) for name in LOT_COLUMNS), employee.id))
        lots = [dict(zip(LOT_COLUMNS, row, strict=True)) for row in self.env.cr.fetchall()]
        return lots, self._stored_entries(employee)

    @api.model
    def _stored_entries(self, employee):
        self.env["hr.cto.ledger.entry"].flush_model()
        self.env.cr.execute(SQL(
            "SELECT %s FROM hr_cto_ledger_entry WHERE employee_id = %s ORDER BY seq, id",
            SQL(", ").join(SQL.identifier(name) for name in ENTRY_COLUMNS), employee.id))
        return [dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in self.env.cr.fetchall()]

    @api.model
    def _load(self, employee):
        lots, entries = self._stored(employee)
        policy = employee.company_id._cto_policy()
        try:
            return CtoBank.from_records(policy, lots, entries)
        except CtoInputError as error:
            raise UserError(self.env._(
                "The CTO bank of %(employee)s fails its integrity check (%(error)s). Nothing "
                "was changed; run the ledger integrity check and tell your administrator.",
                employee=employee.name, error=without_spec_codes(str(error)))) from error

    @api.model
    @api.private
    def use_entries(self, company, date_from, date_to):
        """{employee id: [entry]}: the ledger's C9 uses and C10 cancellations of every CTO
        request of `company` that used minutes on a date in [date_from, date_to] (a
        cancellation is dated the day it happens, so all of each request is given). Each
        entry is a dict: seq, type, date, lot, minutes, ref. For the payroll export."""
        Entry = self.env["hr.cto.ledger.entry"]
        in_period = Entry.search([("company_id", "=", company.id), ("type", "=", "use"),
                                  ("date", ">=", date_from), ("date", "<=", date_to)])
        if not in_period:
            return {}
        entries = Entry.search([("company_id", "=", company.id),
                                ("type", "in", ("use", "use_cancel")),
                                ("ref", "in", list(set(in_period.mapped("ref"))))])
        result = {}
        for entry in entries:
            result.setdefault(entry.employee_id.id, []).append({
                "seq": entry.seq, "type": entry.type, "date": entry.date, "lot": entry.lot,
                "minutes": entry.minutes, "ref": entry.ref})
        return result

    # ------------------------------------------------------------------ writing
    @api.model
    def _meta(self, reason=None):
        return {"actor": self.env.user.login or str(self.env.uid),
                "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
                "reason": reason or None}

    @api.model
    def _run(self, employee, operation):
        """Lock, rebuild, run ``operation(bank)`` (returns an Outcome), store its entries."""
        employee.ensure_one()
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", LOCK_CLASS,
                                employee.id))
        bank = self._load(employee)
        try:
            outcome = operation(bank)
        except CtoInputError as error:
            raise UserError(self.env._("CTO bank of %(employee)s: %(error)s",
                                       employee=employee.name,
                                       error=without_spec_codes(str(error)))) from error
        if outcome.rejection is None:
            self._store(employee, bank, outcome)
        return outcome

    @api.model
    def _apply(self, employee, event, reason=None, today=None):
        """Apply one G2 event (a dict without meta) to the employee's bank."""
        today = today or employee.company_id._cto_today()
        event = {**event, **self._meta(reason)}
        return self._run(employee, lambda bank: bank.apply(event, expire_through=today))

    @api.model
    def _expire(self, employee, today=None):
        """C8 for one employee up to ``today`` (company zone by default)."""
        today = today or employee.company_id._cto_today()
        meta = self._meta()
        return self._run(employee, lambda bank: bank.expire_through(
            today, actor=meta["actor"], timestamp=meta["timestamp"]))

    @api.model
    def _add_opening(self, employee, opening_lots, reason=None):
        """C13: opening lots, before any other entry."""
        meta = Meta(**self._meta(reason))
        return self._run(employee, lambda bank: bank.add_opening_lots(opening_lots, meta=meta))

    @api.model
    def _check(self, employee, dates, minutes_per_day):
        """C9 validation without writing (None or a Rejection)."""
        return self._load(employee).check_request(dates, minutes_per_day)

    @api.model
    def _store(self, employee, bank, outcome):
        """Append the outcome: new lots, changed remainders, ledger entries, payout lines."""
        if not outcome.entries and not outcome.payroll:
            return
        writing = {WRITING: True}
        # sudo: bank records are written by the system only (see the protected models).
        Lot = self.env["hr.cto.lot"].sudo().with_context(**writing)
        existing = {lot.lot: lot for lot in Lot.search([("employee_id", "=", employee.id),
                                                        ("lot", "in", outcome.lot_ids)])}
        for lot_id in outcome.lot_ids:
            lot = bank.lot(lot_id)
            if lot_id in existing:
                if existing[lot_id].remaining != lot.remaining:
                    existing[lot_id].write({"remaining": lot.remaining})
            else:
                existing[lot_id] = Lot.create({
                    "employee_id": employee.id, "company_id": employee.company_id.id,
                    **{name: getattr(lot, name) for name in LOT_COLUMNS},
                })
        # sudo: see above.
        created = self.env["hr.cto.ledger.entry"].sudo().with_context(**writing).create([
            {**entry.to_dict(), "employee_id": employee.id,
             "company_id": employee.company_id.id,
             "lot_id": existing[entry.lot].id if entry.lot else False}
            for entry in outcome.entries])
        self._store_nulls(created, outcome.entries)
        if outcome.payroll:
            # sudo: see above.
            self.env["hr.cto.payout.line"].sudo().with_context(**writing).create([
                {"employee_id": employee.id, "company_id": employee.company_id.id,
                 "source": line.source, "ref": line.ref, "lot": line.lot, "date": line.date,
                 "minutes": line.minutes} for line in outcome.payroll])

    @api.model
    def _store_nulls(self, records, entries):
        """Odoo stores an Integer None as 0, but the hash tells null from 0 (a ``reverse``
        with shortfall 0 is not an ``earn`` without one): put the NULLs back."""
        records.flush_recordset()
        for name in OPTIONAL_INTS:
            ids = [record.id for record, entry in zip(records, entries, strict=True)
                   if getattr(entry, name) is None]
            if ids:
                self.env.cr.execute(SQL("UPDATE hr_cto_ledger_entry SET %s = NULL "
                                        "WHERE id IN %s", SQL.identifier(name), tuple(ids)))
        records.invalidate_recordset(list(OPTIONAL_INTS))
