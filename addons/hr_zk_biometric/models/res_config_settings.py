from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zk_keep_photos_on_relay = fields.Boolean(related="company_id.zk_keep_photos_on_relay",
                                             readonly=False)
    zk_photo_retention_days = fields.Integer(related="company_id.zk_photo_retention_days",
                                             readonly=False)
    zk_bio_retention_days = fields.Integer(related="company_id.zk_bio_retention_days",
                                           readonly=False)
    zk_bio_off_message = fields.Char(compute="_compute_zk_bio_off_message")

    def _compute_zk_bio_off_message(self):
        message = self.env["zk.biometric.sealed"]._zk_off_message()
        for settings in self:
            settings.zk_bio_off_message = message
