from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.hr_cto_bank.tests.common import next_weekday

from .common import PayrollCtoCase


@tagged("post_install", "-at_install")
class TestEngineInputs(PayrollCtoCase):
    """The real path: a day computed by the engine (result_json) on approved CTO leave,
    the bank's `use` entries and the leave kind column."""

    def cto_leave_next_monday(self):
        """A day of approved CTO leave next Monday, paid from two lots of 5 h overtime."""
        self.company.payroll_leave_kinds = "cto"
        monday = next_weekday(0, self.today + timedelta(days=7))
        self.overtime(self.today - timedelta(days=60), 300, status="approved")
        self.overtime(self.today - timedelta(days=30), 300, status="approved")
        leave = self.cto_leave(monday)
        leave.action_approve()
        return monday, leave

    def test_cto_leave_day_from_the_engine_and_the_bank(self):
        monday, leave = self.cto_leave_next_monday()
        period = self.company._payroll_period_policy().period_containing(monday)
        batch = self.Batch.create({"company_id": self.company.id,
                                   "period_start": period.start, "period_end": period.end})
        with self.assertRaisesRegex(UserError, "CTO leave of 8:00 h on a day without a daily"):
            batch.action_generate()  # the bank debited a day the engine has not computed yet
        record = self.env["zk.daily.record"].sudo()._compute_range(self.employee, monday,
                                                                   monday)
        self.assertTrue(record.result_json)
        self.assertEqual(record.leave_minutes, 480)
        batch.action_generate()
        header, row, *_rest = self.content(batch).decode().split("\r\n")
        cells = dict(zip(header.split(";"), row.split(";"), strict=True))
        self.assertEqual(cells["work_date"], monday.isoformat())
        self.assertEqual(cells["status"], "on_leave")
        self.assertEqual(cells["leave_cto_hours"], "8.00")
        self.assertEqual(cells["leave_other_hours"], "0.00")
        self.assertEqual(cells["cto_used_hours"], "8.00")
        self.assertEqual(cells["cto_lots_minutes"], "L1:300|L2:180")
        self.assertTrue(record.locked)
        self.assertEqual(batch._rebuilt_content(), self.content(batch))

    # ------------------------------------------------------------------ mixed leave kinds
    def test_e4_3_half_day_sick_and_half_day_cto_each_in_its_column(self):
        """A morning of sick leave and an afternoon of CTO on one day: 4 h in each leave
        column, the CTO debit of 4 h beside them, and the columns add up to the day."""
        monday = next_weekday(0, self.today + timedelta(days=7))
        self.overtime(self.today - timedelta(days=60), 300, status="approved")
        self.sick_leave(monday, (8.0, 12.0))
        cto = self.cto_leave(monday, hours=(13.0, 17.0))
        cto.action_approve()
        record, cells = self.export_row(monday)
        self.assertEqual((record.leave_minutes, record.status), (480, "on_leave"))
        self.assertEqual(cells["work_date"], monday.isoformat())
        self.assertEqual(cells["status"], "on_leave")
        self.assertEqual(cells["leave_sick_leave_hours"], "4.00")
        self.assertEqual(cells["leave_cto_hours"], "4.00")
        self.assertEqual(cells["leave_other_hours"], "0.00")
        self.assertEqual(cells["cto_used_hours"], "4.00")
        self.assertEqual(cells["cto_lots_minutes"], "L1:240")

    def test_e4_3_leave_over_lunch_splits_as_odoo_counts_each_leave(self):
        """CTO 08:00-13:00 (4 h for Odoo and the bank: lunch is not working time) and sick
        leave 13:00-17:00: the engine caps the day at 8 h of leave, shared 4 h / 4 h, so the
        CTO column equals the CTO debit (and not 5 h of clock time)."""
        monday = next_weekday(0, self.today + timedelta(days=7))
        self.overtime(self.today - timedelta(days=60), 300, status="approved")
        cto = self.cto_leave(monday, hours=(8.0, 13.0))
        cto.action_approve()
        self.sick_leave(monday, (13.0, 17.0))
        record, cells = self.export_row(monday)
        self.assertEqual(record.leave_minutes, 480)
        self.assertEqual((cells["leave_cto_hours"], cells["leave_sick_leave_hours"]),
                         ("4.00", "4.00"))
        self.assertEqual(cells["cto_used_hours"], cells["leave_cto_hours"])

    def test_c10_cto_leave_cancelled_later_is_not_exported_as_used(self):
        """C10 dates the give-back on the day of the cancellation, not the leave date: the
        export still counts no CTO on the leave date, and nothing blocks the period."""
        monday, leave = self.cto_leave_next_monday()
        leave.action_refuse()
        cancels = self.entries().filtered(lambda e: e.type == "use_cancel")
        self.assertTrue(cancels)
        self.assertNotEqual(set(cancels.mapped("date")), {monday})
        self.env["zk.daily.record"].sudo()._compute_range(self.employee, monday, monday)
        period = self.company._payroll_period_policy().period_containing(monday)
        batch = self.Batch.create({"company_id": self.company.id,
                                   "period_start": period.start, "period_end": period.end})
        batch.action_generate()  # no "CTO leave on a day without a daily record" either
        header, row, *_rest = self.content(batch).decode().split("\r\n")
        cells = dict(zip(header.split(";"), row.split(";"), strict=True))
        self.assertEqual(cells["work_date"], monday.isoformat())
        self.assertEqual((cells["cto_used_hours"], cells["cto_lots_minutes"]), ("0.00", ""))
        self.assertEqual(cells["leave_cto_hours"], "0.00")

    def test_cto_use_cancelled_while_the_batch_is_issued_starts_it_again(self):
        """Issue 22: the stored parts carry the CTO uses they read; a use cancelled in the
        bank after the first part was written (its day not computed again yet) makes the
        scheduled issue start again."""
        monday, leave = self.cto_leave_next_monday()
        record = self.env["zk.daily.record"].sudo()._compute_range(self.employee, monday,
                                                                   monday)
        period = self.company._payroll_period_policy().period_containing(monday)
        batch = self.Batch.create({"company_id": self.company.id,
                                   "period_start": period.start, "period_end": period.end})
        batch._write_parts(chunks=1)
        # The day and the bank's entries two hours ago, the part an hour ago (a test is one
        # transaction: everything in it has the same time).
        self.env.flush_all()
        self.env.cr.execute("UPDATE zk_daily_record SET write_date = write_date - "
                            "interval '2 hours'")
        self.env.cr.execute("UPDATE hr_cto_ledger_entry SET create_date = create_date - "
                            "interval '2 hours'")
        self.env.cr.execute("UPDATE payroll_export_batch_part "
                            "SET create_date = create_date - interval '1 hour'")
        self.env.invalidate_all()
        parts = batch._parts()
        self.assertTrue(parts)
        self.assertFalse(batch._parts_stale(parts))
        written = (record.write_date, record.version)
        leave.action_refuse()
        self.env.flush_all()
        record.invalidate_recordset()
        self.assertEqual((record.write_date, record.version), written,
                         "the day itself is not computed again yet")
        self.assertTrue(batch._parts_stale(parts))
