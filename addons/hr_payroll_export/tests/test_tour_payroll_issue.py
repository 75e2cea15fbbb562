from datetime import date, datetime
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from odoo.addons.hr_payroll_export.models import payroll_export_batch_inputs as inputs
from odoo.addons.hr_payroll_export.models import payroll_export_check
from odoo.addons.hr_zk_attendance.tests.screens import save_screens

from .common import PayrollCase


@tagged("post_install", "-at_install")
class TestTourPayrollIssue(PayrollCase, HttpCase):
    """Journey 3: a payroll officer (not an administrator) finds the batch of a closed period
    waiting with a to-do, issues it, downloads it and sees the download logged."""

    def test_officer_issues_downloads_and_sees_the_log(self):
        self.payroll_officer.write({"name": "Paula Santos"})
        self.good_days()
        batch = self.batch()
        batch._schedule_officer_activities()  # what the period-close job does for a draft
        self.assertIn(self.payroll_officer, batch.activity_ids.user_id)
        self.start_tour("/odoo", "zk_payroll_issue", login="payroll_officer")
        self.assertEqual((batch.state, batch.issued_by), ("issued", self.payroll_officer))
        self.assertFalse(batch.activity_ids, "issuing closed the officers' to-dos")
        log = self.env["payroll.export.download"].search([("batch_id", "=", batch.id)])
        self.assertEqual((len(log), log.user_id, log.sha256),
                         (1, self.payroll_officer, batch.sha256))
        save_screens(self, "payroll_officer", [
            ("/odoo/action-hr_payroll_export.payroll_export_batch_action", ".o_data_row",
             "payroll_batches.png"),
            (f"/odoo/action-hr_payroll_export.payroll_export_batch_action/{batch.id}",
             ".o-mail-Chatter", "payroll_batch.png"),
            ("/odoo/action-hr_payroll_export.payroll_export_download_action", ".o_data_row",
             "payroll_downloads.png"),
        ])

    def test_officer_sees_the_scheduled_issue_under_way_and_finishes_it(self):
        """Journey 3b: the scheduled job issues a big batch a group of employees per run; the
        officer opening it meanwhile sees how far it is, and may issue the rest at once."""
        self.enterContext(patch.object(inputs, "EXPORT_CHUNK", 1))
        self.good_days()
        third = self.env["hr.employee"].create({"name": "Cy Lim", "barcode": "E003",
                                                "tz": "Asia/Manila"})
        self.day(date(2025, 3, 5), employee=third)
        self.company.payroll_last_close_check = datetime(2025, 3, 16, 3, 0)
        # 2025-03-16 12:00 Asia/Manila: the period closes; the job's first run writes E001.
        self.assertEqual(self.Batch._cron_close_periods(now=datetime(2025, 3, 16, 4, 0)), 2)
        batch = self.Batch.search([("company_id", "=", self.company.id)])
        self.assertEqual(batch.issue_progress, "Being issued by the scheduled job: 1 "
                         "employee(s) written so far. It goes on by itself; the file appears "
                         "here when it is done.")
        save_screens(self, "payroll_officer", [
            (f"/odoo/action-hr_payroll_export.payroll_export_batch_action/{batch.id}",
             ".o_form_view .alert-info", "payroll_batch_under_way.png")])
        self.start_tour("/odoo", "zk_payroll_issue_under_way", login="payroll_officer")
        self.assertEqual((batch.state, batch.row_count), ("issued", 4))
        self.assertFalse(batch.issue_progress)
        self.assertFalse(batch._parts())

    def test_officer_checks_a_big_batch_in_the_background(self):
        """Journey 3c: too many employees for one request (here: more than one chunk of
        one), the check goes to the scheduled job; the form shows how far it is, and the
        result reaches the officer in the batch's messages."""
        self.enterContext(patch.object(inputs, "EXPORT_CHUNK", 1))
        self.enterContext(patch.object(payroll_export_check, "CHECK_AT_ONCE_CHUNKS", 1))
        self.payroll_officer.write({"name": "Paula Santos"})
        self.good_days()
        third = self.env["hr.employee"].create({"name": "Cy Lim", "barcode": "E003",
                                                "tz": "Asia/Manila"})
        self.day(date(2025, 3, 5), employee=third)
        batch = self.batch()
        batch.action_generate()
        self.start_tour("/odoo", "zk_payroll_check_in_background", login="payroll_officer")
        save_screens(self, "payroll_officer", [
            (f"/odoo/action-hr_payroll_export.payroll_export_batch_action/{batch.id}",
             ".o_form_view .alert-info", "payroll_batch_check_under_way.png")])
        Check = self.env["payroll.export.check"].sudo()
        self.assertEqual(Check.search([]).requested_by, self.payroll_officer)
        while Check._cron_run_checks():
            pass
        message = batch.message_ids.sorted("id")[-1]
        self.assertIn("Checked in the background, as Paula Santos asked:", message.body)
        self.assertIn("Generated again from today's data: the same bytes.", message.body)
        self.assertIn(self.payroll_officer.partner_id, message.partner_ids)
        self.assertFalse(batch.check_progress)
        save_screens(self, "payroll_officer", [
            (f"/odoo/action-hr_payroll_export.payroll_export_batch_action/{batch.id}",
             ".o-mail-Message", "payroll_batch_check_done.png")])
