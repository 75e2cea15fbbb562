from datetime import timedelta
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from ..models import zk_overtime_line
from .manager_fixture import last_monday, make_team, punch_day
from .screens import save_screens


@tagged("post_install", "-at_install")
class TestTourBulkApproval(HttpCase):
    """Issue 22 in a real browser: a manager approves a week of overtime lines at once; past
    DECIDE_NOW lines the rest is queued for the scheduled job, and the list says so."""

    def test_bulk_approval_journey(self):
        team = make_team(self.env)
        week = last_monday() - timedelta(days=7)
        records = self.env["zk.daily.record"]
        for n in range(4):
            records |= punch_day(self.env, team, week + timedelta(days=n),
                                 ("08:00:00", 0), ("18:30:00", 1), first_id=100 + 10 * n)
        lines = records.line_ids
        self.assertEqual(len(lines), 4)
        action = self.env.ref("hr_zk_attendance.zk_overtime_line_action").id
        with patch.object(zk_overtime_line, "DECIDE_NOW", 2):
            self.start_tour(f"/odoo/action-{action}", "zk_bulk_approval",
                            login=team["manager"].login)
            save_screens(self, team["manager"].login, [
                (f"/odoo/action-{action}", ".o_list_view .o_data_row",
                 "bulk_approval_queued.png")])
        self.assertEqual(len(lines.filtered(lambda ln: ln.status == "approved")), 2)
        self.assertEqual(len(lines.filtered("queued_decision")), 2)
        self.env["zk.overtime.line"]._cron_decide_queued()
        self.assertEqual(set(lines.mapped("status")), {"approved"})
        self.assertEqual(lines.decided_by, team["manager"])
