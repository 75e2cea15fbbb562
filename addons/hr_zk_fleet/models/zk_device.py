from odoo import fields, models


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
    alert_user_id = fields.Many2one(
        "res.users", string="Responsible", tracking=True,
        help="Who receives this terminal's alerts; empty: the relay's responsible.")

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
