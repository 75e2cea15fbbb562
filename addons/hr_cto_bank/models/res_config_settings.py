from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .labels import hours_text


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
    cto_backdate = fields.Selection(related="company_id.cto_backdate", readonly=False)
    # Entered in hours, stored in minutes (the bank's unit).
    cto_monthly_cap_hours = fields.Float("Monthly cap", compute="_compute_cto_hours",
                                         inverse="_inverse_cto_monthly_cap_hours")
    cto_balance_cap_hours = fields.Float("Balance cap", compute="_compute_cto_hours",
                                         inverse="_inverse_cto_balance_cap_hours")
    cto_day_blocks_hours = fields.Char(
        "Hours per CTO day", compute="_compute_cto_hours", inverse="_inverse_cto_day_blocks",
        help="The hours a CTO leave may take on one day, comma-separated (e.g. 4:00, 8:00).")

    @api.depends("cto_monthly_cap_minutes", "cto_balance_cap_minutes", "cto_day_blocks")
    def _compute_cto_hours(self):
        for settings in self:
            settings.cto_monthly_cap_hours = settings.cto_monthly_cap_minutes / 60.0
            settings.cto_balance_cap_hours = settings.cto_balance_cap_minutes / 60.0
            parts = [part.strip() for part in (settings.cto_day_blocks or "").split(",")
                     if part.strip()]
            settings.cto_day_blocks_hours = ", ".join(
                hours_text(int(part)) if part.isdigit() else part for part in parts)

    def _inverse_cto_monthly_cap_hours(self):
        for settings in self:
            settings.cto_monthly_cap_minutes = round(settings.cto_monthly_cap_hours * 60)

    def _inverse_cto_balance_cap_hours(self):
        for settings in self:
            settings.cto_balance_cap_minutes = round(settings.cto_balance_cap_hours * 60)

    def _inverse_cto_day_blocks(self):
        for settings in self:
            minutes = []
            for part in (settings.cto_day_blocks_hours or "").split(","):
                text = part.strip()
                if not text:
                    continue
                try:
                    if ":" in text:
                        whole, rest = text.split(":", 1)
                        minutes.append(int(whole) * 60 + int(rest))
                    else:
                        minutes.append(round(float(text) * 60))
                except ValueError:
                    raise ValidationError(self.env._(
                        "Hours per CTO day: %(value)r is not a number of hours (write 4:00 or "
                        "4).", value=text)) from None
            settings.cto_day_blocks = ",".join(str(value) for value in minutes)
