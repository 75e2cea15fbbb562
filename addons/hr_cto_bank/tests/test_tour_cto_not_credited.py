from datetime import date

from odoo.tests import HttpCase, tagged

from odoo.addons.hr_zk_attendance.tests.screens import save_screens

from .common import CtoCase


@tagged("post_install", "-at_install")
class TestTourCtoNotCredited(CtoCase, HttpCase):
    """Issue 23 in a browser: the reason an approved overtime line was not credited is on the
    line, and the list filters those lines."""

    def test_attendance_admin_reads_why_overtime_was_not_credited(self):
        self.company.cto_expiry_mode = "none"
        maria = self.env["hr.employee"].create({
            "name": "Maria Santos", "tz": "Asia/Manila",
            "resource_calendar_id": self.calendar.id})
        before = self.overtime(date(2026, 11, 27), 90, status="approved", employee=maria)
        maria.write({"cto_enabled": True, "cto_enabled_since": date(2026, 12, 3)})
        after = self.overtime(date(2026, 12, 4), 75, status="approved", employee=maria)
        self.assertEqual((before.cto_state, after.cto_state), ("not_credited", "credited"))
        self.start_tour("/odoo", "zk_cto_not_credited", login="cto_att_admin")
        action = self.env.ref("hr_zk_attendance.zk_overtime_line_action").id
        save_screens(self, "cto_att_admin", [
            (f"/odoo/action-{action}/{before.id}", ".o_form_view .o_cto_not_credited",
             "cto_overtime_not_credited.png"),
            (f"/odoo/action-{action}/{after.id}", ".o_form_view .o_statusbar_status",
             "cto_overtime_credited.png"),
        ])
        save_screens(self, "admin", [
            ("/odoo/action-hr_attendance.action_hr_attendance_settings",
             ".o_field_widget[name=cto_backdate]", "cto_settings_before_joining.png",
             ".o_field_widget[name=cto_backdate]"),
            (f"/odoo/employees/{maria.id}", ".o_form_view .o_notebook",
             "cto_employee_joined.png", ".o_field_widget[name=cto_enabled_since]",
             ".o_notebook .nav-link[name=hr_settings]"),
        ], password="admin")
