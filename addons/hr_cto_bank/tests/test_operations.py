import base64
from datetime import date, timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from zk_rules.cto import expiry_warnings

from .common import CtoCase


@tagged("post_install", "-at_install")
class TestOperations(CtoCase):
    """C8 expiry cron, C12 forfeit, C13 opening import, C14 reports."""

    def test_c8_expiry_cron(self):
        old = self.today - timedelta(days=400)
        self.overtime(old, 120, status="approved")
        self.overtime(self.today - timedelta(days=5), 60, status="approved")
        old_lot, new_lot = self.lots()
        self.assertLess(old_lot.valid_until, self.today)
        self.assertEqual(self.env["hr.cto.lot"]._cron_expire(), 0)
        expire = self.entries().filtered(lambda e: e.type == "expire")
        self.assertEqual((expire.lot, expire.minutes, expire.date, expire.reason),
                         ("L1", -120, old_lot.valid_until + timedelta(days=1), "C8 expiry"))
        self.assertEqual((old_lot.remaining, new_lot.remaining), (0, 60))
        # Running it again writes nothing (lots with nothing left write no entry).
        self.env["hr.cto.lot"]._cron_expire()
        self.assertEqual(len(self.entries()), 3)

    def test_c7_end_of_following_year(self):
        self.company.cto_expiry_mode = "end_of_following_year"
        day = self.today - timedelta(days=3)
        self.overtime(day, 60, status="approved")
        self.assertEqual(self.lots().valid_until, date(day.year + 1, 12, 31))

    def test_c14_expiry_warning_list(self):
        self.company.cto_expiry_months = 1
        self.overtime(self.today - timedelta(days=5), 60, status="approved")
        self.company.cto_expiry_months = 12
        self.overtime(self.today - timedelta(days=4), 30, status="approved")
        found = self.env["hr.cto.lot"].search([("expiry_warning", "=", True)])
        expected = expiry_warnings(self.lots()._to_rules(), self.today)
        self.assertEqual(found.mapped("lot"), [w["lot"] for w in expected])
        self.assertEqual(found.mapped("lot"), ["L1"])
        self.assertEqual(found.days_left, expected[0]["days_left"])
        self.assertNotIn("L2", self.env["hr.cto.lot"].search(
            [("expiry_warning", "=", True)]).mapped("lot"))

    def test_c13_opening_import_from_csv_then_closed(self):
        self.employee.barcode = "E001"
        csv_text = ("employee,lot,earned_date,minutes\n"
                    f"E001,OB-1,{self.today - timedelta(days=40)},240\n"
                    f"Ben Cruz,OB-2,{self.today - timedelta(days=20)},90\n")
        wizard = self.env["hr.cto.opening.import"].with_user(self.approver).create(
            {"file": base64.b64encode(csv_text.encode())})
        wizard.action_import()
        self.assertEqual(self.lots().mapped("lot"), ["OB-1"])
        self.assertEqual(self.entries().type, "opening")
        self.assertEqual((self.balance(), self.balance(self.other)), (240, 90))
        # Opening lots count toward the balance cap and come before any other movement.
        self.overtime(self.today - timedelta(days=2), 60, status="approved")
        again = self.env["hr.cto.opening.import"].create(
            {"lines": f"E001,OB-3,{self.today - timedelta(days=10)},60"})
        with self.assertRaisesRegex(UserError, "before any event"):
            again.action_import()
        bad = self.env["hr.cto.opening.import"].create({"lines": "E001,OB-4,2025-13-01,60"})
        with self.assertRaisesRegex(UserError, "Line 1: earned date"):
            bad.action_import()

    def test_c12_forfeit_on_departure(self):
        self.overtime(self.today - timedelta(days=30), 120, status="approved")
        self.overtime(self.today - timedelta(days=10), 60, status="approved")
        self.employee.departure_date = self.today
        forfeits = self.entries().filtered(lambda e: e.type == "forfeit")
        self.assertEqual([(f.lot, f.minutes, f.date) for f in forfeits],
                         [("L1", -120, self.today), ("L2", -60, self.today)])
        self.assertEqual(self.balance(), 0)
        self.assertFalse(self.env["hr.cto.payout.line"].search([]))

    def test_c12_payout_policy_on_archive_writes_payroll_lines(self):
        self.company.cto_separation = "payout"
        self.overtime(self.today - timedelta(days=10), 60, status="approved")
        self.employee.action_archive()
        self.assertEqual(self.balance(), 0)
        payout = self.env["hr.cto.payout.line"].search([("employee_id", "=", self.employee.id)])
        self.assertEqual((payout.source, payout.minutes, payout.lot), ("separation", 60, "L1"))

    def test_policy_settings_are_validated(self):
        with self.assertRaisesRegex(Exception, "allowed_day_blocks_minutes"):
            self.company.cto_day_blocks = "four hours"

    def test_c14_certificate_renders(self):
        month_start = (self.today.replace(day=1) - timedelta(days=1)).replace(day=1)
        self.company.cto_monthly_cap_minutes = 600
        self.overtime(month_start, 500, status="approved")
        self.overtime(month_start + timedelta(days=1), 190, status="approved")
        month = f"{month_start:%Y-%m}"
        html, kind = self.env["ir.actions.report"]._render_qweb_html(
            "hr_cto_bank.report_coc_certificate", self.employee.ids, data={"month": month})
        html = html.decode()
        self.assertEqual(kind, "html")
        self.assertIn("Certificate of COC Earned", html)
        self.assertIn(self.employee.name, html)
        self.assertIn(f"Month of <span>{month_start:%B %Y}</span>", html)
        self.assertRegex(html, r'o_coc_earned">10:00<')  # 500 + 100 minutes earned
        self.assertRegex(html, r"Not credited: monthly cap \(hours\)</td><td[^>]*>1:30<")
        wizard = self.env["hr.cto.certificate.wizard"].create({
            "employee_ids": [(6, 0, self.employee.ids)], "month": str(month_start.month),
            "year": month_start.year})
        action = wizard.with_context(discard_logo_check=True).action_print()
        self.assertEqual((action["report_name"], action["data"]["month"]),
                         ("hr_cto_bank.report_coc_certificate", month))

    def test_smart_button_balance(self):
        self.overtime(self.today - timedelta(days=3), 90, status="approved")
        self.assertEqual(self.employee.cto_balance_hours, 1.5)
        action = self.employee.action_open_cto_lots()
        self.assertEqual(self.env["hr.cto.lot"].search(action["domain"]), self.lots())
