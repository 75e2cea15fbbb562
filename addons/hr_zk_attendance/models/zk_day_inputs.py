"""What the daily engine reads for a range of dates (engine-rules Part D), fetched once for
many employees: punches, calendars, public holidays, approved leave. One reader, shared by
the daily records and, through their public methods, the payroll export."""

import hashlib
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import zk_rules
from zk_rules.calendar import schedule_for_dates
from zk_rules.engine import parse_policy
from zk_rules.hashchain import canonical_json
from zk_rules.leave_time import leave_minutes_per_date

from .zk_day_exception import TIMEZONE_MISMATCH, zones_differ
from .zk_time_tools import _calendar_lines, _to_local

RULE_VERSION = f"E0-E10 zk-rules {zk_rules.__version__}"


class _RangeInputs:
    """Engine inputs (B1) for a range of dates, fetched once for many employees (Part D)."""

    def __init__(self, env, employees, dates):
        self.env, self.dates = env, dates
        self.first, self.last = dates[0], dates[-1]
        self.pad = [self.first - timedelta(days=1), *dates, self.last + timedelta(days=1)]
        low = datetime.combine(self.first - timedelta(days=2), time.min)
        high = datetime.combine(self.last + timedelta(days=3), time.min)
        self.punches = defaultdict(list)
        self._by_id = {}
        for punch in env["zk.punch"].search_fetch(
                [("employee_id", "in", employees.ids), ("state", "=", "done"),
                 ("timestamp_utc", ">=", low), ("timestamp_utc", "<", high)],
                ["employee_id", "timestamp_utc", "status", "timezone", "source"],
                order="timestamp_utc, id"):
            self.punches[punch.employee_id.id].append(punch)
            self._by_id[punch.id] = punch
        self.leaves = defaultdict(list)
        if "hr.leave" in env:
            for leave in env["hr.leave"].search_fetch(
                    [("employee_id", "in", employees.ids), ("state", "=", "validate"),
                     ("date_from", "<", high), ("date_to", ">", low)],
                    ["employee_id", "date_from", "date_to", "holiday_status_id"]):
                self.leaves[leave.employee_id.id].append(leave)
        self._schedules, self._holidays, self._policies = {}, {}, {}

    def approval(self, employee):
        return employee.company_id.zk_overtime_approval or "manager"

    def policy(self, employee):
        company = employee.company_id
        if company.id not in self._policies:
            self._policies[company.id] = parse_policy(
                {"overtime_approval": self.approval(employee)})
        return self._policies[company.id]

    def schedule(self, employee):
        calendar = employee.resource_calendar_id
        if calendar.id not in self._schedules:
            self._schedules[calendar.id] = schedule_for_dates(
                _calendar_lines(calendar), self.pad, two_weeks=calendar.two_weeks_calendar
            ) if calendar else {}
        return self._schedules[calendar.id]

    def holidays(self, employee, tz):
        calendar = employee.resource_calendar_id
        key = (calendar.id, employee.company_id.id, tz.key)
        if key not in self._holidays:
            found = {}
            domain = [("resource_id", "=", False),
                      ("date_from", "<", datetime.combine(self.last + timedelta(days=2),
                                                          time.min)),
                      ("date_to", ">", datetime.combine(self.first - timedelta(days=2),
                                                        time.min)),
                      "|", ("calendar_id", "=", False), ("calendar_id", "=", calendar.id),
                      ("company_id", "in", [employee.company_id.id, False])]
            for leave in self.env["resource.calendar.leaves"].search(domain):
                day = _to_local(leave.date_from, tz).date()
                end = _to_local(leave.date_to, tz).date()
                while day <= end:
                    if self.pad[0] <= day <= self.pad[-1]:
                        found[day.isoformat()] = {"date": day.isoformat(),
                                                  "name": leave.name or "",
                                                  "kind": leave.zk_holiday_kind or "regular"}
                    day += timedelta(days=1)
            self._holidays[key] = [found[k] for k in sorted(found)]
        return self._holidays[key]

    def leave_minutes(self, employee, tz, schedule):
        """E4.3 input: minutes of approved leave on each date (zk_rules.leave_time, read as
        the CTO bank and the payroll export read them: leave_work_minutes)."""
        result = []
        for leave in self.leaves.get(employee.id, []):
            minutes = leave_work_minutes(leave)
            for day in self.dates:
                if minutes.get(day) and schedule.get(day.isoformat()):
                    result.append({"date": day.isoformat(), "minutes": minutes[day],
                                   "kind": leave.holiday_status_id.name or "leave"})
        return result

    def leave_minutes_by_leave(self, employee):
        """[(hr.leave, {date: minutes})] of the employee's approved leaves, minutes on the
        range's dates only."""
        first, last = self.first, self.last
        return [(leave, {day: minutes for day, minutes in leave_work_minutes(leave).items()
                         if first <= day <= last})
                for leave in self.leaves.get(employee.id, [])]

    def zone_exceptions(self, zone, result):
        """Exception codes of a day decided here, not by the engine (which reads every punch
        in the employee's one zone): `timezone_mismatch` when a terminal punch of the day was
        taken on a terminal whose zone gives another wall-clock time than the employee's.

        Then every time of the day is shifted (check-outs paired with the next morning,
        lateness and overtime that never happened): the fix is the employee's zone (Employee
        form ▸ Work Information ▸ Timezone) or the terminal's. Adjustment punches are entered
        in the employee's zone and never differ. This could move to zk_rules.engine if the
        engine's punches carried their terminal's zone.
        """
        ids = [*result.get("punch_ids", ()), *result.get("collapsed_punch_ids", ()),
               *result.get("ignored_punch_ids", ())]
        for punch_id in ids:
            punch = self._by_id.get(punch_id)
            if punch and punch.source != "adjustment" and punch.timezone and zones_differ(
                    zone, punch.timezone, [punch.timestamp_utc]):
                return (TIMEZONE_MISMATCH,)
        return ()

    def document(self, employee):
        tz = ZoneInfo(employee._get_tz() or "UTC")
        schedule = self.schedule(employee)
        return {
            "timezone": tz.key,
            "evaluate_dates": self.dates,
            "punches": [{"id": p.id, "local_time": _to_local(p.timestamp_utc, tz).strftime(
                "%Y-%m-%d %H:%M:%S"), "status": p.status}
                for p in self.punches.get(employee.id, [])],
            "schedule": schedule,
            "holidays": self.holidays(employee, tz),
            "leaves": self.leave_minutes(employee, tz, schedule),
            "policy": self.policy(employee),
        }

    @staticmethod
    def fingerprint(document, key):
        """SHA-256 of the inputs that can change this date's record (its window of days)."""
        day = date.fromisoformat(key)
        near = {(day + timedelta(days=n)).isoformat() for n in (-1, 0, 1)}
        subset = {
            "date": key, "timezone": document["timezone"],
            "punches": [p for p in document["punches"] if p["local_time"][:10] in near],
            "schedule": {d: v for d, v in document["schedule"].items() if d in near},
            "holidays": [h for h in document["holidays"] if h["date"] in near],
            "leaves": [lv for lv in document["leaves"] if lv["date"] == key],
            "policy": document["policy"].overtime_approval,
            "rules": RULE_VERSION,
        }
        return hashlib.sha256(canonical_json(subset).encode()).hexdigest()


def leave_work_minutes(leave):
    """{date: minutes} of a leave (hr.leave): the working time of its calendar that it
    covers on each date of the employee's zone, lunch lines out, public holidays and the
    employee's other leaves out, as Odoo counts a leave's duration; zk_rules.leave_time sums
    and rounds. The one reading for the daily records, the CTO debit and the payroll export.
    """
    employee = leave.employee_id
    calendar = leave.resource_calendar_id or employee.resource_calendar_id
    if not (employee and calendar and leave.date_from and leave.date_to):
        return {}
    domain = [("time_type", "=", "leave"),
              ("company_id", "in", [employee.company_id.id, False]),
              "|", ("holiday_id", "=", False), ("holiday_id", "!=", leave.id)]
    resource = employee.resource_id
    intervals = calendar._work_intervals_batch(
        leave.date_from.replace(tzinfo=UTC), leave.date_to.replace(tzinfo=UTC), resource,
        domain)[resource.id]
    # A flexible calendar gives one interval for the whole leave and its hours (Odoo counts
    # them on the first date).
    work = [(start, start + timedelta(hours=meta.duration_hours)) if calendar.flexible_hours
            else (start, stop) for start, stop, meta in intervals]
    return leave_minutes_per_date(work)
