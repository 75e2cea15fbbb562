from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cto_rate_workday = fields.Float(related="company_id.cto_rate_workday", readonly=False)
    cto_rate_rest_day = fields.Float(related="company_id.cto_rate_rest_day", readonly=False)
    cto_rate_holiday = fields.Float(related="company_id.cto_rate_holiday", readonly=False)
    cto_monthly_cap = fields.Boolean(related="company_id.cto_monthly_cap", readonly=False)
    cto_monthly_cap_minutes = fields.Integer(related="company_id.cto_monthly_cap_minutes",
                                             readonly=False)
    cto_balance_cap = fields.Boolean(related="company_id.cto_balance_cap", readonly=False)
    cto_balance_cap_minutes = fields.Integer(related="company_id.cto_balance_cap_minutes",
                                             readonly=False)
    cto_expiry_mode = fields.Selection(related="company_id.cto_expiry_mode", readonly=False)
    cto_expiry_months = fields.Integer(related="company_id.cto_expiry_months", readonly=False)
    cto_day_blocks = fields.Char(related="company_id.cto_day_blocks", readonly=False)
    cto_max_days = fields.Integer(related="company_id.cto_max_days", readonly=False)
    cto_cap_overflow = fields.Selection(related="company_id.cto_cap_overflow", readonly=False)
    cto_separation = fields.Selection(related="company_id.cto_separation", readonly=False)
