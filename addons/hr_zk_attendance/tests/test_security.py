from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import ZkCase


@tagged("post_install", "-at_install")
class TestSecurity(ZkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = new_test_user(cls.env, "zk_officer",
                                    groups="base.group_user,hr_attendance.group_hr_attendance_officer")
        cls.manager = new_test_user(cls.env, "zk_manager",
                                    groups="base.group_user,hr_zk_attendance.group_zk_manager")
        cls.admin = new_test_user(cls.env, "zk_admin",
                                  groups="base.group_user,hr_attendance.group_hr_attendance_manager")
        cls.user = new_test_user(cls.env, "zk_user", groups="base.group_user")

    def test_token_is_readable_by_administrators_only(self):
        self.assertEqual(self.relay.with_user(self.admin).token, "t0ken")
        with self.assertRaises(AccessError):
            self.relay.with_user(self.officer).read(["token"])

    def test_officer_reads_terminals_but_cannot_configure_them(self):
        self.assertEqual(self.device.with_user(self.officer).serial, "CQZ0001")
        with self.assertRaises(AccessError):
            self.device.with_user(self.officer).write({"name": "x"})
        with self.assertRaises(AccessError):
            self.env["zk.relay"].with_user(self.manager).create({"name": "r", "url": "http://x"})

    def test_officer_maps_pins(self):
        line = self.env["zk.device.user"].with_user(self.officer).create(
            {"device_id": self.device.id, "pin": "900"})
        self.assertEqual(line.sync_state, "unmapped")

    def test_nobody_deletes_punches(self):
        self.env["zk.punch"]._import_relay_events(self.relay, [
            self.event(1, "0042", f"{self.today} 08:00:00")])
        punch = self.env["zk.punch"].search([])
        for user in (self.officer, self.admin):
            with self.assertRaises(AccessError):
                punch.with_user(user).unlink()

    def test_plain_user_sees_nothing(self):
        with self.assertRaises(AccessError):
            self.env["zk.punch"].with_user(self.user).search([])
        with self.assertRaises(AccessError):
            self.env["zk.device"].with_user(self.user).search([])

    def test_multi_company_rule_hides_other_companies_terminals(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self.env["zk.device"].create({
            "serial": "OTHER1", "timezone": "UTC", "relay_id": self.relay.id,
            "company_id": other.id})
        visible = self.env["zk.device"].with_user(self.admin).search([])
        self.assertNotIn("OTHER1", visible.mapped("serial"))
