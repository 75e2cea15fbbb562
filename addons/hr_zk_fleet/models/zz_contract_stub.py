# TEMPORARY stand-in for fleet-data's fields (fleet_contract.md) so the alerts can be built and
# tested before branch wt-fleetdata has them; deleted when that branch is merged.
from odoo import fields, models


class ZkDeviceStub(models.Model):
    _inherit = "zk.device"

    health_at = fields.Datetime()
    clock_drift_seconds = fields.Integer()
    clock_drift_known = fields.Boolean()
    memory_percent = fields.Integer()
    memory_known = fields.Boolean()
    punches_today = fields.Integer()
    punches_usual_by_now = fields.Integer()
    punches_last_hour = fields.Integer()
    punches_usual_last_hour = fields.Integer()
    alert_user_id = fields.Many2one("res.users")
    device_day_ids = fields.One2many("zk.device.day", "device_id")
    device_event_ids = fields.One2many("zk.device.event", "device_id")


class ZkRelayStub(models.Model):
    _inherit = "zk.relay"

    delivery_lag_seconds = fields.Integer()
    unacked_events = fields.Integer()
    relay_pages_refused = fields.Integer()
    last_page_refused = fields.Char()
    health_at = fields.Datetime()
    alert_user_id = fields.Many2one("res.users")


class ZkDeviceDayStub(models.Model):
    _name = "zk.device.day"
    _description = "stub"

    device_id = fields.Many2one("zk.device", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="device_id.company_id", store=True)
    day = fields.Date()
    state = fields.Selection([("confirmed", "Confirmed"), ("gaps_filled", "Gaps"),
                              ("incomplete", "Incomplete"), ("not_answered", "Not answered"),
                              ("terminal_offline", "Offline"), ("not_checked", "Not checked")])
    gaps_filled = fields.Integer()
    revision = fields.Integer()


class ZkDeviceEventStub(models.Model):
    _name = "zk.device.event"
    _description = "stub"

    device_id = fields.Many2one("zk.device", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="device_id.company_id", store=True)
    relay_event_id = fields.Integer()
    kind = fields.Selection([("log_cleared", "Log cleared"), ("factory_reset", "Reset"),
                             ("clock_set", "Clock set"), ("user_deleted", "User deleted"),
                             ("count_dropped", "Dropped"), ("clock_repaired", "Repaired")])
    detail = fields.Char()
