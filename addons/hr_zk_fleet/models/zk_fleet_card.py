from odoo import fields, models, tools

from .zk_device_fleet_alerts import COLOURS


class ZkFleetCard(models.Model):
    """One card of the fleet overview: a relay or a terminal (a read-only SQL view)."""

    _name = "zk.fleet.card"
    _description = "Fleet overview card"
    _auto = False
    _order = "relay_id, sort, name"

    kind = fields.Selection([("relay", "Relay"), ("terminal", "Terminal")], readonly=True)
    name = fields.Char(readonly=True)
    serial = fields.Char(readonly=True)
    sort = fields.Integer(readonly=True)
    relay_id = fields.Many2one("zk.relay", readonly=True)
    device_id = fields.Many2one("zk.device", string="Terminal", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)

    fleet_state = fields.Selection(COLOURS, compute="_compute_figures", string="Health")
    fleet_summary = fields.Char(compute="_compute_figures", string="Summary")
    open_alert_count = fields.Integer(compute="_compute_figures")
    last_seen = fields.Datetime(compute="_compute_figures")
    last_seen_text = fields.Char(compute="_compute_figures", string="Last seen")
    memory_percent = fields.Integer(compute="_compute_figures", string="Memory (%)")
    memory_known = fields.Boolean(compute="_compute_figures")
    clock_drift_seconds = fields.Integer(compute="_compute_figures", string="Clock drift (s)")
    clock_drift_known = fields.Boolean(compute="_compute_figures")
    punches_today = fields.Integer(compute="_compute_figures")
    punches_usual_by_now = fields.Integer(compute="_compute_figures", string="Usual by now")
    delivery_lag_seconds = fields.Integer(compute="_compute_figures")
    delivery_lag_text = fields.Char(compute="_compute_figures", string="Delivery lag")
    drift_text = fields.Char(compute="_compute_figures", string="Clock")
    unacked_events = fields.Integer(compute="_compute_figures", string="Waiting punches")
    device_count = fields.Integer(compute="_compute_figures", string="Terminals")
    punches_by_day = fields.Json(compute="_compute_figures", string="Punches per day")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE VIEW zk_fleet_card AS (
                SELECT r.id * 2 + 1 AS id, 'relay' AS kind, r.name AS name, NULL AS serial,
                       0 AS sort, r.id AS relay_id, NULL::integer AS device_id,
                       r.company_id AS company_id
                  FROM zk_relay r WHERE r.active
                UNION ALL
                SELECT d.id * 2, 'terminal', COALESCE(d.name, d.serial), d.serial, 1,
                       d.relay_id, d.id, d.company_id
                  FROM zk_device d WHERE d.active
            )""")

    @staticmethod
    def _duration(seconds):
        seconds = abs(seconds or 0)
        if seconds < 120:
            return f"{seconds} s"
        if seconds < 7200:
            return f"{seconds // 60} min"
        return f"{seconds // 3600} h"

    def _ago(self, when):
        if not when:
            return self.env._("Not seen yet")
        minutes = int((fields.Datetime.now() - when).total_seconds() // 60)
        if minutes < 2:
            return self.env._("Seen just now")
        if minutes < 120:
            return self.env._("Last seen %(n)s minutes ago", n=minutes)
        if minutes < 48 * 60:
            return self.env._("Last seen %(n)s hours ago", n=minutes // 60)
        return self.env._("Last seen %(n)s days ago", n=minutes // (24 * 60))

    def _compute_figures(self):
        for card in self:
            record = card.device_id if card.kind == "terminal" else card.relay_id
            terminal = card.kind == "terminal"
            device = card.device_id
            relay = card.relay_id
            drift = device.clock_drift_seconds if terminal else 0
            lag = relay.delivery_lag_seconds if not terminal else 0
            last_seen = device.last_seen if terminal else (
                relay.health_at or relay.last_success_at)
            card.update({
                "last_seen_text": self._ago(last_seen),
                "fleet_state": record.fleet_state,
                "fleet_summary": record.fleet_summary,
                "open_alert_count": record.open_alert_count,
                "last_seen": last_seen,
                "memory_percent": device.memory_percent if terminal else 0,
                "memory_known": device.memory_known if terminal else False,
                "clock_drift_seconds": drift,
                "clock_drift_known": device.clock_drift_known if terminal else False,
                "drift_text": (
                    self.env._("on time") if abs(drift) < 2 else
                    self.env._("%(d)s ahead", d=self._duration(drift)) if drift > 0 else
                    self.env._("%(d)s behind", d=self._duration(drift))),
                "punches_today": device.punches_today if terminal else 0,
                "punches_usual_by_now": device.punches_usual_by_now if terminal else 0,
                "delivery_lag_seconds": lag,
                "delivery_lag_text": (self._duration(lag) if relay.unacked_events
                                      else self.env._("up to date")),
                "unacked_events": relay.unacked_events if not terminal else 0,
                "device_count": len(relay.device_ids) if not terminal else 0,
                "punches_by_day": device.punches_by_day if terminal else False,
            })

    def action_open(self):
        self.ensure_one()
        record = self.device_id if self.kind == "terminal" else self.relay_id
        return {"type": "ir.actions.act_window", "res_model": record._name,
                "res_id": record.id, "views": [(False, "form")], "target": "current"}
