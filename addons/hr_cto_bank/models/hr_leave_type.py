from odoo import fields, models


class HrLeaveType(models.Model):
    _inherit = "hr.leave.type"

    cto_bank = fields.Boolean(
        "Draws on the CTO bank",
        help="Approving a time off of this type debits the compensatory time-off bank "
             "(the credits that expire first); it is refused when the bank does not cover it.")
