import logging
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pytz import utc

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from zk_rules.calendar import schedule_for_dates
from zk_rules.engine import Interval, compute_days, parse_policy

from .odoo_speedups import _build_scope
from .zk_time_tools import _calendar_lines, _to_local, _to_utc

_logger = logging.getLogger(__name__)

# Pairing only: grace and rounding off, so intervals are the raw E8.1 boundaries (Part D).
PAIRING_POLICY = parse_policy({
    "grace_late_minutes": 0, "grace_early_out_minutes": 0,
    "rounding": {"unit_minutes": 1, "in_mode": "nearest", "out_mode": "nearest"},
})


class HrAttendance(models.Model):
    _inherit = "hr.attendance"

    # Part D: intervals written from terminal punches carry their own mode, never 'technical'.
    in_mode = fields.Selection(selection_add=[("zk", "ZKTeco terminal")],
                               ondelete={"zk": "set default"})
    out_mode = fields.Selection(selection_add=[("zk", "ZKTeco terminal")],
                                ondelete={"zk": "set default"})
    zk_punch_ids = fields.One2many("zk.punch", "attendance_id", string="Terminal punches")

    @api.model
    def _zk_build_pending(self, limit=100):
        """Turn punches waiting for pairing into closed hr.attendance intervals.

        Works on at most `limit` employees per call (the cron runs it again while some
        remain) and returns how many employees are still waiting. Pairing is the engine's
        (E2-E5, zk_rules.engine). Only closed intervals are written: an open one would block
        the employee (Part D); it stays visible on the punches.
        """
        # Plain SQL: a grouped scan of the pending flag; the cron runs as the system user.
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "SELECT employee_id, min(timestamp_utc), max(timestamp_utc) FROM zk_punch "
            "WHERE pairing_pending AND state = 'done' AND employee_id IS NOT NULL "
            "GROUP BY employee_id ORDER BY employee_id LIMIT %s", limit + 1))
        rows = self.env.cr.fetchall()
        remaining = max(len(rows) - limit, 0)
        rows = rows[:limit]
        if not rows:
            return 0
        employees = self.env["hr.employee"].browse([r[0] for r in rows])
        zones = {employee.id: ZoneInfo(employee._get_tz() or "UTC") for employee in employees}
        spans = {}
        for employee_id, lowest, highest in rows:
            employee, tz = employees.browse(employee_id), zones[employee_id]
            first = _to_local(lowest, tz).date() - timedelta(days=1)
            last = _to_local(highest, tz).date() + timedelta(days=1)
            spans[employee_id] = (employee, tz, first, last,
                                  _to_utc(datetime.combine(first, time.min), tz),
                                  _to_utc(datetime.combine(last + timedelta(days=1), time.min),
                                          tz))
        low = min(span[4] for span in spans.values()) - timedelta(days=1)
        high = max(span[5] for span in spans.values()) + timedelta(days=1)
        punches = self.env["zk.punch"].search_fetch(
            [("employee_id", "in", employees.ids), ("state", "=", "done"),
             ("timestamp_utc", ">=", low), ("timestamp_utc", "<", high)],
            ["employee_id", "timestamp_utc", "status", "attendance_id", "pairing_pending"],
            order="timestamp_utc, id")
        existing = self.search_fetch(
            [("employee_id", "in", employees.ids), ("in_mode", "=", "zk"),
             ("check_in", ">=", low), ("check_in", "<", high)],
            ["employee_id", "check_in", "check_out"])
        by_employee = defaultdict(list)
        for punch in punches:
            by_employee[punch.employee_id.id].append(punch)
        current = defaultdict(list)
        for attendance in existing:
            current[attendance.employee_id.id].append(attendance)
        plans = {}
        for employee_id, (employee, tz, first, last, start, end) in spans.items():
            own = [p for p in by_employee[employee_id]
                   if start - timedelta(days=1) <= p.timestamp_utc < end + timedelta(days=1)]
            wanted = [iv for iv in _pair(employee, own, tz, first, last) if start <= iv[0] < end]
            olds = [a for a in current[employee_id] if start <= a.check_in < end]
            plans[employee_id] = (own, wanted, olds)
        self._zk_apply_plans(plans)
        return remaining

    def _zk_apply_plans(self, plans):
        """Write the planned intervals: drop stale ones, create new ones, link punches."""
        # System-written intervals: no chatter message per attendance.
        self = self.with_context(tracking_disable=True, mail_create_nolog=True)
        to_unlink = self.browse()
        to_create = {}
        for employee_id, (_own, wanted, olds) in plans.items():
            keep = {(a.check_in, a.check_out) for a in olds if (a.check_in, a.check_out)
                    in wanted}
            to_unlink |= self.browse([a.id for a in olds
                                      if (a.check_in, a.check_out) not in wanted])
            to_create[employee_id] = [iv for iv in wanted if iv not in keep]
        vals = [{"employee_id": emp, "check_in": s, "check_out": e, "in_mode": "zk",
                 "out_mode": "zk"} for emp, intervals in to_create.items() for s, e in intervals]
        failed = {}
        instants = [t for _own, wanted, olds in plans.values()
                    for t in [*(t for iv in wanted for t in iv),
                              *(t for a in olds for t in (a.check_in, a.check_out) if t)]]
        if not instants:
            self._zk_link_punches(plans, failed)
            return
        # A day either side: Odoo looks at whole local days around each attendance.
        with _build_scope(self.env, utc.localize(min(instants) - timedelta(days=2)),
                          utc.localize(max(instants) + timedelta(days=2))):
            to_unlink.unlink()
            try:
                with self.env.cr.savepoint():
                    self.create(vals)
            except ValidationError:
                # One employee's interval overlaps a hand-made attendance: retry employee by
                # employee so the others are written and the conflicting punches go to review.
                for employee_id, intervals in to_create.items():
                    try:
                        with self.env.cr.savepoint():
                            self.create([{"employee_id": employee_id, "check_in": s,
                                          "check_out": e, "in_mode": "zk", "out_mode": "zk"}
                                         for s, e in intervals])
                    except ValidationError as exc:
                        failed[employee_id] = exc.args[0]
            # What Odoo left to recompute (worked hours, extra hours) is computed in scope.
            self.env.flush_all()
        self._zk_link_punches(plans, failed)

    def _zk_link_punches(self, plans, failed):
        Punch = self.env["zk.punch"]
        self.env.flush_all()
        employee_ids = list(plans)
        instants = [p.timestamp_utc for own, _wanted, _olds in plans.values() for p in own]
        # Only attendances that can hold one of these punches (check-in at or before it,
        # check-out less than a minute before it), not each employee's whole history.
        attendances = self.search_fetch(
            [("employee_id", "in", employee_ids), ("in_mode", "=", "zk"),
             ("check_in", "<=", max(instants)),
             ("check_out", ">", min(instants) - timedelta(minutes=1))],
            ["employee_id", "check_in", "check_out"]) if instants else self.browse()
        by_employee = defaultdict(list)
        for attendance in attendances:
            by_employee[attendance.employee_id.id].append(attendance)
        links = []
        for employee_id, (own, _wanted, _olds) in plans.items():
            if employee_id in failed:
                continue
            spans = sorted((a.check_in, a.check_out + timedelta(minutes=1), a.id)
                           for a in by_employee[employee_id])
            first = 0  # spans before it ended before the punch in hand, and so every later one
            for punch in sorted(own, key=lambda p: p.timestamp_utc):
                instant = punch.timestamp_utc
                while first < len(spans) and spans[first][1] <= instant:
                    first += 1
                # The first span in order that holds the punch (spans are sorted by start).
                target, index = None, first
                while index < len(spans) and spans[index][0] <= instant:
                    if instant < spans[index][1]:
                        target = spans[index][2]
                        break
                    index += 1
                if target != punch.attendance_id.id or punch.pairing_pending:
                    links.append((punch.id, target))
        if links:
            # One statement for the whole chunk instead of one ORM write per punch, and one
            # row version per punch: link and pending flag together.
            self.env.cr.execute(SQL(
                "UPDATE zk_punch SET attendance_id = v.att, pairing_pending = false "
                "FROM (VALUES %s) AS v(id, att) WHERE zk_punch.id = v.id",
                SQL(", ").join(SQL("(%s, %s::int)", pid, att) for pid, att in links)))
        Punch.invalidate_model(["attendance_id", "pairing_pending"])
        for employee_id, message in failed.items():
            ids = [p.id for p in plans[employee_id][0] if p.pairing_pending]
            Punch.browse(ids).write({
                "state": "review", "pairing_pending": False,
                "state_reason": self.env._("Could not be written as attendance: %s", message),
            })

    @api.model
    def _cron_zk_build_attendances(self):
        remaining = self._zk_build_pending()
        self.env["ir.cron"]._notify_progress(done=1, remaining=remaining)
        return remaining


def _pair(employee, punches, tz, first, last):
    """Closed intervals (UTC naive) the engine pairs for work dates first..last."""
    dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    calendar = employee.resource_calendar_id
    schedule = {}
    if calendar:
        pad = [first - timedelta(days=1), *dates, last + timedelta(days=1)]
        schedule = schedule_for_dates(_calendar_lines(calendar), pad,
                                      two_weeks=calendar.two_weeks_calendar)
    days = compute_days(
        timezone=str(tz.key),
        evaluate_dates=dates,
        punches=[{"id": p.id, "local_time": _to_local(p.timestamp_utc, tz).strftime(
            "%Y-%m-%d %H:%M:%S"), "status": p.status} for p in punches],
        schedule=schedule,
        policy=PAIRING_POLICY,
    )
    intervals = {(Interval.utc_datetime(iv.start), Interval.utc_datetime(iv.end))
                 for day in days.values() for iv in day.intervals
                 if iv.start is not None and iv.end is not None}
    return sorted(intervals)
