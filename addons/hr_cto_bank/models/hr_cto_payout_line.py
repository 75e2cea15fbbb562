from odoo import api, fields, models
from odoo.exceptions import AccessError

from .hr_cto_bank import WRITING
from .labels import is_opening, overtime_label


class HrCtoPayoutLine(models.Model):
    """Minutes the ``payout`` policy sends to payroll (C6 over-cap, C12 separation). The bank
    never turns COC into money itself; these lines are only an export for payroll."""

    _name = "hr.cto.payout.line"
    _description = "CTO Payout Line (payroll export)"
    _order = "date desc, id desc"

    employee_id = fields.Many2one("hr.employee", required=True, readonly=True, index=True,
                                  ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    source = fields.Selection([("cap_monthly", "Over the monthly cap"),
                               ("cap_balance", "Over the balance cap"),
                               ("separation", "Separation")], required=True, readonly=True)
    ref = fields.Char(readonly=True)
    lot = fields.Char(readonly=True)
    date = fields.Date(required=True, readonly=True)
    minutes = fields.Integer(required=True, readonly=True)
    hours = fields.Float(compute="_compute_hours", store=True, aggregator="sum",
                         help="Time sent to payroll to be paid.")
    description = fields.Char(compute="_compute_description")

    @api.depends("minutes")
    def _compute_hours(self):
        for line in self:
            line.hours = line.minutes / 60.0

    @api.depends("ref", "lot", "source")
    def _compute_description(self):
        for line in self:
            if is_opening(line.ref):
                line.description = self.env._("Opening balance, lot %(lot)s", lot=line.lot)
                continue
            line.description = overtime_label(line.ref) or (
                self.env._("Lot %(lot)s", lot=line.lot) if line.lot else "")

    @api.depends("employee_id", "date", "source")
    def _compute_display_name(self):
        sources = dict(self._fields["source"]._description_selection(self.env))
        for line in self:
            line.display_name = f"{line.employee_id.name}: {sources.get(line.source)}"

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(WRITING):
            raise AccessError(self.env._("Payout lines are written by the bank only."))
        return super().create(vals_list)

    def write(self, vals):
        if vals:
            raise AccessError(self.env._("Payout lines can never be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self.env._("Payout lines can never be deleted."))
