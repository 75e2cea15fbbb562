from datetime import date

from odoo.tests import tagged

from .common import CtoCase


@tagged("post_install", "-at_install")
class TestReadable(CtoCase):
    """What people read: hours not minutes, words not keys, no rule ids."""

    def test_ledger_entry_named_by_its_overtime_in_hours(self):
        line = self.overtime(date(2026, 11, 28), 100, kind="rest_day", status="approved")
        earn = self.entries().filtered(lambda e: e.type == "earn")
        self.assertEqual(earn.ref, f"ot:{self.employee.id}:2026-11-28:rest_day:v1")  # the key
        self.assertEqual(earn.description, "Overtime 28 Nov, rest day")
        self.assertEqual(earn.display_name, "Ana Reyes: Overtime 28 Nov, rest day")
        self.assertEqual((earn.hours, earn.balance_after_hours, earn.raw_hours), (2.5, 2.5, 2.5))
        self.assertEqual(earn.reason_text, "Approved overtime")
        lot = self.lots()
        self.assertEqual((lot.source, lot.credited_hours, lot.remaining_hours),
                         ("Overtime 28 Nov, rest day", 2.5, 2.5))
        credit = self.env["hr.cto.credit"].search([("employee_id", "=", self.employee.id)])
        self.assertEqual((credit.approved_hours, credit.credited_hours), (100 / 60, 2.5))
        self.assertEqual(credit.display_name, "Ana Reyes: Overtime 28 Nov, rest day")
        line.write({"status": "refused", "approved_minutes": 0})
        reverse = self.entries().filtered(lambda e: e.type == "reverse")
        self.assertEqual(reverse.description, "Overtime 28 Nov, rest day")
        self.assertEqual(reverse.hours, -2.5)
        self.assertNotRegex(reverse.reason_text, r"\bC\d")
        self.assertIn("Overtime decision changed", reverse.reason_text)

    def test_rule_reasons_lose_their_ids(self):
        self.company.cto_expiry_months = 1
        self.overtime(date(2025, 1, 6), 60, status="approved")
        self.env["hr.cto.lot"]._cron_expire()
        expire = self.entries().filtered(lambda e: e.type == "expire")
        self.assertEqual(expire.reason, "C8 expiry")  # stored as the bank wrote it (hashed)
        self.assertEqual(expire.reason_text, "Expiry")
        self.assertEqual(expire.description, "Expired: Overtime 6 Jan, workday")

    def test_settings_caps_and_day_blocks_in_hours(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual((settings.cto_monthly_cap_hours, settings.cto_balance_cap_hours),
                         (40.0, 120.0))
        self.assertEqual(settings.cto_day_blocks_hours, "4:00, 8:00")
        settings.write({"cto_monthly_cap_hours": 30.5, "cto_balance_cap_hours": 100,
                        "cto_day_blocks_hours": "8:00, 4"})
        settings.execute()
        self.assertEqual((self.company.cto_monthly_cap_minutes,
                          self.company.cto_balance_cap_minutes, self.company.cto_day_blocks),
                         (1830, 6000, "480,240"))
