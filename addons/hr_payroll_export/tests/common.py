import base64
from datetime import date

from odoo.tests import new_test_user

from odoo.addons.hr_cto_bank.tests.common import CtoCase


class PayrollCase(CtoCase):
    """CtoCase's company, calendar and employees (Ana E001, Ben E002), semi-monthly periods,
    payroll users, and days of 2025-03-01..15 written as the engine stores them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
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

    def good_days(self):
        return (self.day(date(2025, 3, 3)) | self.day(date(2025, 3, 4), regular_minutes=421,
                                                        undertime_minutes=59,
                                                        late_in_minutes=59,
                                                        status="non_compliant")
                | self.day(date(2025, 3, 3), employee=self.other, night_minutes=61))

    def batch(self, user=None):
        env = self.env(user=user) if user else self.env
        return env["payroll.export.batch"].create({
            "company_id": self.company.id, "period_start": self.start, "period_end": self.end})

    @staticmethod
    def content(batch):
        # sudo: the file field is readable by no group (downloads go through the logged route)
        return base64.b64decode(batch.sudo().file)
