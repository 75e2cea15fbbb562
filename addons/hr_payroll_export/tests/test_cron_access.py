from datetime import date, datetime

from odoo.exceptions import AccessError

from .common import PayrollCase


class TestCronAccess(PayrollCase):
    def test_cron_issues_at_close_and_waits_while_blocked(self):
        self.good_days()
        pending = self.day(date(2025, 3, 6), employee=self.other, line_ids=[
            (0, 0, {"kind": "workday", "minutes": 90, "status": "to_approve"})])
        # 2025-03-16 12:00 Asia/Manila = 04:00 UTC: the period 1-15 closes.
        self.company.payroll_last_close_check = datetime(2025, 3, 16, 3, 0)
        self.Batch._cron_close_periods(now=datetime(2025, 3, 16, 3, 59))
        self.assertFalse(self.Batch.search([("company_id", "=", self.company.id)]))
        self.Batch._cron_close_periods(now=datetime(2025, 3, 16, 4, 0))
        batch = self.Batch.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(batch), 1)
        self.assertEqual((batch.period_start, batch.period_end), (self.start, self.end))
        self.assertEqual(batch.state, "draft")
        self.assertIn("E002 Ben Cruz 2025-03-06", batch.blocking_reasons)
        self.assertIn("waits for approval", batch.blocking_reasons)
        # a person acts on the list, the next run issues the batch
        pending.line_ids.sudo().write({"status": "approved", "approved_minutes": 60})
        self.Batch._cron_close_periods(now=datetime(2025, 3, 16, 5, 0))
        self.assertEqual(batch.state, "issued")
        self.assertEqual(len(self.Batch.search([("company_id", "=", self.company.id)])), 1)
        header, *rows = self.content(batch).decode().split("\r\n")
        column = header.split(";").index("ot_workday_hours")
        ben = next(r for r in rows if "2025-03-06" in r)
        self.assertEqual(ben.split(";")[column], "1.00")  # approved minutes only

    def test_non_payroll_user_refused(self):
        self.good_days()
        batch = self.batch()
        batch.action_generate()
        as_user = self.env(user=self.plain_user)["payroll.export.batch"]
        with self.assertRaises(AccessError):
            as_user.search([])
        with self.assertRaises(AccessError):
            as_user.create({"company_id": self.company.id, "period_start": date(2025, 3, 16),
                            "period_end": date(2025, 3, 31)})
        with self.assertRaises(AccessError):
            batch.with_user(self.plain_user).action_download()
        with self.assertRaises(AccessError):
            batch.with_user(self.plain_user)._download()
        self.assertFalse(batch.download_ids)
        with self.assertRaises(AccessError):
            self.env(user=self.plain_user)["payroll.export.download"].search([])

    def test_download_is_logged(self):
        self.good_days()
        batch = self.batch(self.payroll_officer)
        batch.action_generate()
        action = batch.action_download()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["url"], f"/payroll_export/download/{batch.id}")
        self.assertFalse(batch.download_ids, "opening the route is what logs, not the button")
        self.assertEqual(batch._download(), self.content(batch))
        log = self.env["payroll.export.download"].search([("batch_id", "=", batch.id)])
        self.assertEqual(log.user_id, self.payroll_officer)
        self.assertEqual(log.sha256, batch.sha256)
        audit = self.env["zk.audit.entry"].search([("model", "=", batch._name),
                                                   ("res_id", "=", batch.id),
                                                   ("action", "=", "payroll_download")])
        self.assertEqual(len(audit), 1)
        with self.assertRaises(AccessError):
            log.with_user(self.payroll_officer).write({"sha256": "x"})
        with self.assertRaises(AccessError):
            log.unlink()

    def test_cron_skips_companies_without_automatic_issue(self):
        self.good_days()
        self.company.write({"payroll_export_auto": False,
                            "payroll_last_close_check": datetime(2025, 3, 16, 3, 0)})
        self.Batch._cron_close_periods(now=datetime(2025, 3, 16, 5, 0))
        self.assertFalse(self.Batch.search([("company_id", "=", self.company.id)]))

    def test_other_company_batches_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        theirs = self.Batch.create({"company_id": other.id, "period_start": self.start,
                                    "period_end": self.end})
        mine = self.batch()
        found = self.env(user=self.payroll_officer)["payroll.export.batch"].search([])
        self.assertIn(mine, found)
        self.assertNotIn(theirs, found)
