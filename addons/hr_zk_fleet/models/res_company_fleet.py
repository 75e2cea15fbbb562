from odoo import fields, models


class ResCompany(models.Model):
    # kept apart from the fields of fleet health (another file) while two people build it
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    zk_fleet_silent_minutes = fields.Integer(
        string="Terminal silent after (minutes)", default=60,
        help="Alert when a terminal has not contacted its relay for this long during working "
        "hours, or had no punch in the last hour when that hour usually has some.")
    zk_fleet_drift_seconds = fields.Integer(
        string="Clock drift allowed (seconds)", default=120,
        help="Alert when a terminal's clock is further off than this from the relay's.")
    zk_fleet_memory_percent = fields.Integer(
        string="Memory full from (%)", default=90,
        help="Alert when a terminal's users, fingerprints, faces or attendance records fill "
        "this much of its capacity.")
    zk_fleet_not_delivered_minutes = fields.Integer(
        string="Relay not delivering after (minutes)", default=30,
        help="Alert when punches have waited this long on a relay without reaching Odoo.")
