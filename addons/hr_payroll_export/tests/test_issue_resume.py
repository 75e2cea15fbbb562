import hashlib
from collections import Counter
from datetime import date, datetime
from unittest.mock import patch

from odoo.tests import new_test_user

from .common import PayrollCase

# 2025-03-16 12:00 Asia/Manila = 04:00 UTC: the period 1-15 closes.
CLOSED = datetime(2025, 3, 16, 4, 0)


class TestIssueResume(PayrollCase):
    """The scheduled issue writes a chunk of employees per run (one employee per chunk here)
    and commits it; a run killed between chunks is taken up by the next one."""

    def setUp(self):
        super().setUp()
        self.three_in_chunks_of_one()
        self.company.payroll_last_close_check = datetime(2025, 3, 16, 3, 0)

    def run_cron(self):
        return self.Batch._cron_close_periods(now=CLOSED)

    def issue_again_from_the_start(self, batch):
        """The runs after a change: every chunk rendered again, the file today's data's."""
        self.rendered.clear()
        for _run in range(10):
            if not self.run_cron():
                break
        self.assertEqual(self.rendered, [["E001"], ["E002"], ["E003"]])
        self.assertEqual(batch.state, "issued")
        self.assertEqual(self.content(batch), batch._rebuilt_content())

    def parts_written_an_hour_ago(self):
        """The parts dated an hour back (a test is one transaction: all in it has one time),
        and Ana's day of 3 March, for the test to change now."""
        self.env.flush_all()
        self.env.cr.execute("UPDATE payroll_export_batch_part "
                            "SET create_date = create_date - interval '1 hour'")
        self.env.invalidate_all()
        return self.env["zk.daily.record"].search([("employee_id", "=", self.employee.id),
                                                   ("work_date", "=", date(2025, 3, 3))])

    def the_batch(self):
        return self.Batch.search([("company_id", "=", self.company.id)])

    def test_issue_killed_after_first_chunk_resumes_without_redo_duplicate_or_gap(self):
        """Issue 22: a run killed after the first chunk's commit; the next runs write the
        other chunks only, and the file is the one built at once."""
        self.assertEqual(self.run_cron(), 2)  # the batch created, its first chunk written
        batch = self.the_batch()
        self.assertEqual(batch.state, "draft")
        self.assertEqual(batch._parts().mapped("first_code"), ["E001"])
        expected = batch._build()[0]  # what the data gives, built in one go
        self.rendered.clear()

        def killed(*args):
            raise RuntimeError("worker killed after rendering its chunk")

        with patch.object(type(self.env["payroll.export.batch.part"]), "_values",
                          side_effect=killed), \
                self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.run_cron()
        self.assertEqual(self.rendered, [["E002"]])  # the killed run got as far as E002
        self.assertEqual(batch._parts().mapped("first_code"), ["E001"])  # nothing of it kept
        self.rendered.clear()

        self.assertEqual(self.run_cron(), 1)
        self.assertEqual(batch._parts().mapped("first_code"), ["E001", "E002"])
        self.assertEqual(self.run_cron(), 2)  # the last chunk written, E001's days locked
        self.assertIn("the days of 1 of 3 groups of employees are locked", batch.issue_progress)
        self.assertEqual(self.rendered, [["E002"], ["E003"]])  # E001 was not rendered again
        Part = type(self.env["payroll.export.batch.part"])
        with patch.object(Part, "write", side_effect=RuntimeError("killed while locking")), \
                self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.run_cron()
        self.assertEqual(batch._parts().mapped("days_locked"), [True, False, False])
        self.assertEqual(self.run_cron(), 1)
        self.assertEqual(self.run_cron(), 0)
        self.assertEqual(self.rendered, [["E002"], ["E003"]])
        self.assertEqual(batch.state, "issued")
        self.assertFalse(batch._parts())
        content = self.content(batch)
        self.assertEqual((content, batch.sha256, batch.inputs_sha256, batch.row_count),
                         (expected.content, expected.sha256, expected.inputs_sha256, 4))
        header, *rows = content.decode().split("\r\n")[:-1]
        self.assertTrue(header.startswith("company;employee_code;employee_name;work_date"))
        keys = Counter(tuple(row.split(";")[1:4:2]) for row in rows)
        self.assertEqual(keys, Counter({("E001", "2025-03-03"): 1, ("E001", "2025-03-04"): 1,
                                        ("E002", "2025-03-03"): 1, ("E003", "2025-03-05"): 1}))
        days = self.env["zk.daily.record"].search([("company_id", "=", self.company.id)])
        self.assertTrue(all(days.mapped("locked")))

    def test_a_run_reads_the_rows_of_one_chunk_at_a_time(self):
        """Issue 22: no run of the scheduled issue loads the rows (or inputs, or days) of
        every chunk written before it: the memory of a run is that of one chunk, and the
        rows are read once each, when the file is written."""
        Part = type(self.env["payroll.export.batch.part"])
        real, reads = Part.fetch, []

        def spy(parts, field_names):
            reads.append((len(parts), set(field_names)))
            return real(parts, field_names)

        big = {"lines", "inputs", "record_ids_json"}
        self.enterContext(patch.object(Part, "fetch", spy))
        for _run in range(10):
            if not self.run_cron():
                break
        self.assertEqual(self.the_batch().state, "issued")
        self.assertEqual([count for count, names in reads if "lines" in names], [1, 1, 1])
        self.assertEqual([count for count, names in reads if "record_ids_json" in names],
                         [1, 1, 1])
        self.assertEqual([(count, names & big) for count, names in reads
                          if count > 1 and names & big], [])

    def test_day_changed_between_chunks_starts_the_issue_again(self):
        """Issue 22: the chunks already written no longer say what would be locked when a
        day of the period changed after them; the issue starts again from the first."""
        self.run_cron()
        batch = self.the_batch()
        # The first chunk was written an hour ago; a day changes now.
        ana = self.parts_written_an_hour_ago()
        ana.regular_minutes = 300
        self.issue_again_from_the_start(batch)
        self.assertIn(";5.00;", self.content(batch).decode().split("\r\n")[1])

    def test_audited_correction_of_a_locked_day_starts_the_issue_again(self):
        """Issue 22: a manager corrects a day already locked by this issue (audited, with a
        reason) before the file is written; the parts no longer say what the file must, so
        the issue starts again and the file has the corrected day."""
        for _run in range(3):  # the three chunks written, E001's days locked
            self.run_cron()
        batch = self.the_batch()
        self.assertIn("the days of 1 of 3 groups of employees are locked", batch.issue_progress)
        ana = self.parts_written_an_hour_ago()
        self.assertTrue(ana.locked)
        manager = new_test_user(self.env, "zk_manager_resume",
                                groups="base.group_user,hr_zk_attendance.group_zk_manager")
        before = ana.result_json
        ana.with_user(manager)._correct("The terminal lost this morning's punches")
        self.assertNotEqual(ana.result_json, before)
        self.issue_again_from_the_start(batch)

    def test_issued_at_once_when_a_person_issues(self):
        """A person's click issues every chunk in the one request, parts left behind none."""
        batch = self.batch(self.payroll_officer)
        batch.action_generate()
        self.assertEqual(batch.state, "issued")
        self.assertEqual(self.rendered, [["E001"], ["E002"], ["E003"]])
        self.assertFalse(batch._parts())
        self.assertEqual(batch.row_count, 4)
        # The file is stored from its bytes, as text/csv, and kept out of the text index.
        attachment = self.env["ir.attachment"].sudo().search([
            ("res_model", "=", batch._name), ("res_field", "=", "file"),
            ("res_id", "=", batch.id)])
        self.assertEqual((len(attachment), attachment.mimetype, attachment.index_content),
                         (1, "text/csv", False))
        self.assertEqual(attachment.raw, self.content(batch))
        self.assertEqual(attachment.checksum, hashlib.sha1(attachment.raw).hexdigest())

    def test_parts_are_read_by_no_user(self):
        """The parts hold the file's rows: nobody reads them but the issue itself."""
        self.run_cron()
        Part = self.env["payroll.export.batch.part"]
        self.assertTrue(Part.sudo().search_count([]))
        for user in (self.payroll_manager, self.payroll_officer, self.env.ref("base.user_admin")):
            self.assertFalse(Part.with_user(user).has_access("read"), user.login)
