import os
from datetime import date, timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.hr_zk_attendance.tests.screens import save_screens


@tagged("post_install", "-at_install")
class TestTourReconciliation(HttpCase):
    """Admin journey: the terminal-days that need a person on top, in words; a day's form
    offers Check again; the terminal shows its days, clock drift and events."""

    def test_reconciliation_tour(self):
        admin = new_test_user(
            self.env, "zk_fleet_admin", tz="Asia/Manila",
            groups="base.group_user,hr.group_hr_user,hr_attendance.group_hr_attendance_manager")
        relay = self.env["zk.relay"].create({
            "name": "Manila branch", "url": "http://127.0.0.1:9", "token": "t0ken"})
        device = self.env["zk.device"].create({
            "serial": "CQZ0100", "name": "Main entrance", "timezone": "Asia/Manila",
            "relay_id": relay.id})
        device.write({"clock_drift_known": True, "clock_drift_seconds": -131,
                      "health_at": fields.Datetime.now()})
        day = date.today() - timedelta(days=2)
        Day = self.env["zk.device.day"]
        Day.create({"device_id": device.id, "relay_id": relay.id, "day": day - timedelta(days=1),
                    "state": "confirmed", "at_terminal": 0, "at_terminal_known": True})
        Day.create({"device_id": device.id, "relay_id": relay.id, "day": day,
                    "state": "not_answered", "reason": "refused", "on_relay": 12,
                    "attempts": 1, "checked_at": fields.Datetime.now()})
        self.env["zk.device.event"].create({
            "device_id": device.id, "relay_id": relay.id, "relay_event_id": 1,
            "company_id": device.company_id.id, "kind": "log_cleared",
            "detail": "The terminal reported its attendance log cleared",
            "terminal_time": f"{day} 18:02:11", "received_at": fields.Datetime.now()})

        self.start_tour("/odoo/action-hr_zk_fleet.zk_device_day_action",
                        "zk_fleet_reconciliation", login=admin.login)
        self.start_tour(f"/odoo/action-hr_zk_attendance.zk_device_action/{device.id}",
                        "zk_fleet_terminal", login=admin.login)

        if os.environ.get("ZK_SCREENSHOTS"):
            save_screens(self, admin.login, [
                ("/odoo/action-hr_zk_fleet.zk_device_day_action", ".o_data_row",
                 "reconciliation_days.png"),
                (f"/odoo/action-hr_zk_attendance.zk_device_action/{device.id}",
                 ".o_form_view", "terminal_reconciliation_tab.png", None,
                 '.o_notebook a[name="reconciliation"]'),
            ])
