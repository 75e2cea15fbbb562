from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from odoo.addons.hr_zk_attendance.tests.self_service_fixture import make_self_service


@tagged("post_install", "-at_install")
class TestPortalBank(HttpCase):
    """Issue 18: My attendance shows the employee's own time-off bank (balance, lots, expiry);
    nobody else's, through the page or RPC."""

    def test_issue18_portal_employee_sees_own_lots_only(self):
        team = make_self_service(self.env)
        ana, ben = team["employee"], team["ben"]
        (ana | ben).write({"cto_enabled": True, "cto_enabled_since": team["day"]
                           - timedelta(days=30)})
        for employee in (ana, ben):
            self.env["zk.daily.record"].create({
                "employee_id": employee.id, "work_date": team["day"] - timedelta(days=1),
                "line_ids": [(0, 0, {"kind": "workday", "minutes": 120,
                                     "status": "approved", "approved_minutes": 120})]})
        lots = self.env["hr.cto.lot"].search([("employee_id", "in", (ana | ben).ids)])
        self.assertEqual(len(lots), 2, "approved overtime credits each bank")
        portal = team["portal_user"]
        self.assertEqual(self.env["hr.cto.lot"].with_user(portal).search([]).employee_id, ana)
        with self.assertRaises(AccessError):
            lots.filtered(lambda lot: lot.employee_id == ben).with_user(portal).read(
                ["remaining"])
        self.authenticate(portal.login, portal.login)
        page = self.url_open("/my/attendance")
        self.assertIn("My time-off bank", page.text)
        self.assertIn("2:00", page.text)
        ana_lot = lots.filtered(lambda lot: lot.employee_id == ana)
        if ana_lot.valid_until:
            self.assertIn(str(ana_lot.valid_until.year), page.text)

    def test_issue18_certificate_of_another_employee_is_refused(self):
        """The COC certificate reads the ledger with SQL: an employee prints their own only,
        through the report route or the model."""
        team = make_self_service(self.env)
        ana, ben_user = team["employee"], team["ben_user"]
        report = self.env["ir.actions.report"]._get_report(
            "hr_cto_bank.report_coc_certificate")
        with self.assertRaises(AccessError):
            self.env[f"report.{report.report_name}"].with_user(ben_user)._get_report_values(
                ana.ids)
        self.authenticate(ben_user.login, ben_user.login)
        response = self.url_open(f"/report/html/{report.report_name}/{ana.id}")
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn("Certificate of COC Earned", response.text)
