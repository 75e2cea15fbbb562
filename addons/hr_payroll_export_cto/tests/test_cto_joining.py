from datetime import date

from odoo.tests import tagged

from .common import PayrollCtoCase


@tagged("post_install", "-at_install")
class TestCtoJoiningPayPeriod(PayrollCtoCase):
    """Issue 23 with payroll export installed: "back to the start of the pay period" is the
    company's pay period (here semi-monthly: 16th to the end of the month), not the month."""

    def test_credit_reaches_back_to_the_pay_period_not_the_month(self):
        self.company.write({"cto_backdate": "period_start", "cto_expiry_mode": "none"})
        maria = self.env["hr.employee"].create({
            "name": "Maria Santos", "resource_calendar_id": self.calendar.id})
        lines = {day: self.overtime(day, 60, status="approved", employee=maria)
                 for day in (date(2026, 11, 13), date(2026, 11, 16), date(2026, 11, 18))}
        maria.write({"cto_enabled": True, "cto_enabled_since": date(2026, 11, 20)})
        credited = self.env["hr.cto.credit"].search([("employee_id", "=", maria.id)])
        self.assertEqual(sorted(credited.mapped("work_date")),
                         [date(2026, 11, 16), date(2026, 11, 18)])
        self.assertEqual(lines[date(2026, 11, 13)].cto_note,
                         "Not credited: Maria Santos joined the CTO bank on 20 Nov 2026; "
                         "overtime is credited back to 16 Nov 2026 only.")
        # weekly periods starting on Monday: joining on Wednesday 25 Nov reaches back to
        # Monday 23 Nov
        self.company.write({"payroll_period_kind": "weekly", "payroll_week_start": "0"})
        self.assertEqual(self.company._cto_first_creditable_date(date(2026, 11, 25)),
                         date(2026, 11, 23))
