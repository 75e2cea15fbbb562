from datetime import timedelta
from zoneinfo import ZoneInfo

from odoo import api, fields, models

from .zk_time_tools import _to_local

# Employees per scheduled run: each run is one transaction (Odoo's batch cron API commits
# between runs), small enough for Odoo's worker time and memory limits at any company size.
DAILY_CHUNK = 200
# Where tonight's recompute of the trailing days stands: "<date>:<last employee id done>".
TRAILING_POSITION = "hr_zk_attendance.trailing_recompute_position"


class ZkDailyRecordCron(models.Model):
    """The scheduled computation of daily records, a chunk of employees per run.

    Each run reports `_notify_progress(done, remaining)`; while something remains the cron
    framework runs it again at once, every run its own commit. What a run committed is
    never done again: the changed days by their punches' `record_pending` flag, the nightly
    recompute by its position (the last employee done tonight)."""

    _inherit = "zk.daily.record"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_compute_pending(self, limit=None):
        """Days with new or changed punches, a chunk of employees per run."""
        limit = limit or DAILY_CHUNK
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT employee_id, min(timestamp_utc), max(timestamp_utc) FROM zk_punch "
            "WHERE record_pending AND employee_id IS NOT NULL AND NOT pairing_pending "
            "GROUP BY employee_id ORDER BY employee_id LIMIT %s", (limit + 1,))
        rows = self.env.cr.fetchall()
        remaining = max(len(rows) - limit, 0)
        for employee_id, lowest, highest in rows[:limit]:
            employee = self.env["hr.employee"].browse(employee_id)
            tz = ZoneInfo(employee._get_tz() or "UTC")
            first = _to_local(lowest, tz).date() - timedelta(days=1)
            last = _to_local(highest, tz).date()
            self._compute_range(employee, first, last)
            self.env["zk.punch"].search([("employee_id", "=", employee_id),
                                         ("record_pending", "=", True),
                                         ("timestamp_utc", "<=", highest)]).write(
                {"record_pending": False})
        self._end_chunk()
        self.env["ir.cron"]._notify_progress(done=min(len(rows), limit), remaining=remaining)
        return remaining

    @api.model
    def _cron_recompute_trailing(self, limit=None):
        """Nightly: recompute the trailing days of every company to absorb late punches,
        a chunk of employees (in id order) per run; tonight's position is kept so that a
        killed run goes on after the last chunk it committed."""
        limit = limit or DAILY_CHUNK
        today = fields.Date.context_today(self)
        # sudo: the position is the scheduled job's own bookkeeping, not a setting.
        params = self.env["ir.config_parameter"].sudo()
        day, _sep, last = (params.get_param(TRAILING_POSITION) or "").partition(":")
        after = int(last) if day == today.isoformat() and last.isdigit() else 0
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT e.id, c.zk_recompute_days FROM hr_employee e "
            "JOIN res_company c ON c.id = e.company_id "
            "WHERE e.active AND c.zk_recompute_days > 0 AND e.id > %s ORDER BY e.id LIMIT %s",
            (after, limit))
        rows = self.env.cr.fetchall()
        by_days = {}
        for employee_id, days in rows:
            by_days.setdefault(days, []).append(employee_id)
        for days, employee_ids in sorted(by_days.items()):
            self._compute_range(self.env["hr.employee"].browse(employee_ids),
                                today - timedelta(days=days), today - timedelta(days=1))
        if rows:
            after = rows[-1][0]
        params.set_param(TRAILING_POSITION, f"{today.isoformat()}:{after}")
        self.env.cr.execute(
            "SELECT count(*) FROM hr_employee e JOIN res_company c ON c.id = e.company_id "
            "WHERE e.active AND c.zk_recompute_days > 0 AND e.id > %s", (after,))
        remaining = self.env.cr.fetchone()[0]
        self._end_chunk()
        self.env["ir.cron"]._notify_progress(done=len(rows), remaining=remaining)
        return remaining

    def _end_chunk(self):
        """Write what the chunk computed and drop its records from memory, so that a run's
        memory is one chunk's whatever the company's size."""
        self.env.flush_all()
        self.env.invalidate_all()
