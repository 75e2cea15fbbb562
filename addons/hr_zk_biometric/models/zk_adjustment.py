from odoo import api, fields, models

GROUP = "hr_zk_biometric.group_zk_biometric"


class ZkAdjustment(models.Model):
    """An adjustment under review shows the photos taken at its day's punches."""

    _inherit = "zk.adjustment"

    # Computed from the request's own inputs, not related through record_id: the day is found
    # by a search, so Odoo could not tell which requests a day's new photo concerns.
    zk_photo_ids = fields.Many2many("zk.punch.photo", compute="_compute_zk_photo_ids",
                                    groups=GROUP, string="Punch photos")

    @api.depends("employee_id", "punch_time", "direction")
    def _compute_zk_photo_ids(self):
        # sudo: as a related field would, the day is found whatever the reader's rights on
        # daily records; the photos are shown only to this field's group.
        for adjustment in self:
            adjustment.zk_photo_ids = adjustment.sudo().record_id.zk_photo_ids
