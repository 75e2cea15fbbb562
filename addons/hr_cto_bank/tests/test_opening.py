import importlib.util
from datetime import timedelta
from pathlib import Path

from odoo.tests import tagged

from zk_rules.cto import LedgerEntry
from zk_rules.cto.ledger import seal

from .common import CtoCase

MIGRATION = (Path(__file__).parents[1] / "migrations" / "18.0.1.1.0" / "post-migration.py")


def run_migration(cr, version):
    spec = importlib.util.spec_from_file_location("hr_cto_bank_post_migration_1_1", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.migrate(cr, version)


@tagged("post_install", "-at_install")
class TestOpeningRef(CtoCase):
    """C13: an opening lot's ref is ``opening``, on the lot and on the entries naming it by
    its ref (opening, expire, forfeit); people read "Opening balance", never the key."""

    def import_opening(self, lines):
        self.employee.barcode = "E001"
        self.env["hr.cto.opening.import"].with_user(self.approver).create(
            {"lines": "\n".join(lines)}).action_import()

    def stored_refs(self):
        """(type, lot, ref) of Ana's ledger as stored (SQL: NULL stays None)."""
        return [(e["type"], e["lot"], e["ref"]) for e in self.bank._stored_entries(self.employee)]

    def test_c13_opening_lot_ref_is_opening(self):
        old, recent = self.today - timedelta(days=400), self.today - timedelta(days=20)
        self.import_opening([f"E001,OB-1,{old},240", f"E001,OB-2,{recent},90"])
        self.assertEqual([(lot.lot, lot.ref) for lot in self.lots()],
                         [("OB-1", "opening"), ("OB-2", "opening")])
        self.env["hr.cto.lot"]._cron_expire()  # OB-1 is past its 12 months
        self.employee.departure_date = self.today  # OB-2 is written off
        self.assertEqual(self.stored_refs(), [
            ("opening", "OB-1", "opening"), ("opening", "OB-2", "opening"),
            ("expire", "OB-1", "opening"), ("forfeit", "OB-2", "opening"),
        ])
        self.assertFalse(self.env["hr.cto.ledger.entry"]._first_broken(self.employee))
        # What people read: words, not the key.
        self.assertEqual(self.lots().mapped("source"), ["Opening balance"] * 2)
        self.assertEqual(self.lots()[0].display_name, "Ana Reyes: Opening balance")
        self.assertEqual(self.entries().mapped("description"), [
            "Opening balance, lot OB-1", "Opening balance, lot OB-2",
            "Expired: Opening balance, lot OB-1",
            "Written off at separation: Opening balance, lot OB-2",
        ])

    def test_c13_payout_line_of_an_opening_lot_reads_opening_balance(self):
        self.company.cto_separation = "payout"
        self.import_opening([f"E001,OB-1,{self.today - timedelta(days=20)},90"])
        self.employee.action_archive()
        payout = self.env["hr.cto.payout.line"].search([("employee_id", "=", self.employee.id)])
        self.assertEqual((payout.ref, payout.lot, payout.minutes), ("opening", "OB-1", 90))
        self.assertEqual(payout.description, "Opening balance, lot OB-1")

    def make_legacy(self):
        """Ana's opening lot OB-9 as the bank stored it before opening lots had their ref:
        null on the lot and on its opening entry, the entry's hash computed over that null."""
        self.import_opening([f"E001,OB-9,{self.today - timedelta(days=400)},120"])
        lot, entry = self.lots(), self.entries()
        stored = self.bank._stored_entries(self.employee)[0]
        legacy = seal(LedgerEntry.from_mapping({**stored, "ref": None}), "")
        self.env.cr.execute("UPDATE hr_cto_lot SET ref = NULL WHERE id = %s", (lot.id,))
        self.env.cr.execute("UPDATE hr_cto_ledger_entry SET ref = NULL, hash = %s "
                            "WHERE id = %s", (legacy.hash, entry.id))
        self.env.invalidate_all()
        self.assertEqual(self.stored_refs(), [("opening", "OB-9", None)])
        self.assertFalse(self.env["hr.cto.ledger.entry"]._first_broken(self.employee))
        return legacy

    def test_c13_migration_names_old_opening_lots_and_leaves_the_chain_alone(self):
        legacy = self.make_legacy()
        self.assertEqual(self.lots().source, "Opening balance")  # readable before, too
        run_migration(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(self.lots().ref, "opening")
        stored = self.bank._stored_entries(self.employee)
        self.assertEqual((stored[0]["ref"], stored[0]["hash"]), (None, legacy.hash),
                         "a chained entry is never rewritten")
        # Entries written from now on name the lot by its ref.
        self.env["hr.cto.lot"]._cron_expire()
        self.assertEqual(self.stored_refs(), [("opening", "OB-9", None),
                                              ("expire", "OB-9", "opening")])
        self.assertFalse(self.env["hr.cto.ledger.entry"]._first_broken(self.employee))
        self.assertEqual(self.entries().mapped("description"), [
            "Opening balance, lot OB-9", "Expired: Opening balance, lot OB-9"])

    def test_c13_old_entries_without_ref_still_read_opening_balance(self):
        """An expiry written before the migration (null ref, hashed) reads as the opening
        lot's, like the new ones."""
        self.make_legacy()
        self.env["hr.cto.lot"]._cron_expire()  # the lot has no ref: the entry neither
        self.assertEqual(self.stored_refs(), [("opening", "OB-9", None),
                                              ("expire", "OB-9", None)])
        self.assertEqual(self.entries()[1].description, "Expired: Opening balance, lot OB-9")
        run_migration(self.env.cr, None)  # a fresh install: nothing to do
        self.env.invalidate_all()
        self.assertFalse(self.lots().ref)
