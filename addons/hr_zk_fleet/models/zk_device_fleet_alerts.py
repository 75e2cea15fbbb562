from datetime import timedelta

from odoo import api, fields, models

from zk_rules import fleet_alerts as fa

from . import zk_fleet_figures as fig

COLOURS = [(fa.OK, "OK"), (fa.WARNING, "Worth a look"), (fa.ALERT, "Alert"),
           (fa.UNKNOWN, "Not seen yet")]


class ZkDevice(models.Model):
    """Alerts and the overview's figures of a terminal (issue 17)."""

    # kept apart from the fields of fleet health (another file) while two people build it
    _name = "zk.device"
    _inherit = ["zk.device", "zk.fleet.alerted"]

    fleet_alert_ids = fields.One2many("zk.fleet.alert", "device_id", string="Alerts")
    open_alert_count = fields.Integer(compute="_compute_fleet_state", string="Open alerts")
    effective_alert_user_id = fields.Many2one(
        "res.users", compute="_compute_effective_alert_user_id", string="Alerts go to",
        help="The terminal's responsible, else its relay's, else who created the relay.")
    fleet_state = fields.Selection(COLOURS, compute="_compute_fleet_state",
                                   string="State in the fleet overview")
    fleet_summary = fields.Char(compute="_compute_fleet_state", string="Summary")
    punches_by_day = fields.Json(compute="_compute_punches_by_day",
                                 string="Punches per day (last 14 days)")

    @api.depends("alert_user_id", "relay_id.alert_user_id", "relay_id.create_uid")
    def _compute_effective_alert_user_id(self):
        for device in self:
            device.effective_alert_user_id = (
                device.alert_user_id or device.relay_id.alert_user_id
                or device.relay_id.create_uid or device.create_uid)

    def _compute_fleet_state(self):
        counts = dict(self.env["zk.fleet.alert"]._read_group(
            [("device_id", "in", self.ids), ("state", "=", "open")], ["device_id"],
            ["__count"]))
        for device in self:
            n = counts.get(device, 0)
            warnings = fa.terminal_warnings(fig.terminal_figures(device),
                                            fig.thresholds(device.company_id))
            device.open_alert_count = n
            device.fleet_state = fa.colour(bool(device.last_seen), n, len(warnings))
            titles = [a._problem_title() for a in device.fleet_alert_ids if a.state == "open"]
            device.fleet_summary = ", ".join(titles or warnings)

    def _compute_punches_by_day(self):
        today = fields.Date.context_today(self)
        first = today - timedelta(days=fig.RECENT_DAYS - 1)
        counts = {}
        if self.ids:
            # zk.punch keeps the terminal's own local time as text: its date is the day
            self.env.cr.execute("""
                SELECT device_id, left(local_time, 10), count(*) FROM zk_punch
                 WHERE device_id = ANY(%s) AND left(local_time, 10) >= %s
                 GROUP BY 1, 2""", [self.ids, fields.Date.to_string(first)])
            for device_id, day, n in self.env.cr.fetchall():
                counts[(device_id, day)] = n
        for device in self:
            days = [first + timedelta(days=i) for i in range(fig.RECENT_DAYS)]
            device.punches_by_day = [
                {"day": fields.Date.to_string(d), "label": d.strftime("%a %d %b"),
                 "count": counts.get((device.id, fields.Date.to_string(d)), 0)}
                for d in days]

    def _fleet_evaluate_alerts(self, now=None):
        alerts = self.env["zk.fleet.alert"].sudo()  # sudo: alerts are system-written
        for device in self.sudo().filtered("active"):
            problems = fa.terminal_problems(
                fig.terminal_figures(device, now), fig.thresholds(device.company_id),
                alerts._acknowledged("device_id", device.id))
            alerts._sync(device, problems, device.effective_alert_user_id)
        return True

    def action_view_fleet_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_zk_fleet.zk_fleet_alert_action")
        action["domain"] = [("device_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action
