import json
import logging
from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from zk_rules.engine import compute_days, reconcile_lines
from zk_rules.hashchain import canonical_json

from .zk_day_inputs import RULE_VERSION, _RangeInputs, leave_work_minutes
from .zk_day_view import day_intervals_text, day_punches_html

_logger = logging.getLogger(__name__)

MINUTE_FIELDS = [
    "scheduled_minutes", "leave_minutes", "expected_minutes", "presence_minutes",
    "worked_minutes", "regular_minutes", "late_in_minutes", "early_out_minutes",
    "undertime_minutes", "early_arrival_minutes", "break_taken_minutes",
    "break_deducted_minutes", "night_minutes",
]
HOUR_FIELDS = {name: name.replace("_minutes", "_hours") for name in MINUTE_FIELDS}
HOUR_FIELDS.update(overtime_workday="overtime_workday_hours",
                   overtime_rest_day="overtime_rest_day_hours",
                   overtime_holiday="overtime_holiday_hours", overtime_minutes="overtime_hours")
STATUSES = [
    ("compliant", "Compliant"), ("non_compliant", "Non-compliant"), ("incomplete", "Incomplete"),
    ("absent", "Absent"), ("on_leave", "On leave"), ("off", "Off"), ("holiday", "Holiday"),
    ("rest_day_work", "Rest-day work"), ("holiday_work", "Holiday work"),
]


