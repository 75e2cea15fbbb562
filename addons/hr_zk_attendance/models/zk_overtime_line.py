from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

# What a manager may write; minutes and kind come from the engine only (superuser compute).
DECISION_FIELDS = {"status", "approved_minutes", "decided_by", "decided_at", "decision_reason"}
KINDS = [("workday", "Workday"), ("rest_day", "Rest day"), ("holiday", "Holiday")]


class ZkOvertimeLine(models.Model):
    """E9 overtime line of a day: only approved minutes reach payroll and the CTO bank."""

    _name = "zk.overtime.line"
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
                              readonly=True, index=True)
    decided_by = fields.Many2one("res.users", readonly=True)
    decided_at = fields.Datetime(readonly=True)
    decision_reason = fields.Char(readonly=True)

    @api.constrains("approved_minutes", "minutes")
    def _check_approved(self):
        for line in self:
            if not 0 <= line.approved_minutes <= line.minutes:
                raise ValidationError(self.env._(
                    "Approved minutes must be between 0 and the %s minutes worked.",
                    line.minutes))

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
        for line in self:
            line.write({
                "status": status, "approved_minutes": line.minutes if approved is None
                else approved, "decided_by": self.env.uid,
                "decided_at": fields.Datetime.now(), "decision_reason": reason or False,
            })
        return True

    def action_approve(self):
        return self._decide("approved", None)

    def action_approve_less(self, minutes, reason=None):
        self.ensure_one()
        if not 0 <= minutes <= self.minutes:
            raise ValidationError(self.env._(
                "Approve between 0 and %s minutes.", self.minutes))
        return self._decide("approved", minutes, reason)

    def action_refuse(self, reason=None):
        return self._decide("refused", 0, reason)
