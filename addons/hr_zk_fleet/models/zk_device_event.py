from odoo import fields, models

EVENT_KINDS = [
    ("log_cleared", "Attendance log cleared at the terminal"),
    ("factory_reset", "Factory reset"),
    ("clock_set", "Clock set at the terminal"),
    ("user_deleted", "User deleted at the terminal"),
    ("count_dropped", "Records held dropped"),
    ("clock_repaired", "Clock corrected"),
]


class ZkDeviceEvent(models.Model):
    """Something a terminal reported (operation log) or the relay did to it, which a
    person should know about."""

    _name = "zk.device.event"
    _description = "Terminal event"
    _order = "received_at desc, id desc"
    _rec_name = "kind"

    device_id = fields.Many2one("zk.device", string="Terminal", ondelete="cascade",
                                index=True)
    relay_id = fields.Many2one("zk.relay", required=True,
                               ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda s: s.env.company)
    relay_event_id = fields.Integer(required=True, string="Number on the relay")
    kind = fields.Selection(EVENT_KINDS, required=True)
    detail = fields.Char()
    terminal_time = fields.Char(string="Terminal's time",
                                help="The terminal's local time, as it reported it.")
    received_at = fields.Datetime(string="Received on")

    _sql_constraints = [
        ("relay_event_unique", "unique(relay_id, relay_event_id)",
         "Each event of a relay is kept once."),
    ]