class ZkDailyRecord(models.Model):
    """One employee's day as the engine computed it (B4): the payroll source (Part D)."""

    _name = "zk.daily.record"
    _description = "Daily Record"
    _order = "work_date desc, employee_id"
    _rec_name = "work_date"

    employee_id = fields.Many2one("hr.employee", required=True, readonly=True, index=True,
                                  ondelete="restrict")
    company_id = fields.Many2one(related="employee_id.company_id", store=True, index=True)
    department_id = fields.Many2one(related="employee_id.department_id", store=True)
    work_date = fields.Date(required=True, readonly=True, index=True)
    version = fields.Integer(readonly=True, default=1)
    rule_version = fields.Char(readonly=True)
    inputs_fingerprint = fields.Char(readonly=True, help="SHA-256 of the engine inputs.")
    computed_at = fields.Datetime(readonly=True)
    locked = fields.Boolean(readonly=True, help="Exported to payroll: changes only through an "
                            "audited correction.")
    day_type = fields.Selection([("workday", "Workday"), ("rest_day", "Rest day"),
                                 ("holiday", "Holiday")], readonly=True)
    status = fields.Selection(STATUSES, readonly=True, index=True)
    provisional = fields.Boolean(readonly=True, help="To be reviewed before payroll: a punch "
                                 "is missing or the employee worked on leave.")
    scheduled_minutes = fields.Integer(readonly=True, aggregator="sum")
    leave_minutes = fields.Integer(readonly=True, aggregator="sum")
    expected_minutes = fields.Integer(readonly=True, aggregator="sum")
    presence_minutes = fields.Integer(readonly=True, aggregator="sum")
    worked_minutes = fields.Integer(readonly=True, aggregator="sum")
    regular_minutes = fields.Integer(readonly=True, aggregator="sum")
    late_in_minutes = fields.Integer(string="Late (min)", readonly=True, aggregator="sum")
    early_out_minutes = fields.Integer(string="Early out (min)", readonly=True,
                                       aggregator="sum")
    undertime_minutes = fields.Integer(readonly=True, aggregator="sum")
    early_arrival_minutes = fields.Integer(readonly=True, aggregator="sum")
    break_taken_minutes = fields.Integer(readonly=True, aggregator="sum")
    break_deducted_minutes = fields.Integer(readonly=True, aggregator="sum")
    night_minutes = fields.Integer(readonly=True, aggregator="sum")
    overtime_workday = fields.Integer(readonly=True, aggregator="sum")
    overtime_rest_day = fields.Integer(readonly=True, aggregator="sum")
    overtime_holiday = fields.Integer(readonly=True, aggregator="sum")
    overtime_minutes = fields.Integer(readonly=True, aggregator="sum")
    missing_check_in = fields.Boolean(readonly=True)
    missing_check_out = fields.Boolean(readonly=True)
    missing_break = fields.Boolean(readonly=True)
    exception_ids = fields.Many2many("zk.day.exception", string="Exceptions", readonly=True)
    intervals_display = fields.Text(string="Intervals", readonly=True)
    result_json = fields.Text(readonly=True, help="The engine's result for the day, exactly.")
    line_ids = fields.One2many("zk.overtime.line", "record_id", string="Overtime",
                               readonly=True)
    version_ids = fields.One2many("zk.daily.record.version", "record_id", readonly=True,
                                  string="Previous versions")
    overtime_to_approve = fields.Boolean(compute="_compute_overtime_to_approve", store=True)

    # Display (issue 16): the minute fields stay the payroll and replay source; people read
    # hours and minutes (float_time) from these.
    scheduled_hours = fields.Float("Scheduled", compute="_compute_hours", store=True,
                                   aggregator="sum")
    leave_hours = fields.Float("Leave", compute="_compute_hours", store=True, aggregator="sum")
    expected_hours = fields.Float("Expected", compute="_compute_hours", store=True,
                                  aggregator="sum")
    presence_hours = fields.Float("Presence", compute="_compute_hours", store=True,
                                  aggregator="sum")
    worked_hours = fields.Float("Worked", compute="_compute_hours", store=True,
                                aggregator="sum")
    regular_hours = fields.Float("Regular", compute="_compute_hours", store=True,
                                 aggregator="sum")
    late_in_hours = fields.Float("Late", compute="_compute_hours", store=True,
                                 aggregator="sum")
    early_out_hours = fields.Float("Early out", compute="_compute_hours", store=True,
                                   aggregator="sum")
    undertime_hours = fields.Float("Undertime", compute="_compute_hours", store=True,
                                   aggregator="sum")
    early_arrival_hours = fields.Float("Early arrival", compute="_compute_hours", store=True,
                                       aggregator="sum")
    break_taken_hours = fields.Float("Break taken", compute="_compute_hours", store=True,
                                     aggregator="sum")
    break_deducted_hours = fields.Float("Break deducted", compute="_compute_hours",
                                        store=True, aggregator="sum")
    night_hours = fields.Float("Night", compute="_compute_hours", store=True, aggregator="sum")
    overtime_workday_hours = fields.Float("Overtime (workday)", compute="_compute_hours",
                                          store=True, aggregator="sum")
    overtime_rest_day_hours = fields.Float("Overtime (rest day)", compute="_compute_hours",
                                           store=True, aggregator="sum")
    overtime_holiday_hours = fields.Float("Overtime (holiday)", compute="_compute_hours",
                                          store=True, aggregator="sum")
    overtime_hours = fields.Float("Overtime", compute="_compute_hours", store=True,
                                  aggregator="sum")
    intervals_local = fields.Text(string="Intervals", compute="_compute_punches_html",
                                  help="Worked intervals, in the employee's local time.")
    punches_html = fields.Html(string="Punches", compute="_compute_punches_html",
                               sanitize=False, help="The punches the day was computed from, "
                               "in the employee's local time.")

    @api.depends(*MINUTE_FIELDS, "overtime_workday", "overtime_rest_day", "overtime_holiday",
                 "overtime_minutes")
    def _compute_hours(self):
        for record in self:
            for minute_field, hour_field in HOUR_FIELDS.items():
                record[hour_field] = (record[minute_field] or 0) / 60.0

    @api.depends("result_json", "employee_id")
    def _compute_punches_html(self):
        for record in self:
            record.punches_html = day_punches_html(record)
            record.intervals_local = day_intervals_text(record)

    _sql_constraints = [("employee_date_unique", "UNIQUE(employee_id, work_date)",
                         "One daily record per employee and date.")]

    @api.depends("line_ids.status")
    def _compute_overtime_to_approve(self):
        for record in self:
            record.overtime_to_approve = any(line.status == "to_approve"
                                             for line in record.line_ids)

    @api.depends("employee_id", "work_date")
    def _compute_display_name(self):
        for record in self:
            record.display_name = (f"{record.employee_id.name} — "
                                   f"{format_date(self.env, record.work_date)}")

    # ------------------------------------------------------------------ actions
    def action_recompute(self):
        """On demand: recompute these days (locked days need an audited correction)."""
        by_employee = defaultdict(list)
        for record in self.filtered(lambda r: not r.locked):
            by_employee[record.employee_id].append(record.work_date)
        for employee, dates in by_employee.items():
            # sudo: records are written by the system only; asking for a recompute is enough.
            self.sudo()._compute_range(employee, min(dates), max(dates))
        return True

    def _correct(self, reason):
        """Audited correction of locked days: recompute them anyway, with a reason."""
        if not reason:
            raise UserError(self.env._("A correction of an exported day needs a reason."))
        if not self.env.user.has_group("hr_zk_attendance.group_zk_manager"):
            raise UserError(self.env._("Only managers can correct exported days."))
        for record in self:
            # sudo: the manager's correction is recorded with its reason by _compute_range.
            self.sudo()._compute_range(record.employee_id, record.work_date, record.work_date,
                                reason=reason, force_locked=True)
        return True

    # ------------------------------------------------------------------ engine
    @api.model
    def _compute_range(self, employees, date_from, date_to, reason=None, force_locked=False):
        """Compute and store the days date_from..date_to of each employee.

        One engine call per employee (zk_rules.engine.compute_days); new days are created in
        one batch; a changed day gets a new version, its overtime lines reconciled (E9.3)
        and an audit entry.
        """
        paired = {}
        to_create, changed = self._plan_range(employees, date_from, date_to, force_locked,
                                               paired=paired)
        created = self.create(to_create) if to_create else self.browse()
        for current, record, result, fingerprint, approval, exceptions, extra in changed:
            current._store_new_version(record, result, fingerprint, approval, exceptions, reason,
                                       extra_codes=extra)
        self.env["hr.attendance"]._zk_write_paired(paired)
        return created

    @api.model
    def _engine_inputs(self, employees, dates):
        """The Part D inputs (calendars, holidays, approved leave, punches) of these
        employees and dates: one reader; the payroll export reads the same facts through
        holiday_kinds and approved_leave_minutes below."""
        return _RangeInputs(self.env, employees, dates)

    # ------------------------------------------------------------------ for other modules
    @api.model
    @api.private
    def holiday_kinds(self, employees, dates):
        """{employee id: {ISO date: 'regular' or 'special'}}: the public holidays these
        employees have on these dates, as their daily records read them."""
        if not employees or not dates:
            return {}
        inputs = self._engine_inputs(employees, sorted(dates))
        return {employee.id: {h["date"]: h["kind"] for h in inputs.holidays(
            employee, ZoneInfo(employee._get_tz() or "UTC"))} for employee in employees}

    @api.model
    @api.private
    def approved_leave_minutes(self, employees, dates):
        """{employee id: [(hr.leave, {date: minutes})]}: the approved leaves of these
        employees touching these dates, with their working minutes on each of those dates,
        counted as the daily records count them (zk_rules.leave_time)."""
        if not employees or not dates:
            return {}
        inputs = self._engine_inputs(employees, sorted(dates))
        return {employee.id: inputs.leave_minutes_by_leave(employee) for employee in employees}

    @api.model
    @api.private
    def leave_minutes_per_date(self, leave):
        """{date: minutes} of one leave (hr.leave) as the daily records count them: the CTO
        bank debits these minutes."""
        return leave_work_minutes(leave)

    @api.model
    def _plan_range(self, employees, date_from, date_to, force_locked=False, paired=None):
        """Run the engine; return (values of new records, changed existing records).

        `paired`, when given, receives each employee's engine result ({employee id:
        (employee, zone, first, last, {ISO date: DayRecord})}): the attendances are written
        from it (hr.attendance._zk_write_paired), so punches are paired once."""
        dates = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
        if not dates or not employees:
            return [], []
        context = self._engine_inputs(employees, dates)
        existing = {(r.employee_id.id, r.work_date): r for r in self.search(
            [("employee_id", "in", employees.ids), ("work_date", ">=", date_from),
             ("work_date", "<=", date_to)])}
        exceptions = {e.code: e.id for e in self.env["zk.day.exception"].search([])}
        to_create, changed = [], []
        now = fields.Datetime.now()
        for employee in employees:
            document = context.document(employee)
            days = compute_days(**document)
            if paired is not None:
                paired[employee.id] = (employee, ZoneInfo(document["timezone"]), date_from,
                                       date_to, days)
            approval = context.approval(employee)
            for key, record in days.items():
                work_date = date.fromisoformat(key)
                result = record.to_dict()
                extra = context.zone_exceptions(document["timezone"], result)
                fingerprint = context.fingerprint(document, key)
                current = existing.get((employee.id, work_date))
                if current is None:
                    vals = _record_vals(result, exceptions, extra)
                    vals.update(employee_id=employee.id, work_date=work_date, version=1,
                                rule_version=RULE_VERSION, inputs_fingerprint=fingerprint,
                                computed_at=now,
                                line_ids=[(0, 0, line) for line in _line_vals(
                                    reconcile_lines([], record.overtime_lines, approval))])
                    to_create.append(vals)
                elif (current.result_json != canonical_json(result)
                      or set(current.exception_ids.mapped("code")) != _codes(result, extra,
                                                                              exceptions)):
                    if current.locked and not force_locked:
                        continue
                    changed.append((current, record, result, fingerprint, approval, exceptions,
                                    extra))
        return to_create, changed

    def _store_new_version(self, record, result, fingerprint, approval, exceptions, reason,
                           extra_codes=()):
        self.ensure_one()
        before = json.loads(self.result_json or "{}")
        self.env["zk.daily.record.version"].create({
            "record_id": self.id, "version": self.version, "result_json": self.result_json,
            "inputs_fingerprint": self.inputs_fingerprint, "rule_version": self.rule_version,
            "computed_at": self.computed_at,
        })
        previous = [{"kind": line.kind, "minutes": line.minutes, "status": line.status,
                     "approved_minutes": line.approved_minutes} for line in self.line_ids]
        reconciliation = reconcile_lines(previous, record.overtime_lines, approval)
        if reconciliation.revoked_kinds:
            self._zk_overtime_revoked(previous, reconciliation.revoked_kinds)
        vals = _record_vals(result, exceptions, extra_codes)
        vals.update(version=self.version + 1, rule_version=RULE_VERSION,
                    inputs_fingerprint=fingerprint, computed_at=fields.Datetime.now())
        self.line_ids.unlink()
        vals["line_ids"] = [(0, 0, line) for line in _line_vals(reconciliation)]
        self.write(vals)
        changes_before = {k: v for k, v in before.items() if result.get(k) != v}
        changes_after = {k: result.get(k) for k in changes_before}
        if reconciliation.revoked_kinds:
            changes_after["revoked_overtime"] = list(reconciliation.revoked_kinds)
        self.env["zk.audit.entry"]._log(
            self, "recompute", before=changes_before, after=changes_after,
            reason=reason or self.env._("Recomputed: punches or schedule changed."))


    def _zk_overtime_revoked(self, previous_lines, kinds):
        """Hook (E9.3 -> C10): approved overtime of `kinds` on this day (at self.version, the
        version being replaced) changed or vanished. The CTO bank reverses its credit here."""
        return None


