"""Speed-ups over Odoo internals, in one place (issue 20): while the scheduled build writes
attendances from punches (_build_scope), two of Odoo's per-attendance questions are answered
for the whole batch: the overlap check (hr.attendance._check_validity) and the employee's
lunch intervals (hr.employee._employee_attendance_intervals). The answers are exactly Odoo's
(tests/test_attendance_build.py builds the same punches with and without them and compares);
outside a build Odoo answers itself.
"""

import contextvars
from bisect import bisect_right
from contextlib import contextmanager

from pytz import timezone

from odoo import api, models
from odoo.tools import SQL

# Set while _zk_apply_plans writes attendances (see _build_scope): lets _check_validity below
# and hr.employee._employee_attendance_intervals answer Odoo's own questions from one batch
# instead of one query per attendance.
_BUILD = contextvars.ContextVar("hr_zk_attendance_build", default=None)


@contextmanager
def _build_scope(env, start, stop):
    """Within: lunch intervals cached per employee for [start, stop] (aware UTC), batched
    overlap check. Both give exactly what Odoo's per-attendance code gives (see below)."""
    token = _BUILD.set({"db": env.cr.dbname, "start": start, "stop": stop, "lunch": {}})
    try:
        yield
    finally:
        _BUILD.reset(token)


def lunch_intervals_in_build(employee, start, stop):
    """An employee's lunch intervals as Odoo's hr.employee._employee_attendance_intervals(
    start, stop, lunch=True) gives them, or None outside a build (then Odoo answers).

    Odoo asks once per attendance, twice in fact (hr.attendance._compute_worked_hours and
    _get_pre_post_work_time), one calendar search each. During a build they are computed once
    per employee over the whole span and clipped here exactly as
    resource.calendar._attendance_intervals_batch clips them.
    """
    scope = _BUILD.get()
    if not (scope and scope["db"] == employee.env.cr.dbname and start.tzinfo and stop.tzinfo
            and scope["start"] <= start and stop <= scope["stop"]):
        return None
    employee.ensure_one()
    calendar = employee.resource_calendar_id or employee.company_id.resource_calendar_id
    resource = employee.resource_id
    if not calendar or not resource or resource._is_flexible():
        # Flexible: Odoo returns one interval spanning [start, stop]; nothing to share.
        return None
    key = (calendar.id, resource.id)
    if key not in scope["lunch"]:
        whole = calendar._attendance_intervals_batch(
            scope["start"], scope["stop"], resource, lunch=True)[resource.id]
        items = list(whole)  # sorted, disjoint: the stops increase
        # Overlapping lunch lines (an employee's own line over the calendar's) are merged
        # into one interval naming both lines; clipped, it could name a line Odoo's narrower
        # call leaves out. Odoo answers for such an employee.
        scope["lunch"][key] = None if any(len(item[2]) > 1 for item in items) else (
            type(whole), timezone(resource.tz), items, [item[1].timestamp() for item in items])
    entry = scope["lunch"][key]
    if entry is None:
        return None
    kind, tz, items, stops = entry
    low, high = start.astimezone(tz), stop.astimezone(tz)
    clipped, index = [], bisect_right(stops, low.timestamp())  # first one ending after low
    while index < len(items) and items[index][0] < high:
        begin, end, records = items[index]
        clipped.append((max(low, begin), min(high, end), records))
        index += 1
    return kind(clipped)


class HrAttendance(models.Model):
    _inherit = "hr.attendance"  # pylint: disable=consider-merging-classes-inherited

    @api.constrains("check_in", "check_out", "employee_id")
    def _check_validity(self):
        """Odoo's overlap check, answered for a whole build in one query.

        Odoo runs two or three searches per attendance: the latest attendance of the employee
        starting at or before the check-in (it must have ended by then) and the latest one
        starting before the check-out (it must be that same one). This query asks the same
        two questions for every record at once. Any record it cannot clear, because it fails
        or because two attendances start at the same instant (Odoo's order would pick either),
        goes through Odoo's own check, which raises its own message. Only during a build
        (_build_scope) and as superuser, where Odoo's searches see every row too.
        """
        if not _BUILD.get() or not self.env.su or not self.ids:
            return super()._check_validity()
        self.flush_model(["employee_id", "check_in", "check_out"])
        self.env.cr.execute(SQL("""
            SELECT a.id, a.check_in, a.check_out, before_in.ids, before_in.starts,
                   before_in.ends, before_out.ids, before_out.starts
              FROM hr_attendance a
        CROSS JOIN LATERAL (
                SELECT array_agg(o.id ORDER BY o.check_in DESC) AS ids,
                       array_agg(o.check_in ORDER BY o.check_in DESC) AS starts,
                       array_agg(o.check_out ORDER BY o.check_in DESC) AS ends
                  FROM (SELECT id, check_in, check_out FROM hr_attendance
                         WHERE employee_id = a.employee_id AND check_in <= a.check_in
                           AND id != a.id
                         ORDER BY check_in DESC LIMIT 2) o) before_in
        CROSS JOIN LATERAL (
                SELECT array_agg(o.id ORDER BY o.check_in DESC) AS ids,
                       array_agg(o.check_in ORDER BY o.check_in DESC) AS starts
                  FROM (SELECT id, check_in FROM hr_attendance
                         WHERE employee_id = a.employee_id AND check_in < a.check_out
                           AND id != a.id
                         ORDER BY check_in DESC LIMIT 2) o) before_out
             WHERE a.id IN %s""", tuple(self.ids)))
        doubtful = [
            att_id for att_id, check_in, check_out, in_ids, in_starts, in_ends, out_ids,
            out_starts in self.env.cr.fetchall()
            if not check_out or _tie(in_starts) or _tie(out_starts)
            or (in_ids and in_ends[0] and in_ends[0] > check_in)
            or (out_ids and (not in_ids or out_ids[0] != in_ids[0]))
        ]
        if doubtful:
            super(HrAttendance, self.browse(doubtful))._check_validity()
        return None


class HrEmployee(models.Model):
    _inherit = "hr.employee"  # pylint: disable=consider-merging-classes-inherited

    def _employee_attendance_intervals(self, start, stop, lunch=False):
        # During an attendance build: one lunch computation per employee (above).
        intervals = lunch_intervals_in_build(self, start, stop) if lunch else None
        if intervals is None:
            intervals = super()._employee_attendance_intervals(start, stop, lunch=lunch)
        return intervals


def _tie(starts):
    """Two attendances start at the same instant: Odoo's ORDER BY check_in picks either."""
    return starts is not None and len(starts) == 2 and starts[0] == starts[1]
