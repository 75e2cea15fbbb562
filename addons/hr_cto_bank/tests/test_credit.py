from datetime import timedelta

from odoo.tests import tagged

from .common import CtoCase, next_weekday


@tagged("post_install", "-at_install")
class TestCredit(CtoCase):
    """C1, C2, C4-C6 and C10 reversals from hr_zk_attendance's overtime lines."""

    def test_c1_only_approved_lines_credit(self):
        day = self.today - timedelta(days=10)
        waiting = self.overtime(day, 90)
        refused = self.overtime(day - timedelta(days=1), 60)
        refused.with_user(self.approver).action_refuse("no office order")
        self.assertFalse(self.lots(), "to_approve and refused lines earn nothing (C1)")
        # The approver has no right on the bank: crediting does not depend on it.
        waiting.with_user(self.approver).action_approve()
        lot = self.lots()
        self.assertEqual((lot.lot, lot.credited, lot.remaining, lot.earned_date),
                         ("L1", 90, 90, day))
        entry = self.entries()
        self.assertEqual((entry.seq, entry.type, entry.minutes, entry.raw_minutes,
                          entry.balance_after, entry.actor),
                         (1, "earn", 90, 90, 90, "cto_att_admin"))
        self.assertEqual(entry.ref, f"ot:{self.employee.id}:{day}:workday:v1")
        self.assertEqual(self.balance(), 90)

    def test_c1_employee_not_in_the_bank_earns_nothing(self):
        self.other.cto_enabled = False
        self.overtime(self.today - timedelta(days=3), 120, status="approved",
                      employee=self.other)
        self.assertFalse(self.lots(self.other))

    def test_c1_idempotent_approving_twice_and_resyncing(self):
        line = self.overtime(self.today - timedelta(days=5), 90)
        line.with_user(self.approver).action_approve()
        line.with_user(self.approver).action_approve()
        line._cto_sync()
        line.record_id.line_ids._cto_sync()
        self.assertEqual(len(self.entries()), 1)
        self.assertEqual(len(self.lots()), 1)
        self.assertEqual(self.env["hr.cto.credit"].search_count(
            [("employee_id", "=", self.employee.id)]), 1)
        self.assertEqual(self.balance(), 90)

    def test_c2_rest_day_rate_exact(self):
        self.overtime(self.today - timedelta(days=4), 41, kind="rest_day", status="approved")
        # 41 x 1.5 = 61.5 -> 61, never 61.49999...
        self.assertEqual(self.lots().credited, 61)
        self.assertEqual(self.entries().raw_minutes, 61)

    def test_c4_c6_monthly_cap_cut_is_logged_never_credited_later(self):
        first = (self.today.replace(day=1) - timedelta(days=1)).replace(day=1)
        self.overtime(first, 2000, status="approved")
        self.overtime(first + timedelta(days=1), 600, status="approved")
        self.assertEqual(self.lots().mapped("credited"), [2000, 400])
        cap = self.entries().filtered(lambda e: e.type == "cap_monthly")
        self.assertEqual((cap.minutes, cap.uncredited_minutes, cap.lot), (0, 200, False))
        self.assertEqual(self.balance(), 2400)
        # A third line of the same month earns nothing more; the cut is logged again.
        self.overtime(first + timedelta(days=2), 30, status="approved")
        self.assertEqual(self.balance(), 2400)
        self.assertEqual(len(self.lots()), 2)

    def test_c5_balance_cap(self):
        self.company.write({"cto_balance_cap_minutes": 500})
        self.overtime(self.today - timedelta(days=8), 400, status="approved")
        self.overtime(self.today - timedelta(days=7), 300, status="approved")
        self.assertEqual(self.lots().mapped("credited"), [400, 100])
        cut = self.entries().filtered(lambda e: e.type == "cap_balance")
        self.assertEqual(cut.uncredited_minutes, 200)
        self.assertEqual(self.balance(), 500)

    def test_c10_refused_after_approval_reverses(self):
        line = self.overtime(self.today - timedelta(days=6), 90)
        line.with_user(self.approver).action_approve()
        line.with_user(self.approver).action_refuse("approved by mistake")
        reverse = self.entries()[-1]
        self.assertEqual((reverse.type, reverse.minutes, reverse.shortfall_minutes,
                          reverse.balance_after, reverse.date),
                         ("reverse", -90, 0, 0, self.today))
        self.assertEqual(self.balance(), 0)
        credit = self.env["hr.cto.credit"].search([("employee_id", "=", self.employee.id)])
        self.assertEqual(credit.state, "revoked")
        # Approved again (same line version): credited again under a new key, once.
        line.with_user(self.approver).action_approve()
        line.with_user(self.approver).action_approve()
        self.assertEqual(self.balance(), 90)
        self.assertEqual(self.lots().mapped("ref"), [credit.ref, f"{credit.ref}.2"])

    def test_c10_approve_less_after_approval_recredits_the_new_minutes(self):
        line = self.overtime(self.today - timedelta(days=6), 90)
        line.with_user(self.approver).action_approve()
        line.with_user(self.approver).action_approve_less(45, "only 45 authorised")
        self.assertEqual(self.entries().mapped("type"), ["earn", "reverse", "earn"])
        self.assertEqual(self.balance(), 45)

    def test_c10_hook_reversal_after_use_records_the_shortfall(self):
        day = self.today - timedelta(days=9)
        line = self.overtime(day, 480, status="approved")
        monday = next_weekday(0, self.today)  # spend 240 of the 480 on a 4-hour CTO leave
        leave = self.cto_leave(monday, hours=(8.0, 12.0))
        leave.action_approve()
        self.assertEqual(self.balance(), 240)
        record = line.record_id
        previous = [{"kind": "workday", "minutes": 480, "status": "approved",
                     "approved_minutes": 480}]
        record._zk_overtime_revoked(previous, ("workday",))
        reverse = self.entries()[-1]
        self.assertEqual((reverse.type, reverse.minutes, reverse.shortfall_minutes,
                          reverse.balance_after), ("reverse", -240, 240, 0))
        self.assertEqual(self.balance(), 0)
        # Never negative: cancelling the leave gives 240 back to the reversed lot, which
        # closes again at once and lowers the shortfall (C10).
        leave.action_refuse()
        self.assertEqual(self.balance(), 0)
        self.assertEqual(self.entries()[-1].shortfall_minutes, -240)


