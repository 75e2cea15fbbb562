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
    # Employee self-service (issue 18).
    zk_request_days_back = fields.Integer(
        string="Correction requests: days back", default=31,
        help="How many days back an employee may ask for a missing or corrected punch.")
    zk_nudge_flagged_days = fields.Boolean(
        string="Tell employees about flagged days",
        help="The morning after a missing check-in or check-out, or an absence on a scheduled "
        "day, the employee gets one message with a link to the correction form.")
