import json
from datetime import date, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ZkCase, office_calendar


def last_weekday(weekday, before):
    """The latest date with this weekday (0 = Monday) strictly before `before`."""
    delta = (before.weekday() - weekday) % 7 or 7
    return before - timedelta(days=delta)


@tagged("post_install", "-at_install")
class TestDailyRecord(ZkCase):
    """Issue 7: daily records in Odoo from the engine (Part D mapping), versions, approval."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.department = cls.env["hr.department"].create({"name": "Operations"})
        cls.manager_user = new_test_user(
            cls.env, "zk_dept_manager", groups="base.group_user,hr_zk_attendance.group_zk_manager")
        cls.other_manager = new_test_user(
            cls.env, "zk_other_manager", groups="base.group_user,hr_zk_attendance.group_zk_manager")
        cls.department.manager_id = cls.env["hr.employee"].create(
            {"name": "Boss", "user_id": cls.manager_user.id})
        cls.employee.department_id = cls.department
        cls.calendar = office_calendar(cls.env)
        cls.employee.resource_calendar_id = cls.calendar
        cls.monday = last_weekday(0, date.today() - timedelta(days=1))

    def records(self, day):
        self.env["zk.daily.record"].sudo()._compute_range(self.employee, day, day)
        return self.env["zk.daily.record"].search([("employee_id", "=", self.employee.id),
                                                   ("work_date", "=", day)])

    def punch(self, day, *times):
        self.import_events([self.event(100 + n, "0042", f"{day} {t}", s)
                            for n, (t, s) in enumerate(times)])

    def test_e4_3_leave_minutes_are_the_leave_hours_odoo_counts(self):
        """Part D / E4.3: a leave 08:00-13:00 on 08-12 / lunch 12-13 / 13-17 is 4 h of leave
        (Odoo's hours, the lunch line is not leave), not its 5 h of clock time."""
        kind = self.env["hr.leave.type"].create({
            "name": "Personal", "requires_allocation": "no", "request_unit": "hour",
            "leave_validation_type": "hr"})
        leave = self.env["hr.leave"].create({
            "name": "Morning off", "employee_id": self.employee.id, "holiday_status_id": kind.id,
            "request_date_from": self.monday, "request_date_to": self.monday,
            "request_unit_hours": True, "request_hour_from": 8.0, "request_hour_to": 13.0})
        leave.action_approve()
        self.assertEqual(leave.number_of_hours, 4.0)
        self.punch(self.monday, ("12:58:00", 0), ("17:01:00", 1))
        record = self.records(self.monday)
        self.assertEqual((record.scheduled_minutes, record.leave_minutes), (480, 240))
        self.assertEqual(record.expected_minutes, 240)

    def test_e4_3_one_count_of_leave_minutes_for_days_bank_and_payroll(self):
        """A leave Monday to Wednesday with a public holiday on Tuesday: the minutes per date
        the daily records store are those the public methods give the CTO bank and the
        payroll export (one rule, zk_rules.leave_time): Tuesday is a holiday, not leave."""
        kind = self.env["hr.leave.type"].create({
            "name": "Personal", "requires_allocation": "no", "leave_validation_type": "hr"})
        tuesday, wednesday = self.monday + timedelta(days=1), self.monday + timedelta(days=2)
        self.env["resource.calendar.leaves"].create({
            "name": "Holiday", "calendar_id": False, "resource_id": False,
            "date_from": f"{self.monday} 16:00:00", "date_to": f"{tuesday} 15:59:59"})
        leave = self.env["hr.leave"].create({
            "name": "Three days", "employee_id": self.employee.id,
            "holiday_status_id": kind.id, "request_date_from": self.monday,
            "request_date_to": wednesday})
        leave.action_approve()
        Days = self.env["zk.daily.record"]
        self.assertEqual(Days.leave_minutes_per_date(leave), {self.monday: 480, wednesday: 480})
        dates = [self.monday, tuesday, wednesday]
        self.assertEqual(Days.approved_leave_minutes(self.employee, dates),
                         {self.employee.id: [(leave, {self.monday: 480, wednesday: 480})]})
        self.assertEqual(Days.holiday_kinds(self.employee, dates),
                         {self.employee.id: {tuesday.isoformat(): "regular"}})
        Days.sudo()._compute_range(self.employee, self.monday, wednesday)
        stored = {r.work_date: (r.day_type, r.leave_minutes) for r in Days.search(
            [("employee_id", "=", self.employee.id), ("work_date", "in", dates)])}
        self.assertEqual(stored, {self.monday: ("workday", 480), tuesday: ("holiday", 0),
                                  wednesday: ("workday", 480)})

    def test_b5_worked_example_in_odoo(self):
        """B5: 07:58:12/12:01:05/12:59:40/17:02:30 on 08:00-17:00 with a 60-min lunch line."""
        self.punch(self.monday, ("07:58:12", 0), ("12:01:05", 2), ("12:59:40", 3),
                   ("17:02:30", 1))
        record = self.records(self.monday)
        # presence in schedule 482, break taken 58 -> deduct 2 -> regular 480 = scheduled.
        self.assertEqual((record.day_type, record.status), ("workday", "compliant"))
        self.assertEqual((record.scheduled_minutes, record.regular_minutes,
                          record.break_deducted_minutes, record.early_arrival_minutes),
                         (480, 480, 2, 2))
        self.assertFalse(record.line_ids)
        self.assertEqual(json.loads(record.result_json)["work_date"], self.monday.isoformat())
        self.assertTrue(record.inputs_fingerprint)

    def test_part_d_overnight_shift_joined_across_midnight(self):
        """Mon 22:00-24:00 + Tue 00:00-06:00 lines = one 480-min night segment of Monday."""
        night = self.env["resource.calendar"].create({
            "name": "Night", "tz": "Asia/Manila", "attendance_ids": [(5, 0, 0),
                (0, 0, {"name": "Mon night", "dayofweek": "0", "hour_from": 22, "hour_to": 24,
                        "day_period": "afternoon"}),
                (0, 0, {"name": "Tue early", "dayofweek": "1", "hour_from": 0, "hour_to": 6,
                        "day_period": "morning"})],
        })
        self.employee.resource_calendar_id = night
        tuesday = self.monday + timedelta(days=1)
        self.import_events([self.event(1, "0042", f"{self.monday} 21:58:00", 0),
                            self.event(2, "0042", f"{tuesday} 06:04:00", 1)])
        record = self.records(self.monday)
        # 22:00-06:00 = 480 scheduled and regular, all of it night (22-06); 2 min early;
        # 4 min after the end is below the 30-min threshold: no overtime. Tuesday is rest.
        self.assertEqual((record.scheduled_minutes, record.regular_minutes,
                          record.night_minutes, record.overtime_minutes),
                         (480, 480, 480, 0))
        self.assertEqual(record.status, "compliant")
        self.assertEqual(self.records(tuesday).status, "off")

    def test_part_d_holiday_from_global_leave_with_kind(self):
        wednesday = self.monday + timedelta(days=2)
        self.env["resource.calendar.leaves"].create({
            "name": "Founders' day", "calendar_id": self.calendar.id, "resource_id": False,
            "date_from": f"{wednesday - timedelta(days=1)} 16:00:00",  # 00:00 Manila
            "date_to": f"{wednesday} 15:59:59", "zk_holiday_kind": "special",
        })
        record = self.records(wednesday)
        self.assertEqual((record.day_type, record.status, record.scheduled_minutes),
                         ("holiday", "holiday", 0))

    def test_absent_workday_with_no_punches(self):
        record = self.records(self.monday)
        self.assertEqual((record.status, record.undertime_minutes), ("absent", 480))
        self.assertIn("absent", record.exception_ids.mapped("code"))

    def test_e9_overtime_to_approve_then_manager_approves_and_audit(self):
        self.punch(self.monday, ("08:00:00", 0), ("18:30:00", 1))
        record = self.records(self.monday)
        line = record.line_ids
        # post-shift 17:00-18:30 = 90 min >= 30: one workday line waiting for approval.
        self.assertEqual((line.kind, line.minutes, line.status), ("workday", 90, "to_approve"))
        self.assertTrue(record.overtime_to_approve)
        line.with_user(self.manager_user).action_approve()
        self.assertEqual((line.status, line.approved_minutes), ("approved", 90))
        entry = self.env["zk.audit.entry"].search([("model", "=", "zk.overtime.line"),
                                                   ("res_id", "=", line.id)])
        self.assertEqual(entry.actor_id, self.manager_user)
        self.assertEqual(json.loads(entry.after)["status"], "approved")

    def test_e9_approve_less_and_refuse(self):
        self.punch(self.monday, ("08:00:00", 0), ("18:30:00", 1))
        line = self.records(self.monday).line_ids
        line.with_user(self.manager_user).action_approve_less(45, "Only 45 min authorised")
        self.assertEqual((line.status, line.approved_minutes), ("approved", 45))
        line.with_user(self.manager_user).action_refuse("Not authorised after all")
        self.assertEqual((line.status, line.approved_minutes), ("refused", 0))
        self.assertEqual(self.env["zk.audit.entry"].search_count(
            [("model", "=", "zk.overtime.line"), ("res_id", "=", line.id)]), 2)

    def test_non_manager_cannot_decide_or_edit_minutes(self):
        self.punch(self.monday, ("08:00:00", 0), ("18:30:00", 1))
        line = self.records(self.monday).line_ids
        with self.assertRaises(AccessError):
            line.with_user(self.other_manager).action_approve()
        with self.assertRaises(AccessError):
            line.with_user(self.manager_user).write({"minutes": 500})
        self.assertEqual(line.status, "to_approve")

    def test_company_setting_auto_approves(self):
        self.env.company.zk_overtime_approval = "auto"
        self.punch(self.monday, ("08:00:00", 0), ("18:30:00", 1))
        line = self.records(self.monday).line_ids
        self.assertEqual((line.status, line.approved_minutes), ("approved", 90))

    def test_e9_3_recompute_new_version_and_changed_line_returns_to_approve(self):
        self.punch(self.monday, ("08:00:00", 0), ("18:30:00", 1))
        record = self.records(self.monday)
        record.line_ids.with_user(self.manager_user).action_approve()
        # The check-out was really 19:30: an approved adjustment replaces the 18:30 punch
        # (kept, set aside) -> [08:00-19:30], post-shift 150 min: the line changed (E9.3).
        wrong = self.env["zk.punch"].search([("employee_id", "=", self.employee.id),
                                             ("local_time", "like", "% 18:30:00")])
        adjustment = self.env["zk.adjustment"].create({
            "employee_id": self.employee.id, "direction": "out", "reason": "Stayed for audit",
            "punch_time": f"{self.monday} 11:30:00",  # 19:30 Manila
            "replaced_punch_id": wrong.id,
        })
        adjustment.action_submit()
        adjustment.with_user(self.manager_user).action_approve()
        self.assertEqual(adjustment.state, "approved")
        self.assertEqual(adjustment.punch_id.source, "adjustment")
        self.assertEqual((wrong.state, wrong.local_time), ("superseded", f"{self.monday} 18:30:00"))
        record.invalidate_recordset()
        self.assertEqual(record.version, 2)
        self.assertEqual(len(record.version_ids), 1)
        line = record.line_ids
        self.assertEqual((line.minutes, line.status), (150, "to_approve"))
        actions = self.env["zk.audit.entry"].search([]).mapped("action")
        self.assertIn("adjustment_approved", actions)
        self.assertIn("recompute", actions)

    def test_adjustment_refused_changes_nothing(self):
        self.punch(self.monday, ("08:00:00", 0), ("17:00:00", 1))
        record = self.records(self.monday)
        adjustment = self.env["zk.adjustment"].create({
            "employee_id": self.employee.id, "direction": "out", "reason": "Left late",
            "punch_time": f"{self.monday} 12:00:00"})
        adjustment.action_submit()
        with self.assertRaises(AccessError):
            adjustment.with_user(self.other_manager).action_refuse("no")
        adjustment.with_user(self.manager_user).action_refuse("No evidence")
        self.assertEqual((adjustment.state, adjustment.punch_id.id), ("refused", False))
        self.assertEqual(record.version, 1)

    def test_locked_day_changes_only_through_audited_correction(self):
        self.punch(self.monday, ("08:00:00", 0), ("17:00:00", 1))
        record = self.records(self.monday)
        record.sudo().locked = True
        self.import_events([self.event(200, "0042", f"{self.monday} 20:00:00", 0),
                            self.event(201, "0042", f"{self.monday} 21:00:00", 1)])
        self.records(self.monday)
        self.assertEqual(record.version, 1, "a locked day is not recomputed")
        with self.assertRaises(UserError):
            record.with_user(self.manager_user)._correct("")
        record.with_user(self.manager_user)._correct("Payroll correction #12")
        self.assertEqual(record.version, 2)
        entry = self.env["zk.audit.entry"].search([("model", "=", "zk.daily.record"),
                                                   ("res_id", "=", record.id)])
        self.assertEqual(entry.reason, "Payroll correction #12")

    def test_mapping_change_is_audited(self):
        other = self.env["hr.employee"].create({"name": "Someone else"})
        self.mapping.with_context(zk_reason="Wrong person").employee_id = other
        entry = self.env["zk.audit.entry"].search([("model", "=", "zk.device.user")], limit=1)
        self.assertEqual(json.loads(entry.before)["employee_id"], self.employee.id)
        self.assertEqual(json.loads(entry.after)["employee_id"], other.id)
        self.assertEqual(entry.reason, "Wrong person")

    def test_scheduled_action_computes_days_of_new_punches(self):
        self.punch(self.monday, ("08:00:00", 0), ("17:00:00", 1))
        while self.env["zk.daily.record"]._cron_compute_pending():
            pass
        record = self.env["zk.daily.record"].search([("employee_id", "=", self.employee.id),
                                                     ("work_date", "=", self.monday)])
        self.assertEqual(record.status, "compliant")
        self.assertFalse(self.env["zk.punch"].search_count(
            [("employee_id", "=", self.employee.id), ("record_pending", "=", True)]))
