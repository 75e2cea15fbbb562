from odoo import fields, models

from zk_rules import fleet_alerts as fa

from . import zk_fleet_figures as fig
from .zk_device_fleet_alerts import COLOURS


class ZkRelay(models.Model):
    """Alerts of a relay (issue 17)."""

    # kept apart from the fields of fleet health (another file) while two people build it
    _name = "zk.relay"
    _inherit = ["zk.relay", "zk.fleet.alerted"]

    fleet_alert_ids = fields.One2many("zk.fleet.alert", "relay_id", string="Alerts")
    open_alert_count = fields.Integer(compute="_compute_fleet_state", string="Open alerts")
    fleet_state = fields.Selection(COLOURS, compute="_compute_fleet_state",
                                   string="State in the fleet overview")
    fleet_summary = fields.Char(compute="_compute_fleet_state", string="Summary")

    def _compute_fleet_state(self):
        counts = dict(self.env["zk.fleet.alert"]._read_group(
            [("relay_id", "in", self.ids), ("state", "=", "open")], ["relay_id"],
            ["__count"]))
        for relay in self:
            n = counts.get(relay, 0)
            seen = bool(relay.health_at or relay.last_success_at)
            relay.open_alert_count = n
            relay.fleet_state = fa.colour(seen, n, 0)
            relay.fleet_summary = ", ".join(
                [a._problem_title() for a in relay.fleet_alert_ids if a.state == "open"])

    def _fleet_evaluate_alerts(self, now=None):
        alerts = self.env["zk.fleet.alert"].sudo()  # sudo: alerts are system-written
        for relay in self.sudo().filtered("active"):
            problems = fa.relay_problems(fig.relay_figures(relay, now),
                                         fig.thresholds(relay.company_id),
                                         alerts._acknowledged("relay_id", relay.id))
            user = relay.alert_user_id or relay.create_uid
            alerts._sync(relay, problems, user)
        return True

    def action_view_fleet_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_zk_fleet.zk_fleet_alert_action")
        action["domain"] = [("relay_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action
