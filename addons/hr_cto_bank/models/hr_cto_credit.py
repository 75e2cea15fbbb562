from odoo import api, fields, models
from odoo.exceptions import AccessError

from .hr_cto_bank import WRITING
from .labels import overtime_label

KINDS = [("workday", "Workday"), ("rest_day", "Rest day"), ("holiday", "Holiday")]


class HrCtoCredit(models.Model):
    """C1 bookkeeping: which overtime line version was sent to the bank, and whether that
    credit still stands. ``ref`` is the idempotency key (employee, work date, kind, version)
    and is unique; at most one credit per employee, date and kind is active."""

    _name = "hr.cto.credit"
    _description = "CTO Credit of an Overtime Line"
    _order = "work_date desc, employee_id, kind"

    employee_id = fields.Many2one("hr.employee", required=True, readonly=True, index=True,
                                  ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    work_date = fields.Date(required=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    version = fields.Integer("Line version", readonly=True)
    ref = fields.Char("Key", required=True, readonly=True)
    approved_minutes = fields.Integer(readonly=True)
    credited_minutes = fields.Integer(readonly=True, help="After rate and caps.")
    approved_hours = fields.Float("Approved", compute="_compute_hours", store=True,
                                  aggregator="sum", help="Overtime approved on the day.")
    credited_hours = fields.Float("Credited", compute="_compute_hours", store=True,
                                  aggregator="sum",
                                  help="Added to the bank, after the day's rate and the caps.")
    lot_id = fields.Many2one("hr.cto.lot", readonly=True)
    state = fields.Selection([("active", "Active"), ("revoked", "Reversed")], required=True,
                             default="active", readonly=True)

    @api.depends("approved_minutes", "credited_minutes")
    def _compute_hours(self):
        for credit in self:
            credit.approved_hours = credit.approved_minutes / 60.0
            credit.credited_hours = credit.credited_minutes / 60.0

    @api.depends("ref", "employee_id")
    def _compute_display_name(self):
        for credit in self:
            credit.display_name = f"{credit.employee_id.name}: " \
                f"{overtime_label(credit.ref) or credit.ref}"

    _sql_constraints = [("ref_unique", "UNIQUE(ref)", "An overtime line is credited once.")]

    def init(self):
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS hr_cto_credit_one_active ON hr_cto_credit "
            "(employee_id, work_date, kind) WHERE state = 'active'")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(WRITING):
            raise AccessError(self.env._("CTO credits are recorded by the bank only."))
        return super().create(vals_list)

    def write(self, vals):
        if not (self.env.context.get(WRITING) and set(vals) <= {"state"}):
            raise AccessError(self.env._("CTO credits change only through the bank."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self.env._("CTO credits can never be deleted."))

    def _cto_revoke(self, reason):
        """C10: reverse these credits in the bank (dated today, company zone)."""
        bank = self.env["hr.cto.bank"]
        for credit in self:
            bank._apply(credit.employee_id, {
                "type": "overtime_revoked", "ref": credit.ref,
                "date": credit.company_id._cto_today().isoformat(),
            }, reason=reason)
            credit.with_context(**{WRITING: True}).write({"state": "revoked"})
            credit.flush_recordset(["state"])  # before a new active credit is inserted
