from odoo.tests import HttpCase, tagged

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
