from odoo import models

from .zk_overtime_line import DEFER


class ZkDailyRecord(models.Model):
    _inherit = "zk.daily.record"

    def _zk_overtime_revoked(self, previous_lines, kinds):
        """E9.3 -> C10: the approved overtime of ``kinds`` changed on recompute; reverse the
        credit it earned (never below 0; the used part becomes the shortfall)."""
        result = super()._zk_overtime_revoked(previous_lines, kinds)
        # sudo: the reversal follows from a recompute made by the system.
        active = self.env["hr.cto.credit"].sudo().search([
            ("employee_id", "=", self.employee_id.id), ("work_date", "=", self.work_date),
            ("kind", "in", list(kinds)), ("state", "=", "active")])
        active._cto_revoke(self.env._("Day recomputed: approved overtime changed"))
        return result

    def _store_new_version(self, *args, **kwargs):
        result = super(ZkDailyRecord, self.with_context(**{DEFER: True}))._store_new_version(
            *args, **kwargs)
        self.line_ids._cto_sync()  # now at the new version number
        return result
