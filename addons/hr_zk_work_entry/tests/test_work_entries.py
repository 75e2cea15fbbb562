from datetime import date, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WorkEntryCase, at


@tagged("post_install", "-at_install")
class TestWorkEntriesFromDays(WorkEntryCase):
    """Issue 21: work entries made from the daily records, on Odoo 18 Community."""

    def test_week_of_stories_gives_the_exact_work_entries(self):
        """E8.7 late, E9.1 approved/refused overtime, E8.11/E8.13 night shift across midnight
        on a rest day, E4.1 holiday worked, CTO leave (Odoo's leave entries), a forgotten
        check-out corrected by adjustment."""
        self.week_of_stories()
        mon, tue, wed, thu, fri, sat, sun, mon2 = self.days
        self.assertEqual(self.entries(mon), [
            ("ZKLATE", at(mon, "08:00"), at(mon, "08:20"), 20),
            ("WORK100", at(mon, "08:20"), at(mon, "12:00"), 220),
            ("WORK100", at(mon, "13:00"), at(mon, "17:00"), 240),
        ])
        self.assertEqual(self.entries(tue), [
            ("WORK100", at(tue, "08:00"), at(tue, "12:00"), 240),
            ("WORK100", at(tue, "13:00"), at(tue, "17:00"), 240),
            ("ZKOTWD", at(tue, "17:00"), at(tue, "19:00"), 120),
        ])
        self.assertEqual(self.entries(wed), [
            ("WORK100", at(wed, "08:00"), at(wed, "12:00"), 240),
            ("WORK100", at(wed, "13:00"), at(wed, "17:00"), 240),
            ("ZKOTNA", at(wed, "17:00"), at(wed, "18:30"), 90),
        ])
        # The public holiday's own leave entry gives way to the hours worked on it.
        self.assertEqual(self.entries(thu), [
            ("ZKOTHR", at(thu, "08:00"), at(thu, "12:00"), 240),
            ("ZKOTHR", at(thu, "13:00"), at(thu, "17:00"), 240),
        ])
        self.assertEqual(self.entries(fri), [
            ("LEAVE105", at(fri, "08:00"), at(fri, "12:00"), 240),
            ("LEAVE105", at(fri, "13:00"), at(fri, "17:00"), 240),
        ])
        # 20:00-03:30 on a rest day: 450 min less the 60-minute unpunched break out of the
        # middle (23:15-00:15) = 390 of overtime, cut at midnight; 286 night minutes (E8.13:
        # 330 in the window less 60 x 330 / 450) labelled night, the break share moving 16
        # minutes of the label before 22:00.
        record = self.record(sat)
        self.assertEqual((record.overtime_rest_day, record.night_minutes), (390, 286))
        self.assertEqual(self.entries(sat), [
            ("ZKOTRD", at(sat, "20:00"), at(sat, "21:44"), 104),
            ("ZKOTRDN", at(sat, "21:44"), at(sat, "23:15"), 91),
        ])
        self.assertEqual(self.entries(sun), [
            ("ZKOTRDN", at(sun, "00:15"), at(sun, "03:30"), 195),
        ])
        self.assertEqual(self.entries(mon2), [
            ("WORK100", at(mon2, "08:00"), at(mon2, "12:00"), 240),
            ("WORK100", at(mon2, "13:00"), at(mon2, "17:00"), 240),
        ])
        leave_entries = self.env["hr.work.entry"].search(
            [("employee_id", "=", self.employee.id), ("leave_id", "!=", False)])
        self.assertEqual(leave_entries.leave_id.holiday_status_id, self.leave_type)
        ours = self.env["hr.work.entry"].search([("employee_id", "=", self.employee.id),
                                                 ("zk_record_id", "!=", False)])
        self.assertEqual(set(ours.zk_record_id.mapped("work_date")),
                         {mon, tue, wed, thu, sat, mon2})

    def test_conflict_view_shows_nothing_for_days_we_own(self):
        self.week_of_stories()
        everything = self.env["hr.work.entry"].search([("employee_id", "=", self.employee.id)])
        self.assertTrue(everything)
        self.assertFalse(everything.filtered(lambda e: e.state == "conflict"))
        self.assertFalse(everything._check_if_error(), "no overlap, no undefined type")

    def test_forgotten_check_out_has_no_entry_until_corrected(self):
        mon2 = self.days[-1]
        self.punch(mon2, ("08:00", 0))
        self.compute(mon2, mon2)
        self.assertEqual(self.record(mon2).status, "incomplete")
        self.assertEqual(self.entries(mon2), [])

    def test_regeneration_after_a_recompute_leaves_no_duplicate(self):
        self.week_of_stories()
        before = {day: self.entries(day) for day in self.days}
        count = self.env["hr.work.entry"].search_count([("employee_id", "=", self.employee.id)])
        records = self.env["zk.daily.record"].search([("employee_id", "=", self.employee.id)])
        self.env["hr.work.entry"]._zk_regenerate(records)
        self.env["hr.work.entry"]._zk_regenerate(records)
        self.compute()
        self.assertEqual({day: self.entries(day) for day in self.days}, before)
        self.assertEqual(
            self.env["hr.work.entry"].search_count([("employee_id", "=", self.employee.id)]),
            count)
        self.assertTrue(self.entries(self.days[1], active=False), "replaced, then archived")

    def test_employees_regenerated_together_get_what_each_gets_alone(self):
        """Issue 22: the scheduled job regenerates a run's employees together (a search, an
        archive and a generation for all whose days span the same instants); each gets the
        entries a regeneration of them alone gave: a night shift into the next day, a locked
        day kept as exported, a day of another span."""
        self.week_of_stories()
        mon, tue, _wed, _thu, _fri, sat, sun, _mon2 = self.days
        ben = self.other
        self.env["hr.contract"].create({
            "name": "Ben Cruz", "employee_id": ben.id, "wage": 30000,
            "date_start": date(2020, 1, 1), "state": "open",
            "resource_calendar_id": self.calendar.id, "work_entry_source": "zk_daily"})
        self.env["zk.device.user"].create({"device_id": self.device.id, "pin": "0043",
                                           "employee_id": ben.id})
        events = []
        for local, status in ((f"{mon} 08:00", 0), (f"{mon} 17:10", 1),
                              (f"{sat} 20:00", 0), (f"{sun} 03:30", 1)):
            self.__class__.next_event += 1
            events.append(self.event(self.next_event, "0043", f"{local}:00", status))
        self.import_events(events)
        self.env["zk.daily.record"]._compute_range(ben, self.days[0], self.days[-1])
        self.record(tue).write({"locked": True})  # exported: its entries stay validated
        Entry = self.env["hr.work.entry"].with_context(active_test=False)

        def entries():
            found = Entry.search([("employee_id", "in", [self.employee.id, ben.id])])
            return sorted((e.employee_id.name, e.work_entry_type_id.id or 0,
                           e.date_start, e.date_stop, e.state, e.active)
                          for e in found if e.active), \
                found.filtered("active")

        alone, before = entries()  # each made by the computation of that employee alone
        self.assertIn(("Ben Cruz", at(sun, "03:30")),
                      {(name, stop) for name, _type, _start, stop, *_rest in alone},
                      "Ben's night shift runs into Sunday")
        records = self.env["zk.daily.record"].search(
            [("employee_id", "in", [self.employee.id, ben.id])])
        self.env["hr.work.entry"]._zk_regenerate(records)
        together, after = entries()
        self.assertEqual(together, alone)
        locked = before.filtered(lambda e: e.zk_record_id == self.record(tue))
        self.assertEqual(set(locked.mapped("state")), {"validated"})
        self.assertEqual(after & locked, locked, "the exported day's entries are the same")
        self.assertFalse((after - locked) & before, "every other entry made again")

    def test_e93_overtime_decision_replaces_the_days_entries(self):
        self.week_of_stories()
        wed = self.days[2]
        line = self.record(wed).line_ids
        line.with_user(self.approver).write({"status": "to_approve"})
        line.with_user(self.approver).action_approve_less(60, "one hour ordered")
        self.assertEqual(self.entries(wed)[2:], [
            ("ZKOTWD", at(wed, "17:00"), at(wed, "18:00"), 60),
            ("ZKOTNA", at(wed, "18:00"), at(wed, "18:30"), 30),
        ])

    def test_refused_leave_gives_the_day_back(self):
        leave = self.week_of_stories()
        fri = self.days[4]
        leave.action_refuse()
        self.assertEqual(self.record(fri).status, "absent")
        self.assertEqual(self.entries(fri), [
            ("ZKABS", at(fri, "08:00"), at(fri, "12:00"), 240),
            ("ZKABS", at(fri, "13:00"), at(fri, "17:00"), 240),
        ])

    def test_locked_day_changes_only_through_the_audited_correction(self):
        self.week_of_stories()
        tue = self.days[1]
        record = self.record(tue)
        record.write({"locked": True})  # as the payroll export does when it issues the file
        locked = self.env["hr.work.entry"].search([("zk_record_id", "=", record.id)])
        self.assertEqual(set(locked.mapped("state")), {"validated"})
        self.punch(tue, ("19:30", 0), ("20:30", 1))
        self.compute(tue, tue)
        self.assertEqual(record.version, 1)
        self.assertEqual(self.env["hr.work.entry"].search([("zk_record_id", "=", record.id)]),
                         locked, "the exported day keeps its entries")
        self.env["hr.work.entry"]._zk_regenerate(record)
        self.assertEqual(self.env["hr.work.entry"].search([("zk_record_id", "=", record.id)]),
                         locked)
        record.with_user(self.zk_manager)._correct("Late punches found after export")
        self.assertEqual(record.version, 2)
        self.assertEqual(self.entries(tue), [
            ("WORK100", at(tue, "08:00"), at(tue, "12:00"), 240),
            ("WORK100", at(tue, "13:00"), at(tue, "17:00"), 240),
            ("ZKOTNA", at(tue, "17:00"), at(tue, "19:00"), 120),
            ("ZKOTNA", at(tue, "19:30"), at(tue, "20:30"), 60),
        ])
        corrected = self.env["hr.work.entry"].search([("zk_record_id", "=", record.id)])
        self.assertEqual(set(corrected.mapped("state")), {"validated"})
        self.assertFalse(corrected & locked)

    def test_settings_without_deductions_make_no_lateness_entry(self):
        self.company.write({"zk_work_entry_deduct_late": False})
        mon = self.days[0]
        self.punch(mon, ("08:20", 0), ("12:00", 1), ("13:00", 0), ("17:00", 1))
        self.compute(mon, mon)
        self.assertEqual([code for code, *_rest in self.entries(mon)], ["WORK100", "WORK100"])

    def test_calendar_contracts_keep_odoos_entries(self):
        self.contract.work_entry_source = "calendar"
        mon = self.days[0]
        self.punch(mon, ("08:20", 0), ("12:00", 1), ("13:00", 0), ("17:00", 1))
        self.compute(mon, mon)
        self.contract.generate_work_entries(mon, mon, force=True)
        entries = self.env["hr.work.entry"].search([("employee_id", "=", self.employee.id)])
        self.assertTrue(entries)
        self.assertFalse(entries.zk_record_id)
        self.assertEqual(set(entries.work_entry_type_id.mapped("code")), {"WORK100"})

    def test_agreement_check_export_equals_work_entries(self):
        self.week_of_stories()
        policy = self.company._payroll_period_policy()
        periods = {policy.period_containing(day) for day in self.days}
        for period in periods:
            batch = self.Batch.create({"company_id": self.company.id,
                                       "period_start": period.start,
                                       "period_end": period.end})
            differences, count = batch._zk_work_entry_check()
            self.assertEqual((differences, count), ([], 1), period)
        # An entry changed by hand is caught, named in words.
        entry = self.env["hr.work.entry"].search([("work_entry_type_id.code", "=", "ZKOTWD")])
        entry.write({"date_stop": entry.date_stop - timedelta(minutes=30)})
        period = policy.period_containing(self.days[1])
        batch = self.Batch.search([("period_start", "=", period.start)])
        differences, _count = batch._zk_work_entry_check()
        self.assertEqual([(e.name, what, a, b) for e, what, a, b in differences],
                         [("Ana Reyes", "Overtime on workdays", 120, 90)])
        ok, message = batch._zk_work_entry_message()
        self.assertFalse(ok)
        self.assertIn("Ana Reyes, Overtime on workdays: 2:00 h in the file, 1:30 h in work "
                      "entries", message)

    def test_agreement_check_of_a_big_company_runs_in_the_job(self):
        """Issue 22: too many employees for one request (here: any), the check goes to the
        scheduled job and its result to the messages, addressed to the person who asked."""
        from odoo.addons.hr_payroll_export.models import payroll_export_check

        self.enterContext(patch.object(payroll_export_check, "CHECK_AT_ONCE_CHUNKS", 0))
        self.week_of_stories()
        entry = self.env["hr.work.entry"].search([("work_entry_type_id.code", "=", "ZKOTWD")])
        entry.write({"date_stop": entry.date_stop - timedelta(minutes=30)})
        period = self.company._payroll_period_policy().period_containing(self.days[1])
        batch = self.Batch.create({"company_id": self.company.id,
                                   "period_start": period.start, "period_end": period.end})
        answer = batch.with_user(self.payroll_officer).action_check_work_entries()
        self.assertEqual(answer["params"]["type"], "info")
        self.assertIn("Checking work entries in the background: 0 of 1 employees compared",
                      batch.check_progress)
        Check = self.env["payroll.export.check"].sudo()
        while Check._cron_run_checks():
            pass
        message = batch.message_ids.sorted("id")[-1]
        self.assertIn("Ana Reyes, Overtime on workdays: 2:00 h in the file, 1:30 h in work "
                      "entries", message.body)
        self.assertIn(self.payroll_officer.partner_id, message.partner_ids)
        self.assertFalse(Check.search([]))

    def test_issued_batch_shows_the_check_in_its_chatter(self):
        self.week_of_stories()
        period = self.company._payroll_period_policy().period_containing(self.days[0])
        batch = self.Batch.create({"company_id": self.company.id,
                                   "period_start": period.start, "period_end": period.end})
        batch._generate(force_reason="days of other weeks are not reviewed in this test")
        self.assertEqual(batch.state, "issued")
        bodies = " ".join(batch.message_ids.mapped("body"))
        self.assertIn("Work entries agree with this payroll file", bodies)
        ours = self.env["hr.work.entry"].search([
            ("zk_record_id.work_date", ">=", period.start),
            ("zk_record_id.work_date", "<=", period.end)])
        self.assertEqual(set(ours.mapped("state")), {"validated"}, "exported days lock")

    def test_payroll_officer_reads_entries_plain_user_does_not(self):
        self.week_of_stories()
        officer_view = self.env["hr.work.entry"].with_user(self.payroll_officer).search(
            [("employee_id", "=", self.employee.id)])
        self.assertTrue(officer_view)
        with self.assertRaises(AccessError):
            self.env["hr.work.entry"].with_user(self.plain_user).search(
                [("employee_id", "=", self.employee.id)])
        with self.assertRaises(AccessError):
            officer_view[:1].with_user(self.payroll_officer).write({"duration": 1.0})

    def test_work_entry_types_exist_for_every_kind(self):
        from zk_rules.work_entries import KIND_CODES

        types = self.env["hr.work.entry"]._zk_types()
        self.assertEqual(set(types), set(KIND_CODES.values()))
        self.assertFalse(any(t.is_leave for t in types.values()))
        self.assertEqual(self.leave_type.work_entry_type_id.code, "LEAVE105")

    def test_export_lock_never_fails_on_entries_in_conflict(self):
        """Time off still to approve over worked hours is Odoo's conflict to resolve; locking
        the exported day validates what it can and leaves the conflict visible."""
        self.week_of_stories()
        tue = self.days[1]
        self.env["hr.leave"].create({
            "name": "Doctor", "employee_id": self.employee.id,
            "holiday_status_id": self.env.ref("hr_holidays.holiday_status_unpaid").id,
            "request_date_from": tue, "request_date_to": tue})
        record = self.record(tue)
        entries = self.env["hr.work.entry"].search([("zk_record_id", "=", record.id)])
        record.write({"locked": True})
        states = {(e.work_entry_type_id.code, e.state) for e in entries}
        self.assertEqual(states, {("WORK100", "conflict"), ("ZKOTWD", "validated")})

    def test_other_company_officer_sees_none_of_these_entries(self):
        self.week_of_stories()
        other = self.env["res.company"].create({"name": "Other branch"})
        officer = self.env["res.users"].create({
            "name": "Other officer", "login": "other_officer", "company_id": other.id,
            "company_ids": [(6, 0, other.ids)],
            "groups_id": [(6, 0, [self.env.ref("base.group_user").id,
                                  self.env.ref("hr_payroll_export.group_payroll_officer").id])]})
        ours = self.env["hr.work.entry"].search([("employee_id", "=", self.employee.id)])
        self.assertTrue(ours)
        self.assertFalse(self.env["hr.work.entry"].with_user(officer).search(
            [("id", "in", ours.ids)]))
        with self.assertRaises(AccessError):
            ours[:1].with_user(officer).read(["duration"])

    def test_company_without_such_contracts_gets_no_check_message(self):
        self.contract.work_entry_source = "calendar"
        batch = self.batch()
        self.assertEqual(batch._zk_work_entry_message(), (True, None))
        action = batch.action_check_work_entries()
        self.assertIn("nothing to compare", action["params"]["message"])
        self.assertFalse(batch.message_ids.filtered(lambda m: "Work entries" in (m.body or "")))

