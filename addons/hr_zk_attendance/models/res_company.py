from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # Our own setting: Odoo's attendance_overtime_validation defaults to automatic approval,
    # and unreviewed overtime must not reach payroll or the CTO bank (E9, issue 7).
    zk_overtime_approval = fields.Selection(
        [("manager", "Approved by a manager"), ("auto", "Approved automatically")],
        string="Terminal overtime approval", default="manager", required=True)
    zk_recompute_days = fields.Integer(
        string="Recompute trailing days", default=7,
        help="Each night, the daily records of this many past days are recomputed to absorb "
        "punches that arrived late.")
