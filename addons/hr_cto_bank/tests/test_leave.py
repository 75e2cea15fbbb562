from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CtoCase, next_weekday


@tagged("post_install", "-at_install")
class TestCtoLeave(CtoCase):
    """C9 usage through the CTO leave type, C10 cancellation."""

    def setUp(self):
        super().setUp()
        self.monday = next_weekday(0, self.today + timedelta(days=7))
        # Two lots: L1 earned earlier (expires first), L2 later.
        self.overtime(self.today - timedelta(days=60), 300, status="approved")
        self.overtime(self.today - timedelta(days=30), 300, status="approved")

    def test_mapping_of_leaves_to_dates_and_minutes(self):
        four = self.cto_leave(self.monday, hours=(8.0, 12.0))
        self.assertEqual(four._cto_request(), ([self.monday], 240))
        days = self.cto_leave(self.monday + timedelta(days=1),
                              last=self.monday + timedelta(days=2))
        self.assertEqual(days._cto_request(), (
            [self.monday + timedelta(days=1), self.monday + timedelta(days=2)], 480))
        # Saturday and Sunday are not working days of the schedule: not debited.
        week = self.cto_leave(self.monday + timedelta(days=4), last=self.monday + timedelta(days=7))
        self.assertEqual(week._cto_request()[0],
                         [self.monday + timedelta(days=4), self.monday + timedelta(days=7)])

    def test_c9_approval_debits_fifo_by_expiry(self):
        leave = self.cto_leave(self.monday)
        leave.action_approve()
        self.assertEqual(leave.state, "validate")
        uses = self.entries().filtered(lambda e: e.type == "use")
        self.assertEqual([(u.lot, u.minutes, u.date, u.ref) for u in uses], [
            ("L1", -300, self.monday, f"leave:{leave.id}"),
            ("L2", -180, self.monday, f"leave:{leave.id}")])
        self.assertEqual(self.lots().mapped("remaining"), [0, 120])
        self.assertEqual(self.balance(), 120)

    def test_c9_refused_when_it_would_overdraw_nothing_debited(self):
        self.cto_leave(self.monday).action_approve()  # 480 of 600
        leave = self.cto_leave(self.monday + timedelta(days=1), hours=(8.0, 12.0))
        with self.assertRaisesRegex(ValidationError, "does not cover the request"):
            leave.action_approve()
        self.assertEqual(self.balance(), 120)
        self.assertFalse(self.entries().filtered(lambda e: e.ref == f"leave:{leave.id}"))

    def test_c9_refused_when_not_a_block(self):
        leave = self.cto_leave(self.monday, hours=(8.0, 11.0))
        with self.assertRaisesRegex(ValidationError, "whole blocks of 240/480 minutes"):
            leave.action_approve()
        self.assertEqual(self.balance(), 600)

    def test_c9_refused_when_too_many_days(self):
        leave = self.cto_leave(self.monday, last=self.monday + timedelta(days=7))  # 6 workdays
        with self.assertRaisesRegex(ValidationError, "at most 5 days"):
            leave.action_approve()
        self.assertEqual(self.balance(), 600)

    def test_c10_refusing_an_approved_leave_gives_the_minutes_back(self):
        leave = self.cto_leave(self.monday)
        leave.action_approve()
        leave.action_refuse()
        cancels = self.entries().filtered(lambda e: e.type == "use_cancel")
        self.assertEqual([(c.lot, c.minutes, c.date) for c in cancels],
                         [("L1", 300, self.today), ("L2", 180, self.today)])
        self.assertEqual(self.lots().mapped("remaining"), [300, 300])
        self.assertEqual(self.balance(), 600)

    def test_c10_cancelling_an_approved_leave_gives_the_minutes_back(self):
        leave = self.cto_leave(self.monday, hours=(13.0, 17.0))
        leave.action_approve()
        self.assertEqual(self.balance(), 360)
        leave._force_cancel("plans changed")
        self.assertEqual(leave.state, "cancel")
        self.assertEqual(self.balance(), 600)
        # The same leave approved again after a reset debits again, once.
        leave.action_reset_confirm()
        leave.action_approve()
        self.assertEqual(self.balance(), 360)
