from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    zk_keep_photos_on_relay = fields.Boolean(
        string="Keep punch photos on the relay only",
        help="Punch photos stay on the branch relay and are not imported into Odoo.")
    zk_photo_retention_days = fields.Integer(string="Keep punch photos for (days)",
                                             default=90)
    zk_bio_retention_days = fields.Integer(
        string="Keep templates of people who left for (days)", default=0,
        help="Templates left in Odoo of employees archived or departed this many days ago "
        "are deleted (0: at once, at the next run).")
