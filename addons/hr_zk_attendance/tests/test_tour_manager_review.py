from datetime import timedelta

from odoo.tests import HttpCase, tagged

from .manager_fixture import last_monday, make_team, punch_day
from .screens import save_screens


@tagged("post_install", "-at_install")
class TestTourManagerReview(HttpCase):
    """Journey 2 in a real browser: a manager with group_zk_manager managing a department."""

    def test_manager_review_journey(self):
        team = make_team(self.env)
        monday = last_monday()
        tuesday = monday + timedelta(days=1)
        record = punch_day(self.env, team, monday, ("08:00:00", 0), ("19:00:00", 1))
        line = record.line_ids
        self.assertEqual((line.minutes, line.status), (120, "to_approve"))
        punch_day(self.env, team, tuesday, ("08:00:00", 0), first_id=200)
        adjustment = self.env["zk.adjustment"].create({
            "employee_id": team["employee"].id, "direction": "out",
            "reason": "Forgot to check out", "punch_time": f"{tuesday} 09:05:00"})  # 17:05
        adjustment.action_submit()
        self.assertEqual(adjustment.activity_ids.user_id, team["manager"])

        self.start_tour("/odoo/action-hr_zk_attendance.zk_daily_record_action",
                        "zk_manager_review", login=team["manager"].login)

        self.assertEqual((line.status, line.approved_minutes), ("approved", 90))
        self.assertEqual(line.decision_reason, "Only 1:30 was authorised")
        self.assertEqual(adjustment.state, "approved")
        self.assertEqual(adjustment.decided_by, team["manager"])
        self.assertFalse(line.activity_ids | adjustment.activity_ids,
                         "the manager's to-dos are closed by the decisions")
        actions = self.env["zk.audit.entry"].search([]).mapped("action")
        self.assertIn("overtime_approved", actions)
        self.assertIn("adjustment_approved", actions)

        action = self.env.ref("hr_zk_attendance.zk_overtime_line_action").id
        save_screens(self, team["manager"].login, [
            ("/odoo/action-hr_zk_attendance.zk_daily_record_action",
             ".o_list_view .o_data_row", "review_daily_records.png"),
            (f"/odoo/action-{action}/{line.id}", ".o_form_view .o_statusbar_status",
             "review_overtime_line.png"),
            (f"/odoo/action-hr_zk_attendance.zk_adjustment_action/{adjustment.id}",
             ".o_form_view .o_statusbar_status", "review_adjustment.png"),
            ("/odoo/action-hr_zk_attendance.zk_audit_entry_action", ".o_list_view .o_data_row",
             "review_audit_trail.png"),
            (f"/odoo/action-hr_zk_attendance.zk_audit_entry_action/"
             f"{self.env['zk.audit.entry'].search([('action', '=', 'overtime_approved')]).id}",
             ".o_form_view", "review_audit_entry.png"),
            ("/odoo/action-hr_zk_attendance.zk_daily_record_action?view_type=pivot",
             ".o_pivot", "review_pivot.png"),
        ])
