import hashlib
from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError

from .common import PayrollCase


class TestBatch(PayrollCase):
    def test_lifecycle(self):
        records = self.good_days()
        batch = self.batch()
        self.assertEqual(batch.state, "draft")
        batch.action_generate()
        self.assertEqual(batch.state, "issued")
        content = self.content(batch)
        self.assertEqual(batch.sha256, hashlib.sha256(content).hexdigest())
        self.assertEqual(len(batch.inputs_sha256), 64)
        lines = content.decode().split("\r\n")
        self.assertTrue(lines[0].startswith("company;employee_code;employee_name;work_date"))
        self.assertIn("regular_hours", lines[0])
        self.assertEqual(batch.row_count, 3)
        self.assertEqual(len(lines), 5)  # header, 3 rows, "" after the last CRLF
        self.assertTrue(lines[1].split(";")[1:4] == ["E001", "Ana Reyes", "2025-03-03"])
        self.assertIn(";7.02;", lines[2])  # 421 min -> 7.02 h (ROUND_HALF_UP)
        self.assertTrue(all(records.mapped("locked")))
        self.assertTrue(batch.filename.endswith(".csv"))
        audit = self.env["zk.audit.entry"].search([("model", "=", batch._name),
                                                   ("res_id", "=", batch.id),
                                                   ("action", "=", "payroll_issue")])
        self.assertEqual(len(audit), 1)
        with self.assertRaises(UserError):
            batch.action_generate()

    def test_refused_while_provisional(self):
        self.good_days()
        self.day(date(2025, 3, 5), provisional=True, missing_check_out=True,
                 status="incomplete")
        overtime = self.day(date(2025, 3, 6), employee=self.other, line_ids=[
            (0, 0, {"kind": "workday", "minutes": 90, "status": "to_approve"})])
        batch = self.batch()
        with self.assertRaises(UserError) as caught:
            batch.action_generate()
        message = str(caught.exception)
        self.assertIn("E001 Ana Reyes 2025-03-05", message)
        self.assertIn("No check-out punch", message)
        self.assertIn("E002 Ben Cruz 2025-03-06", message)
        self.assertIn("waits for approval", message)
        self.assertEqual(batch.state, "draft")
        self.assertFalse(overtime.locked)

    def test_forced_export_with_reason_is_audited(self):
        self.good_days()
        self.day(date(2025, 3, 5), provisional=True, missing_check_in=True, status="incomplete")
        batch = self.batch(self.payroll_officer)
        self.assertFalse(batch._generate(raise_blocked=False))
        self.assertEqual(batch.blocked_count, 1)
        self.assertIn("No check-in punch", batch.blocking_reasons)
        batch.force_reason = "Payroll cut-off; the missing punch is fixed next period."
        with self.assertRaises(AccessError):
            batch.action_force_generate()
        as_manager = batch.with_user(self.payroll_manager)
        as_manager.force_reason = " "
        with self.assertRaises(UserError):
            as_manager.action_force_generate()
        as_manager.force_reason = "Payroll cut-off; the missing punch is fixed next period."
        as_manager.action_force_generate()
        self.assertEqual(batch.state, "issued")
        self.assertTrue(batch.forced)
        audit = self.env["zk.audit.entry"].search([("model", "=", batch._name),
                                                   ("res_id", "=", batch.id),
                                                   ("action", "=", "payroll_issue")])
        self.assertEqual(audit.reason, "Payroll cut-off; the missing punch is fixed next period.")
        self.assertEqual(audit.actor_id, self.payroll_manager)
        # the provisional day is marked in its row
        row = next(line for line in self.content(batch).decode().split("\r\n")
                   if "2025-03-05" in line)
        self.assertEqual(row.split(";")[7], "1")

    def test_reproducible_same_bytes(self):
        self.good_days()
        batch = self.batch()
        batch.action_generate()
        first = self.content(batch)
        self.assertEqual(batch._rebuilt_content(), first)
        self.assertEqual(batch._rebuilt_content(), first)
        result = batch.action_check_reproducible()
        self.assertEqual(result["params"]["type"], "success")
        # the same data in another batch (another company setting untouched) -> same hashes
        full, blocked, _records = batch._build()
        self.assertEqual(full.sha256, batch.sha256)
        self.assertEqual(full.inputs_sha256, batch.inputs_sha256)
        self.assertFalse(blocked)

    def test_supersession(self):
        records = self.good_days()
        batch = self.batch()
        batch.action_generate()
        changed = records.filtered(lambda r: r.work_date == date(2025, 3, 3)
                                   and r.employee_id == self.employee)
        changed.sudo().write({"regular_minutes": 450, "undertime_minutes": 30})
        self.assertEqual(batch.action_check_reproducible()["params"]["type"], "warning")
        action = batch.action_correct()
        fix = self.Batch.browse(action["res_id"])
        self.assertEqual(fix.supersedes_id, batch)
        self.assertEqual(fix.state, "issued")
        self.assertEqual(fix.kind, "correction_diff")
        self.assertEqual(fix.supersedes_sha256, batch.sha256)
        self.assertTrue(batch.superseded)
        lines = self.content(fix).decode().split("\r\n")
        self.assertTrue(lines[0].startswith("change;company;"))
        self.assertEqual(len(lines), 3)
        self.assertTrue(lines[1].startswith("changed;"))
        self.assertIn(";7.50;", lines[1])
        with self.assertRaises(UserError):
            batch.action_correct()  # only the latest is corrected
        # effective file = the full file of today's data
        full, _blocked, _records = batch._build()
        self.assertEqual(fix._effective_content(), full.content)
        # then a full replacement
        self.company.payroll_correction_mode = "full"
        changed.sudo().write({"regular_minutes": 480, "undertime_minutes": 0})
        second = self.Batch.browse(fix.action_correct()["res_id"])
        self.assertEqual(second.kind, "correction_full")
        self.assertEqual(second.supersedes_id, fix)
        self.assertEqual(self.content(second), self.content(batch))
        self.assertEqual(second._rebuilt_content(), self.content(second))

    def test_issued_batch_cannot_be_written_or_deleted(self):
        self.good_days()
        batch = self.batch(self.payroll_officer)
        batch.action_generate()
        for vals in ({"force_reason": "x"}, {"period_end": date(2025, 3, 14)},
                     {"file": False}):
            with self.assertRaises(UserError):
                batch.write(vals)
        with self.assertRaises(UserError):
            batch.unlink()
        with self.assertRaises(UserError):
            batch.sudo().unlink()
        self.assertTrue(batch.exists())

    def test_draft_batch_can_be_deleted(self):
        batch = self.batch(self.payroll_officer)
        batch.unlink()
        self.assertFalse(batch.exists())

    def test_one_batch_per_period(self):
        self.batch()
        with self.assertRaises(ValidationError):
            self.batch()
        with self.assertRaises(ValidationError):
            self.Batch.create({"company_id": self.company.id,
                               "period_start": date(2025, 3, 2),
                               "period_end": date(2025, 3, 15)})

    def test_period_granularity_and_minutes(self):
        self.good_days()
        self.company.write({"payroll_granularity": "period", "payroll_unit": "minutes",
                            "payroll_separator": ","})
        batch = self.batch()
        batch.action_generate()
        lines = self.content(batch).decode().split("\r\n")
        self.assertIn("period_start,period_end,days", lines[0])
        self.assertIn("regular_minutes", lines[0])
        self.assertEqual(batch.row_count, 2)
        ana = lines[1].split(",")
        self.assertEqual(ana[1:6], ["E001", "Ana Reyes", "2025-03-01", "2025-03-15", "2"])

    def test_settings_are_validated(self):
        with self.assertRaises(ValidationError):
            self.company.payroll_decimals = 9
        with self.assertRaises(ValidationError):
            self.company.payroll_leave_kinds = "cto,Other Kind"
        with self.assertRaises(ValidationError):
            self.company.payroll_close_offset_days = 99

    def test_weekly_periods(self):
        self.company.write({"payroll_period_kind": "weekly", "payroll_week_start": "6"})
        policy = self.company._payroll_period_policy()
        period = policy.period_containing(date(2025, 3, 5))  # a Wednesday
        self.assertEqual((period.start, period.end), (date(2025, 3, 2), date(2025, 3, 8)))
        self.Batch.create({"company_id": self.company.id, "period_start": period.start,
                           "period_end": period.end})
        with self.assertRaises(ValidationError):
            self.batch()  # 1-15 is not a weekly period

    def test_correction_without_difference_has_only_its_header(self):
        self.good_days()
        batch = self.batch()
        batch.action_generate()
        fix = self.Batch.browse(batch.action_correct()["res_id"])
        self.assertEqual(fix.row_count, 0)
        self.assertEqual(self.content(fix).decode().count("\r\n"), 1)
        self.assertNotEqual(fix.inputs_sha256, batch.inputs_sha256)

    def test_system_fields_are_not_written_by_hand(self):
        batch = self.batch(self.payroll_officer)
        for vals in ({"state": "issued"}, {"sha256": "0" * 64}, {"file": b"eA=="},
                     {"supersedes_id": batch.id}):
            with self.assertRaises(AccessError):
                batch.write(vals)
        with self.assertRaises(AccessError):
            self.env(user=self.payroll_officer)["payroll.export.batch"].create({
                "company_id": self.company.id, "period_start": date(2025, 3, 16),
                "period_end": date(2025, 3, 31), "state": "issued"})
        batch.force_reason = "drafts keep what a person may set"
        self.assertEqual(batch.state, "draft")

    def test_blocked_correction_waits_as_a_draft_and_can_be_forced(self):
        self.good_days()
        batch = self.batch()
        batch.action_generate()
        self.day(date(2025, 3, 7), provisional=True, missing_check_out=True,
                 status="incomplete")
        fix = self.Batch.browse(batch.action_correct()["res_id"])
        self.assertEqual((fix.state, fix.supersedes_id), ("draft", batch))
        self.assertIn("E001 Ana Reyes 2025-03-07", fix.blocking_reasons)
        self.assertFalse(batch.superseded)
        self.assertEqual(batch.action_correct()["res_id"], fix.id)  # the same draft again
        as_manager = fix.with_user(self.payroll_manager)
        as_manager.force_reason = "Cut-off; the punch follows."
        as_manager.action_force_generate()
        self.assertEqual((fix.state, fix.kind, fix.row_count), ("issued", "correction_diff", 1))
        self.assertTrue(self.content(fix).decode().split("\r\n")[1].startswith("added;"))
        self.assertTrue(batch.superseded)
