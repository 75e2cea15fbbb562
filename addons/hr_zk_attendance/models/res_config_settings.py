from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zk_overtime_approval = fields.Selection(related="company_id.zk_overtime_approval",
                                            readonly=False)
    zk_recompute_days = fields.Integer(related="company_id.zk_recompute_days", readonly=False)
