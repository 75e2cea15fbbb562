from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import format_date

from zk_rules import selfservice


class ZkDayComment(models.Model):
    """An employee's word on one of their days ("I was at a client's all afternoon"): no
    punch, no change to the day; the manager reads it (a to-do) and may answer in the
    chatter, which reaches the employee."""

    _name = "zk.day.comment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Comment on a Day"
    _mail_post_access = "read"  # the manager answers, the employee replies: no write needed
    _order = "create_date desc"

    record_id = fields.Many2one("zk.daily.record", string="Day", required=True, readonly=True,
                                index=True, ondelete="cascade")
    employee_id = fields.Many2one(related="record_id.employee_id", store=True, index=True)
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    department_id = fields.Many2one(related="record_id.department_id", store=True)
    work_date = fields.Date(related="record_id.work_date", store=True)
    body = fields.Text(string="Comment", required=True, readonly=True)
    author_id = fields.Many2one("res.users", string="Written by", readonly=True,
                                default=lambda self: self.env.user)

    @api.depends("employee_id", "work_date")
    def _compute_display_name(self):
        for comment in self:
            comment.display_name = self.env._(
                "%(employee)s on %(date)s", employee=comment.sudo().employee_id.name or "",
                date=format_date(self.env, comment.work_date))

    @api.model_create_multi
    def create(self, vals_list):
        officer = self.env.su or self.env.user.has_group(
            "hr_attendance.group_hr_attendance_officer")
        me = self.env.user._zk_self_employee()
        for vals in vals_list:
            body = (vals.get("body") or "").strip()
            if not selfservice.REASON_MIN <= len(body) <= selfservice.COMMENT_MAX:
                raise ValidationError(self.env._(
                    "Write a comment of %(low)s to %(high)s characters.",
                    low=selfservice.REASON_MIN, high=selfservice.COMMENT_MAX))
            vals["body"] = body
            if not officer:
                # sudo: which employee the day belongs to; the rules check it again on create.
                record = self.env["zk.daily.record"].sudo().browse(vals.get("record_id"))
                if not me or record.employee_id != me:
                    raise AccessError(self.env._("You can comment on your own days only."))
                now = fields.Datetime.now()
                # sudo: counting this user's own recent comments.
                sent = self.sudo().search([("author_id", "=", self.env.uid), (
                    "create_date", ">", now - timedelta(hours=1))]).mapped("create_date")
                try:
                    selfservice.check_rate(sent, now)
                except selfservice.RequestError as error:
                    raise ValidationError(self.env._(
                        "You sent %(n)s comments in the last hour. Wait a little before "
                        "sending another.", n=error.limit)) from None
                vals["author_id"] = self.env.uid
        comments = super(ZkDayComment, self.with_context(mail_create_nolog=True)).create(
            vals_list)
        comments._zk_tell_approver()
        return comments.with_env(self.env)

    def _zk_tell_approver(self):
        for comment in self:
            # sudo: the employee's comment gives their approver a to-do and makes the
            # employee follow the thread (portal users cannot write either themselves).
            comment_sudo = comment.sudo()
            employee = comment_sudo.employee_id
            partner = employee.user_id.partner_id or employee.work_contact_id
            if partner:
                comment_sudo.message_subscribe(partner_ids=partner.ids)
            approver = self.env["zk.overtime.line"]._approver_for(employee)
            if approver:
                comment_sudo.activity_schedule(
                    "mail.mail_activity_data_todo", user_id=approver.id,
                    summary=self.env._("Read %(employee)s's comment", employee=employee.name),
                    note=comment.body)
