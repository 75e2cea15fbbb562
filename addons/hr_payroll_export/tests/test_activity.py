from datetime import date, datetime

from .common import PayrollCase


class TestOfficerActivity(PayrollCase):
    """A batch that waits for the payroll officers after its period closed gives each of them
    a to-do, once; issuing the batch marks it done and the chatter says so."""

    def test_blocked_batch_waits_with_a_todo_closed_when_issued(self):
        self.good_days()
        pending = self.day(date(2025, 3, 6), employee=self.other, line_ids=[
            (0, 0, {"kind": "workday", "minutes": 90, "status": "to_approve"})])
        self.company.payroll_last_close_check = datetime(2025, 3, 16, 3, 0)
        self.Batch._cron_close_periods(now=datetime(2025, 3, 16, 4, 0))
        batch = self.Batch.search([("company_id", "=", self.company.id)])
        self.assertEqual(batch.state, "draft")
        todo = self.env.ref("mail.mail_activity_data_todo")
        activities = batch.activity_ids
        self.assertEqual(activities.activity_type_id, todo)
        self.assertIn(self.payroll_officer, activities.user_id)
        self.assertIn(self.payroll_manager, activities.user_id)
        self.assertNotIn(self.plain_user, activities.user_id)
        self.assertIn("1 days block this payroll file", activities[0].note)
        # the next run, still blocked, does not pile up to-dos
        self.Batch._cron_close_periods(now=datetime(2025, 3, 16, 5, 0))
        self.assertEqual(batch.activity_ids, activities)
        # the officer's team approves, the officer issues: the to-dos are done
        pending.line_ids.sudo().write({"status": "approved", "approved_minutes": 60})
        batch.with_user(self.payroll_officer).action_generate()
        self.assertEqual(batch.state, "issued")
        self.assertFalse(batch.activity_ids)
        done = self.env["mail.message"].search([
            ("model", "=", batch._name), ("res_id", "=", batch.id),
            ("mail_activity_type_id", "=", todo.id)])
        self.assertEqual(len(done), len(activities))
        self.assertIn("Issued by", done[0].body)

    def test_readable_name_and_states(self):
        batch = self.batch()
        self.assertEqual(batch.name, f"{self.company.name}, 1-15 Mar 2025")
        states = dict(batch._fields["state"]._description_selection(self.env))
        self.assertEqual(states[batch.state], "To issue")
