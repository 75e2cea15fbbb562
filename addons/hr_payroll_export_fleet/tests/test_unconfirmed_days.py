from datetime import date

from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestUnconfirmedDays(TransactionCase):
    """Issue 17: a payroll batch to issue lists the terminal-days of its period that were
    not confirmed complete (a warning, not a block), when the company asks for it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seed(cls)

    @staticmethod
    def seed(cls):
        """Shared with the tour: a terminal with two unconfirmed days in March 1-15."""
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.device = cls.env["zk.device"].create({
            "serial": "PAYFLEET01", "name": "Gate", "timezone": "Asia/Manila",
            "connection": "direct", "address": "192.0.2.10"})
        Day = cls.env["zk.device.day"]
        cls.unanswered = Day.create({"device_id": cls.device.id, "day": date(2025, 3, 5),
                                     "state": "not_answered", "reason": "refused"})
        cls.offline = Day.create({"device_id": cls.device.id, "day": date(2025, 3, 6),
                                  "state": "terminal_offline"})
        Day.create({"device_id": cls.device.id, "day": date(2025, 3, 7), "state": "confirmed"})
        Day.create({"device_id": cls.device.id, "day": date(2025, 2, 27),
                    "state": "not_answered"})  # another period
        cls.officer = new_test_user(cls.env, "payfleet", groups=(
            "base.group_user,hr_payroll_export.group_payroll_officer"))

    def batch(self, env=None):
        return (env or self.env)["payroll.export.batch"].create({
            "company_id": self.company.id, "period_start": date(2025, 3, 1),
            "period_end": date(2025, 3, 15)})

    def test_batch_lists_unconfirmed_days_of_its_period(self):
        batch = self.batch()
        self.assertEqual(batch.fleet_day_ids, self.unanswered | self.offline)
        self.assertEqual(batch.fleet_day_count, 2)

    def test_payroll_officer_sees_the_warning_without_attendance_rights(self):
        batch = self.batch(self.env(user=self.officer))
        self.assertEqual([d.device_id.display_name for d in batch.fleet_day_ids],
                         ["Gate (PAYFLEET01)"] * 2)
        action = batch.action_view_fleet_days()
        self.assertEqual(action["domain"], [("id", "in", (self.unanswered | self.offline).ids)])

    def test_setting_off_shows_nothing(self):
        self.company.zk_warn_unconfirmed_days = False
        self.assertFalse(self.batch().fleet_day_ids)

    def test_confirmed_after_all_clears_the_warning(self):
        batch = self.batch()
        (self.unanswered | self.offline).write({"state": "gaps_filled"})
        batch.invalidate_recordset(["fleet_day_ids", "fleet_day_count"])
        self.assertFalse(batch.fleet_day_ids)
