from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    zk_work_entry_deduct_late = fields.Boolean(
        "Deduct lateness", help="Scheduled time missed by arriving late becomes an unpaid "
        "work entry (Late arrival).")
    zk_work_entry_deduct_undertime = fields.Boolean(
        "Deduct undertime", help="Scheduled time missed by leaving early or by long breaks "
        "becomes an unpaid work entry (Undertime).")
