from datetime import timedelta

from odoo import api, fields, models

MONTHS = [(str(n), name) for n, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)]


class HrCtoCertificateWizard(models.TransientModel):
    """Pick the month and employees of the Certificate of COC Earned (C14)."""

    _name = "hr.cto.certificate.wizard"
    _description = "Print Certificates of COC Earned"

    @api.model
    def _last_month(self):
        return self.env.company._cto_today().replace(day=1) - timedelta(days=1)

    employee_ids = fields.Many2many(
        "hr.employee", string="Employees", required=True,
        default=lambda self: self.env.context.get("active_model") == "hr.employee"
        and self.env.context.get("active_ids") or False)
    month = fields.Selection(MONTHS, required=True,
                             default=lambda self: str(self._last_month().month))
    year = fields.Integer(required=True, default=lambda self: self._last_month().year)

    def action_print(self):
        self.ensure_one()
        month = f"{self.year:04d}-{int(self.month):02d}"
        return self.env.ref("hr_cto_bank.action_report_coc_certificate").report_action(
            self.employee_ids, data={"month": month})
