from datetime import date, datetime, time, timedelta

from odoo.tests import new_test_user

from odoo.addons.hr_cto_bank.tests.common import next_weekday
from odoo.addons.hr_payroll_export_cto.tests.common import PayrollCtoCase


def at(day, hhmm):
    """Manila (UTC+8, no DST) local `day` `hhmm` as the naive UTC datetime Odoo stores."""
    local = datetime.combine(day, time.fromisoformat(hhmm))
    return local - timedelta(hours=8)


class WorkEntryCase(PayrollCtoCase):
    """The payroll and CTO fixtures' company (08-17 Manila calendar, semi-monthly periods,
    payroll users; the week's story has a CTO leave, so these tests need hr_cto_bank) with
    Ana on a running contract whose work entries come from the daily records, and a week of
    stories starting three weeks ago on a Monday."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"zk_work_entry_deduct_late": True,
                           "zk_work_entry_deduct_undertime": True})
        cls.contract = cls.env["hr.contract"].create({
            "name": "Ana Reyes", "employee_id": cls.employee.id, "wage": 30000,
            "date_start": date(2020, 1, 1), "state": "open",
            "resource_calendar_id": cls.calendar.id, "work_entry_source": "zk_daily",
        })
        cls.zk_manager = new_test_user(
            cls.env, "zk_we_manager",
            groups="base.group_user,hr_zk_attendance.group_zk_manager")
        cls.monday = next_weekday(0, cls.today - timedelta(days=28))
        cls.days = [cls.monday + timedelta(days=n) for n in range(8)]
        cls.next_event = 1000

    def punch(self, day, *times):
        """(HH:MM, status) punches of Ana on the terminal, day given; "+1 HH:MM" is the next
        day."""
        events = []
        for hhmm, status in times:
            local_day = day
            if hhmm.startswith("+1 "):
                local_day, hhmm = day + timedelta(days=1), hhmm[3:]
            self.__class__.next_event += 1
            events.append(self.event(self.next_event, "0042", f"{local_day} {hhmm}:00", status))
        self.import_events(events)

    def compute(self, first=None, last=None):
        self.env["zk.daily.record"]._compute_range(self.employee, first or self.days[0],
                                                    last or self.days[-1])

    def record(self, day):
        return self.env["zk.daily.record"].search([("employee_id", "=", self.employee.id),
                                                   ("work_date", "=", day)])

    def entries(self, day, active=True):
        """Ana's work entries that start on the local `day`: (code, start, stop, minutes)."""
        found = self.env["hr.work.entry"].with_context(active_test=False).search([
            ("employee_id", "=", self.employee.id), ("active", "=", active),
            ("date_start", ">=", at(day, "00:00")),
            ("date_start", "<", at(day + timedelta(days=1), "00:00"))], order="date_start")
        return [(e.work_entry_type_id.code, e.date_start, e.date_stop,
                 round(e.duration * 60)) for e in found]

    def holiday(self, day, kind="regular"):
        return self.env["resource.calendar.leaves"].create({
            "name": "Founders' day", "date_from": at(day, "00:00"),
            "date_to": at(day, "23:59"), "resource_id": False, "calendar_id": False,
            "company_id": self.company.id, "zk_holiday_kind": kind})

    def week_of_stories(self):
        """Mon late 08:20; Tue overtime to 19:00 approved; Wed overtime to 18:30 refused; Thu
        a regular holiday worked 08-17 (approved); Fri a CTO leave; Sat a night shift 20:00 to
        Sun 03:30 (approved); next Mon a forgotten check-out corrected by adjustment."""
        mon, tue, wed, thu, fri, sat, _sun, mon2 = self.days
        # CTO earned long before (kept out of the pay periods of the week) pays Friday's leave.
        self.overtime(self.monday - timedelta(days=75), 600, status="approved")
        self.holiday(thu)
        self.punch(mon, ("08:20", 0), ("12:00", 1), ("13:00", 0), ("17:00", 1))
        self.punch(tue, ("08:00", 0), ("12:00", 1), ("13:00", 0), ("19:00", 1))
        self.punch(wed, ("08:00", 0), ("12:00", 1), ("13:00", 0), ("18:30", 1))
        self.punch(thu, ("08:00", 0), ("12:00", 1), ("13:00", 0), ("17:00", 1))
        self.punch(sat, ("20:00", 0), ("+1 03:30", 1))
        self.punch(mon2, ("08:00", 0))
        self.compute()
        self.record(tue).line_ids.with_user(self.approver).action_approve()
        self.record(wed).line_ids.with_user(self.approver).action_refuse("not ordered")
        self.record(thu).line_ids.with_user(self.approver).action_approve()
        self.record(sat).line_ids.with_user(self.approver).action_approve()
        leave = self.cto_leave(fri)
        leave.action_approve()
        if leave.state != "validate":
            leave.action_validate()
        adjustment = self.env["zk.adjustment"].create({
            "employee_id": self.employee.id, "direction": "out", "reason": "Forgot to punch",
            "punch_time": at(mon2, "17:00")})
        adjustment.action_submit()
        adjustment.with_user(self.approver).action_approve()
        return leave
