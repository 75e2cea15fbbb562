"""Employee self-service in the portal (issue 18): My attendance under /my.

Every read goes through the user's own rights first (ACLs and the record rules of
security/self_service_security.xml); sudo() is used only after that check, to read what the
page shows beside the record (the punches' terminal, the schedule). Someone else's id answers
404, the same as an id that does not exist.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from odoo import fields
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from zk_rules import selfservice

from ..models.zk_day_view import hours_minutes
from ..models.zk_time_tools import _to_local, _to_utc

PAGE_SIZE = 20


class ZkAttendancePortal(CustomerPortal):
    # ------------------------------------------------------------------ home card
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        employee = request.env.user._zk_self_employee()
        if not counters:  # the page itself (the counters' answer holds counters only)
            values["zk_attendance_card"] = bool(employee)
        if "zk_days_to_check" in counters:
            values["zk_days_to_check"] = request.env["zk.daily.record"].search_count(
                self._zk_days_domain(employee, "to_check")) if employee else 0
        return values

    # ------------------------------------------------------------------ helpers
    def _zk_days_domain(self, employee, filterby):
        domain = [("employee_id", "=", employee.id)]
        today = fields.Date.context_today(request.env.user)
        if filterby == "recent":
            domain.append(("work_date", ">=", today - timedelta(days=31)))
        elif filterby == "to_check":
            domain.append(("flagged", "=", True))
        elif filterby == "this_month":
            domain.append(("work_date", ">=", today.replace(day=1)))
        elif filterby == "last_month":
            first = today.replace(day=1)
            domain += [("work_date", ">=", (first - timedelta(days=1)).replace(day=1)),
                       ("work_date", "<", first)]
        return domain

    def _zk_own_record(self, record_id):
        """The user's own daily record, read under their rights; None for any other id."""
        record = request.env["zk.daily.record"].browse(record_id)
        try:
            record.check_access("read")
            if not record.exists():
                return None
        except (AccessError, MissingError):
            return None
        employee = request.env.user._zk_self_employee()
        return record if employee and record.employee_id.id == employee.id else None

    def _zk_extra_sections(self, employee):
        """Hook: other addons add sections to My attendance (time-off bank, pay periods)."""
        return {}

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        values["hm"] = hours_minutes  # minutes -> "h:mm" on every page of ours
        return values

    def _zk_no_employee(self):
        return request.render("hr_zk_attendance.portal_zk_no_employee", {
            "page_name": "zk_attendance"})

    # ------------------------------------------------------------------ pages
    @route(["/my/attendance", "/my/attendance/page/<int:page>"], type="http", auth="user",
           website=True)
    def portal_my_attendance(self, page=1, filterby="recent", sent=None, **kw):
        employee = request.env.user._zk_self_employee()
        if not employee:
            return self._zk_no_employee()
        filters = {
            "recent": {"label": request.env._("Last 31 days")},
            "this_month": {"label": request.env._("This month")},
            "last_month": {"label": request.env._("Last month")},
            "to_check": {"label": request.env._("Days to check")},
            "all": {"label": request.env._("All days")},
        }
        if filterby not in filters:
            filterby = "recent"
        Record = request.env["zk.daily.record"]  # the user's rights: own days only
        domain = self._zk_days_domain(employee, filterby)
        total = Record.search_count(domain)
        pager = portal_pager(url="/my/attendance", url_args={"filterby": filterby},
                             total=total, page=page, step=PAGE_SIZE)
        records = Record.search(domain, limit=PAGE_SIZE, offset=pager["offset"])
        requests_ = request.env["zk.adjustment"].search(
            [("employee_id", "=", employee.id)], limit=10)
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "zk_attendance", "default_url": "/my/attendance",
            "records": records, "pager": pager, "searchbar_filters": filters,
            "filterby": filterby, "zk_requests": requests_, "sent": sent,
            "zk_attachments": _attachments(requests_),
            # sudo: the employee's own name and zone, for the page header.
            "employee_name": employee.sudo().name,
            "employee_tz": employee.sudo()._get_tz() or "UTC",
            "totals": _totals(records),
        })
        values.update(self._zk_extra_sections(employee))
        return request.render("hr_zk_attendance.portal_my_attendance", values)

    @route("/my/attendance/day/<int:record_id>", type="http", auth="user", website=True)
    def portal_my_attendance_day(self, record_id, commented=None, comment_error=None,
                                 comment="", **kw):
        record = self._zk_own_record(record_id)
        if record is None:
            return request.not_found()
        employee = request.env.user._zk_self_employee()
        requests_ = request.env["zk.adjustment"].search(
            [("employee_id", "=", employee.id)]).filtered(
            lambda adj: _local_day(adj.punch_time, employee) in (
                record.work_date, record.work_date + timedelta(days=1)))
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "zk_attendance_day", "record": record,
            # sudo: the punches of the user's own day (checked above); punches and terminals
            # are not readable by employees otherwise.
            "punch_rows": record.sudo()._zk_punch_rows(),
            "employee_tz": employee.sudo()._get_tz() or "UTC",
            "intervals": record.sudo().intervals_local,
            "flags": record._zk_flag_labels(), "zk_requests": requests_,
            "comments": record.comment_ids, "commented": commented,
            "comment_error": comment_error, "comment": comment,
        })
        return request.render("hr_zk_attendance.portal_my_attendance_day", values)

    @route("/my/attendance/day/<int:record_id>/comment", type="http", auth="user",
           website=True, methods=["POST"])
    def portal_my_attendance_comment(self, record_id, comment="", **kw):
        record = self._zk_own_record(record_id)
        if record is None:
            return request.not_found()
        try:
            with request.env.cr.savepoint():
                # The user's rights: their own day only (ACLs, rules, zk.day.comment.create).
                request.env["zk.day.comment"].create({"record_id": record.id,
                                                      "body": comment})
        except (ValidationError, AccessError) as exc:
            return self.portal_my_attendance_day(record_id, comment_error=exc.args[0],
                                                 comment=comment)
        return request.redirect(f"/my/attendance/day/{record.id}?commented=1")

    @route("/my/attendance/attachment/<int:attachment_id>", type="http", auth="user")
    def portal_my_attendance_attachment(self, attachment_id, **kw):
        """The file attached to one's own request (portal users never reach attachments
        through /web/content without a token)."""
        # sudo: reading which record the attachment belongs to; access is checked on it.
        attachment = request.env["ir.attachment"].sudo().browse(attachment_id).exists()
        if not attachment or attachment.res_model != "zk.adjustment" or attachment.res_field:
            return request.not_found()
        owner = request.env["zk.adjustment"].browse(attachment.res_id)
        try:
            owner.check_access("read")
            if not owner.exists():
                return request.not_found()
        except (AccessError, MissingError):
            return request.not_found()
        if owner.employee_id != request.env.user._zk_self_employee():
            return request.not_found()
        return request.env["ir.binary"]._get_stream_from(attachment).get_response(
            as_attachment=True)

    @route("/my/attendance/request", type="http", auth="user", website=True,
           methods=["GET", "POST"])
    def portal_my_attendance_request(self, record_id=None, **post):
        employee = request.env.user._zk_self_employee()
        if not employee:
            return self._zk_no_employee()
        record = None
        if record_id:
            if not str(record_id).isdigit():
                return request.not_found()
            record = self._zk_own_record(int(record_id))
            if record is None:
                return request.not_found()
        form = {"date": "", "time": "", "direction": "out", "reason": ""}
        if record is not None:
            form.update(record._zk_request_defaults())
        error = None
        if request.httprequest.method == "POST":
            form.update({key: (post.get(key) or "").strip()
                         for key in ("date", "time", "direction", "reason")})
            try:
                with request.env.cr.savepoint():
                    created = self._zk_create_request(employee, form, post.get("attachment"))
            except (ValidationError, UserError, AccessError) as exc:
                error = exc.args[0] if exc.args else str(exc)
            else:
                return request.redirect(f"/my/attendance?filterby=all&sent={created.id}")
        tz = employee.sudo()._get_tz() or "UTC"
        today = _to_local(fields.Datetime.now(), ZoneInfo(tz)).date()
        days_back = employee.sudo().company_id.zk_request_days_back or 0
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "zk_attendance_request", "record": record, "form": form,
            "error": error, "max_date": today.isoformat(),
            "min_date": (today - timedelta(days=days_back)).isoformat(),
            "days_back": days_back, "reason_max": selfservice.REASON_MAX,
            "locked": bool(record and record.locked),
        })
        return request.render("hr_zk_attendance.portal_my_attendance_request", values)

    def _zk_create_request(self, employee, form, upload):
        """Parse the form (zk_rules.selfservice) and send the request under the user's own
        rights (zk.adjustment checks it again, whatever the path)."""
        tz = ZoneInfo(employee.sudo()._get_tz() or "UTC")
        Adjustment = request.env["zk.adjustment"]
        try:
            parsed = selfservice.parse_request(
                form["date"], form["time"], form["direction"], form["reason"],
                _to_local(fields.Datetime.now(), tz),
                days_back=employee.sudo().company_id.zk_request_days_back or 0)
        except selfservice.RequestError as error:
            raise ValidationError(Adjustment._zk_request_message(error)) from None
        attachment = None
        if upload and getattr(upload, "filename", None):
            data = upload.read(selfservice.ATTACHMENT_MAX_BYTES + 1)
            if data:
                attachment = (upload.filename, data)
        return Adjustment._zk_submit_request({
            "employee_id": employee.id, "direction": parsed.direction,
            "punch_time": _to_utc(parsed.local, tz), "reason": parsed.reason,
        }, attachment=attachment)


def _local_day(utc_naive, employee):
    if not utc_naive:
        return None
    # sudo: the zone of the user's own employee.
    return _to_local(utc_naive, ZoneInfo(employee.sudo()._get_tz() or "UTC")).date()


def _attachments(adjustments):
    """{request id: its attachments}, for the user's own requests (read above under their
    rights)."""
    # sudo: portal users cannot read attachments; these belong to their own requests.
    found = request.env["ir.attachment"].sudo().search([
        ("res_model", "=", "zk.adjustment"), ("res_id", "in", adjustments.ids),
        ("res_field", "=", False)])
    result = {}
    for attachment in found:
        result.setdefault(attachment.res_id, []).append(attachment)
    return result


def _totals(records):
    return {name: sum(records.mapped(name)) for name in (
        "worked_hours", "late_in_hours", "early_out_hours", "undertime_hours",
        "overtime_hours")}


