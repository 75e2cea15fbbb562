from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.tools import SQL

from .zk_time_tools import _to_local

# Employees per scheduled run: each run is one transaction (Odoo's batch cron API commits
# between runs), small enough for Odoo's worker time and memory limits at any company size.
DAILY_CHUNK = 200
# Employees computed together inside a run: one read of their inputs and one write of their
# days; the cache is emptied between them (memory flat whatever a chunk's days hold).
COMPUTE_BATCH = 100
# Where tonight's recompute of the trailing days stands: "<date>:<last employee id done>".
TRAILING_POSITION = "hr_zk_attendance.trailing_recompute_position"


class ZkDailyRecordCron(models.Model):
    """The scheduled computation of daily records, a chunk of employees per run.

    Each run reports `_notify_progress(done, remaining)`; while something remains the cron
    framework runs it again at once, every run its own commit. What a run committed is
    never done again: the changed days by their punches' pending flags, the nightly
    recompute by its position (the last employee done tonight)."""

    _inherit = "zk.daily.record"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_compute_pending(self, limit=None):
        """Days with new or changed punches (their attendances and daily records: one
        pairing gives both), a chunk of employees per run."""
        limit = limit or DAILY_CHUNK
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT employee_id, min(timestamp_utc), max(timestamp_utc) FROM zk_punch "
            "WHERE (record_pending OR pairing_pending) AND employee_id IS NOT NULL "
            "GROUP BY employee_id ORDER BY employee_id LIMIT %s", (limit + 1,))
        rows = self.env.cr.fetchall()
        remaining = max(len(rows) - limit, 0)
        rows = rows[:limit]
        # Employees whose changed days span the same dates are computed together: one read of
        # their inputs, one engine run each, one write of their days and attendances.
        spans = defaultdict(list)
        # One recordset, so the employees' zones are read in one query, not one each.
        employees = self.env["hr.employee"].browse([row[0] for row in rows])
        for employee, (employee_id, lowest, highest) in zip(employees, rows, strict=True):
            tz = ZoneInfo(employee._get_tz() or "UTC")
            spans[(_to_local(lowest, tz).date() - timedelta(days=1),
                   _to_local(highest, tz).date())].append(employee_id)
        for (first, last), employee_ids in spans.items():
            for start in range(0, len(employee_ids), COMPUTE_BATCH):
                self._compute_range(self.env["hr.employee"].browse(
                    employee_ids[start:start + COMPUTE_BATCH]), first, last)
                self._end_chunk()
        if rows:
            # Only what was pending up to the newest punch computed: a punch arriving
            # meanwhile stays pending for the next run.
            self.env.cr.execute(SQL(
                "UPDATE zk_punch SET record_pending = false, pairing_pending = false "
                "FROM (VALUES %s) AS v(employee, newest) WHERE zk_punch.employee_id = "
                "v.employee AND (record_pending OR pairing_pending) "
                "AND zk_punch.timestamp_utc <= v.newest",
                SQL(", ").join(SQL("(%s, %s::timestamp)", employee_id, highest)
                               for employee_id, _lowest, highest in rows)))
            self.env["zk.punch"].invalidate_model(["record_pending", "pairing_pending"])
        self.env["ir.cron"]._notify_progress(done=len(rows), remaining=remaining)
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
