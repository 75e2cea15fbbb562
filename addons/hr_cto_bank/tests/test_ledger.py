from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from zk_rules.cto import CtoBank, verify_chain

from .common import CtoCase


@tagged("post_install", "-at_install")
class TestLedger(CtoCase):
    """C11: append-only, hash-chained; access per group."""

    def setUp(self):
        super().setUp()
        self.overtime(self.today - timedelta(days=20), 120, status="approved")
        self.overtime(self.today - timedelta(days=19), 60, status="approved")
        self.overtime(self.today - timedelta(days=18), 30, status="approved", employee=self.other)

    def test_c11_stored_entries_are_the_rules_entries(self):
        stored = self.bank._stored_entries(self.employee)
        self.assertIsNone(verify_chain(stored))
        self.assertEqual([e["prev_hash"] or "" for e in stored[1:]],
                         [e["hash"] for e in stored[:-1]])
        self.assertIsNone(stored[0]["uncredited_minutes"], "null stays null (hashed)")
        lots, entries = self.bank._stored(self.employee)
        bank = CtoBank.from_records(self.company._cto_policy(), lots, entries)
        self.assertEqual(bank.balance, 180)

    def test_c11_nobody_writes_or_deletes_through_the_orm(self):
        entry, lot = self.entries()[0], self.lots()[0]
        admin_entry = entry.sudo()
        with self.assertRaises(AccessError):
            admin_entry.write({"minutes": 999})
        with self.assertRaises(AccessError):
            admin_entry.unlink()
        with self.assertRaises(AccessError):
            lot.sudo().write({"remaining": 0})
        with self.assertRaises(AccessError):
            lot.sudo().unlink()
        with self.assertRaises(AccessError):
            self.env["hr.cto.ledger.entry"].sudo().create({
                "employee_id": self.employee.id, "company_id": self.company.id, "seq": 99,
                "date": self.today, "type": "earn", "minutes": 600})
        credit = self.env["hr.cto.credit"].search([("employee_id", "=", self.employee.id)],
                                                  limit=1)
        with self.assertRaises(AccessError):
            credit.sudo().write({"state": "revoked"})
        self.assertEqual((entry.minutes, lot.remaining), (120, 120))

    def test_c11_intact_chain(self):
        result = self.env["hr.cto.ledger.entry"].action_verify_chain()
        self.assertEqual(result["params"]["type"], "success")

    def test_c11_tamper_by_sql_is_named_and_freezes_the_bank(self):
        second = self.entries()[1]
        self.env.cr.execute("UPDATE hr_cto_ledger_entry SET minutes = 600 WHERE id = %s",
                            (second.id,))
        self.env.invalidate_all()
        result = self.env["hr.cto.ledger.entry"].action_verify_chain()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn(f"{self.employee.name}: entry #2 does not match its hash",
                      result["params"]["message"])
        self.assertNotIn(self.other.name, result["params"]["message"])
        broken = self.env["hr.cto.ledger.entry"]._first_broken(self.employee | self.other)
        self.assertEqual(broken, {self.employee: 2})
        with self.assertRaisesRegex(UserError, "fails its integrity check"):
            self.overtime(self.today - timedelta(days=2), 30, status="approved")

    def test_access_employee_sees_only_own_bank(self):
        Lot = self.env["hr.cto.lot"].with_user(self.employee_user)
        self.assertEqual(Lot.search([]).employee_id, self.employee)
        Entry = self.env["hr.cto.ledger.entry"].with_user(self.employee_user)
        self.assertEqual(len(Entry.search([])), 2)
        with self.assertRaises(AccessError):
            self.lots(self.other).with_user(self.employee_user).read(["remaining"])
        with self.assertRaises(AccessError):
            self.env["hr.cto.credit"].with_user(self.employee_user).search([])
        with self.assertRaises(AccessError):
            Lot.browse(self.lots().ids).write({"remaining": 5})

    def test_access_officer_sees_everyone_in_allowed_companies(self):
        Lot = self.env["hr.cto.lot"].with_user(self.officer)
        self.assertEqual(set(Lot.search([]).employee_id.ids),
                         {self.employee.id, self.other.id})
        self.assertTrue(self.env["hr.cto.credit"].with_user(self.officer).search([]))
        other_company = self.env["res.company"].create({"name": "Other Co"})
        stranger = self.env["hr.employee"].create({
            "name": "Carla", "company_id": other_company.id, "cto_enabled": True,
            "cto_enabled_since": self.today - timedelta(days=30),
            "resource_calendar_id": self.calendar.id})
        self.overtime(self.today - timedelta(days=3), 60, status="approved", employee=stranger)
        self.assertTrue(self.lots(stranger))
        self.assertNotIn(stranger, Lot.search([]).employee_id,
                         "multi-company rule: not in the officer's companies")
