import json
from datetime import date, timedelta
from unittest.mock import patch

from odoo.tests import tagged

from ..models import zk_daily_record as daily_module
from .common import ZkCase


@tagged("post_install", "-at_install")
class TestAttendanceFromPunches(ZkCase):
    """Punches become closed hr.attendance intervals paired by the engine (E2-E5, Part D)."""

    def attendances(self):
        return self.env["hr.attendance"].search([("employee_id", "=", self.employee.id)],
                                                order="check_in")

    def hhmm(self, attendance):
        # Asia/Manila is UTC+8 with no DST: local = UTC + 8 h.
        return ((attendance.check_in + timedelta(hours=8)).strftime("%H:%M"),
                (attendance.check_out + timedelta(hours=8)).strftime("%H:%M"))

    def test_e5_2_status_path_gives_two_closed_intervals_marked_zk(self):
        """B5 punches: 07:58:12 (0), 12:01:05 (2), 12:59:40 (3), 17:02:30 (1)."""
        day = self.today
        self.import_events([
            self.event(1, "0042", f"{day} 07:58:12", 0),
            self.event(2, "0042", f"{day} 12:01:05", 2),
            self.event(3, "0042", f"{day} 12:59:40", 3),
            self.event(4, "0042", f"{day} 17:02:30", 1),
        ])
        attendances = self.attendances()
        # E2.4 truncates to the minute: [07:58-12:01] and [12:59-17:02].
        self.assertEqual([self.hhmm(a) for a in attendances],
                         [("07:58", "12:01"), ("12:59", "17:02")])
        self.assertEqual(set(attendances.mapped("in_mode")), {"zk"})
        self.assertEqual(set(attendances.mapped("out_mode")), {"zk"})
        punches = self.env["zk.punch"].search([("employee_id", "=", self.employee.id)])
        self.assertEqual(punches.attendance_id, attendances)

    def test_part_d_open_interval_is_never_written(self):
        """A missing check-out (E5.3 b) stays on the punches; no open attendance blocks."""
        self.employee.resource_calendar_id = False  # no schedule: time path, no anchors
        day = self.today
        self.import_events([
            self.event(1, "0042", f"{day} 08:00:00", 0),
            self.event(2, "0042", f"{day} 12:00:00", 0),
            self.event(3, "0042", f"{day} 13:00:00", 0),
        ])
        attendances = self.attendances()
        self.assertEqual([self.hhmm(a) for a in attendances], [("08:00", "12:00")])
        self.assertFalse(self.env["hr.attendance"].search_count(
            [("employee_id", "=", self.employee.id), ("check_out", "=", False)]))
        # The open punch arriving later closes the day: 13:00-17:30 is written then.
        self.import_events([
            self.event(4, "0042", f"{day} 17:30:00", 0)])
        self.assertEqual([self.hhmm(a) for a in self.attendances()],
                         [("08:00", "12:00"), ("13:00", "17:30")])

    def test_e2_double_tap_is_one_punch(self):
        """E2.1: a second tap within 120 s joins the first; the pair is 08:00-17:00."""
        self.employee.resource_calendar_id = False
        day = self.today
        self.import_events([
            self.event(1, "0042", f"{day} 08:00:00", 0),
            self.event(2, "0042", f"{day} 08:00:50", 0),
            self.event(3, "0042", f"{day} 17:00:00", 1),
        ])
        self.assertEqual([self.hhmm(a) for a in self.attendances()], [("08:00", "17:00")])

    def test_e5_3_a_schedule_anchors_drop_the_last_internal_punch(self):
        """07:59/12:03/17:02 on an 08:00-17:00 workday gives [07:59-17:02] (E5.3 a)."""
        monday = date.fromisoformat(self.today) - timedelta(
            days=date.fromisoformat(self.today).weekday() or 7)
        day = monday.isoformat()
        self.import_events([
            self.event(1, "0042", f"{day} 07:59:00", 255),
            self.event(2, "0042", f"{day} 12:03:00", 255),
            self.event(3, "0042", f"{day} 17:02:00", 255),
        ])
        self.assertEqual([self.hhmm(a) for a in self.attendances()], [("07:59", "17:02")])

    def test_reimport_changes_nothing(self):
        day = self.today
        page = [self.event(1, "0042", f"{day} 08:00:00", 0),
                self.event(2, "0042", f"{day} 17:00:00", 1)]
        self.import_events(page)
        first = self.attendances()
        self.import_events(page)
        self.assertEqual(self.attendances(), first)

    def test_manual_attendance_overlap_goes_to_review(self):
        """A terminal interval that overlaps a hand-entered attendance is kept for review."""
        self.employee.resource_calendar_id = False
        day = self.today
        self.env["hr.attendance"].create({
            "employee_id": self.employee.id,
            "check_in": f"{day} 01:00:00", "check_out": f"{day} 03:00:00",  # 09:00-11:00 local
        })
        self.import_events([
            self.event(1, "0042", f"{day} 08:00:00", 0),
            self.event(2, "0042", f"{day} 12:00:00", 1),
        ])
        punches = self.env["zk.punch"].search([("employee_id", "=", self.employee.id)])
        self.assertEqual(set(punches.mapped("state")), {"review"})
        self.assertIn("attendance", punches[0].state_reason)

    def test_e5_one_engine_run_gives_the_daily_record_and_its_attendances(self):
        """Issue 20 one pairing: the scheduled action pairs an employee's punches once; the
        attendances are that run's pairs (E8.1 boundaries, before grace and rounding), so
        their hours are the day's presence."""
        day = self.today
        with patch.object(daily_module, "compute_days", wraps=daily_module.compute_days) as run:
            self.import_events([
                self.event(1, "0042", f"{day} 08:03:00", 0),
                self.event(2, "0042", f"{day} 12:00:00", 2),
                self.event(3, "0042", f"{day} 13:04:00", 3),
                self.event(4, "0042", f"{day} 16:58:00", 1),
            ])
        self.assertEqual(run.call_count, 1)
        self.assertEqual([self.hhmm(a) for a in self.attendances()],
                         [("08:03", "12:00"), ("13:04", "16:58")])
        record = self.env["zk.daily.record"].search([("employee_id", "=", self.employee.id),
                                                     ("work_date", "=", day)])
        presence = json.loads(record.result_json)["presence_minutes"]
        attended = sum((a.check_out - a.check_in).total_seconds() // 60
                       for a in self.attendances())
        self.assertEqual(presence, attended)
        self.assertEqual(set(self.attendances().mapped("zk_work_date")),
                         {date.fromisoformat(day)})
        self.assertFalse(self.env["zk.punch"].search_count(
            [("employee_id", "=", self.employee.id), "|", ("pairing_pending", "=", True),
             ("record_pending", "=", True)]))
