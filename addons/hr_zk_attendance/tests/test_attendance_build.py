"""The attendance build gives exactly what Odoo gives, attendance by attendance.

The build answers two of Odoo's per-attendance questions in batches (lunch intervals of the
employee's calendar, the overlap check) while hr.attendance.create runs; everything else,
worked hours and extra hours included, is Odoo's own code. These tests put the build beside a
plain Odoo create on twin employees and compare every stored figure exactly.
"""

import random
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from unittest.mock import patch

from pytz import timezone, utc

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.hr_zk_attendance.models import hr_attendance as attendance_module
from odoo.addons.hr_zk_attendance.models.odoo_speedups import _BUILD, _build_scope

from .common import ZkCase

BIG_SCOPE = (utc.localize(datetime(2024, 6, 1)), utc.localize(datetime(2026, 6, 1)))


class _Rollback(Exception):
    pass


@tagged("post_install", "-at_install")
class TestAttendanceBuildSameAsOdoo(ZkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.company
        # Thresholds on: Odoo's pre/post work time rules take part in the comparison.
        company.write({"overtime_company_threshold": 10, "overtime_employee_threshold": 5})
        standard = company.resource_calendar_id
        cls.calendars = {
            "standard": standard,
            "brussels": standard.copy({"name": "Brussels 40h", "tz": "Europe/Brussels"}),
            "flexible": env["resource.calendar"].create({
                "name": "Flexible 8h", "flexible_hours": True, "hours_per_day": 8,
                "tz": "Asia/Manila", "attendance_ids": [(5, 0, 0)]}),
            "two_weeks": cls._two_weeks_calendar(),
        }
        cls.brussels_device = env["zk.device"].create({
            "serial": "CQZ0002", "name": "Brussels office", "timezone": "Europe/Brussels",
            "relay_id": cls.relay.id})

    @classmethod
    def _two_weeks_calendar(cls):
        lines = [(0, 0, {"name": "First week", "dayofweek": "0", "sequence": 0, "hour_from": 0,
                         "hour_to": 0, "day_period": "morning", "week_type": "0",
                         "display_type": "line_section"}),
                 (0, 0, {"name": "Second week", "dayofweek": "0", "sequence": 25,
                         "hour_from": 0, "hour_to": 0, "day_period": "morning",
                         "week_type": "1", "display_type": "line_section"})]
        for week, lunch in (("0", (12, 13)), ("1", (11.5, 12.5))):
            base = 1 if week == "0" else 26
            for day in range(5):
                lines += [
                    (0, 0, {"name": f"w{week} d{day} am", "dayofweek": str(day),
                            "hour_from": 8, "hour_to": lunch[0], "day_period": "morning",
                            "week_type": week, "sequence": base + 3 * day}),
                    (0, 0, {"name": f"w{week} d{day} lunch", "dayofweek": str(day),
                            "hour_from": lunch[0], "hour_to": lunch[1], "day_period": "lunch",
                            "week_type": week, "sequence": base + 3 * day + 1}),
                    (0, 0, {"name": f"w{week} d{day} pm", "dayofweek": str(day),
                            "hour_from": lunch[1], "hour_to": 17, "day_period": "afternoon",
                            "week_type": week, "sequence": base + 3 * day + 2}),
                ]
        return cls.env["resource.calendar"].create({
            "name": "Two weeks", "tz": "Asia/Manila", "two_weeks_calendar": True,
            "attendance_ids": [(5, 0, 0), *lines]})

    # ------------------------------------------------------------------ helpers

    def employee_pair(self, name, tz, calendar):
        vals = {"tz": tz, "resource_calendar_id": calendar.id if calendar else False}
        return (self.env["hr.employee"].create({"name": name, **vals}),
                self.env["hr.employee"].create({"name": f"{name} (twin)", **vals}))

    def snapshot(self, employee):
        """Every stored figure of the employee's attendances and Odoo extra hours."""
        self.env.flush_all()
        self.env.invalidate_all()
        attendances = self.env["hr.attendance"].search([("employee_id", "=", employee.id)],
                                                        order="check_in")
        overtimes = self.env["hr.attendance.overtime"].search(
            [("employee_id", "=", employee.id)], order="date, id")
        return ([(a.check_in, a.check_out, a.in_mode, a.out_mode, a.worked_hours,
                  a.overtime_hours, a.validated_overtime_hours, a.expected_hours,
                  a.overtime_status) for a in attendances],
                [(o.date, o.duration, o.duration_real, o.adjustment) for o in overtimes])

    @staticmethod
    def working_week():
        """Monday to Saturday of last week: all in the past, a Saturday off-schedule."""
        today = date.today()
        monday = today - timedelta(days=today.weekday() + 7)
        return [monday + timedelta(days=n) for n in range(6)]

    # ------------------------------------------------------------------ tests

    def test_build_gives_the_attendances_and_extra_hours_of_a_plain_odoo_create(self):
        """Twin employees: the build writes one from punches, a plain per-employee Odoo
        create writes the same intervals for the other. Everything stored must match."""
        days = self.working_week()
        # A public holiday on the Wednesday: no working time that day for anyone.
        holiday = days[2]
        self.env["resource.calendar.leaves"].create({
            "name": "Holiday", "calendar_id": False, "resource_id": False,
            "date_from": datetime.combine(holiday, datetime.min.time()) - timedelta(hours=8),
            "date_to": datetime.combine(holiday, datetime.max.time()).replace(microsecond=0)})
        profiles = [
            ("Manila standard", "Asia/Manila", self.calendars["standard"], self.device, "day"),
            ("Brussels", "Europe/Brussels", self.calendars["brussels"], self.brussels_device,
             "day"),
            ("Zone differs", "Asia/Manila", self.calendars["brussels"], self.device, "day"),
            ("Flexible", "Asia/Manila", self.calendars["flexible"], self.device, "day"),
            ("No calendar", "Asia/Manila", False, self.device, "day"),
            ("Two weeks", "Asia/Manila", self.calendars["two_weeks"], self.device, "day"),
            ("Night shift", "Asia/Manila", self.calendars["standard"], self.device, "night"),
        ]
        rng = random.Random(6)
        events, pairs = [], []
        for number, (name, tz, calendar, device, shape) in enumerate(profiles):
            employee, twin = self.employee_pair(name, tz, calendar)
            pairs.append((employee, twin))
            pin = f"9{number:03d}"
            self.env["zk.device.user"].create({"device_id": device.id, "pin": pin,
                                               "employee_id": employee.id})
            for day in days:
                base = datetime.combine(day, datetime.min.time())
                if shape == "night":
                    times = [(base + timedelta(hours=22, seconds=rng.randint(-600, 600)), 0),
                             (base + timedelta(hours=30, seconds=rng.randint(-600, 900)), 1)]
                else:
                    times = [
                        (base + timedelta(hours=7, minutes=45, seconds=rng.randint(0, 2400)), 0),
                        (base + timedelta(hours=12, seconds=rng.randint(0, 600)), 2),
                        (base + timedelta(hours=12, minutes=50, seconds=rng.randint(0, 1200)),
                         3),
                        (base + timedelta(hours=16, minutes=50, seconds=rng.randint(0, 6000)),
                         1),
                    ]
                events += [self.event(len(events) + 1, pin, when.strftime("%Y-%m-%d %H:%M:%S"),
                                      status, serial=device.serial) for when, status in times]
        # A hand-made evening attendance, the same for the first pair: Odoo's extra hours
        # for that day count both.
        first, first_twin = pairs[0]
        evening = datetime.combine(days[1], datetime.min.time()) + timedelta(hours=11)
        for employee in (first, first_twin):
            self.env["hr.attendance"].create({"employee_id": employee.id, "check_in": evening,
                                              "check_out": evening + timedelta(hours=1)})

        self.env["zk.punch"]._import_relay_events(self.relay, events)
        while self.env["zk.daily.record"]._cron_compute_pending(limit=3):
            pass

        for employee, twin in pairs:
            built = self.env["hr.attendance"].search(
                [("employee_id", "=", employee.id), ("in_mode", "=", "zk")], order="check_in")
            self.assertTrue(built, employee.name)
            # Plain Odoo: one create per employee, outside the build.
            self.env["hr.attendance"].create([{
                "employee_id": twin.id, "check_in": a.check_in, "check_out": a.check_out,
                "in_mode": "zk", "out_mode": "zk"} for a in built])
            ours, odoo = self.snapshot(employee), self.snapshot(twin)
            self.assertEqual(ours, odoo, employee.name)
        # The comparison is not vacuous: Odoo found extra hours and worked hours.
        everyone = self.env["hr.employee"].browse([e.id for pair in pairs for e in pair])
        overtimes = self.env["hr.attendance.overtime"].search([("employee_id", "in",
                                                                everyone.ids)])
        self.assertTrue(overtimes.filtered(lambda o: o.duration > 0))
        self.assertTrue(overtimes.filtered(lambda o: o.duration < 0))
        attendances = self.env["hr.attendance"].search([("employee_id", "in", everyone.ids)])
        self.assertTrue(attendances.filtered("overtime_hours"))
        self.assertEqual(set(self.env["zk.punch"].search(
            [("employee_id", "in", everyone.ids)]).mapped("state")), {"done"})

    def test_same_punches_built_with_and_without_the_speedups_give_the_same_records(self):
        """Twin employees, the same punches: one built through the stock ORM path (the
        speed-ups of odoo_speedups.py switched off, Odoo answers every question itself),
        the other through the fast path. Attendances, Odoo's extra hours and what became
        of each punch (its attendance, its state and reason) must match exactly, a
        conflict with a hand-made attendance included."""
        days = self.working_week()
        profiles = [("Manila", "Asia/Manila", self.calendars["standard"], self.device),
                    ("Brussels", "Europe/Brussels", self.calendars["brussels"],
                     self.brussels_device),
                    ("Two weeks", "Asia/Manila", self.calendars["two_weeks"], self.device),
                    ("Flexible", "Asia/Manila", self.calendars["flexible"], self.device),
                    ("Clash", "Asia/Manila", self.calendars["standard"], self.device)]
        rng = random.Random(20)
        shapes = [[(7.75 + rng.random() * 0.6, 0), (12 + rng.random() * 0.2, 2),
                   (12.8 + rng.random() * 0.3, 3), (16.9 + rng.random() * 1.6, 1)]
                  for _day in days]
        stock, fast = [], []
        for number, (name, tz, calendar, device) in enumerate(profiles):
            employee, twin = self.employee_pair(name, tz, calendar)
            stock.append(twin)
            fast.append(employee)
            for side, person in (("1", twin), ("2", employee)):
                self.env["zk.device.user"].create({"device_id": device.id,
                                                   "pin": f"{side}{number:03d}",
                                                   "employee_id": person.id})
            if name == "Clash":
                # A hand-made attendance over Tuesday's terminal punches: refused, to review.
                start = datetime.combine(days[1], datetime.min.time()) + timedelta(hours=2)
                for person in (twin, employee):
                    self.env["hr.attendance"].create({"employee_id": person.id,
                                                      "check_in": start,
                                                      "check_out": start + timedelta(hours=3)})

        def events(side, devices):
            found = []
            for number, device in enumerate(devices):
                for day, times in zip(days, shapes, strict=True):
                    base = datetime.combine(day, datetime.min.time())
                    for hours, status in times:
                        local = (base + timedelta(hours=hours)).replace(microsecond=0)
                        found.append(self.event(
                            int(side) * 10000 + len(found), f"{side}{number:03d}",
                            local.strftime("%Y-%m-%d %H:%M:%S"), status,
                            serial=device.serial))
            return found

        devices = [profile[3] for profile in profiles]
        self.env["zk.punch"]._import_relay_events(self.relay, events("1", devices))
        with patch.object(attendance_module, "_build_scope", lambda *_args: nullcontext()):
            while self.env["zk.daily.record"]._cron_compute_pending(limit=2):
                pass
        self.env["zk.punch"]._import_relay_events(self.relay, events("2", devices))
        while self.env["zk.daily.record"]._cron_compute_pending(limit=2):
            pass

        def punches(employee):
            # Odoo's refusal names the employee: the twins' names differ.
            return [(p.local_time, p.state, (p.state_reason or "").replace(employee.name, "X"),
                     p.attendance_id.check_in,
                     p.attendance_id.check_out) for p in self.env["zk.punch"].search(
                         [("employee_id", "=", employee.id)], order="timestamp_utc, id")]

        for employee, twin in zip(fast, stock, strict=True):
            self.assertEqual(self.snapshot(employee), self.snapshot(twin), employee.name)
            self.assertEqual(punches(employee), punches(twin), employee.name)
        # Not vacuous: attendances with extra hours were written, and the clash went to review.
        built = self.env["hr.attendance"].search([("employee_id", "in", [e.id for e in fast]),
                                                  ("in_mode", "=", "zk")])
        self.assertGreater(len(built), 4 * len(days))
        self.assertTrue(built.filtered("overtime_hours"))
        self.assertIn("review", [state for _t, state, *_rest in punches(fast[-1])])

    def test_lunch_intervals_in_a_build_are_odoos(self):
        """Inside a build an employee's lunch intervals come from one computation over the
        span, clipped: the same intervals, offsets and calendar lines as Odoo's own call,
        over DST changes, two-week calendars, a zone differing from the calendar's and a
        lunch line of the employee's own."""
        own_line, _twin = self.employee_pair("Own lunch", "Europe/Brussels",
                                             self.calendars["brussels"])
        self.env["resource.calendar.attendance"].create({
            "name": "Own late lunch", "calendar_id": self.calendars["brussels"].id,
            "dayofweek": "2", "hour_from": 14, "hour_to": 14.5, "day_period": "lunch",
            "resource_id": own_line.resource_id.id})
        # Its own lunch line overlaps the calendar's on Mondays: Odoo merges the two.
        overlapping, _twin = self.employee_pair("Overlapping lunch", "Europe/Brussels",
                                                self.calendars["brussels"])
        self.env["resource.calendar.attendance"].create({
            "name": "Own overlapping lunch", "calendar_id": self.calendars["brussels"].id,
            "dayofweek": "0", "hour_from": 12.5, "hour_to": 13.5, "day_period": "lunch",
            "resource_id": overlapping.resource_id.id})
        employees = [
            own_line,
            overlapping,
            self.employee_pair("Two weeks", "Asia/Manila", self.calendars["two_weeks"])[0],
            self.employee_pair("Zone differs", "America/New_York",
                               self.calendars["brussels"])[0],
            self.employee_pair("Standard", "Asia/Manila", self.calendars["standard"])[0],
        ]
        rng = random.Random(18)
        # Around both 2025 DST changes in Europe and America, and plain weeks.
        anchors = [datetime(2025, 3, 9), datetime(2025, 3, 30), datetime(2025, 10, 26),
                   datetime(2025, 11, 2), datetime(2025, 6, 16)]
        ranges = []
        for _n in range(150):
            start = rng.choice(anchors) + timedelta(minutes=rng.randint(-4 * 1440, 4 * 1440))
            ranges.append((start, start + timedelta(minutes=rng.randint(0, 3 * 1440))))
        # Edges: exactly on a lunch boundary, inside a merged lunch (Monday 13:10 in
        # Brussels), empty range.
        ranges += [(datetime(2025, 6, 16, 10), datetime(2025, 6, 16, 11)),
                   (datetime(2025, 6, 16, 11, 10), datetime(2025, 6, 16, 15)),
                   (datetime(2025, 6, 17, 4), datetime(2025, 6, 17, 4))]

        def intervals(employee, start, stop):
            result = employee._employee_attendance_intervals(start, stop, lunch=True)
            return type(result), [(s, e, s.utcoffset(), e.utcoffset(), records.ids)
                                  for s, e, records in result]

        compared = 0
        for employee in employees:
            for zone in ("UTC", employee.tz):
                for start, stop in ranges:
                    start_at = utc.localize(start).astimezone(timezone(zone))
                    stop_at = utc.localize(stop).astimezone(start_at.tzinfo)
                    odoo = intervals(employee, start_at, stop_at)
                    with _build_scope(self.env, *BIG_SCOPE):
                        ours = intervals(employee, start_at, stop_at)
                    self.assertEqual(ours, odoo, (employee.name, start_at, stop_at))
                    compared += bool(odoo[1])
        self.assertGreater(compared, 500)
        # And the batched path did answer: one computation per employee, kept in the scope.
        with _build_scope(self.env, *BIG_SCOPE):
            for start, stop in ranges[:20]:
                employees[0]._employee_attendance_intervals(
                    utc.localize(start), utc.localize(stop), lunch=True)
            self.assertEqual(len(_BUILD.get()["lunch"]), 1)

    def test_overlap_check_in_a_build_is_odoos(self):
        """The batched overlap check accepts and refuses exactly what Odoo's does, with
        Odoo's message, including attendances starting at the same instant."""
        employee = self.employee_pair("Overlaps", "UTC", False)[0]
        Attendance = self.env["hr.attendance"]
        day = datetime(2025, 6, 16)

        def at(hours):
            return day + timedelta(hours=hours)

        # One at a time: Odoo accepts a zero-length attendance and then one starting at the
        # same instant (not both in one create), so two attendances start at 15:00.
        for start, end in ((9, 11), (15, 15), (15, 15.5)):
            Attendance.create({"employee_id": employee.id, "check_in": at(start),
                               "check_out": at(end)})
        candidates = [
            [(8, 12)], [(10, 12)], [(7, 10)], [(9, 11)], [(9, 9)], [(11, 12)], [(7, 9)],
            [(12, 13)], [(13, 14.5), (14, 14.75)], [(12, 13), (13, 14)], [(15, 17)],
            [(15.5, 16)], [(14, 15)], [(14, 15.2)], [(8, 8.5), (20, 21)], [(16, 15)],
        ]

        def verdict(intervals, in_build):
            vals = [{"employee_id": employee.id, "check_in": at(a), "check_out": at(b),
                     "in_mode": "zk", "out_mode": "zk"} for a, b in intervals]
            try:
                with self.env.cr.savepoint():
                    if in_build:
                        with _build_scope(self.env, *BIG_SCOPE):
                            Attendance.create(vals)
                    else:
                        Attendance.create(vals)
                    raise _Rollback
            except ValidationError as exc:
                return exc.args[0]
            except _Rollback:
                return None

        refused = 0
        for intervals in candidates:
            odoo = verdict(intervals, in_build=False)
            self.assertEqual(verdict(intervals, in_build=True), odoo, intervals)
            refused += odoo is not None
        self.assertGreater(refused, 4)
        self.assertLess(refused, len(candidates) - 4)
