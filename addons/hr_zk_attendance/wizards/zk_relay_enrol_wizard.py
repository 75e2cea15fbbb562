from odoo import fields, models


class ZkRelayEnrolWizard(models.TransientModel):
    """Shows a fresh enrolment code once: Odoo keeps only its hash."""

    _name = "zk.relay.enrol.wizard"
    _description = "Relay Enrolment Code"

    relay_id = fields.Many2one("zk.relay", required=True, readonly=True, ondelete="cascade")
    delivery_mode = fields.Selection(related="relay_id.delivery_mode")
    relay_url = fields.Char(related="relay_id.url")
    code = fields.Char(readonly=True)
    expires_at = fields.Datetime(readonly=True)
    command = fields.Char(readonly=True, help="Run this on the relay (the Raspberry Pi).")
