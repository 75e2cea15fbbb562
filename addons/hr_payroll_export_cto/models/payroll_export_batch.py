from collections import defaultdict

from odoo import models
from odoo.exceptions import UserError

from zk_rules.payroll import PayrollInputError, active_cto_uses


class PayrollExportBatch(models.Model):
    """The CTO columns of the payroll file, from the CTO bank's ledger."""

    _inherit = "payroll.export.batch"

    def _leave_kind(self, leave_type):
        """A leave type that spends the CTO bank is the `cto` kind, whatever its name."""
        return "cto" if leave_type.cto_bank else super()._leave_kind(leave_type)

    def _cto_uses(self):
        """CTO debits in force on the period's dates, per employee (C9 uses minus the C10
        cancellations of their request, zk_rules.payroll.active_cto_uses)."""
        # sudo: the bank's ledger is read for the export; officers may not read it all.
        entries = self.env["hr.cto.bank"].sudo().use_entries(
            self.company_id, self.period_start, self.period_end)
        start, end = self.period_start.isoformat(), self.period_end.isoformat()
        result = defaultdict(list)
        for employee_id in sorted(entries):
            try:
                uses = active_cto_uses(entries[employee_id])
            except PayrollInputError as error:
                raise UserError(self.env._("The CTO ledger cannot be read: %s", error)) \
                    from error
            kept = [use for use in uses if start <= use["date"] <= end]
            if kept:
                result[employee_id] = kept
        return result

    def _parts_stale(self, parts):
        """Also stale: a CTO use of the period, or its cancellation, entered in the bank
        since the first part was written (the parts carry the uses they read)."""
        if super()._parts_stale(parts):
            return True
        # sudo: as in _cto_uses.
        Entry = self.env["hr.cto.ledger.entry"].sudo()
        refs = Entry.search([("company_id", "=", self.company_id.id), ("type", "=", "use"),
                             ("date", ">=", self.period_start),
                             ("date", "<=", self.period_end)]).mapped("ref")
        return bool(refs) and bool(Entry.search_count([
            ("company_id", "=", self.company_id.id), ("type", "in", ("use", "use_cancel")),
            ("ref", "in", list(set(refs))), ("create_date", ">", parts[0].create_date)],
            limit=1))
