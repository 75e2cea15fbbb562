from odoo import models

DECISIONS = {"status", "approved_minutes"}


class ZkOvertimeLine(models.Model):
    """An overtime decision changes what the day's work entries pay."""

    _inherit = "zk.overtime.line"

    def write(self, vals):
        result = super().write(vals)
        if DECISIONS & set(vals):
            self.env["hr.work.entry"]._zk_regenerate(self.record_id)
        return result
