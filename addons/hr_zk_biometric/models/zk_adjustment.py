from odoo import fields, models

GROUP = "hr_zk_biometric.group_zk_biometric"


class ZkAdjustment(models.Model):
    """An adjustment under review shows the photos taken at its day's punches."""

    _inherit = "zk.adjustment"

    zk_photo_ids = fields.Many2many(related="record_id.zk_photo_ids", groups=GROUP,
                                    string="Punch photos")
