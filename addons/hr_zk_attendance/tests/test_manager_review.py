import re

from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from .manager_fixture import last_monday, make_team, punch_day

SPEC_CODE = re.compile(r"\b[A-G]\d{1,2}(\.\d+)?\b")


@tagged("post_install", "-at_install")
class TestManagerReview(TransactionCase):
    """Issue 16, the manager's path: verify the audit trail, approve with the day in view,
    hours and minutes, to-dos, readable audit entries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = make_team(cls.env)
        cls.manager = cls.team["manager"]
        cls.employee = cls.team["employee"]
        cls.monday = last_monday()

    def overtime_day(self, *extra):
        return punch_day(self.env, self.team, self.monday, ("08:00:00", 0), ("18:30:00", 1),
                         *extra)

    def test_manager_runs_verify_audit_trail_action_intact_then_tampered(self):
        """Defect: Review ▸ Verify audit trail raised Access Error for everyone (a server
        action without groups asks for write access on the model)."""
        line = self.overtime_day().line_ids
        line.with_user(self.manager).action_approve()
        action = self.env.ref("hr_zk_attendance.zk_audit_entry_action_verify")
        result = action.with_user(self.manager).run()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(result["params"]["title"], "Audit trail intact")
        entry = self.env["zk.audit.entry"].search([], order="seq desc", limit=1)
        self.env.cr.execute("UPDATE zk_audit_entry SET reason = 'edited' WHERE id = %s",
                            (entry.id,))
        self.env["zk.audit.entry"].invalidate_model()
        result = action.with_user(self.manager).run()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn(f"#{entry.seq}", result["params"]["message"])

    def test_overtime_to_approve_opens_on_to_approve_and_my_team(self):
        """Defect: the two default filters sat in one group, so Odoo OR'ed them. They must
        be separate groups (AND): the manager's team's lines that wait."""
        action = self.env.ref("hr_zk_attendance.zk_overtime_line_action")
        context = action.context
        self.assertIn("search_default_to_approve", context)
        self.assertIn("search_default_my_team", context)
        arch = self.env["zk.overtime.line"].get_views([(False, "search")])["views"]["search"][
            "arch"]
        nodes = [n for n in etree.fromstring(arch) if n.tag in ("filter", "separator")]
        groups, current = [], []
        for node in nodes:
            if node.tag == "separator":
                groups.append(current)
                current = []
            else:
                current.append(node.get("name"))
        groups.append(current)
        together = [g for g in groups if "to_approve" in g and "my_team" in g]
        self.assertFalse(together, "To approve and My team must not be OR'ed")
        # And what the filters select together: this manager's waiting lines only.
        line = self.overtime_day().line_ids
        other = self.env["hr.employee"].create({"name": "Not in the team"})
        domain = [("status", "=", "to_approve"),
                  ("department_id.manager_id.user_id", "=", self.manager.id)]
        found = self.env["zk.overtime.line"].with_user(self.manager).search(domain)
        self.assertEqual(found, line)
        self.assertNotIn(other, found.employee_id)

    def test_durations_in_hours_and_approve_less_in_hours(self):
        record = self.overtime_day()
        line = record.line_ids
        self.assertEqual((line.minutes, line.hours), (90, 1.5))
        self.assertAlmostEqual(record.overtime_hours, 1.5)
        self.assertAlmostEqual(record.worked_hours, record.worked_minutes / 60)
        self.assertAlmostEqual(record.scheduled_hours, 8.0)
        wizard = self.env["zk.decision.wizard"].with_user(self.manager).with_context(
            active_model="zk.overtime.line", active_ids=line.ids,
            default_mode="approve_less").create({"approve_hours": 1.0, "reason": "One hour"})
        self.assertAlmostEqual(wizard.max_hours, 1.5)
        wizard.action_confirm()
        self.assertEqual((line.status, line.approved_minutes, line.approved_hours),
                         ("approved", 60, 1.0))

    def test_approver_gets_a_todo_closed_when_they_decide(self):
        line = self.overtime_day().line_ids
        todo = line.activity_ids
        self.assertEqual(todo.user_id, self.manager)
        self.assertEqual(todo.activity_type_id,
                         self.env.ref("mail.mail_activity_data_todo"))
        self.assertIn("1:30", todo.summary)
        line.with_user(self.manager).action_approve_less(60, "Only the audit hour")
        self.assertFalse(line.activity_ids)
        done = self.env["mail.message"].search([("model", "=", line._name),
                                                ("res_id", "=", line.id),
                                                ("mail_activity_type_id", "!=", False)])
        self.assertTrue(done, "the decision is posted as the done to-do")

    def test_without_department_manager_an_attendance_administrator_gets_the_todo(self):
        admin = new_test_user(self.env, "zk_att_admin",
                              groups="base.group_user,hr_attendance.group_hr_attendance_manager")
        self.employee.department_id.manager_id = False
        # The first attendance administrator of the company (the database's own admin
        # may come first): whoever it is, they are an administrator.
        line = self.overtime_day().line_ids
        self.assertTrue(line.activity_ids)
        self.assertTrue(line.activity_ids.user_id.has_group(
            "hr_attendance.group_hr_attendance_manager"))
        self.assertTrue(admin.has_group("hr_zk_attendance.group_zk_manager"))

    def test_adjustment_submitted_gives_a_todo_closed_on_approval(self):
        self.overtime_day()
        adjustment = self.env["zk.adjustment"].create({
            "employee_id": self.employee.id, "direction": "out", "reason": "Left at 19:00",
            "punch_time": f"{self.monday} 11:00:00"})
        adjustment.action_submit()
        self.assertEqual(adjustment.activity_ids.user_id, self.manager)
        self.assertEqual(adjustment.with_user(self.manager).record_id.work_date, self.monday)
        adjustment.with_user(self.manager).action_approve()
        self.assertEqual(adjustment.state, "approved")
        self.assertFalse(adjustment.activity_ids)

    def test_managers_move_a_request_by_its_buttons_only(self):
        """The decision is audited: a manager or officer writing the state over RPC (or
        creating a request already approved) is refused; a sent request is not edited."""
        officer = new_test_user(self.env, "zk_adj_officer",
                                groups="base.group_user,hr_attendance.group_hr_attendance_officer")
        Adjustment = self.env["zk.adjustment"]
        for user in (self.manager, officer):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    Adjustment.with_user(user).create({
                        "employee_id": self.employee.id, "direction": "in", "reason": "x",
                        "punch_time": f"{self.monday} 08:00:00", "state": "approved"})
                adjustment = Adjustment.with_user(user).create({
                    "employee_id": self.employee.id, "direction": "in", "reason": "Badge",
                    "punch_time": f"{self.monday} 08:00:00"})
                for vals in ({"state": "approved"}, {"decided_by": user.id},
                             {"punch_id": False, "state": "refused"}):
                    with self.assertRaises(AccessError):
                        adjustment.write(vals)
                adjustment.action_submit()
                self.assertEqual(adjustment.state, "to_approve")
                with self.assertRaises(UserError):
                    adjustment.write({"reason": "Changed afterwards"})
        entries = self.env["zk.audit.entry"].search([("action", "=", "adjustment_approved")])
        self.assertFalse(entries, "nothing was decided, so nothing is in the audit trail")

    def test_approver_sees_the_punches_behind_the_overtime(self):
        """A doubled check-out must be visible before approving the overtime it makes."""
        record = self.overtime_day(("18:31:00", 1))
        line = record.line_ids[:1].with_user(self.manager)
        html = str(line.day_punches_html)
        self.assertEqual(html.count("Check-out"), 2, html)
        self.assertIn("Check-in", html)
        self.assertIn("08:00", html)
        self.assertIn("Entrance", html)
        self.assertNotIn("\"status\"", html)

    def test_audit_entries_read_as_labels_and_field_changes(self):
        line = self.overtime_day().line_ids
        line.with_user(self.manager).action_approve_less(60, "Only the audit hour")
        entry = self.env["zk.audit.entry"].search([("model", "=", "zk.overtime.line")])
        self.assertEqual(entry.action_label, "Overtime approved")
        self.assertEqual(entry.model_label, "Overtime Line")
        changes = str(entry.changes_html)
        self.assertIn("To approve", changes)
        self.assertIn("Approved", changes)
        self.assertIn("1:00", changes)
        self.assertNotIn("{", changes)
        self.assertNotIn("approved_minutes", changes)

    def test_no_spec_codes_in_what_people_read(self):
        """Rule ids (E4.3, C9...) live in tests and docstrings, never on screen."""
        for model in ("zk.daily.record", "zk.overtime.line", "zk.adjustment",
                      "zk.audit.entry", "zk.decision.wizard"):
            Model = self.env[model].with_user(self.manager)
            for name, field in Model._fields.items():
                for text in (field.string, field.help):
                    self.assertFalse(text and SPEC_CODE.search(text),
                                     f"{model}.{name}: {text}")
            views = Model.get_views([(False, kind) for kind in ("list", "form", "search")])
            for kind, view in views["views"].items():
                texts = etree.fromstring(view["arch"]).xpath("//text() | //@string | //@help")
                for text in texts:
                    self.assertFalse(SPEC_CODE.search(text), f"{model} {kind}: {text}")
