import hashlib
from datetime import timedelta
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from .zk_daily_record import STATUSES
from .zk_time_tools import _to_local


class ZkAdjustment(models.Model):
    """A proposed missing punch or corrected time. Once approved it becomes a punch of its own
    kind ("adjustment"): the terminals' punches are never edited (architecture.md)."""

    _name = "zk.adjustment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Attendance Adjustment"
    _order = "create_date desc"

    employee_id = fields.Many2one("hr.employee", required=True, index=True, tracking=True,
                                  default=lambda s: s.env.user.employee_id)
    company_id = fields.Many2one(related="employee_id.company_id", store=True)
    department_id = fields.Many2one(related="employee_id.department_id", store=True)
    punch_time = fields.Datetime(required=True, tracking=True,
                                 help="When the punch should have been.")
    direction = fields.Selection([("in", "Check in"), ("out", "Check out")], required=True,
                                 default="in")
    replaced_punch_id = fields.Many2one(
        "zk.punch", string="Corrects punch",
        domain="[('employee_id', '=', employee_id), ('state', '=', 'done')]",
        help="For a corrected time: the terminal punch this one replaces. It is kept as it "
        "was sent and set aside (Replaced by an adjustment), never edited.")
    reason = fields.Text(required=True)
    state = fields.Selection([("draft", "Draft"), ("to_approve", "To approve"),
                              ("approved", "Approved"), ("refused", "Refused")],
                             default="draft", required=True, readonly=True, index=True,
                             tracking=True)
    requested_by = fields.Many2one("res.users", default=lambda s: s.env.user, readonly=True)
    decided_by = fields.Many2one("res.users", readonly=True)
    decided_at = fields.Datetime(readonly=True)
    decision_reason = fields.Char(readonly=True, tracking=True)
    punch_id = fields.Many2one("zk.punch", readonly=True, string="Resulting punch")
    # Why: the day the request changes, as the approver must see it before deciding.
    # Officers and managers only: employees read their requests, not the punch log. The day's
    # figures are read with the day (computed from the same inputs, not declared through
    # record_id: the day is found by a search, so Odoo could not tell which requests a changed
    # day concerns).
    record_id = fields.Many2one("zk.daily.record", string="Daily record",
                                compute="_compute_record_id",
                                groups="hr_attendance.group_hr_attendance_officer")
    day_status = fields.Selection(STATUSES, string="Day", compute="_compute_record_id",
                                  groups="hr_attendance.group_hr_attendance_officer")
    day_exception_ids = fields.Many2many("zk.day.exception", string="Exceptions",
                                         compute="_compute_record_id",
                                         groups="hr_attendance.group_hr_attendance_officer")
    day_intervals = fields.Text(string="Intervals", compute="_compute_record_id",
                                groups="hr_attendance.group_hr_attendance_officer")
    day_punches_html = fields.Html(string="Punches", compute="_compute_record_id",
                                   sanitize=False,
                                   groups="hr_attendance.group_hr_attendance_officer")
    day_worked_hours = fields.Float(string="Worked", compute="_compute_record_id",
                                    groups="hr_attendance.group_hr_attendance_officer")

    @api.depends("employee_id", "punch_time", "direction")
    def _compute_record_id(self):
        Record = self.env["zk.daily.record"]
        for adjustment in self:
            record = Record
            if adjustment.employee_id and adjustment.punch_time:
                tz = ZoneInfo(adjustment.employee_id._get_tz() or "UTC")
                day = _to_local(adjustment.punch_time, tz).date()
                # A check-out after midnight belongs to the day before's shift.
                days = [day, day - timedelta(days=1)] if adjustment.direction == "out" \
                    else [day]
                for candidate in days:
                    record = Record.search([("employee_id", "=", adjustment.employee_id.id),
                                            ("work_date", "=", candidate)], limit=1)
                    if record:
                        break
            adjustment.record_id = record
            adjustment.day_status = record.status
            adjustment.day_exception_ids = record.exception_ids
            adjustment.day_intervals = record.intervals_local
            adjustment.day_punches_html = record.punches_html
            adjustment.day_worked_hours = record.worked_hours

    @api.depends("employee_id", "punch_time", "direction")
    def _compute_display_name(self):
        directions = dict(self._fields["direction"]._description_selection(self.env))
        for adjustment in self:
            when = format_datetime(self.env, adjustment.punch_time, dt_format="short") \
                if adjustment.punch_time else ""
            adjustment.display_name = (
                f"{adjustment.employee_id.name or ''}: "
                f"{directions.get(adjustment.direction, '')} {when}").strip()

    def action_submit(self):
        submitted = self.filtered(lambda a: a.state == "draft")
        submitted.write({"state": "to_approve"})
        submitted._schedule_approval()
        return True

    def _schedule_approval(self):
        for adjustment in self:
            approver = self.env["zk.overtime.line"]._approver_for(adjustment.employee_id)
            if not approver:
                continue
            # sudo: the employee asks; the to-do is for their approver, whose right to decide
            # is checked when they decide.
            adjustment.sudo().activity_schedule(
                "mail.mail_activity_data_todo", user_id=approver.id,
                summary=self.env._("Approve adjustment"),
                note=self.env._("%(employee)s asks for a %(direction)s at %(when)s: %(reason)s",
                                employee=adjustment.employee_id.name,
                                direction=dict(self._fields["direction"]._description_selection(
                                    self.env)).get(adjustment.direction, "").lower(),
                                when=format_datetime(self.env, adjustment.punch_time,
                                                     tz=adjustment.employee_id._get_tz(),
                                                     dt_format="short"),
                                reason=adjustment.reason))

    def _close_approval(self, feedback):
        # sudo: whoever decided closes the approver's to-do.
        self.sudo().activity_feedback(["mail.mail_activity_data_todo"], feedback=feedback)

    def _check_can_decide(self):
        # Same authority as overtime: the department's manager, or an administrator.
        for adjustment in self:
            if adjustment.state != "to_approve":
                raise UserError(self.env._("Only submitted requests can be decided."))
        self.env["zk.overtime.line"]._check_can_decide_for(self.employee_id)

    def action_approve(self, reason=None):
        self._check_can_decide()
        for adjustment in self:
            punch = adjustment._make_punch()
            if adjustment.replaced_punch_id:
                # sudo: the approval authorised setting the replaced punch aside.
                adjustment.replaced_punch_id.sudo().write({
                    "state": "superseded", "pairing_pending": False,
                    "state_reason": self.env._("Replaced by adjustment #%s", adjustment.id)})
            adjustment.sudo().write({  # sudo: authorised above; requests are readonly now
                "state": "approved", "decided_by": self.env.uid,
                "decided_at": fields.Datetime.now(), "decision_reason": reason or False,
                "punch_id": punch.id})
            self.env["zk.audit.entry"]._log(
                adjustment, "adjustment_approved", before={"state": "to_approve"},
                after={"state": "approved", "punch_time": adjustment.punch_time,
                       "direction": adjustment.direction, "punch": punch.id},
                reason=adjustment.reason + (f"\n{reason}" if reason else ""))
            adjustment._close_approval(self.env._("Approved") + (f": {reason}" if reason else ""))
            adjustment._recompute_day()
        return True

    def action_refuse(self, reason=None):
        self._check_can_decide()
        for adjustment in self:
            adjustment.sudo().write({  # sudo: authorised above
                "state": "refused", "decided_by": self.env.uid,
                "decided_at": fields.Datetime.now(), "decision_reason": reason or False})
            self.env["zk.audit.entry"]._log(adjustment, "adjustment_refused",
                                            before={"state": "to_approve"},
                                            after={"state": "refused"}, reason=reason)
            adjustment._close_approval(self.env._("Refused") + (f": {reason}" if reason else ""))
        return True

    def _make_punch(self):
        self.ensure_one()
        tz_name = self.employee_id._get_tz() or "UTC"
        local = _to_local(self.punch_time, ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M:%S")
        identity = f"adjustment\x1f{self.id}\x1f{self.employee_id.id}\x1f{local}"
        # sudo: punches are never created by people; the approved request creates its own.
        return self.env["zk.punch"].sudo().create({
            "fingerprint": hashlib.sha256(identity.encode()).hexdigest(),
            "source": "adjustment", "serial": "adjustment", "pin": str(self.employee_id.id),
            "local_time": local, "timezone": tz_name, "timestamp_utc": self.punch_time,
            "status": 0 if self.direction == "in" else 1, "employee_id": self.employee_id.id,
            "company_id": self.company_id.id, "state": "done", "pairing_pending": True,
            "record_pending": True, "received_at": fields.Datetime.now(),
        })

    def _recompute_day(self):
        """Pair and recompute now (daily records and attendances, from one engine run) so the
        manager sees the corrected day at once."""
        tz = ZoneInfo(self.employee_id._get_tz() or "UTC")
        day = _to_local(self.punch_time, tz).date()
        # sudo: daily records are written by the system; the approval authorised this.
        self.env["zk.daily.record"].sudo()._compute_range(self.employee_id, day - timedelta(days=1),
                                                   day, reason=self.reason)