@tagged("post_install", "-at_install")
class TestCreditFromPunches(CtoCase):
    """End to end through hr_zk_attendance: punches -> day -> approval -> credit -> E9.3."""

    def test_e9_3_recompute_reverses_and_new_version_credits_once(self):
        monday = next_weekday(0, self.today - timedelta(days=8))
        self.import_events([self.event(100 + n, "0042", f"{monday} {t}", s)
                            for n, (t, s) in enumerate((("08:00:00", 0), ("18:30:00", 1)))])
        Record = self.env["zk.daily.record"]
        Record.sudo()._compute_range(self.employee, monday, monday)
        record = Record.search([("employee_id", "=", self.employee.id),
                                ("work_date", "=", monday)])
        record.line_ids.with_user(self.approver).action_approve()
        self.assertEqual(self.balance(), 90)
        wrong = self.env["zk.punch"].search([("employee_id", "=", self.employee.id),
                                             ("local_time", "like", "% 18:30:00")])
        adjustment = self.env["zk.adjustment"].create({
            "employee_id": self.employee.id, "direction": "out", "reason": "Stayed for audit",
            "punch_time": f"{monday} 11:30:00", "replaced_punch_id": wrong.id,
        })
        adjustment.action_submit()
        adjustment.with_user(self.approver).action_approve()
        record.invalidate_recordset()
        self.assertEqual(record.version, 2)
        self.assertEqual((record.line_ids.minutes, record.line_ids.status), (150, "to_approve"))
        self.assertEqual(self.entries().mapped("type"), ["earn", "reverse"])
        self.assertEqual(self.balance(), 0)
        record.line_ids.with_user(self.approver).action_approve()
        self.assertEqual(self.balance(), 150)
        self.assertEqual(self.lots()[-1].ref, f"ot:{self.employee.id}:{monday}:workday:v2")
        # Recomputing an unchanged day keeps the approved decision: no second credit.
        Record.sudo()._compute_range(self.employee, monday, monday)
        self.assertEqual(len(self.entries()), 3)
