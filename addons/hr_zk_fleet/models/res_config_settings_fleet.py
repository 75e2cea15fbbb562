from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zk_fleet_silent_minutes = fields.Integer(
        related="company_id.zk_fleet_silent_minutes", readonly=False)
    zk_fleet_drift_seconds = fields.Integer(
        related="company_id.zk_fleet_drift_seconds", readonly=False)
    zk_fleet_memory_percent = fields.Integer(
        related="company_id.zk_fleet_memory_percent", readonly=False)
    zk_fleet_not_delivered_minutes = fields.Integer(
        related="company_id.zk_fleet_not_delivered_minutes", readonly=False)

    @api.constrains("zk_fleet_silent_minutes", "zk_fleet_drift_seconds",
                    "zk_fleet_memory_percent", "zk_fleet_not_delivered_minutes")
    def _check_zk_fleet_thresholds(self):
        for settings in self:
            if min(settings.zk_fleet_silent_minutes, settings.zk_fleet_drift_seconds,
                   settings.zk_fleet_not_delivered_minutes) < 1:
                raise ValidationError(self.env._(
                    "Alert thresholds are at least 1 minute or 1 second."))
            if not 1 <= settings.zk_fleet_memory_percent <= 100:
                raise ValidationError(self.env._(
                    "The memory threshold is a percentage between 1 and 100."))
