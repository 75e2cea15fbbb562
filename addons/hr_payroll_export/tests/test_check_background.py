from datetime import date
from unittest.mock import patch

from odoo.exceptions import AccessError

from odoo.addons.hr_payroll_export.models import payroll_export_check

from .common import PayrollCase


class TestCheckInBackground(PayrollCase):
    """A check of a company too big for one request runs in the scheduled job, a chunk of
    employees a run (one employee a chunk here, and more than one chunk is 'too big')."""

    def setUp(self):
        super().setUp()
        self.batch_ = self.batch(self.payroll_officer)
        self.three_in_chunks_of_one()
        self.batch_.action_generate()
        self.rendered.clear()
        self.enterContext(patch.object(payroll_export_check, "CHECK_AT_ONCE_CHUNKS", 1))
        self.Check = self.env["payroll.export.check"].sudo()

    def run_job(self):
        return self.Check._cron_run_checks()

    def last_message(self):
        return self.batch_.message_ids.sorted("id")[-1:]

    def test_big_check_goes_to_the_job_and_posts_its_result_to_the_asker(self):
        """Issue 22: the request answers at once; the job compares a chunk a run, shows how
        far it is on the form, and posts the result addressed to the person who asked."""
        batch = self.batch_.with_user(self.payroll_officer)
        answer = batch.action_check_reproducible()
        self.assertEqual(answer["params"]["type"], "info")
        self.assertIn("3 employees are too many to compare at once", answer["params"]["message"])
        self.assertFalse(self.rendered)  # nothing compared in the request
        self.assertEqual(batch.check_progress, "Checking against today's data in the "
                         "background: 0 of 3 employees compared. The result will be posted "
                         "in the messages below.")
        # A second click while it runs starts no second check.
        batch.action_check_reproducible()
        self.assertEqual(len(self.Check.search([])), 1)
        self.assertEqual(self.run_job(), 1)
        batch.invalidate_recordset(["check_progress"])
        self.assertIn("1 of 3 employees compared", batch.check_progress)
        self.assertEqual(self.run_job(), 1)
        self.assertEqual(self.run_job(), 0)
        self.assertEqual(self.rendered, [["E001"], ["E002"], ["E003"]])
        self.assertFalse(self.Check.search([]))
        message = self.last_message()
        self.assertIn("Generated again from today's data: the same bytes.", message.body)
        self.assertIn(self.payroll_officer.partner_id, message.partner_ids)
        batch.invalidate_recordset(["check_progress"])
        self.assertFalse(batch.check_progress)

    def test_a_day_changed_gives_another_file(self):
        """The check finds a change in the last chunk and says a correction is due."""
        self.batch_.with_user(self.payroll_officer).action_check_reproducible()
        self.run_job()
        cy = self.env["zk.daily.record"].search([("employee_id", "=", self.third.id)])
        cy.sudo().write({"night_minutes": 45})
        while self.run_job():
            pass
        self.assertIn("Today's data gives another file: issue a correction.",
                      self.last_message().body)

    def test_an_employee_joining_behind_the_check_gives_another_file(self):
        """Issue 22: someone whose payroll code sorts before the chunks already compared gets
        a day of the period while the check runs; the check never reads them, yet today's
        file would hold their row, so the check does not report the same bytes."""
        self.batch_.with_user(self.payroll_officer).action_check_reproducible()
        self.run_job()
        self.run_job()
        newcomer = self.env["hr.employee"].create({
            "name": "Abe Cruz", "barcode": "E000", "tz": "Asia/Manila",
            "resource_calendar_id": self.calendar.id})
        self.day(date(2025, 3, 6), employee=newcomer)
        while self.run_job():
            pass
        self.assertEqual(self.rendered, [["E001"], ["E002"], ["E003"]])
        self.assertIn("Today's data gives another file: issue a correction.",
                      self.last_message().body)

    def test_killed_run_resumes_without_comparing_again(self):
        """Issue 22: a run killed in its chunk keeps nothing of it; the next run compares that
        chunk and goes on, the chunks before it not read again."""
        self.batch_.with_user(self.payroll_officer).action_check_reproducible()
        self.run_job()
        Check = type(self.Check)
        with patch.object(Check, "_matching", side_effect=RuntimeError("worker killed")), \
                self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.run_job()
        self.assertEqual(self.Check.search([]).employee_done, 1)
        while self.run_job():
            pass
        self.assertEqual(self.rendered, [["E001"], ["E002"], ["E002"], ["E003"]])
        self.assertIn("the same bytes", self.last_message().body)

    def test_small_company_checks_at_once(self):
        with patch.object(payroll_export_check, "CHECK_AT_ONCE_CHUNKS", 3):
            answer = self.batch_.with_user(self.payroll_officer).action_check_reproducible()
        self.assertEqual(answer["params"]["type"], "success")
        self.assertFalse(self.Check.search([]))

    def test_checks_are_read_by_no_user(self):
        """A check is the job's bookkeeping: nobody reads or changes it through the ORM."""
        self.batch_.with_user(self.payroll_officer).action_check_reproducible()
        check = self.Check.search([])
        for user in (self.payroll_manager, self.payroll_officer, self.env.ref("base.user_admin")):
            with self.assertRaises(AccessError):
                check.with_user(user).read(["offset"])
            with self.assertRaises(AccessError):
                check.with_user(user).write({"differs": True})
