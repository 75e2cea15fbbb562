from odoo import models


class ResCompany(models.Model):
    _inherit = "res.company"

    def _cto_period_start(self, day):
        """The CTO bank reaches back to the start of this company's pay period (not the
        calendar month) for overtime worked before an employee joined it."""
        self.ensure_one()
        return self._payroll_period_policy().period_containing(day).start
