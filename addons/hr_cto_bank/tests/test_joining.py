from datetime import date

from odoo.tests import tagged

from .common import CtoCase

JOINED = date(2026, 12, 3)  # a Thursday


@tagged("post_install", "-at_install")
class TestJoiningTheBank(CtoCase):
    """Issue 23: approved overtime of an employee who is not (yet) in the bank. What is
    credited when they join follows the company's setting, by work date; every approved line
    that earned nothing says why on the line, and can be filtered."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Fixed dates in the past: no lot may expire while these tests run, whenever.
        cls.company.cto_expiry_mode = "none"
        cls.maria = cls.env["hr.employee"].create({
            "name": "Maria Santos", "tz": "Asia/Manila",
            "resource_calendar_id": cls.calendar.id})

    def approved(self, day, minutes=60):
        return self.overtime(day, minutes, status="approved", employee=self.maria)

    def join(self, since=JOINED):
        self.maria.write({"cto_enabled": True, "cto_enabled_since": since})

    def state(self, line):
        line.invalidate_recordset(["cto_state", "cto_note"])
        return line.cto_state, line.cto_note

    def filtered(self, state):
        return self.env["zk.overtime.line"].search([("employee_id", "=", self.maria.id),
                                                    ("cto_state", "=", state)])

    def credited_dates(self):
        return self.env["hr.cto.credit"].search(
            [("employee_id", "=", self.maria.id)], order="work_date").mapped("work_date")

    # ------------------------------------------------------------------ opt-in date
    def test_ticking_the_bank_records_the_day_and_unticking_clears_it(self):
        self.assertFalse(self.maria.cto_enabled_since)
        self.maria.cto_enabled = True
        self.assertEqual(self.maria.cto_enabled_since, self.company._cto_today())
        self.maria.cto_enabled = False
        self.assertFalse(self.maria.cto_enabled_since)
        created = self.env["hr.employee"].create({"name": "Rosa", "cto_enabled": True})
        self.assertEqual(created.cto_enabled_since, self.company._cto_today())

    def test_non_member_overtime_says_it_is_not_credited(self):
        line = self.approved(date(2026, 11, 24))
        self.assertFalse(self.lots(self.maria))
        self.assertEqual(self.state(line), (
            "not_credited", "Not credited: Maria Santos is not in the CTO bank."))
        waiting = self.overtime(date(2026, 11, 25), 60, employee=self.maria)
        self.assertEqual(self.state(waiting), (False, False), "nothing to say before approval")
        self.assertEqual(self.filtered("not_credited"), line)

    # ------------------------------------------------------------------ default: from opt-in
    def test_default_credits_from_the_opt_in_day_only_and_says_why_not(self):
        self.assertEqual(self.company.cto_backdate, "opt_in")
        before = self.approved(date(2026, 11, 28))
        on_the_day = self.approved(JOINED, 90)  # approved before HR ticked the bank
        self.join()
        self.assertEqual(self.credited_dates(), [JOINED],
                         "approved overtime from the opt-in day on is credited on joining")
        self.assertEqual(self.lots(self.maria).earned_date, JOINED)
        self.assertEqual(self.state(on_the_day),
                         ("credited", "Credited 1:30."))
        why = ("Not credited: Maria Santos joined the CTO bank on 3 Dec 2026, after this "
               "overtime.")
        self.assertEqual(self.state(before), ("not_credited", why))
        # Overtime worked before joining and approved later is not credited either: the
        # work date decides, not how fast the manager approved.
        late = self.overtime(date(2026, 12, 1), 60, employee=self.maria)
        late.with_user(self.approver).action_approve()
        after = self.overtime(date(2026, 12, 4), 45, employee=self.maria)
        after.with_user(self.approver).action_approve()
        self.assertEqual(self.credited_dates(), [JOINED, date(2026, 12, 4)])
        self.assertEqual(self.state(late), ("not_credited", why))
        self.assertEqual(self.balance(self.maria), 135)
        self.assertEqual(self.filtered("not_credited"), before | late)
        self.assertEqual(self.filtered("credited"), on_the_day | after)
        # The approver (attendance, not HR) reads the reason on the line as well.
        self.assertEqual(before.with_user(self.approver).read(["cto_note"])[0]["cto_note"],
                         why)

    # ------------------------------------------------------------------ back to the period
    def test_period_start_credits_the_month_once_when_joining(self):
        self.env["res.config.settings"].create({"cto_backdate": "period_start"}).execute()
        self.assertEqual(self.company.cto_backdate, "period_start")
        november = self.approved(date(2026, 11, 27))
        first = self.approved(date(2026, 12, 1), 30)
        refused = self.overtime(date(2026, 12, 2), 60, kind="rest_day", employee=self.maria)
        second = self.approved(JOINED, 120)
        refused.with_user(self.approver).action_refuse("not authorised")
        self.join()
        self.assertEqual(self.credited_dates(), [date(2026, 12, 1), JOINED])
        entries = self.entries(self.maria)
        self.assertEqual(entries.mapped("ref"), [
            f"ot:{self.maria.id}:2026-12-01:workday:v1",
            f"ot:{self.maria.id}:2026-12-03:workday:v1"], "the key of any credit")
        self.assertEqual(entries.mapped("reason"),
                         ["Approved overtime, credited on joining the CTO bank"] * 2)
        self.assertEqual(self.lots(self.maria).mapped("earned_date"), [date(2026, 12, 1), JOINED])
        self.assertEqual(self.balance(self.maria), 150)
        self.assertEqual(self.state(first)[0], "credited")
        self.assertEqual(self.state(second)[0], "credited")
        self.assertEqual(self.state(refused), (False, False))
        self.assertEqual(self.state(november), (
            "not_credited", "Not credited: Maria Santos joined the CTO bank on 3 Dec 2026; "
            "overtime is credited back to 1 Dec 2026 only."))
        # Once: joining again, syncing or approving again credits nothing more.
        self.maria.cto_enabled = False
        self.join()
        self.maria._cto_join(dated=True)
        (first | second)._cto_sync()
        second.with_user(self.approver).action_approve()
        self.assertEqual(len(self.entries(self.maria)), 2)
        self.assertEqual(self.balance(self.maria), 150)

    # ------------------------------------------------------------------ other reasons
    def test_cap_cut_says_what_was_not_credited(self):
        self.join(date(2026, 11, 1))
        self.company.write({"cto_monthly_cap_minutes": 60})
        partly = self.approved(date(2026, 11, 9), 90)
        fully = self.approved(date(2026, 11, 10), 30)
        self.assertEqual(self.state(partly), (
            "credited", "Credited 1:00; 0:30 over the cap was not credited."))
        self.assertEqual(self.state(fully), (
            "not_credited",
            "Not credited: the monthly CTO cap for November 2026 was already reached."))
        self.assertEqual(self.filtered("not_credited"), fully)

    def test_filters_and_field_search(self):
        self.join()
        credited = self.approved(JOINED)
        not_credited = self.approved(date(2026, 12, 2))
        waiting = self.overtime(date(2026, 12, 4), 60, employee=self.maria)
        Line = self.env["zk.overtime.line"]
        mine = [("employee_id", "=", self.maria.id)]
        self.assertEqual(Line.search(mine + [("cto_state", "!=", "credited")]),
                         not_credited | waiting)
        self.assertEqual(Line.search(mine + [("cto_state", "=", False)]), waiting)
        self.assertEqual(Line.search(mine + [("cto_state", "!=", False)]),
                         credited | not_credited)
        search_view = self.env["ir.ui.view"].search([
            ("model", "=", "zk.overtime.line"), ("type", "=", "search"),
            ("inherit_id", "=", False)])
        arch = Line.get_views([(search_view.id, "search")])["views"]["search"]["arch"]
        self.assertIn('name="cto_not_credited"', arch)
