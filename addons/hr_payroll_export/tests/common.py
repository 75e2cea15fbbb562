import base64
from datetime import date, timedelta
from unittest.mock import patch

from odoo.tests import new_test_user

from odoo.addons.hr_payroll_export.models import payroll_export_batch_inputs as inputs
from odoo.addons.hr_zk_attendance.tests.common import ZkCase, office_calendar


def next_weekday(weekday, after):
    """The first date with this weekday (0 = Monday) strictly after `after`."""
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)


class PayrollFixtures:
    """Semi-monthly periods, payroll users, and days of 2025-03-01..15 written as the
    engine stores them, for Ana (E001) and Ben (E002). Mixed into a case that gives
    cls.company, cls.employee and cls.other (PayrollCase here; with the CTO bank,
    hr_payroll_export_cto's case)."""

    @classmethod
    def _payroll_fixtures(cls):
        cls.company.write({"payroll_period_kind": "semi_monthly", "payroll_separator": ";",
                           "payroll_unit": "hours", "payroll_granularity": "day",
                           "payroll_correction_mode": "diff",
                           "payroll_last_close_check": False})
        cls.employee.barcode = "E001"
        cls.other.barcode = "E002"
        cls.payroll_officer = new_test_user(
            cls.env, "payroll_officer",
            groups="base.group_user,hr_payroll_export.group_payroll_officer")
        cls.payroll_manager = new_test_user(
            cls.env, "payroll_manager",
            groups="base.group_user,hr_payroll_export.group_payroll_manager")
        cls.plain_user = new_test_user(cls.env, "payroll_nobody", groups="base.group_user")
        cls.start, cls.end = date(2025, 3, 1), date(2025, 3, 15)
        cls.Batch = cls.env["payroll.export.batch"]

    def day(self, work_date, employee=None, **values):
        vals = {"employee_id": (employee or self.employee).id, "work_date": work_date,
                "day_type": "workday", "status": "compliant", "provisional": False,
                "scheduled_minutes": 480, "expected_minutes": 480, "regular_minutes": 480,
                "worked_minutes": 480, "presence_minutes": 540}
        vals.update(values)
        return self.env["zk.daily.record"].create(vals)

    def three_in_chunks_of_one(self):
        """Cy (E003) beside Ana and Ben, their good days, one employee a chunk, and
        self.rendered: the payroll codes of each chunk rendered from now on."""
        self.third = self.env["hr.employee"].create({
            "name": "Cy Lim", "barcode": "E003", "tz": "Asia/Manila",
            "resource_calendar_id": self.calendar.id})
        self.good_days()
        self.day(date(2025, 3, 5), employee=self.third, night_minutes=30)
        self.rendered = []
        real = inputs.batch_chunk

        def spy(period, layout, bundles):
            self.rendered.append([bundle["code"] for bundle in bundles])
            return real(period, layout, bundles)

        self.enterContext(patch.object(inputs, "EXPORT_CHUNK", 1))
        self.enterContext(patch.object(inputs, "batch_chunk", spy))

    def good_days(self):
        return (self.day(date(2025, 3, 3)) | self.day(date(2025, 3, 4), regular_minutes=421,
                                                        undertime_minutes=59,
                                                        late_in_minutes=59,
                                                        status="non_compliant")
                | self.day(date(2025, 3, 3), employee=self.other, night_minutes=61))

    def sick_leave(self, day, hours, type_name="Sick Leave"):
        """An approved leave of hours on one day, of a leave type needing no allocation."""
        kind = self.env["hr.leave.type"].search([("name", "=", type_name)], limit=1) \
            or self.env["hr.leave.type"].create({
                "name": type_name, "requires_allocation": "no", "request_unit": "hour",
                "leave_validation_type": "hr"})
        leave = self.env["hr.leave"].create({
            "name": "Sick", "employee_id": self.employee.id, "holiday_status_id": kind.id,
            "request_date_from": day, "request_date_to": day, "request_unit_hours": True,
            "request_hour_from": hours[0], "request_hour_to": hours[1]})
        leave.action_approve()
        self.assertEqual(leave.state, "validate")
        return leave

    def export_row(self, day):
        """The day computed by the engine, then its row in the period's issued file."""
        self.company.payroll_leave_kinds = "cto,sick_leave"
        self.env["zk.daily.record"].sudo()._compute_range(self.employee, day, day)
        record = self.env["zk.daily.record"].search([("employee_id", "=", self.employee.id),
                                                     ("work_date", "=", day)])
        period = self.company._payroll_period_policy().period_containing(day)
        batch = self.Batch.create({"company_id": self.company.id,
                                   "period_start": period.start, "period_end": period.end})
        batch.action_generate()
        header, *rows = self.content(batch).decode().split("\r\n")
        cells = [dict(zip(header.split(";"), row.split(";"), strict=True))
                 for row in rows if row]
        return record, next(c for c in cells if c["work_date"] == day.isoformat())


    def batch(self, user=None):
        env = self.env(user=user) if user else self.env
        return env["payroll.export.batch"].create({
            "company_id": self.company.id, "period_start": self.start, "period_end": self.end})

    @staticmethod
    def content(batch):
        # sudo: the file field is readable by no group (downloads go through the logged route)
        return base64.b64decode(batch.sudo().file)


class PayrollCase(PayrollFixtures, ZkCase):
    """hr_zk_attendance's fixtures (relay, terminal, Ana mapped to PIN 0042) plus an office
    calendar 08-17 for the company, Ana and a second employee, Ben, and the payroll fixtures.
    No CTO bank: hr_payroll_export installs without it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.calendar = office_calendar(cls.env)
        cls.company.resource_calendar_id = cls.calendar
        cls.employee.resource_calendar_id = cls.calendar
        cls.other = cls.env["hr.employee"].create({
            "name": "Ben Cruz", "tz": "Asia/Manila", "resource_calendar_id": cls.calendar.id})
        cls._payroll_fixtures()
