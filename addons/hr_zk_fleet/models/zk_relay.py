from odoo import api, fields, models

from ..lib.durations import duration_text


class ZkRelay(models.Model):
    _inherit = "zk.relay"

    delivery_lag_seconds = fields.Integer(
        readonly=True, copy=False,
        help="Age of the oldest event the relay holds that Odoo has not acknowledged.")
    unacked_events = fields.Integer(readonly=True, copy=False,
                                    string="Events not acknowledged")
    relay_pages_refused = fields.Integer(
        readonly=True, copy=False, string="Pages refused (relay's count)",
        help="Pages the relay says Odoo read and refused.")
    last_page_refused = fields.Char(readonly=True, copy=False)
    health_at = fields.Datetime(string="Health as of", readonly=True, copy=False)
    recon_cursor = fields.Integer(
        readonly=True, copy=False, string="Reconciliation revision",
        help="The relay's reconciliation revision Odoo has read up to.")
    health_event_cursor = fields.Integer(readonly=True, copy=False,
                                         help="The last terminal event Odoo has read.")
    alert_user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda s: s.env.user, tracking=True,
        help="Who receives the alerts of this relay and of its terminals.")
    delivery_lag_text = fields.Char(
        string="Oldest event not acknowledged", compute="_compute_delivery_lag_text")

    @api.depends("delivery_lag_seconds", "health_at")
    def _compute_delivery_lag_text(self):
        for relay in self:
            if not relay.health_at:
                relay.delivery_lag_text = self.env._("Not reported yet")
            elif not relay.delivery_lag_seconds:
                relay.delivery_lag_text = self.env._("Nothing waiting")
            else:
                relay.delivery_lag_text = self.env._(
                    "%s old", duration_text(self.env, relay.delivery_lag_seconds))
