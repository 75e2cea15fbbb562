from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from zk_rules.fingerprint import punch_fingerprint

try:
    from odoo.addons.hr_zk_attendance.tests.screens import save_screens
except ImportError:  # pragma: no cover
    save_screens = None


@tagged("post_install", "-at_install")
class TestTourFleetOverview(HttpCase):
    """Issue 17: overview -> a terminal card with an alert -> the terminal form shows the
    alert's activity and chatter message."""

    def test_fleet_overview_tour(self):
        admin = new_test_user(
            self.env, "fleet_tour_admin", name="Rosa Admin",
            groups="base.group_user,hr_attendance.group_hr_attendance_manager")
        relay = self.env["zk.relay"].with_user(admin).create({
            "name": "Branch Cebu", "url": "http://127.0.0.1:9", "token": "t0ken"})
        relay.sudo().write({"unacked_events": 0, "health_at": fields.Datetime.now()})
        now = fields.Datetime.now()
        ctx = {"zk_from_relay": True}
        alerting = self.env["zk.device"].with_context(**ctx).create({
            "serial": "CQZ5001", "name": "Main entrance", "timezone": "Asia/Manila",
            "relay_id": relay.id, "last_seen": now, "memory_known": True,
            "memory_percent": 96, "clock_drift_known": True, "clock_drift_seconds": 20,
            "punches_today": 31, "punches_usual_by_now": 35})
        healthy = self.env["zk.device"].with_context(**ctx).create({
            "serial": "CQZ5002", "name": "Side door", "timezone": "Asia/Manila",
            "relay_id": relay.id, "last_seen": now, "memory_known": True,
            "memory_percent": 12, "clock_drift_known": True, "clock_drift_seconds": 0,
            "punches_today": 12, "punches_usual_by_now": 10})
        for days_ago in range(0, 14):
            for n in range(days_ago % 5 + 1):
                local = (datetime.now() - timedelta(days=days_ago)).strftime(
                    "%Y-%m-%d 08:1") + f"{n}:00"
                for device in (alerting, healthy):
                    self.env["zk.punch"].create({
                        "serial": device.serial, "pin": "3", "local_time": local,
                        "timezone": "Asia/Manila", "device_id": device.id,
                        "company_id": device.company_id.id,
                        "fingerprint": punch_fingerprint(device.serial, "3", local)})
        self.env["zk.fleet.alert"]._cron_evaluate()
        self.assertEqual(alerting.fleet_state, "alert")
        self.assertEqual(healthy.fleet_state, "ok")

        self.start_tour("/odoo", "zk_fleet_overview", login="fleet_tour_admin")

        # the overview is the first ZKTeco entry under Configuration too (before Relays)
        config = self.env.ref("hr_zk_attendance.menu_zk_config").child_id.sorted("sequence")
        self.assertEqual(config[0], self.env.ref("hr_zk_fleet.menu_zk_fleet_overview"))
        terminals = self.env.ref("hr_zk_attendance.menu_zk_terminals_root").child_id
        self.assertEqual(terminals.sorted("sequence")[0],
                         self.env.ref("hr_zk_fleet.menu_zk_fleet_overview_officer"))

        # what the person saw is what the database holds: one open alert, one activity
        alert = self.env["zk.fleet.alert"].search([("device_id", "=", alerting.id)])
        self.assertEqual(alert.state, "open")
        self.assertEqual(alert.activity_id.user_id, admin)
        if save_screens:
            action = self.env.ref("hr_zk_fleet.zk_fleet_card_action")
            save_screens(self, "fleet_tour_admin", [
                (f"/odoo/action-{action.id}", ".o_zk_fleet_alert", "screenshot_fleet_overview.png"),
                (f"/odoo/action-hr_zk_attendance.zk_device_action/{alerting.id}",
                 ".o-mail-Activity", "screenshot_fleet_terminal_alert.png"),
            ])
