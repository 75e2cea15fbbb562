from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zk_work_entry_deduct_late = fields.Boolean(
        related="company_id.zk_work_entry_deduct_late", readonly=False)
    zk_work_entry_deduct_undertime = fields.Boolean(
        related="company_id.zk_work_entry_deduct_undertime", readonly=False)
