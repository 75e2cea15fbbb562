import resource
from datetime import date, timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import zk_daily_record_cron
from .common import ZkCase

PINS = [f"{n:04d}" for n in range(101, 108)]  # seven employees, chunks of three


class KilledWorker(Exception):
    """What a worker killed in the middle of a chunk looks like to the cron framework."""


@tagged("post_install", "-at_install")
class TestCronChunks(ZkCase):
    """Issue 22: long scheduled jobs run in chunks, each chunk its own commit (Odoo 18's
    batch cron API); a run killed after its first commit is finished by the next run with
    no day computed twice and none left out.

    The cron runs through `ir.cron._process_job` on registry cursors in test mode, as
    Odoo's own ir_cron tests do: each chunk's commit is real for the framework (a later
    failure rolls back to it), inside the test's transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create({
            "name": "Office 08-17", "tz": "Asia/Manila", "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": f"d{d} {p}", "dayofweek": str(d), "hour_from": f,
                        "hour_to": t, "day_period": p})
                for d in range(7)
                for f, t, p in ((8, 12, "morning"), (12, 13, "lunch"),
                                (13, 17, "afternoon"))],
        })
        cls.staff = cls.env["hr.employee"].create([
            {"name": f"Worker {pin}", "tz": "Asia/Manila",
             "resource_calendar_id": cls.calendar.id} for pin in PINS])
        cls.env["zk.device.user"].create([
            {"device_id": cls.device.id, "pin": pin, "employee_id": employee.id}
            for pin, employee in zip(PINS, cls.staff, strict=True)])
        cls.day = date.today() - timedelta(days=2)
        cls.Days = cls.env["zk.daily.record"]

    def punch_everyone(self):
        events, n = [], 1000
        for pin in PINS:
            for when, status in (("08:00:00", 0), ("17:00:00", 1)):
                events.append(self.event(n, pin, f"{self.day} {when}", status))
                n += 1
        # Imported only: the scheduled job under test computes them.
        self.env["zk.punch"]._import_relay_events(self.relay, events)

    def run_job(self, xmlid, fail_on_call=None, budget=None):
        """One run of the scheduled job as a cron worker runs it (up to 10 chunks, a
        commit after each); `fail_on_call`: the worker dies in that call of the engine;
        `budget`: the seconds left of the worker's limits before each chunk (default: no
        limit). Returns the employee ids given to the engine, per call."""
        cron = self.env.ref(xmlid)
        Days = self.registry["zk.daily.record"]
        original = Days._compute_range
        calls = []

        def engine(model, employees, *args, **kwargs):
            calls.append(set(employees.ids))
            if fail_on_call and len(calls) == fail_on_call:
                raise KilledWorker("the worker was killed")
            return original(model, employees, *args, **kwargs)

        self.env.flush_all()
        job = {**cron.read(load=None)[0], "done": 0, "remaining": 0, "timed_out_counter": 0}
        self.registry.enter_test_mode(self.cr)
        try:
            with patch.object(zk_daily_record_cron, "DAILY_CHUNK", 3), \
                    patch.object(Days, "_compute_range", engine), \
                    patch.object(self.registry["ir.cron"], "_zk_budget_left",
                                 side_effect=budget or (lambda: None)), \
                    mute_logger("odoo.addons.base.models.ir_cron"):
                self.registry["ir.cron"]._process_job(self.registry.db_name,
                                                      self.registry.cursor(), job)
        finally:
            self.registry.leave_test_mode()
        self.env.invalidate_all()
        return calls

    def test_job_stops_before_the_worker_limits_and_goes_on_in_the_next_unit(self):
        """Issue 22: one unit of a cron worker's work runs every ready job up to ten chunks
        each under one CPU limit; a job stops while a chunk still fits (here: after one),
        asks to run again at once, and the next unit finishes it: no worker killed, no day
        computed twice or left out."""
        self.punch_everyone()
        job = "hr_zk_attendance.ir_cron_zk_compute_daily"
        Cron = self.registry["ir.cron"]
        real, asked = Cron._trigger, []

        def trigger(cron, *args, **kwargs):
            asked.append(cron.id)
            return real(cron, *args, **kwargs)

        with patch.object(Cron, "_trigger", trigger):
            first = self.run_job(job, budget=[90, 20])
        self.assertEqual(len(first), 1, "one chunk, then the budget was too short")
        self.assertEqual(asked.count(self.env.ref(job).id), 1,
                         "the job asked to run again at once")
        self.assertEqual(len(self.records_of_staff()), 3, "the other four wait")
        rest = self.run_job(job, budget=[90, 90, 90])
        self.assertEqual(len(rest), 2)
        self.assertFalse(first[0] & set().union(*rest))
        records = self.records_of_staff()
        self.assertEqual(len(records), len(self.staff))
        self.assertEqual(set(records.mapped("version")), {1})

    def test_budget_left_is_what_the_cpu_limit_leaves(self):
        from ..models.ir_cron import budget_left

        self.assertIsNone(budget_left(resource.RLIM_INFINITY, 5.0))
        self.assertEqual(budget_left(100, 70.5), 29.5)

    def records_of_staff(self):
        return self.Days.search([("employee_id", "in", self.staff.ids),
                                 ("work_date", "=", self.day)])

    def test_changed_days_killed_after_first_chunk_resume_without_redo(self):
        """E8 scheduled compute: chunk 1 (3 employees with the same changed day: one engine
        call) commits, the worker dies in chunk 2; the next run computes the other 4 only,
        and every day exists once."""
        self.punch_everyone()
        first = self.run_job("hr_zk_attendance.ir_cron_zk_compute_daily", fail_on_call=2)
        self.assertEqual(len(first), 2, "the first chunk committed, the second killed")
        committed = first[0]
        self.assertEqual(len(committed), 3, "a chunk's employees computed together")
        self.assertEqual(set(self.records_of_staff().employee_id.ids), committed)
        pending = self.env["zk.punch"].search([("employee_id", "in", self.staff.ids),
                                               ("record_pending", "=", True),
                                               ("pairing_pending", "=", True)])
        self.assertEqual(set(pending.employee_id.ids), set(self.staff.ids) - committed,
                         "the killed chunk's flags were rolled back with its days")

        second = self.run_job("hr_zk_attendance.ir_cron_zk_compute_daily")
        redone = set().union(*second)
        self.assertFalse(redone & committed, "no committed day computed again")
        self.assertEqual(redone, set(self.staff.ids) - committed, "no day left out")
        records = self.records_of_staff()
        self.assertEqual(len(records), len(self.staff), "one record a day: no duplicate")
        self.assertEqual(set(records.mapped("version")), {1})
        self.assertEqual(set(records.mapped("status")), {"compliant"})
        attendances = self.env["hr.attendance"].search([
            ("employee_id", "in", self.staff.ids), ("zk_work_date", "=", self.day)])
        self.assertEqual(len(attendances), len(self.staff),
                         "one attendance each: the killed chunk's were rolled back, none doubled")

    def test_nightly_recompute_killed_after_first_chunk_resumes_from_its_position(self):
        """The nightly recompute of the trailing days keeps its position: the run after a
        killed one starts after the last committed chunk."""
        self.punch_everyone()
        self.env["zk.punch"].search([]).write({"record_pending": False})
        self.env["res.company"].search([]).zk_recompute_days = (date.today() - self.day).days
        self.env["ir.config_parameter"].sudo().set_param(
            zk_daily_record_cron.TRAILING_POSITION, "")
        everyone = set(self.env["hr.employee"].search([]).ids)
        first = self.run_job("hr_zk_attendance.ir_cron_zk_recompute_trailing",
                             fail_on_call=2)
        self.assertEqual(len(first), 2)
        committed = first[0]
        self.assertEqual(len(committed), 3)
        rest = []
        for _run in range(10):
            calls = self.run_job("hr_zk_attendance.ir_cron_zk_recompute_trailing")
            rest.extend(calls)
            if not calls or len(calls) < 10:
                break
        redone = set().union(*rest)
        self.assertFalse(redone & committed, "no committed chunk recomputed")
        self.assertEqual(committed | redone, everyone, "every employee recomputed once")
        self.assertEqual(sum(len(c) for c in rest), len(redone), "nobody twice")
        records = self.records_of_staff()
        self.assertEqual(len(records), len(self.staff))
        self.assertEqual(set(records.mapped("version")), {1})
