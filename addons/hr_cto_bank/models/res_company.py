from datetime import datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from zk_rules.cto import CtoInputError, Policy
from zk_rules.cto.membership import DEFAULT_BACKDATE_MODE, first_creditable_date, month_start

from .labels import without_spec_codes

EXPIRY_MODES = [
    ("rolling_months", "Rolling months after the work date"),
    ("end_of_following_year", "31 December of the following year (CSC JC 2-A)"),
    ("none", "Never"),
]
DISPOSITIONS = [("forfeit", "Forfeit"), ("payout", "Pay out (export line for payroll)")]
# Approved overtime worked before an employee joined the bank (zk_rules.cto.membership).
BACKDATE_MODES = [
    ("opt_in", "Not credited: only overtime from the day they join"),
    ("period_start", "Credited back to the start of the pay period they join in"),
]
POLICY_FIELDS = {
    "cto_rate_workday", "cto_rate_rest_day", "cto_rate_holiday", "cto_monthly_cap",
    "cto_monthly_cap_minutes", "cto_balance_cap", "cto_balance_cap_minutes", "cto_expiry_mode",
    "cto_expiry_months", "cto_day_blocks", "cto_max_days", "cto_cap_overflow",
    "cto_separation",
}


class ResCompany(models.Model):
    """CTO bank policy of the company (Part C parameters, CSC defaults)."""

    _inherit = "res.company"

    cto_rate_workday = fields.Float("CTO rate, workday", digits=(4, 3), default=1.0)
    cto_rate_rest_day = fields.Float("CTO rate, rest day", digits=(4, 3), default=1.5)
    cto_rate_holiday = fields.Float("CTO rate, holiday", digits=(4, 3), default=1.5)
    cto_monthly_cap = fields.Boolean("CTO monthly cap", default=True)
    cto_monthly_cap_minutes = fields.Integer("CTO monthly cap (minutes)", default=2400)
    cto_balance_cap = fields.Boolean("CTO balance cap", default=True)
    cto_balance_cap_minutes = fields.Integer("CTO balance cap (minutes)", default=7200)
    cto_expiry_mode = fields.Selection(EXPIRY_MODES, "CTO expiry", default="rolling_months",
                                       required=True)
    cto_expiry_months = fields.Integer("CTO validity (months)", default=12)
    cto_day_blocks = fields.Char(
        "CTO blocks per day (minutes)", default="240,480",
        help="Minutes of CTO a leave may take per day, comma-separated.")
    cto_max_days = fields.Integer("CTO days per request", default=5)
    cto_cap_overflow = fields.Selection(DISPOSITIONS, "CTO beyond the caps", default="forfeit",
                                        required=True)
    cto_separation = fields.Selection(DISPOSITIONS, "CTO on separation", default="forfeit",
                                      required=True)
    cto_backdate = fields.Selection(
        BACKDATE_MODES, "CTO for overtime before joining", default=DEFAULT_BACKDATE_MODE,
        required=True,
        help="Approved overtime an employee worked before they were put in the CTO bank: not "
             "credited, or credited as far back as the start of the pay period they join in "
             "(the calendar month without payroll export).")

    def _cto_policy_dict(self):
        """The G2 ``policy`` object of this company."""
        self.ensure_one()
        try:
            blocks = [int(part) for part in (self.cto_day_blocks or "").split(",")
                      if part.strip()]
        except ValueError:
            blocks = None
        return {
            "rates": {"workday": self.cto_rate_workday, "rest_day": self.cto_rate_rest_day,
                      "holiday": self.cto_rate_holiday},
            "monthly_cap_minutes": self.cto_monthly_cap_minutes if self.cto_monthly_cap
            else None,
            "balance_cap_minutes": self.cto_balance_cap_minutes if self.cto_balance_cap
            else None,
            "expiry": {"mode": self.cto_expiry_mode, "months": self.cto_expiry_months or 12},
            "allowed_day_blocks_minutes": blocks if blocks is not None
            else self.cto_day_blocks,
            "max_days_per_request": self.cto_max_days,
            "cap_overflow": self.cto_cap_overflow,
            "separation": self.cto_separation,
        }

    def _cto_policy(self):
        """The validated zk_rules.cto Policy; a bad setting is a ValidationError naming it."""
        self.ensure_one()
        try:
            return Policy.from_mapping(self._cto_policy_dict())
        except CtoInputError as error:
            raise ValidationError(self.env._("CTO bank policy of %(company)s: %(error)s",
                                             company=self.name,
                                             error=without_spec_codes(str(error)))) from error

    @api.constrains(*POLICY_FIELDS)
    def _check_cto_policy(self):
        for company in self:
            company._cto_policy()

    def _cto_period_start(self, day):
        """First day of the pay period holding ``day``: the calendar month here; the payroll
        export addon gives its pay periods."""
        self.ensure_one()
        return month_start(day)

    def _cto_first_creditable_date(self, opt_in):
        """First work date credited for an employee who joined the bank on ``opt_in``
        (None: no limit)."""
        self.ensure_one()
        if not opt_in:
            return None
        period_start = self._cto_period_start(opt_in) if self.cto_backdate == "period_start" \
            else None
        return first_creditable_date(opt_in, self.cto_backdate, period_start)

    def _cto_tz(self):
        self.ensure_one()
        return ZoneInfo(self.resource_calendar_id.tz or self.partner_id.tz or "UTC")

    def _cto_today(self):
        """'Today' in the company's zone (C8: dates are local to the company)."""
        self.ensure_one()
        return datetime.now(self._cto_tz()).date()
