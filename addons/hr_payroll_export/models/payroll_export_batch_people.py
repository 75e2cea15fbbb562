from odoo import models


class PayrollExportBatchPeople(models.Model):
    """The people a batch waits for: payroll officers get a to-do when a period closed and
    the batch is not issued, done once it is."""

    _inherit = "payroll.export.batch"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------ people
    def _payroll_officers(self):
        """The payroll officers of the batch's company (internal, active users)."""
        self.ensure_one()
        group = self.env.ref("hr_payroll_export.group_payroll_officer")
        return group.users.filtered(lambda user: not user.share and user.active
                                    and self.company_id in user.company_ids
                                    and user != self.env.ref("base.user_root"))

    def _schedule_officer_activities(self):
        """The period closed and the batch waits for a person: a to-do for each payroll
        officer (once), saying what is in the way."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        for batch in self:
            waiting = batch.activity_ids.filtered(
                lambda activity: activity.activity_type_id == todo).user_id
            if batch.blocked_count:
                note = self.env._("%(count)s days block this payroll file: resolve them (or a "
                                  "payroll manager forces the export with a reason), then "
                                  "issue it.", count=batch.blocked_count)
            else:
                note = self.env._("The pay period is closed: issue the payroll file.")
            for user in batch._payroll_officers() - waiting:
                batch.activity_schedule(
                    "mail.mail_activity_data_todo", user_id=user.id, note=note,
                    summary=self.env._("Issue the payroll file"))

    def _close_officer_activities(self):
        """The batch was issued: the officers' to-dos are done."""
        for batch in self:
            if batch.activity_ids:
                batch.activity_ids.action_feedback(feedback=self.env._(
                    "Issued by %(user)s.", user=self.env.user.name))
