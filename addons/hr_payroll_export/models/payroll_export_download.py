from odoo import api, fields, models
from odoo.exceptions import AccessError

_WRITING = "payroll_download_writing"


class PayrollExportDownload(models.Model):
    """Who downloaded which payroll file, when (append only)."""

    _name = "payroll.export.download"
    _description = "Payroll Export Download"
    _order = "id desc"

    batch_id = fields.Many2one("payroll.export.batch", required=True, readonly=True,
                               ondelete="restrict", index=True)
    company_id = fields.Many2one(related="batch_id.company_id", store=True)
    user_id = fields.Many2one("res.users", "Downloaded by", required=True, readonly=True,
                              ondelete="restrict")
    timestamp = fields.Datetime("Downloaded on", required=True, readonly=True)
    sha256 = fields.Char("File SHA-256", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(_WRITING):
            raise AccessError(self.env._("Downloads are logged by the system only."))
        return super().create(vals_list)

    def write(self, vals):
        if vals:
            raise AccessError(self.env._("The download log can never be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self.env._("The download log can never be deleted."))

    @api.model
    def _log(self, batch):
        # sudo + sentinel: every officer's download is logged, nobody writes the log by hand.
        return self.sudo().with_context(**{_WRITING: True}).create({
            "batch_id": batch.id, "user_id": self.env.uid, "timestamp": fields.Datetime.now(),
            "sha256": batch.sha256,
        })
