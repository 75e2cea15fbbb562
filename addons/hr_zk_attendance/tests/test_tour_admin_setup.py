import json
import shlex
from datetime import date, timedelta

from odoo.tests import HttpCase, new_test_user, tagged

from .relay_process import RelayProcess, relay_command
from .screens import save_screens
from .test_admin_path import closed_port

SERIAL = "CQZ7231460123"


@tagged("post_install", "-at_install")
class TestTourAdminSetup(HttpCase):
    """Journey 1, the attendance administrator, in a real browser against a real relay:
    create a relay, get the enrolment code, approve the terminal the relay knows, import,
    read the punch log.

    Between the tour's parts the test does what happens outside the browser: the relay
    process with a terminal registered on it (`zk-relay device add`) and its punches, and
    `zk-relay enrol` run with the command the dialog showed.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if relay_command() is None:
            cls.skipTest(cls, "zk-relay is not installed in Odoo's environment")
        cls.relay_proc = RelayProcess()
        cls.addClassCleanup(cls.relay_proc.close)
        cls.relay_proc.start()
        cls.relay_proc.cli("device", "add", SERIAL, "--tz", "Asia/Manila",
                           "--name", "Front door")
        cls.day = (date.today() - timedelta(days=1)).isoformat()
        status, _text = cls.relay_proc.push_attlog(SERIAL, [
            ("007", f"{cls.day} 08:01:10", 0), ("007", f"{cls.day} 17:05:00", 1),
            ("0099", f"{cls.day} 08:15:00", 0)])
        assert status == 200
        cls.employee = cls.env["hr.employee"].create({
            "name": "Carla Santos", "tz": "Asia/Manila", "resource_calendar_id": False})
        cls.admin = new_test_user(
            cls.env, "zk_setup_admin", name="Attendance Administrator", tz="Asia/Manila",
            groups="base.group_user,hr_attendance.group_hr_attendance_manager")

    def tour(self, url, name):
        """start_tour, with the relay's address handed to the tour in sessionStorage."""
        options = {"stepDelay": 0, "keepWatchBrowser": False, "debug": False, "startUrl": url}
        code = (f"sessionStorage.setItem('zk_relay_url', {json.dumps(self.relay_proc.url)}); "
                f"odoo.startTour({name!r}, {json.dumps(options)})")
        self.start_tour(url, name, login="zk_setup_admin", code=code, timeout=120)
        self.env.invalidate_all()

    def test_admin_sets_up_a_relay_and_reads_the_punch_log(self):
        self.tour("/odoo/action-hr_zk_attendance.zk_relay_action", "zk_admin_setup")
        relay = self.env["zk.relay"].search([("name", "=", "Branch Cebu")])
        self.assertEqual((relay.url, relay.link_state), (self.relay_proc.url, "waiting"))

        # On the relay: the command the dialog showed (Odoo's address as this test serves it).
        wizard = self.env["zk.relay.enrol.wizard"].search([("relay_id", "=", relay.id)])
        args = shlex.split(wizard.command)
        self.assertEqual(args[args.index("--url") + 1], self.relay_proc.url)
        args[args.index("--odoo") + 1] = self.base_url()
        self.env.flush_all()
        # The relay's request carries no test cookie: allow it as Odoo's own url_open does.
        strict, self.http_request_strict_check = self.http_request_strict_check, False
        try:
            self.relay_proc.cli(*args[1:])
        finally:
            self.http_request_strict_check = strict
        self.env.invalidate_all()
        self.assertEqual(relay.link_state, "enrolled")

        relay_form = f"/odoo/action-hr_zk_attendance.zk_relay_action/{relay.id}"
        self.tour(relay_form, "zk_admin_setup_approve")
        device = self.env["zk.device"].search([("serial", "=", SERIAL)])
        self.assertEqual((device.state, device.timezone, device.name, device.relay_id),
                         ("active", "Asia/Manila", "Front door", relay))

        # Mapping PINs to employees is another journey's: PIN 007 is Carla, 0099 nobody.
        self.env["zk.device.user"].create({"device_id": device.id, "pin": "007",
                                           "employee_id": self.employee.id})
        self.env.flush_all()
        self.tour(relay_form, "zk_admin_setup_import")
        punches = self.env["zk.punch"].search([("device_id", "=", device.id)])
        self.assertEqual(len(punches), 3)
        carla = punches.filtered(lambda p: p.pin == "007")
        self.assertEqual(carla.employee_id, self.employee)
        self.assertEqual(set(carla.mapped("state")), {"done"})
        self.assertEqual(punches.filtered(lambda p: p.pin == "0099").state, "unmapped")
        self.assertEqual(relay.cursor, self.relay_proc.last_event_id())

        # A relay that is down, as its form shows it.
        down = self.env["zk.relay"].create({"name": "Branch Davao",
                                            "url": f"http://127.0.0.1:{closed_port()}"})
        message = down.action_test_connection()["params"]["message"]
        self.assertIn("connection refused", message)
        self.env.flush_all()
        save_screens(self, "zk_setup_admin", [
            (f"/odoo/action-hr_zk_attendance.zk_relay_action/{down.id}",
             ".o_form_view .alert-danger", "screenshot_relay_down.png"),
            ("/odoo/action-hr_zk_attendance.zk_relay_action", ".o_list_view .o_data_row",
             "screenshot_relays.png"),
            (relay_form, ".o_form_view .o-mail-Chatter", "screenshot_relay_form.png"),
            (f"/odoo/action-hr_zk_attendance.zk_device_action/{device.id}",
             ".o_form_view .o-mail-Chatter", "screenshot_terminal_form.png"),
            ("/odoo/action-hr_zk_attendance.zk_punch_action", ".o_list_view .o_data_row",
             "screenshot_punch_log.png"),
            ("/odoo/action-hr_zk_attendance.zk_punch_review_action",
             ".o_list_view .o_data_row", "screenshot_punch_review.png"),
        ])
