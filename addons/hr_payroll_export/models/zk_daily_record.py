from odoo import models


class ZkDailyRecord(models.Model):
    _inherit = "zk.daily.record"

    def _correct(self, reason):
        """An exported day was corrected (e.g. an approved request of the employee): the
        payroll officers get a to-do on the issued file of that period, to issue its
        correction batch (the existing correction rules)."""
        result = super()._correct(reason)
        Batch = self.env["payroll.export.batch"].sudo()  # sudo: officers' to-dos, any user
        for record in self:
            batch = Batch.search([
                ("company_id", "=", record.company_id.id), ("state", "=", "issued"),
                ("superseded", "=", False), ("period_start", "<=", record.work_date),
                ("period_end", ">=", record.work_date)], order="id desc", limit=1)
            if batch:
                _ask_for_correction(batch)
        return result


def _ask_for_correction(batch):
    """A to-do per payroll officer on the issued batch, once while it waits."""
    summary = batch.env._("Issue a correction")
    waiting = batch.activity_ids.filtered(lambda activity: activity.summary == summary).user_id
    for user in batch._payroll_officers() - waiting:
        batch.activity_schedule(
            "mail.mail_activity_data_todo", user_id=user.id, summary=summary,
            note=batch.env._("A day of this period changed after the file was issued (an "
                             "approved correction): issue a correction batch."))
