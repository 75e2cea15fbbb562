from odoo.tests import HttpCase, tagged

from odoo.addons.hr_zk_attendance.tests.screens import save_screens

from .common import BiometricMixin
from .test_biometric_sub_templates import PALM_1, PALM_2, palm_row


@tagged("post_install", "-at_install")
class TestBiometricTour(BiometricMixin, HttpCase):
    """An HR admin in the Biometric data group opens an employee, reads the per-terminal
    sync table, erases the biometric data and sees the erasure waiting per terminal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpBiometric()

    def test_erase_journey(self):
        self.enrol()
        self.env["zk.biometric.sync"]._cron_send()
        self.fake.answer("BIOB002", "template_upsert", "done", 0)
        self.fake.answer("BIOC003", "template_upsert", "failed", -1001)
        self.env["zk.biometric.sync"]._cron_send()
        url = f"/odoo/employees/{self.employee.id}"
        save_screens(self, "bio_admin", [
            (url, ".o_form_view", "biometric_sync_table.png", None,
             "a[name='zk_biometrics']")])
        self.start_tour(url, "hr_zk_biometric_erase_tour", login="bio_admin")
        erasure = self.employee.zk_bio_erasure_ids
        self.assertEqual(erasure.reason, "request")
        self.assertEqual(len(erasure.line_ids), 3)
        save_screens(self, "bio_admin", [
            (url, ".o_form_view", "biometric_erasure_pending.png", ".o_zk_bio_erasure_table",
             "a[name='zk_biometrics']")])
        # Every terminal confirms: the erasure leaves the employee's tab, kept in the list.
        for serial in ("BIOA001", "BIOB002", "BIOC003"):
            self.fake.answer(serial, "user_erase", "done", 0)
        self.env["zk.biometric.erasure.line"]._zk_follow(self.relay)
        self.assertEqual(erasure.state, "done")
        self.assertFalse(self.employee.with_user(self.bio_user).zk_bio_erasure_open_line_ids)

    def test_sub_template_journey(self):
        """Issue 19: a palm of two sub-templates is a row each, per terminal."""
        self.take_templates([palm_row(self, 1, 0, PALM_1), palm_row(self, 2, 1, PALM_2)])
        self.env["zk.biometric.sync"]._cron_send()
        for cell in self.cells().filtered(lambda c: c.item == "palm" and c.command_id):
            failed = cell.device_id == self.dev_b and cell.sub_index == 1
            self.fake.commands[cell.command_id].update(
                state="failed" if failed else "done", return_code=-1001 if failed else 0)
        self.env["zk.biometric.sync"]._cron_send()
        palms = self.cells().filtered(lambda c: c.item == "palm")
        self.assertEqual(len(palms), 6, "two palm rows on each of the three terminals")
        url = f"/odoo/employees/{self.employee.id}"
        self.start_tour(url, "hr_zk_biometric_sub_template_tour", login="bio_admin")
        save_screens(self, "bio_admin", [
            (url, ".o_form_view", "biometric_sub_templates.png", ".o_zk_bio_sync_table",
             "a[name='zk_biometrics']")])
