from datetime import date, timedelta

from odoo.tests import new_test_user, tagged

from .common import ZkCase, office_calendar
from .test_daily_record import last_weekday

MISMATCH = "timezone_mismatch"


@tagged("post_install", "-at_install")
class TestTimeZoneTrap(ZkCase):
    """Issue 16: an employee whose zone differs from the terminal's is never silent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.resource_calendar_id.tz = "UTC"  # the demo default
        cls.calendar = office_calendar(cls.env)
        cls.monday = last_weekday(0, date.today() - timedelta(days=1))
        cls.officer = new_test_user(
            cls.env, "zk_tz_officer",
            groups="base.group_user,hr_attendance.group_hr_attendance_officer")

    def new_employee(self, name, tz):
        return self.env["hr.employee"].create({
            "name": name, "tz": tz, "resource_calendar_id": self.calendar.id})

    def week(self, pin):
        """A week of 08:00-17:00 days punched on the Asia/Manila terminal."""
        events = []
        for n in range(5):
            day = self.monday + timedelta(days=n)
            events += [self.event(1000 + 10 * n, pin, f"{day} 07:58:00", 0),
                       self.event(1001 + 10 * n, pin, f"{day} 17:02:00", 1)]
        self.import_events(events)

    def records(self, employee):
        Record = self.env["zk.daily.record"].sudo()
        Record._compute_range(employee, self.monday, self.monday + timedelta(days=4))
        return Record.search([("employee_id", "=", employee.id),
                              ("work_date", ">=", self.monday),
                              ("work_date", "<=", self.monday + timedelta(days=4))])

    def test_trap_week_flags_every_day_with_its_label(self):
        """UTC employee (chosen, not the default), Asia/Manila terminal, a week of punches:
        every day carries 'Time zone differs from the terminal's'; fixing the zone clears it."""
        self.company.resource_calendar_id.tz = "Europe/Paris"  # so UTC is a chosen zone
        employee = self.new_employee("Ben Cruz", "UTC")
        line = self.env["zk.device.user"].create({
            "device_id": self.device.id, "pin": "0077", "employee_id": employee.id})
        self.assertEqual(employee.tz, "UTC", "a zone somebody chose is kept")
        self.assertTrue(line.tz_mismatch)
        self.week("0077")
        records = self.records(employee)
        worked = records.filtered(lambda r: r.work_date.weekday() < 5 and r.worked_minutes)
        self.assertTrue(worked)
        for record in records.filtered(lambda r: r.exception_ids or r.worked_minutes):
            self.assertIn(MISMATCH, record.exception_ids.mapped("code"), record.work_date)
        label = self.env.ref("hr_zk_attendance.exc_timezone_mismatch").name
        self.assertEqual(label, "Time zone differs from the terminal's")
        self.assertIn(label, worked[0].exception_ids.mapped("name"))
        # One click: the employee takes the terminal's zone; punches are re-read in it.
        action = line.action_use_terminal_zone()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(employee.tz, "Asia/Manila")
        self.assertFalse(line.tz_mismatch)
        while self.env["zk.daily.record"]._cron_compute_pending():
            pass
        self.env["zk.daily.record"].sudo()._cron_compute_pending()
        records = self.records(employee)
        self.assertFalse(any(MISMATCH in r.exception_ids.mapped("code") for r in records))
        day = records.filtered(lambda r: r.work_date == self.monday)
        self.assertEqual((day.status, day.late_in_minutes, day.overtime_minutes),
                         ("compliant", 0, 0))
        self.assertIn("Asia/Manila", employee.message_ids[0].body)

    def test_no_exception_when_zones_agree(self):
        """Asia/Singapore and Asia/Manila read the same hours: no exception, no warning."""
        employee = self.new_employee("Cora Lim", "Asia/Singapore")
        self.company.resource_calendar_id.tz = "Asia/Singapore"
        line = self.env["zk.device.user"].create({
            "device_id": self.device.id, "pin": "0078", "employee_id": employee.id})
        self.assertEqual(employee.tz, "Asia/Singapore")
        self.assertFalse(line.tz_mismatch)
        self.assertFalse(employee.zk_tz_warning)
        self.week("0078")
        self.assertFalse(any(MISMATCH in r.exception_ids.mapped("code")
                             for r in self.records(employee)))

    def test_default_zone_takes_the_terminals_on_mapping(self):
        """Company default (UTC) -> the terminal's zone, said in the employee's chatter."""
        employee = self.new_employee("Dan Uy", "UTC")
        self.assertTrue(employee._zk_has_default_tz())
        # Mapped by an attendance officer who may not edit employees.
        line = self.env["zk.device.user"].with_user(self.officer).create({
            "device_id": self.device.id, "pin": "0079", "employee_id": employee.id})
        self.assertEqual(employee.tz, "Asia/Manila")
        self.assertFalse(line.tz_mismatch)
        self.assertIn("Time zone set to Asia/Manila (was UTC)", employee.message_ids[0].body)
        self.assertIn("company's default zone", employee.message_ids[0].body)
        self.week("0079")
        self.assertFalse(any(MISMATCH in r.exception_ids.mapped("code")
                             for r in self.records(employee)))

    def test_reported_pin_mapped_later_takes_the_zone(self):
        """A PIN the terminal reported (unmatched) then mapped in the list: same rule."""
        line = self.env["zk.device.user"]._merge_reported_users(
            [{"serial": self.device.serial, "pin": "0080", "name": "EVA"}])
        self.assertEqual(line.sync_state, "unmapped")
        employee = self.new_employee("Eva Go", "UTC")
        line.with_user(self.officer).employee_id = employee
        self.assertEqual(employee.tz, "Asia/Manila")

    def test_chosen_zone_is_kept_and_flagged(self):
        """An explicitly chosen other zone is kept: warnings on the employee and the line."""
        employee = self.new_employee("Fe Tan", "Europe/Paris")
        self.assertFalse(employee._zk_has_default_tz())
        line = self.env["zk.device.user"].create({
            "device_id": self.device.id, "pin": "0081", "employee_id": employee.id})
        self.assertEqual(employee.tz, "Europe/Paris")
        self.assertTrue(line.tz_mismatch)
        self.assertIn("Europe/Paris", line.tz_warning)
        self.assertIn("Asia/Manila", line.tz_warning)
        warning = employee.with_user(self.officer).zk_tz_warning
        self.assertIn("Entrance (Asia/Manila)", warning)
        self.assertIn("Europe/Paris", warning)
        self.assertEqual(employee.zk_terminal_tz, "Asia/Manila")
        flagged = self.env["zk.device.user"].search([("tz_mismatch", "=", True)])
        self.assertEqual(flagged, line)
        # The employee-side button resolves it as well.
        employee.action_zk_use_terminal_zone()
        self.assertEqual(employee.tz, "Asia/Manila")
        self.assertFalse(employee.zk_tz_warning)
        self.assertFalse(line.tz_mismatch)

    def test_second_terminal_in_another_zone_does_not_move_the_employee(self):
        """Terminals in two zones: nothing is guessed, the odd one is flagged."""
        employee = self.new_employee("Gil Sy", "UTC")
        self.env["zk.device.user"].create({
            "device_id": self.device.id, "pin": "0082", "employee_id": employee.id})
        self.assertEqual(employee.tz, "Asia/Manila")
        tokyo = self.env["zk.device"].create({
            "serial": "CQZ0002", "name": "Tokyo desk", "timezone": "Asia/Tokyo",
            "relay_id": self.relay.id})
        line = self.env["zk.device.user"].create({
            "device_id": tokyo.id, "pin": "0082", "employee_id": employee.id})
        self.assertEqual(employee.tz, "Asia/Manila")
        self.assertTrue(line.tz_mismatch)
        self.assertIn("Tokyo desk (Asia/Tokyo)", employee.zk_tz_warning)
        self.assertFalse(employee.zk_terminal_tz)
