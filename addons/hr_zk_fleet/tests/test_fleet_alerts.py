from datetime import datetime, timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import html2plaintext, mute_logger

# Monday 2026-11-30 10:00 in Manila (UTC+8): inside the standard 8-17 working week
MONDAY_10 = datetime(2026, 11, 30, 2, 0)
SUNDAY_10 = datetime(2026, 11, 29, 2, 0)


@tagged("post_install", "-at_install")
class TestFleetAlerts(TransactionCase):
    """Issue 17, alerts that a person receives: one open alert per problem, an activity for
    the responsible user and a chatter message, closed by itself when the condition clears."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.resource_calendar_id = cls.env.ref("resource.resource_calendar_std")
        cls.admin = new_test_user(cls.env, "fleet_admin", name="Fleet Admin",

                                  groups="base.group_user,"
                                  "hr_attendance.group_hr_attendance_manager")
        cls.branch_lead = new_test_user(cls.env, "fleet_branch", name="Branch Lead",
                                        groups="base.group_user,hr_attendance.group_hr_attendance_officer")
        cls.relay = cls.env["zk.relay"].with_user(cls.admin).create({
            "name": "Branch Cebu", "url": "http://127.0.0.1:9", "token": "t0ken"})
        cls.device = cls.env["zk.device"].create({
            "serial": "CQZ7001", "name": "Main entrance", "timezone": "Asia/Manila",
            "relay_id": cls.relay.id, "last_seen": MONDAY_10 - timedelta(minutes=2)})
        cls.Alert = cls.env["zk.fleet.alert"]

    def evaluate(self, now=MONDAY_10):
        self.device._fleet_evaluate_alerts(now)
        self.relay._fleet_evaluate_alerts(now)

    def open_alerts(self, record=None):
        record = record or self.device
        column = "device_id" if record._name == "zk.device" else "relay_id"
        return self.Alert.search([(column, "=", record.id), ("state", "=", "open")])

    def messages(self, record=None):
        return [html2plaintext(body) for body in (record or self.device).message_ids.mapped("body")]

    def test_memory_alert_opens_once_and_closes_by_itself(self):
        """Memory over the threshold: one alert, one activity for the relay's creator."""
        self.device.write({"memory_known": True, "memory_percent": 95})
        self.evaluate()
        alert = self.open_alerts()
        self.assertEqual(alert.mapped("problem"), ["memory_full"])
        self.assertIn("95% full", alert.detail)
        self.assertEqual(alert.user_id, self.admin, "default: who created the relay")
        self.assertEqual(alert.activity_id.user_id, self.admin)
        self.assertEqual(alert.activity_id.summary, "Memory almost full")
        self.assertEqual(self.device.activity_ids, alert.activity_id)
        self.assertTrue(any(m.startswith("Alert: Memory almost full") for m in self.messages()))
        self.assertEqual(self.device.fleet_state, "alert")
        self.assertEqual(self.device.fleet_summary, "Memory almost full")

        # still full: no second alert, no second activity, no second message (no flood)
        count = len(self.device.message_ids)
        self.device.memory_percent = 97
        self.evaluate()
        self.evaluate()
        self.assertEqual(self.open_alerts(), alert)
        self.assertEqual(len(self.device.activity_ids), 1)
        self.assertEqual(len(self.device.message_ids), count)
        self.assertIn("97% full", alert.detail, "the sentence follows the figures")

        # memory freed: the alert is resolved, the activity done with "Resolved: ..."
        activity = alert.activity_id
        self.device.memory_percent = 40
        self.evaluate()
        self.assertEqual(alert.state, "resolved")
        self.assertTrue(alert.closed_at)
        self.assertFalse(activity.exists())
        self.assertFalse(self.device.activity_ids)
        self.assertIn("Resolved: Memory almost full.", " ".join(self.messages()))
        self.assertEqual(self.device.fleet_state, "ok")

        # full again later: a new alert (the old one stays closed in the history)
        self.device.memory_percent = 99
        self.evaluate()
        self.assertEqual(len(self.device.fleet_alert_ids), 2)
        self.assertNotEqual(self.open_alerts(), alert)

    def test_a_status_import_evaluates_at_once(self):
        """The relay's health page written (pull or push): alerts follow without the cron."""
        # Evaluated at the real time: seen just now, or in working hours it is also silent.
        self.device.last_seen = fields.Datetime.now()
        self.device.write({"memory_known": True, "memory_percent": 95,
                           "health_at": fields.Datetime.now()})
        self.assertEqual(self.open_alerts().problem, "memory_full")
        self.relay.write({"relay_pages_refused": 3, "health_at": fields.Datetime.now()})
        self.assertEqual(self.open_alerts(self.relay).problem, "page_refused")

    def test_threshold_from_settings(self):
        self.device.write({"memory_known": True, "memory_percent": 93})
        self.evaluate()
        self.assertTrue(self.open_alerts())
        settings = self.env["res.config.settings"].create({"zk_fleet_memory_percent": 95})
        settings.execute()
        self.assertEqual(self.company.zk_fleet_memory_percent, 95)
        self.evaluate()
        self.assertFalse(self.open_alerts())

    def test_defaults(self):
        company = self.env["res.company"].create({"name": "Other branch company"})
        self.assertEqual(
            (company.zk_fleet_silent_minutes, company.zk_fleet_drift_seconds,
             company.zk_fleet_memory_percent, company.zk_fleet_not_delivered_minutes),
            (60, 120, 90, 30))

    def test_terminal_override_of_the_responsible(self):
        self.device.write({"alert_user_id": self.branch_lead.id,
                           "clock_drift_known": True, "clock_drift_seconds": -400})
        self.evaluate()
        alert = self.open_alerts()
        self.assertEqual(alert.problem, "clock_drift")
        self.assertIn("behind the relay's", alert.detail)
        self.assertEqual(alert.activity_id.user_id, self.branch_lead)
        self.relay.alert_user_id = self.admin
        self.assertEqual(self.device.effective_alert_user_id, self.branch_lead)
        self.device.alert_user_id = False
        self.assertEqual(self.device.effective_alert_user_id, self.admin)

    def test_silent_terminal_only_in_working_hours(self):
        self.device.last_seen = SUNDAY_10 - timedelta(hours=2)
        self.evaluate(SUNDAY_10)
        self.assertFalse(self.open_alerts(), "Sunday is not a working day")
        self.device.last_seen = MONDAY_10 - timedelta(hours=2)  # 08:00 Manila
        self.evaluate()
        alert = self.open_alerts()
        self.assertEqual(alert.problem, "not_seen")
        self.assertIn("2 hours", alert.detail)
        # back: closes by itself
        self.device.last_seen = MONDAY_10
        self.evaluate()
        self.assertEqual(alert.state, "resolved")

    def test_no_punch_in_an_hour_that_usually_has_some(self):
        self.device.write({"punches_last_hour": 0, "punches_usual_last_hour": 14})
        self.evaluate()
        self.assertEqual(self.open_alerts().problem, "silent")
        self.device.punches_last_hour = 3
        self.evaluate()
        self.assertFalse(self.open_alerts())

    def test_operation_log_report_until_a_person_marks_it_done(self):
        """A cleared log does not clear itself: it stays open until acknowledged."""
        Event = self.env["zk.device.event"]
        Event.create({"device_id": self.device.id, "relay_id": self.relay.id,
                      "relay_event_id": 5, "kind": "log_cleared",
                      "detail": "Attendance log cleared at the terminal (operation log)"})
        Event.create({"device_id": self.device.id, "relay_id": self.relay.id,
                      "relay_event_id": 6,
                      "kind": "clock_repaired", "detail": "Clock corrected"})
        self.evaluate()
        alert = self.open_alerts()
        self.assertEqual(alert.problem, "log_cleared")
        self.assertEqual(alert.mark, 5)
        self.evaluate()
        self.assertEqual(self.open_alerts(), alert)

        # the responsible marks the activity done: acknowledged, and no new alert for it
        alert.activity_id.with_user(self.admin).action_feedback(feedback="Asked the branch")
        self.assertEqual(alert.state, "acknowledged")
        self.evaluate()
        self.assertFalse(self.open_alerts())

        # a later clear opens a new one
        Event.create({"device_id": self.device.id, "relay_id": self.relay.id,
                      "relay_event_id": 9, "kind": "log_cleared",
                      "detail": "Attendance log cleared at the terminal"})
        self.evaluate()
        self.assertEqual(self.open_alerts().mark, 9)

    def test_condition_marked_done_while_it_lasts_does_not_flood(self):
        self.device.write({"memory_known": True, "memory_percent": 95})
        self.evaluate()
        alert = self.open_alerts()
        alert.activity_id.with_user(self.admin).action_feedback(feedback="Seen")
        self.evaluate()
        self.assertEqual(self.open_alerts(), alert, "still the same open alert")
        self.assertFalse(self.device.activity_ids, "and no new activity")
        self.device.memory_percent = 10
        self.evaluate()
        self.assertEqual(alert.state, "resolved")

    def test_reconciliation_days(self):
        Day = self.env["zk.device.day"]
        today = MONDAY_10.date()
        day = Day.create({"device_id": self.device.id, "day": today - timedelta(days=2),
                          "state": "not_answered", "revision": 3})
        Day.create({"device_id": self.device.id, "day": today - timedelta(days=3),
                    "state": "gaps_filled", "gaps_filled": 2, "revision": 4})
        self.evaluate()
        alerts = self.open_alerts()
        self.assertEqual(set(alerts.mapped("problem")), {"recon_not_answered", "recon_gaps"})
        gaps = alerts.filtered(lambda a: a.problem == "recon_gaps")
        self.assertIn("2 punches missing in Odoo came back", gaps.detail)
        # asked again and answered: the not-answered alert closes by itself
        day.write({"state": "confirmed", "revision": 7})
        self.evaluate()
        self.assertEqual(self.open_alerts(), gaps)

    def test_relay_not_delivering_and_page_refused(self):
        self.relay.write({"unacked_events": 12, "delivery_lag_seconds": 45 * 60,
                          "relay_pages_refused": 1,
                          "last_page_refused": "the signature does not verify"})
        self.evaluate()
        alerts = self.open_alerts(self.relay)
        self.assertEqual(set(alerts.mapped("problem")), {"not_delivered", "page_refused"})
        self.assertEqual(self.relay.fleet_state, "alert")
        self.assertEqual(alerts.activity_id.user_id, self.admin)
        self.assertTrue(any(m.startswith("Alert: Relay not delivering")
                            for m in self.messages(self.relay)))
        self.relay.write({"unacked_events": 0, "delivery_lag_seconds": 0})
        self.evaluate()
        self.assertEqual(self.open_alerts(self.relay).problem, "page_refused",
                         "a refused page waits for a person")

    def test_one_open_alert_per_problem_is_enforced_by_the_database(self):
        values = {"device_id": self.device.id, "company_id": self.company.id,
                  "problem": "memory_full"}
        self.Alert.create(values)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Alert.create(values)
        self.Alert.create(dict(values, state="resolved"))  # closed ones may pile up

    def test_cron_evaluates_every_terminal_and_relay(self):
        # The cron evaluates at the real time: seen just now, or in working hours it is
        # also silent.
        self.device.last_seen = fields.Datetime.now()
        self.device.write({"memory_known": True, "memory_percent": 95})
        self.relay.write({"relay_pages_refused": 2})
        self.env.ref("hr_zk_fleet.ir_cron_zk_fleet_alerts").method_direct_trigger()
        self.assertEqual(self.open_alerts().problem, "memory_full")
        self.assertEqual(self.open_alerts(self.relay).problem, "page_refused")

    def test_archived_terminal_is_not_evaluated(self):
        self.device.with_context(zk_from_relay=True).write(
            {"memory_known": True, "memory_percent": 95, "active": False})
        self.evaluate()
        self.assertFalse(self.open_alerts())
