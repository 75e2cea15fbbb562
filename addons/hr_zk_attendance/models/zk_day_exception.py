from odoo import fields, models


class ZkDayException(models.Model):
    """An exception code of E10.3, shown as a tag on daily records."""

    _name = "zk.day.exception"
    _description = "Daily Record Exception"
    _order = "code"
    _rec_name = "name"

    code = fields.Char(required=True, readonly=True)
    name = fields.Char(required=True, translate=True)
    color = fields.Integer()
    informational = fields.Boolean(help="Informational codes do not change the day's status.")

    _sql_constraints = [("code_unique", "UNIQUE(code)", "Exception codes are unique.")]
