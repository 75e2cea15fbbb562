import os

from odoo.tests import HttpCase, tagged

from odoo.addons.hr_zk_attendance.tests.screens import save_screens

from .test_unconfirmed_days import TestUnconfirmedDays


@tagged("post_install", "-at_install")
class TestTourUnconfirmedDays(HttpCase):
    """Payroll officer journey: the batch to issue warns about the terminal-days of its
    period not confirmed, and lists them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        TestUnconfirmedDays.seed(cls)

    def test_unconfirmed_days_tour(self):
        batch = TestUnconfirmedDays.batch(self)
        self.start_tour(f"/odoo/action-hr_payroll_export.payroll_export_batch_action/{batch.id}",
                        "zk_payroll_unconfirmed_days", login=self.officer.login)
        self.assertEqual(batch.state, "draft")
        if os.environ.get("ZK_SCREENSHOTS"):
            save_screens(self, self.officer.login, [
                (f"/odoo/action-hr_payroll_export.payroll_export_batch_action/{batch.id}",
                 ".o_form_view .alert-warning", "payroll_unconfirmed_days.png", None,
                 '.o_notebook a[name="fleet_days"]'),
            ])
