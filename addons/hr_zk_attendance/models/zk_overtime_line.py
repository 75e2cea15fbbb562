from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

from .zk_day_view import hours_minutes

# What a manager may write; minutes and kind come from the engine only (superuser compute).
DECISION_FIELDS = {"status", "approved_minutes", "decided_by", "decided_at", "decision_reason",
                   # chatter bookkeeping, never the minutes
                   "message_main_attachment_id"}
KINDS = [("workday", "Workday"), ("rest_day", "Rest day"), ("holiday", "Holiday")]
# Lines decided within the person's own request; a larger selection is decided by a
# scheduled job a chunk at a time (an HTTP worker's time limit would cut it otherwise).
DECIDE_NOW = 100


class ZkOvertimeLine(models.Model):
    """E9 overtime line of a day: only approved minutes reach payroll and the CTO bank."""

    _name = "zk.overtime.line"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Overtime Line"
    _order = "work_date desc, employee_id, kind"

    record_id = fields.Many2one("zk.daily.record", required=True, ondelete="cascade",
                                index=True, readonly=True)
    employee_id = fields.Many2one(related="record_id.employee_id", store=True, index=True)
    department_id = fields.Many2one(related="record_id.department_id", store=True)
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    work_date = fields.Date(related="record_id.work_date", store=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    minutes = fields.Integer(required=True, readonly=True)
    approved_minutes = fields.Integer(readonly=True)
    status = fields.Selection([("to_approve", "To approve"), ("approved", "Approved"),
                               ("refused", "Refused")], required=True, default="to_approve",
                              readonly=True, index=True, tracking=True)
    decided_by = fields.Many2one("res.users", readonly=True)
    decided_at = fields.Datetime(readonly=True)
    decision_reason = fields.Char("Reason", readonly=True, tracking=True)
    queued_decision = fields.Selection(
        [("approved", "Approval queued"), ("refused", "Refusal queued")], "Queued", readonly=True,
        index="btree_not_null", copy=False,
        help="Decided in a large selection: the scheduled job applies it in a moment.")
    queued_by = fields.Many2one("res.users", readonly=True, copy=False)
    queued_reason = fields.Char(readonly=True, copy=False)
    # Display: hours and minutes (float_time); the minute fields stay the source.
    hours = fields.Float("Overtime", compute="_compute_hours", store=True, aggregator="sum")
    approved_hours = fields.Float("Approved", compute="_compute_hours", store=True,
                                  aggregator="sum")
    # Why: the day behind the line, as the approver must see it before deciding.
    day_status = fields.Selection(related="record_id.status", string="Day")
    day_exception_ids = fields.Many2many(related="record_id.exception_ids",
                                         string="Exceptions")
    day_intervals = fields.Text(related="record_id.intervals_local", string="Intervals")
    day_punches_html = fields.Html(related="record_id.punches_html", string="Punches")
    day_worked_hours = fields.Float(related="record_id.worked_hours", string="Worked")
    day_scheduled_hours = fields.Float(related="record_id.scheduled_hours",
                                       string="Scheduled")

    @api.depends("minutes", "approved_minutes")
    def _compute_hours(self):
        for line in self:
            line.hours = (line.minutes or 0) / 60.0
            line.approved_hours = (line.approved_minutes or 0) / 60.0

    @api.depends("employee_id", "work_date", "kind")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for line in self:
            line.display_name = self.env._(
                "%(employee)s — %(date)s, %(kind)s overtime", employee=line.employee_id.name,
                date=format_date(self.env, line.work_date), kind=(kinds.get(line.kind) or "")
                .lower())

    @api.model_create_multi
    def create(self, vals_list):
        # The engine creates lines by the batch: no "created" message, the approver's
        # to-do is the notice (and no e-mail per line).
        lines = super(ZkOvertimeLine, self.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True)).create(vals_list)
        lines.filtered(lambda line: line.status == "to_approve")._schedule_approval()
        return lines.with_env(self.env)

    def _schedule_approval(self):
        """A to-do for whoever decides: the department's manager, else an attendance
        administrator of the company. The engine creates a day's lines by the batch: their
        to-dos are created in one go too (as Odoo's activity_schedule would, one by one,
        and like it not at all when automated activities are switched off)."""
        if self.env.context.get("mail_activity_automation_skip"):
            return
        todo = self.env.ref("mail.mail_activity_data_todo")
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        model_id = self.env["ir.model"]._get_id(self._name)
        approvers, vals_list = {}, []
        for line in self:
            employee = line.employee_id
            key = (employee.department_id.id, employee.company_id.id)
            if key not in approvers:
                approvers[key] = self._approver_for(employee)
            if not approvers[key]:
                continue
            vals_list.append({
                "res_model_id": model_id, "res_id": line.id,
                "activity_type_id": todo.id, "automated": True,
                "user_id": approvers[key].id, "date_deadline": fields.Date.context_today(self),
                "summary": self.env._("Approve overtime: %s", hours_minutes(line.minutes)),
                "note": self.env._("%(employee)s worked %(hours)s of %(kind)s overtime on "
                                   "%(date)s. Approve, approve less or refuse.",
                                   employee=employee.name, hours=hours_minutes(line.minutes),
                                   kind=kinds.get(line.kind, "").lower(),
                                   date=format_date(self.env, line.work_date)),
            })
        # sudo: the engine (or a submitter) creates the to-do for someone else; the
        # approver's right to decide is checked when they decide.
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            vals_list)

    @api.model
    def _approver_for(self, employee):
        """The user who decides for this employee: the department's manager when they may
        approve, else the first attendance administrator of the employee's company."""
        manager = employee.department_id.manager_id.user_id
        if manager and manager.has_group("hr_zk_attendance.group_zk_manager"):
            return manager
        admin_group = self.env.ref("hr_attendance.group_hr_attendance_manager")
        # sudo: finding who administers attendance is not a right of the one submitting.
        return self.env["res.users"].sudo().search([
            ("groups_id", "in", admin_group.ids), ("share", "=", False),
            ("company_ids", "in", employee.company_id.ids)], order="id", limit=1)

    def _close_approval(self, feedback):
        """The decision closes the approver's to-do, whoever decided."""
        # sudo: an administrator deciding in the manager's place closes the manager's to-do.
        self.sudo().activity_feedback(["mail.mail_activity_data_todo"], feedback=feedback)

    @api.constrains("approved_minutes", "minutes")
    def _check_approved(self):
        for line in self:
            if not 0 <= line.approved_minutes <= line.minutes:
                raise ValidationError(self.env._(
                    "Approved overtime must be between 0:00 and the %s worked.",
                    hours_minutes(line.minutes)))

    @api.model
    def _check_can_decide_for(self, employees):
        """Managers of the employee's department decide; attendance administrators too."""
        if self.env.user.has_group("hr_attendance.group_hr_attendance_manager"):
            return
        if not self.env.user.has_group("hr_zk_attendance.group_zk_manager"):
            raise AccessError(self.env._("Only managers can decide on attendance."))
        for employee in employees:
            if employee.department_id.manager_id.user_id != self.env.user:
                raise AccessError(self.env._(
                    "Only the manager of %(department)s can decide for %(employee)s.",
                    department=employee.department_id.display_name or "-",
                    employee=employee.name))

    def _check_can_decide(self):
        self._check_can_decide_for(self.employee_id)
        if self.record_id.filtered("locked"):
            raise UserError(self.env._("These days were exported to payroll; correct them "
                                       "through an audited correction."))

    def write(self, vals):
        """People only decide (and every decision is audited here, whatever path it took);
        minutes come from the engine, which writes as the system."""
        if self.env.su:
            return super().write(vals)
        if set(vals) - DECISION_FIELDS:
            raise AccessError(self.env._("Overtime minutes come from the punches; propose an "
                                         "adjustment instead of editing them."))
        self._check_can_decide()
        before = {line.id: {"status": line.status, "approved_minutes": line.approved_minutes}
                  for line in self}
        result = super().write(vals)  # record rules: managers of the department only
        after = {line.id: {"status": line.status, "approved_minutes": line.approved_minutes}
                 for line in self}
        self.env["zk.audit.entry"]._log(self, f"overtime_{vals.get('status', 'decision')}",
                                        before=before, after=after,
                                        reason=vals.get("decision_reason") or None)
        return result

    def _decide(self, status, approved, reason=None):
        if len(self) > DECIDE_NOW:
            return self._decide_in_chunks(status, approved, reason)
        return self._decide_lines(status, approved, reason)

    def _decide_lines(self, status, approved, reason):
        """Each line written, then the approver's to-dos closed a feedback text at a time:
        closing deletes the activities, and every deletion empties the ORM's cache, so one
        per line made the next line re-read every line's fields (about 0.1 s a line)."""
        closing = defaultdict(lambda: self.browse())
        for line in self:
            line.write({
                "status": status, "approved_minutes": line.minutes if approved is None
                else approved, "decided_by": self.env.uid,
                "decided_at": fields.Datetime.now(), "decision_reason": reason or False,
            })
            if status == "approved":
                feedback = self.env._("Approved %s", hours_minutes(line.approved_minutes))
            else:
                feedback = self.env._("Refused")
            if reason:
                feedback = f"{feedback}: {reason}"
            closing[feedback] |= line
        for feedback, lines in closing.items():
            lines._close_approval(feedback)
        return True

    def _decide_in_chunks(self, status, approved, reason):
        """A large selection: rights checked for all of it now, the first lines decided now,
        the rest queued for the scheduled job, which decides them as this user."""
        self._check_can_decide()
        now, later = self[:DECIDE_NOW], self[DECIDE_NOW:]
        now._decide_lines(status, approved, reason)
        # sudo: the queue is the system's bookkeeping; the decision itself is written as the
        # user by the job, with their rights and in their name.
        later.sudo().write({"queued_decision": status, "queued_by": self.env.uid,
                            "queued_reason": reason or False})
        self.env.ref("hr_zk_attendance.ir_cron_zk_decide_queued")._trigger()
        message = (self.env._("%(now)s line(s) approved; the other %(later)s are being "
                              "approved in the background and show \"Approval queued\" until "
                              "then.", now=len(now), later=len(later))
                   if status == "approved" else
                   self.env._("%(now)s line(s) refused; the other %(later)s are being "
                              "refused in the background and show \"Refusal queued\" until "
                              "then.", now=len(now), later=len(later)))
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "info", "message": message, "sticky": False,
            "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    @api.model
    def _cron_decide_queued(self, limit=DECIDE_NOW):
        """Apply the queued decisions, a chunk a run, each as the person who made it."""
        # sudo: the job reads every company's queue; each decision is then written
        # with_user(the person), under their rights.
        queued = self.sudo().search([("queued_decision", "!=", False)], order="id",
                                    limit=limit + 1)
        remaining = max(len(queued) - limit, 0)
        queued = queued[:limit]
        groups = defaultdict(lambda: self.browse())
        for line in queued:
            groups[(line.queued_by, line.company_id, line.queued_decision,
                    line.queued_reason)] |= line
        for (user, company, status, reason), lines in groups.items():
            lines.write({"queued_decision": False, "queued_by": False, "queued_reason": False})
            todo = lines.filtered(lambda line, s=status: line.status != s)
            try:
                with self.env.cr.savepoint():
                    todo.with_user(user).with_company(company)._decide_lines(
                        status, None if status == "approved" else 0, reason or None)
            except (AccessError, UserError) as exc:
                for line in todo:
                    line.message_post(body=self.env._(
                        "The queued decision of %(user)s was not applied: %(why)s",
                        user=user.name, why=str(exc)), subtype_xmlid="mail.mt_note")
        self.env["ir.cron"]._notify_progress(done=len(queued), remaining=remaining)
        return remaining

    def action_approve(self):
        return self._decide("approved", None)

    def action_approve_less(self, minutes, reason=None):
        self.ensure_one()
        if not 0 <= minutes <= self.minutes:
            raise ValidationError(self.env._(
                "Approve between 0:00 and %s (the overtime worked).",
                hours_minutes(self.minutes)))
        return self._decide("approved", minutes, reason)

    def action_refuse(self, reason=None):
        return self._decide("refused", 0, reason)
