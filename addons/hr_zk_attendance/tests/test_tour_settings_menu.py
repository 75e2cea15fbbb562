from odoo.tests import HttpCase, new_test_user, tagged

from .screens import save_screens


@tagged("post_install", "-at_install")
class TestTourSettingsMenu(HttpCase):
    """Journey 5: Settings is reachable from Attendances > Configuration (it was lost when
    the ZKTeco entries turned Configuration into a dropdown)."""

    def test_settings_from_configuration(self):
        # The Odoo administrator: Settings (res.config.settings) is theirs to open.
        new_test_user(self.env, "zk_settings_admin",
                      groups="base.group_system,hr_attendance.group_hr_attendance_manager")
        self.start_tour("/odoo", "zk_settings_menu", login="zk_settings_admin")
        menu = self.env.ref("hr_zk_attendance.menu_zk_settings")
        self.assertEqual(menu.parent_id, self.env.ref("hr_attendance.menu_hr_attendance_settings"))
        self.assertEqual(menu.action, self.env.ref("hr_attendance.action_hr_attendance_settings"))
        save_screens(self, "zk_settings_admin", [
            ("/odoo/action-hr_attendance.action_hr_attendance_settings",
             ".o_setting_container h2", "screenshot_settings.png")])
