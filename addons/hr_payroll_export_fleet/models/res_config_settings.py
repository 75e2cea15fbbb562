from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zk_warn_unconfirmed_days = fields.Boolean(
        related="company_id.zk_warn_unconfirmed_days", readonly=False)
