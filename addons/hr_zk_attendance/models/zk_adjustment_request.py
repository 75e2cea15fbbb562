"""Employee self-service on adjustments: the checks on a request an employee sends for
themselves, its submission, and the decision told back to them (issue 18).

Officers and managers keep the existing flow (zk_adjustment.py); everything here applies to
requests made by people without attendance rights, whatever path they take (portal form,
backend form or RPC), so the checks cannot be skipped.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_datetime

from zk_rules import selfservice

from .zk_time_tools import _to_local

OFFICER = "hr_attendance.group_hr_attendance_officer"
# What only the request's own flow writes (submission, decision), never a person directly.
FLOW_FIELDS = {"state", "requested_by", "decided_by", "decided_at", "decision_reason",
               "punch_id"}


class ZkAdjustment(models.Model):
    # A file of its own: the request-specific logic, apart from the approval flow.
    _inherit = "zk.adjustment"  # pylint: disable=consider-merging-classes-inherited

    def _zk_is_self_service(self):
        """True when the current user asks as an employee (no attendance rights)."""
        return not self.env.su and not self.env.user.has_group(OFFICER)

    @api.model
    def _zk_request_message(self, error):
        """The words for a refused request (zk_rules.selfservice codes)."""
        messages = {
            selfservice.BAD_DATE: self.env._("The date is not a date (use the calendar)."),
            selfservice.BAD_TIME: self.env._("The time is not a time of day: write it as "
                                             "hours:minutes, e.g. 17:05."),
            selfservice.BAD_DIRECTION: self.env._("Choose check in or check out."),
            selfservice.IN_FUTURE: self.env._("That time has not come yet: a request is for "
                                              "a punch you missed."),
            selfservice.TOO_OLD: self.env._(
                "Requests go back %(days)s days at most. For an older day, ask your manager.",
                days=error.limit),
            selfservice.REASON_SHORT: self.env._("Say in a few words why (at least %(n)s "
                                                 "characters).", n=error.limit),
            selfservice.REASON_LONG: self.env._("The reason is too long (at most %(n)s "
                                                "characters).", n=error.limit),
            selfservice.RATE_LIMITED: self.env._(
                "You sent %(n)s requests in the last hour. Wait a little before sending "
                "another, or ask your manager.", n=error.limit),
        }
        return messages.get(error.code, self.env._("The request could not be accepted."))

    def _zk_check_request_vals(self, vals):
        """Every rule of zk_rules.selfservice on one request of the current user, who asks
        for themselves only. Raises ValidationError with words a person reads."""
        me = self.env.user._zk_self_employee()
        employee = self.env["hr.employee"].sudo().browse(vals.get("employee_id") or me.id)
        if not me or employee != me:
            raise AccessError(self.env._("You can ask for corrections of your own days only."))
        if vals.get("replaced_punch_id"):
            raise AccessError(self.env._("Ask for the time it should have been; your manager "
                                         "decides which punch it replaces."))
        tz = ZoneInfo(employee._get_tz() or "UTC")
        now_utc = fields.Datetime.now()
        when = fields.Datetime.to_datetime(vals.get("punch_time"))
        if not when:
            raise ValidationError(self.env._("Give the date and time of the missing punch."))
        since = now_utc - timedelta(hours=1)
        # sudo: counting this user's own recent requests, whatever their state.
        sent = self.sudo().search([("requested_by", "=", self.env.uid),
                                   ("create_date", ">", since)]).mapped("create_date")
        try:
            selfservice.check_request(
                _to_local(when, tz), vals.get("direction") or "in", vals.get("reason") or "",
                _to_local(now_utc, tz),
                days_back=employee.company_id.zk_request_days_back or 0)
            selfservice.check_rate(sent, now_utc)
        except selfservice.RequestError as error:
            raise ValidationError(self._zk_request_message(error)) from None
        return employee

    @api.model_create_multi
    def create(self, vals_list):
        if self._zk_is_self_service():
            # Defaults first (a request started from a day comes with them), then the checks.
            vals_list = [self._add_missing_default_values(vals) for vals in vals_list]
            for vals in vals_list:
                employee = self._zk_check_request_vals(vals)
                vals.update(employee_id=employee.id, requested_by=self.env.uid)
                for name in FLOW_FIELDS - {"requested_by"}:
                    vals.pop(name, None)
        elif not self.env.su:
            for vals in vals_list:
                if set(vals) & (FLOW_FIELDS - {"requested_by"}):
                    raise AccessError(self.env._(
                        "A request starts as a draft and moves on by its buttons: Submit, "
                        "then the manager's Approve or Refuse."))
        return super().create(vals_list)

    def write(self, vals):
        """A request's state and decision move through its buttons (submit, approve, refuse:
        each checks who may and writes the audit trail), never by a direct write — for
        employees, officers and managers alike; only the buttons write them, as the system.
        A request sent or decided is no longer edited."""
        if not self.env.su:
            if set(vals) & FLOW_FIELDS:
                raise AccessError(self.env._("A request moves on by its buttons: Submit, then "
                                             "the manager's Approve or Refuse."))
            if any(adjustment.state != "draft" for adjustment in self):
                raise UserError(self.env._("This request was sent: it can no longer be "
                                           "changed. Send a new one if something is wrong."))
        if self._zk_is_self_service():
            if any(adjustment.state != "draft" for adjustment in self):
                raise UserError(self.env._("This request was sent: it can no longer be "
                                           "changed. Send a new one if something is wrong."))
            if {"punch_time", "direction", "reason", "employee_id"} & set(vals):
                for adjustment in self:
                    merged = {"employee_id": adjustment.employee_id.id,
                              "punch_time": adjustment.punch_time,
                              "direction": adjustment.direction,
                              "reason": adjustment.reason, **vals}
                    self._zk_check_request_vals(merged)
        return super().write(vals)

    def action_submit(self):
        if self._zk_is_self_service():
            self.check_access("read")  # own requests only (record rules)
            if self.employee_id != self.env.user._zk_self_employee():
                raise AccessError(self.env._("You can send your own requests only."))
            self._zk_subscribe_requester()
            # sudo: the employee sends their own request (checked above); the state is a
            # flow field they may not write themselves.
            return super(ZkAdjustment, self.sudo()).action_submit()
        self.check_access("write")
        self._zk_subscribe_requester()
        # sudo: the state is written by the button only (checked above: the officer may edit
        # these requests).
        return super(ZkAdjustment, self.sudo()).action_submit()

    @api.model
    def _zk_submit_request(self, vals, attachment=None):
        """A request from the employee self-service (portal or backend): created with the
        user's own rights (ACLs and record rules), checked, and sent at once to the manager.
        attachment: (file name, bytes) or None."""
        request = self.create(vals)
        if attachment:
            name, data = attachment
            if len(data) > selfservice.ATTACHMENT_MAX_BYTES:
                raise ValidationError(self.env._(
                    "The attached file is too large (at most %(mb)s MB).",
                    mb=selfservice.ATTACHMENT_MAX_BYTES // (1024 * 1024)))
            # sudo: portal users may not create attachments; this one belongs to the request
            # just created under their own rights, and is read back through its rules.
            self.env["ir.attachment"].sudo().create({
                "name": (name or "attachment")[:128], "raw": data,
                "res_model": self._name, "res_id": request.id})
        request.action_submit()
        return request

    def _zk_requester_partner(self):
        self.ensure_one()
        employee = self.employee_id.sudo()  # sudo: the link to the person, not their file
        return employee.user_id.partner_id or employee.work_contact_id

    def _zk_subscribe_requester(self):
        for adjustment in self:
            partner = adjustment._zk_requester_partner()
            if partner:
                # sudo: following one's own request (portal users cannot write followers).
                adjustment.sudo().message_subscribe(partner_ids=partner.ids)

    def _zk_notify_decision(self):
        """The decision comes back to the employee: a message on the request, sent to them
        (an e-mail for portal users, the inbox for internal ones)."""
        for adjustment in self:
            partner = adjustment._zk_requester_partner()
            if not partner:
                continue
            tz = adjustment.employee_id.sudo()._get_tz()
            when = format_datetime(self.env, adjustment.punch_time, tz=tz, dt_format="short")
            if adjustment.state == "approved":
                body = self.env._("Your request for %(when)s was approved; the day has been "
                                  "recomputed.", when=when)
            else:
                body = self.env._("Your request for %(when)s was refused.", when=when)
            if adjustment.decision_reason:
                body = f"{body} {adjustment.decision_reason}"
            link = Markup('<br/><a href="/my/attendance">%s</a>') % self.env._(
                "See my attendance")
            # sudo: the decider writes to the employee's thread whatever their own rights.
            adjustment.sudo().message_post(
                body=Markup("%s") % body + link, partner_ids=partner.ids,
                message_type="comment", subtype_xmlid="mail.mt_comment")

    def action_approve(self, reason=None):
        result = super().action_approve(reason=reason)
        self._zk_notify_decision()
        return result

    def action_refuse(self, reason=None):
        result = super().action_refuse(reason=reason)
        self._zk_notify_decision()
        return result

    def _recompute_day(self):
        """An approved request on a day already exported to payroll follows the correction
        rules: the locked day is recomputed as an audited correction (with the request's
        reason), and the payroll export then issues a correction batch for it."""
        result = super()._recompute_day()
        tz = ZoneInfo(self.employee_id._get_tz() or "UTC")
        day = _to_local(self.punch_time, tz).date()
        # sudo: finding the locked days of the approved request; correcting them is checked
        # by _correct (managers only).
        locked = self.env["zk.daily.record"].sudo().search([
            ("employee_id", "=", self.employee_id.id), ("locked", "=", True),
            ("work_date", ">=", day - timedelta(days=1)), ("work_date", "<=", day)])
        if locked:
            locked.with_env(self.env)._correct(self.env._(
                "Approved adjustment of an exported day: %(reason)s", reason=self.reason))
        return result
