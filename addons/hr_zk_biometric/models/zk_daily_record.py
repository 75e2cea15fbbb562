from odoo import fields, models

GROUP = "hr_zk_biometric.group_zk_biometric"


class ZkDailyRecord(models.Model):
    """The photos taken at the day's punches, for the Biometric data group reviewing it."""

    _inherit = "zk.daily.record"

    zk_photo_ids = fields.Many2many("zk.punch.photo", compute="_compute_zk_photo_ids",
                                    groups=GROUP, string="Punch photos")

    def _compute_zk_photo_ids(self):
        Photo = self.env["zk.punch.photo"]
        for record in self:
            record.zk_photo_ids = Photo.search([
                ("employee_id", "=", record.employee_id.id),
                ("local_time", "=like", f"{record.work_date}%")]) if record.work_date \
                else Photo
