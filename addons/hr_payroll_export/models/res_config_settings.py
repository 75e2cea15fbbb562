from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    payroll_period_kind = fields.Selection(related="company_id.payroll_period_kind",
                                           readonly=False)
    payroll_week_start = fields.Selection(related="company_id.payroll_week_start",
                                          readonly=False)
    payroll_close_offset_days = fields.Integer(related="company_id.payroll_close_offset_days",
                                               readonly=False)
    payroll_close_time = fields.Float(related="company_id.payroll_close_time", readonly=False)
    payroll_granularity = fields.Selection(related="company_id.payroll_granularity",
                                           readonly=False)
    payroll_separator = fields.Selection(related="company_id.payroll_separator",
                                         readonly=False)
    payroll_unit = fields.Selection(related="company_id.payroll_unit", readonly=False)
    payroll_decimals = fields.Integer(related="company_id.payroll_decimals", readonly=False)
    payroll_leave_kinds = fields.Char(related="company_id.payroll_leave_kinds", readonly=False)
    payroll_export_auto = fields.Boolean(related="company_id.payroll_export_auto",
                                         readonly=False)
    payroll_correction_mode = fields.Selection(related="company_id.payroll_correction_mode",
                                               readonly=False)
