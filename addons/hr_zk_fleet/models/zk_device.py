from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.hr_zk_attendance.lib.relay_client import RelayError

from ..lib import fleet_client
from ..lib.durations import duration_text

# The relay accepts a range of at most this many days per request.
MAX_CHECK_DAYS = 62


class ZkDevice(models.Model):
    _inherit = "zk.device"

    health_at = fields.Datetime(string="Health as of", readonly=True, copy=False)
    clock_drift_seconds = fields.Integer(
        readonly=True, copy=False, string="Clock drift (seconds)",
        help="The terminal's clock minus the relay's.")
    clock_drift_known = fields.Boolean(readonly=True, copy=False)
    face_count = fields.Integer(readonly=True, string="Faces")
    user_capacity = fields.Integer(readonly=True, help="0 when unknown.")
    fingerprint_capacity = fields.Integer(readonly=True, help="0 when unknown.")
    face_capacity = fields.Integer(readonly=True, help="0 when unknown.")
    attlog_capacity = fields.Integer(readonly=True, string="Attendance record capacity",
                                     help="0 when unknown.")
    memory_percent = fields.Integer(readonly=True, string="Memory used (%)",
                                    help="The fullest of users, fingerprints, faces and "
                                    "attendance records, against the model's capacity.")
    memory_known = fields.Boolean(readonly=True)
    punches_today = fields.Integer(readonly=True)
    punches_usual_by_now = fields.Integer(
        readonly=True, string="Usual by now",
        help="Median of the same weekday over the four previous weeks, up to this time.")
    punches_last_hour = fields.Integer(readonly=True)
    punches_usual_last_hour = fields.Integer(readonly=True, string="Usual in the last hour")
    device_day_ids = fields.One2many("zk.device.day", "device_id", string="Days checked")
    device_event_ids = fields.One2many("zk.device.event", "device_id", string="Events")
    unconfirmed_day_count = fields.Integer(compute="_compute_unconfirmed_day_count")
    clock_drift_text = fields.Char(string="Clock", compute="_compute_clock_drift_text",
                                   help="How far the terminal's clock is from the relay's.")
    alert_user_id = fields.Many2one(
        "res.users", string="Responsible", tracking=True,
        help="Who receives this terminal's alerts; empty: the relay's responsible.")

    @api.depends("clock_drift_seconds", "clock_drift_known")
    def _compute_clock_drift_text(self):
        for device in self:
            if not device.clock_drift_known:
                device.clock_drift_text = self.env._("Not measured yet")
            elif abs(device.clock_drift_seconds) < 1:
                device.clock_drift_text = self.env._("On time")
            elif device.clock_drift_seconds > 0:
                device.clock_drift_text = self.env._(
                    "%s ahead", duration_text(self.env, device.clock_drift_seconds))
            else:
                device.clock_drift_text = self.env._(
                    "%s behind", duration_text(self.env, -device.clock_drift_seconds))

    def _compute_unconfirmed_day_count(self):
        counts = dict(self.env["zk.device.day"]._read_group(
            [("device_id", "in", self.ids), ("needs_attention", "=", True)],
            ["device_id"], ["__count"]))
        for device in self:
            device.unconfirmed_day_count = counts.get(device, 0)

    def action_view_device_days(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_zk_fleet.zk_device_day_action")
        action["domain"] = [("device_id", "=", self.id)]
        action["context"] = {"default_device_id": self.id, "search_default_needs_attention": 1}
        return action

    # ------------------------------------------------------------------ actions
    def _relay_for_fleet(self):
        self.ensure_one()
        if self.connection != "relay" or not self.relay_id:
            raise UserError(self.env._(
                "Terminal %s is not connected through a relay: only relays check terminal "
                "days and correct clocks.", self.display_name))
        return self.relay_id

    def _request_check(self, first, last):
        """Ask the relay to re-read [first, last] from the terminal (at most 62 days, until
        yesterday or today). Returns the runs the relay queued."""
        self.ensure_one()
        relay = self._relay_for_fleet()
        today = date.today()
        last = min(last, today)
        first = max(first, last - timedelta(days=MAX_CHECK_DAYS - 1))
        try:
            answer = fleet_client.request_reconciliation(
                relay._client(), self.serial, first.isoformat(), last.isoformat())
        except RelayError as exc:
            raise UserError(self.env._(
                "The relay could not start the check of %(terminal)s: %(error)s",
                terminal=self.display_name, error=str(exc))) from None
        runs = answer.get("runs") or []
        # sudo: officers may ask for a check but not edit terminal-days; marking the days
        # "check under way" is the relay's report, written by the system on its behalf.
        Day = self.env["zk.device.day"].sudo()
        asked = {str(r.get("day")) for r in runs if r.get("day")}
        known = {str(d.day): d for d in Day.search([("device_id", "=", self.id),
                                                   ("day", "in", list(asked))])}
        for day in asked:
            if day in known:
                known[day].checking = True
            else:
                Day.create({"device_id": self.id, "relay_id": relay.id, "day": day,
                            "checking": True})
        return runs

    def action_check_again(self):
        """Check again the days that need a look (or yesterday when none does)."""
        self.ensure_one()
        days = self.device_day_ids.filtered("needs_attention").mapped("day")
        yesterday = date.today() - timedelta(days=1)
        first, last = (min(days), max(days)) if days else (yesterday, yesterday)
        runs = self._request_check(first, last)
        return self._fleet_notify(
            self.env._("Check started"),
            self.env._("The relay asks %(terminal)s again for %(count)s day(s), %(first)s to "
                       "%(last)s. The results appear under Reconciliation once the terminal "
                       "has answered (it answers at its next connection).",
                       terminal=self.display_name, count=len(runs), first=first, last=last),
            "info")

    def action_correct_clock(self):
        self.ensure_one()
        relay = self._relay_for_fleet()
        try:
            fleet_client.repair_clock(relay._client(), self.serial)
        except RelayError as exc:
            raise UserError(self.env._(
                "The relay could not correct the clock of %(terminal)s: %(error)s",
                terminal=self.display_name, error=str(exc))) from None
        return self._fleet_notify(
            self.env._("Clock correction sent"),
            self.env._("The relay tells %s the time at its next connection. The drift before "
                       "and after appears under Events.", self.display_name),
            "info")

    def _fleet_notify(self, title, message, kind):
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": title, "message": message, "type": kind,
                           "sticky": False}}