def _codes(result, extra, exceptions):
    """The day's exception codes as stored: the engine's and those decided in Odoo."""
    return {c for c in (*result["exceptions"], *extra) if c in exceptions}


def _record_vals(result, exceptions, extra=()):
    overtime = result["overtime_minutes"]
    vals = {name: result.get(name) or 0 for name in MINUTE_FIELDS}
    vals.update(
        day_type=result["day_type"], status=result["status"], provisional=result["provisional"],
        overtime_workday=overtime["workday"], overtime_rest_day=overtime["rest_day"],
        overtime_holiday=overtime["holiday"], overtime_minutes=sum(overtime.values()),
        missing_check_in=result["missing"]["check_in"],
        missing_check_out=result["missing"]["check_out"],
        missing_break=result["missing"]["break"],
        exception_ids=[(6, 0, [exceptions[c] for c in sorted(_codes(result, extra, exceptions))])],
        intervals_display="\n".join(
            f"{iv['start'] or '?'} → {iv['end'] or '?'}" for iv in result["intervals"]),
        result_json=canonical_json(result),
    )
    return vals


def _line_vals(reconciliation):
    return [{"kind": line.kind, "minutes": line.minutes, "status": line.status,
             "approved_minutes": line.approved_minutes} for line in reconciliation.lines]
