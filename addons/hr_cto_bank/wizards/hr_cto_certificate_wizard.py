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

    def _report_action(self):
        self.ensure_one()
        data = {"month": f"{self.year:04d}-{int(self.month):02d}",
                # The web client puts no record ids in the report's URL when it has options:
                # the employees must travel with them.
                "employee_ids": self.employee_ids.ids}
        return self.env.ref("hr_cto_bank.action_report_coc_certificate").report_action(
            self.employee_ids, data=data)

    def action_print(self):
        """The certificates as a PDF download."""
        return self._report_action()

    def action_preview(self):
        """The same certificates shown in the browser (the HTML rendering of the report)."""
        action = self._report_action()
        if action.get("type") == "ir.actions.report":
            action["report_type"] = "qweb-html"
        return action
