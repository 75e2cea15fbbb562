import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from zk_rules.calendar import CalendarLine, schedule_for_dates
from zk_rules.engine.replay import replay_document

_logger = logging.getLogger(__name__)

# Pairing only: grace and rounding off, so intervals are the raw E8.1 boundaries (Part D).
PAIRING_POLICY = {"grace_late_minutes": 0, "grace_early_out_minutes": 0,
                  "rounding": {"unit_minutes": 1, "in_mode": "nearest", "out_mode": "nearest"}}


class HrAttendance(models.Model):
    _inherit = "hr.attendance"

    # Part D: intervals written from terminal punches carry their own mode, never 'technical'.
    in_mode = fields.Selection(selection_add=[("zk", "ZKTeco terminal")],
                               ondelete={"zk": "set default"})
    out_mode = fields.Selection(selection_add=[("zk", "ZKTeco terminal")],
                                ondelete={"zk": "set default"})
    zk_punch_ids = fields.One2many("zk.punch", "attendance_id", string="Terminal punches")

    @api.model
    def _zk_rebuild_from_punches(self, punches):
        """Turn processed punches into closed hr.attendance intervals, per employee.

        Pairing is the engine's (E2-E5, zk_rules.engine). Only closed intervals are written:
        an open one would block the employee (Part D); it stays visible on the punches.
        """
        for employee in punches.employee_id:
            own = punches.filtered(lambda p, e=employee: p.employee_id == e)
            self._zk_rebuild_employee(employee, own)

    def _zk_rebuild_employee(self, employee, punches):
        tz = ZoneInfo(employee._get_tz() or "UTC")
        local_dates = {_to_local(p.timestamp_utc, tz).date() for p in punches}
        first, last = min(local_dates) - timedelta(days=1), max(local_dates) + timedelta(days=1)
        span_start = _to_utc(datetime.combine(first, time.min), tz)
        span_end = _to_utc(datetime.combine(last + timedelta(days=1), time.min), tz)
        window = self.env["zk.punch"].search([
            ("employee_id", "=", employee.id), ("state", "=", "done"),
            ("timestamp_utc", ">=", span_start - timedelta(days=1)),
            ("timestamp_utc", "<", span_end + timedelta(days=1)),
        ], order="timestamp_utc, id")
        intervals = _pair(employee, window, tz, first, last)
        wanted = [(s, e) for s, e in intervals if span_start <= s < span_end]
        existing = self.search([
            ("employee_id", "=", employee.id), ("in_mode", "=", "zk"),
            ("check_in", ">=", span_start), ("check_in", "<", span_end),
        ])
        keep = existing.filtered(lambda a: (a.check_in, a.check_out) in wanted)
        (existing - keep).unlink()
        have = {(a.check_in, a.check_out) for a in keep}
        for start, end in wanted:
            if (start, end) in have:
                continue
            related = window.filtered(lambda p, s=start, e=end: s <= p.timestamp_utc
                                      < e + timedelta(minutes=1))
            try:
                with self.env.cr.savepoint():
                    attendance = self.create({
                        "employee_id": employee.id, "check_in": start, "check_out": end,
                        "in_mode": "zk", "out_mode": "zk",
                    })
            except ValidationError as exc:
                related.write({"state": "review", "state_reason": self.env._(
                    "Could not be written as attendance: %s", exc.args[0])})
                continue
            related.write({"attendance_id": attendance.id})


def _to_local(utc_naive, tz):
    return utc_naive.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)


def _to_utc(local_naive, tz):
    return local_naive.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _calendar_lines(calendar):
    lines = []
    for att in calendar.attendance_ids:
        if att.display_type:
            continue
        lines.append(CalendarLine(
            dayofweek=int(att.dayofweek), hour_from=att.hour_from, hour_to=att.hour_to,
            day_period=att.day_period or "morning",
            week_type=int(att.week_type) if calendar.two_weeks_calendar and att.week_type
            else None,
            date_from=att.date_from or None, date_to=att.date_to or None,
        ))
    return lines


def _pair(employee, punches, tz, first, last):
    """Closed intervals (UTC naive) the engine pairs for work dates first..last."""
    dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    calendar = employee.resource_calendar_id
    schedule = {}
    if calendar:
        pad = [first - timedelta(days=1), *dates, last + timedelta(days=1)]
        schedule = schedule_for_dates(_calendar_lines(calendar), pad,
                                      two_weeks=calendar.two_weeks_calendar)
    document = {
        "timezone": str(tz.key),
        "evaluate_dates": [d.isoformat() for d in dates],
        "punches": [{"id": p.id, "local_time": _to_local(p.timestamp_utc, tz).strftime(
            "%Y-%m-%d %H:%M:%S"), "status": p.status} for p in punches],
        "schedule": schedule,
        "holidays": [],
        "policy": PAIRING_POLICY,
    }
    result = replay_document(document)
    intervals = []
    for day in result["days"].values():
        for interval in day["intervals"]:
            if interval["start"] and interval["end"]:
                intervals.append((_iso_to_utc(interval["start"]), _iso_to_utc(interval["end"])))
    return sorted(set(intervals))


def _iso_to_utc(text):
    value = datetime.fromisoformat(text)
    return value.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
