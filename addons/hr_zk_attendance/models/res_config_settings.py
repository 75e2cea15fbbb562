from odoo import api, fields, models
from odoo.exceptions import ValidationError

from zk_rules.admission import DEFAULT_FUTURE_HOURS, DEFAULT_PAST_DAYS, DEFAULT_STATUS_CODES


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zk_overtime_approval = fields.Selection(related="company_id.zk_overtime_approval",
                                            readonly=False)
    zk_recompute_days = fields.Integer(related="company_id.zk_recompute_days", readonly=False)
    zk_request_days_back = fields.Integer(related="company_id.zk_request_days_back",
                                          readonly=False)
    zk_nudge_flagged_days = fields.Boolean(related="company_id.zk_nudge_flagged_days",
                                           readonly=False)
    # Site-wide import checks (system parameters, also under Technical > System Parameters).
    zk_status_codes = fields.Char(
        string="Status codes in use", config_parameter="hr_zk_attendance.status_codes",
        default=DEFAULT_STATUS_CODES,
        help="Status keys your terminals send, separated by commas (0 check-in, 1 check-out, "
        "2 break out, 3 break in, 4 overtime in, 5 overtime out, 255 no key). A punch with "
        "another key waits under Punches to review.")
    zk_future_hours = fields.Integer(
        string="Future limit (hours)", config_parameter="hr_zk_attendance.future_hours",
        default=DEFAULT_FUTURE_HOURS,
        help="A punch dated further ahead than this waits for review: the terminal's clock "
        "is probably wrong.")
    zk_past_days = fields.Integer(
        string="Past limit (days)", config_parameter="hr_zk_attendance.past_days",
        default=DEFAULT_PAST_DAYS,
        help="A punch dated further back than this waits for review.")

    @api.constrains("zk_status_codes")
    def _check_zk_status_codes(self):
        for settings in self.filtered("zk_status_codes"):
            codes = [c.strip() for c in settings.zk_status_codes.split(",") if c.strip()]
            if not codes or not all(c.isdigit() and int(c) <= 255 for c in codes):
                raise ValidationError(self.env._(
                    "Status codes: numbers from 0 to 255 separated by commas, e.g. "
                    "0,1,2,3,4,5,255."))

    @api.constrains("zk_request_days_back")
    def _check_zk_request_days_back(self):
        for settings in self:
            if not 0 <= settings.zk_request_days_back <= 400:
                raise ValidationError(self.env._(
                    "Correction requests go back between 0 and 400 days."))
