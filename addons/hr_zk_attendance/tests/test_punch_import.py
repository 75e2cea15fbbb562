from datetime import date, timedelta

from odoo.tests import tagged

from .common import ZkCase


@tagged("post_install", "-at_install")
class TestPunchImport(ZkCase):
    def test_page_is_stored_once_by_fingerprint(self):
        """Re-importing the same page (a crash before ack) stores nothing twice."""
        Punch = self.env["zk.punch"]
        events = [self.event(1, "0042", f"{self.today} 08:00:10"),
                  self.event(2, "0042", f"{self.today} 17:01:00", status=1)]
        self.assertEqual(Punch._import_relay_events(self.relay, events), (2, 0))
        self.assertEqual(Punch._import_relay_events(self.relay, events), (0, 2))
        punches = Punch.search([("device_id", "=", self.device.id)])
        self.assertEqual(len(punches), 2)
        self.assertEqual(set(punches.mapped("pin")), {"0042"})

    def test_pin_stays_a_string_with_leading_zeros(self):
        Punch = self.env["zk.punch"]
        Punch._import_relay_events(self.relay, [self.event(3, "0042", f"{self.today} 09:00:00")])
        punch = Punch.search([("device_id", "=", self.device.id)])
        self.assertEqual(punch.pin, "0042")
        self.assertEqual(punch.employee_id, self.employee)

    def test_local_time_converted_to_utc_in_terminal_zone(self):
        """E0.3: Asia/Manila is UTC+8, so 08:00 local is 00:00 UTC."""
        Punch = self.env["zk.punch"]
        Punch._import_relay_events(self.relay, [self.event(4, "0042", f"{self.today} 08:00:00")])
        punch = Punch.search([("device_id", "=", self.device.id)])
        self.assertEqual(punch.local_time, f"{self.today} 08:00:00")
        self.assertEqual(punch.timestamp_utc.strftime("%Y-%m-%d %H:%M:%S"),
                         f"{self.today} 00:00:00")

    def test_unknown_pin_is_kept_and_processed_when_mapped(self):
        Punch = self.env["zk.punch"]
        Punch._import_relay_events(self.relay, [self.event(5, "77", f"{self.today} 08:00:00")])
        punch = Punch.search([("pin", "=", "77")])
        self.assertEqual(punch.state, "unmapped")
        self.assertIn("77", punch.state_reason)
        other = self.env["hr.employee"].create({"name": "Ben Cruz", "tz": "Asia/Manila"})
        self.env["zk.device.user"].create({"device_id": self.device.id, "pin": "77",
                                           "employee_id": other.id})
        self.assertEqual(punch.state, "done")
        self.assertEqual(punch.employee_id, other)

    def test_unmapped_status_code_goes_to_review_then_reprocess(self):
        Punch = self.env["zk.punch"]
        Punch._import_relay_events(self.relay,
                                   [self.event(6, "0042", f"{self.today} 08:00:00", status=9)])
        punch = Punch.search([("device_id", "=", self.device.id)])
        self.assertEqual(punch.state, "review")
        self.assertIn("Status code 9", punch.state_reason)
        self.env["ir.config_parameter"].set_param("hr_zk_attendance.status_codes",
                                                  "0,1,2,3,4,5,9,255")
        punch.action_reprocess()
        self.assertEqual(punch.state, "done")

    def test_clock_gone_wrong_is_kept_for_review(self):
        Punch = self.env["zk.punch"]
        Punch._import_relay_events(self.relay, [
            self.event(7, "0042", "2099-01-01 08:00:00"),
            self.event(8, "0042", "2001-01-01 08:00:00"),
        ])
        punches = Punch.search([("device_id", "=", self.device.id)])
        self.assertEqual(set(punches.mapped("state")), {"review"})
        self.assertEqual(len(punches), 2)

    def test_unknown_terminal_is_kept_for_review(self):
        Punch = self.env["zk.punch"]
        Punch._import_relay_events(self.relay, [
            self.event(9, "1", f"{self.today} 08:00:00", serial="UNKNOWN9")])
        punch = Punch.search([("serial", "=", "UNKNOWN9")])
        self.assertEqual(punch.state, "review")
        self.assertFalse(punch.device_id)

    def test_fingerprint_unique_in_database(self):
        """The unique index, not Python, refuses a second row with the same fingerprint."""
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'zk_punch_fingerprint_uniq'")
        self.assertIn("UNIQUE", self.env.cr.fetchone()[0])

    def test_departure_closes_the_mapping_on_its_day_not_before(self):
        """A planned departure keeps the PIN working until the day comes (or archiving)."""
        self.employee.departure_date = date.today() + timedelta(days=30)
        self.assertTrue(self.mapping.active)
        self.employee.departure_date = date.today()
        self.assertFalse(self.mapping.active)
        self.assertEqual(self.mapping.employee_id, self.employee, "kept for history")
