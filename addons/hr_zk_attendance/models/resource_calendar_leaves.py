from odoo import fields, models


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    # Part D: the engine's holidays carry a kind, kept for the payroll export (Part E3).
    zk_holiday_kind = fields.Selection([("regular", "Regular"), ("special", "Special")],
                                       string="Holiday kind", default="regular")
