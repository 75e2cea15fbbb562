from odoo.tests import HttpCase, tagged

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
