import os

from odoo.tests import HttpCase, new_test_user, tagged

from .screens import save_screens


@tagged("post_install", "-at_install")
class TestTourPinMapping(HttpCase):
    """Admin journey: a reported PIN mapped to an employee whose zone differs from the
    terminal's; the warning seen and resolved in one click (zk_pin_mapping)."""

    def test_pin_mapping_tour(self):
        self.env.company.resource_calendar_id.tz = "UTC"
        admin = new_test_user(
            self.env, "zk_att_admin", tz="Asia/Manila",
            groups="base.group_user,hr.group_hr_user,hr_attendance.group_hr_attendance_manager")
        relay = self.env["zk.relay"].create({
            "name": "Manila branch", "url": "http://127.0.0.1:9", "token": "t0ken"})
        device = self.env["zk.device"].create({
            "serial": "CQZ0090", "name": "Main entrance", "timezone": "Asia/Manila",
            "relay_id": relay.id})
        employee = self.env["hr.employee"].create({"name": "Hana Paris", "tz": "Europe/Paris"})
        line = self.env["zk.device.user"]._merge_reported_users(
            [{"serial": device.serial, "pin": "0090", "name": "HANA", "privilege": "0"}])
        self.assertEqual(line.sync_state, "unmapped")

        self.start_tour("/odoo/action-hr_zk_attendance.zk_device_user_action",
                        "zk_pin_mapping", login=admin.login)

        self.assertEqual(line.employee_id, employee)
        self.assertEqual(employee.tz, "Asia/Manila")
        self.assertFalse(line.tz_mismatch)
        self.assertIn("Time zone set to Asia/Manila (was Europe/Paris)",
                      employee.message_ids[0].body)
        self.assertEqual(employee.message_ids[0].author_id, admin.partner_id)

        if os.environ.get("ZK_SCREENSHOTS"):
            # Screens as the admin sees them: a flagged line and an employee with the banner.
            other = self.env["hr.employee"].create({"name": "Ivan Lisbon",
                                                    "tz": "Europe/Lisbon"})
            flagged = self.env["zk.device.user"].create(
                {"device_id": device.id, "pin": "0091", "employee_id": other.id})
            self.env["zk.device.user"]._merge_reported_users(
                [{"serial": device.serial, "pin": "0092", "name": "NEW HIRE"}])
            save_screens(self, admin.login, [
                ("/odoo/action-hr_zk_attendance.zk_device_user_action", ".o_data_row",
                 "biometric_users.png"),
                (f"/odoo/action-hr_zk_attendance.zk_device_user_action/{flagged.id}",
                 ".o_form_view .alert-danger", "biometric_user_form.png"),
                (f"/odoo/employees/{other.id}", ".o_form_view .alert-danger",
                 "employee_zone_warning.png"),
            ])
