from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.hr_zk_attendance.tests.self_service_fixture import make_self_service


@tagged("post_install", "-at_install")
class TestPortalPeriods(HttpCase):
    """Issue 18: My attendance lists the issued pay periods with the employee's own figures,
    never the file; a corrected exported day asks the payroll officers for a correction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = make_self_service(cls.env)
        cls.company = cls.team["employee"].company_id
        cls.company.write({"payroll_period_kind": "semi_monthly", "payroll_separator": ";",
                           "payroll_unit": "hours", "payroll_granularity": "day",
                           "payroll_correction_mode": "diff",
                           "payroll_last_close_check": False})
        cls.officer = new_test_user(cls.env, "ss_payroll_officer",
                                    groups="base.group_user,"
                                    "hr_payroll_export.group_payroll_officer")
        cls.records = cls.env["zk.daily.record"]
        for employee, worked in ((cls.team["employee"], 450), (cls.team["ben"], 300)):
            cls.records |= cls.env["zk.daily.record"].create({
                "employee_id": employee.id, "work_date": date(2025, 3, 3),
                "day_type": "workday", "status": "compliant", "provisional": False,
                "scheduled_minutes": 480, "expected_minutes": 480, "regular_minutes": worked,
                "worked_minutes": worked, "presence_minutes": worked})
        cls.batch = cls.env["payroll.export.batch"].create({
            "company_id": cls.company.id, "period_start": date(2025, 3, 1),
            "period_end": date(2025, 3, 15)})
        cls.batch.action_generate()

    def test_issue18_issued_periods_show_own_figures_not_the_file(self):
        self.assertEqual(self.batch.state, "issued")
        portal = self.team["portal_user"]
        self.authenticate(portal.login, portal.login)
        page = self.url_open("/my/attendance")
        self.assertIn("Pay periods sent to payroll", page.text)
        self.assertIn("1-15 Mar 2025", page.text)
        self.assertIn("7:30", page.text)       # Ana's 450 minutes
        self.assertNotIn("5:00", page.text)    # Ben's 300 minutes
        self.assertNotIn("/payroll_export/download", page.text)
        self.assertNotIn(self.batch.sha256, page.text)
        for user in (portal, self.team["ben_user"]):
            with self.assertRaises(AccessError):
                self.batch.with_user(user).read(["name"])
        download = self.url_open(f"/payroll_export/download/{self.batch.id}")
        self.assertIn(download.status_code, (403, 404))

    def test_issue18_corrected_exported_day_asks_for_a_correction_batch(self):
        record = self.records.filtered(lambda r: r.employee_id == self.team["employee"])
        self.assertTrue(record.locked)
        record.with_user(self.team["manager"])._correct("Approved adjustment")
        todo = self.batch.activity_ids.filtered(lambda a: a.summary == "Issue a correction")
        self.assertIn(self.officer, todo.user_id)
        record.with_user(self.team["manager"])._correct("Again")
        self.assertEqual(len(self.batch.activity_ids.filtered(
            lambda a: a.summary == "Issue a correction" and a.user_id == self.officer)), 1,
            "one to-do while it waits")
