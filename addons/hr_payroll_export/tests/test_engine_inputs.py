from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.hr_cto_bank.tests.common import next_weekday

from .common import PayrollCase


@tagged("post_install", "-at_install")
class TestEngineInputs(PayrollCase):
    """The real path: a day computed by the engine (result_json) on approved CTO leave,
    the bank's `use` entries and the leave kind column."""

    def test_cto_leave_day_from_the_engine_and_the_bank(self):
        self.company.payroll_leave_kinds = "cto"
        monday = next_weekday(0, self.today + timedelta(days=7))
        self.overtime(self.today - timedelta(days=60), 300, status="approved")
        self.overtime(self.today - timedelta(days=30), 300, status="approved")
        leave = self.cto_leave(monday)
        leave.action_approve()
        period = self.company._payroll_period_policy().period_containing(monday)
        batch = self.Batch.create({"company_id": self.company.id,
                                   "period_start": period.start, "period_end": period.end})
        with self.assertRaisesRegex(UserError, "CTO leave of 480 min on a day without a daily"):
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
