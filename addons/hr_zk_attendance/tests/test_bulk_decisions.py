from datetime import timedelta
from unittest.mock import patch

from odoo.tests import TransactionCase, tagged

from ..models import zk_overtime_line
from .manager_fixture import last_monday, make_team, punch_day


@tagged("post_install", "-at_install")
class TestBulkDecisions(TransactionCase):
    """Issue 22: a manager's decision on a large selection of overtime lines is applied up
    to DECIDE_NOW lines within their request; the rest by the scheduled job, a chunk a run,
    in the manager's name and under their rights (an HTTP worker's time limit would cut one
    request deciding thousands of lines)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = make_team(cls.env)
        cls.manager = cls.team["manager"]
        week = last_monday() - timedelta(days=7)  # a whole week, all of it in the past
        records = cls.env["zk.daily.record"]
        for n in range(5):
            records |= punch_day(cls.env, cls.team, week + timedelta(days=n),
                                 ("08:00:00", 0), ("18:30:00", 1), first_id=100 + 10 * n)
        cls.lines = records.line_ids
        cls.Line = cls.env["zk.overtime.line"]

    def audited(self, action):
        return self.env["zk.audit.entry"].search([
            ("model", "=", "zk.overtime.line"), ("res_id", "in", self.lines.ids),
            ("action", "=", action)])

    def test_large_selection_approved_now_and_then_by_the_job_as_the_manager(self):
        self.assertEqual(len(self.lines), 5)
        with patch.object(zk_overtime_line, "DECIDE_NOW", 2):
            answer = self.lines.with_user(self.manager).action_approve()
            self.assertEqual(answer["tag"], "display_notification")
            self.assertIn("2 line(s) approved; the other 3", answer["params"]["message"])
            self.assertEqual(len(self.lines.filtered(lambda ln: ln.status == "approved")), 2)
            queued = self.lines.filtered("queued_decision")
            self.assertEqual(len(queued), 3)
            self.assertEqual(set(queued.mapped("queued_decision")), {"approved"})
            self.assertEqual(queued.queued_by, self.manager)
            self.assertEqual(self.Line._cron_decide_queued(limit=2), 1, "one line left")
            self.assertEqual(self.Line._cron_decide_queued(limit=2), 0)
        self.assertEqual(set(self.lines.mapped("status")), {"approved"})
        self.assertEqual(self.lines.decided_by, self.manager)
        self.assertEqual(self.lines.mapped("approved_minutes"), self.lines.mapped("minutes"))
        self.assertFalse(self.lines.filtered("queued_decision"))
        entries = self.audited("overtime_approved")
        self.assertEqual(len(entries), 5, "each decision audited once")
        self.assertEqual(entries.actor_id, self.manager, "in the manager's name")

    def test_large_refusal_keeps_its_reason(self):
        with patch.object(zk_overtime_line, "DECIDE_NOW", 2):
            self.lines.with_user(self.manager).action_refuse("No overtime this week")
            self.Line._cron_decide_queued()
        self.assertEqual(set(self.lines.mapped("status")), {"refused"})
        self.assertEqual(set(self.lines.mapped("decision_reason")), {"No overtime this week"})
        self.assertEqual(set(self.lines.mapped("approved_minutes")), {0})

    def test_queued_decision_not_applied_when_the_manager_lost_the_right(self):
        with patch.object(zk_overtime_line, "DECIDE_NOW", 2):
            self.lines.with_user(self.manager).action_approve()
        queued = self.lines.filtered("queued_decision")
        self.team["department"].manager_id = self.env["hr.employee"].create(
            {"name": "New manager"})
        self.Line._cron_decide_queued()
        self.assertEqual(set(queued.mapped("status")), {"to_approve"}, "nothing decided")
        self.assertFalse(queued.filtered("queued_decision"), "taken off the queue")
        for line in queued:
            self.assertIn("was not applied", line.message_ids[:1].body)
