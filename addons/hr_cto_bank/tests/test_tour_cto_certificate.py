from datetime import date

from odoo.tests import HttpCase, tagged

from odoo.addons.hr_zk_attendance.tests.screens import save_screens

from .test_certificate import CertificateCase


@tagged("post_install", "-at_install")
class TestTourCtoCertificate(CertificateCase, HttpCase):
    """Journey 4: an HR officer (not an administrator) opens Time Off > CTO Bank >
    Certificates of COC Earned, picks January 2026 and Ana, previews the certificate and reads
    her figures in it."""

    def test_officer_prints_and_reads_the_certificate(self):
        self.overtime(date(2026, 1, 5), 150, status="approved")  # a Monday: 2:30
        self.overtime(date(2026, 1, 10), 120, kind="rest_day", status="approved")  # 3:00
        self.start_tour("/odoo", "zk_cto_certificate", login="cto_hr_officer")
        wizard = self.env["hr.cto.certificate.wizard"].search(
            [("create_uid", "=", self.hr_officer.id)], order="id desc", limit=1)
        self.assertEqual((wizard.month, wizard.year, wizard.employee_ids),
                         ("1", 2026, self.employee))
        # What the officer read comes from the bank's certificate of that month.
        values = self.env["report.hr_cto_bank.report_coc_certificate"]._get_report_values(
            None, data=wizard.with_user(self.hr_officer)._report_action()["data"])
        self.assertEqual(values["docs"], self.employee)
        self.assertEqual(values["certificates"][self.employee.id]["earned_minutes"], 330)
        self.screens()

    def screens(self):
        """Main CTO screens for a person to look at (ZK_SCREENSHOTS=dir)."""
        save_screens(self, "cto_hr_officer", [
            ("/odoo/action-hr_cto_bank.hr_cto_lot_action", ".o_list_renderer",
             "cto_lots.png"),
            ("/odoo/action-hr_cto_bank.hr_cto_ledger_entry_action", ".o_list_renderer",
             "cto_ledger.png"),
            ("/odoo/action-hr_cto_bank.hr_cto_credit_action", ".o_list_renderer",
             "cto_credits.png"),
            ("/odoo/action-hr_cto_bank.hr_cto_payout_line_action", ".o_view_nocontent",
             "cto_payouts_empty.png"),
            (f"/odoo/employees/{self.employee.id}", ".o_form_view", "cto_employee.png"),
            ("/odoo/action-hr_cto_bank.hr_cto_certificate_wizard_action", ".modal",
             "cto_certificate_wizard.png"),
            (f"/report/html/hr_cto_bank.report_coc_certificate/{self.employee.id}"
             "?options=%7B%22month%22%3A%222026-01%22%7D", ".page", "cto_certificate.png"),
        ])
