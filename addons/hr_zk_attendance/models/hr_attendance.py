import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from pytz import utc

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from zk_rules.engine import Interval

from .odoo_speedups import _build_scope
from .zk_time_tools import _to_utc

_logger = logging.getLogger(__name__)

class HrAttendance(models.Model):
    _inherit = "hr.attendance"

    # Part D: intervals written from terminal punches carry their own mode, never 'technical'.
    in_mode = fields.Selection(selection_add=[("zk", "ZKTeco terminal")],
                               ondelete={"zk": "set default"})
    out_mode = fields.Selection(selection_add=[("zk", "ZKTeco terminal")],
                                ondelete={"zk": "set default"})
    zk_punch_ids = fields.One2many("zk.punch", "attendance_id", string="Terminal punches")
    zk_work_date = fields.Date(
        string="Work date", readonly=True, index=True, copy=False,
        help="The work date whose punches gave this interval (a night shift's belongs to the "
        "day it started).")

    @api.model
    def _zk_write_paired(self, paired):
        """Write the attendances of the work dates the daily records were just computed for.

        `paired` is {employee id: (employee, zone, first date, last date, {ISO date:
        DayRecord})}: the engine's own result for the daily records, whose closed pairs
        (DayRecord.paired, before grace and rounding) are the attendances. One pairing per
        employee-day: the figures and the intervals cannot disagree. Open intervals are never
        written (they would block the employee); they stay visible on the punches.
        """
        if not paired:
            return
        plans = {}
        bounds = {}
        for employee_id, (_employee, tz, first, last, days) in paired.items():
            start = _to_utc(datetime.combine(first, time.min), tz)
            end = _to_utc(datetime.combine(last + timedelta(days=1), time.min), tz)
            bounds[employee_id] = (first, last, start, end)
            plans[employee_id] = sorted(
                (Interval.utc_datetime(s), Interval.utc_datetime(e), date.fromisoformat(key))
                for key, record in days.items() for s, e in record.paired)
        low = min(b[2] for b in bounds.values()) - timedelta(days=1)
        high = max(b[3] for b in bounds.values()) + timedelta(days=1)
        for wanted in plans.values():
            if wanted:
                low = min(low, wanted[0][0] - timedelta(days=1))
                high = max(high, max(iv[1] for iv in wanted) + timedelta(days=1))
        employee_ids = list(paired)
        punches = self.env["zk.punch"].search_fetch(
            [("employee_id", "in", employee_ids), ("state", "=", "done"),
             ("timestamp_utc", ">=", low), ("timestamp_utc", "<", high)],
            ["employee_id", "timestamp_utc", "attendance_id", "pairing_pending"],
            order="timestamp_utc, id")
        existing = self.search_fetch(
            [("employee_id", "in", employee_ids), ("in_mode", "=", "zk"),
             ("check_in", ">=", low), ("check_in", "<", high)],
            ["employee_id", "check_in", "check_out", "zk_work_date"])
        own = defaultdict(list)
        for punch in punches:
            own[punch.employee_id.id].append(punch)
        current = defaultdict(list)
        for attendance in existing:
            current[attendance.employee_id.id].append(attendance)
        result = {}
        for employee_id, wanted in plans.items():
            first, last, start, end = bounds[employee_id]
            # Those of these work dates; one written before work dates were kept, by its start.
            olds = [a for a in current[employee_id]
                    if (first <= a.zk_work_date <= last if a.zk_work_date
                        else start <= a.check_in < end)]
            result[employee_id] = (own[employee_id], wanted, olds)
        self._zk_apply_plans(result)

    def _zk_apply_plans(self, plans):
        """Write the planned intervals: drop stale ones, create new ones, link punches."""
        # System-written intervals: no chatter message per attendance.
        self = self.with_context(tracking_disable=True, mail_create_nolog=True)
        to_unlink = self.browse()
        to_create = {}
        for employee_id, (_own, wanted, olds) in plans.items():
            dates = {iv[:2]: iv[2] for iv in wanted}
            keep = {(a.check_in, a.check_out) for a in olds if (a.check_in, a.check_out)
                    in dates}
            to_unlink |= self.browse([a.id for a in olds
                                      if (a.check_in, a.check_out) not in dates])
            to_create[employee_id] = [iv for iv in wanted if iv[:2] not in keep]
            for attendance in olds:
                work_date = dates.get((attendance.check_in, attendance.check_out))
                if work_date and attendance.zk_work_date != work_date:
                    attendance.zk_work_date = work_date
        vals = [{"employee_id": emp, "check_in": s, "check_out": e, "zk_work_date": d,
                 "in_mode": "zk", "out_mode": "zk"}
                for emp, intervals in to_create.items() for s, e, d in intervals]
        failed = {}
        instants = [t for _own, wanted, olds in plans.values()
                    for t in [*(t for iv in wanted for t in iv[:2]),
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
                                          "check_out": e, "zk_work_date": d,
                                          "in_mode": "zk", "out_mode": "zk"}
                                         for s, e, d in intervals])
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
