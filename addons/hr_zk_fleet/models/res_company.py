from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    zk_warn_unconfirmed_days = fields.Boolean(
        string="Warn on unconfirmed days when issuing payroll", default=True,
        help="Before a payroll batch is issued, list the terminal-days of its period that "
        "were not confirmed complete by reconciliation. A warning only: issuing stays "
        "possible.")
