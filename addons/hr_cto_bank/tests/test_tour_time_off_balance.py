from datetime import timedelta

from odoo.tests import HttpCase, tagged

from odoo.addons.hr_zk_attendance.tests.screens import save_screens

from .common import CtoCase


@tagged("post_install", "-at_install")
class TestTourTimeOffBalance(CtoCase, HttpCase):
    """An employee in the CTO bank opens Time Off and reads their balance on the CTO card,
    and in the type's name when requesting time off."""

    def test_employee_reads_the_cto_balance_in_time_off(self):
        self.overtime(self.today - timedelta(days=30), 300, status="approved")  # 5:00
        self.overtime(self.today - timedelta(days=10), 150, status="approved")  # 2:30
        self.assertEqual(self.balance(), 450)  # 7.5 hours, what the tour reads
        self.start_tour("/odoo", "zk_cto_time_off_balance", login="cto_ana")
        save_screens(self, "cto_ana", [
            ("/odoo/action-hr_holidays.hr_leave_action_new_request", ".o_timeoff_card",
             "cto_time_off_dashboard.png"),
        ])
