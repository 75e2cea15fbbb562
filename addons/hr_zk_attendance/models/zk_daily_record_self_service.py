"""What an employee reads about their own days, and the morning nudge about flagged days
(issue 18). Records stay written by the engine only; this adds reading helpers and a cron."""

import json
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date

from zk_rules import selfservice

from .zk_time_tools import _to_local, _to_utc

FLAGGED_DOMAIN = ["|", "|", ("missing_check_in", "=", True), ("missing_check_out", "=", True),
                  ("status", "=", "absent")]


class ZkDailyRecord(models.Model):
    # A file of its own (not zk_daily_record.py) while that file is being split.
    _inherit = "zk.daily.record"  # pylint: disable=consider-merging-classes-inherited

    comment_ids = fields.One2many("zk.day.comment", "record_id", string="Comments",
                                  readonly=True)
    nudged_at = fields.Datetime(readonly=True, help="When the employee was told about this "
                                "flagged day.")
    flagged = fields.Boolean(compute="_compute_flagged", search="_search_flagged",
                             help="A check-in or check-out is missing, or the employee was "
                             "absent on a scheduled day: something they may ask to correct.")

    @api.depends("missing_check_in", "missing_check_out", "status")
    def _compute_flagged(self):
        for record in self:
            record.flagged = bool(selfservice.nudge_flags(
                record.missing_check_in, record.missing_check_out, record.status))

    def _search_flagged(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Unsupported search on flagged days."))
        return FLAGGED_DOMAIN if (operator == "=") == value else ["!", *FLAGGED_DOMAIN]

    def _zk_flag_labels(self):
        """The day's flags in words an employee reads."""
        self.ensure_one()
        labels = {"missing_check_in": self.env._("Check-in missing"),
                  "missing_check_out": self.env._("Check-out missing"),
                  "absent": self.env._("Absent on a scheduled day")}
        return [labels[flag] for flag in selfservice.nudge_flags(
            self.missing_check_in, self.missing_check_out, self.status)]

    def _zk_suggested_request(self):
        """(direction, "HH:MM") for a request started from this flagged day: the scheduled
        start or end when the engine knew it."""
        self.ensure_one()
        entry = self._engine_inputs(self.employee_id, [self.work_date]).schedule(
            self.employee_id).get(self.work_date.isoformat()) or {}
        segments = entry.get("segments") or []
        scheduled = (segments[0][0], segments[-1][1]) if segments else None
        return selfservice.suggested_punch(self.missing_check_in, self.missing_check_out,
                                           scheduled)

    def _zk_punch_rows(self):
        """The day's punches as an employee reads them: local time, terminal and what was
        pressed, in words (no codes). Read as the system by the caller, who checked the day
        is the employee's own."""
        self.ensure_one()
        result = json.loads(self.result_json or "{}")
        collapsed = set(result.get("collapsed_punch_ids") or [])
        ignored = set(result.get("ignored_punch_ids") or [])
        ids = list(dict.fromkeys([*(result.get("punch_ids") or []), *collapsed, *ignored]))
        punches = self.env["zk.punch"].browse(ids).exists().sorted(
            lambda p: (p.timestamp_utc, p.id))
        kinds = {0: self.env._("Check-in"), 1: self.env._("Check-out"),
                 2: self.env._("Break out"), 3: self.env._("Break in"),
                 4: self.env._("Overtime in"), 5: self.env._("Overtime out")}
        rows = []
        for punch in punches:
            when = punch.local_time or ""
            same_day = when[:10] == str(self.work_date)
            rows.append({
                "time": when[11:16] if same_day else f"{when[8:10]}/{when[5:7]} {when[11:16]}",
                "terminal": self.env._("Approved correction") if punch.source == "adjustment"
                else punch.device_id.name or self.env._("Terminal"),
                "kind": kinds.get(punch.status) or self.env._("Punch"),
                "note": self.env._("Double tap: counted once") if punch.id in collapsed
                else self.env._("Not counted") if punch.id in ignored else "",
            })
        return rows

    def _zk_request_defaults(self):
        """The request form's values when started from this day ("I forgot to check out"):
        date, time (local "HH:MM") and direction."""
        self.ensure_one()
        # sudo: the schedule of the employee's own day (the caller read the record).
        suggestion = self.sudo()._zk_suggested_request() or ("in", "08:00")
        return {"date": self.work_date.isoformat(), "direction": suggestion[0],
                "time": suggestion[1]}

    def action_zk_request_correction(self):
        """Backend "Ask for a correction": a draft request for this day, filled in."""
        self.ensure_one()
        defaults = self._zk_request_defaults()
        tz = ZoneInfo(self.employee_id.sudo()._get_tz() or "UTC")
        local = datetime.combine(self.work_date, time.fromisoformat(defaults["time"]))
        return {
            "type": "ir.actions.act_window", "res_model": "zk.adjustment", "view_mode": "form",
            "target": "current", "name": self.env._("Ask for a correction"),
            "context": {"default_employee_id": self.employee_id.id,
                        "default_direction": defaults["direction"],
                        "default_punch_time": fields.Datetime.to_string(_to_utc(local, tz))},
        }

    def action_zk_comment(self):
        """Backend "Comment on this day": a small dialog; the comment goes to the manager."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "zk.day.comment", "view_mode": "form",
            "views": [(self.env.ref("hr_zk_attendance.zk_day_comment_view_form_new").id,
                       "form")],
            "target": "new", "name": self.env._("Comment on this day"),
            "context": {"default_record_id": self.id},
        }

    # ------------------------------------------------------------------ nudges
    @api.model
    def _cron_nudge_flagged_days(self):
        """Each morning: one message per employee about their flagged days not yet told
        (companies that switched it on; employees with a user or a portal access)."""
        companies = self.env["res.company"].search([("zk_nudge_flagged_days", "=", True)])
        if not companies:
            return 0
        now = fields.Datetime.now()
        records = self.search([("company_id", "in", companies.ids), ("nudged_at", "=", False),
                               ("work_date", ">=", fields.Date.today() - timedelta(days=3)),
                               *FLAGGED_DOMAIN])
        by_employee = defaultdict(lambda: self.browse())
        for record in records:
            tz = ZoneInfo(record.employee_id._get_tz() or "UTC")
            if record.work_date < _to_local(now, tz).date():  # the day is over
                by_employee[record.employee_id] |= record
        sent = 0
        for employee, days in by_employee.items():
            partner = employee.user_id.partner_id or employee.work_contact_id
            if not partner or not (employee.user_id or partner.user_ids):
                continue
            already = self.search_count([("employee_id", "=", employee.id),
                                         ("nudged_at", ">=", now.replace(hour=0, minute=0,
                                                                         second=0))])
            if already:
                continue  # at most one message a day
            employee.message_notify(
                partner_ids=partner.ids, subject=self.env._("Your attendance: check a day"),
                body=days._zk_nudge_body(), email_layout_xmlid="mail.mail_notification_light")
            days.write({"nudged_at": now})
            sent += 1
        return sent

    def _zk_nudge_body(self):
        items = Markup("").join(
            Markup('<li>%s: %s. <a href="/my/attendance/request?record_id=%s">%s</a></li>') % (
                format_date(self.env, record.work_date), ", ".join(record._zk_flag_labels()),
                record.id, self.env._("Ask for a correction"))
            for record in self.sorted("work_date"))
        return Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("Something is missing on these days. If you forgot to punch, ask for a "
                       "correction; your manager approves it."), items)
