from odoo import fields, models


class ZkDailyRecordVersion(models.Model):
    """A superseded computation of a day, kept so any version can be shown and replayed."""

    _name = "zk.daily.record.version"
    _description = "Daily Record Version"
    _order = "record_id, version desc"

    record_id = fields.Many2one("zk.daily.record", required=True, ondelete="cascade",
                                index=True, readonly=True)
    version = fields.Integer(required=True, readonly=True)
    result_json = fields.Text(readonly=True)
    inputs_fingerprint = fields.Char(readonly=True)
    rule_version = fields.Char(readonly=True)
    computed_at = fields.Datetime(readonly=True)
