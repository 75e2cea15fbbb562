from odoo import api, fields, models
from odoo.exceptions import ValidationError

from zk_rules.payroll import LayoutConfig, PayrollInputError, PeriodPolicy

PERIOD_KINDS = [("weekly", "Weekly"), ("semi_monthly", "Semi-monthly (1-15, 16-end)"),
                ("monthly", "Monthly")]
WEEKDAYS = [("0", "Monday"), ("1", "Tuesday"), ("2", "Wednesday"), ("3", "Thursday"),
            ("4", "Friday"), ("5", "Saturday"), ("6", "Sunday")]
SETTING_FIELDS = {
    "payroll_period_kind", "payroll_week_start", "payroll_close_offset_days",
    "payroll_close_time", "payroll_granularity", "payroll_separator", "payroll_unit",
    "payroll_decimals", "payroll_leave_kinds", "payroll_correction_mode",
}


class ResCompany(models.Model):
    """Pay periods and the payroll CSV layout of the company (LAYOUT.md settings)."""

    _inherit = "res.company"

    payroll_period_kind = fields.Selection(PERIOD_KINDS, "Pay period", default="semi_monthly",
                                           required=True)
    payroll_week_start = fields.Selection(WEEKDAYS, "Week starts on", default="0",
                                          required=True)
    payroll_close_offset_days = fields.Integer(
        "Close after (days)", default=1,
        help="The period closes this many days after its last day, at the close time.")
    payroll_close_time = fields.Float(
        "Close time", default=12.0,
        help="Local time (zone of the company's working schedule) at which a period closes.")
    payroll_granularity = fields.Selection([("day", "One row per employee and day"),
                                            ("period", "One row per employee and period")],
                                           "Rows", default="day", required=True)
    payroll_separator = fields.Selection([(";", "Semicolon ;"), (",", "Comma ,")],
                                         "Separator", default=";", required=True)
    payroll_unit = fields.Selection([("hours", "Decimal hours"), ("minutes", "Minutes")],
                                    "Durations in", default="hours", required=True)
    payroll_decimals = fields.Integer("Decimals of hours", default=2)
    payroll_leave_kinds = fields.Char(
        "Leave columns",
        help="Leave kinds with their own column, comma-separated (e.g. 'cto,sick'); other "
        "kinds go to leave_other.")
    payroll_correction_mode = fields.Selection(
        [("diff", "Differences only"), ("full", "Full replacement")], "Corrections",
        default="diff", required=True)
    payroll_export_auto = fields.Boolean(
        "Issue payroll files at period close", default=True,
        help="The scheduled action creates and issues the batch of each period that closes.")
    payroll_last_close_check = fields.Datetime(
        "Payroll close: last check", readonly=True,
        help="Instant up to which the scheduled action looked for closed periods.")

    def _payroll_timezone(self):
        self.ensure_one()
        return self.resource_calendar_id.tz or self.partner_id.tz or "UTC"

    def _payroll_close_hhmm(self):
        self.ensure_one()
        total = round((self.payroll_close_time or 0.0) * 60)
        total = min(max(total, 0), 23 * 60 + 59)
        return f"{total // 60:02d}:{total % 60:02d}"

    def _payroll_period_policy(self):
        """The validated zk_rules PeriodPolicy; a bad setting is a ValidationError."""
        self.ensure_one()
        try:
            return PeriodPolicy.from_mapping({
                "kind": self.payroll_period_kind, "timezone": self._payroll_timezone(),
                "week_start": int(self.payroll_week_start or 0),
                "close_offset_days": self.payroll_close_offset_days,
                "close_time": self._payroll_close_hhmm(),
            })
        except PayrollInputError as error:
            raise ValidationError(self.env._("Pay periods of %(company)s: %(error)s",
                                             company=self.name, error=error)) from error

    def _payroll_layout_dict(self):
        self.ensure_one()
        kinds = [k.strip() for k in (self.payroll_leave_kinds or "").split(",") if k.strip()]
        return {"granularity": self.payroll_granularity, "separator": self.payroll_separator,
                "unit": self.payroll_unit, "decimals": self.payroll_decimals,
                "leave_kinds": kinds}

    def _payroll_layout(self):
        self.ensure_one()
        try:
            return LayoutConfig.from_mapping(self._payroll_layout_dict())
        except PayrollInputError as error:
            raise ValidationError(self.env._("Payroll file layout of %(company)s: %(error)s",
                                             company=self.name, error=error)) from error

    @api.constrains(*SETTING_FIELDS)
    def _check_payroll_settings(self):
        for company in self:
            company._payroll_period_policy()
            company._payroll_layout()
