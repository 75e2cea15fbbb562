from datetime import date, timedelta

from odoo.tests import new_test_user

from odoo.addons.hr_zk_attendance.tests.common import ZkCase, office_calendar

# In the bank long before any overtime these tests write (joining is tested on its own).
LONG_AGO = date(2000, 1, 1)


def next_weekday(weekday, after):
    """The first date with this weekday (0 = Monday) strictly after `after`."""
    delta = (weekday - after.weekday()) % 7 or 7
    return after + timedelta(days=delta)


class CtoCase(ZkCase):
    """hr_zk_attendance's fixtures (relay, terminal, employee Ana mapped to PIN 0042) plus an
    office calendar, the CTO bank switched on for Ana, and users per group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.calendar = office_calendar(cls.env)
        cls.company.resource_calendar_id = cls.calendar
        cls.employee_user = new_test_user(cls.env, "cto_ana", groups="base.group_user")
        cls.employee.write({"resource_calendar_id": cls.calendar.id, "cto_enabled": True,
                            "cto_enabled_since": LONG_AGO, "user_id": cls.employee_user.id})
        cls.other = cls.env["hr.employee"].create({
            "name": "Ben Cruz", "tz": "Asia/Manila", "resource_calendar_id": cls.calendar.id,
            "cto_enabled": True, "cto_enabled_since": LONG_AGO})
        cls.approver = new_test_user(
            cls.env, "cto_att_admin",
            groups="base.group_user,hr_attendance.group_hr_attendance_manager")
        cls.officer = new_test_user(
            cls.env, "cto_officer",
            groups="base.group_user,hr_attendance.group_hr_attendance_officer")
        cls.leave_type = cls.env.ref("hr_cto_bank.leave_type_cto")
        cls.bank = cls.env["hr.cto.bank"]
        cls.today = cls.company._cto_today()

    # ------------------------------------------------------------------ helpers
    def overtime(self, work_date, minutes, kind="workday", status="to_approve", employee=None,
                 approved=None):
        """A day of hr_zk_attendance with one overtime line (as its engine stores it)."""
        record = self.env["zk.daily.record"].create({
            "employee_id": (employee or self.employee).id, "work_date": work_date,
            "line_ids": [(0, 0, {"kind": kind, "minutes": minutes, "status": status,
                                 "approved_minutes": approved if approved is not None
                                 else (minutes if status == "approved" else 0)})],
        })
        return record.line_ids

    def lots(self, employee=None):
        return self.env["hr.cto.lot"].search([("employee_id", "=", (employee or self.employee).id)],
                                             order="id")

    def entries(self, employee=None):
        return self.env["hr.cto.ledger.entry"].search(
            [("employee_id", "=", (employee or self.employee).id)], order="seq")

    def balance(self, employee=None):
        employee = employee or self.employee
        employee.invalidate_recordset(["cto_balance_minutes"])
        return employee.cto_balance_minutes

    def cto_leave(self, day, last=None, hours=None, employee=None):
        vals = {"name": "CTO", "employee_id": (employee or self.employee).id,
                "holiday_status_id": self.leave_type.id, "request_date_from": day,
                "request_date_to": last or day}
        if hours:
            vals.update(request_unit_hours=True, request_hour_from=hours[0],
                        request_hour_to=hours[1])
        return self.env["hr.leave"].create(vals)
