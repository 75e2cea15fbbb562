from datetime import timedelta

from odoo.tests import new_test_user, tagged
from odoo.tools import format_date

from .common import CtoCase, next_weekday


@tagged("post_install", "-at_install")
class TestTimeOffBalance(CtoCase):
    """The bank's balance where Odoo users look for it: the Time Off dashboard card of the CTO
    type and the type's name in a request, read from the lots (no allocation)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.time_off_officer = new_test_user(
            cls.env, "cto_time_off_officer",
            groups="base.group_user,hr_holidays.group_hr_holidays_user")

    def setUp(self):
        super().setUp()
        self.overtime(self.today - timedelta(days=30), 300, status="approved")  # 5:00
        self.overtime(self.today - timedelta(days=10), 150, status="approved")  # 2:30

    def card(self, user=None, **context):
        """The CTO item of the dashboard's data, as the dashboard asks for it (or None)."""
        LeaveType = self.env["hr.leave.type"].with_user(user or self.employee_user)
        items = LeaveType.with_context(from_dashboard=True, allowed_company_ids=self.company.ids,
                                       **context).get_allocation_data_request(self.today, False)
        found = [item for item in items if item[3] == self.leave_type.id]
        self.assertLessEqual(len(found), 1)
        return found[0] if found else None

    def test_card_shows_the_bank_balance_in_hours(self):
        name, data, requires_allocation, type_id = self.card()
        self.assertEqual((name, type_id), ("Compensatory Time-Off (CTO)", self.leave_type.id))
        self.assertEqual(requires_allocation, "yes", "read as hours available, not taken")
        self.assertEqual(self.balance(), 450)
        self.assertEqual((data["virtual_remaining_leaves"], data["max_leaves"]), (7.5, 7.5))
        self.assertEqual((data["request_unit"], data["cto_bank"]), ("hour", True))
        first = self.lots()[0]
        self.assertEqual(data["closest_allocation_expire"], format_date(self.env,
                                                                         first.valid_until))
        self.assertEqual(data["closest_allocation_remaining"], 5.0)
        self.assertFalse(self.leave_type.allocation_count, "no allocation duplicates it")
        # The computed fields hr_holidays reads (sorting, request form) agree.
        leave_type = self.leave_type.with_user(self.employee_user).with_context(
            employee_id=self.employee.id)
        self.assertEqual(leave_type.virtual_remaining_leaves, 7.5)

    def test_card_follows_the_bank_approval_debits(self):
        monday = next_weekday(0, self.today + timedelta(days=7))
        leave = self.cto_leave(monday, hours=(8.0, 12.0))
        self.assertEqual(self.card()[1]["virtual_remaining_leaves"], 7.5,
                         "a request waiting for approval has not been debited")
        leave.action_approve()
        self.assertEqual(self.balance(), 210)
        self.assertEqual(self.card()[1]["virtual_remaining_leaves"], 3.5)

    def test_card_leaves_out_lots_no_longer_valid(self):
        """A lot past its validity is not usable, even before the daily expiry wrote it off."""
        self.overtime(self.today - timedelta(days=400), 60, status="approved")
        self.assertEqual(self.balance(), 510)
        self.assertEqual(self.card()[1]["virtual_remaining_leaves"], 7.5)
        self.env["hr.cto.lot"]._cron_expire()
        self.assertEqual(self.balance(), 450)

    def test_request_form_names_the_remaining_hours(self):
        leave_type = self.leave_type.with_user(self.employee_user)
        self.assertEqual(leave_type.with_context(employee_id=self.employee.id).display_name,
                         "Compensatory Time-Off (CTO) (7.5 hours remaining)")
        self.assertEqual(leave_type.display_name, "Compensatory Time-Off (CTO)")
        self.assertEqual(leave_type.with_context(employee_id=self.employee.id,
                                                 request_type="allocation").display_name,
                         "Compensatory Time-Off (CTO)")

    def test_employee_never_sees_a_colleague_balance(self):
        self.overtime(self.today - timedelta(days=3), 120, status="approved",
                      employee=self.other)
        self.assertIsNone(self.card(employee_id=self.other.id))
        self.assertEqual(self.leave_type.with_user(self.employee_user).with_context(
            employee_id=self.other.id).display_name, "Compensatory Time-Off (CTO)")
        # A time off officer sees it.
        self.assertEqual(self.card(self.time_off_officer, employee_id=self.other.id)[1][
            "virtual_remaining_leaves"], 2.0)

    def test_no_card_outside_the_bank_an_empty_one_inside(self):
        outsider = self.env["hr.employee"].create({"name": "Dina Lim"})
        self.assertIsNone(self.card(self.time_off_officer, employee_id=outsider.id))
        self.assertEqual(self.leave_type.with_user(self.time_off_officer).with_context(
            employee_id=outsider.id).display_name, "Compensatory Time-Off (CTO)")
        # In the bank without credit yet: 0 hours, no expiry.
        _, data, _, _ = self.card(self.time_off_officer, employee_id=self.other.id)
        self.assertEqual((data["virtual_remaining_leaves"], data["closest_allocation_expire"]),
                         (0, False))
        # Switched off with time left: still shown (the hours are still theirs).
        self.employee.cto_enabled = False
        self.assertEqual(self.card()[1]["virtual_remaining_leaves"], 7.5)

    def test_types_with_allocations_are_left_to_hr_holidays(self):
        other_type = self.env["hr.leave.type"].create({
            "name": "Vacation", "requires_allocation": "yes", "request_unit": "day",
            "cto_bank": True})
        self.env["hr.leave.allocation"].create({
            "name": "Vacation", "employee_id": self.employee.id,
            "holiday_status_id": other_type.id, "number_of_days": 3,
            "date_from": self.today - timedelta(days=40)}).action_approve()
        items = self.env["hr.leave.type"].with_context(
            employee_id=self.employee.id, allowed_company_ids=self.company.ids,
        ).get_allocation_data_request(self.today, False)
        vacation = [item for item in items if item[3] == other_type.id]
        self.assertEqual(len(vacation), 1, "one card, hr_holidays' own")
        self.assertEqual(vacation[0][1]["virtual_remaining_leaves"], 3)
        self.assertNotIn("cto_bank", vacation[0][1])
